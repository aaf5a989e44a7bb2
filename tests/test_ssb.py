"""SSB's formats: Statbank CSV (wide and long) and JSON-stat 2.0, through a mapping file."""

import csv
import json
from pathlib import Path

import pytest

from benchdsl import ssb
from benchdsl.pipeline import run_paths

from helpers import ROOT, cli

FIX = Path(__file__).parent / "fixtures" / "ssb"


@pytest.fixture(scope="module")
def program():
    return run_paths([str(ROOT / "rules")]).program


def mapping(name="mapping.csv"):
    rows, diags = ssb.read_mapping((FIX / name).read_text(encoding="utf-8"), name)
    assert not diags
    return rows


def table(obs):
    return {(o.variable, o.municipality, o.year): (o.value, o.missing) for o in obs}


def test_statbank_wide_latin1_with_title_decimal_commas_and_symbols(program):
    text = (FIX / "statbank_wide.csv").read_bytes().decode("latin-1")
    obs, diags = ssb.read_statbank_csv(text, "wide.csv", program, mapping())
    assert diags == []
    t = table(obs)
    assert t[("sfo_brutto_per_bruker", "Trondheim", 2006)] == (21400.5, None)
    assert t[("sfo_brutto_per_bruker", "Bergen", 2006)] == (None, "not yet published (SSB '..')")
    assert t[("sfo_brutto_per_bruker", "Tromsø", 2006)] == (None, "confidential (SSB ':')")
    assert t[("sfo_brutto_per_bruker", "Tromsø", 2007)] == (None, "nil (SSB '-')")
    assert t[("andel_80_i_institusjon", "Trondheim", 2007)] == (15.6, None)
    assert all(o.provenance == "ssb" for o in obs)


def test_statbank_long_one_row_per_observation(program):
    obs, diags = ssb.read_statbank_csv((FIX / "statbank_long.csv").read_text(encoding="utf-8"), "long.csv",
                                       program, mapping())
    assert diags == []
    assert table(obs) == {("sfo_brukere", "Trondheim", 2007): (5985.0, None),
                          ("sfo_brukere", "Trondheim", 2006): (None, "not applicable (SSB '...')"),
                          ("sfo_brukere", "Oslo", 2007): (21000.0, None)}


@pytest.mark.parametrize("name", ["mapping.csv", "mapping_codes.csv"])
def test_jsonstat_row_major_values_and_status(program, name):
    obs, diags = ssb.read_jsonstat((FIX / "jsonstat.json").read_text(encoding="utf-8"), "j.json", program,
                                   mapping(name))
    assert diags == []
    t = table(obs)
    assert t[("sfo_brutto_per_bruker", "Trondheim", 2006)] == (21400.5, None)
    assert t[("sfo_brukere", "Trondheim", 2007)] == (5985.0, None)
    assert t[("sfo_brutto_per_bruker", "Bergen", 2006)] == (None, "not yet published (SSB '..')")
    assert t[("sfo_brukere", "Bergen", 2007)] == (None, "confidential (SSB ':')")


# --- the report's panel, re-encoded as SSB would publish it -------------------------

def _panel_rows():
    with (ROOT / "data" / "trondheim2007.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _series(variable):
    return f"{variable.replace('_', ' ').capitalize()} (KOSTRA)"


def _encode(tmp_path, program):
    rows = _panel_rows()
    codes = {name: code for name, code in program.municipalities.items()}
    variables = sorted({r["variable"] for r in rows})
    units = {r["variable"]: r["unit"] for r in rows}
    years = sorted({int(r["year"]) for r in rows})
    munis = sorted({r["municipality"] for r in rows})
    value = {(r["variable"], r["municipality"], int(r["year"])): r["value"] for r in rows}
    with (tmp_path / "mapping.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["variable", "unit", "statistikkvariabel"])
        for v in variables:
            w.writerow([v, units[v], _series(v)])
    # Statbank CSV: Latin-1, title row, a column per year, decimal commas, '..' where there is no value
    lines = ['"12362: Utvalgte nøkkeltall for kommuneforvaltningen"', "",
             ";".join(['"region"', '"statistikkvariabel"'] + [f'"{y}"' for y in years])]
    for m in munis:
        for v in variables:
            cells = [value.get((v, m, y), "..").replace(".", ",") if (v, m, y) in value else ".." for y in years]
            lines.append(";".join([f'"{codes[m]} {m}"', f'"{_series(v)}"'] + cells))
    (tmp_path / "statbank.csv").write_bytes("\n".join(lines).encode("latin-1"))
    # JSON-stat 2.0: region x series x year, row-major, null with status '..' where there is no value
    flat, status = [], {}
    for m in munis:
        for v in variables:
            for y in years:
                x = value.get((v, m, y))
                if x is None:
                    status[str(len(flat))] = ".."
                flat.append(None if x is None else float(x))
    doc = {"version": "2.0", "class": "dataset", "id": ["Region", "ContentsCode", "Tid"],
           "size": [len(munis), len(variables), len(years)],
           "role": {"geo": ["Region"], "time": ["Tid"], "metric": ["ContentsCode"]},
           "dimension": {
               "Region": {"label": "region", "category": {"index": [codes[m] for m in munis],
                                                          "label": {codes[m]: m for m in munis}}},
               "ContentsCode": {"label": "statistikkvariabel", "category": {
                   "index": {f"KOS{i:04d}": i for i in range(len(variables))},
                   "label": {f"KOS{i:04d}": _series(v) for i, v in enumerate(variables)}}},
               "Tid": {"label": "år", "category": {"index": [str(y) for y in years]}}},
           "value": flat, "status": status}
    (tmp_path / "panel.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("fmt", ["statbank.csv", "panel.json"])
def test_ssb_encodings_of_the_panel_give_the_same_figures(tmp_path, program, fmt):
    _encode(tmp_path, program)
    original = run_paths([str(ROOT / "rules")])
    encoded = run_paths([str(ROOT / "rules")], panels=[(str(tmp_path / fmt), str(tmp_path / "mapping.csv"))])
    assert encoded.ok, [d.message for d in encoded.diags if d.is_error][:3]
    assert [(i.name, i.computed, i.peer, i.status) for i in encoded.audit.items] == [
        (i.name, i.computed, i.peer, i.status) for i in original.audit.items]
    code, out, err = cli("run", str(ROOT / "rules"), "--panel", str(tmp_path / fmt),
                         "--mapping", str(tmp_path / "mapping.csv"))
    assert code == 0 and out.rstrip().endswith("103 of 108 published figures reproduced; 2 report inconsistencies")


def test_a_panel_declaration_can_name_a_mapping(tmp_path):
    (tmp_path / "r.bench").write_text(f'''
municipality Trondheim 1601
municipality Bergen 1201
own Trondheim 2007
panel "{FIX / 'jsonstat.json'}" mapping "{FIX / 'mapping_codes.csv'}"
basis bergen "Bergen" = Bergen
indicator cost {{
    unit NOK/user
    better lower
    source "sfo_brutto_per_bruker"
}}
indicator users {{
    unit user
    source "sfo_brukere"
}}
measure m {{
    saving = gap(cost) * users
    unit MNOK
    claim c "saving against Bergen" under bergen: saving = 8.2
}}
''', encoding="utf-8")
    r = run_paths([str(tmp_path / "r.bench")])
    assert r.ok and r.audit.items[0].status == "ok"  # (22 200 - 20 826) x 5 985 = 8.2 MNOK
