#!/bin/sh
# Package the VS Code extension as benchdsl-VERSION.vsix, in this folder.
# Needs Node.js 20+ and npm (the packages come from the npm registry).
# The grammar is the one in editors/, copied in here at build time so it exists once in the repository.
set -eu
cd "$(dirname "$0")"
mkdir -p syntaxes
cp ../bench.tmLanguage.json syntaxes/bench.tmLanguage.json
npm install --no-audit --no-fund --loglevel=error
npx --no-install vsce package --skip-license --allow-missing-repository
ls -1 ./*.vsix
