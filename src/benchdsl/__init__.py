"""benchdsl: benchmarking rules as code.

The public API mirrors the command line: `check_paths` (parse and check rule
files) and `run_paths` (evaluate and audit).  Both are imported lazily so that
`import benchdsl` stays cheap.
"""

__version__ = "0.1.0"

__all__ = ["check_paths", "run_paths", "__version__"]


def __getattr__(name):
    if name in ("check_paths", "run_paths"):
        from benchdsl import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
