"""Reading input files safely, and writing files without ever leaving a half-written one behind."""

from __future__ import annotations

import os
import stat
import tempfile

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
        raise InputError(f"cannot read {what} `{path}`: {exc.strerror}") from None
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
    """Write to a temporary file beside `path`, then rename it over `path`."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".benchdsl-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
        else:  # what open() would have given a new file
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
