"""Rendering only: every function here takes results and returns text.

The output formats each command offers are registered below: a format's name
-> where its renderer is.  The command line takes its `--format` choices from
these tables and imports only the renderer it uses.  Adding a format is one
module with the renderer and one line here (docs/architecture.md, "Adding an
output format").
"""

from __future__ import annotations

import importlib
from typing import NamedTuple


class Renderer(NamedTuple):
    module: str
    function: str

    def load(self):
        return getattr(importlib.import_module(self.module), self.function)


# `benchdsl run --format NAME`: fn(program, audit, norwegian=..., lang=...) -> text
RUN = {
    "text": Renderer("benchdsl.report.text", "render"),
    "json": Renderer("benchdsl.report.machine", "to_json"),
    "csv": Renderer("benchdsl.report.machine", "to_csv"),
    "markdown": Renderer("benchdsl.report.machine", "to_markdown"),
}
# `lang` ("en", "nb"; report/lang.py) is the language of the labels and headers a renderer writes;
# JSON and CSV take it and stay English (their keys and values are read by programs).

# `benchdsl run --for all --format NAME`: fn(batch, norwegian=...) -> text, or its chunks (an iterable of
# str, written as they come); other formats give the CSV table
BATCH = {
    "csv": Renderer("benchdsl.report.machine", "batch_csv_chunks"),
    "json": Renderer("benchdsl.report.machine", "batch_json"),
}

# `benchdsl sensitivity --format NAME`: fn(program, group, sensitivity, norwegian=..., lang=...) -> text
SENSITIVITY = {
    "text": Renderer("benchdsl.report.sensitivity", "to_text"),
    "json": Renderer("benchdsl.report.sensitivity", "to_json"),
    "csv": Renderer("benchdsl.report.sensitivity", "to_csv"),
}

# `benchdsl diff --format NAME`: fn(diff, everything, norwegian=..., lang=...) -> text
DIFF = {
    "text": Renderer("benchdsl.report.diff", "to_text"),
    "json": Renderer("benchdsl.report.diff", "to_json"),
    "csv": Renderer("benchdsl.report.diff", "to_csv"),
}
