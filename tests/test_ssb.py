"""SSB's formats: Statbank CSV (wide and long) and JSON-stat 2.0, through a mapping file."""

import csv
import json
from pathlib import Path

import attrs
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
    section1 = str(ROOT / "data" / "section1.csv")  # section 1's printed tables, not KOSTRA series
    encoded = run_paths([str(ROOT / "rules")], panels=[(str(tmp_path / fmt), str(tmp_path / "mapping.csv")),
                                                       (section1, None)])
    assert encoded.ok, [d.message for d in encoded.diags if d.is_error][:3]
    assert [(i.name, i.computed, i.peer, i.status) for i in encoded.audit.items] == [
        (i.name, i.computed, i.peer, i.status) for i in original.audit.items]
    # --mapping applies to every --panel, so from the command line the SSB file alone: section 2's
    # figures as before; section 1's 38 claims and Tables 1-3's 58 cells are not computed without
    # its printed tables: 212 - 96 = 116, of which 111 reproduced as before; nor are Figure 1's
    # 3 × 4 points and its mark, published nowhere: 13 further figures
    code, out, err = cli("run", str(ROOT / "rules"), "--panel", str(tmp_path / fmt),
                         "--mapping", str(tmp_path / "mapping.csv"))
    assert code == 1, err
    assert out.rstrip().endswith("111 of 212 published figures reproduced; 2 report inconsistencies; "
                                 "13 further figures not computed")


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


# --- regressions of issue 9: SSB files read safely -----------------------------------

def _mapping_text(text, name="m.csv"):
    return ssb.read_mapping(text, name)


@pytest.mark.parametrize("text, line, message", [
    # a one-field line raised IndexError
    ("variable,unit,statistikkvariabel\nsfo_brukere\n", 2, "this line has 1 field, the header 3"),
    ("variable,unit,statistikkvariabel\nsfo_brukere,user,Brukere i SFO,extra\n", 2, "this line has 4 fields, the header 3"),
    # no dimension columns: every series mapped to the first variable
    ("variable,unit\nsfo_brukere,user\n", 1,
     "the mapping names no dimension to match, so every series would map to its first variable"),
    ("variable,unit,statistikkvariabel\nsfo_brukere,user,\n", 2, "this line names no category, so it would match every series"),
    ("variable,unit,statistikkvariabel\nsfo_brukere,user,Brukere i SFO\nx,user,brukere i sfo\n", 3,
     "this line matches the same series as line 2"),
    ("variable,unit,statistikkvariabel\nsfo_brukere,,Brukere i SFO\n", 2, "this line has no unit"),
    ("variable,unit,funksjon,Funksjon\n", 1, "the dimension `Funksjon` is named twice in the header"),
    ("variable\n", 1, "a mapping starts with the columns variable,unit and then the dimensions to match"),
    ("", 1, "a mapping starts with the columns variable,unit and then the dimensions to match"),
    ('variable,unit,statistikkvariabel\n"unclosed,' + "x" * 200_000 + "\n", 2, "a field on this line is longer than 128 KB"),
])
def test_mapping_errors_are_located(text, line, message):
    rows, diags = _mapping_text(text)
    assert rows == []
    assert [(d.span.line, d.message) for d in diags] == [(line, message)]


def test_a_semicolon_mapping_is_read_too():
    rows, diags = _mapping_text("variable;unit;statistikkvariabel\nsfo_brukere;user;Brukere i SFO, totalt\n")
    assert diags == [] and rows[0]["match"] == {"statistikkvariabel": "Brukere i SFO, totalt"}


WIDE_HEAD = '"region";"statistikkvariabel";"2006";"2007"\n'


def _statbank(program, body, mapping_text="variable,unit,statistikkvariabel\nsfo_brukere,user,Brukere i SFO\n"):
    m, diags = _mapping_text(mapping_text)
    assert diags == []
    return ssb.read_statbank_csv(body, "s.csv", program, m)


def test_statbank_a_duplicate_series_is_an_error_at_the_second(program):
    # `"1601 Trondheim";"Brukere i SFO";` is 33 characters: 2006's cell starts at 34, 2007's at 40
    obs, diags = _statbank(program, WIDE_HEAD + '"1601 Trondheim";"Brukere i SFO";5 800;5 985\n'
                                                '"1601 Trondheim";"Brukere i SFO";5 800;473,9\n')
    assert table(obs)[("sfo_brukere", "Trondheim", 2007)] == (5985.0, None)  # the first stands; nothing overwritten
    assert [(str(d.span), d.message) for d in diags] == [
        ("s.csv:3:34", "sfo_brukere for Trondheim 2006 is given twice (first at s.csv:2:34)"),
        ("s.csv:3:40", "sfo_brukere for Trondheim 2007 is given twice (first at s.csv:2:40)"),
    ]


def test_statbank_two_series_mapped_to_one_variable_is_an_error(program):
    # Before: the second series overwrote the first (8.2 became 473.9).
    mapping_text = ("variable,unit,statistikkvariabel\nsfo_brukere,user,Brukere i SFO\n"
                    "sfo_brukere,user,Brukere i SFO i alt\n")
    obs, diags = _statbank(program, WIDE_HEAD + '"1601 Trondheim";"Brukere i SFO";8,2;8,2\n'
                                                '"1601 Trondheim";"Brukere i SFO i alt";473,9;473,9\n', mapping_text)
    assert {o.value for o in obs} == {8.2}
    assert diags[0].message == ("two series map to sfo_brukere for Trondheim 2006: `statistikkvariabel Brukere i SFO i alt` "
                                "here, `statistikkvariabel Brukere i SFO` at s.csv:2:34")
    assert len(diags) == 2


def test_statbank_two_region_codes_with_one_name_are_an_error(program):
    # 5001 is Trondheim's code from 2018; the rules declare 1601, and the register knows both as Trondheim
    obs, diags = _statbank(program, WIDE_HEAD + '"1601 Trondheim";"Brukere i SFO";1;2\n'
                                                '"5001 Trondheim";"Brukere i SFO";3;4\n')
    assert len(obs) == 2 and [o.value for o in obs] == [1.0, 2.0]  # the first stands
    errors = [d for d in diags if d.is_error]
    assert len(errors) == 2
    assert errors[0].message.startswith("`5001 Trondheim` here and `1601 Trondheim` at s.csv:2:34 are both Trondheim")
    # and a value for 2006 under 5001 may be today's Trondheim, Klæbu included: said once for the cell
    (w,) = [d for d in diags if not d.is_error]
    assert w.message.startswith("5001 is Trondheim's code from 2018, and a value for 2006 under it may cover another "
                                "territory: 2020: Trondheim (5001) and Klæbu (5030) merged into Trondheim (5001)")
    assert w.message.endswith("(and 1 more value with `5001 Trondheim`, 2006-2007)")


@pytest.mark.parametrize("cell, message", [
    ("inf", "`inf` is not a finite number"),
    ("nan", "`nan` is not a finite number"),
    ("1e400", "`1e400` is not a finite number"),
    ("3_12", "`3_12` is not a number"),
    ("３１２", "`３１２` is not a number"),
    ("1.234", "`1.234` is ambiguous in a file with decimal commas"),
])
def test_statbank_numbers_are_checked_where_read(program, cell, message):
    obs, diags = _statbank(program, WIDE_HEAD + f'"1601 Trondheim";"Brukere i SFO";{cell};5 985\n')
    assert table(obs) == {("sfo_brukere", "Trondheim", 2007): (5985.0, None)}
    assert [(str(d.span), d.message) for d in diags] == [("s.csv:2:34", message)]


def test_statbank_a_comma_separated_export_has_decimal_points(program):
    obs, diags = _statbank(program, 'region,statistikkvariabel,2006,2007\n1601 Trondheim,Brukere i SFO,5 800.5,..\n')
    assert diags == [] and table(obs) == {("sfo_brukere", "Trondheim", 2006): (5800.5, None),
                                          ("sfo_brukere", "Trondheim", 2007): (None, "not yet published (SSB '..')")}


def test_statbank_long_years_are_ascii(program):
    obs, diags = _statbank(program, '"region";"statistikkvariabel";"år";"v"\n"1601 Trondheim";"Brukere i SFO";"２００７";5\n')
    assert obs == [] and [d.message for d in diags] == ["year `２００７` is not a year"]


@pytest.mark.parametrize("body, message", [
    (WIDE_HEAD + '"1601 Trondheim";"' + "x" * 200_000 + '";1;2\n', "a field on this line is longer than 128 KB"),
    (WIDE_HEAD + '1601 Trondheim;Brukere i SFO;1\r2;3\n', "a line ends inside a field (a lone carriage return?)"),
])
def test_statbank_csv_errors_are_located_not_crashes(program, body, message):
    _, diags = _statbank(program, body)
    assert [(d.span.line, d.message) for d in diags] == [(2, message)]


def test_statbank_binary_data_is_a_located_error_not_a_crash(program):
    # Before: _csv.Error escaped.  Every byte but NUL (which `decode` refuses first), as Latin-1.
    body = WIDE_HEAD + (bytes(range(1, 256)) * 40).decode("latin-1")
    _, diags = _statbank(program, body)
    assert diags and all(d.is_error and d.span.path == "s.csv" and d.span.line >= 2 for d in diags)


# JSON-stat: every malformed structure a located error, in an analyst's words.

def _doc():
    return json.loads((FIX / "jsonstat.json").read_text(encoding="utf-8"))


def _variant(change):
    doc = _doc()
    out = change(doc)
    return json.dumps(doc if out is None else out, indent=1, ensure_ascii=False)


def _set(path, value):
    def change(doc):
        *parents, last = path
        node = doc
        for key in parents:
            node = node[key]
        node[last] = value
    return change


def _delete(path):
    def change(doc):
        *parents, last = path
        node = doc
        for key in parents:
            node = node[key]
        del node[last]
    return change


DIM = ("dimension", "Tid", "category")
JSONSTAT_VARIANTS = {
    "a list": ("[]", "not a JSON-stat dataset: the file holds a list, not an object"),
    "a text": ('"dataset"', "not a JSON-stat dataset: the file holds a text, not an object"),
    "null": ("null", "not a JSON-stat dataset: the file holds null, not an object"),
    "an empty object": ("{}", "not a JSON-stat 2.0 dataset: it has no `id`"),
    "deep nesting": ("[" * 100_000, "not a JSON-stat dataset: it is nested too deeply"),
    "truncated": (_variant(lambda d: None)[:200], "not JSON: "),
    "NaN": (_variant(lambda d: None).replace("21400.5", "NaN"), "`NaN` is not a number"),
    "a key twice": (_variant(lambda d: None).replace('"status"', '"value": [1],\n "status"'),
                    "the key `value` appears twice in one object"),
    "a collection": (_variant(_set(("class",), "collection")), "this is a JSON-stat collection, not a dataset"),
    "no size": (_variant(_delete(("size",))), "not a JSON-stat 2.0 dataset: it has no `size`"),
    "no value": (_variant(_delete(("value",))), "not a JSON-stat 2.0 dataset: it has no `value`"),
    "id a text": (_variant(_set(("id",), "Tid")), "`id` must list the dimensions' names"),
    "id empty": (_variant(_set(("id",), [])), "`id` must list the dimensions' names"),
    "id twice": (_variant(_set(("id",), ["Tid", "Tid", "ContentsCode"])), "`id` names the dimension `Tid` twice"),
    "size too short": (_variant(_set(("size",), [2, 2])),
                       "`size` must give a count of categories for each of the 3 dimensions in `id`"),
    "size a text": (_variant(_set(("size",), ["2", 2, 2])),
                    "`size` must give a count of categories for each of the 3 dimensions in `id`"),
    "size negative": (_variant(_set(("size",), [2, 2, -2])),
                      "`size` must give a count of categories for each of the 3 dimensions in `id`"),
    "size wrong": (_variant(_set(("size", 2), 3)), "the dimension `Tid` has 2 categories, but `size` says 3"),
    "a dimension missing": (_variant(_delete(("dimension", "Tid"))),
                            "the dimension `Tid` (in `id`) is not described in `dimension`"),
    "dimension a list": (_variant(_set(("dimension",), [])), "`dimension` is a list, not an object"),
    "no category": (_variant(_delete(DIM)), "the dimension `Tid` has no `category`"),
    "index not numbered": (_variant(_set(DIM + ("index",), {"2006": 0, "2007": 2})),
                           "the `index` of dimension `Tid` must number its categories 0, 1, 2, … once each"),
    "index of numbers": (_variant(_set(DIM + ("index",), [2006, 2007])), "the categories of dimension `Tid` must be texts"),
    "index a number": (_variant(_set(DIM + ("index",), 2)),
                       "the `index` of dimension `Tid` is a number, not a list or an object"),
    "a category twice": (_variant(_set(DIM + ("index",), ["2006", "2006"])),
                         "the dimension `Tid` has the category `2006` twice"),
    "labels not texts": (_variant(_set(DIM + ("label",), {"2006": 1})),
                         "the labels of dimension `Tid` must be an object of texts"),
    "role names a missing dimension": (_variant(_set(("role", "geo"), ["Region"])),
                                       "`role` `geo` names `Region`, which is not a dimension"),
    "role a text": (_variant(_set(("role", "geo"), "Region")), "`role` `geo` must list dimension names"),
    "role a list": (_variant(_set(("role",), [])), "`role` is a list, not an object"),
    "a string value": (_variant(_set(("value", 0), "21400,5")),
                       'value 0 is a text ("21400,5"), not a number'),
    "a boolean value": (_variant(_set(("value", 1), True)), "value 1 is true/false (true), not a number"),
    "an object value": (_variant(_set(("value", 1), {})), "value 1 is an object ({}), not a number"),
    "a value too large": (_variant(lambda d: None).replace("21400.5", "1e400"), "value 0 (Infinity) is too large to be a number"),
    "an integer too large": (_variant(lambda d: None).replace("21400.5", "1" + "0" * 400),
                             "is too large to be a number"),
    "too few values": (_variant(_set(("value",), [1, 2, 3])), "`value` has 3 entries, but `size` says 8"),
    "value a text": (_variant(_set(("value",), "1")), "`value` is a text, not a list or an object"),
    "a sparse key not a position": (_variant(_set(("value",), {"x": 1})),
                                    '`value` has the key "x", not a position from 0 to 7'),
    "a sparse key out of range": (_variant(_set(("value",), {"8": 1})),
                                  '`value` has the key "8", not a position from 0 to 7'),
    "status a number": (_variant(_set(("status",), 3)), "`status` must be a symbol, a list of 8 symbols, or an object"),
    "status a number symbol": (_variant(_set(("status",), {"4": 3})), 'status 4 is a number, not a symbol such as ".."'),
    "no region or time": (_variant(lambda d: [d.update(role={}), d.update(id=["A", "ContentsCode", "B"]),
                                              d["dimension"].update(A=d["dimension"].pop("KOKkommuneregion0000"),
                                                                    B=d["dimension"].pop("Tid"))] and None),
                          "cannot tell which dimension is the region and which the time"),
}


@pytest.mark.parametrize("name", list(JSONSTAT_VARIANTS))
def test_jsonstat_malformed_files_are_located_errors(program, name):
    text, message = JSONSTAT_VARIANTS[name]
    obs, diags = ssb.read_jsonstat(text, "j.json", program, mapping())
    assert obs == []
    (d,) = diags
    assert d.is_error and d.span.path == "j.json" and d.span.line >= 1 and message in d.message


def test_jsonstat_errors_point_at_the_key_when_they_can(program):
    text, _ = JSONSTAT_VARIANTS["size wrong"]
    (d,) = ssb.read_jsonstat(text, "j.json", program, mapping())[1]
    line = text.splitlines()[d.span.line - 1]
    assert line[d.span.column - 1:].startswith('"category"')  # Tid's category, not 1:1
    text, _ = JSONSTAT_VARIANTS["role names a missing dimension"]
    (d,) = ssb.read_jsonstat(text, "j.json", program, mapping())[1]
    assert text.splitlines()[d.span.line - 1][d.span.column - 1:].startswith('"geo"')


def test_jsonstat_null_is_a_missing_value_explained_by_its_status(program):
    doc = _doc()
    doc["status"] = {"4": ".."}  # value 7 stays null but loses its status
    obs, diags = ssb.read_jsonstat(json.dumps(doc), "j.json", program, mapping())
    t = table(obs)
    assert diags == []
    assert t[("sfo_brutto_per_bruker", "Bergen", 2006)] == (None, "not yet published (SSB '..')")
    assert t[("sfo_brukere", "Bergen", 2007)] == (None, "missing (null, no status)")


def test_jsonstat_a_sparse_value_object_leaves_out_missing_cells_as_gaps(program):
    doc = _doc()
    # row-major over region (Trondheim, Bergen) x series (brutto, brukere) x year (2006, 2007):
    # position 3 is Trondheim, brukere, 2007; position 5 is Bergen, brutto, 2007
    doc["value"] = {"3": 5985, "5": 20826}
    doc["status"] = {"4": ".."}
    obs, diags = ssb.read_jsonstat(json.dumps(doc), "j.json", program, mapping())
    t = table(obs)
    assert diags == [] and len(t) == 8
    assert t[("sfo_brukere", "Trondheim", 2007)] == (5985.0, None)
    assert t[("sfo_brutto_per_bruker", "Bergen", 2007)] == (20826.0, None)
    assert t[("sfo_brutto_per_bruker", "Bergen", 2006)] == (None, "not yet published (SSB '..')")
    assert t[("sfo_brutto_per_bruker", "Trondheim", 2006)] == (None, "missing (null, no status)")


def test_jsonstat_two_series_mapped_to_one_variable_is_an_error(program):
    # The mapping names only the year, so both series of 2007 land on sfo_brukere: before, the
    # second silently overwrote the first.
    m, _ = _mapping_text("variable,unit,Tid\nsfo_brukere,user,2007\n")
    obs, diags = ssb.read_jsonstat((FIX / "jsonstat.json").read_text(encoding="utf-8"), "j.json", program, m)
    assert [(o.municipality, o.value) for o in obs] == [("Trondheim", 22200.0), ("Bergen", 20826.0)]
    base, d = diags  # the line also reads a series in kr as users
    assert base.message == ("`KOSsfobrutto0000` is in `kr` in this file, but the mapping reads it in `user`, "
                            "which is not an amount of money")
    assert d.message == ("two cells give sfo_brukere for Trondheim 2007: `ContentsCode KOSsfobrukere000` and "
                         "`ContentsCode KOSsfobrutto0000` (and 1 more like it)")
    assert d.hint == "make the mapping line match one series: add a column for `ContentsCode`"


def test_jsonstat_a_time_without_a_year_is_an_error(program):
    doc = _doc()
    doc["dimension"]["Tid"]["category"]["index"] = {"2006": 0, "siste": 1}
    obs, diags = ssb.read_jsonstat(json.dumps(doc), "j.json", program, mapping())
    assert {o.year for o in obs} == {2006}
    assert [d.message for d in diags] == ["the time category `siste` has no year"]


def test_a_mapping_dimension_the_file_lacks_is_a_warning(program):
    m, _ = _mapping_text("variable,unit,funksjon\nsfo_brukere,user,215\n")
    obs, diags = ssb.read_jsonstat((FIX / "jsonstat.json").read_text(encoding="utf-8"), "j.json", program, m)
    assert obs == []
    (d,) = diags
    assert (d.severity, d.span.path, d.span.line) == ("warning", "m.csv", 2)
    assert d.message == "`j.json` has no dimension `funksjon`, so mapping lines that match on it read nothing from it"
    assert d.hint == "its dimensions: KOKkommuneregion0000, ContentsCode, Tid"


# --- SSB's real shapes: PxWebApi v2 JSON-stat2, today's statbank CSV ----------------------

def _kostra_2024():
    return json.loads((FIX / "kostra_2024.json").read_text(encoding="utf-8"))


def test_the_2024_fixtures_have_the_shapes_ssb_gives():
    doc = _kostra_2024()
    assert doc["class"] == "dataset" and doc["role"] == {"time": ["Tid"], "metric": ["ContentsCode"],
                                                        "geo": ["KOKkommuneregion0000"]}
    assert doc["dimension"]["ContentsCode"]["category"]["unit"]["KOSsfobrutto0000"] == {"base": "kr", "decimals": 0}
    raw = (FIX / "statbank_2024.csv").read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"12362: ') and b"\r\n" in raw and '"5001 Trondheim - Tråante";'.encode() in raw


@pytest.mark.parametrize("base, unit, message, hint", [
    ("1000 kr", "NOK/user", "`KOSsfobrutto0000` is in `1000 kr` in this file, but the mapping reads it in `NOK/user`, "
                            "which counts NOK", "write kNOK/user"),
    ("kr", "kNOK/user", "`KOSsfobrutto0000` is in `kr` in this file, but the mapping reads it in `kNOK/user`, "
                        "which counts kNOK", "write NOK/user"),
    ("prosent", "user", "`KOSsfobrutto0000` is in `prosent` in this file, but the mapping reads it in `user`, "
                        "which is not a share", "write it in %, e.g. % user/inhabitant"),
])
def test_a_mapping_unit_that_contradicts_the_series_base_is_an_error_at_it(program, base, unit, message, hint):
    # read as NOK/user, a series in 1000 kr would be a thousand times too small, silently
    doc = _kostra_2024()
    doc["dimension"]["ContentsCode"]["category"]["unit"]["KOSsfobrutto0000"]["base"] = base
    m, _ = _mapping_text(f"variable,unit,ContentsCode\nsfo_brutto_per_bruker,{unit},KOSsfobrutto0000\n")
    _, diags = ssb.read_jsonstat(json.dumps(doc), "j.json", program, m)
    (d,) = [d for d in diags if d.is_error]
    assert (str(d.span), d.message, d.hint) == ("m.csv:2:23", message, hint)  # the mapping's unit cell


def test_a_mapping_unit_that_fits_the_base_is_read_in_it(program):
    doc = _kostra_2024()
    doc["dimension"]["ContentsCode"]["category"]["unit"]["KOSsfobrutto0000"]["base"] = "1 000 kr"
    m, _ = _mapping_text("variable,unit,ContentsCode\nsfo_brutto_per_bruker,kNOK/user,KOSsfobrutto0000\n")
    obs, diags = ssb.read_jsonstat(json.dumps(doc), "j.json", program, m)
    assert [d for d in diags if d.is_error] == []
    assert table(obs)[("sfo_brutto_per_bruker", "Trondheim", 2024)] == (28000.0, None)  # in kNOK/user, as said


def test_regions_with_k_codes_are_municipalities_too(program):
    # some of SSB's tables write K-5001 for the municipality, beside F-50 for the county
    doc = _kostra_2024()
    region = doc["dimension"]["KOKkommuneregion0000"]["category"]
    region["index"] = {("K-" + c if c[0].isdigit() else c): i for c, i in region["index"].items()}
    region["label"] = {("K-" + c if c[0].isdigit() else c): v for c, v in region["label"].items()}
    obs, diags = ssb.read_jsonstat(json.dumps(doc), "j.json", program, mapping())
    assert {o.municipality for o in obs} == {"Oslo", "Bergen", "Trondheim"}
    assert [d.message for d in diags] == [
        "`j.json` has a region that is not a municipality the rules declare or the register knows, not read: `EAK Landet`"]


def test_a_municipality_the_register_does_not_know_is_read_when_the_rules_declare_it(program):
    # Trøgstad (0122) merged into Indre Østfold in 2020: the shipped register does not know its code
    doc = _kostra_2024()
    region = doc["dimension"]["KOKkommuneregion0000"]["category"]
    region["label"]["0301"] = "Trøgstad (-2019)"
    region["index"]["0122"] = region["index"].pop("0301")
    region["label"]["0122"] = region["label"].pop("0301")
    obs, diags = ssb.read_jsonstat(json.dumps(doc), "j.json", program, mapping())
    assert "Trøgstad" not in {o.municipality for o in obs}
    assert "`0122 Trøgstad (-2019)`" in diags[-1].message
    declared = attrs.evolve(program, municipalities={**program.municipalities, "Trøgstad": "0122"})
    obs, diags = ssb.read_jsonstat(json.dumps(doc), "j.json", declared, mapping())
    assert table(obs)[("sfo_brukere", "Trøgstad", 2024)] == (20500.0, None)
    assert "Trøgstad" not in diags[-1].message
