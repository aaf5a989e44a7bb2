"""The Norwegian interface (`--lang nb`): the catalogue in report/lang.py, and the reports it gives.

Only the interface is translated: the rules' titles, labels and notes (in rules/ mostly Norwegian,
the `known` notes English) and the panel's provenance marks go out as written, so the checks below
look for the interface's own phrases, not for single English words.
"""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

from benchdsl.report.lang import LANGS, NB, tr, tr_n
from clirun import RULES, ROOT, assert_located_error, bench

SRC = Path(__file__).resolve().parent.parent / "src" / "benchdsl"
GOLDEN = Path(__file__).resolve().parent / "golden" / "run_rules.txt"


# --- the catalogue -------------------------------------------------------------------------


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _sources() -> dict[Path, ast.AST]:
    return {p: ast.parse(p.read_text(encoding="utf-8")) for p in SRC.rglob("*.py")
            if p.name not in ("lang.py", "_lalr_tables.py")}


def test_every_entry_has_a_norwegian_text_with_the_same_blanks():
    for english, norwegian in NB.items():
        forms = (norwegian,) if isinstance(norwegian, str) else norwegian
        assert len(forms) in (1, 2), english
        for nb in forms:
            assert nb.strip() and nb != english, english
            assert _fields(nb) == _fields(english), english  # every value the English text shows, no other


def test_every_text_written_through_the_catalogue_is_in_it():
    """Statically: each tr/tr_n call with a literal text (all but a few that pass a table's value)."""
    missing = []
    for path, tree in _sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("tr", "tr_n"):
                texts = node.args[1:2] if node.func.id == "tr" else node.args[2:4]
                missing += [(path.name, a.value) for a in texts
                            if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value not in NB]
    assert missing == []


def test_every_entry_is_used_somewhere():
    """No dead entries: each English text is a string literal in the code that writes it."""
    literals = {node.value for tree in _sources().values() for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert [english for english in NB if english not in literals] == []


def test_tr_fills_in_values_and_counts():
    assert tr("en", "{n} of {m} published figures reproduced", n=3, m=4) == "3 of 4 published figures reproduced"
    assert tr("nb", "{n} of {m} published figures reproduced", n=3, m=4) == "3 av 4 publiserte tall reprodusert"
    assert tr_n("nb", 1, "{n} report inconsistency", "{n} report inconsistencies") == "1 inkonsistens i rapporten"
    assert tr_n("nb", 2, "{n} report inconsistency", "{n} report inconsistencies") == "2 inkonsistenser i rapporten"
    # English writes "decimal(s)" for both; bokmål has a singular and a plural
    one = "rounded to {n} decimal(s): {value}"
    assert tr_n("nb", 1, one, one, value="16,8") == "avrundet til 1 desimal: 16,8"
    assert tr_n("nb", 2, one, one, value="16,79") == "avrundet til 2 desimaler: 16,79"
    assert LANGS == ("en", "nb")


# --- the reports, from the command line ----------------------------------------------------

# The interface's English phrases in the run report of rules/ (each appears there without --lang).
RUN_ENGLISH = ["Stated in the text (computed vs published)", "Further statements (", "Not reproduced\n",
               ": computed ", ", published ", ", off by ", "reproduced once ", "is reproduced if",
               "no single value reproduces", "✓ reproduced  ✗ mismatch  ? not computed",
               "K known report inconsistency", "Of the figures not reproduced:", "published figures:",
               "cross-checked", "used to build the panel", "read back", "published figures reproduced",
               "report inconsistencies"]
RUN_NORWEGIAN = ["Oppgitt i teksten (beregnet mot publisert)", "Andre utsagn (barnevern.bench)", "Ikke reprodusert\n",
                 "T4.music_scope.best: beregnet 20,23, publisert 17,5, avvik 2,73",
                 "reprodusert når T4.music_scope.best får den publiserte verdien",
                 "✓ reprodusert  ✗ avvik  ? ikke beregnet",
                 "K kjent inkonsistens i rapporten  ↳ følger av en kjent inkonsistens",
                 "Av tallene som ikke er reprodusert: 3 følger av en inkonsistens i rapporten.",
                 "212 publiserte tall: 37 krysskontrollert (34 reprodusert, 3 inkonsistent)",
                 "205 av 212 publiserte tall reprodusert; 4 inkonsistenser i rapporten"]


@pytest.fixture(scope="module")
def nb_run(tmp_path_factory):
    """`run rules/ --lang nb` with an HTML report beside the text: (completed process, html)."""
    tmp = tmp_path_factory.mktemp("nb")
    html = tmp / "report.html"
    p = bench(tmp, "run", RULES, "--lang", "nb", "--html", str(html))
    return p, html.read_text(encoding="utf-8")


def test_the_text_report_in_bokmaal_has_no_english_label_left(nb_run):
    p, _ = nb_run
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr  # rules/ reproduces or knows every figure
    english = [phrase for phrase in RUN_ENGLISH if phrase in p.stdout]
    assert english == []
    assert [phrase for phrase in RUN_NORWEGIAN if phrase not in p.stdout] == []
    # the table's sub-header, under each basis: computed and the report's figure
    assert re.search(r"^ +beregnet +rapport +beregnet +rapport$", p.stdout, re.M)
    assert not re.search(r"\bcomputed +report\b", p.stdout)
    # --lang nb implies the Norwegian number format: 131,9 (the mean column's total, as Table 10 prints it)
    assert re.search(r"^Sum +131,9 +131,9 ✓", p.stdout, re.M)
    # the rules' own text is printed as written
    assert "Tabell 4: Innsparingsmuligheter grunnskole, millioner kroner" in p.stdout


def test_the_default_and_english_reports_are_unchanged(tmp_path):
    golden = GOLDEN.read_text(encoding="utf-8")
    assert bench(tmp_path, "run", RULES).stdout == golden
    assert bench(tmp_path, "run", RULES, "--lang", "en").stdout == golden


def test_lang_nb_with_english_numbers(tmp_path):
    p = bench(tmp_path, "run", RULES, "--lang", "nb", "--no-norwegian")
    assert re.search(r"^Sum +131.9 +131.9 ✓", p.stdout, re.M)
    assert "205 av 212 publiserte tall reprodusert" in p.stdout


def test_the_html_report_in_bokmaal_is_marked_nb_and_has_no_english_label(nb_run, tmp_path):
    _, html = nb_run
    assert '<html lang="nb">' in html
    for phrase in ("How each figure was derived", ">Stated in the text<", "<th>claim</th>", "<th>computed</th>",
                   ">report</th>", "<th>published</th>", "✓ reproduced", "published figures reproduced",
                   "Of the figures not reproduced", "audit: ", "rounded to ", "inputs (Trondheim):",
                   "Innsparingsmuligheter: Trondheim"):  # the last: a title written in Python, no more
        assert phrase not in html, phrase
    for phrase in ("<h2>Slik er hvert tall beregnet</h2>", "<h2>Oppgitt i teksten</h2>", "<th>utsagn</th>",
                   "<th>beregnet</th>", '<th class="pub">rapport</th>', "<th>publisert</th>",
                   "✓ reprodusert  ✗ avvik  ? ikke beregnet · K kjent inkonsistens i rapporten",
                   "kontroll: ✓ reprodusert", "grunnlagstall (Trondheim):", 'title="reprodusert"',
                   "205 av 212 publiserte tall reprodusert", "<h1>benchdsl: Trondheim 2007</h1>"):
        assert phrase in html, phrase
    english = tmp_path / "en.html"
    bench(tmp_path, "run", RULES, "--html", str(english))
    text = english.read_text(encoding="utf-8")
    assert '<html lang="en">' in text and "How each figure was derived" in text and 'lang="no"' not in text


def test_the_markdown_report_in_bokmaal(tmp_path):
    p = bench(tmp_path, "run", RULES, "--lang", "nb", "--format", "markdown")
    assert p.returncode == 0, p.stderr
    assert "## Oppgitt i teksten\n" in p.stdout and "| | utsagn | beregnet | publisert |" in p.stdout
    assert p.stdout.rstrip().endswith("205 av 212 publiserte tall reprodusert; 4 inkonsistenser i rapporten")
    for phrase in ("Stated in the text", "| claim |", "published figures reproduced", "report inconsistencies"):
        assert phrase not in p.stdout, phrase
    assert "| **Sum** | 131,9 (131,9) ✓ |" in p.stdout  # Table 10's total under the mean, decimal comma


def test_json_and_csv_stay_english_whatever_the_language(tmp_path):
    """Machine-readable: the same keys and values; --lang nb changes only the CSV's number format (as --norwegian)."""
    assert (bench(tmp_path, "run", RULES, "--format", "json", "--lang", "nb").stdout
            == bench(tmp_path, "run", RULES, "--format", "json").stdout)
    doc = json.loads(bench(tmp_path, "run", RULES, "--format", "json", "--lang", "nb").stdout)
    assert doc["summary"]["text"] == "205 of 212 published figures reproduced; 4 report inconsistencies"
    assert (bench(tmp_path, "run", RULES, "--format", "csv", "--lang", "nb", "--no-norwegian").stdout
            == bench(tmp_path, "run", RULES, "--format", "csv").stdout)


def test_explain_in_bokmaal(tmp_path):
    """T4.sfo_fee.best: Bergen's 18 223 kr per user is the basis, Trondheim pays 15 418, so the fee can rise by
    18 223 - 15 418 = 2 805 kr; × 5 985 users = 16 787 925 kr = 16,79 mill. kr, shown as 16,8."""
    p = bench(tmp_path, "explain", "T4.sfo_fee.best", RULES, "--lang", "nb")
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    for phrase in ("Tabell 4: Innsparingsmuligheter grunnskole, millioner kroner, kolonne «3. «beste» ASSS»",
                   "tiltak `sfo_fee`: Skolefritidsordning: brukerbetaling",
                   "sammenlikningsgrunnlag `third_best` (3. «beste» ASSS): best(3, ASSS - own)",
                   "grunnlagstall (Trondheim):", "#3 Bergen: 18 223  ← grunnlag",
                   "Trondheim: 15 418, -2 805 kr/user (15,4 %) under grunnlaget",
                   "innsparing = gap(sfo_fee_per_user) × sfo_users", "= 2 805 kr/user × 5 985 user",
                   "= 16,79 mill. kr  (enhetsfaktor 1e-06)", "avrundet til 1 desimal: 16,8 mill. kr",
                   "beregnet: 16,79 (vist som 16,8)", "publisert: 16,8 (±0,05)", "kontroll: ✓ reprodusert"):
        assert phrase in p.stdout, phrase
    for phrase in ("column “", "measure `", "inputs (", "← basis", "below the basis", "saving =", "unit factor",
                   "rounded to", "computed:", "shown as", "published:", "audit:", "by formula"):
        assert phrase not in p.stdout, phrase


def test_sensitivity_in_bokmaal(tmp_path):
    p = bench(tmp_path, "sensitivity", RULES, "--lang", "nb")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("Innsparing med alternative sammenlikningsgrunnlag, Trondheim 2007 (MNOK); "
                               "gruppe ASSS - own")
    assert "– ingen innsparing; ? kan ikke beregnes (se advarslene)" in p.stdout
    assert "Savings under" not in p.stdout and "no saving" not in p.stdout


def test_diff_in_bokmaal(tmp_path):
    """The rule set of test_diff: June revises D's cost from 90 to 60, so the mean of B, C, D falls from 100 to 90."""
    from test_diff import JUNE, MARCH, data, folder

    rules = folder(tmp_path / "rules")
    march, june = data(tmp_path / "march.csv", MARCH), data(tmp_path / "june.csv", JUNE)
    p = bench(tmp_path, "diff", str(rules), "--old-panel", march, "--new-panel", june, "--lang", "nb")
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr  # figures changed, as diff(1)
    for phrase in ("  gammel: ", " med ", "  ny: ", "Endret (endret status først, deretter største relative endring)",
                   "m med mean_others: 20,0 → 30,0 1000 kr  (+10,0, +50,0 %)", "grunnlagstall som endret seg:",
                   "cost D 2007: 90 → 60", "grunnlag mean(G - own) for cost: 100 → 90",
                   "8 tall endret, 4 uendret (--all viser de uendrede)"):
        assert phrase in p.stdout, phrase
    for phrase in ("old:", "new:", "Changed (", "under mean_others", "inputs that changed", "figures changed",
                   "unchanged", "basis mean"):
        assert phrase not in p.stdout, phrase


def test_an_unknown_language_is_refused(tmp_path):
    p = bench(tmp_path, "run", RULES, "--lang", "sv")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "error: argument --lang: invalid choice: 'sv'" in p.stderr


def test_a_claim_not_computed_is_explained_and_rendered_in_html(tmp_path):
    """Regression: `run rules/ --own Bergen --html` and `explain` of a claim in % that could not be computed
    (Bergen has no pupils_1_7: only Trondheim has volumes, so the pupil-weighted gap has no value)
    ended in a TypeError converting the missing value to its unit.  With --own Bergen the report's
    claims are now set aside with its published values, so the claim is made not computable for
    Trondheim itself: the panel without Trondheim's pupils in grades 1-7."""
    panel = tmp_path / "no_pupils.csv"
    lines = (ROOT / "data" / "trondheim2007.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    panel.write_text("".join(x for x in lines if not x.startswith("elever_1_7,Trondheim,2007,")), encoding="utf-8")
    data = ["--panel", str(panel), "--panel", str(ROOT / "data" / "section1.csv")]
    page = tmp_path / "trondheim.html"
    p = bench(tmp_path, "run", RULES, *data, "--lang", "nb", "--html", str(page))
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr  # figures not computed: exit 1
    assert "kontroll: ? ikke beregnet" in page.read_text(encoding="utf-8")
    p = bench(tmp_path, "explain", "group_size.third_gap", RULES, *data)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    assert "  computed: ?\n" in p.stdout and "  audit: ? not computed\n" in p.stdout
    assert "no value of `pupils_1_7` for Trondheim 2007" in p.stdout
    # --own Bergen: a run for Bergen, the report's published values and claims set aside; explain says why
    # it has no such figure
    p = bench(tmp_path, "run", RULES, "--own", "Bergen", "--lang", "nb", "--html", str(page))
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr  # Bergen's figures not computed: exit 1
    assert "kontroll:" not in page.read_text(encoding="utf-8")
    p = bench(tmp_path, "explain", "group_size.third_gap", RULES, "--own", "Bergen")
    assert_located_error(p, "no figure or measure named `group_size.third_gap`")
    assert "claims) are about Trondheim 2007" in p.stderr
