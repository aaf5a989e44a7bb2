"""Where something is written: path, line and column (1-based), as every diagnostic prints it.

Its own module, so that the checked program (`ir`), diagnostics and data loading need
not import the syntax tree's classes: a warm run never builds them.
"""

from __future__ import annotations

import attrs


@attrs.frozen(order=True)
class Span:
    path: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"
