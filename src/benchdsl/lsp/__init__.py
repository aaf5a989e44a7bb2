"""`benchdsl lsp`: a language server for .bench files (diagnostics, hover with figures, definitions,
references, completion, outline, formatting), over stdio.  Needs pygls: `pip install 'benchdsl[lsp]'`.

`project` keeps a program's texts and runs the passes on them, `symbols` indexes its names,
`hover` and `complete` answer from those, and `server` speaks LSP.  Only `server` imports pygls.
"""

from __future__ import annotations

import logging
import sys


class _OneLine(logging.Formatter):
    """stderr shows one line per problem; the whole story (tracebacks) goes to --log FILE."""

    def format(self, record: logging.LogRecord) -> str:
        return f"benchdsl lsp: {record.levelname.lower()}: {record.getMessage()}"


def serve(log_file: str | None = None) -> int:
    """Run the server on stdin/stdout until the client says exit (stdout carries the protocol only)."""
    root = logging.getLogger()
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(_OneLine())
    stderr.setLevel(logging.WARNING)
    root.addHandler(stderr)
    if log_file:
        detail = logging.FileHandler(log_file, encoding="utf-8")
        detail.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root.addHandler(detail)
        root.setLevel(logging.INFO)  # benchdsl's timings; pygls's every message only at its own DEBUG
        logging.getLogger("pygls").setLevel(logging.WARNING)
    from benchdsl.lsp.server import make_server

    make_server().start_io()
    return 0
