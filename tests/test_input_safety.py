"""Input files that are not what they claim: FIFOs, devices, directories, huge files.

Each must give a located error and exit 2 promptly — never a hang, never a read until
memory runs out, never a traceback.  The CLI runs as a subprocess with a timeout, so a
hang fails the test instead of the suite.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from benchdsl import files

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")
FIX = Path(__file__).parent / "fixtures" / "ssb"
LOCATED = re.compile(r"^\S+:\d+:\d+: error: ", re.M)

RULES = """\
municipality A 0001
municipality B 0002
group G = A, B
own A 2007
{panels}
basis m = mean(G - own)
indicator c {{
    unit NOK
    better lower
    source "c"
}}
"""
PANEL = "variable,municipality,year,value,unit\nc,A,2007,10,NOK\nc,B,2007,8,NOK\n"

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def _rules(tmp_path: Path, *panels: str) -> Path:
    path = tmp_path / "r.bench"
    path.write_text(RULES.format(panels="\n".join(f'panel "{p}"' for p in panels)), encoding="utf-8")
    return path


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=20, env=env, cwd=tmp_path)


def _refused(r: subprocess.CompletedProcess, *messages: str) -> None:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert LOCATED.search(r.stderr), r.stderr
    for m in messages:
        assert m in r.stderr, r.stderr


# --- through the CLI (three runs: each starts a Python, so they share the cases) ----------

@needs_fifo
def test_fifos_devices_directories_and_huge_files_as_panels_and_mappings_are_refused(tmp_path):
    os.mkfifo(tmp_path / "fifo.csv")  # no writer: reading it would block forever
    os.mkfifo(tmp_path / "m.csv")
    (tmp_path / "zero.csv").symlink_to("/dev/zero")  # would read until memory runs out
    (tmp_path / "dir.csv").mkdir()
    with open(tmp_path / "huge.csv", "wb") as f:  # sparse: no disk used
        f.truncate(files.DATA_LIMIT + 1)
    (tmp_path / "p.csv").write_text(PANEL, encoding="utf-8")
    rules = _rules(tmp_path, "p.csv", "fifo.csv", f'{FIX / "jsonstat.json"}" mapping "m.csv', "zero.csv", "dir.csv",
                   "huge.csv")
    r = _cli(tmp_path, "run", str(rules))
    _refused(r, "r.bench:6:1: error: panel `", "fifo.csv` is not a regular file (a FIFO)",
             "r.bench:7:1: error: mapping `", "m.csv` is not a regular file (a FIFO)",
             "r.bench:8:1: error: panel `", "zero.csv` is not a regular file (a character device)",
             "r.bench:9:1: error: panel `", "dir.csv` is a directory, not a file",
             "r.bench:10:1: error: panel `", "huge.csv` is too large (2,147,483,649 bytes; the limit is 2048 MiB)")


@needs_fifo
def test_a_fifo_or_a_huge_file_as_rule_file_is_refused(tmp_path):
    os.mkfifo(tmp_path / "x.bench")
    with open(tmp_path / "big.bench", "wb") as f:
        f.truncate(files.RULES_LIMIT + 1)
    r = _cli(tmp_path, "check", str(tmp_path))
    _refused(r, "x.bench:1:1: error: rule file `", "x.bench` is not a regular file (a FIFO)",
             "big.bench:1:1: error: rule file `", "big.bench` is too large (16,777,217 bytes; the limit is 16 MiB)")


def test_a_device_a_mixed_encoding_and_deep_json_given_with_panel_fail_cleanly(tmp_path):
    (tmp_path / "p.csv").write_bytes(PANEL.encode() + "c,A,2006,1,NOK,Sørli\n".encode() + b"c,B,2006,1,NOK,S\xf8rli\n")
    (tmp_path / "deep.json").write_text("[" * 100_000, encoding="utf-8")
    r = _cli(tmp_path, "run", str(_rules(tmp_path, "p.csv")), "--panel", "/dev/urandom", "--panel", str(tmp_path / "p.csv"),
             "--panel", str(tmp_path / "deep.json"), "--mapping", str(FIX / "mapping.csv"))
    # "c,B,2006,1,NOK,S" is 16 characters: the Latin-1 ø is the 17th
    _refused(r, "/dev/urandom:1:1: error: panel `/dev/urandom` is not a regular file (a character device)",
             "p.csv:5:17: error: this file mixes encodings: byte 0xF8 (`ø` in Latin-1) here is not UTF-8, but line 4 has UTF-8 `ø`",
             "deep.json:1:1: error: not a JSON-stat dataset: it is nested too deeply")


# --- files.read_input directly ------------------------------------------------------------

def test_read_input_reads_a_regular_file(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 10)
    assert files.read_input(str(tmp_path / "a"), "panel", 10) == b"x" * 10


def test_read_input_refuses_more_than_the_limit(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 11)
    with pytest.raises(files.InputError) as exc:
        files.read_input(str(tmp_path / "a"), "panel", 10)
    assert exc.value.message.endswith("is too large (11 bytes; the limit is 10 bytes)")


def test_read_input_bounds_a_file_whose_size_is_not_reported():
    # /proc files say size 0 and then have content: the read itself stops at limit + 1
    with pytest.raises(files.InputError) as exc:
        files.read_input("/proc/self/status", "panel", 10)
    assert exc.value.message == "panel `/proc/self/status` is too large (over 10 bytes; the limit is 10 bytes)"


def _socket_file(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))  # the file stays after the socket closes


@pytest.mark.parametrize("make, kind", [
    (lambda p: os.mkfifo(p), "is not a regular file (a FIFO)"),
    (lambda p: os.mkdir(p), "is a directory, not a file"),
    (lambda p: _socket_file(p), "is not a regular file (a socket)"),
    (lambda p: p.symlink_to("/dev/null"), "is not a regular file (a character device)"),
    (lambda p: None, "cannot read panel"),
])
def test_read_input_refuses_what_is_not_a_regular_file(tmp_path, make, kind):
    path = tmp_path / "x"
    make(path)
    with pytest.raises(files.InputError) as exc:
        files.read_input(str(path), "panel", 100)
    assert kind in exc.value.message
