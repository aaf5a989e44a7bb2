"""Series breaks: a figure that compares a municipality's values across a merger says so.

Trondheim merged with Klæbu on 2020-01-01, Kristiansand with Songdalen and Søgne the same day;
Bergen only changed its code (1201 -> 4601), which is not a break (shared/realdata/README.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchdsl import registry
from benchdsl.pipeline import run_paths
from benchdsl.report import breaks

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")

RULES = """\
municipality Trondheim 1601
municipality Kristiansand 1001
municipality Bergen 1201
own Trondheim 2020
panel "p.csv"
basis y2017 "2017-nivå" = year(2017)
basis bergen "Bergen" = Bergen
indicator cost {
    unit NOK/user
    better lower
    source "cost"
}
indicator users {
    unit user
    source "users"
}
measure m "Cost" {
    saving = gap(cost) * users
    unit MNOK
    round 1
}
table T "Savings" {
    column y2017 "2017" = y2017
    column bergen "Bergen" = bergen
    row "Cost" = m: 10.0, 5.0
}
"""

# Each municipality under the code it had that year.  Trondheim 2020: (110 000 - 100 000) × 1 000 users
# = 10 MNOK against its own 2017 level; against Bergen 2020, (110 000 - 105 000) × 1 000 = 5 MNOK.
PANEL = """\
variable,municipality,year,value,unit
cost,1601,2017,100000,NOK/user
cost,5001,2020,110000,NOK/user
users,5001,2020,1000,user
cost,1201,2017,90000,NOK/user
cost,4601,2020,105000,NOK/user
users,4601,2020,1000,user
cost,1001,2017,80000,NOK/user
cost,4204,2020,95000,NOK/user
users,4204,2020,2000,user
"""

KLAEBU = ("Trondheim 2017 is compared with 2020 across a series break: "
          "2020: Trondheim (5001) and Klæbu (5030) merged into Trondheim (5001)")


def folder(tmp_path: Path) -> Path:
    (tmp_path / "r.bench").write_text(RULES, encoding="utf-8")
    (tmp_path / "p.csv").write_text(PANEL, encoding="utf-8")
    return tmp_path


def cli(tmp_path: Path, *args: str):
    env = dict(os.environ, BENCHDSL_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([BENCHDSL, *args], capture_output=True, text=True, timeout=60, env=env)


def test_a_year_basis_across_a_merger_warns_in_text_json_and_html(tmp_path):
    d = folder(tmp_path)
    r = cli(tmp_path, "run", str(d), "--html", str(tmp_path / "r.html"))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout + r.stderr
    assert "2 of 2 published figures reproduced" in r.stdout
    text = " ".join(r.stdout.split())  # the text report wraps long lines
    assert breaks.HEADING in text
    assert f"! {KLAEBU} in T.m.y2017" in text
    assert "T.m.bergen" not in text.split(breaks.HEADING)[1]  # Bergen 2020 against Trondheim 2020: one year

    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="series-breaks"' in html and KLAEBU in html
    assert f"series break: {KLAEBU}" in html  # in the figure's derivation too

    r = cli(tmp_path, "run", str(d), "--format", "json")
    doc = json.loads(r.stdout)
    (top,) = doc["series_breaks"]
    assert (top["municipality"], top["from_year"], top["to_year"], top["figures"]) == ("Trondheim", 2017, 2020,
                                                                                       ["T.m.y2017"])
    (event,) = top["events"]
    assert (event["year"], event["kind"], event["came_out"]) == (2020, "merger", ["Trondheim (5001)"])
    assert event["went_in"] == ["Trondheim (5001)", "Klæbu (5030)"]
    items = {i["name"]: i for i in doc["items"]}
    assert items["T.m.y2017"]["series_breaks"][0]["text"] == KLAEBU
    assert "series_breaks" not in items["T.m.bergen"]

    r = cli(tmp_path, "explain", "T.m.y2017", str(d))
    assert f"series break: {KLAEBU}" in r.stdout


def test_another_municipalitys_merger_and_a_code_change_that_is_none(tmp_path):
    d = folder(tmp_path)
    # Kristiansand 2020 against its 2017 level: (95 000 - 80 000) × 2 000 = 30 MNOK, across its merger
    r = run_paths([str(d)], own="Kristiansand")
    (br,) = breaks.of_figure(r.program, r.evaluator.measure("m", "y2017"))
    assert br.text == ("Kristiansand 2017 is compared with 2020 across a series break: 2020: Kristiansand (1001), "
                       "Songdalen (1017) and Søgne (1018) merged into Kristiansand (4204)")
    assert r.evaluator.measure("m", "y2017").raw == 30.0
    # Bergen 2017 -> 2020 is a new code for the same territory: no break
    r = run_paths([str(d)], own="Bergen")
    assert breaks.of_audit(r.program, r.audit) == []


def test_breaks_of_the_municipalities_a_figure_reads():
    declared = {"Trondheim": "1601", "Kristiansand": "1001", "A": "0001"}
    reads = [("Trondheim", 2020), ("Kristiansand", 2019), ("Kristiansand", 2020), ("Trondheim", 2018),
             ("A", 2000), ("A", 2020), ("Bergen", 2019), ("Bergen", 2020)]
    got = registry.series_breaks(reads, declared)
    # a peer read in 2019 and 2020 crosses its merger; Trondheim 2018-2020 crosses Klæbu's; a made-up
    # municipality and a code change (Bergen) have none
    assert [(b.municipality, b.from_year, b.to_year, [e.year for e in b.events]) for b in got] == [
        ("Trondheim", 2018, 2020, [2020]), ("Kristiansand", 2019, 2020, [2020])]
    assert registry.series_breaks([("Trondheim", 2018), ("Trondheim", 2019)], declared) == ()
    assert registry.series_breaks([("Trondheim", 2020)], declared) == ()
    # before any municipality's known history, the register has nothing to say
    assert registry.series_breaks([("Eigersund", 2004), ("Eigersund", 2007)]) == ()


def test_figures_before_the_first_event_need_no_register():
    reg = registry.default()
    events = [e.year for m in reg.municipalities for e in m.events if e.is_break]
    known = [m.known_from for m in reg.municipalities if m.known_from is not None]
    assert breaks.FIRST_EVENT == min(events + known)


def test_a_municipality_known_only_from_2024_may_cross_one():
    (b,) = registry.series_breaks([("Eigersund", 2019), ("Eigersund", 2025)])
    assert not b.certain
    assert b.text == ("Eigersund 2019 is compared with 2025 and the register cannot tell whether a merger or split "
                      "lies between: 2024: the register does not know this municipality before 2024")


# --- `--for all`: a break on the rows of the municipalities whose figures cross one ------------------


def test_for_all_marks_the_rows_that_cross_a_merger_and_no_others(tmp_path):
    d = folder(tmp_path)
    r = cli(tmp_path, "run", str(d), "--for", "all")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr  # 2017 rows have no users: not computed
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0])[-1] == "series_breaks"
    marked = {(row["municipality"], row["year"], row["basis"]): row["series_breaks"] for row in rows
              if row["series_breaks"]}
    # Trondheim and Kristiansand 2020 against their own 2017 level cross their 2020 mergers; Bergen 2020
    # against 2017 crosses only a new code; against Bergen (one year) nothing is compared across years
    assert marked == {
        ("Trondheim", "2020", "y2017"): KLAEBU,
        ("Kristiansand", "2020", "y2017"): "Kristiansand 2017 is compared with 2020 across a series break: 2020: "
                                           "Kristiansand (1001), Songdalen (1017) and Søgne (1018) merged into "
                                           "Kristiansand (4204)",
    }
    r = cli(tmp_path, "run", str(d), "--for", "all", "--format", "json")
    doc = json.loads(r.stdout)
    found = {(row["municipality"], row["year"], row["basis"]): row["series_breaks"] for row in doc["rows"]
             if "series_breaks" in row}
    assert set(found) == {("Trondheim", 2020, "y2017"), ("Kristiansand", 2020, "y2017")}
    (br,) = found[("Trondheim", 2020, "y2017")]
    assert (br["municipality"], br["from_year"], br["to_year"], br["certain"], br["text"]) == (
        "Trondheim", 2017, 2020, True, KLAEBU)


DIFFERENTIAL = """\
municipality Trondheim 1601
municipality Kristiansand 1001
municipality Bergen 1201
municipality Oslo 0301
group G = Trondheim, Kristiansand, Bergen, Oslo
own Trondheim 2020
panel "p.csv"
basis y2017 "2017-nivå" = year(2017)
basis bergen "Bergen" = Bergen
basis others "Snitt av de andre" = mean(G - own)
basis second "2. beste" = best(2, G - own)
indicator cost {
    unit NOK/user
    better lower
    source "cost"
}
indicator users {
    unit user
    source "users"
}
measure m "Cost" {
    saving = gap(cost) * users
    unit MNOK
}
measure trend "The basis's change since 2017" {
    let change = basis(cost) - basis(cost)@2017
    saving = change * users
    unit MNOK
    signed
}
measure own_growth "Own growth" {
    saving = growth(cost, 2017, 2020) * cost * users
    unit MNOK
    signed
}
"""


def test_for_all_finds_what_each_figure_alone_finds(tmp_path):
    """The breaks of `--for all`, read from the rules, against those each figure's derivation gives
    when it is computed alone, for every municipality, year, measure and basis."""
    from benchdsl.evaluate import Evaluator

    from benchdsl import batch

    (tmp_path / "r.bench").write_text(DIFFERENTIAL, encoding="utf-8")
    lines = ["variable,municipality,year,value,unit"]
    codes = {"Trondheim": ("1601", "5001"), "Kristiansand": ("1001", "4204"), "Bergen": ("1201", "4601"),
             "Oslo": ("0301", "0301")}
    for k, (old, new) in enumerate(codes.values()):
        for year, code in ((2017, old), (2020, new)):
            lines += [f"cost,{code},{year},{90000 + 1000 * k + year},NOK/user", f"users,{code},{year},{1000 + k},user"]
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_paths([str(tmp_path)])
    assert r.ok, [d.message for d in r.diags if d.is_error]
    b = batch.evaluate(r.program, r.evaluator.values)
    found = breaks.of_batch(b)
    crossing = 0
    for i, muni in enumerate(b.municipalities):
        for j, year in enumerate(b.years):
            alone = Evaluator(r.program, r.evaluator.values, muni, year)
            for (measure, basis), values in b.figures.items():
                fig = alone.measure(measure, basis)
                expected = set(breaks.of_figure(r.program, fig)) if values[i, j] == values[i, j] else set()
                assert set(found.get((muni, year, measure, basis), ())) == expected, (muni, year, measure, basis)
                crossing += bool(expected)
    assert crossing >= 10  # the comparison is not an empty one


def test_a_let_only_a_claim_reads_adds_no_input_to_the_saving(tmp_path):
    """The reviewer's case: `let old = cost@2019`, read by a claim only, was evaluated into the saving's
    derivation, so the figure-at-a-time run said the saving crossed Klæbu's 2020 merger (and listed
    cost 2019 as its input) while --for all did not.  The saving reads 2024 only; the claim crosses."""
    import json

    from helpers import run_cli

    (tmp_path / "r.bench").write_text(
        'municipality Trondheim 5001\nmunicipality Bergen 4601\nown Trondheim 2024\npanel "p.csv"\n'
        'basis peer_b "Bergen" = Bergen\nindicator cost "cost" {\n    unit NOK/inhabitant\n    better lower\n'
        '    source "cost"\n}\nmeasure m "m" {\n    let old = cost@2019\n    saving = gap(cost)\n'
        '    unit NOK/inhabitant\n    claim grew "grew": cost / old - 1 = 10 %\n}\n'
        'table T "t" {\n    column b "B" = peer_b\n    row "m" = m\n}\n', encoding="utf-8")
    (tmp_path / "p.csv").write_text("variable,municipality,year,value,unit\n"
                                    "cost,Trondheim,2024,52000,NOK/inhabitant\ncost,Trondheim,2019,47000,NOK/inhabitant\n"
                                    "cost,Bergen,2024,50000,NOK/inhabitant\n", encoding="utf-8")
    doc = json.loads(run_cli(tmp_path, "run", "r.bench", "--format", "json").stdout)
    assert [f.get("series_breaks") for f in doc["figures"]] == [None]
    # 52 000 / 47 000 - 1 = 10.6 %: the claim compares 2019 with 2024, across the merger
    grew = next(i for i in doc["items"] if i["name"] == "m.grew")
    assert [b["from_year"] for b in grew["series_breaks"]] == [2019]
    assert "2020: Trondheim (5001) and Klæbu (5030) merged" in grew["series_breaks"][0]["text"]
    explained = run_cli(tmp_path, "explain", "m.peer_b", "r.bench").stdout
    assert "let old = cost@2019" in explained and "47 000" in explained
    assert explained.count("p.csv:") == 2  # Trondheim's cost 2024 and Bergen's: not the 2019 value
