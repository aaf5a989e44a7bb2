"""Replaying a run: the output of an earlier `benchdsl run` whose inputs are all unchanged.

As ccache or make's depfiles do: which files a run reads is known only after
it ran, so a run is recorded -- every file it opened for reading and every
folder it listed, as Python's audit hooks report them -- together with what it
printed, in order, and its exit code.  A later run with the same key material
re-reads every recorded file and folder and, if each is as it was, prints the
recorded output and exits with the recorded code, importing nothing but this
module and `cache` (no attrs, lark, pint or numpy).

The key material, stored in the entry and compared whole (a copied or planted
entry of another run is a miss):

- benchdsl's code (`cache.code_key`: every file of the package, Python's
  version, where lark, pint, attrs and numpy are installed), the Python
  executable and its flags, and this module's FORMAT;
- the arguments exactly as given, the working directory, the effective user;
- the environment a run's output can depend on: every BENCHDSL_*, LC_* and
  PYTHON* variable and those in ENV_NAMES (locale, colour, terminal, HOME),
  except BENCHDSL_CACHE_DIR (a copy of the cache folder replays as well);
- for stdin, stdout and stderr: whether each is a terminal, its encoding and
  error handler.

The dependencies, checked on every replay: for each file the run opened for
reading, its path as opened, its resolved path, size and the sha256 of its
bytes (or that it did not exist); for each folder it listed, its resolved path
and the names and kinds of its entries.  Files and folders of benchdsl's
package are in the code key instead; those of Python's installation (the
standard library, site-packages) only when they are neither modules nor
packages' metadata.

Hashed when the run opens the file, before it reads it: if the file changes
after that, the stored hash is of the old bytes and the next run is a miss.
A file whose size or times changed by the end of the run is never kept.

What is never kept (the run goes on as usual, and `-v` says why):
`-o FILE` (other than `-`) or `--html` (they write files), `--progress`, and any
run that shows progress, writes a file, lists a folder by descriptor, changes
directory, starts a process, opens a socket, reads a FIFO, device or /proc
file, prints a Python warning, writes bytes to stdout/stderr directly, exits
other than 0 or 1, or prints more than MAX_OUTPUT characters.  Other commands
than `run` are never recorded.  BENCHDSL_CACHE=off turns replaying off.

An entry is `run-<sha256 of the key material>.json` in the cache folder,
written and read as every entry is (`cache.Folder`: private, O_NOFOLLOW, a
header with the key and the sha256 of the body, atomic rename).  Anything
unexpected in it is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
import time

from benchdsl import cache

FORMAT = 1
MAX_OUTPUT = 16 << 20  # characters of stdout and stderr together; a longer output is not kept
MAX_HASHED = 1 << 30  # bytes of inputs hashed while recording; a run that reads more is not kept
ENV_NAMES = frozenset((
    "HOME", "LANG", "LANGUAGE", "TZ", "TERM", "COLUMNS", "LINES",
    "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE",
))
ENV_PREFIXES = ("BENCHDSL_", "LC_", "PYTHON")
_NOT_KEY = frozenset(("BENCHDSL_CACHE_DIR",))  # where the entry is found, nothing a run prints depends on it
# Audit events after which a run's output may depend on more than its key and the files it read,
# or after which it has done more than print.  (Opening a file to write is checked in `Recorder.opened`.)
SPOILERS = {
    "os.chdir": "it changed directory", "os.fchdir": "it changed directory",
    "os.system": "it started a process", "subprocess.Popen": "it started a process",
    "os.exec": "it started a process", "os.posix_spawn": "it started a process", "os.spawn": "it started a process",
    "os.fork": "it forked", "os.forkpty": "it forked",
    "socket.connect": "it used the network", "socket.bind": "it used the network",
    "socket.getaddrinfo": "it used the network",
    "os.remove": "it removed a file", "os.rmdir": "it removed a folder", "os.rename": "it renamed a file",
    "os.mkdir": "it made a folder", "os.symlink": "it made a link", "os.link": "it made a link",
    "os.truncate": "it truncated a file", "os.chmod": "it changed a file's mode",
    "os.chown": "it changed a file's owner", "os.utime": "it changed a file's times",
}
_MODULE_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pyd", ".pth", ".zip")
# Inside Python's installation, what importing and importlib.metadata read besides modules.
_INSTALLED = re.compile(r"/(?:__pycache__|[^/]+\.(?:dist|egg)-info)/")


def eligible(argv: list[str]) -> bool:
    """Whether these arguments could be replayed or recorded at all (before parsing them)."""
    return bool(argv) and argv[0] == "run" and cache.enabled()


# --- the key ----------------------------------------------------------------


def material(argv: list[str]) -> dict | None:
    """Everything besides the files read that a run's output may depend on, as JSON values."""
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was removed
        return None
    env = sorted([k, v] for k, v in os.environ.items()
                 if (k in ENV_NAMES or k.startswith(ENV_PREFIXES)) and k not in _NOT_KEY)
    streams = []
    for s in (sys.stdin, sys.stdout, sys.stderr):
        try:
            tty = bool(s is not None and s.isatty())
        except (AttributeError, ValueError, OSError):
            tty = None
        streams.append([tty, getattr(s, "encoding", None), getattr(s, "errors", None)])
    return {"format": FORMAT, "code": cache.code_key(), "python": [sys.executable, list(sys.flags)],
            "args": list(argv), "cwd": cwd, "user": os.geteuid(), "env": env, "streams": streams}


def _key(m: dict) -> tuple[str, str]:
    key = hashlib.sha256(json.dumps(m, sort_keys=True).encode()).hexdigest()
    return f"run-{key}.json", key


# --- what a file and a folder look like now ----------------------------------


def _file_now(path: str, size: int | None = None) -> list | None:
    """[realpath, size, sha256] of a regular file, [realpath, None, None] if there is none, None if
    it is something else (a FIFO, a device: never read here), cannot be read, or is not `size`
    bytes long when a size is expected (then it is not read either)."""
    real = os.path.realpath(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | os.O_CLOEXEC)
    except FileNotFoundError:
        return [real, None, None]
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or (size is not None and st.st_size != size):
            return None
        h = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            h.update(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return [real, st.st_size, h.hexdigest()]


def _folder_now(path: str) -> list | None:
    """[realpath, sha256 of its sorted entries with their kinds], or None if it cannot be listed."""
    try:
        with os.scandir(path) as it:
            names = sorted([e.name, e.is_dir(), e.is_file(), e.is_symlink()] for e in it)
    except OSError:
        return None
    return [os.path.realpath(path), hashlib.sha256(json.dumps(names).encode()).hexdigest()]


# --- replaying --------------------------------------------------------------


def replay(argv: list[str]) -> int | None:
    """Print the output of the recorded run with these arguments and return its exit code, if its
    key material and every file and folder it read are as they were; None otherwise."""
    t = time.perf_counter()
    m = material(argv)
    if m is None:
        return None
    name, key = _key(m)
    box, _ = cache.open_folder()
    if box is None:
        return None
    with box:
        body = box.read(name, key)
    entry = _entry(body) if body is not None else None
    if entry is None or entry["key"] != m:
        return None
    for path, real, size, digest in entry["files"]:
        now = _file_now(path, size)
        if now is None or now != [real, size, digest]:
            return None
    for path, real, digest in entry["folders"]:
        if _folder_now(path) != [real, digest]:
            return None
    for fd, text in entry["output"]:
        if fd == 2:
            sys.stderr.write(text)
            sys.stderr.flush()
            continue
        try:  # as `files.write_output("-", ...)` writes a report, without importing it unless it fails
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError as exc:
            from benchdsl.files import stdout_failed

            print(f"error: {stdout_failed(exc)}", file=sys.stderr)  # a broken pipe raises: exit 141
            return 2
    if entry["verbose"]:
        print(f"replayed: the output of an earlier run with these arguments, environment and code; "
              f"its {len(entry['files'])} files and {len(entry['folders'])} folders are unchanged "
              f"({(time.perf_counter() - t) * 1000:.1f} ms)", file=sys.stderr)
    return entry["exit"]


def _entry(body: bytes) -> dict | None:
    """The entry in `body` if it has exactly the expected shape, else None."""
    try:
        e = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    if (type(e) is not dict or e.keys() != {"key", "files", "folders", "output", "exit", "verbose"}
            or type(e["key"]) is not dict or type(e["exit"]) is not int or e["exit"] not in (0, 1)
            or type(e["verbose"]) is not bool):
        return None
    files, folders, output = e["files"], e["folders"], e["output"]
    if type(files) is not list or type(folders) is not list or type(output) is not list:
        return None
    for f in files:
        if not (type(f) is list and len(f) == 4 and type(f[0]) is str and type(f[1]) is str
                and ((f[2] is None and f[3] is None) or (type(f[2]) is int and type(f[3]) is str))):
            return None
    for f in folders:
        if not (type(f) is list and len(f) == 3 and all(type(x) is str for x in f)):
            return None
    for o in output:
        if not (type(o) is list and len(o) == 2 and o[0] in (1, 2) and type(o[0]) is int and type(o[1]) is str):
            return None
    return e


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


# --- recording --------------------------------------------------------------


class _Tee:
    """A text stream that writes through and records what was written, in order with the other one."""

    def __init__(self, stream, fd: int, recorder: Recorder):
        self._stream, self._fd, self._recorder = stream, fd, recorder

    def write(self, text: str) -> int:
        n = self._stream.write(text)
        self._recorder.printed(self._fd, text)
        return n

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    @property
    def buffer(self):
        self._recorder.spoil("it wrote bytes to standard output or error")
        return self._stream.buffer

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _Spoiling:
    """A stream whose use means the run is not kept (progress: its text depends on timing)."""

    def __init__(self, stream, recorder: Recorder, why: str):
        self._stream, self._recorder, self._why = stream, recorder, why

    def write(self, text: str) -> int:
        self._recorder.spoil(self._why)
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


_EVENTS = frozenset(("open", "os.scandir", "os.listdir", *SPOILERS))
_active: list = [None]  # the recorder the audit hook reports to, if any
_hooked = [False]


def _hook(event: str, args: tuple) -> None:
    # Called for every audited event of the process (a warm run has ~10 000, mostly `builtins.id`
    # and the import system's), so the common case returns at once.
    if event not in _EVENTS:
        return
    recorder = _active[0]
    if recorder is None or recorder.busy or not cache.tracked():
        return
    try:
        if event == "open":
            recorder.opened(*args[:3])
        elif event == "os.scandir" or event == "os.listdir":
            recorder.listed(args[0] if args else ".")
        elif event in SPOILERS:
            recorder.spoil(SPOILERS[event])
    except Exception as exc:  # noqa: BLE001 -- an exception here would fail the run's own open
        recorder.busy = False
        recorder.spoil(f"recording failed ({type(exc).__name__})")


class Recorder:
    """Records a run: what it read and printed.  `start` it before the run, `finish` after."""

    def __init__(self, m: dict):
        self.material = m
        self.cwd = m["cwd"]
        self.files: dict[str, list] = {}  # path as opened -> [realpath, size, sha256, stat when hashed]
        self.folders: dict[str, list] = {}  # path -> [realpath, sha256 of the listing]
        self.output: list[list] = []
        self.size = 0
        self.hashed = 0
        self.why: str | None = None  # why this run is not kept, once it is known
        self.busy = False
        self.streams = sys.stdout, sys.stderr
        self.showwarning = None
        self.ignored = tuple({os.path.join(os.path.realpath(p), "") for p in
                              (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)})
        self.package = os.path.join(os.path.dirname(os.path.realpath(cache.__file__)), "")

    @classmethod
    def start(cls, argv: list[str]) -> Recorder | None:
        m = material(argv)
        if m is None:
            return None
        rec = cls(m)
        sys.stdout, sys.stderr = _Tee(sys.stdout, 1, rec), _Tee(sys.stderr, 2, rec)
        _active[0] = rec
        if not _hooked[0]:
            sys.addaudithook(_hook)  # once per process; it does nothing while no recorder is active
            _hooked[0] = True
        import warnings

        rec.showwarning = shown = warnings.showwarning

        def showwarning(*args, **kw):
            rec.spoil("Python printed a warning")
            return shown(*args, **kw)

        warnings.showwarning = showwarning
        return rec

    def spoil(self, why: str) -> None:
        if self.why is None:
            self.why = why

    def progress_stream(self, stream):
        return _Spoiling(stream, self, "it showed progress")

    # --- what the audit hook reports

    def _ours(self, full: str, module_like: bool) -> bool:
        """Covered by the code key: benchdsl's package, or a module of Python's installation."""
        return full.startswith(self.package) or (module_like and full.startswith(self.ignored))

    def opened(self, path, mode=None, flags=0) -> None:
        if isinstance(path, int):  # a descriptor opened (and reported) before
            return
        path = os.fsdecode(path)
        if isinstance(mode, str):
            writing = any(c in mode for c in "wax+")
        else:
            writing = (flags or 0) & (os.O_ACCMODE | os.O_CREAT | os.O_TRUNC | os.O_APPEND) != os.O_RDONLY
        full = os.path.normpath(os.path.join(self.cwd, path))
        if writing:
            self.spoil("it wrote a file")
            return
        if self._ours(full, full.endswith(_MODULE_SUFFIXES) or _INSTALLED.search(full) is not None):
            return
        if full.startswith(("/proc/", "/sys/", "/dev/")):
            self.spoil(f"it read `{path}`, which is not a file")
            return
        self.busy = True
        try:
            self._hash(path)
        finally:
            self.busy = False

    def _hash(self, path: str) -> None:
        if path in self.files or self.why is not None:
            return
        try:
            before = os.stat(path)
        except FileNotFoundError:
            self.files[path] = [os.path.realpath(path), None, None, None]
            return
        except OSError:
            self.spoil(f"it could not read `{path}`")
            return
        if not stat.S_ISREG(before.st_mode):
            self.spoil(f"it read `{path}`, which is not a regular file")
            return
        self.hashed += before.st_size
        if self.hashed > MAX_HASHED:
            self.spoil("it read too much")
            return
        now = _file_now(path)
        if now is None or now[1] is None:
            self.spoil(f"it could not read `{path}`")
            return
        self.files[path] = [*now, _signature(before)]

    def listed(self, path) -> None:
        if isinstance(path, int):
            self.spoil("it listed a folder by its descriptor")
            return
        path = os.fsdecode(path) if path is not None else "."
        full = os.path.normpath(os.path.join(self.cwd, path))
        if self._ours(full, True) or path in self.folders:
            return
        self.busy = True
        try:
            now = _folder_now(path)
        finally:
            self.busy = False
        if now is None:
            self.spoil(f"it could not list `{path}`")
        else:
            self.folders[path] = now

    def printed(self, fd: int, text: str) -> None:
        if self.why is not None:
            return
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            self.spoil("its output is too long")
            self.output = []
        elif self.output and self.output[-1][0] == fd:
            self.output[-1][1] += text
        else:
            self.output.append([fd, text])

    # --- the end

    def stop(self) -> None:
        """Stop recording: the streams are the real ones again."""
        if _active[0] is self:
            import warnings

            _active[0] = None
            sys.stdout, sys.stderr = self.streams
            warnings.showwarning = self.showwarning

    def finish(self, code: int, why_not: str | None, verbose: bool) -> str:
        """Keep the run if it may be replayed; what happened, for `-v`."""
        self.stop()
        why = why_not or self.why
        if why is None and code not in (0, 1):
            why = "its input is unusable (exit 2)" if code == 2 else f"it exited with {code}"
        if why is None:
            why = self._changed()
        if why is not None:
            return f"not kept for replay: {why}"
        entry = {"key": self.material, "files": [[p, *f[:3]] for p, f in self.files.items()],
                 "folders": [[p, *f] for p, f in self.folders.items()], "output": self.output,
                 "exit": code, "verbose": verbose}
        try:
            body = json.dumps(entry, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")
        except (TypeError, ValueError, RecursionError) as exc:  # a bug, but never a failed run
            return f"not kept for replay: {exc}"
        if len(body) > cache.MAX_ENTRY - 1024:
            return "not kept for replay: its output is too long"
        name, key = _key(self.material)
        box, _ = cache.open_folder()
        if box is None:
            return "not kept for replay: no cache folder"
        with box:
            box.write(name, key, body)  # a full disk only means nothing is kept
        return f"kept for replay: {len(self.files)} files and {len(self.folders)} folders read"

    def _changed(self) -> str | None:
        """Why not, if a file or folder the run read changed while it ran."""
        for path, (real, size, _, sig) in self.files.items():
            try:
                now = _signature(os.stat(path))
            except FileNotFoundError:
                now = None
            except OSError:
                return f"`{path}` cannot be read any more"
            if now != sig:
                return f"`{path}` changed while the run read it"
        for path, now in self.folders.items():
            if _folder_now(path) != now:
                return f"the folder `{path}` changed while the run read it"
        return None


def _signature(st: os.stat_result) -> list:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
