"""What the thorough robustness run found (1 592 generated inputs): each as a regression test, the CLI
as a subprocess with a timeout — a hang fails the test instead of stopping the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")


def _run(tmp_path, *args):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=30, env=env, cwd=tmp_path)


def test_writing_into_a_fifo_nobody_reads_is_an_error_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    r = _run(tmp_path, "run", str(ROOT / "rules"), "-o", "fifo")
    assert r.returncode == 2 and "it is a FIFO that nothing reads" in r.stderr and "Traceback" not in r.stderr


def test_fmt_on_a_fifo_is_an_error_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    r = _run(tmp_path, "fmt", "fifo", "--check")
    assert r.returncode == 2 and "is not a regular file (a FIFO)" in r.stderr and "Traceback" not in r.stderr


def test_fmt_leaves_a_file_with_lone_carriage_returns_as_it_is(tmp_path):
    # The harness's input (a damaged copy of the tutorial's rules, lone "\r" line ends): the rule
    # parser reads it declaration by declaration; the formatter cannot lay it out whole.
    data = (ROOT / "tests" / "fixtures" / "robust" / "fmt_lone_cr.bench").read_bytes()
    (tmp_path / "x.bench").write_bytes(data)
    r = _run(tmp_path, "fmt", "x.bench")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "x.bench:1:1: error: cannot lay out this file as a whole" in r.stderr
    assert (tmp_path / "x.bench").read_bytes() == data  # nothing changed
