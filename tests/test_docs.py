"""The documentation runs: every command shown in README.md and docs/*.md, on shipped files.

What is run, in the order of the page:

- a ```sh block: each line is a command (a line ending in `\\` goes on; `#` lines are comments);
- a console example, a block whose first line starts with `$ `: each `$` line is a command,
  and the lines below it are its output, compared with what it prints (stdout and stderr);
- a block marked with an HTML comment (invisible on the rendered page) just above its fence:

  | marker | meaning |
  | --- | --- |
  | `<!-- doc-test: skip REASON -->` | not run, because of REASON (needs a browser, an editor, the network, files the analyst has) |
  | `<!-- doc-test: exit N -->` | the block's commands exit with N (otherwise 0 or 1 is required, as documented: 1 is an audit failure, figures not computed, or a diff that found changes) |
  | `<!-- doc-test: output of COMMAND -->` | the block is the output of COMMAND: run it and compare |
  | `<!-- doc-test: file PATH -->` | the block is the content of PATH: write it before what follows |
  | `<!-- doc-test: append PATH -->` | add the block to PATH (after a blank line) |
  | `<!-- doc-test: replace PATH -->` | put the block in place of what it replaces in PATH: a block starting `measure m … {` replaces that block through its `}`; a line such as `saving = …` replaces the one line of PATH with the same text before its `=` |
  | `<!-- doc-test: in order -->` | the block's commands run one after the other (one needs what another writes) |
  | `<!-- doc-test: empty folder -->` (anywhere) | the page runs in an empty folder (a tutorial that makes its own files), not in a copy of the project |

In shown output, `…` stands for anything: a line of its own for any number of lines, within a
line for any text; runs of spaces count as one (alignment may change), leading spaces count
(carets). Every other block (bench, csv, json, output without a marker) is text and not run.

Each page runs in a fresh folder of its own, with the installed `benchdsl` first on PATH. Commands between two file changes run in parallel threads (unless `in order`), the first
command on each rule folder first, so that the others find its checked rules in the cache. A
failure names the page and the line of the block, the command, what was expected and what came.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = str(Path(sys.executable).parent)
# What a copy of the project leaves out: environments, caches and tests (no page runs those).
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis",
                                     "*.egg-info", "node_modules", "build", "dist", ".benchdsl-cache", "tests")

_MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
_DIRECTIVES = ("skip", "exit", "output of", "file", "append", "replace", "in order", "empty folder")


@dataclass
class Block:
    doc: Path
    line: int            # of the opening fence
    lang: str
    lines: list[str]
    marks: list[tuple[str, str]] = field(default_factory=list)

    def where(self) -> str:
        return f"{_shown(self.doc)}:{self.line}"

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)

    def mark(self, name: str) -> str | None:
        return next((arg for n, arg in self.marks if n == name), None)


@dataclass
class Command:
    block: Block
    command: str
    expected: list[str] | None = None  # shown output, or None: only the exit code is checked


def parse_doc(doc: Path) -> tuple[list[Block], bool]:
    """The page's fenced blocks with the markers just above each, and whether it runs in an empty folder."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    blocks, marks, empty = [], [], False
    i = 0
    while i < len(lines):
        m = _MARKER.match(lines[i])
        if m:
            name, arg = _directive(m.group(1), f"{_shown(doc)}:{i + 1}")
            if name == "empty folder":
                empty = True
            else:
                marks.append((name, arg))
            i += 1
            continue
        fence = re.match(r"^(```+)\s*([\w+-]*)\s*$", lines[i])
        if fence:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(fence.group(1))
                        and not lines[j].strip("`").strip()), None)
            assert end is not None, f"{_shown(doc)}:{i + 1}: a ``` block that is never closed"
            blocks.append(Block(doc, i + 1, fence.group(2).lower(), lines[i + 1 : end], marks))
            marks, i = [], end + 1
            continue
        if lines[i].strip():
            assert not marks, f"{_shown(doc)}:{i + 1}: a doc-test marker that is not just above a block"
        i += 1
    assert not marks, f"{_shown(doc)}: a doc-test marker at the end, above no block"
    return blocks, empty


def _shown(doc: Path) -> str:
    return str(doc.relative_to(ROOT)) if doc.is_relative_to(ROOT) else str(doc)


def _directive(text: str, where: str) -> tuple[str, str]:
    for name in sorted(_DIRECTIVES, key=len, reverse=True):
        if text == name or text.startswith(name + " "):
            arg = text[len(name):].strip()
            assert arg or name in ("empty folder", "in order"), f"{where}: `doc-test: {name}` needs an argument"
            if name == "exit":
                assert arg.isdigit(), f"{where}: `doc-test: exit` takes a number, not {arg!r}"
            return name, arg
    raise AssertionError(f"{where}: unknown doc-test marker {text!r}; known: {', '.join(_DIRECTIVES)}")


def steps(blocks: list[Block]):
    """What a page does, in order: ("write", block) or ("run", [Command, …])."""
    for b in blocks:
        if b.mark("skip") is not None:
            continue
        if any(b.mark(n) is not None for n in ("file", "append", "replace")):
            yield "write", b
        elif b.mark("output of") is not None:
            yield "run", [Command(b, b.mark("output of"), b.lines)]
        elif b.lang in ("sh", "bash", "shell", "console") or _is_console(b):
            yield "run", list(_commands(b))


def _is_console(b: Block) -> bool:
    first = next((line for line in b.lines if line.strip()), "")
    return b.lang in ("", "text", "console") and first.startswith("$ ")


def _commands(b: Block):
    if _is_console(b):
        current = None
        for line in b.lines:
            if line.startswith("$ "):
                if current:
                    yield current
                current = Command(b, line[2:].strip(), [])
            else:
                current.expected.append(line)
        if current:
            yield current
        return
    pending = ""
    for line in b.lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield Command(b, pending + line.strip())
        pending = ""


# --- running ---------------------------------------------------------------------------

def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
            "BENCHDSL_CACHE_DIR": str(cache), "COLUMNS": "100"}


def _run(c: Command, cwd: Path, env: dict) -> str | None:
    """None when the command did as the page says; otherwise why not."""
    try:
        p = subprocess.run(["/bin/sh", "-c", c.command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return f"{c.block.where()}: `{c.command}` did not finish in 120 s"
    want = c.block.mark("exit")
    codes = {int(want)} if want is not None else {0, 1}
    problems = []
    if p.returncode not in codes:
        problems.append(f"exited with {p.returncode}, the page says {' or '.join(map(str, sorted(codes)))}")
    if "Traceback (most recent call last)" in p.stdout:
        problems.append("a Python traceback")
    if c.expected is not None and any(line.strip() for line in c.expected) and not matches(c.expected, p.stdout):
        diff = "\n".join(difflib.unified_diff(_normal(c.expected), _normal(p.stdout.splitlines()),
                                              "shown on the page", "printed", lineterm=""))
        problems.append("printed something else than the page shows:\n" + diff)
    if not problems:
        return None
    note = ("" if c.block.mark("in order") is not None or p.returncode in codes else
            "\n(the commands of a block run in parallel: mark it `<!-- doc-test: in order -->` "
            "if one needs what another writes)")
    return (f"{c.block.where()}: `{c.command}` (run in {cwd}): " + "; ".join(problems)
            + ("" if c.expected else f"\n--- it printed:\n{p.stdout[-3000:]}") + note)


def _normal(lines: list[str]) -> list[str]:
    """Trailing spaces dropped, runs of spaces inside a line as one, blank lines at the end dropped."""
    out = [re.sub(r"(?<=\S)\s+", " ", line.rstrip()) for line in lines]
    while out and not out[-1]:
        out.pop()
    return out


def matches(expected: list[str], printed: str) -> bool:
    """Whether `printed` is what `expected` shows, `…` standing for anything (see the docstring)."""
    pattern = ""
    for line in _normal(expected):
        if line.strip() == "…":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += ".*?".join(re.escape(part) for part in line.split("…")) + r"\n"
    return re.fullmatch(pattern, "\n".join(_normal(printed.splitlines())) + "\n") is not None


def _write(b: Block, cwd: Path) -> None:
    for name in ("file", "append", "replace"):
        rel = b.mark(name)
        if rel is None:
            continue
        path = cwd / rel
        if name == "file":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(b.text, encoding="utf-8")
        elif name == "append":
            assert path.exists(), f"{b.where()}: `append {rel}`, but {rel} was not written before"
            old = path.read_text(encoding="utf-8")
            path.write_text(old + ("" if old.endswith("\n\n") or not old else "\n") + b.text, encoding="utf-8")
        else:
            path.write_text(_replaced(path.read_text(encoding="utf-8"), b), encoding="utf-8")


def _replaced(text: str, b: Block) -> str:
    lines = text.splitlines()
    new = [line for line in b.lines if line.strip()]
    assert new, f"{b.where()}: an empty block to replace with"
    if new[0].rstrip().endswith("{"):  # a whole block, through its `}`
        starts = [i for i, line in enumerate(lines) if line.strip() == new[0].strip()]
        assert len(starts) == 1, f"{b.where()}: `{new[0].strip()}` is in the file {len(starts)} times, not once"
        end = next(j for j in range(starts[0], len(lines)) if lines[j].strip() == "}")
        lines[starts[0] : end + 1] = b.lines
    else:
        for line in new:
            key = line.split("=")[0].strip() if "=" in line else line.split()[0]
            found = [i for i, old in enumerate(lines)
                     if (old.split("=")[0].strip() if "=" in old else (old.split() or [""])[0]) == key]
            assert len(found) == 1, f"{b.where()}: `{key} …` is in the file {len(found)} times, not once"
            lines[found[0]] = line
    return "\n".join(lines) + "\n"


def run_doc(doc: Path, tmp_path: Path) -> list[str]:
    blocks, empty = parse_doc(doc)
    cwd = tmp_path / "work"
    if empty:
        cwd.mkdir()
    else:
        shutil.copytree(ROOT, cwd, ignore=_NOT_COPIED, symlinks=True)
    # The suite's cache (tests/conftest.py): the grammar's tables and unit factors are made once;
    # checked rules are kept by their absolute paths, and each page has a folder of its own.
    env = _env(Path(os.environ.get("BENCHDSL_CACHE_DIR") or tmp_path / "cache"))
    failures: list[str] = []
    group: list[Command] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        def flush():
            keys = [_rules_of(c, cwd) for c in group]
            firsts = [c for i, c in enumerate(group) if keys[i] not in keys[:i]]
            rest = [c for c in group if c not in firsts]
            for batch in (firsts, rest):
                failures.extend(f for f in pool.map(lambda c: _run(c, cwd, env), batch) if f)
            group.clear()

        for kind, what in steps(blocks):
            if kind == "write":
                flush()
                _write(what, cwd)
            elif what and what[0].block.mark("in order") is not None:
                flush()
                failures.extend(f for f in map(lambda c: _run(c, cwd, env), what) if f)
            else:
                group.extend(what)
        flush()
    return failures


_TAKES_VALUE = {"-o", "--output", "--html", "--panel", "--mapping", "--own", "--year", "--format", "--without",
                "--weight", "--old-panel", "--new-panel", "--old-mapping", "--new-mapping", "--for", "--log"}


def _rules_of(c: Command, cwd: Path) -> str:
    """The rule folder or file a command reads (its cache entry), or the command itself."""
    words = c.command.split()
    if len(words) < 3 or words[0] != "benchdsl":
        return c.command
    args, skip = [], False
    for w in words[2:]:
        if skip or w.startswith("-"):
            skip = w in _TAKES_VALUE
            continue
        args.append(w)
    paths = [a for a in args if (cwd / a).exists()]
    if not paths and words[1] == "explain":
        paths = ["rules"]
    return os.path.normpath(paths[0]) if paths else c.command


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> dict[Path, list[str]]:
    """Every page run at once (a tutorial waits on its own file changes; another page need not)."""
    folders = [tmp_path_factory.mktemp(doc.stem) for doc in DOCS]
    with ThreadPoolExecutor(max_workers=len(DOCS)) as pool:
        return dict(zip(DOCS, pool.map(run_doc, DOCS, folders)))


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_command_in_the_docs_runs_as_shown(doc, ran):
    assert not ran[doc], "\n\n".join(ran[doc])


# --- the harness itself --------------------------------------------------------------

def test_the_wildcard_matches_lines_and_text():
    assert matches(["a", "…", "d"], "a\nb\nc\nd\n")
    assert matches(["a", "…", "b"], "a\nb\n")               # … may stand for no line at all
    assert matches(["x … z"], "x 1 2 3 z\n")
    assert matches(["T   7.0   8.4"], "T 7.0 8.4\n")        # alignment is not compared
    assert not matches(["a", "d"], "a\nb\nd\n")
    assert not matches(["  ^"], "   ^\n")                    # a caret's place is


def test_a_broken_doc_command_is_named_with_its_page_and_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n<!-- doc-test: empty folder -->\n\nText.\n\n```sh\nbenchdsl check nowhere/\n```\n\n"
                    "```\n$ benchdsl --version\nbenchdsl 9.9\n```\n", encoding="utf-8")
    failures = run_doc(page, tmp_path)
    assert len(failures) == 2
    assert failures[0].startswith(f"{page}:7: `benchdsl check nowhere/`"), failures[0]
    assert "exited with 2, the page says 0 or 1" in failures[0]
    assert failures[1].startswith(f"{page}:11: `benchdsl --version`") and "-benchdsl 9.9" in failures[1]


def test_every_sh_block_is_run_or_skipped_with_a_reason():
    for doc in DOCS:
        blocks, _ = parse_doc(doc)
        for b in blocks:
            if b.lang in ("sh", "bash", "shell", "console"):
                skip = b.mark("skip")
                assert skip is None or len(skip) > 10, f"{b.where()}: say why the block is not run"


def test_the_tutorial_builds_examples_home_care(tmp_path):
    """The tutorial says its result is examples/home_care/: its files, followed step by step, are
    that example's (the example's comments aside)."""
    blocks, _ = parse_doc(ROOT / "docs" / "tutorial.md")
    for kind, what in steps(blocks):
        if kind == "write":
            _write(what, tmp_path)

    def rules(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]

    built, shipped = tmp_path / "home_care", ROOT / "examples" / "home_care"
    assert sorted(p.name for p in built.iterdir()) == sorted(p.name for p in shipped.iterdir())
    assert rules((built / "home_care.bench").read_text(encoding="utf-8")) == rules(
        (shipped / "home_care.bench").read_text(encoding="utf-8"))
    assert (built / "panel.csv").read_text(encoding="utf-8") == (shipped / "panel.csv").read_text(encoding="utf-8")
