"""Reading input files safely, and writing files without ever leaving a half-written one behind.

`read_input` reads a regular file only, bounded in size (no FIFO can hang a run).

Two policies (docs/output.md explains them to the analyst):

* `write_output` for reports (`-o`, `--html`): `-` is stdout; a device, FIFO
  or `/dev/stdout` is written through, never replaced; a regular file is
  replaced atomically (keeping its mode); an input of the run is refused.
* `rewrite` for `fmt`: the rule file's content changes, the file stays the same
  file — its symlinks, hard links, owner and mode are kept.

Both build the new content in a temporary `.benchdsl-*` file beside the target
first (so a full disk fails before the original is touched) and remove it on
any error and on SIGTERM, SIGINT or SIGHUP.  SIGKILL cannot be caught: a
process killed by it may leave one `.benchdsl-*.tmp` file; a target replaced
by rename is old or new, one copied in place (fmt: hard links, another owner)
can then be cut short.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator

TEMP_PREFIX = ".benchdsl-"
_SIGNALS = tuple(getattr(signal, s) for s in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, s))


class WriteError(Exception):
    """A file that cannot be written; the message is for the analyst: `cannot write X: why`."""


def write_output(path: str, text: str | Iterable[str], inputs: Iterable[str] = ()) -> None:
    """Write a report to `path` (`-`: stdout) as the module docstring says; WriteError if it cannot.
    `text` may come in chunks (a national `--for all` table), written as they come."""
    chunks = (text,) if isinstance(text, str) else text
    if path == "-":
        for chunk in chunks:
            _to_stdout(chunk, "standard output")
        return
    check_output(path, inputs)
    fd = _own_descriptor(path)
    if fd is not None:  # /dev/stdout, /dev/fd/2, /proc/self/fd/1: what this process already has open
        for chunk in chunks:
            _write_fd(fd, chunk, path)
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None  # a new file (or a symlink to a file not yet there)
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {_why(exc, path)}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise WriteError(f"cannot write {path}: it is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_through(path, chunks)
        return
    real = os.path.realpath(path)
    if st is not None and not os.access(real, os.W_OK):
        raise WriteError(f"cannot write {path}: the file is read-only")
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    with _temporary(real, path) as tmp:
        for chunk in chunks:
            _write_all(tmp.fd, chunk.encode("utf-8"), path, sync=False)
        _write_all(tmp.fd, b"", path)
        os.fchmod(tmp.fd, mode)
        _commit(tmp, real, path)

MiB = 1 << 20
RULES_LIMIT = 16 * MiB  # a rule file is text a person wrote
DATA_LIMIT = 2048 * MiB  # a panel or SSB export; the ASSS panels are a few MB

_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class InputError(Exception):
    """A file that cannot be read as input: the message and hint of a diagnostic."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def _nearby(path: str, exc: OSError) -> str | None:
    import errno

    return closest_name(path) if exc.errno == errno.ENOENT else None


def closest_name(path: str) -> str | None:
    """A path that is not there: 'did you mean …' with the closest name in its folder (`panel.csv`
    for `pannel.csv`, `rules` for `rule/`), or None."""
    from benchdsl.diagnostics import did_you_mean

    path = os.path.normpath(path)
    try:
        with os.scandir(os.path.dirname(path) or ".") as entries:
            names = [e.name for _, e in zip(range(2000), entries)]  # a huge folder: the first 2 000
    except OSError:
        return None
    return did_you_mean(os.path.basename(path), names)


def read_input(path: str, what: str, limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them; InputError otherwise.

    Opened non-blocking, so a FIFO without a writer cannot hang the run, then
    refused unless it is a regular file: a pipe, a terminal or /dev/zero would
    never end (or never start).  At most limit + 1 bytes are read, so a file that
    grows, or one whose size the kernel does not report (/proc), is still bounded.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        kind = _kind(path)  # a socket cannot be opened at all (ENXIO)
        if kind:
            raise InputError(*_not_regular(path, what, kind)) from None
        raise InputError(f"cannot read {what} `{path}`: {exc.strerror}", _nearby(path, exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{what} `{path}` is a directory, not a file", "name a file in it")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(*_not_regular(path, what, _mode_kind(st.st_mode)))
        if st.st_size > limit:
            raise InputError(*_too_large(path, what, st.st_size, limit))
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(16 * MiB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputError(*_too_large(path, what, None, limit))
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read {what} `{path}`: {exc.strerror}") from None
    finally:
        os.close(fd)


def _kind(path: str) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else _mode_kind(mode)


def _mode_kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a file")


def _not_regular(path: str, what: str, kind: str) -> tuple[str, str]:
    return (f"{what} `{path}` is not a regular file ({kind})",
            "benchdsl reads only regular files: save it to a file first")


def _too_large(path: str, what: str, size: int | None, limit: int) -> tuple[str, str]:
    said = _size(size) if size is not None else f"over {_size(limit)}"
    return f"{what} `{path}` is too large ({said}; the limit is {_size(limit)})", "is this the right file?"


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB and n % MiB == 0 else f"{n:,} bytes"


def write_atomic(path: str, text: str) -> None:
    """Kept for older callers: `write_output` without inputs to protect."""
    write_output(path, text)


def check_output(path: str, inputs: Iterable[str]) -> None:
    """WriteError for what can be told before writing: `path` is one of the files this run read
    (a rule file, a panel, a mapping), a folder, or in a folder that does not exist."""
    if path == "-":
        return
    for src in inputs:
        if _same_file(path, src):
            spelled = "" if os.path.normpath(src) == os.path.normpath(path) else f" (read as {src})"
            raise WriteError(f"cannot write {path}: it is an input of this run{spelled}; "
                             "choose another file name")
    if os.path.isdir(path):
        raise WriteError(f"cannot write {path}: it is a folder; give a file name")
    real = os.path.realpath(path)
    if not os.path.isdir(os.path.dirname(real)):
        folder = _folder(real, path)
        if os.path.exists(folder.rstrip("/")):
            raise WriteError(f"cannot write {path}: {folder.rstrip('/')} is not a folder")
        raise WriteError(f"cannot write {path}: the folder {folder} does not exist")


def rewrite(path: str, text: str) -> None:
    """Give the rule file `path` the content `text`, keeping it the same file (see docs/output.md).

    A symlink's target is edited.  A file with one link whose owner and mode a
    new file can be given is replaced atomically; otherwise (hard links, an
    owner we cannot give) the content is copied into the original in place,
    with SIGTERM/SIGINT/SIGHUP held back until the copy is complete.
    """
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {_why(exc, path)}") from None
    if not stat.S_ISREG(st.st_mode):
        raise WriteError(f"cannot write {path}: it is not a regular file")
    if not os.access(real, os.W_OK):
        raise WriteError(f"cannot write {path}: the file is read-only")
    data = text.encode("utf-8")
    with _temporary(real, path) as tmp:
        _write_all(tmp.fd, data, path)  # a full disk fails here, before the original is touched
        if st.st_nlink == 1 and _give_owner(tmp.fd, st):
            os.fchmod(tmp.fd, stat.S_IMODE(st.st_mode))
            _commit(tmp, real, path)
            return
        with _signals_held():
            tmp.remove()  # frees its blocks for the copy below
            _copy_in_place(real, data, path)


# --- the pieces -------------------------------------------------------------------


def _write_all(fd: int, data: bytes, shown: str, sync: bool = True) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if sync:
            os.fsync(fd)
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {_why(exc, shown)}") from None


def _commit(tmp: _Temp, real: str, shown: str) -> None:
    """Put the finished temporary file in the target's place."""
    tmp.close()
    try:
        os.replace(tmp.path, real)
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {_why(exc, shown)}") from None
    tmp.moved()
    with contextlib.suppress(OSError):  # the rename itself survives a crash (not every system can)
        dfd = os.open(os.path.dirname(real), os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _copy_in_place(real: str, data: bytes, shown: str) -> None:
    """Overwrite the file's content (same inode: hard links and owner stay); restore it on failure."""
    try:
        fd = os.open(real, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {_why(exc, shown)}") from None
    try:
        old = b""
        with contextlib.suppress(OSError):
            old = os.pread(fd, os.fstat(fd).st_size, 0)
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            _write_all(fd, data, shown)
            os.ftruncate(fd, len(data))
            os.fsync(fd)
        except (OSError, WriteError) as exc:
            with contextlib.suppress(OSError):
                os.pwrite(fd, old, 0)
                os.ftruncate(fd, len(old))
                os.fsync(fd)
            if isinstance(exc, WriteError):
                raise
            raise WriteError(f"cannot write {shown}: {_why(exc, shown)}") from None
    finally:
        os.close(fd)


def _write_through(path: str, chunks: Iterable[str]) -> None:
    """A device or FIFO: opened and written like `>` does, never replaced by a file."""
    try:
        # Non-blocking open: a FIFO nobody reads fails at once (ENXIO) instead of waiting forever.
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise WriteError(f"cannot write {path}: it is a FIFO that nothing reads") from None
        raise WriteError(f"cannot write {path}: {_why(exc, path)}") from None
    try:
        os.set_blocking(fd, True)  # opened: now write as `>` does, waiting for the reader
        for chunk in chunks:
            _write_fd(fd, chunk, path)
    finally:
        os.close(fd)


def _to_stdout(text: str, shown: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        raise stdout_failed(exc, shown) from None


def stdout_failed(exc: OSError, shown: str = "standard output") -> WriteError:
    """The error of a failed write to stdout (re-raised if the reader went away); replay.py's too."""
    _silence_stdout()  # the interpreter's own flush at exit would only fail again
    if isinstance(exc, BrokenPipeError):
        raise exc
    return WriteError(f"cannot write {shown}: {_why(exc, shown)}")


def _fileno(stream) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None


def _write_fd(fd: int, text: str, shown: str) -> None:
    if fd == _fileno(sys.stdout):
        _to_stdout(text, shown)
        return
    if fd == _fileno(sys.stderr):
        sys.stderr.flush()
    try:
        view = memoryview(text.encode("utf-8"))
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {_why(exc, shown)}") from None


def _silence_stdout() -> None:
    fd = _fileno(sys.stdout)
    if fd is None:
        return
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


_FD_PATH = re.compile(r"^/(?:proc/(?:self|thread-self|\d+)|dev)/fd/(\d+)$")


def _own_descriptor(path: str) -> int | None:
    """The descriptor `path` names if it is one of this process's own (/dev/stdout -> /proc/self/fd/1)."""
    p = os.path.abspath(path)
    for _ in range(40):
        m = _FD_PATH.match(p)
        if m and (p.startswith(("/dev/", "/proc/self/", "/proc/thread-self/"))
                  or p.startswith(f"/proc/{os.getpid()}/")):
            fd = int(m.group(1))
            try:
                os.fstat(fd)
            except OSError:
                return None
            return fd
        if not os.path.islink(p):
            return None
        p = os.path.normpath(os.path.join(os.path.dirname(p), os.readlink(p)))
    return None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _give_owner(fd: int, st: os.stat_result) -> bool:
    """Can the new file (fd) have the original's owner and group?  Gives them if so."""
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) == (st.st_uid, st.st_gid):
        return True
    try:
        os.fchown(fd, st.st_uid, st.st_gid)
    except OSError:
        return False
    return True


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _folder(real: str, shown: str) -> str:
    """The folder of the target as the analyst wrote it (or, through a symlink, the real one)."""
    if os.path.abspath(shown) == real:
        folder = os.path.dirname(shown) or "."
    else:
        folder = os.path.dirname(real)
    return folder.rstrip("/") + "/"


def _why(exc: OSError, shown: str, real: str | None = None) -> str:
    folder = _folder(real or os.path.realpath(shown), shown)
    code = exc.errno
    if code == errno.ENOENT:
        if os.path.isdir(folder):
            return f"files cannot be created in {folder}"
        return f"the folder {folder} does not exist"
    if code == errno.ENOTDIR:
        return "a part of the path is not a folder"
    if code == errno.EISDIR:
        return "it is a folder; give a file name"
    if code in (errno.EACCES, errno.EPERM):
        return f"no permission to write in {folder}"
    if code == errno.EROFS:
        return "the file system is read-only"
    if code == errno.ENOSPC:
        return "no space left on the device"
    if code == getattr(errno, "EDQUOT", None):
        return "the disk quota is used up"
    return (exc.strerror or str(exc)).lower()


# --- temporary files, removed whatever happens ----------------------------------


class _Killed(BaseException):
    """SIGTERM, SIGINT or SIGHUP arrived while a temporary file existed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Temp:
    """A temporary file: its descriptor (closed at most once) and its path (removed at most once)."""

    def __init__(self, fd: int, path: str) -> None:
        self.fd, self.path, self._open, self._there = fd, path, True, True

    def close(self) -> None:
        if self._open:
            self._open = False
            os.close(self.fd)

    def moved(self) -> None:
        self._there = False

    def remove(self) -> None:
        self.close()
        if self._there:
            self._there = False
            _remove(self.path)


@contextlib.contextmanager
def _temporary(real: str, shown: str) -> Iterator[_Temp]:
    """A new, private temporary file beside `real`.

    Created with O_EXCL|O_NOFOLLOW (tempfile.mkstemp), removed on any exception
    and when the process is told to stop; the signal is then delivered again,
    so the process ends as it would have.
    """
    folder = os.path.dirname(real)
    with _cleanup_on_signals():
        tmp = None
        try:
            with _signals_held():  # no kill between creating the file and knowing its name
                try:
                    tmp = _Temp(*tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=folder))
                except OSError as exc:
                    raise WriteError(f"cannot write {shown}: {_why(exc, shown, real)}") from None
            # a signal held back above arrives here at the latest, with `tmp` known
            yield tmp
        except BaseException:
            if tmp is not None:
                with _signals_held(), contextlib.suppress(OSError):
                    tmp.remove()
            raise
        else:
            tmp.close()


@contextlib.contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _Killed(signum)

    old = {}
    for s in _SIGNALS:
        # an ignored signal stays ignored; one handled outside Python (None) is left alone
        if signal.getsignal(s) not in (signal.SIG_IGN, None):
            old[s] = signal.signal(s, stop)
    killed = None
    try:
        yield
    except _Killed as exc:
        killed = exc.signum
    finally:
        with _signals_held():  # a signal from here on reaches the handler that was there before
            for s, handler in old.items():
                signal.signal(s, handler)
    if killed is not None:
        os.kill(os.getpid(), killed)  # now that nothing is left behind, end as the signal says
        raise KeyboardInterrupt  # the handler before ours did not end the process


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGTERM/SIGINT/SIGHUP back (they arrive after the block) where a step must not be cut."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
