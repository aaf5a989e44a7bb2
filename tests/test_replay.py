"""Replaying `benchdsl run` (replay.py): an unchanged run prints, byte for byte, what a fresh run
prints, and anything a run's output could depend on that changed makes it a real run.

Every test drives the CLI as a subprocess with a cache folder of its own.  Whether a run was
replayed is seen from the outside: a replay reads no cache entry but its own and writes nothing,
so the checked rules' entry, once removed, comes back only after a real run.  `-v` also says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import HEADER, panel, source_units

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

# Hand-computed: cost is 110 NOK/user in A, 100 in B, C and D, so A's gap to the mean of the others
# is 10 NOK/user; times 100 000 users, a = 1 000 000 NOK = 1.0 MNOK and b (twice that) 2.0 MNOK.
# The report printed b as 9.9, so b, the total (3.0 against 10.9) and the claim are mismatches:
# exit 1.  `unused` reads a variable no panel has: a warning on stderr.
RULES = HEADER + """
indicator cost {
    unit NOK/user
    better lower
    source "cost"
}
indicator users {
    unit user
    source "users"
}
indicator unused {
    unit NOK
    source "nope"
}
measure a {
    saving = gap(cost) * users
    unit MNOK
}
measure b {
    saving = gap(cost) * users * 2
    unit MNOK
}
table T "T" {
    column mean "Mean" = mean_others
    row "a" = a: 1.0
    row "b" = b: 9.9
    total: 10.9
}
claim both "a and b": T.a.mean + T.b.mean = 10.9
"""
ROWS = [("cost", "A", 2007, 110), ("cost", "B", 2007, 100), ("cost", "C", 2007, 100), ("cost", "D", 2007, 100),
        ("users", "A", 2007, 100_000)]


class Case:
    """A folder with the rules above (`an/rules.bench`, `an/panel.csv`) and a cache folder of its own."""

    def __init__(self, root: Path):
        self.root, self.rules, self.cache = root, root / "an", root / "cache"
        self.rules.mkdir()
        (self.rules / "rules.bench").write_text(RULES, encoding="utf-8")
        (self.rules / "panel.csv").write_text(panel(ROWS, source_units(RULES)), encoding="utf-8")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "BENCHDSL_CACHE"}
        return {**env, "BENCHDSL_CACHE_DIR": str(self.cache), **extra}

    def run(self, *args: str, cwd: Path | None = None, combined: bool = False, **env: str):
        """(exit code, stdout, stderr) -- or (exit code, stdout and stderr as one stream) if combined."""
        p = subprocess.run([BENCHDSL, "run", *args], cwd=cwd or self.root, env=self.env(**env),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT if combined else subprocess.PIPE,
                           timeout=60)
        out, err = p.stdout.decode("utf-8"), (p.stderr or b"").decode("utf-8")
        assert "Traceback" not in out + err, out + err
        return (p.returncode, out) if combined else (p.returncode, out, err)

    def fresh(self, *args: str, cwd: Path | None = None, combined: bool = False, **env: str):
        """What the run prints with no cache at all: the reference every replay must match."""
        return self.run(*args, cwd=cwd, combined=combined, BENCHDSL_CACHE="off", **env)

    def forget_rules(self) -> None:
        """Remove the checked rules and unit facts: only a real run writes them again."""
        for p in self.cache.iterdir():
            if p.name.startswith("rules-") or p.name == "units.json":
                p.unlink()

    def replayed(self) -> bool:
        """Whether the runs since `forget_rules` were all replays."""
        return not any(p.name.startswith("rules-") for p in self.cache.iterdir())

    def entries(self) -> list[Path]:
        return sorted(self.cache.glob("run-*.json"))


@pytest.fixture
def case(tmp_path) -> Case:
    return Case(tmp_path)


def test_a_replay_prints_byte_for_byte_what_a_fresh_run_prints(case):
    want = case.fresh("an")
    assert want[0] == 1 and "warning: no panel has the variable `nope`" in want[2]
    assert "b                                      2.0      9.9 ✗" in want[1]
    assert case.run("an") == want  # the real run, kept
    assert len(case.entries()) == 1
    # -v: a run of its own (other arguments), which says what it did
    first = case.run("an", "-v")
    assert first[:2] == want[:2] and first[2].startswith(want[2])
    assert "evaluate+audit:" in first[2] and "kept for replay: 2 files and 1 folders read" in first[2]
    second = case.run("an", "-v")
    assert second[:2] == want[:2] and second[2].startswith(want[2]) and "evaluate+audit:" not in second[2]
    assert "replayed: the output of an earlier run" in second[2] and "2 files and 1 folders are unchanged" in second[2]
    # a replay imports none of the libraries a run needs (importtime's lines go to fd 2 directly,
    # so they are not part of what a run records)
    case.run("an", PYTHONPROFILEIMPORTTIME="1")
    code, out, err = case.run("an", PYTHONPROFILEIMPORTTIME="1")
    imported = {line.rsplit("|", 1)[1].strip() for line in err.splitlines() if line.startswith("import time:")}
    assert (code, out) == want[:2] and {"benchdsl.replay", "json", "hashlib"} <= imported
    assert not {"attr", "attrs", "lark", "pint", "numpy", "argparse", "benchdsl.ir", "benchdsl.pipeline"} & imported
    # without -v, nothing tells a replay from a run but the entries it leaves alone
    case.forget_rules()
    assert case.run("an") == want
    assert case.replayed()
    # stdout and stderr in one stream: the same interleaving as a fresh run
    assert case.run("an", combined=True) == case.fresh("an", combined=True)
    assert case.replayed()


def _real(case, *args: str, cwd: Path | None = None, **env: str):
    """(exit code, stdout) of a run with -v that must be a real run (and is kept, or says why not)."""
    code, out, err = case.run(*args, "-v", cwd=cwd, **env)
    assert "replayed:" not in err and "evaluate+audit:" in err, (args, env, err)
    return code, out


def _replayed(case, *args: str, cwd: Path | None = None, **env: str):
    code, out, err = case.run(*args, "-v", cwd=cwd, **env)
    assert "replayed:" in err and "evaluate+audit:" not in err, (args, env, err)
    return code, out


def test_any_other_argument_environment_or_folder_is_a_real_run(case):
    want = case.fresh("an")[:2]
    assert _real(case, "an") == want
    assert _replayed(case, "an") == want
    assert _real(case, "an/")[0] == 1  # the same files, named otherwise
    assert _real(case, "an", "--format", "csv")[1].startswith("name,kind,")
    for env in ({"NO_COLOR": "1"}, {"LANG": "nb_NO.UTF-8"}, {"PYTHONIOENCODING": "utf-8:replace"},
                {"BENCHDSL_OTHER": "x"}):
        assert _real(case, "an", **env) == want
    assert _replayed(case, "an", NO_COLOR="1") == want  # each kept beside the others
    assert _replayed(case, "an/")[0] == 1
    assert _replayed(case, "an") == want
    # the same files, named the same way, from another working directory
    other = case.root / "elsewhere"
    other.mkdir()
    absolute = str(case.rules)
    assert _real(case, absolute)[0] == 1
    assert _real(case, absolute, cwd=other)[0] == 1
    assert _replayed(case, absolute, cwd=other)[0] == 1


def test_any_change_of_an_input_is_a_real_run(case):
    assert _real(case, "an")[0] == 1
    assert _replayed(case, "an")[0] == 1
    # one byte of the panel: A's cost 110 -> 120, a gap of 20 NOK/user, so a = 2.0 and b = 4.0 MNOK;
    # with the file's size and mtime as they were, only its bytes tell
    p = case.rules / "panel.csv"
    st = p.stat()
    p.write_bytes(p.read_bytes().replace(b"cost,A,2007,110,", b"cost,A,2007,120,"))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert p.stat().st_size == st.st_size
    code, out = _real(case, "an")
    assert code == 1 and "b                                      4.0      9.9 ✗" in out
    assert _replayed(case, "an") == (code, out)
    # one byte of a rule: b's published value 9.9 -> 4.0, reproduced now; the claim still is not
    r = case.rules / "rules.bench"
    r.write_bytes(r.read_bytes().replace(b'row "b" = b: 9.9', b'row "b" = b: 4.0'))
    code, out = _real(case, "an")
    assert "b                                      4.0      4.0 ✓" in out
    assert _replayed(case, "an") == (code, out)
    # a new rule file in the folder, which the run would read
    (case.rules / "more.bench").write_text("basis extra = mean(G)\n", encoding="utf-8")
    assert _real(case, "an") == (code, out)
    # the panel gone: unusable input, never kept
    p.unlink()
    code, _, err = case.run("an", "-v")
    assert code == 2 and "error: cannot read panel" in err and "Traceback" not in err
    assert "not kept for replay: its input is unusable (exit 2)" in err
    assert "error: cannot read panel" in case.run("an", "-v")[2]


def _reseal(path: Path, body: bytes, key: str) -> None:
    """Write `body` under `key` with a matching header, as only the folder's owner could."""
    header = {"format": 3, "key": key, "sha256": hashlib.sha256(body).hexdigest()}
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)


def test_a_planted_entry_from_another_run_is_not_replayed(case):
    _real(case, "an", "--format", "csv")
    [csv_entry] = case.entries()
    want = _real(case, "an")
    [text_entry] = [e for e in case.entries() if e != csv_entry]
    assert _replayed(case, "an") == want
    header = json.loads(text_entry.read_bytes().partition(b"\n")[0])
    # the csv run's entry, its figures made up, under the text run's name and key: its key material
    # (the arguments) is not the text run's, so it is not replayed
    body = json.loads(csv_entry.read_bytes().partition(b"\n")[2])
    body["output"] = [[1, "benchdsl: A 2007\n\nT\na 99.9 made up\n"]]
    body["exit"] = 0
    _reseal(text_entry, json.dumps(body).encode(), header["key"])
    assert _real(case, "an") == want
    # the text run's own entry with a made-up output and a rule file's hash that is not its bytes':
    # the hashes tie an entry to the bytes it was made from
    body = json.loads(text_entry.read_bytes().partition(b"\n")[2])
    body["files"] = [[p, r, s, "0" * 64] for p, r, s, _ in body["files"]]
    body["output"] = [[1, "made up\n"]]
    _reseal(text_entry, json.dumps(body).encode(), header["key"])
    assert _real(case, "an") == want


def test_a_damaged_entry_is_a_miss_and_is_rewritten(case, tmp_path):
    want = _real(case, "an")
    [entry] = case.entries()
    original = entry.read_bytes()
    head, _, body = original.partition(b"\n")
    key = json.loads(head)["key"]
    victim = tmp_path / "victim"
    for damage in ("garbage", "truncated", "empty", "wrong type", "header only", "symlink", "resealed garbage",
                   "resealed wrong shape", "resealed exit 2", "a folder"):
        if damage == "garbage":
            entry.write_bytes(b"\x80\x04\x95garbage\n\x00\xff")
        elif damage == "truncated":
            entry.write_bytes(original[: len(original) // 2])
        elif damage == "empty":
            entry.write_bytes(b"")
        elif damage == "wrong type":
            entry.write_bytes(head + b"\n" + b"[1, 2, 3]")
        elif damage == "header only":
            entry.write_bytes(head + b"\n")
        elif damage == "symlink":
            victim.write_bytes(original)
            entry.unlink()
            entry.symlink_to(victim)
        elif damage == "resealed garbage":
            _reseal(entry, b"[" * 100_000, key)
        elif damage == "a folder":
            entry.unlink()
            entry.mkdir()
        else:  # well-formed JSON with the wrong shapes inside
            e = json.loads(body)
            e.update({"output": [[3, "x"]]} if damage == "resealed wrong shape" else {"exit": 2})
            _reseal(entry, json.dumps(e).encode(), key)
        assert _real(case, "an") == want, damage
        if damage == "a folder":  # not ours to remove: the run goes on without keeping
            shutil.rmtree(entry)
            assert _real(case, "an") == want
        assert entry.read_bytes() == original and not entry.is_symlink(), damage  # rewritten, not through a link
    assert victim.read_bytes() == original


def test_runs_that_write_files_are_never_kept(case, tmp_path):
    for args, why in ((("-o", str(tmp_path / "report.txt")), "it writes a file (-o)"),
                      (("--html", str(tmp_path / "r.html")), "it writes an HTML file (--html)")):
        code, _, err = case.run("an", "-v", *args)
        assert code == 1 and f"not kept for replay: {why}" in err
    assert case.entries() == []
    code, _, err = case.run("an", "-v", BENCHDSL_CACHE="off")  # nothing kept, nothing said
    assert code == 1 and "replay" not in err and case.entries() == []


def test_a_copied_cache_folder_replays(case, tmp_path):
    want = _real(case, "an")
    copy = tmp_path / "copy"
    shutil.copytree(case.cache, copy)
    case.cache = copy
    assert _replayed(case, "an") == want


def test_a_replay_whose_reader_went_away_or_whose_device_is_full_exits_as_a_run_does(case):
    case.run("an")
    case.forget_rules()
    for _ in range(2):  # replayed: the rules stay forgotten
        p = subprocess.Popen([BENCHDSL, "run", "an"], cwd=case.root, env=case.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdout.close()  # before the run writes anything
        with p.stderr:
            err = p.stderr.read().decode("utf-8")
        assert p.wait(timeout=60) == 141 and "Traceback" not in err
    with open("/dev/full", "w") as full:
        p = subprocess.run([BENCHDSL, "run", "an"], cwd=case.root, env=case.env(), stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "error: cannot write standard output: no space left on the device" in p.stderr
    assert case.replayed()
