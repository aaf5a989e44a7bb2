"""`benchdsl init DIR`: a starter folder that runs at once, teaches by example and writes only DIR.

The figures the template's table must show are worked out here by hand from the
template's panel (own Hamar 2024; the others Lillehammer, Gjøvik, Ringsaker,
Molde, Bodø):

home care, kNOK/recipient: Hamar 298; others 305, 276, 262, 289, 284; Hamar's recipients 1 010
  mean of the others = (305 + 276 + 262 + 289 + 284) / 5 = 1416 / 5 = 283.2
      saving = (298 - 283.2) × 1 010 = 14 948 kNOK = 14.948 MNOK -> 14.9
  3rd best (lowest first: 262 Ringsaker, 276 Gjøvik, 284 Bodø) = 284
      saving = (298 - 284) × 1 010 = 14 140 kNOK -> 14.1
  Molde 289: saving = 9 × 1 010 = 9 090 kNOK -> 9.1
SFO fee, NOK/user/month, better higher: Hamar 2 950; others 3 240, 3 180, 3 010, 3 380, 3 150;
  Hamar's users 1 150, billed 11 months
  mean = 15 960 / 5 = 3 192: saving = 242 × 1 150 × 11 = 3 061 300 NOK -> 3.1
  3rd best (highest first: 3 380 Molde, 3 240 Lillehammer, 3 180 Gjøvik) = 3 180:
      230 × 1 150 × 11 = 2 909 500 -> 2.9
  Molde 3 380: 430 × 1 150 × 11 = 5 439 500 -> 5.4
library, NOK/inhabitant: Hamar 412; others 388, 365, 301, 420, 372; Hamar's inhabitants 32 900
  mean = 1 846 / 5 = 369.2: saving = 42.8 × 32 900 = 1 408 120 NOK -> 1.4
  3rd best (301 Ringsaker, 365 Gjøvik, 372 Bodø) = 372: 40 × 32 900 = 1 316 000 -> 1.3
  Molde 420 is above Hamar's 412: no saving, –
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from benchdsl.cli import main
from benchdsl.init import FILES, InitError, init
from clirun import BENCHDSL

ROWS = {  # row label -> the three cells (mean of the others, 3rd best, Molde), worked above
    "Hjemmetjenester": ("14.9", "14.1", "9.1"),
    "SFO-betaling": ("3.1", "2.9", "5.4"),
    "Bibliotek": ("1.4", "1.3", "–"),
}


def _bench(cwd: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    p = subprocess.run([BENCHDSL, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "BENCHDSL_CACHE_DIR": str(cache)})
    assert "Traceback" not in p.stderr, p.stderr
    return p


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """`benchdsl init analysis` run in an empty folder: (the folder it ran in, its cache, what it printed)."""
    where = tmp_path_factory.mktemp("init")
    cache = tmp_path_factory.mktemp("init-cache")
    p = _bench(where, cache, "init", "analysis")
    assert p.returncode == 0, p.stderr
    return where, cache, p.stdout


def _digits(text: str) -> str:
    """Numbers without their thousands spaces (3 192 -> 3192), so the check is on values, not layout."""
    return re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)", "", text)


def _assert_table(out: str) -> None:
    for label, cells in ROWS.items():
        pattern = re.escape(label) + "".join(r"\s+" + re.escape(c) for c in cells) + r"\s*$"
        assert re.search(pattern, out, re.M), (label, cells, out)


def test_init_writes_the_starter_files_and_says_what_they_are(started):
    where, _, out = started
    assert sorted(p.name for p in (where / "analysis").iterdir()) == sorted(FILES)
    assert list(where.iterdir()) == [where / "analysis"]  # nothing beside the folder
    for name in FILES:
        assert name in out
    assert "benchdsl run" in out


def test_the_starter_runs_at_once_with_the_figures_worked_by_hand(started):
    where, cache, _ = started
    p = _bench(where, cache, "run", "analysis")
    assert p.returncode == 0, p.stderr
    assert "Hamar 2024" in p.stdout
    _assert_table(p.stdout)


def test_the_ssb_export_gives_the_same_figures(started):
    """The Statbank file holds the panel's values in kroner (298 000 kr = 298 kNOK per recipient)."""
    where, cache, _ = started
    d = where / "analysis"
    p = _bench(where, cache, "run", "analysis", "--panel", str(d / "ssb_statbank.csv"),
               "--mapping", str(d / "ssb_mapping.csv"))
    assert p.returncode == 0, p.stderr
    _assert_table(p.stdout)


def test_check_and_fmt_accept_the_starter(started):
    where, cache, _ = started
    p = _bench(where, cache, "check", "analysis")
    assert p.returncode == 0 and p.stdout.startswith("ok: 3 measures, 1 tables"), (p.stdout, p.stderr)
    p = _bench(where, cache, "fmt", "--check", "analysis")
    assert p.returncode == 0, (p.stdout, p.stderr)  # the template is laid out as fmt lays it out


@pytest.mark.parametrize("measure, shown", [
    # the basis values and the savings worked out in the module's docstring
    ("home_care", ["283.2", "= 284 ", "289", "14.9 MNOK", "14.1 MNOK", "9.1 MNOK"]),
    ("sfo_fee_income", ["3192", "3180", "3380", "11 month", "3.1 MNOK", "2.9 MNOK", "5.4 MNOK"]),
    ("library", ["369.2", "372", "420", "1.4 MNOK", "1.3 MNOK"]),
])
def test_explain_works_on_each_measure(started, measure, shown):
    where, cache, _ = started
    p = _bench(where, cache, "explain", measure, "analysis")
    assert p.returncode == 0, p.stderr
    out = _digits(p.stdout)
    for text in shown:
        assert text in out, (text, p.stdout)
    assert "panel.csv:" in out and "[invented]" in out  # each input with its line and provenance


def test_the_readme_commands_run(tmp_path, monkeypatch, capsys):
    """Every command the starter's README shows runs in the starter folder, as the README says
    (in-process, for speed: the commands' exit codes are those of `main`)."""
    init(str(tmp_path / "analysis"))
    d = tmp_path / "analysis"
    readme = (d / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    assert len(commands) >= 8 and all(c.startswith("benchdsl ") for c in commands), commands
    monkeypatch.chdir(d)
    for command in commands:
        code = main(shlex.split(command)[1:])
        out, err = capsys.readouterr()
        assert code == 0, (command, err)
        assert out or command.startswith("benchdsl fmt"), command
    assert (d / "analysis.bench").read_bytes() == _template("analysis.bench")  # `fmt .` changed nothing


def _template(name: str) -> bytes:
    from benchdsl.init import template

    return template(name)


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    p = _bench(tmp_path, tmp_path / "cache", "init", "mine")
    assert p.returncode == 2
    assert p.stderr.startswith("error: `mine` exists and is not empty\n  hint: "), p.stderr
    assert sorted(x.name for x in (tmp_path / "mine").iterdir()) == ["notes.txt"]
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_init_fills_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    written = init(str(tmp_path / "empty"))
    assert sorted(p.name for p in written) == sorted(FILES)
    for p in written:
        assert p.read_bytes() == _template(p.name)


@pytest.mark.parametrize("make, message", [
    (lambda d: (d / "x").write_text("", encoding="utf-8"), "exists and is not a folder"),
    (lambda d: (d / "x").symlink_to(d / "elsewhere"), "is a symbolic link"),
    (lambda d: None, None),
])
def test_init_writes_nothing_outside_the_folder(tmp_path, make, message):
    make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    if message is None:  # a folder inside a folder that does not exist: nothing is created
        with pytest.raises(InitError, match="does not exist"):
            init(str(tmp_path / "no" / "x"))
        assert sorted(p.name for p in tmp_path.iterdir()) == before
        return
    with pytest.raises(InitError, match=message):
        init(str(tmp_path / "x"))
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (tmp_path / "elsewhere").exists()


def test_the_starter_runs_from_its_parent_and_from_inside(tmp_path, monkeypatch, capsys):
    init(str(tmp_path / "x"))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "x"]) == 0
    monkeypatch.chdir(tmp_path / "x")
    code = main(["run", "."])
    assert code == 0, capsys.readouterr().err
