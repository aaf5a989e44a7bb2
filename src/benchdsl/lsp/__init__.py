"""`benchdsl lsp`: a language server for .bench files (diagnostics, hover with figures, definitions,
references, completion, outline, formatting), over stdio.  Needs pygls: `pip install 'benchdsl[lsp]'`.

`project` keeps a program's texts and runs the passes on them, `symbols` indexes its names,
`hover` and `complete` answer from those, and `server` speaks LSP.  Only `server` imports pygls.
"""

from __future__ import annotations


def serve(log_file: str | None = None) -> int:
    """Run the server on stdin/stdout until the client says exit."""
    import logging

    if log_file:
        logging.basicConfig(filename=log_file, level=logging.INFO,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from benchdsl.lsp.server import make_server

    make_server().start_io()
    return 0
