"""One program as the editor sees it: the folder's .bench files, with unsaved buffers in place of the files.

`check` runs on every change and costs what one file's parse and one `check`
cost (parsed files are kept by their text, so only the file that changed is
parsed again); `run` reads the panels, evaluates and audits, and runs when a
file is saved or a panel changes.  Both call the passes the pipeline calls
(`pipeline.parse_files`, `check.check`, `data.read_panel`, `data.bind`,
`Evaluator`, `audit`) on texts instead of paths, so the editor shows what
`benchdsl check DIR` and `benchdsl run DIR` would.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import attrs

from benchdsl import ast, ir
from benchdsl.diagnostics import Diagnostic, Sources, error, has_errors
from benchdsl.lsp import symbols


def program_root(path: str, folders: list[str]) -> str:
    """The folder whose .bench files form the program of `path`.

    The file's folder, or the highest folder above it, inside the workspace folder, with .bench
    files of its own: in a workspace holding rules/ and examples/home_care/ each is a program, and
    a workspace that is itself a rules folder is one program.
    """
    here = os.path.dirname(os.path.abspath(path))
    top = max((f for f in folders if here == f or here.startswith(f.rstrip(os.sep) + os.sep)), key=len, default=None)
    if top is None:
        return here
    while here != top:
        parent = os.path.dirname(here)
        if not _has_rules(parent):
            break
        here = parent
    return here


def _has_rules(folder: str) -> bool:
    try:
        return any(e.name.endswith(".bench") and e.is_file() for e in os.scandir(folder))
    except OSError:
        return False


@attrs.define
class Checked:
    """The program as the texts stand now."""

    texts: dict[str, str]  # path -> text of every rule file
    files: dict[str, ast.File]
    diags: list[Diagnostic]
    program: ir.Program | None
    index: symbols.Index
    version: int
    seconds: float


@attrs.define
class Run:
    """Figures and audit, from the panels as they were read when the run was made."""

    program: ir.Program | None
    evaluator: object
    audit: object
    diags: list[Diagnostic]
    version: int  # the Checked.version it ran on
    seconds: float


class Project:
    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.buffers: dict[str, str] = {}  # open editors: path -> text
        self._parsed: dict[str, tuple[bytes, list[ast.File], list[Diagnostic], str | None]] = {}
        self._version = 0
        self.checked: Checked | None = None
        self.last_run: Run | None = None

    def owns(self, path: str) -> bool:
        return os.path.abspath(path).startswith(self.root + os.sep)

    def paths(self) -> list[str]:
        from benchdsl.pipeline import rule_files

        found, _ = rule_files([self.root])
        on_disk = [os.path.abspath(p) for p in found]
        return sorted(set(on_disk) | {p for p in self.buffers if p.endswith(".bench")})

    def text(self, path: str) -> str | None:
        """A file's text as the editor has it, else as it is on disk."""
        if path in self.buffers:
            return self.buffers[path]
        if self.checked is not None and path in self.checked.texts:
            return self.checked.texts[path]
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    # --- checking -------------------------------------------------------------------------
    def check(self) -> Checked:
        from benchdsl.check import check

        start = time.perf_counter()
        diags: list[Diagnostic] = []
        texts: dict[str, str] = {}
        files: dict[str, ast.File] = {}
        for path in self.paths():
            if path in self.buffers:
                data = self.buffers[path].encode("utf-8", "surrogatepass")
            else:
                try:
                    data = Path(path).read_bytes()
                except OSError as exc:
                    diags.append(error(None, f"cannot read `{path}`: {exc.strerror}"))
                    continue
            parsed, d, text = self._parse(path, data)
            diags.extend(d)
            if text is not None:
                texts[path] = text
            for f in parsed:
                files[path] = f
        if not files and not diags:
            diags.append(error(None, f"no .bench files in `{self.root}`"))
        program, cdiags = check(files.values())
        if has_errors(diags):  # as the pipeline does: name errors of what parsed, in the same run
            diags.extend(d for d in cdiags if d.span is not None)
            program = None
        else:
            diags.extend(cdiags)
        self._version += 1
        index = symbols.build((texts[p], f) for p, f in files.items() if p in texts)
        self.checked = Checked(texts, files, diags, program, index, self._version, time.perf_counter() - start)
        return self.checked

    def _parse(self, path: str, data: bytes):
        cached = self._parsed.get(path)
        if cached is None or cached[0] != data:
            from benchdsl.pipeline import Result, parse_files

            scratch = Result(Sources(), [])
            files = parse_files([(path, data)], scratch)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            cached = self._parsed[path] = (data, files, scratch.diags, text)
        return cached[1], cached[2], cached[3]

    # --- running ---------------------------------------------------------------------------
    def run(self) -> Run:
        """Read the panels and compute every figure and the audit, for the program as last checked."""
        from benchdsl.audit import Status, audit
        from benchdsl.evaluate import Evaluator
        from benchdsl.pipeline import load_data
        from benchdsl.lsp.hover import audit_diagnostics

        checked = self.checked or self.check()
        start = time.perf_counter()
        program = checked.program
        if program is None:
            self.last_run = Run(None, None, None, [], checked.version, 0.0)
            return self.last_run
        values, diags = load_data(program, Sources())  # the rule files' paths are absolute here
        if has_errors(diags):
            self.last_run = Run(program, None, None, diags, checked.version, time.perf_counter() - start)
            return self.last_run
        ev = Evaluator(program, values)
        result = audit(program, ev)
        diags.extend(result.diags)
        diags.extend(audit_diagnostics(result))
        diags.extend(dict.fromkeys(i.figure.error for i in result.items
                                   if i.status == Status.ERROR and i.figure and i.figure.error))
        self.last_run = Run(program, ev, result, diags, checked.version, time.perf_counter() - start)
        return self.last_run
