"""The `--for all` table written a chunk at a time: the same text as one guarded row at a time.

A national table is ~30 MB of text; built whole (and then encoded whole) it doubled the run's peak
memory, so `batch_csv_chunks` yields it in chunks that `files.write_output` writes as they come.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchdsl import batch
from benchdsl.files import write_output
from benchdsl.pipeline import run_paths
from benchdsl.report import breaks, machine

FIXTURE = Path(__file__).parent / "fixtures" / "reasons"
BENCHDSL = str(Path(sys.executable).parent / "benchdsl")


def one_row_at_a_time(b, norwegian: bool) -> str:
    """The table as it was written before chunks: every cell of every row through GuardedWriter."""
    buf = io.StringIO()
    w = machine.GuardedWriter(buf, norwegian)
    w.writerow((*machine.BATCH_HEADER, "series_breaks"))
    rounds = {m: x.round for m, x in b.program.measures.items()}
    crossed = breaks.of_batch(b)
    for r in batch.rows(b):
        v = r[4]
        value = "" if v is None else (repr(v).replace(".", ",") if norwegian else repr(v))
        if v is None:
            shown = "?" if r[6] == "not computed" else "-"
        else:
            d = rounds[r[2]]
            shown = f"{machine.round_half_up(v, d):.{d}f}"
            shown = shown.replace(".", ",") if norwegian else shown
        w.writerow((*r[:4], value, *r[5:], shown, "; ".join(br.text for br in crossed.get(r[:4], ()))))
    return buf.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("out")
    for f in FIXTURE.iterdir():
        shutil.copy(f, d / f.name)
    # a signed measure: negative figures are written, and guarded as any cell
    rules = (d / "r.bench").read_text(encoding="utf-8")
    (d / "r.bench").write_text(rules + 'measure s "S" {\n    saving = gap(cost) * users\n    unit NOK\n    signed\n}\n',
                               encoding="utf-8")
    return d


@pytest.mark.parametrize("norwegian", [False, True])
def test_chunks_make_the_table_row_by_row_writing_made(folder, norwegian):
    r = run_paths([str(folder)])
    assert r.ok, [d.message for d in r.diags if d.is_error]
    b = batch.evaluate(r.program, r.evaluator.values)
    expected = one_row_at_a_time(b, norwegian)
    chunks = list(machine.batch_csv_chunks(b, norwegian, rows_per_chunk=7))
    assert len(chunks) > 10 and "".join(chunks) == expected == machine.batch_csv(b, norwegian)
    assert any(x["saving"].startswith("-") for x in csv.DictReader(io.StringIO(expected), delimiter=";" if norwegian
                                                                     else ","))


def test_write_output_writes_chunks_as_one_file(tmp_path, capsys):
    target = tmp_path / "t.csv"
    target.write_text("old\n", encoding="utf-8")
    write_output(str(target), (f"{i},ø\n" for i in range(1000)))
    assert target.read_text(encoding="utf-8") == "".join(f"{i},ø\n" for i in range(1000))
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temporary file left
    write_output("-", iter(["a\n", "b\n"]))
    assert capsys.readouterr().out == "a\nb\n"


def test_for_all_to_a_file_from_the_cli(folder, tmp_path):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    out = tmp_path / "all.csv"
    p = subprocess.run([BENCHDSL, "run", str(folder), "--for", "all", "-o", str(out)], capture_output=True,
                       text=True, timeout=60, env=env)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr  # some figures are not computed
    p2 = subprocess.run([BENCHDSL, "run", str(folder), "--for", "all"], capture_output=True, text=True, timeout=60,
                        env=env)
    assert p2.returncode == 1 and "Traceback" not in p2.stderr
    assert out.read_text(encoding="utf-8") == p2.stdout
    rows = list(csv.DictReader(io.StringIO(p2.stdout)))
    assert len(rows) == 5 * 2 * 3 * 4  # municipalities x years x measures x bases
