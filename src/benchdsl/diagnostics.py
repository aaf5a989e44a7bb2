"""Diagnostics as data: every problem found in rules or data is a value.

Passes return lists of `Diagnostic`; only the CLI prints them. The format is
the compiler convention `path:line:col: error: message`, then the source line
with a caret under the offending span, then an optional hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import attrs

from benchdsl.span import Span

ERROR = "error"
WARNING = "warning"
NOTE = "note"


@attrs.frozen
class Diagnostic:
    severity: str
    span: Span | None
    message: str
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def error(span: Span | None, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(ERROR, span, message, hint)


def warning(span: Span | None, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(WARNING, span, message, hint)


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """Lines as lark counts them: only "\\n" ends a line ("\\r\\n" too, its "\\r" kept with the line).

    `str.splitlines()` also splits at form feed, U+2028, U+0085 and others, so
    line numbers from it would disagree with the parser's; every pass that
    numbers lines uses this instead.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if keepends:
        ends = ["\n"] * len(lines)
        if lines and not text.endswith("\n"):
            ends[-1] = ""
        return [ln + e for ln, e in zip(lines, ends)]
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


class Sources:
    """The text of every file read in a run, so diagnostics can quote it."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}

    def add(self, path: str, text: str) -> None:
        self._lines[path] = split_lines(text)

    def add_lines(self, path: str, lines) -> None:
        """A file's lines as any sequence, e.g. made one at a time from a large panel's bytes."""
        self._lines[path] = lines

    def paths(self) -> list[str]:
        """Every file read so far (reports must never be written over one)."""
        return list(self._lines)

    def line(self, path: str, lineno: int) -> str | None:
        if path not in self._lines:  # e.g. rules checked in an earlier run (cached)
            from benchdsl.files import RULES_LIMIT, InputError, read_input

            try:  # a regular file only: quoting a line must never block on a FIFO or read a device forever
                self.add(path, read_input(path, "file", RULES_LIMIT).decode("utf-8", "replace"))
            except InputError:
                self._lines[path] = []
        lines = self._lines.get(path)
        if lines is None or not 1 <= lineno <= len(lines):
            return None
        return lines[lineno - 1]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    return f"did you mean `{close[0]}`?" if close else None


_MAX_QUOTED = 160


def format_diagnostic(d: Diagnostic, sources: Sources | None = None) -> str:
    where = f"{d.span}: " if d.span else ""
    out = [f"{where}{d.severity}: {d.message}"]
    if d.span and sources is not None:
        text = sources.line(d.span.path, d.span.line)
        if text is not None:
            text = text.expandtabs(4)
            col = max(d.span.column, 1)
            if len(text) > _MAX_QUOTED:  # keep very long lines readable
                start = max(0, col - _MAX_QUOTED // 2)
                text = ("…" if start else "") + text[start : start + _MAX_QUOTED] + "…"
                col = col - start + (1 if start else 0)
            width = 1
            if d.span.end_line == d.span.line and d.span.end_column > d.span.column:
                width = d.span.end_column - d.span.column
            width = max(1, min(width, len(text) - col + 1))
            out.append(f"  {text}")
            out.append("  " + " " * (col - 1) + "^" + "~" * (width - 1))
    if d.hint:
        out.append(f"  hint: {d.hint}")
    return "\n".join(out)


def format_all(diags: Iterable[Diagnostic], sources: Sources | None = None, limit: int = 50) -> str:
    # one diagnostic once: the audit and the readings search may warn of the same missing value
    diags = sorted(dict.fromkeys(diags), key=_order)
    shown = [format_diagnostic(d, sources) for d in diags[:limit]]
    if len(diags) > limit:
        shown.append(f"... and {len(diags) - limit} more")
    return "\n".join(shown)


def _order(d: Diagnostic):
    s = d.span
    return (s.path, s.line, s.column) if s else ("", 0, 0)


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)
