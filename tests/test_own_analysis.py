"""An analysis of one's own, with nothing published (issue 11's first "Done when"): every output
format gives every figure of every measure under every basis, and explain answers for a measure,
a basis value, a let and an indicator.  A small panel shaped as KOSTRA's (today's codes, kNOK per
recipient), written for this test; every figure worked by hand below."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from helpers import run_cli

RULES = """\
municipality Oslo 0301
municipality Bergen 4601
municipality Trondheim 5001
municipality Stavanger 1103
group ASSS4 = Oslo, Bergen, Trondheim, Stavanger
own Trondheim 2024
panel "kostra.csv"
basis mean "Snitt av de andre" = mean(ASSS4 - own)
basis second "2. beste" = best(2, ASSS4 - own)
indicator cost "Brutto driftsutgift per mottaker, hjemmetjenester" {
    unit kNOK/recipient
    better lower
    source "hjemmetj_brutto_per_mottaker"
}
indicator recipients "Mottakere av hjemmetjenester" {
    unit recipient
    source "hjemmetj_mottakere"
}
measure home "Hjemmetjenester: enhetskostnad" {
    let g = gap(cost)
    saving = g * recipients
    unit MNOK
}
table H "Innsparingsmuligheter, millioner kroner" {
    column mean "Snitt" = mean
    column second "2. beste" = second
    row "Hjemmetjenester" = home
}
"""

PANEL = """\
variable,municipality,year,value,unit
hjemmetj_brutto_per_mottaker,0301 Oslo - Oslove,2024,320,kNOK/recipient
hjemmetj_brutto_per_mottaker,4601 Bergen,2024,280,kNOK/recipient
hjemmetj_brutto_per_mottaker,5001 Trondheim - Tråante,2024,300,kNOK/recipient
hjemmetj_brutto_per_mottaker,1103 Stavanger,2024,290,kNOK/recipient
hjemmetj_mottakere,5001 Trondheim - Tråante,2024,1000,recipient
"""

# mean of the others: (320 + 280 + 290) / 3 = 296.67 kNOK; gap 300 - 296.67 = 3.33 kNOK x 1000 = 3 333 kNOK = 3.3 MNOK
# 2nd best of the others, lowest first: Bergen 280, Stavanger 290 -> 290; gap 10 kNOK x 1000 = 10 000 kNOK = 10.0 MNOK
MEAN, SECOND = (300 - (320 + 280 + 290) / 3) * 1000 / 1000, (300 - 290) * 1000 / 1000


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("own")
    (root / "rules").mkdir()
    (root / "rules" / "home.bench").write_text(RULES, encoding="utf-8")
    (root / "rules" / "kostra.csv").write_text(PANEL, encoding="utf-8")
    return root


def run(folder: Path, *args: str):
    p = run_cli(folder, *args)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_text_markdown_and_html_show_every_figure(folder):
    text = run(folder, "run", "rules")
    row = next(line for line in text.splitlines() if line.startswith("Hjemmetjenester"))
    assert row.split()[1:] == ["3.3", "10.0"]
    markdown = run(folder, "run", "rules", "--format", "markdown")
    assert "| Hjemmetjenester | 3.3 | 10.0 |" in markdown
    run(folder, "run", "rules", "--html", "page.html")
    page = (folder / "page.html").read_text(encoding="utf-8")
    assert "<td>3.3</td>" in page and "<td>10.0</td>" in page


def test_the_summary_says_nothing_was_published_and_how_many_figures_were_computed(folder):
    # table H: one row (home) under two columns (mean, second), both computed above: 2 figures;
    # never "0 of 0 published figures reproduced", which reads as an audit that passed
    text = run(folder, "run", "rules")
    assert text.rstrip().splitlines()[-1] == "nothing published to audit; 2 figures computed"
    assert "0 of 0" not in text
    assert run(folder, "run", "rules", "--lang", "nb").rstrip().splitlines()[-1] == \
        "ingenting publisert å kontrollere; 2 tall beregnet"


def test_csv_and_json_carry_every_figure_basis_value_let_and_indicator(folder):
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(run(folder, "run", "rules", "--format", "csv")))}
    assert float(rows["H.home.mean"]["computed"]) == pytest.approx(MEAN)
    assert float(rows["H.home.second"]["computed"]) == pytest.approx(SECOND)
    assert float(rows["mean.cost"]["computed"]) == pytest.approx((320 + 280 + 290) / 3)
    assert float(rows["second.cost"]["computed"]) == 290
    assert float(rows["home.second.g"]["computed"]) == 10
    assert float(rows["recipients"]["computed"]) == 1000
    doc = json.loads(run(folder, "run", "rules", "--format", "json"))
    assert doc["items"] == []  # nothing published, nothing audited
    figures = {(f["measure"], f["basis"]): f["saving"] for f in doc["figures"]}
    assert figures == {("home", "mean"): pytest.approx(MEAN), ("home", "second"): pytest.approx(SECOND)}
    second = next(b for b in doc["basis_values"] if b["name"] == "second.cost")
    assert second["peer"] == "Stavanger" and [m["rank"] for m in second["members"]] == [1, 2, 3]


def test_explain_answers_for_a_measure_a_basis_value_a_let_and_an_indicator(folder):
    assert "= 3.333 MNOK" in run(folder, "explain", "home", "rules")
    assert "#2 Stavanger: 290  ← basis" in run(folder, "explain", "second.cost", "rules")
    assert "let g = gap(cost)" in run(folder, "explain", "home.mean.g", "rules")
    assert "Trondheim 2024: 300 kNOK/recipient" in run(folder, "explain", "cost", "rules")


# The basis values, lets and indicator values of Trondheim 2024, as text, Markdown and HTML list them
# under the tables (about four significant digits; `explain NAME` gives each in full):
#   mean.cost   = (320 + 280 + 290) / 3 = 296.67 -> 296.7 kNOK/recipient, members Oslo, Bergen, Stavanger
#                 (the group's order, own left out)
#   second.cost = the 2nd lowest of the others: 1 Bergen 280, 2 Stavanger 290, 3 Oslo 320 -> 290, #2 Stavanger
#   home.mean.g   = 300 - 296.67 = 3.333 kNOK/recipient;  home.second.g = 300 - 290 = 10 kNOK/recipient
#   cost = 300 kNOK/recipient (kostra.csv line 4);  recipients = 1 000 recipient (line 6)


def _squeezed(text: str) -> str:
    """Runs of spaces as one (the columns' alignment is not what is tested)."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def test_text_lists_every_basis_value_let_and_indicator_when_nothing_is_audited(folder):
    text = _squeezed(run(folder, "run", "rules"))
    assert "Basis values (Trondheim 2024): value, who forms it, the members" in text
    assert "mean.cost 296.7 kNOK/recipient Oslo, Bergen, Stavanger" in text
    assert "second.cost 290 kNOK/recipient #2 Stavanger: 1 Bergen, 2 Stavanger, 3 Oslo" in text
    assert "Lets (Trondheim 2024): measure.basis.let" in text
    assert "home.mean.g 3.333 kNOK/recipient" in text and "home.second.g 10 kNOK/recipient" in text
    assert "Indicators (Trondheim 2024): value, where it comes from" in text
    assert "cost 300 kNOK/recipient kostra.csv:4" in text and "recipients 1 000 recipient kostra.csv:6" in text
    # the lists come after the tables
    assert text.index("Hjemmetjenester 3.3 10.0") < text.index("Basis values")
    # --no-all-figures: the tables alone
    assert "Basis values" not in run(folder, "run", "rules", "--no-all-figures")


def test_markdown_lists_them_as_tables(folder):
    markdown = run(folder, "run", "rules", "--format", "markdown")
    assert "## Basis values (Trondheim 2024)" in markdown
    assert "| mean | cost | 296.7 kNOK/recipient |  | Oslo, Bergen, Stavanger |" in markdown
    assert "| second | cost | 290 kNOK/recipient | \\#2 Stavanger | 1 Bergen, 2 Stavanger, 3 Oslo |" in markdown
    assert "## Lets (Trondheim 2024)" in markdown
    assert "| home | mean | g | 3.333 kNOK/recipient |" in markdown and "| home | second | g | 10 kNOK/recipient |" in markdown
    assert "## Indicators (Trondheim 2024)" in markdown
    assert "| cost | 300 kNOK/recipient | rules/kostra.csv:4 |" in markdown
    assert "| recipients | 1 000 recipient | rules/kostra.csv:6 |" in markdown
    assert markdown.index("| Hjemmetjenester |") < markdown.index("## Basis values")


def test_html_lists_them_each_linked_to_its_derivation(folder):
    run(folder, "run", "rules", "--html", "figures.html")
    page = (folder / "figures.html").read_text(encoding="utf-8")
    for kind, name, shown in (("basis", "mean.cost", "296.7 kNOK/recipient"), ("basis", "second.cost", "290 kNOK/recipient"),
                              ("let", "home.mean.g", "3.333 kNOK/recipient"), ("let", "home.second.g", "10 kNOK/recipient"),
                              ("indicator", "cost", "300 kNOK/recipient"), ("indicator", "recipients", "1 000 recipient")):
        anchor = f"value-{kind}-" + name.replace(".", "-")
        assert f'<a class="fig" href="#{anchor}">{shown}</a>' in page, name
        assert f'<section class="derivation" id="{anchor}"><h3>{name}</h3>' in page, name
    assert "<td>#2 Stavanger</td><td>1 Bergen, 2 Stavanger, 3 Oslo</td>" in page
    # the derivation a link leads to: the members ranked, the peer marked
    section = page[page.index('id="value-basis-second-cost"'):]
    assert "#2 Stavanger: 290  ← basis" in section[:section.index("</section>")]


def test_bokmaal_headings_and_numbers(folder):
    text = _squeezed(run(folder, "run", "rules", "--lang", "nb"))
    assert "Sammenlikningsgrunnlag (Trondheim 2024): verdi, hvem som danner det, medlemmene" in text
    assert "mean.cost 296,7 1000 kr/recipient Oslo, Bergen, Stavanger" in text  # Norwegian numbers and units
    assert "Mellomregninger (Trondheim 2024): tiltak.grunnlag.let" in text and "home.mean.g 3,333" in text
    assert "Indikatorer (Trondheim 2024): verdi, hvor den kommer fra" in text
    markdown = run(folder, "run", "rules", "--format", "markdown", "--lang", "nb")
    assert "## Sammenlikningsgrunnlag (Trondheim 2024)" in markdown and "## Indikatorer (Trondheim 2024)" in markdown
    assert "| grunnlag | indikator | verdi | dannet av | medlemmer |" in markdown
    run(folder, "run", "rules", "--lang", "nb", "--html", "nb.html")
    page = (folder / "nb.html").read_text(encoding="utf-8")
    assert "<h2>Mellomregninger (Trondheim 2024)</h2>" in page and "<th>kilde</th>" in page
    assert "Basis values" not in page and "<th>source</th>" not in page


def test_a_measure_no_table_shows_is_listed_under_every_basis(tmp_path):
    """The same saving as `home`, at 2 decimals, in no table: listed (text, Markdown, HTML) under both bases."""
    (tmp_path / "rules").mkdir()
    extra = 'measure home2 "Hjemmetjenester, to desimaler" {\n    saving = gap(cost) * recipients\n    unit MNOK\n    round 2\n}\n'
    (tmp_path / "rules" / "home.bench").write_text(RULES + extra, encoding="utf-8")
    (tmp_path / "rules" / "kostra.csv").write_text(PANEL, encoding="utf-8")
    # mean: 3.333 kNOK/recipient x 1 000 = 3.333 MNOK -> 3.33; 2nd best: 10 x 1 000 = 10 MNOK -> 10.00
    text = _squeezed(run(tmp_path, "run", "rules"))
    assert "Measures no table shows (Trondheim 2024): measure.basis" in text
    assert "home2.mean 3.33 MNOK" in text and "home2.second 10.00 MNOK" in text
    markdown = run(tmp_path, "run", "rules", "--format", "markdown")
    assert "| home2 | mean | 3.33 MNOK |" in markdown and "| home2 | second | 10.00 MNOK |" in markdown
    run(tmp_path, "run", "rules", "--html", "m.html")
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert '<a class="fig" href="#value-measure-home2-second">10.00 MNOK</a>' in page
    assert '<section class="derivation" id="value-measure-home2-second"><h3>home2.second</h3>' in page


def test_a_measure_no_table_shows_that_is_not_computed_says_why_and_exits_1(tmp_path):
    """The new analyst's trial: `care_homes.asss` showed `?` under the tables, with no reason, an
    empty `not_computed` in JSON and exit 0.  A measure in no table is a figure of the run too."""
    (tmp_path / "home.bench").write_text(RULES + 'measure visits "Besøk" {\n    saving = gap(cost) * visitors\n'
                                         '    unit MNOK\n}\nindicator visitors "Besøkende" {\n    unit recipient\n'
                                         '    source "besok"\n}\n', encoding="utf-8")
    (tmp_path / "kostra.csv").write_text(PANEL, encoding="utf-8")
    p = run_cli(tmp_path, "run", "home.bench")
    assert p.returncode == 1, p.stderr
    # no `besok` in the panel: the measure is not computed under either basis, each with the reason
    for basis in ("mean", "second"):
        assert re.search(rf"\? visits\.{basis}: no value of `visitors` for Trondheim 2024", p.stdout), p.stdout
    doc = json.loads(run_cli(tmp_path, "run", "home.bench", "--format", "json").stdout)
    assert {x["name"] for x in doc["not_computed"]} == {"visits.mean", "visits.second"}
    rows = list(csv.DictReader(io.StringIO(run_cli(tmp_path, "run", "home.bench", "--format", "csv").stdout)))
    measures = {r["name"]: r for r in rows if r["kind"] == "measure"}
    assert set(measures) == {"visits.mean", "visits.second"}
    assert all(r["status"] == "not computed" and r["shown"] == "?" for r in measures.values())


def test_a_basis_written_in_a_measure_is_not_listed_under_another_bases_name(tmp_path):
    """The second analyst's trial: `let avg = basis(kg_cost, mean(Naboer - own))` in a measure shown
    under `second_best` was listed as `second_best.kg_cost`, 225 000 (the mean), where the 2nd lowest
    is 220 000.  A basis value is listed under a scenario's name only when it is that scenario's."""
    rules = RULES.replace("    let g = gap(cost)\n    saving = g * recipients",
                          "    let avg = basis(cost, mean(ASSS4 - own))\n    saving = (cost - avg) * recipients")
    assert rules != RULES
    (tmp_path / "home.bench").write_text(rules, encoding="utf-8")
    (tmp_path / "kostra.csv").write_text(PANEL, encoding="utf-8")
    doc = json.loads(run_cli(tmp_path, "run", "home.bench", "--format", "json").stdout)
    # the explicit mean is the `mean` scenario's own basis, (320 + 280 + 290) / 3 = 296.67 kNOK;
    # under `second` the measure compares with that mean too, so nothing is `second.cost`
    values = {b["name"]: b["value"] for b in doc["basis_values"]}
    assert set(values) == {"mean.cost"}
    assert values["mean.cost"] == pytest.approx((320 + 280 + 290) / 3)
