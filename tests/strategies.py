"""Hypothesis strategies for benchdsl: panels, measures and whole rule files."""

from __future__ import annotations

from hypothesis import strategies as st

NAMES = ["Oslo", "Bergen", "Trondheim", "Stavanger", "Bærum", "Tromsø", "Drammen", "Sandnes"]

values = st.floats(min_value=1.0, max_value=1e6, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=1, max_value=100_000)


@st.composite
def peer_panels(draw, min_size=3, max_size=8):
    """{municipality: value} for a group of distinct municipalities."""
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    names = NAMES[:n]
    return {m: draw(values) for m in names}


def unit_cost_rules(group: list[str], own: str, k: int, unit: str = "NOK/user", volume_unit: str = "user",
                    better: str = "lower") -> str:
    munis = "\n".join(f"municipality {m}" for m in group)
    return f"""\
{munis}
group G = {", ".join(group)}
own {own} 2007
panel "panel.csv"
basis mean_others "Mean" = mean(G - own)
basis kth "k-th best" = best({k}, G - own)
indicator cost {{
    unit {unit}
    better {better}
    source "cost"
}}
indicator volume {{
    unit {volume_unit}
    source "volume"
}}
measure m {{
    saving = gap(cost) * volume
    unit MNOK
    round 1
}}
table T "T" {{
    column mean "Mean" = mean_others
    column kth "k-th" = kth
    row "m" = m: -, -
}}
"""


def panel_text(costs: dict[str, float], volume: float, own: str, unit: str = "NOK/user",
               volume_unit: str = "user", scale: float = 1.0) -> str:
    lines = ["variable,municipality,year,value,unit"]
    for m, v in costs.items():
        lines.append(f"cost,{m},2007,{v * scale!r},{unit}")
    lines.append(f"volume,{own},2007,{volume!r},{volume_unit}")
    return "\n".join(lines) + "\n"


# Text that looks a little like rules: keywords, names, numbers, punctuation.
TOKENS = ["measure", "indicator", "table", "claim", "known", "basis", "group", "own", "panel", "municipality",
          "saving", "unit", "round", "let", "adjust", "by", "because", "row", "column", "total", "section",
          "{", "}", "(", ")", "=", ":", ",", "-", "+", "*", "/", "%", "..", "±", "\n", "\n", " ", "x", "NOK/user",
          '"t"', "1", "2.5", "1e309", "nan", "mean(G - own)", "best(3, G)", "gap(x)", "basis(x)", "#c\n", "ø", "\t"]
rule_like_text = st.lists(st.sampled_from(TOKENS), max_size=60).map(" ".join)


@st.composite
def tables_of_measures(draw):
    """Rules with 1-5 unit-cost measures in one table with a total, and a panel for them."""
    n = draw(st.integers(1, 5))
    costs = draw(peer_panels(min_size=3, max_size=6))
    group = list(costs)
    own = group[0]
    rules = [unit_cost_rules(group, own, 1).split("indicator cost")[0]]
    rows, panel = [], ["variable,municipality,year,value,unit"]
    for i in range(n):
        rules.append(f"""
indicator cost{i} {{
    unit NOK/user
    better lower
    source "cost{i}"
}}
indicator volume{i} {{
    unit user
    source "volume{i}"
}}
measure m{i} {{
    saving = gap(cost{i}) * volume{i}
    unit MNOK
    round {draw(st.integers(0, 2))}
}}
""")
        rows.append(f'    row "m{i}" = m{i}: -, -')
        for m in group:
            panel.append(f"cost{i},{m},2007,{draw(values)!r},NOK/user")
        panel.append(f"volume{i},{own},2007,{draw(counts)},user")
    rules.append('table T "T" {\n    column mean "Mean" = mean_others\n    column kth "1st" = kth\n'
                 + "\n".join(rows) + "\n    total: -, -\n}\n")
    return "".join(rules), "\n".join(panel) + "\n"


# One line of a panel made wrong the ways real files are wrong.
PANEL_DAMAGE = st.sampled_from([
    lambda f: f[:3] + ["..", *f[4:]],                    # SSB: not yet published
    lambda f: f[:3] + [":", *f[4:]],                     # SSB: confidential
    lambda f: f[:3] + [f[3].replace(".", ","), *f[4:]],  # decimal comma
    lambda f: f[:3] + ["-" + f[3], *f[4:]],              # negative
    lambda f: f[:3] + ["0", *f[4:]],                     # zero (a divisor, sometimes)
    lambda f: f[:3] + ["1e308", *f[4:]],                 # huge
    lambda f: f[:3] + ["nan", *f[4:]],
    lambda f: f[:1] + ["Atlantis", *f[2:]],              # unknown municipality
    lambda f: f[:4] + ["furlong", *f[5:]],               # unknown unit
    lambda f: f[:4] + ["NOK/pupil", *f[5:]],             # wrong unit
    lambda f: f[:2],                                     # missing fields
    lambda f: f + ["extra"],                             # too many fields
])
