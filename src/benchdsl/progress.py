"""Progress on long runs: one self-updating line on stderr.

Quiet unless a phase has run for half a second (so short runs print nothing),
or unless asked for (`--progress`); never with `--no-progress` or when stderr
is not a terminal and progress was not asked for.
"""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, force: bool = False, delay: float = 0.5):
        self.stream = stream
        self.force = force
        self.delay = 0.0 if force else delay
        self._phase: str | None = None
        self._started = 0.0
        self._last = 0.0
        self._shown = False
        self._pending: str | None = None  # the latest state, written at the latest when the phase ends

    @classmethod
    def off(cls) -> Progress:
        return cls(None)

    def step(self, phase: str, done: int, total: int | None = None) -> None:
        if self.stream is None:
            return
        now = time.perf_counter()
        if phase != self._phase:
            self.finish()
            self._phase, self._started, self._last = phase, now, 0.0
        count = f"{done:,}".replace(",", " ") + (f" of {total:,}".replace(",", " ") if total else "")
        self._pending = f"\r{phase}: {count}\x1b[K"
        if now - self._started < self.delay or (now - self._last < 0.1 and done != total):
            return
        self._last = now
        self._write()

    def _write(self) -> None:
        self.stream.write(self._pending)
        self.stream.flush()
        self._pending = None
        self._shown = True

    def finish(self) -> None:
        if self._shown and self.stream is not None:
            if self._pending:
                self._write()
            self.stream.write("\n")
            self.stream.flush()
        self._shown = False
        self._pending = None
