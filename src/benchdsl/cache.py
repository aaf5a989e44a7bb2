"""What is kept between runs, kept so that it can neither change a figure nor run code.

Data files (panels, mappings) are read fresh on every run: nothing read from
them is kept.  What is kept is derived from rule files and benchdsl's code:

- `rules-<key>.json`: the checked program of a set of rule files (`ir.Program`)
  and the checker's warnings, so that unchanged rules are neither parsed nor
  checked again and neither lark nor pint is imported.
- `units.json`: unit facts (`units.KNOWN`: the factor between two unit texts,
  whether a unit counts things).  The texts may come from a panel's unit
  column, but a fact is a pure function of them and of benchdsl's and pint's
  code, never a value from a file.  Kept so that a run whose units are all
  known does not import pint (~150 ms).  Each fact is checked when read (a
  finite positive float, a bool).

The key of a checked program covers everything the program depends on: this
module's FORMAT, benchdsl's version and every file of its package (code, grammar,
the shipped register; size, mtime, ctime, inode), Python's version, where lark,
pint, attrs and numpy are installed (and the same of their __init__.py), the
current working directory (spans and panel paths in the
program are relative to it), and, for each rule file in order, the path as
given, its resolved absolute path and the sha256 of its bytes.  A file the rules
name and the checker reads (a group's KLASS classification file) is known only
once they are parsed: the program records its path and sha256 (`Program.inputs`),
and a kept program is a miss unless each still has those bytes.  `units.json`
carries the code part of that key and is a miss when it differs.

Format: no pickle.  An entry is two lines: a JSON header {"format", "key",
"sha256" of the second line}, then the value as JSON (`benchdsl.safejson`),
which can build only the classes allowed below.  A header that does not match
is a miss, so an entry copied under another name or edited is never used.

The folder (BENCHDSL_CACHE_DIR, else $XDG_CACHE_HOME/benchdsl, else
~/.cache/benchdsl) is created with mode 0700.  It is used only when it belongs
to the effective user and is not writable by group or others (nor a symlink
made by another user); otherwise the run goes without the cache and the
pipeline warns once.  Only the folder's
owner can then put files into it.  An entry is written to a fresh temporary
file (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) in the folder, fsynced, and
renamed onto its name (a rename replaces a symlink, it does not follow it);
the temporary file is removed on any failure.  Entries are opened with
O_NOFOLLOW; anything unexpected (missing, a symlink, not a regular file of
ours, corrupt, the wrong shape or class) is a miss, and the entry is rewritten.

BENCHDSL_CACHE=off turns caching off: the folder is not even created.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import stat
import sys

from benchdsl import __version__

FORMAT = 3  # bump when the layout of an entry or of the kept classes changes
MAX_ENTRY = 64 << 20  # bytes; a bigger file is not ours
UNITS = "units.json"

_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_CREATE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
# Without these the rules above cannot be kept (not on POSIX): then there is no cache.
_SUPPORTED = (hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and hasattr(os, "geteuid")
              and {os.open, os.rename, os.unlink} <= os.supports_dir_fd)  # rename: replace's twin


def enabled() -> bool:
    return os.environ.get("BENCHDSL_CACHE", "on").lower() not in ("off", "0", "no", "false")


def folder() -> str:
    if os.environ.get("BENCHDSL_CACHE_DIR"):
        return os.path.normpath(os.environ["BENCHDSL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.normpath(os.path.join(base, "benchdsl"))


# Opens in the cache folder are relative to its descriptor and derived from inputs
# the run's key already covers: the recorder of `replay` does not count them as inputs.
_untracked = [0]


@contextlib.contextmanager
def untracked():
    _untracked[0] += 1
    try:
        yield
    finally:
        _untracked[0] -= 1


def tracked() -> bool:
    return not _untracked[0]


# --- the folder -------------------------------------------------------------


class Folder:
    """The cache folder, opened once and checked; entries are read and written relative to it."""

    def __init__(self, fd: int, path: str):
        self.fd, self.path = fd, path

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def read(self, name: str, key: str) -> bytes | None:
        """The value stored under `name` for `key`, or None for anything unexpected."""
        with untracked():
            return self._read(name, key)

    def _read(self, name: str, key: str) -> bytes | None:
        try:
            fd = os.open(name, _READ, dir_fd=self.fd)
        except OSError:  # missing, or a symlink (ELOOP)
            return None
        try:
            st = os.fstat(fd)
            if (not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022
                    or st.st_size > MAX_ENTRY):
                return None
            chunks, size = [], 0
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_ENTRY:
                    return None
        except OSError:
            return None
        finally:
            os.close(fd)
        head, _, body = b"".join(chunks).partition(b"\n")
        if len(head) > 256:  # ours is ~170 bytes; this also keeps deep nesting out of the decoder
            return None
        try:
            header = json.loads(head)
        except ValueError:
            return None
        if header != {"format": FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()}:
            return None
        return body

    def write(self, name: str, key: str, body: bytes) -> None:
        """Store `body` under `name` for `key`: a new private file, renamed into place."""
        with untracked():
            self._write(name, key, body)

    def _write(self, name: str, key: str, body: bytes) -> None:
        header = json.dumps({"format": FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()})
        tmp = temp_name(name)
        try:
            fd = os.open(tmp, _CREATE, 0o600, dir_fd=self.fd)
        except OSError:  # a full disk, or something already at that name: store nothing
            return
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header.encode("ascii") + b"\n" + body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=self.fd)
            if not isinstance(exc, OSError):  # a full disk only means nothing is kept
                raise


def temp_name(name: str) -> str:
    return f".{name}.{os.getpid()}.{os.urandom(8).hex()}.tmp"


def open_folder() -> tuple[Folder | None, str | None]:
    """The cache folder, if caching is on and the folder is safe to use; else None and why.

    The reason is None when caching is off or the folder cannot be made (a
    read-only home must not stop a run, nor be reported on every run).
    """
    if not enabled() or not _SUPPORTED:
        return None, None
    with untracked():
        return _open_folder(folder())


def _open_folder(path: str) -> tuple[Folder | None, str | None]:
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        link = os.lstat(path)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None, None
    try:
        st = os.fstat(fd)  # the folder itself, checked on the descriptor every entry is opened through
    except OSError:
        os.close(fd)
        return None, None
    why = None
    if stat.S_ISLNK(link.st_mode) and link.st_uid != os.geteuid():
        why = f"not using the cache: `{path}` is a link made by another user"
    elif st.st_uid != os.geteuid():
        why = f"not using the cache: `{path}` belongs to another user"
    elif st.st_mode & 0o022:
        who = " and ".join(w for w, bit in (("group", 0o020), ("others", 0o002)) if st.st_mode & bit)
        why = f"not using the cache: `{path}` is writable by {who}"
    if why:
        os.close(fd)
        return None, why
    return Folder(fd, path), None


UNSAFE_HINT = ("anyone who can write there could change figures; make it private (chmod 700), "
               "choose another folder with BENCHDSL_CACHE_DIR, or set BENCHDSL_CACHE=off")


def unsafe_folder() -> str | None:
    """Why the cache folder is not used this run, if it is not safe to use."""
    box, why = open_folder()
    if box:
        box.close()
    return why


# --- keys -------------------------------------------------------------------


@functools.cache
def code_key() -> str:
    """What every kept value depends on besides its inputs: benchdsl's package, Python, its dependencies.

    Code files are known by size, mtime, ctime and inode, not read: that costs a
    tenth of hashing them on every run, and ctime cannot be set back, so even
    an edit that keeps size and mtime changes the key.
    """
    parts: list = [FORMAT, __version__, sys.version]
    package = os.path.dirname(os.path.abspath(__file__))
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".pyc"):
                parts.append([root[len(package):], name, *_stat(os.path.join(root, name))])
    for dep in ("lark", "pint", "attrs", "numpy"):  # found, not imported
        origin = _origin(dep)
        parts.append([dep, origin, *(_stat(origin) if origin else ())])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


_PLAIN_FINDERS = {"BuiltinImporter", "FrozenImporter", "PathFinder", "DistutilsMetaFinder"}


def _origin(package: str) -> str:
    """The __init__.py that `import package` would run, without importing it.

    The first folder on sys.path that has it, as the path finder looks; importlib's own search
    (whose import costs a few ms of every replayed run) only when other finders are installed.
    """
    if all(getattr(f, "__name__", type(f).__name__) in _PLAIN_FINDERS for f in sys.meta_path):
        for entry in sys.path:
            init = os.path.join(entry or os.curdir, package, "__init__.py")
            if os.path.isfile(init):
                return os.path.abspath(init)
    import importlib.util

    spec = importlib.util.find_spec(package)
    return spec.origin if spec and spec.origin else ""


def _stat(path: str) -> tuple[int, ...]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def rules_key(files: list[tuple[str, bytes]]) -> str | None:
    """The key of the program checked from these (path, bytes), in this order; None if none is kept."""
    if not enabled():
        return None
    try:
        parts = [code_key(), os.getcwd()]
        for path, data in files:
            parts.append([path, os.path.realpath(path), hashlib.sha256(data).hexdigest()])
    except OSError:  # the working directory was removed
        return None
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _read(name: str, key: str) -> bytes | None:
    box, _ = open_folder()
    if box is None:
        return None
    with box:
        return box.read(name, key)


def _write(name: str, key: str, body: bytes) -> None:
    box, _ = open_folder()
    if box is not None:
        with box:
            box.write(name, key, body)


# --- checked programs -------------------------------------------------------


@functools.cache
def _program_codec():
    from benchdsl import ir
    from benchdsl.span import Span
    from benchdsl.diagnostics import Diagnostic
    from benchdsl.safejson import Codec

    return Codec((
        ir.Const, ir.OwnVal, ir.MemberSet, ir.Mean, ir.WMean, ir.Best, ir.Peer, ir.Year, ir.Literal,
        ir.NeedMean,
        ir.BasisVal, ir.PeerOf, ir.Gap, ir.LetRef, ir.SavingRef, ir.CellRef, ir.Arith, ir.Neg,
        ir.Extreme, ir.AtYear, ir.Growth, ir.Scaled, ir.Indicator, ir.Scenario, ir.Adjust, ir.Measure, ir.PubValue,
        ir.Claim, ir.Column, ir.Row, ir.Table, ir.Chart, ir.ChartMark, ir.Known, ir.Reading, ir.Program, Span, Diagnostic, ir.Form, ir.RowKind,
    ))


def load_program(key: str):
    """(program, warnings) kept for `key`, or None."""
    from benchdsl import ir
    from benchdsl.diagnostics import Diagnostic

    body = _read(f"rules-{key}.json", key)
    if body is None:
        return None
    try:
        value = _program_codec().loads(body)
    except Exception:  # noqa: BLE001 -- whatever the decoder makes of a bad file, it is a miss
        return None
    if (type(value) is not dict or value.keys() != {"program", "warnings"}
            or type(value["program"]) is not ir.Program or type(value["warnings"]) is not tuple
            or any(type(d) is not Diagnostic for d in value["warnings"])):
        return None
    if not _inputs_unchanged(value["program"].inputs):
        return None
    return value["program"], list(value["warnings"])


def _inputs_unchanged(inputs) -> bool:
    """The files besides the rules that the program was checked from (a group's KLASS file), read
    again: a kept program is used only while each has the bytes it was checked with."""
    from benchdsl.files import DATA_LIMIT, InputError, read_input

    for path, digest in inputs:
        try:
            if hashlib.sha256(read_input(path, "file", DATA_LIMIT)).hexdigest() != digest:
                return False
        except InputError:
            return False
    return True


def store_program(key: str, program, warnings) -> None:
    try:
        text = _program_codec().dumps({"program": program, "warnings": tuple(warnings)})
    except (TypeError, ValueError, RecursionError):  # something not meant to be kept: keep nothing
        return
    _write(f"rules-{key}.json", key, text.encode("ascii"))


# --- unit facts -------------------------------------------------------------


def _unit_fact(entry) -> tuple[tuple, object] | None:
    if type(entry) is not list:
        return None
    if len(entry) == 4 and entry[0] == "factor":
        _, src, dst, value = entry
        if type(src) is str and type(dst) is str and type(value) is float and math.isfinite(value) and value > 0:
            return ("factor", src, dst), value
    if len(entry) == 3 and entry[0] == "count":
        _, text, value = entry
        if type(text) is str and type(value) is bool:
            return ("count", text), value
    return None


def load_units() -> dict:
    """The unit facts kept, all of them checked; {} if any is not what it should be."""
    body = _read(UNITS, code_key()) if enabled() else None
    if body is None:
        return {}
    from benchdsl.safejson import PLAIN

    try:
        entries = PLAIN.loads(body)
    except (ValueError, TypeError, RecursionError):
        return {}
    if type(entries) is not list:
        return {}
    facts = [_unit_fact(e) for e in entries]
    if any(f is None for f in facts):
        return {}
    return dict(facts)


def store_units(known: dict, kept: dict) -> None:
    """Keep the unit facts in `known` if there is one that `kept` (what load_units gave) lacks."""
    if not enabled():
        return
    entries = [[*k, v] for k, v in known.items() if type(k) is tuple and _unit_fact([*k, v]) is not None]
    if all(tuple(e[:-1]) in kept for e in entries):
        return
    _write(UNITS, code_key(), json.dumps(entries, allow_nan=False).encode("ascii"))
