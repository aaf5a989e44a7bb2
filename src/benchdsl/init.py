"""`benchdsl init DIR`: a starter folder for an analyst's own analysis.

The files are package data (`templates/init/`), copied as they are: a rule
file that teaches by its comments, a small invented panel, the same values as
an SSB Statbank export with its mapping, and a README.  Only DIR is written:
it must not exist yet (its parent must) or be an empty folder, and every file
is created new, never written through an existing name.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

# In the order `init` lists them, with what each is.
FILES = {
    "analysis.bench": "the rules: three measures, three bases, one table",
    "panel.csv": "the data the rules read (invented values)",
    "ssb_statbank.csv": "the same values as an SSB Statbank export",
    "ssb_mapping.csv": "which SSB series feeds which panel variable",
    "README.md": "what each file is, and what to run next",
}


class InitError(Exception):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def template(name: str) -> bytes:
    return (resources.files("benchdsl") / "templates" / "init" / name).read_bytes()


def init(folder: str) -> list[Path]:
    """Write the starter files into `folder`; returns their paths.  Raises InitError, having
    written nothing, when the folder cannot be used."""
    target = Path(folder)
    if target.is_symlink():
        raise InitError(f"`{folder}` is a symbolic link", "give the name of a new folder: benchdsl init my_analysis")
    if target.exists() and not target.is_dir():
        raise InitError(f"`{folder}` exists and is not a folder",
                        "give the name of a new folder: benchdsl init my_analysis")
    if target.is_dir():
        try:
            entries = next(os.scandir(target), None)
        except OSError as exc:
            raise InitError(f"cannot read the folder `{folder}`: {exc.strerror}") from None
        if entries is not None:
            raise InitError(f"`{folder}` exists and is not empty",
                            "benchdsl init never writes over files: give a new folder's name, "
                            "e.g. benchdsl init my_analysis")
    else:
        parent = target.parent
        if not parent.is_dir():
            raise InitError(f"the folder `{parent}` does not exist",
                            "create it first, or give a folder in an existing one")
        try:
            target.mkdir()
        except OSError as exc:
            raise InitError(f"cannot create the folder `{folder}`: {exc.strerror}") from None
    contents = {name: template(name) for name in FILES}  # all read before anything is written
    written = []
    for name, data in contents.items():
        path = target / name
        # O_EXCL: a new file, never an existing one or the target of a symlink made meanwhile.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags, 0o666)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise InitError(f"cannot write `{path}`: {exc.strerror}") from None
        written.append(path)
    return written
