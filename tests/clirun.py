"""The CLI as a separate process, as an analyst runs it: for exit codes, tracebacks,
files on disk and signals, which an in-process call cannot show faithfully."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")
ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rules")


def env_for(tmp_path: Path) -> dict[str, str]:
    """The environment with a cache folder of this test's own (beside tmp_path, not in it)."""
    return {**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path.parent / f"{tmp_path.name}-cache")}


def bench(tmp_path: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    kw.setdefault("env", env_for(tmp_path))
    return subprocess.run([BENCHDSL, *args], **kw)


def assert_located_error(p: subprocess.CompletedProcess, text: str) -> None:
    """Exit 2, no traceback, and an `error:` line that contains `text`."""
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr, p.stderr
    assert any("error: " in line and text in line for line in p.stderr.splitlines()), p.stderr
