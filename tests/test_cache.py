"""The cache between runs: it hits when nothing changed, and it can neither change a figure nor run code.

Most tests drive the CLI as a subprocess and compare a cached run with an
uncached one (BENCHDSL_CACHE=off): whatever is in the cache folder, the output
must be the same, byte for byte.
"""

import hashlib
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from benchdsl import cache, safejson
from benchdsl.pipeline import check_paths

from helpers import COST_USERS, ROOT, write

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

RULES = """
indicator cost {
    unit NOK/user
    source "cost"
}
"""


MEASURE = """
measure m {
    saving = gap(cost) * users * 2
    unit kNOK
    round 1
}
"""


def cli(args, cwd, cache_dir=None):
    """(exit code, stdout, stderr) of benchdsl; cache_dir None means BENCHDSL_CACHE=off."""
    e = dict(os.environ)
    if cache_dir is None:
        e["BENCHDSL_CACHE"] = "off"
    else:
        e["BENCHDSL_CACHE_DIR"] = str(cache_dir)
    p = subprocess.run([BENCHDSL, *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, p.stdout, p.stderr


def checkout(where: Path) -> Path:
    """A copy of the repository's rules/ and data/ (the rules read ../data/trondheim2007.csv)."""
    shutil.copytree(ROOT / "rules", where / "rules")
    shutil.copytree(ROOT / "data", where / "data")
    return where


@pytest.fixture(scope="module")
def co(tmp_path_factory):
    """One checkout that the tests below only read."""
    return checkout(tmp_path_factory.mktemp("co"))


_PLAIN: dict = {}


def plain(args, cwd):
    """The uncached output, the reference every cached run must match."""
    key = (tuple(args), str(cwd))
    if key not in _PLAIN:
        _PLAIN[key] = cli(args, cwd)
    return _PLAIN[key]


@pytest.fixture(scope="module")
def _filled(co, tmp_path_factory):
    folder = tmp_path_factory.mktemp("filled") / "cache"
    assert cli(["run", "rules"], co, folder) == plain(["run", "rules"], co)
    return folder


@pytest.fixture
def filled(_filled, tmp_path):
    """A cache folder as `benchdsl run rules` from `co` leaves it: a rules entry and units.json."""
    return shutil.copytree(_filled, tmp_path / "cache")


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


# --- hits and misses ----------------------------------------------------------


def test_unchanged_rules_are_not_parsed_again_and_a_change_is_seen(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "r").mkdir()
    write(tmp_path / "r", RULES)
    first = check_paths([str(tmp_path / "r")])
    assert first.ok and "parse" in first.timings
    second = check_paths([str(tmp_path / "r")])
    assert second.ok and "parse" not in second.timings
    assert second.program == first.program
    rules = tmp_path / "r" / "rules.bench"
    rules.write_text(rules.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    assert "parse" in check_paths([str(tmp_path / "r")]).timings


def test_an_edit_that_keeps_size_and_mtime_is_seen(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    write(tmp_path, RULES)
    rules = tmp_path / "rules.bench"
    first = check_paths([str(tmp_path)])
    st = rules.stat()
    rules.write_text(rules.read_text(encoding="utf-8").replace("own A 2007", "own A 2008"), encoding="utf-8")
    os.utime(rules, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert rules.stat().st_size == st.st_size and rules.stat().st_mtime_ns == st.st_mtime_ns
    second = check_paths([str(tmp_path)])
    assert "parse" in second.timings
    assert (first.program.year, second.program.year) == (2007, 2008)


def test_the_same_files_named_another_way_are_another_entry(tmp_path, monkeypatch):
    # Spans keep the path as given, so `r` and `/abs/r` must not share a checked program.
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "r").mkdir()
    write(tmp_path / "r", RULES)
    monkeypatch.chdir(tmp_path)
    relative = check_paths(["r"])
    absolute = check_paths([str(tmp_path / "r")])
    assert "parse" in absolute.timings
    assert relative.program.own_span.path == os.path.join("r", "rules.bench")
    assert absolute.program.own_span.path == str(tmp_path / "r" / "rules.bench")


def test_off_means_off(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE", "off")
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    write(tmp_path, RULES)
    assert "parse" in check_paths([str(tmp_path)]).timings
    assert "parse" in check_paths([str(tmp_path)]).timings
    assert not (tmp_path / "cache").exists()


def test_a_cached_run_imports_neither_lark_nor_pint(co, filled):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(filled))
    script = ("import sys; from benchdsl.cli import main; code = main(['run', 'rules']);"
              "print(code, 'lark' in sys.modules, 'pint' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", script], cwd=co, env=env, capture_output=True, text=True, timeout=60)
    assert run.stdout == plain(["run", "rules"], co)[1] + "0 False False\n"


def test_the_folder_and_its_entries_are_private(tmp_path, monkeypatch):
    folder = tmp_path / "new" / "cache"
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(folder))
    write(tmp_path, RULES)
    check_paths([str(tmp_path)])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [stat.S_IMODE(p.stat().st_mode) for p in entries(folder)] == [0o600]
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary file left


# --- the reviewer's reproducers ------------------------------------------------------


def test_running_from_the_rules_folder_then_from_its_parent(co, tmp_path):
    # Before: the second run reused the first one's program, whose panel path is
    # relative to rules/, and failed with `cannot read panel ../data/trondheim2007.csv`.
    shared = tmp_path / "cache"
    inside = cli(["run", "."], co / "rules", shared)
    outside = cli(["run", "rules"], co, shared)
    assert inside == plain(["run", "."], co / "rules")
    assert outside == plain(["run", "rules"], co)
    assert outside[0] == 0 and "cannot read" not in outside[2]


def test_two_checkouts_sharing_a_cache_each_print_their_own_figures(co, filled, tmp_path):
    b = checkout(tmp_path / "b")
    panel = b / "data" / "trondheim2007.csv"
    # Teachers' wage cost doubled in b: the saving from larger groups is that cost times a
    # share (28.4 MNOK in the report, rules/grunnskole.bench), so it doubles to 56.8 MNOK.
    text = panel.read_text(encoding="utf-8")
    assert text.count("lonn_f202,Trondheim,2007,959850,") == 1
    panel.write_text(text.replace("lonn_f202,Trondheim,2007,959850,", "lonn_f202,Trondheim,2007,1919700,"),
                     encoding="utf-8")
    run_b, run_a = cli(["run", "rules"], b, filled), cli(["run", "rules"], co, filled)
    assert run_a == plain(["run", "rules"], co)
    assert run_b == cli(["run", "rules"], b)
    row = lambda out: next(ln for ln in out.splitlines() if "Økt gruppestørrelse" in ln).split()  # noqa: E731
    assert row(run_a[1])[-3:-1] == ["28.4", "28.4"]
    assert row(run_b[1])[-3:-1] == ["56.8", "28.4"]


# --- what is in the folder cannot change a figure ------------------------------------------


def _reseal(path: Path, payload: bytes) -> None:
    """Rewrite an entry's value with a header that matches it, as only the folder's owner could."""
    header = json.loads(path.read_bytes().partition(b"\n")[0])
    header["sha256"] = hashlib.sha256(payload).hexdigest()
    path.write_bytes(json.dumps(header).encode() + b"\n" + payload)


def test_unit_facts_are_checked_one_by_one(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path))
    good = [["factor", "NOK", "kNOK", 0.001], ["count", "user", True]]
    cache.store_units({("factor", "NOK", "kNOK"): 0.001, ("count", "user"): True, ("other",): 1}, {})
    assert cache.load_units() == {("factor", "NOK", "kNOK"): 0.001, ("count", "user"): True}
    units = tmp_path / "units.json"
    written = units.stat().st_ino
    cache.store_units({("factor", "NOK", "kNOK"): 0.001, ("other", "kind"): 2}, cache.load_units())
    assert units.stat().st_ino == written  # nothing new to keep: not rewritten
    for bad in ([["factor", "NOK", "kNOK", -0.001]], [["factor", "NOK", "kNOK", "0.001"]],
                [["factor", "NOK", "kNOK", 0.0]], [["factor", "NOK", "kNOK", 1e309]],
                [["count", "user", 1]], [["factor", "NOK", 0.001]], {"factor": 1.0}, "[" * 100_000):
        payload = (bad if isinstance(bad, str) else json.dumps(good + bad if isinstance(bad, list) else bad)).encode()
        _reseal(units, payload)
        assert cache.load_units() == {}, bad
    header = json.loads(units.read_bytes().partition(b"\n")[0])
    units.write_bytes(json.dumps(dict(header, key="0" * 64)).encode() + b"\n" + b"[]")  # other code
    assert cache.load_units() == {}


def test_poisoned_unit_facts_and_a_poisoned_rules_entry_change_nothing(co, filled):
    reference = plain(["run", "rules"], co)
    for replay in filled.glob("run-*.json"):  # the run itself would be replayed, reading neither entry
        replay.unlink()
    units, [entry] = filled / "units.json", filled.glob("rules-*.json")
    kept_units, kept_rules = units.read_bytes(), entry.read_bytes()
    head, _, body = kept_units.partition(b"\n")
    facts = json.loads(body)
    assert any(f[0] == "factor" and f[1] != f[2] for f in facts)
    poisoned = json.dumps([f[:3] + [f[3] * 1000] if f[0] == "factor" else f for f in facts]).encode()
    units.write_bytes(head + b"\n" + poisoned)  # factors x 1000 under the old checksum
    head, _, body = kept_rules.partition(b"\n")
    assert b"959850" not in body  # the panel's values are not in the cache
    value = cache._program_codec().loads(body)
    name, measure = next((n, m) for n, m in value["program"].measures.items() if m.round == 1)
    measures = dict(value["program"].measures, **{name: attrs.evolve(measure, round=3)})
    value["program"] = attrs.evolve(value["program"], measures=measures)
    edited = cache._program_codec().dumps(value).encode()
    assert edited != body
    entry.write_bytes(head + b"\n" + edited)  # rounding edited under the old checksum
    assert cli(["run", "rules"], co, filled) == reference
    assert (units.read_bytes(), entry.read_bytes()) == (kept_units, kept_rules)  # both rewritten


def test_a_damaged_rules_entry_is_a_miss_and_is_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    write(tmp_path, COST_USERS + MEASURE)
    first = check_paths([str(tmp_path)])
    [entry] = (tmp_path / "cache").glob("rules-*.json")
    original = entry.read_bytes()
    head, _, body = original.partition(b"\n")
    damaged = [original[: len(original) // 2], b"\x80\x04\x95garbage\n\x00\xff", b"", b"\n", head + b"\n",
               b"[" * 100_000, head + b"\n" + b"[" * 100_000]
    resealed = [b'{"program": 1, "warnings": {"^t": []}}', b'{"program": {"!Program": []}, "warnings": {"^t": []}}',
                body.replace(b'"warnings":{"^t":[]}', b'"warnings":{"^t":[1]}'), b"[1, 2]", b"Infinity",
                body.replace(b'{"!Span":[', b'{"!Span":[1,', 1), body + b" x",
                body.replace(b'"!Const"', b'"!Popen"', 1), body.replace(b'"!Span"', b'"!Arith"', 1),
                body.replace(b'{"!Span":[', b'{"!Span":[],"x":[', 1),
                b"[" * 100_000 + b"]" * 100_000]
    for i, bad in enumerate(damaged + resealed):
        entry.write_bytes(original)
        if i < len(damaged):
            entry.write_bytes(bad)
        else:
            assert bad != body
            _reseal(entry, bad)
        again = check_paths([str(tmp_path)])
        assert "parse" in again.timings and again.program == first.program, bad
        assert entry.read_bytes() == original
    assert "parse" not in check_paths([str(tmp_path)]).timings


def test_entries_of_another_owner_or_writable_by_others_are_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    write(tmp_path, RULES)
    check_paths([str(tmp_path)])
    [entry] = (tmp_path / "cache").glob("rules-*.json")
    entry.chmod(0o620)
    assert "parse" in check_paths([str(tmp_path)]).timings  # and rewritten, 0600
    assert "parse" not in check_paths([str(tmp_path)]).timings
    if os.geteuid() == 0:
        os.chown(entry, 4242, -1)
        assert "parse" in check_paths([str(tmp_path)]).timings


# --- what is in the folder cannot run code -----------------------------------------------


class _Plant:
    """Unpickling this creates the marker: what a planted pickle could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _old_rules_name(raw: list[tuple[str, bytes]]) -> str:
    """The entry name benchdsl 0.1.0 used: FORMAT 1, version, grammar, absolute path and bytes."""
    from benchdsl import __version__

    h = hashlib.sha256(f"1\0{__version__}\0".encode())
    h.update((ROOT / "src" / "benchdsl" / "grammar.lark").read_bytes())
    for path, data in sorted(raw):
        h.update(os.path.abspath(path).encode() + b"\0" + hashlib.sha256(data).digest())
    return f"rules-{h.hexdigest()}.pickle"


def test_a_planted_pickle_never_runs_and_a_planted_symlink_is_not_followed(co, filled, tmp_path, monkeypatch):
    # One run with pickles under the names benchdsl 0.1.0 used and symlinks under the new ones.
    monkeypatch.chdir(co)
    from benchdsl.diagnostics import Sources
    from benchdsl.pipeline import Result, read_bytes

    raw = read_bytes(["rules"], Result(Sources(), []))
    marker = tmp_path / "marker"
    bomb = pickle.dumps(_Plant(marker))
    pickle.loads(bomb)
    assert marker.is_dir()  # the plant works: it would have run
    marker.rmdir()
    links = entries(filled)
    assert [p.name for p in links] == [p.name for p in filled.glob("rules-*.json")] + \
        [p.name for p in filled.glob("run-*.json")] + ["units.json"]
    for name in ("units.pickle", "grammar.lalr", _old_rules_name(raw)):
        # grammar.lalr as lark wrote it: the grammar's hash on the first line, then pickles
        (filled / name).write_bytes((b"0" * 64 + b"\n" if name == "grammar.lalr" else b"") + bomb)
    victims = []
    for link in links:
        victims.append(tmp_path / f"victim-{link.name}")
        victims[-1].write_text("precious\n")
        link.unlink()
        link.symlink_to(victims[-1])
    assert cli(["run", "rules"], co, filled) == plain(["run", "rules"], co)
    assert not marker.exists()
    assert [v.read_text() for v in victims] == ["precious\n"] * 3
    for link in links:  # replaced by an entry, not written through
        assert not link.is_symlink() and link.is_file()
    # and pickles under the new names, in-process: damaged entries, never unpickled
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(filled))
    for link in links:
        link.write_bytes(bomb)
    assert "parse" in check_paths(["rules"]).timings
    assert cache.load_units() == {}
    assert not marker.exists()


def test_a_symlink_to_a_good_entry_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    write(tmp_path, RULES)
    check_paths([str(tmp_path)])
    [entry] = (tmp_path / "cache").glob("rules-*.json")
    elsewhere = tmp_path / "elsewhere.json"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    assert "parse" in check_paths([str(tmp_path)]).timings


def test_a_symlink_or_a_file_at_the_temporary_name_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    write(tmp_path, RULES)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / "cache").mkdir(mode=0o700)
    monkeypatch.setattr(cache, "temp_name", lambda name: ".planted.tmp")  # as if the name were guessed
    planted = tmp_path / "cache" / ".planted.tmp"
    planted.symlink_to(victim)
    cache.store_units({("factor", "NOK", "kNOK"): 0.001}, {})
    assert check_paths([str(tmp_path)]).ok
    assert victim.read_text() == "precious\n"
    assert planted.is_symlink() and [p.name for p in (tmp_path / "cache").iterdir()] == [".planted.tmp"]
    planted.unlink()
    planted.write_text("someone else's\n")
    cache.store_units({("factor", "NOK", "kNOK"): 0.001}, {})
    assert check_paths([str(tmp_path)]).ok
    assert planted.read_text() == "someone else's\n"
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [".planted.tmp"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir(mode=0o700)
    (tmp_path / "cache" / "units.json").mkdir()  # os.replace cannot put a file there
    cache.store_units({("factor", "NOK", "kNOK"): 0.001}, {})
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["units.json"]

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.store_units({("factor", "NOK", "MNOK"): 1e-6}, {})
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["units.json"]


# --- the folder must be ours and private ------------------------------------------------------


def test_a_folder_others_can_write_is_not_used_and_one_warning_says_why(co, tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o777)
    reference = plain(["run", "rules"], co)
    code, out, err = cli(["run", "rules"], co, folder)
    warning = (f"warning: not using the cache: `{folder}` is writable by group and others\n"
               f"  hint: {cache.UNSAFE_HINT}\n")
    assert (code, out, err) == (reference[0], reference[1], warning + reference[2])
    assert list(folder.iterdir()) == []


def test_the_folder_rules_in_process(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(folder))
    write(tmp_path, RULES)
    for mode, who in ((0o702, "others"), (0o720, "group"), (0o722, "group and others")):
        folder.mkdir(exist_ok=True)
        folder.chmod(mode)
        result = check_paths([str(tmp_path)])
        assert result.ok and "parse" in result.timings
        warnings = [d for d in result.diags if d.severity == "warning"]
        why = f"not using the cache: `{folder}` is writable by {who}"
        assert [(d.span, d.message) for d in warnings] == [(None, why)]
        assert list(folder.iterdir()) == []
        assert cache.load_units() == {}
    folder.chmod(0o755)  # readable by others, as folders made by earlier versions: used
    assert check_paths([str(tmp_path)]).diags == []
    assert "parse" not in check_paths([str(tmp_path)]).timings
    shutil.rmtree(folder)
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(tmp_path / "file"))  # cannot be made: no cache, no noise
    result = check_paths([str(tmp_path)])
    assert result.ok and result.diags == []


def test_a_folder_of_another_user_is_not_used(tmp_path, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("giving a folder to another user needs root")
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    os.chown(folder, 4242, -1)
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(folder))
    write(tmp_path, RULES)
    result = check_paths([str(tmp_path)])
    assert result.ok and [(d.severity, d.span, d.message) for d in result.diags] == [
        ("warning", None, f"not using the cache: `{folder}` belongs to another user")]
    assert list(folder.iterdir()) == []
    # A link planted by another user, to a folder of ours (what /tmp allows anyone to do)
    ours, link = tmp_path / "ours", tmp_path / "link"
    ours.mkdir(mode=0o700)
    link.symlink_to(ours)
    os.lchown(link, 4242, -1)
    monkeypatch.setenv("BENCHDSL_CACHE_DIR", str(link))
    assert cache.open_folder()[1] == f"not using the cache: `{link}` is a link made by another user"
    os.lchown(link, 0, -1)
    box, why = cache.open_folder()
    assert why is None and box is not None
    box.close()


# --- the format ---------------------------------------------------------------------------


def test_a_checked_program_round_trips_exactly():
    result = check_paths([str(ROOT / "rules")])
    codec = cache._program_codec()
    text = codec.dumps({"program": result.program, "warnings": ()})
    again = codec.loads(text)["program"]
    assert again == result.program
    # every float bit for bit (== would let -0.0 pass for 0.0)
    floats = lambda s: [float(x) for x in __import__("re").findall(r"-?\d+\.\d+(?:e-?\d+)?", s)]  # noqa: E731
    assert floats(codec.dumps({"program": again, "warnings": ()})) == floats(text)


def test_every_ir_class_is_allowed():
    import attrs

    from benchdsl import ir

    ir_classes = {v for v in vars(ir).values() if isinstance(v, type) and attrs.has(v)}
    assert ir_classes <= set(cache._program_codec().classes.values())


def test_the_codec_keeps_shapes_and_refuses_the_rest():
    from benchdsl.ast import Span

    codec = safejson.Codec([Span])
    value = {"t": (1, 2.5, -0.0, "x\ud800"), "d": {(1, "a"): [None, True]}, 3: float("inf"), "^t": Span("p", 1, 2)}
    again = codec.loads(codec.dumps(value))
    assert again == value and type(again["t"]) is tuple and str(again[3]) == "inf"
    assert str(codec.loads(codec.dumps(float("nan")))) == "nan"
    assert repr(codec.loads(codec.dumps(-0.0))) == "-0.0"
    for x in (0.1, 1 / 3, 5e-324, 1.7976931348623157e308, 2.0**53 + 2):
        assert codec.loads(codec.dumps(x)) == x
    for bad in (object(), {1, 2}, b"bytes", Path("p")):
        with pytest.raises(TypeError):
            codec.dumps(bad)
    for text in ('{"^c": "Popen", "args": "x"}', '{"^c": "Span", "path": "p"}', '{"^t": 1}',
                 '{"^d": [[1]]}', '{"^f": "1e400"}', "NaN", "[Infinity]", '{"^t": [], "x": 1}',
                 '{"^d": [[[1], 2]]}', '{"^c": ["Span"], "path": "p"}', '{"!Span": ["p", 1]}',
                 '{"!Span": {"path": "p"}}', '{"!Popen": ["x"]}', '{"!x": 1, "y": 2}', '{"^f": ["inf"]}'):
        with pytest.raises((ValueError, TypeError)):
            codec.loads(text)
