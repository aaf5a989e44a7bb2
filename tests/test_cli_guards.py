"""Options and inputs that used to be ignored or misread silently (issue 11), from the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHDSL = str(Path(sys.executable).parent / "benchdsl")


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path / "cache")}
    p = subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    assert "Traceback" not in p.stderr
    return p


@pytest.fixture
def home(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "home_care", tmp_path / "home")
    return tmp_path / "home"


@pytest.mark.parametrize("options, message", [
    (["--format", "markdown"], "error: --for all writes a long table as csv or json, not markdown"),
    (["--html", "x.html"], "error: --for all writes no HTML report"),
])
def test_for_all_refuses_what_it_would_ignore(tmp_path, home, options, message):
    p = cli(tmp_path, "run", "home", "--for", "all", *options)
    assert p.returncode == 2 and message in p.stderr and p.stdout == ""
    assert not (tmp_path / "x.html").exists()


def test_a_decimal_comma_in_a_row_says_so(tmp_path, home):
    bench = home / "home_care.bench"
    bench.write_text(bench.read_text(encoding="utf-8").replace("home_care: 7.0, 8.4, -", "home_care: 7,0, 8.4, -"),
                     encoding="utf-8")
    p = cli(tmp_path, "check", "home")
    assert p.returncode == 2
    assert "home/home_care.bench:49:5: error: row `home_care` gives 4 published values for 3 columns" in p.stderr
    assert "hint: `7,0` reads as two values; a decimal is written with a point: 7.0" in p.stderr


def test_check_finds_a_panel_that_is_not_there(tmp_path, home):
    assert cli(tmp_path, "check", "home").returncode == 0
    (home / "panel.csv").rename(home / "panel2.csv")
    p = cli(tmp_path, "check", "home")  # the checked rules come from the cache: the panel is looked for anyway
    assert p.returncode == 2
    assert "home/home_care.bench:15:1: error: the panel `panel.csv` is not there" in p.stderr
