"""An analysis of one's own, with nothing published (issue 11's first "Done when"): every output
format gives every figure of every measure under every basis, and explain answers for a measure,
a basis value, a let and an indicator.  A small panel shaped as KOSTRA's (today's codes, kNOK per
recipient), written for this test; every figure worked by hand below."""

from __future__ import annotations

import csv
import io
import json
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
