"""Differential: whatever runs came before, a cached run prints what an uncached run prints.

Random small rule sets in two files, random edits between runs (some keep the
file's size and mtime, some touch only the data), random working directories
and ways of naming the rules, and two cached runs at once sharing the cache
folder: every cached run's stdout, stderr and exit code must be those of a run
with BENCHDSL_CACHE=off.  The CLI runs as a subprocess.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st


BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

# (working directory under the scratch folder, arguments); the rules are in proj/rules.
INVOCATIONS = [
    ("proj/rules", ("run", ".")),
    ("proj", ("run", "rules")),
    (".", ("run", "proj/rules")),
    ("other", ("run", "../proj/rules")),
    ("proj", ("run", "rules/b.bench", "rules/a.bench")),
    ("proj/rules", ("run", "{abs}/proj/rules")),
    ("proj", ("check", "rules")),
    ("proj", ("run", "--format", "csv", "rules")),
]

# "same mtime": the size stays too, so only the bytes tell; "round" always changes the output.
EDITS = ["none", "touch", "digit", "digit same mtime", "round same mtime", "round same mtime", "append",
         "panel same mtime", "break same mtime"]


@st.composite
def projects(draw):
    """{file name: text}: unit-cost measures in a.bench and b.bench, and their panel, own the dearest.

    Own's costs are above every peer's, so every saving is positive and its digits show:
    an edit to a rule that the cache missed would show in the output.
    """
    peers = ["B", "C", "D"][: draw(st.integers(2, 3))]
    head = "".join(f"municipality {m}\n" for m in ["A", *peers]) + (
        f"group G = A, {', '.join(peers)}\nown A 2007\npanel \"panel.csv\"\n"
        f"basis mean_others \"Mean\" = mean(G - own)\nbasis kth \"k-th\" = best({draw(st.integers(1, 2))}, G - own)\n")
    blocks, rows, panel = [], [], ["variable,municipality,year,value,unit"]
    for i in range(draw(st.integers(1, 3))):
        share = draw(st.sampled_from(["", " * 0.5", " * 1.25"]))
        blocks.append(
            f"indicator cost{i} {{\n    unit NOK/user\n    better lower\n    source \"cost{i}\"\n}}\n"
            f"indicator volume{i} {{\n    unit user\n    source \"volume{i}\"\n}}\n"
            f"measure m{i} {{\n    saving = gap(cost{i}) * volume{i}{share}\n    unit kNOK\n"
            f"    round {draw(st.integers(0, 2))}\n}}\n")
        rows.append(f'    row "m{i}" = m{i}: -, -')
        costs = [draw(st.integers(10_000, 60_000)) for _ in peers]
        panel += [f"cost{i},{m},2007,{c},NOK/user" for m, c in zip(peers, costs)]
        panel.append(f"cost{i},A,2007,{max(costs) + draw(st.integers(1_000, 20_000))},NOK/user")
        panel.append(f"volume{i},A,2007,{draw(st.integers(1_000, 50_000))},user")
    table = ('table T "T" {\n    column mean "Mean" = mean_others\n    column kth "k-th" = kth\n'
             + "\n".join(rows) + "\n    total: -, -\n}\n")
    cut = draw(st.integers(0, len(blocks)))
    return {"a.bench": head + "".join(blocks[:cut]), "b.bench": "".join(blocks[cut:]) + table,
            "panel.csv": "\n".join(panel) + "\n"}


# (edit, file, which spot, which of the example's invocations, two cached runs at once)
steps = st.tuples(st.sampled_from(EDITS), st.sampled_from(["a.bench", "b.bench"]), st.integers(0, 10**6),
                  st.integers(0, 1), st.booleans())


def edit(folder: Path, kind: str, name: str, n: int) -> None:
    if kind == "none":
        return
    path = folder / ("panel.csv" if kind.startswith("panel") else name)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    if kind == "touch":
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
        return
    if kind == "append":
        text += "# edited\n"
    else:  # one character for another: the size stays
        if kind.startswith("break"):
            pattern, old, new = r"\{", "{", "("
        elif kind.startswith("round"):
            pattern, old, new = r"(?<=round )\d", "012", "120"
        else:  # a number, not the digit in a name like cost0
            pattern, old, new = r"(?<![\w.])\d", "0123456789", "1234567890"
        spots = [m.start() for m in re.finditer(pattern, text)]
        if not spots:
            return
        i = spots[n % len(spots)]
        text = text[:i] + new[old.index(text[i])] + text[i + 1:]
    path.write_text(text, encoding="utf-8")
    if kind.endswith("same mtime"):
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size


def start(scratch: Path, invocation, cache_dir: Path | None) -> subprocess.Popen:
    cwd, args = invocation
    env = dict(os.environ)
    if cache_dir is None:
        env["BENCHDSL_CACHE"] = "off"
    else:
        env["BENCHDSL_CACHE_DIR"] = str(cache_dir)
    return subprocess.Popen([BENCHDSL, *(a.format(abs=scratch) for a in args)], cwd=scratch / cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outcome(p: subprocess.Popen):
    out, err = p.communicate(timeout=60)
    assert "Traceback" not in err, err
    return p.returncode, out, err


@settings(max_examples=max(2, settings().max_examples // 30))
@given(project=projects(), invocations=st.lists(st.sampled_from(INVOCATIONS), min_size=1, max_size=2, unique=True),
       steps=st.lists(steps, min_size=2, max_size=3))
def test_a_cached_run_prints_what_an_uncached_run_prints(project, invocations, steps):
    with tempfile.TemporaryDirectory(prefix="benchdsl-cache-prop-") as tmp:
        scratch = Path(os.path.realpath(tmp))
        rules = scratch / "proj" / "rules"
        rules.mkdir(parents=True)
        (scratch / "other").mkdir()
        for name, text in project.items():
            (rules / name).write_text(text, encoding="utf-8")
        shared = scratch / "cache"
        reference = {}  # (the files' bytes, invocation) -> the uncached outcome
        for kind, name, n, which, twice in steps:
            edit(rules, kind, name, n)
            invocation = invocations[which % len(invocations)]
            state = (tuple((p.name, p.read_bytes()) for p in sorted(rules.iterdir())), invocation)
            procs = [start(scratch, invocation, shared) for _ in range(2 if twice else 1)]
            if state not in reference:
                reference[state] = outcome(start(scratch, invocation, None))
            for p in procs:
                assert outcome(p) == reference[state], (kind, invocation)
