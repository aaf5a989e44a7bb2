"""The municipality register: codes, names, mergers and splits over time.

Expected values are read off the shipped files by hand:
- src/benchdsl/data_files/kommuner_2026.csv (SSB KLASS 131 at 2026-01-01),
- src/benchdsl/data_files/kommunenummer_endringer_2024.csv (the changes of 2024-01-01),
- src/benchdsl/data_files/asss_history.csv (the table in shared/realdata/README.md).
"""

from __future__ import annotations

import csv
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchdsl import registry, registry_sources
from benchdsl.ast import Span
from benchdsl.diagnostics import Sources, format_diagnostic
from benchdsl.registry import Kind, breaks, code_in, declared, lookup, resolve

from helpers import ROOT

DATA = ROOT / "src" / "benchdsl" / "data_files"


def rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


KOMMUNER_2026 = rows("kommuner_2026.csv")


def names_in(event) -> set[str]:
    return {c.name for c in event.went_in}


# --- lookup -------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Trondheim", "trondheim", "TRONDHEIM", "Trondheim - Tråante", "Tråante", "1601", "5001", "K1601",
    "K-5001", "1601 Trondheim", "5001 Trondheim - Tråante", "  5001   Trondheim -  Tråante ",
    "Trondheim (-2017)",  # SSB's label for a code no longer valid
])
def test_trondheim_by_any_name_or_code(text):
    m = lookup(text)
    assert m is not None
    # kommuner_2026.csv: `5001,Trondheim - Tråante`; README: 1601 until 2017, 5001 from 2018
    assert m.name == "Trondheim - Tråante"
    assert m.plain_name == "Trondheim"
    assert [p.code for p in m.codes] == ["1601", "5001"]
    assert m == lookup("5001")


def test_unknown_and_ambiguous_lookups_give_none():
    assert lookup("Trondhiem") is None
    assert lookup("1234") is None
    # kommuner_2026.csv has `1515,Herøy (Møre og Romsdal)` and `1818,Herøy (Nordland)`
    assert lookup("Herøy") is None
    assert lookup("Herøy (Nordland)").code == "1818"
    assert lookup("herøy (møre og romsdal)").code == "1515"


def test_sami_and_kven_forms_each_name_the_municipality():
    # `5628,Deatnu - Tana`: the Sami form first, so the plain name is the Sami one
    assert lookup("Tana") == lookup("Deatnu") == lookup("5628")
    assert lookup("Tana").plain_name == "Deatnu"
    # `5538,Storfjord - Omasvuotna - Omasvuono`: three forms
    for form in ("Storfjord", "Omasvuotna", "Omasvuono", "Storfjord - Omasvuotna - Omasvuono"):
        assert lookup(form).code == "5538"


def test_a_code_without_its_leading_zero_as_a_spreadsheet_writes_it():
    assert lookup("301") == lookup("0301")
    assert lookup("301").plain_name == "Oslo"


# --- codes over time -------------------------------------------------------------


@pytest.mark.parametrize("name, year, code", [
    # README: Trondheim 1601 until 2017; 5001 from 2018
    ("Trondheim", 2007, "1601"), ("Trondheim", 2017, "1601"), ("Trondheim", 2018, "5001"),
    ("Trondheim", 2024, "5001"),
    # README: Bergen 1201 until 2019; 4601 from 2020
    ("Bergen", 2019, "1201"), ("Bergen", 2020, "4601"),
    # README: Bærum 0219 until 2019; 3024 2020-2023; 3201 from 2024 (also the 2024 file: 3201,Bærum,3024)
    ("Bærum", 2007, "0219"), ("Bærum", 2019, "0219"), ("Bærum", 2021, "3024"), ("Bærum", 2023, "3024"),
    ("Bærum", 2024, "3201"),
    # README: Oslo 0301 throughout
    ("Oslo", 2007, "0301"), ("Oslo", 2015, "0301"), ("Oslo", 2020, "0301"), ("Oslo", 2024, "0301"),
    ("Oslo", 2026, "0301"),
    # README: Kristiansand 1001 until 2019; 4204 from 2020
    ("Kristiansand", 2019, "1001"), ("Kristiansand", 2020, "4204"),
    # README: Tromsø 1902 until 2019; 5401 2020-2023; 5501 from 2024
    ("Tromsø", 2007, "1902"), ("Tromsø", 2022, "5401"), ("Tromsø", 2025, "5501"),
])
def test_code_in_a_year(name, year, code):
    assert code_in(lookup(name), year) == code


def test_a_2024_change_worked_by_hand():
    # kommunenummer_endringer_2024.csv: `5503,Harstad - Hárstták,5402,2024-01-01`: 5402 is valid
    # until 2023-12-31 (KLASS's validTo is the first day no longer valid), 5503 from 2024.
    harstad = lookup("Harstad")
    assert harstad == lookup("Hárstták") == lookup("5402") == lookup("5503")
    assert code_in(harstad, 2023) == "5402"
    assert code_in(harstad, 2024) == "5503"
    assert code_in(harstad, 2026) == "5503"
    # the file says nothing about 5402 before 2023: unknown, not guessed
    assert code_in(harstad, 2022) is None
    assert harstad.known_from == 2023
    # a new code is not a new territory
    assert breaks(harstad, 2023, 2024) == []
    assert [e.kind for e in harstad.events] == [Kind.CODE_CHANGE]


def test_a_name_that_changed_between_the_files_is_kept():
    # the 2024 file writes `5536,Lyngen,5424`, the 2026 list `5536,Lyngen - Ivgu - Yykeä`
    lyngen = lookup("Lyngen")
    assert lyngen.name == "Lyngen - Ivgu - Yykeä"
    assert lookup("Yykeä") == lookup("Ivgu") == lyngen == lookup("5424")
    assert "Lyngen" in lyngen.names


def test_the_register_says_unknown_before_2024_rather_than_guess():
    # 1101 Eigersund is in the 2026 list and not in the 2024 changes: known from 2024
    eigersund = lookup("Eigersund")
    assert code_in(eigersund, 2024) == "1101"
    assert code_in(eigersund, 2023) is None
    assert eigersund.exists_in(2015) is None
    assert eigersund.known_from == 2024
    [unknown] = breaks(eigersund, 2015, 2024)
    assert unknown.kind is Kind.UNKNOWN and unknown.year == 2024 and unknown.is_break
    assert breaks(eigersund, 2024, 2026) == []
    # an old code outside the register is an error that says what the register covers
    m, problem = resolve("1850 Tysfjord", 2015)
    assert m is None and problem.is_error
    assert "1850" in problem.message and "KLASS" in problem.hint


# --- breaks ---------------------------------------------------------------------


def test_trondheim_and_klaebu_2020():
    trondheim = lookup("Trondheim")
    [merger] = breaks(trondheim, 2019, 2021)
    # README: Trondheim merged with Klæbu 2020 and kept 5001; Klæbu had 5030 in 2018-2019
    assert merger.year == 2020 and merger.kind is Kind.MERGER
    assert names_in(merger) == {"Trondheim", "Klæbu"}
    assert {c.code for c in merger.went_in} == {"5001", "5030"}
    assert [c.code for c in merger.came_out] == ["5001"]
    assert "Klæbu (5030)" in str(merger)
    assert breaks(trondheim, 2021, 2019) == [merger]  # either order
    assert breaks(trondheim, 2019, 2020) == [merger]  # 2019 is before, 2020 after
    assert breaks(trondheim, 2020, 2024) == []
    assert breaks(trondheim, 2007, 2017) == []
    assert breaks(trondheim, 2017, 2018) == []  # 1601 -> 5001 is a new code, not a new territory


def test_kristiansand_songdalen_and_sogne():
    [merger] = breaks(lookup("Kristiansand"), 2007, 2024)
    # README: Kristiansand 1001 until 2019, 4204 from 2020, merged with Songdalen and Søgne
    assert merger.year == 2020 and merger.kind is Kind.MERGER
    assert names_in(merger) == {"Kristiansand", "Songdalen", "Søgne"}
    assert [c.code for c in merger.came_out] == ["4204"]


def test_a_merged_away_municipality_ends_at_its_merger():
    klaebu = lookup("Klæbu")
    assert klaebu != lookup("Trondheim")
    assert code_in(klaebu, 2007) == "1662" and code_in(klaebu, 2019) == "5030"
    assert code_in(klaebu, 2020) is None and klaebu.exists_in(2020) is False
    assert klaebu.last_year == 2019
    m, problem = resolve("Klæbu", 2021)
    assert m == klaebu and problem.severity == "warning" and "2020" in problem.message


def test_bergen_and_baerum_change_codes_without_breaks():
    assert breaks(lookup("Bergen"), 2007, 2024) == []
    assert breaks(lookup("Bærum"), 2007, 2024) == []


# --- resolving panel cells ----------------------------------------------------------


@pytest.mark.parametrize("cell, year, code", [
    ("5001 Trondheim - Tråante", 2024, "5001"),  # SSB's label, as the JSON-stat has it
    ("0301 Oslo - Oslove", 2024, "0301"),
    ("4601 Bergen", 2024, "4601"),
    ("1601 Trondheim", 2007, "1601"),
    ("Trondheim", 2007, "1601"),
    ("K1201", 2007, "1201"),
    ("3024 Bærum (2020-2023)", 2021, "3024"),  # SSB's label for a code of the 2020 reform
    ("0219", 2021, "3024"),  # an older code of Bærum still names Bærum, with its 2021 code
    ("Herøy (Nordland)", 2024, "1818"),
])
def test_resolve_a_cell(cell, year, code):
    m, problem = resolve(cell, year)
    assert problem is None
    assert code_in(m, year) == code


def test_unknown_name_suggests_the_closest():
    m, problem = resolve("Trondhiem", 2024)
    assert m is None and problem.is_error
    assert "Trondhiem" in problem.message and "`Trondheim`" in problem.hint


def test_ambiguous_name_lists_the_candidates():
    m, problem = resolve("Herøy", 2024)
    assert m is None and problem.is_error and "ambiguous" in problem.message
    assert "1515" in problem.message and "1818" in problem.message
    m, problem = resolve("Våler", 2026)  # `3114,Våler (Østfold)` and `3419,Våler (Innlandet)`
    assert m is None and "3114" in problem.message and "3419" in problem.message


def test_code_and_name_that_contradict_each_other():
    m, problem = resolve("1601 Bergen", 2007)
    assert m is None and problem.is_error
    assert "Trondheim" in problem.message and "Bergen" in problem.message
    # a misspelt name next to a good code: the code wins, with a warning
    m, problem = resolve("1601 Trondhiem", 2007)
    assert m == lookup("Trondheim") and problem.severity == "warning" and "`Trondheim`" in problem.hint


def test_a_code_given_after_a_merger_for_a_year_before_it_warns():
    # SSB republishes 2015 under 4204, summed over Kristiansand, Songdalen and Søgne
    m, problem = resolve("4204", 2015)
    assert m == lookup("Kristiansand")
    assert problem.severity == "warning" and "Songdalen" in problem.message and "1001" in problem.hint
    # 5001 is from 2018, Klæbu joined in 2020: a 2015 value under 5001 may include Klæbu
    m, problem = resolve("5001 Trondheim - Tråante", 2015)
    assert m == lookup("Trondheim") and "Klæbu" in problem.message
    # no merger between: no warning
    assert resolve("4601", 2015) == (lookup("Bergen"), None)
    assert resolve("3201", 2010) == (lookup("Bærum"), None)
    # an old code for a later year: only the mergers after the code's last year count
    assert resolve("1601", 2019) == (lookup("Trondheim"), None)  # 1601 until 2017; Klæbu came in 2020
    m, problem = resolve("1601", 2024)
    assert m == lookup("Trondheim") and "Klæbu" in problem.message
    assert resolve("1201", 2024) == (lookup("Bergen"), None)


def test_empty_and_unknown_cells():
    assert resolve("", 2024)[1].is_error
    m, problem = resolve("1234", 2020)
    assert m is None and problem.is_error and "1234" in problem.message


def test_a_problem_becomes_a_located_diagnostic(tmp_path):
    panel = tmp_path / "panel.csv"
    panel.write_text("variable,municipality,year,value,unit\ncost,Trondhiem,2024,1,NOK\n", encoding="utf-8")
    _, problem = resolve("Trondhiem", 2024)
    sources = Sources()
    sources.add(str(panel), panel.read_text(encoding="utf-8"))
    text = format_diagnostic(problem.diagnostic(Span(str(panel), 2, 6, 2, 15)), sources)
    assert text.splitlines()[0] == f"{panel}:2:6: error: unknown municipality `Trondhiem`"
    assert "^~~~~~~~~" in text and "hint: did you mean `Trondheim`?" in text


_CODES_2026 = [(r["code"], r["name"]) for r in KOMMUNER_2026]


@given(st.sampled_from(_CODES_2026), st.sampled_from(["{code}", "K{code}", "{code} {name}", " {code}  {name} "]))
def test_every_2026_code_resolves_in_2026_to_itself(entry, form):
    code, name = entry
    m, problem = resolve(form.format(code=code, name=name), 2026)
    assert problem is None
    assert code_in(m, 2026) == code


@given(st.text(max_size=40), st.integers(1900, 2100))
def test_any_cell_gives_a_municipality_or_a_problem_never_an_exception(cell, year):
    m, problem = resolve(cell, year)
    assert m is not None or (problem is not None and problem.is_error)
    assert lookup(cell) is None or lookup(cell) in registry.default().municipalities


def test_all_358_lines_of_the_2026_list():
    assert len(KOMMUNER_2026) == 358  # 357 municipalities and 9999 Uoppgitt ("not stated")
    seen = set()
    for code, name in _CODES_2026:
        m, problem = resolve(f"{code} {name}", 2026)
        assert problem is None and code_in(m, 2026) == code and name in m.names
        seen.add(m)
    assert len(seen) == 358


def test_every_2024_change_is_one_municipality_before_and_after():
    for r in rows("kommunenummer_endringer_2024.csv"):
        m = lookup(r["new_code"])
        assert m == lookup(r["old_code"])
        assert (code_in(m, 2023), code_in(m, 2024)) == (r["old_code"], r["new_code"])


# --- rules: `municipality NAME CODE` ------------------------------------------------


def test_declared_municipalities():
    trondheim = lookup("Trondheim")
    assert declared("Trondheim", "1601") == (trondheim, None)
    assert declared("Trondheim", "5001") == (trondheim, None)
    assert declared("Trondheim", None) == (trondheim, None)
    assert declared("Nedre_Eiker", "0625") == (lookup("Nedre Eiker"), None)  # a rule name has no space
    m, problem = declared("Bergen", "1601")
    assert m is None and problem.is_error and "Trondheim" in problem.message and "1201" in problem.hint
    m, problem = declared("Trondheim", "1234")  # Trondheim's whole history is known
    assert m is None and problem.is_error and "1601" in problem.hint
    m, problem = declared("A", "0001")  # the test suite's made-up municipalities
    assert m is None and problem.severity == "warning"
    m, problem = declared("Herøy", None)
    assert m is None and problem.is_error and "ambiguous" in problem.message


def test_wiring_rules_with_2007_codes_read_a_2024_ssb_response():
    """What the panel reader will do: map each declared municipality to the register once, then
    each cell to the declared name through the register."""
    rules = {"Oslo": "0301", "Bergen": "1201", "Trondheim": "1601"}  # rules/asss.bench, 2007 codes
    declared_as = {}
    for name, code in rules.items():
        m, problem = declared(name, code)
        assert problem is None
        declared_as[m] = name
    # region labels as SSB's PxWebApi v2 gives them for 2024
    cells = {"0301 Oslo - Oslove": "Oslo", "4601 Bergen": "Bergen", "5001 Trondheim - Tråante": "Trondheim"}
    for cell, expected in cells.items():
        m, problem = resolve(cell, 2024)
        assert problem is None and declared_as[m] == expected
    # rules that name municipalities by name alone find the same
    assert {declared(n, None)[0] for n in rules} == set(declared_as)


# --- extending the register -------------------------------------------------------------


def test_a_klass_change_list_extends_the_history(tmp_path):
    # Indre Østfold (3014) was made in 2020 of Trøgstad 0122, Spydeberg 0123, Askim 0124, Eidsberg
    # 0125 and Hobøl 0138; in 2024 Ålesund 1507 split into Ålesund 1508 and Haram 1580. The shipped
    # files have neither: only 3014 -> 3118 and 1507 -> 1508.
    extra = tmp_path / "endringer.csv"
    extra.write_text(
        "new_code,name,old_code,old_name,old_code_valid_to\n"
        "3014,Indre Østfold,0122,Trøgstad,2020-01-01\n"
        "3014,Indre Østfold,0123,Spydeberg,2020-01-01\n"
        "3014,Indre Østfold,0124,Askim,2020-01-01\n"
        "3014,Indre Østfold,0125,Eidsberg,2020-01-01\n"
        "3014,Indre Østfold,0138,Hobøl,2020-01-01\n"
        "1580,Haram,1507,Ålesund,2024-01-01\n", encoding="utf-8")
    reg, diags = registry.load([str(extra)])
    assert diags == []
    indre = reg.lookup("Indre Østfold")
    assert [reg.code_in(indre, y) for y in (2019, 2020, 2023, 2024)] == [None, "3014", "3014", "3118"]
    assert indre.exists_in(2019) is False  # made in 2020: known, not unknown
    [merger] = reg.breaks(indre, 2019, 2024)
    assert (merger.year, merger.kind) == (2020, Kind.MERGER)
    assert names_in(merger) == {"Trøgstad", "Spydeberg", "Askim", "Eidsberg", "Hobøl"}
    askim = reg.lookup("Askim")
    assert askim == reg.lookup("0124") and reg.code_in(askim, 2019) == "0124" and askim.last_year == 2019
    assert [e.kind for e in reg.breaks(askim, 2015, 2019)] == [Kind.UNKNOWN]  # nothing before 2019
    alesund = reg.lookup("Ålesund")
    [split] = reg.breaks(alesund, 2023, 2024)
    assert split.kind is Kind.SPLIT and {c.code for c in split.came_out} == {"1508", "1580"}
    assert reg.lookup("Haram") != alesund
    # the shipped register is unchanged: it knows Ålesund's 1507 only in 2023, and no Askim
    assert registry.breaks(lookup("Ålesund"), 2023, 2024) == []
    assert lookup("Askim") is None


def test_a_klass_codes_export_with_its_validity_extends_the_history(tmp_path):
    # KLASS's codes for a range, semicolon-separated: validity clipped to the range asked for,
    # so 2015 is where the register's knowledge of 1101 starts, not the year 1101 began
    extra = tmp_path / "koder.csv"
    extra.write_text("code;parentCode;level;name;validFromInRequestedRange;validToInRequestedRange\n"
                     "1101;11;2;Eigersund;2015-01-01;\n", encoding="utf-8")
    reg, diags = registry.load([str(extra)])
    assert diags == []
    eigersund = reg.lookup("1101")
    assert reg.code_in(eigersund, 2015) == "1101" and reg.code_in(eigersund, 2014) is None
    assert eigersund.known_from == 2015 and eigersund.exists_in(2014) is None


def test_a_bad_extra_file_gives_located_errors(tmp_path):
    extra = tmp_path / "bad.csv"
    extra.write_text("new_code,name,old_code,old_code_valid_to\n"
                     "5001,Trondheim,1601,2018-01-01\n"
                     "50x1,Trondheim,1601,2018-01-01\n"
                     "5001,Trondheim,1601,first of January\n", encoding="utf-8")
    reg, diags = registry.load([str(extra)])
    assert [(d.severity, d.span.line) for d in diags] == [("error", 3), ("error", 4)]
    assert reg.code_in(reg.lookup("Trondheim"), 2018) == "5001"  # the good line is read
    _, diags = registry.load([str(tmp_path / "missing.csv")])
    assert len(diags) == 1 and "cannot read" in diags[0].message
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    _, diags = registry.load([str(other)])
    assert len(diags) == 1 and diags[0].span.line == 1 and "new_code" in diags[0].hint


# --- the shipped data ---------------------------------------------------------------------


def test_the_shipped_ssb_files_are_the_real_ones_unchanged():
    for shared in (ROOT.parent / "shared", ROOT.parent.parent / "shared"):
        if (shared / "realdata").is_dir():
            break
    else:
        pytest.skip("shared/realdata is not beside the repository")
    for name in ("kommuner_2026.csv", "kommunenummer_endringer_2024.csv"):
        assert (DATA / name).read_bytes() == (shared / "realdata" / name).read_bytes()


def test_every_hand_written_line_cites_its_source():
    for r in rows("asss_history.csv"):
        assert r["source"].startswith("SSB KLASS 131 change history (shared/realdata/README.md")


def test_the_register_is_read_in_a_few_milliseconds():
    registry_sources.shipped_records.cache_clear()
    start = time.process_time()
    reg = registry_sources.build(registry_sources.shipped_records(), "")
    took = time.process_time() - start
    assert len(reg.municipalities) == 366  # 358 of 2026, and 8 merged away into ASSS municipalities
    assert took < 0.25  # 5-10 ms of CPU; generous for a busy CI machine
