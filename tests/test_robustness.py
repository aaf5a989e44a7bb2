"""Robustness: the CLI as a subprocess, fed generated bad input of every kind it reads.

The promise (docs/robustness.md): on any rule file, panel, SSB file, mapping, cache file,
output path or argument, `benchdsl` prints no traceback, does not hang, and exits 0, 1 or 2;
exit 2 comes with an `error:` line.  In-process tests cannot see a traceback (the exception
just propagates), so every input here goes to the real `benchdsl` executable, one input per
process: several inputs per process would let the first exit 2 hide what the others do.
Inputs run two at a time (two cores); each gets a folder of its own and a cache folder copied
from one warmed by clean runs, so examples do not see each other's cache.

The `ci` profile runs a fixed sample of every surface; `HYPOTHESIS_PROFILE=thorough` runs
BUDGET inputs, over 10 000 in all.  A surface runs all its inputs before it fails, and the failure
lists every distinct problem (one input folder kept for each); BENCHDSL_ROBUST_REPORT=FILE also
writes them as JSON lines, BENCHDSL_ROBUST_COUNTS=FILE the counts.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import pickle
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import zlib
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st

import robust_inputs as ri

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")
ROOT = ri.ROOT
RULES = str(ROOT / "rules")
SMALL = str(ri.SMALL)
TIMEOUT = float(os.environ.get("BENCHDSL_ROBUST_TIMEOUT", 30))  # seconds; a run still going is a hang
MEMORY = 2 * 1024**3  # address space per run, so a runaway input cannot take the machine with it
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
WORKERS = 2
BATCH = 4 if THOROUGH else 2  # inputs per hypothesis example, run WORKERS at a time
REPORT = os.environ.get("BENCHDSL_ROBUST_REPORT")
VERBOSE = bool(os.environ.get("BENCHDSL_ROBUST_VERBOSE"))

# Inputs per surface in the thorough profile (10 500 in all; BENCHDSL_ROBUST_SCALE=0.1 for a tenth);
# ci runs CI_EXAMPLES batches of each.
SCALE = float(os.environ.get("BENCHDSL_ROBUST_SCALE", 1))
BUDGET = {
    "rule text": 1500, "real rules, mutated": 1200, "declarations": 1500, "fmt": 500,
    "panel (real, damaged)": 1200, "panel (small, generated)": 1200, "JSON-stat": 1000,
    "Statbank CSV": 800, "mapping": 500, "cache": 300, "output paths": 300, "arguments": 500,
}
CI_EXAMPLES = {"fmt": 1}  # batches per surface in ci (default 2): about 50 runs, 15-20 s on two cores


def robust(surface: str):
    """Settings for one surface: BUDGET[surface] inputs when thorough; a fixed small sample in ci (a gate:
    the same inputs every run).  Problems are collected, not raised, so hypothesis never shrinks: a
    shrinking step costs a subprocess, a hang TIMEOUT."""
    common = dict(deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.large_base_example, HealthCheck.filter_too_much])
    if THOROUGH:
        return settings(max_examples=math.ceil(BUDGET[surface] * SCALE / BATCH), **common)
    return settings(max_examples=CI_EXAMPLES.get(surface, 2), **common)


class Batch(list):
    """The inputs of one example.  Its repr is short: hypothesis prints it, and inputs run to megabytes."""

    def __repr__(self) -> str:
        return f"Batch({', '.join(_short(x) for x in self)})"

    _repr_pretty_ = lambda self, p, cycle: p.text(repr(self))  # noqa: E731  (hypothesis's printer)


def _short(x) -> str:
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(_short(y) for y in x) + ")"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in x.items()) + "}"
    r = repr(x)
    return r if len(r) <= 120 else f"{r[:100]}…<{len(r)} chars>"


def batch(strategy):
    return st.lists(strategy, min_size=BATCH, max_size=BATCH).map(Batch)


# --- counting ------------------------------------------------------------------------------

_lock = threading.Lock()
COUNTS: dict[str, Counter] = defaultdict(Counter)


def _summary() -> None:
    if not COUNTS:
        return
    inputs = sum(c["inputs"] for c in COUNTS.values())
    runs = sum(c["runs"] for c in COUNTS.values())
    problems = sum(c["problems"] for c in COUNTS.values())
    lines = [f"robustness: {inputs} generated inputs, {runs} CLI runs, {problems} problems"]
    if THOROUGH or os.environ.get("BENCHDSL_ROBUST_COUNTS"):
        lines += [f"  {s:<26} {c['inputs']:>6} inputs {c['runs']:>6} runs {c['problems']:>5} problems"
                  for s, c in sorted(COUNTS.items())]
    print("\n".join(lines), file=sys.__stderr__)
    if os.environ.get("BENCHDSL_ROBUST_COUNTS"):
        Path(os.environ["BENCHDSL_ROBUST_COUNTS"]).write_text(
            json.dumps({s: dict(c) for s, c in sorted(COUNTS.items())}, indent=1) + "\n", encoding="utf-8")


atexit.register(_summary)


# --- running one input -----------------------------------------------------------------------

_LIMIT = ["prlimit", f"--as={MEMORY}", "--"] if shutil.which("prlimit") else []
ERROR_LINE = re.compile(r"(^|: )error: \S", re.M)
SEEN: set[tuple] = set()  # distinct problems found so far


class Case:
    """One input's folder, its cache folder, and the problems its runs showed."""

    def __init__(self, surface: str, root: Path, cache_seed: Path | None):
        self.surface = surface
        self.dir = Path(tempfile.mkdtemp(prefix="case-", dir=root))
        self.cache = self.dir / ".cache"
        if cache_seed is not None:
            shutil.copytree(cache_seed, self.cache, symlinks=True)
        self.problems: list[dict] = []

    def write(self, files: dict[str, bytes | str]) -> None:
        for name, data in files.items():
            p = self.dir / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    def cli(self, *argv: str, cache: str | None = None, cwd: Path | None = None) -> tuple[int | None, str, str]:
        """Run benchdsl in the case folder; record any broken promise; -> (exit code, stdout, stderr)."""
        env = {**os.environ, "BENCHDSL_CACHE_DIR": cache if cache is not None else str(self.cache),
               "PYTHONFAULTHANDLER": "1"}  # so that a hung run, sent SIGABRT, says where it was
        env.pop("BENCHDSL_CACHE", None)
        with subprocess.Popen([*_LIMIT, BENCHDSL, *argv], cwd=cwd or self.dir, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
            try:
                raw_out, raw_err = p.communicate(timeout=TIMEOUT)
                code = p.returncode
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGABRT)
                try:
                    raw_out, raw_err = p.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    raw_out, raw_err = p.communicate()
                code = None
        out, err = raw_out.decode("utf-8", "replace"), raw_err.decode("utf-8", "replace")
        with _lock:
            COUNTS[self.surface]["runs"] += 1
            if VERBOSE:
                print(f"[{self.surface}] exit {code}: benchdsl {' '.join(a[:60] for a in argv)}", file=sys.__stderr__)
        if code is None:
            self.problem(argv, "hang", f"still running after {TIMEOUT:g} s, in {_where(err)}", err)
        elif "Traceback (most recent call last)" in err + out:
            self.problem(argv, "traceback", _exception(err if "Traceback" in err else out), err)
        elif code not in (0, 1, 2):
            self.problem(argv, f"exit code {code}", _last_line(err), err)
        elif code == 2 and not ERROR_LINE.search(err):
            self.problem(argv, "exit 2 without an error: line", _last_line(err), err)
        elif code in (0, 1) and _json_on_stdout(argv) and _json_error(out):
            self.problem(argv, "output is not strict JSON", _json_error(out), err)
        return code, out, err

    def problem(self, argv, kind: str, detail: str, stderr: str = "") -> None:
        self.problems.append({"surface": self.surface, "argv": [str(a) for a in argv], "kind": kind,
                              "detail": detail[:300], "stderr": stderr[-1500:], "input": str(self.dir)})


def _json_on_stdout(argv) -> bool:
    argv = list(argv)
    return any(a == "--format" and b == "json" for a, b in zip(argv, argv[1:])) and not {"-o", "--output"} & set(argv)


def _json_error(text: str) -> str | None:
    """Why text is not strict JSON (NaN and Infinity are Python's, other readers refuse them), or None."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    try:
        json.loads(text, parse_constant=refuse)
        return None
    except ValueError as exc:
        return str(exc)[:200]


def _exception(text: str) -> str:
    """The traceback's exception and message: `lark.exceptions.VisitError: … rule "known": cannot convert …`."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    at = max((i for i, ln in enumerate(lines) if re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b", ln)),
             default=len(lines) - 1)
    return " ".join(lines[at:])[:300]


def _where(dump: str) -> str:
    """Where faulthandler's dump of a hung run says it was: the innermost frame, and benchdsl's."""
    frames = re.findall(r'File "([^"]+)", line (\d+) in (\S+)', dump)  # most recent first
    if not frames:
        return "?"
    ours = next((f for f in frames if "/benchdsl/" in f[0]), None)
    show = lambda f: f"{Path(f[0]).parent.name}/{Path(f[0]).name}:{f[2]}"  # noqa: E731
    return show(frames[0]) + (f" (from {show(ours)})" if ours and ours != frames[0] else "")


def _last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def _signature(p: dict) -> tuple:
    """What makes two problems the same bug: the surface, the kind and the exception, without numbers and paths."""
    detail = re.sub(r"(?<![\w.])/[^\s'`\"]+", "PATH", p["detail"])
    return p["surface"], p["kind"], re.sub(r"\d+", "N", detail)[:120]


def sweep(warm, surface: str, strategy, job) -> None:
    """Run job(case, input) on every input hypothesis draws; then fail listing every distinct problem."""
    problems: list[dict] = []

    @robust(surface)
    @given(inputs=batch(strategy))
    def examples(inputs):
        with ThreadPoolExecutor(WORKERS) as pool:
            for found in pool.map(lambda x: _one(warm, surface, job, x), inputs):
                problems.extend(found)

    if not THOROUGH:  # ci: the same sample every run, a different one per surface
        examples = seed(zlib.crc32(surface.encode()))(examples)
    examples()
    if problems:
        first: dict[tuple, dict] = {}
        for p in problems:
            first.setdefault(_signature(p), p)
        times = Counter(_signature(p) for p in problems)
        pytest.fail(f"{len(problems)} problems, {len(first)} distinct, on {surface}:\n\n" + "\n\n".join(
            f"{p['kind']} ({times[sig]}x): benchdsl {' '.join(a[:80] for a in p['argv'])}\n  {p['detail']}\n"
            f"  input kept in {p['input']}\n" + "\n".join("    | " + ln for ln in p["stderr"].splitlines()[-8:])
            for sig, p in first.items()), pytrace=False)


def _one(warm, surface: str, job, x) -> list[dict]:
    case = Case(surface, warm.root, warm.seed)
    try:
        job(case, x)
    finally:
        keep = False
        with _lock:
            COUNTS[surface]["inputs"] += 1
            COUNTS[surface]["problems"] += len(case.problems)
            for p in case.problems:
                if _signature(p) not in SEEN:  # keep one input folder per distinct problem
                    SEEN.add(_signature(p))
                    keep = True
                    if REPORT:
                        with open(REPORT, "a", encoding="utf-8") as f:
                            f.write(json.dumps(p, ensure_ascii=False) + "\n")
        if not keep:
            _rmtree(case.dir)
    return case.problems


def _rmtree(path: Path) -> None:
    def writable(func, p, _exc):
        os.chmod(os.path.dirname(p), 0o700)
        func(p)

    shutil.rmtree(path, **({"onexc": writable} if sys.version_info >= (3, 12) else {"onerror": writable}))


# --- the warmed cache, shared by every surface ---------------------------------------------------

# Clean runs that fill the cache folder every case starts from, so that a case does not pay for
# the grammar's tables or the real rules' check, and cannot see another case's cache.
WARM_RUNS = [("check", RULES), ("run", RULES), ("run", SMALL)]
# What the cache surface runs: each once with a clean cache, then twice with one file damaged.
CACHE_RUNS = [
    ("check", RULES),
    ("run", RULES),
    ("run", SMALL),
    ("run", RULES, "--format", "json"),
    ("run", RULES, "--for", "all", "--format", "csv"),
    ("run", RULES, "--panel", "{warm}/panel.json", "--mapping", "{warm}/mapping.csv"),
    ("run", RULES, "--panel", "{warm}/statbank.csv", "--mapping", "{warm}/mapping.csv", "--format", "csv"),
    ("explain", "T4.sfo_unit_cost.best", RULES),
    ("sensitivity", RULES),
]


class Warm:
    """The root folder for cases (with the report's panel as SSB files) and the warmed cache folder."""

    def __init__(self, root: Path):
        self.root, self.seed = root, root / "warm-cache"
        (root / "panel.json").write_text(json.dumps(ri.FULL_JSONSTAT), encoding="utf-8")
        (root / "statbank.csv").write_bytes(ri.FULL_STATBANK)
        (root / "mapping.csv").write_text(ri.FULL_MAPPING, encoding="utf-8")
        for argv in WARM_RUNS:  # one at a time: the first writes the grammar's tables
            p = subprocess.run([BENCHDSL, *argv], capture_output=True, timeout=120, cwd=root,
                               env={**os.environ, "BENCHDSL_CACHE_DIR": str(self.seed)})
            assert p.returncode in (0, 1) and b"Traceback" not in p.stderr, (argv, p.stderr[-2000:])


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    return Warm(tmp_path_factory.mktemp("robust"))


# --- rule files ------------------------------------------------------------------------------

RULE_COMMANDS = st.sampled_from([("check",), ("run",), ("run", "--format", "json"), ("run", "--format", "csv"),
                                 ("run", "--format", "markdown"), ("run", "--for", "all", "--format", "csv"),
                                 ("sensitivity",), ("explain", "T4.sfo_unit_cost.best"), ("fmt", "--check")])


def _argv(command: tuple, *paths: str) -> tuple:
    if command[0] == "explain":
        return (*command, *paths)
    return (command[0], *paths, *command[1:])


rule_text = st.one_of(ri.odd_text.map(str.encode), ri.rule_like_text.map(str.encode), st.binary(max_size=600),
                      st.tuples(st.one_of(ri.odd_text, ri.rule_like_text), ri.encodings).map(lambda t: ri._encode(*t)))


def test_any_text_as_rules(warm):
    def job(case, x):
        data, command = x
        case.write({"x.bench": data})
        case.cli(*_argv(command, "x.bench"))

    sweep(warm, "rule text", st.tuples(rule_text, RULE_COMMANDS), job)


def _rules_tree(case, files: dict[str, bytes]) -> None:
    """The rules under rules/, the real panel under data/, and the odd files generated panels point at."""
    case.write({f"rules/{n}": b for n, b in files.items()})
    shutil.copytree(ROOT / "data", case.dir / "data")
    (case.dir / "rules" / "dir").mkdir()
    os.mkfifo(case.dir / "rules" / "fifo")


def test_mutated_real_rules(warm):
    def job(case, x):
        files, command = x
        _rules_tree(case, files)
        case.cli(*_argv(command, "rules"))

    sweep(warm, "real rules, mutated", st.tuples(ri.mutated_rules(), RULE_COMMANDS), job)


def test_generated_declarations(warm):
    """The small example's rules with generated declarations added: cycles, doubling chains, deep nesting."""

    def job(case, x):
        decls, command = x
        case.write({"rules.bench": ri.SMALL_RULES + "\n" + "".join(decls), "panel.csv": ri.SMALL_PANEL})
        (case.dir / "dir").mkdir()
        os.mkfifo(case.dir / "fifo")
        case.cli(*_argv(command, "rules.bench"))

    decls = st.lists(ri.declarations(ri.SMALL_NAMES), min_size=1, max_size=3)
    sweep(warm, "declarations", st.tuples(decls, RULE_COMMANDS), job)


fmt_inputs = st.one_of(
    ri.mutated_rules({"x.bench": ri.SMALL_RULES}, ri.SMALL_NAMES, max_steps=3),
    st.tuples(ri.odd_text, ri.rule_like_text).map(lambda t: {"x.bench": (ri.SMALL_RULES + t[0] + t[1]).encode()}))


def test_fmt_keeps_what_parsed_parseable_and_is_idempotent(warm):
    """fmt never breaks a file that checked (same verdict after), and a formatted file is left alone."""

    def job(case, files):
        case.write(files)
        before = case.cli("check", "x.bench")
        code, _, _ = case.cli("fmt", "x.bench")
        if code != 0:
            return
        again, out, _ = case.cli("fmt", "--check", "x.bench")
        if again != 0:
            case.problem(("fmt", "x.bench"), "fmt is not idempotent", f"fmt --check after fmt exits {again}: {out}")
        after = case.cli("check", "x.bench")
        if before[0] == 0 and after[:2] != before[:2]:
            case.problem(("fmt", "x.bench"), "fmt changed what the rules mean",
                         f"check before: {before[0]} {before[1].strip()}; after: {after[0]} {after[1].strip()}",
                         after[2])

    sweep(warm, "fmt", fmt_inputs, job)


# --- panels ------------------------------------------------------------------------------------

PANEL_COMMANDS = st.sampled_from([("run",), ("run", "--format", "json"), ("run", "--format", "csv"),
                                  ("run", "--format", "markdown"), ("run", "--for", "all", "--format", "csv"),
                                  ("run", "--for", "all", "--format", "json"), ("run", "--norwegian")])


def test_damaged_real_panel(warm):
    """The report's panel damaged, given with --panel, or (one time in four) where the rules declare it."""

    def job(case, x):
        data, command, route = x
        if route == 0:
            _rules_tree(case, ri.RULE_TEXTS)
            (case.dir / "data" / "trondheim2007.csv").write_bytes(data)
            case.cli(*_argv(command, "rules"))
            case.cli("sensitivity", "rules", "--weight", "inhabitants")
        else:
            case.write({"panel.csv": data})
            case.cli(*_argv(command, RULES), "--panel", "panel.csv")

    sweep(warm, "panel (real, damaged)", st.tuples(ri.damaged_panel(), PANEL_COMMANDS, st.integers(0, 3)), job)


def test_generated_small_panel(warm):
    def job(case, x):
        data, command = x
        case.write({"panel.csv": data})
        case.cli(*_argv(command, SMALL), "--panel", "panel.csv")

    panels = st.one_of(ri.small_panel(), ri.damaged_panel(ri.SMALL_PANEL))
    sweep(warm, "panel (small, generated)", st.tuples(panels, PANEL_COMMANDS), job)


# --- SSB formats and mappings -------------------------------------------------------------------

SSB_COMMANDS = st.sampled_from([("run",), ("run", "--format", "json"), ("run", "--for", "all", "--format", "csv")])
MAPPING_NAMES = st.sampled_from(["full.csv"] * 3 + sorted(ri.MAPPINGS))


def test_damaged_jsonstat(warm):
    def job(case, x):
        data, mapping, command = x
        case.write({"panel.json": data, "mapping.csv": ri.MAPPINGS[mapping]})
        case.cli(*_argv(command, RULES), "--panel", "panel.json", "--mapping", "mapping.csv")

    sweep(warm, "JSON-stat", st.tuples(ri.damaged_jsonstat(), MAPPING_NAMES, SSB_COMMANDS), job)


def test_damaged_statbank_csv(warm):
    def job(case, x):
        data, mapping, command = x
        case.write({"panel.csv": data, "mapping.csv": ri.MAPPINGS[mapping]})
        case.cli(*_argv(command, RULES), "--panel", "panel.csv", "--mapping", "mapping.csv")

    sweep(warm, "Statbank CSV", st.tuples(ri.damaged_statbank(), MAPPING_NAMES, SSB_COMMANDS), job)


SSB_FILES = {"full.json": json.dumps(ri.FULL_JSONSTAT).encode(), "full.csv": ri.FULL_STATBANK,
             "fixture.json": (ri.FIX / "jsonstat.json").read_bytes(),
             "wide.csv": (ri.FIX / "statbank_wide.csv").read_bytes(),
             "long.csv": (ri.FIX / "statbank_long.csv").read_bytes()}


def test_damaged_mapping(warm):
    def job(case, x):
        data, panel, command = x
        case.write({"mapping.csv": data, panel: SSB_FILES[panel]})
        case.cli(*_argv(command, RULES), "--panel", panel, "--mapping", "mapping.csv")

    sweep(warm, "mapping", st.tuples(ri.damaged_mapping(), st.sampled_from(sorted(SSB_FILES)), SSB_COMMANDS), job)


# --- cache files --------------------------------------------------------------------------------

class _Plant:
    """Unpickling this makes a folder: proof that loading the cache ran code from it."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (self.marker,)


CORRUPTIONS = ["garbage", "truncate", "empty", "plant", "plant after first line", "wrong type", "swap",
               "symlink to victim", "dangling symlink", "symlink loop", "directory", "fifo", "unreadable",
               "folder is a file", "folder is a dangling symlink", "named relatively first"]
WRONG_TYPES = [None, 0, "x", (1, 2), (None, None), (None, []), {"a": 1, "b": 2}, [1, 2, 3], ("x", ["y"]),
               {"factor": 1}, (object, [])]


def test_damaged_cache_changes_nothing(warm):
    """Whatever files a run leaves in the cache folder (found after a clean run, not named here), one
    damaged: the same run gives the same exit code and output, twice (the second reads what the first
    left), runs no code from the cache, and writes nothing through a planted symlink."""
    runs = [tuple(a.replace("{warm}", str(warm.root)) for a in argv) for argv in CACHE_RUNS]

    def job(case, x):
        run, how, pick, junk, wrong = x
        argv = runs[run]
        want = case.cli(*argv)[:2]
        if want[0] is None:
            return
        names = sorted(str(p.relative_to(case.cache)) for p in case.cache.rglob("*") if p.is_file())
        if not names:
            case.problem(argv, "nothing cached", "a clean run left no file in the cache folder")
            return
        target = case.cache / names[pick % len(names)]
        marker = case.dir / "code-ran"
        victim = case.dir / "victim"
        victim.write_bytes(b"victim")
        cache = None
        original = target.read_bytes()
        if how == "garbage":
            target.write_bytes(junk)
        elif how == "truncate":
            target.write_bytes(original[: pick % (len(original) + 1)])
        elif how == "empty":
            target.write_bytes(b"")
        elif how == "plant":
            target.write_bytes(pickle.dumps(_Plant(str(marker))))
        elif how == "plant after first line":  # a header line (a hash, say) kept, the payload after it
            target.write_bytes(original.split(b"\n", 1)[0] + b"\n" + pickle.dumps(_Plant(str(marker))))
        elif how == "wrong type":
            target.write_bytes(pickle.dumps(wrong))
        elif how == "swap":
            target.write_bytes((case.cache / names[(pick + 1) % len(names)]).read_bytes())
        elif how in ("symlink to victim", "dangling symlink", "symlink loop"):
            target.unlink()
            target.symlink_to({"symlink to victim": victim, "dangling symlink": case.dir / "nowhere" / "x",
                               "symlink loop": target}[how])
        elif how == "directory":
            target.unlink()
            target.mkdir()
            (target / "x").write_bytes(b"x")
        elif how == "fifo":
            target.unlink()
            os.mkfifo(target)
        elif how == "unreadable":
            target.chmod(0)
        elif how == "folder is a file":
            cache = str(case.dir / "cache-file")
            Path(cache).write_bytes(junk)
        elif how == "folder is a dangling symlink":
            cache = str(case.dir / "cache-link")
            os.symlink(case.dir / "nowhere", cache)
        else:  # the same rules first named relative to another folder: the cache must not care
            _rmtree(case.cache)
            case.cli(*[os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in argv], cwd=ROOT)
        for attempt in ("first run", "second run"):
            code, out, _ = case.cli(*argv, cache=cache)
            if code is not None and (code, out) != want:
                case.problem(argv, "damaged cache changed the result",
                             f"{how} {target.name}, {attempt}: exit {code} (clean: {want[0]}), "
                             f"output {'differs' if out != want[1] else 'the same'}")
        if marker.exists():
            case.problem(argv, "code ran from the cache", f"{how} {target.name}: unpickling ran planted code")
        if victim.read_bytes() != b"victim":
            case.problem(argv, "wrote through a symlink", f"{target.name} -> {victim} was overwritten")

    damage = st.tuples(st.integers(0, len(runs) - 1), st.sampled_from(CORRUPTIONS), st.integers(0, 10**6),
                       st.binary(max_size=200), st.sampled_from(WRONG_TYPES))
    sweep(warm, "cache", damage, job)


# --- output paths -------------------------------------------------------------------------------

def _null_device(path: Path) -> bool:
    """A null device inside the case folder.  `-o /dev/null` itself is not run: a build that writes
    atomically (temporary file + rename) would, run as root, replace the system's /dev/null."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        return True
    except (OSError, AttributeError):
        return False


OUTPUTS = ["missing/out.txt", "adir", "adir/", "ro/out.txt", "ro", "devnull", "null-link", "file.txt/out.txt",
           "x" * 300, "missing/", "dangling", "loop", "", ".", "-", "rules-copy.bench", "fifo-link", "adir/../out.txt",
           "ro/existing.txt"]


def test_output_paths(warm):
    """-o and --html into missing, unwritable or odd places; never a stray temporary file left behind."""

    def job(case, x):
        where, flag, fmt = x
        d = case.dir
        (d / "adir").mkdir()
        (d / "ro").mkdir()
        (d / "ro" / "existing.txt").write_text("old", encoding="utf-8")
        (d / "ro").chmod(0o555)
        (d / "file.txt").write_text("x", encoding="utf-8")
        (d / "rules-copy.bench").write_text(ri.SMALL_RULES, encoding="utf-8")
        os.symlink(d / "nowhere" / "x", d / "dangling")
        os.symlink(d / "loop", d / "loop")
        os.symlink("/dev/null", d / "null-link")
        os.mkfifo(d / "fifo")
        os.symlink(d / "fifo", d / "fifo-link")
        if where == "devnull" and not _null_device(d / "devnull"):
            where = "null-link"
        if where in ("fifo-link",):  # a FIFO nobody reads blocks a writer: give it a reader
            reader = threading.Thread(target=lambda: (d / "fifo").read_bytes(), daemon=True)
            reader.start()
        flags = {"-o": ["-o", where], "--html": ["--html", where], "both": ["-o", where, "--html", where]}[flag]
        case.cli("run", RULES, *fmt, *flags)
        if where == "fifo-link":  # let the reader finish if benchdsl never opened the FIFO
            try:
                os.close(os.open(d / "fifo", os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass  # the reader is gone: benchdsl wrote to it
        stray = [str(p.relative_to(d)) for p in d.rglob(".benchdsl-*")]
        if stray:
            case.problem(("run", *flags), "temporary file left behind", ", ".join(stray))

    sweep(warm, "output paths", st.tuples(st.sampled_from(OUTPUTS), st.sampled_from(["-o", "--html", "both"]),
                              st.sampled_from([(), ("--format", "json"), ("--format", "csv"), ("--format", "markdown"),
                                               ("--for", "all", "--format", "csv")])), job)


# --- arguments ---------------------------------------------------------------------------------

arg_text = st.one_of(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40),
                     st.sampled_from(["", "-", "--", "Oslo", "Trondheim", "inhabitants", "T4.sfo_fee.best", "..",
                                      "x" * 5000, "ø", "\u2028", "T4..", "T4.sfo_fee.best.x", "--format"]))
PATHS = ["missing", "missing.bench", "empty-dir", "no-bench", "/dev/null", "fifo", "rules-copy.bench", "x.bench",
         "binary.bench", "loop", "", "-", "."]


@st.composite
def arguments(draw):
    command = draw(st.sampled_from(["check", "run", "fmt", "explain", "sensitivity"]))
    paths = draw(st.lists(st.sampled_from(PATHS + [RULES, SMALL]), min_size=1, max_size=3))
    argv = [command]
    if command == "explain":
        argv.append(draw(arg_text))
    argv += paths
    options = {"run": ["--own", "--panel", "--mapping", "--format", "--for", "-o", "--html", "--norwegian",
                       "--progress", "--no-progress", "-v"],
               "sensitivity": ["--without", "--weight", "--format", "--norwegian"],
               "fmt": ["--check"], "check": [], "explain": ["--norwegian"]}[command]
    for _ in range(draw(st.integers(0, 3))):
        if not options:
            break
        opt = draw(st.sampled_from(options))
        argv.append(opt)
        if opt in ("--panel", "--mapping"):
            argv.append(draw(st.sampled_from(PATHS)))
        elif opt in ("--own", "--without", "--weight", "--format", "--for"):
            argv.append(draw(arg_text))
        elif opt in ("-o", "--html"):
            argv.append(draw(st.sampled_from(["out.txt", "missing/out.txt", "empty-dir"])))
    return argv


def test_any_arguments(warm):
    """Every command with odd arguments: unknown names, missing, empty, binary, FIFO and device paths."""

    def job(case, argv):
        d = case.dir
        (d / "empty-dir").mkdir()
        (d / "no-bench").mkdir()
        (d / "no-bench" / "x.txt").write_text("x", encoding="utf-8")
        os.mkfifo(d / "fifo")
        os.symlink(d / "loop", d / "loop")
        case.write({"rules-copy.bench": ri.SMALL_RULES, "x.bench/y.bench": ri.SMALL_RULES,
                    "binary.bench": bytes(range(256))})
        case.cli(*argv)

    sweep(warm, "arguments", arguments(), job)
