"""What does not change between runs, kept between runs.

A checked program is stored under a key made of benchdsl's version, the
grammar and every rule file's path and bytes: unchanged rules are not parsed
or checked again, so neither lark nor pint is imported.  The unit conversion
factors data loading needed are kept too.  Everything is written atomically;
a cache file that cannot be read is ignored (and rewritten), never an error.

BENCHDSL_CACHE=off turns caching off; BENCHDSL_CACHE_DIR chooses the folder
(default: $XDG_CACHE_HOME/benchdsl, or ~/.cache/benchdsl).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from importlib import resources
from pathlib import Path

from benchdsl import __version__

FORMAT = 1  # bump when the pickled classes change incompatibly


def enabled() -> bool:
    return os.environ.get("BENCHDSL_CACHE", "on").lower() not in ("off", "0", "no", "false")


def folder() -> Path:
    if os.environ.get("BENCHDSL_CACHE_DIR"):
        return Path(os.environ["BENCHDSL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "benchdsl"


def key(files: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    h.update(resources.files("benchdsl").joinpath("grammar.lark").read_bytes())
    for path, data in sorted(files):
        h.update(os.path.abspath(path).encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def load(name: str):
    if not enabled():
        return None
    try:
        with open(folder() / name, "rb") as f:
            return pickle.load(f)
    except Exception:  # a missing, partial or stale cache is only a miss
        return None


def store(name: str, value) -> None:
    if not enabled():
        return
    try:
        d = folder()
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{name}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / name)
    except OSError:
        pass  # a read-only home must not stop a run
