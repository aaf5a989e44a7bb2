"""Bad inputs for tests/test_robustness.py: damaged copies of the real files, and small generated ones.

Every strategy here gives *files* (name -> bytes or text), never a verdict: the harness writes
them to a fresh folder and runs the CLI on them as a subprocess.  What each file is damaged with
is what real files are damaged with (an SSB export saved by a spreadsheet, a rule edited in a
word processor) and what a hostile or unlucky file can hold (numbers past float range, units that
are arithmetic, nesting deep enough to exhaust a recursive reader).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
RULE_TEXTS = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "rules").glob("*.bench"))}
PANEL_TEXT = (ROOT / "data" / "trondheim2007.csv").read_text(encoding="utf-8")
SMALL = ROOT / "examples" / "home_care"
SMALL_RULES = (SMALL / "home_care.bench").read_text(encoding="utf-8")
SMALL_PANEL = (SMALL / "panel.csv").read_text(encoding="utf-8")
FIX = ROOT / "tests" / "fixtures" / "ssb"
JSONSTAT = json.loads((FIX / "jsonstat.json").read_text(encoding="utf-8"))
STATBANK_WIDE = (FIX / "statbank_wide.csv").read_bytes().decode("latin-1")
STATBANK_LONG = (FIX / "statbank_long.csv").read_text(encoding="utf-8")
MAPPINGS = {n: (FIX / n).read_text(encoding="utf-8") for n in ("mapping.csv", "mapping_codes.csv")}


def _names(kind: str, texts) -> list[str]:
    return sorted({m for t in texts for m in re.findall(rf"^{kind}\s+([^\W\d]\w*)", t, re.M)})


KINDS = ("indicator", "measure", "basis", "group", "municipality", "table")
# The names each rule set declares, so that generated declarations mostly refer to real things.
REAL = {k: _names(k, RULE_TEXTS.values()) for k in KINDS}
SMALL_NAMES = {k: _names(k, [SMALL_RULES]) for k in KINDS}

# Characters that Python, lark, csv and editors disagree about: line ends other than \n
# (str.splitlines splits at all of them, lark at \n and \r only), invisible and bidi marks,
# digits that are not ASCII (float() reads them, the grammar does not), NUL, a BOM mid-file.
ODD_CHARS = ["\f", "\v", "\r", "\r\n", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00", "\ufeff",
             "\u200b", "\u200e", "\u202e", "\u00a0", "\t", "\x7f", "\x1b[2J", "０", "１", "９", "٣", "𝟗", "ｅ",
             "Å", "ﬁ", "e\u0301", "İ", "ß", "😀", "\\", '"', "'", "#", "…", "−", "–", "±", "·", "‰", "%"]
# Numbers at and past the edges: float overflow, more digits than int() converts (4300),
# subnormals, a literal that rounds to 0.
HUGE_NUMBERS = ["1e309", "1E309", "1e+309", "1e308", "1.7976931348623157e308", "9" * 310, "1" + "0" * 400 + ".5",
                "0." + "0" * 400 + "1", "1e-400", "4e-324", "99999999999999999999", "9" * 5000, "0", "0.0",
                "1e-5000", "2.5e2147483648", "1" * 40 + "e" + "9" * 20]
# Units as analysts write them, and as pint would evaluate them if asked: powers of powers,
# division by zero, magnitudes, unknown names, empty brackets.
ODD_UNITS = ["[9**9**9 NOK]", "[NOK**9**9**9]", "[NOK^999999999]", "[1e309 NOK]", "[0 kNOK/user]", "[NOK/0]",
             "[()]", "[ ]", "[NOK**NOK]", "[%%]", "[inf NOK]", "[nan NOK]", "[-1 NOK]", "[1/0]", "[pi NOK]",
             "[NOK / (user * month)]", "[kNOK/user/user]", "[NOK/(user-user)]", "[furlong]", "[NOK^-1e309]",
             "[user^0.5]", "[(((((((((NOK)))))))))]", "[" + "(" * 500 + "NOK" + ")" * 500 + "]",
             "[" + "NOK*" * 300 + "NOK]", "[9999999999999999999999 NOK]", "[NOK; user]", "[1e-400 NOK]",
             "[ø]", "[NOK\u2028user]", "NOK/user", "kNOK/user", "MNOK", "%", "‰", "user", "x", "NOK^2",
             "NOK^99999999999999999999", "NOK/user^-0"]
FUNCTIONS = ["gap", "basis", "peer", "max", "min", "mean", "wmean", "best", "year", "frob", "own"]
TOKENS = ["measure", "indicator", "table", "claim", "known", "basis", "group", "own", "panel", "municipality",
          "saving", "unit", "round", "let", "adjust", "by", "because", "row", "column", "total", "section",
          "under", "reconcile", "mapping", "note", "better", "lower", "higher", "source", "about", "om  lag",
          "{", "}", "(", ")", "[", "]", "=", ":", ",", "-", "+", "*", "/", "..", "±", "+-", ".", "\n", "\n", " ",
          '"t"', '"', '"unterminated', "1", "2.5", "-", "x", "ø", "NOK/user", "mean(G - own)", "best(3, G)",
          "gap(x)", "basis(x)", "#c\n", "\t"] + ODD_CHARS + HUGE_NUMBERS[:12] + ODD_UNITS[:12]


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16":
        return text.encode("utf-16")
    return text.encode(encoding, errors="replace" if encoding == "latin-1" else "surrogatepass")


encodings = st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "latin-1", "utf-16"])


# --- rule files -----------------------------------------------------------------------------

odd_text = st.lists(st.one_of(st.characters(codec="utf-8"), st.sampled_from(ODD_CHARS)), max_size=300).map("".join)
rule_like_text = st.lists(st.sampled_from(TOKENS), max_size=80).map(" ".join)


@st.composite
def expressions(draw, names: dict = REAL, depth: int = 3) -> str:
    """An expression over a rule set's names, with odd numbers and units among the atoms."""
    atom = st.one_of(
        st.sampled_from(names["indicator"] + ["x", "own", "saving", "gap_1_7", "T4.sfo_fee.best", "a.b"]),
        st.sampled_from(["1", "2.5", "100", "0"] + HUGE_NUMBERS),
        st.tuples(st.sampled_from(["1", "3", "0", "1e309", "9" * 310]), st.sampled_from(ODD_UNITS)).map(" ".join),
    )
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(atom)
    sub = expressions(names, depth - 1)
    kind = draw(st.sampled_from(["op", "op", "paren", "neg", "call"]))
    if kind == "op":
        return f"{draw(sub)} {draw(st.sampled_from('+-*/'))} {draw(sub)}"
    if kind == "paren":
        return f"({draw(sub)})"
    if kind == "neg":
        return f"-{draw(sub)}"
    members = names["group"] + names["basis"] + names["municipality"] + [f"{g} - own" for g in names["group"]]
    args = draw(st.lists(st.one_of(sub, st.sampled_from(members)), max_size=3))
    return f"{draw(st.sampled_from(FUNCTIONS))}({', '.join(args)})"


PUBLISHED = st.one_of(
    st.sampled_from(["-", "5", "about 0 % ± 0.5", "1..2", "2..1", "1e309 %", "Oslo", "nearly 9", "1 NOK ± 1e309",
                     "0 ± 0", "1e-400", "5 [9**9**9 NOK]", "less than 0 %", "1 ± 1e309", "1..1e309"]),
    st.sampled_from(HUGE_NUMBERS),
)


@st.composite
def declarations(draw, names: dict = REAL) -> str:
    """One declaration written the ways the checker has to cope with: self reference, chains
    that double at each step, huge counts, nesting deeper than a recursive walk can go."""
    ind, mea, bas = names["indicator"], names["measure"], names["basis"]
    name = draw(st.sampled_from(["z", "z2", "x"] + ind[:3] + mea[:2]))
    kind = draw(st.sampled_from(["indicator", "self", "cycle", "chain", "lets", "long", "measure", "claim", "basis",
                                 "group", "table", "known", "own", "municipality", "panel", "deep", "neg"]))
    expr = draw(expressions(names))
    unit = draw(st.sampled_from(ODD_UNITS))
    big = st.sampled_from(HUGE_NUMBERS)
    if kind == "indicator":
        return f'indicator {name} "t" {{\n    unit {unit}\n    better lower\n    = {expr}\n}}\n'
    if kind == "self":
        return f"indicator {name} {{\n    unit NOK\n    = {name} + {expr}\n}}\n"
    if kind == "cycle":
        return f"indicator a1 {{\n    unit NOK\n    = a2\n}}\nindicator a2 {{\n    unit NOK\n    = a1 * {expr}\n}}\n"
    if kind == "chain":  # each step names the previous twice: 2**n paths through the chain
        n = draw(st.integers(2, 80))
        out = f"indicator c0 {{\n    unit NOK\n    = {draw(st.sampled_from(ind))}\n}}\n"
        return out + "".join(f"indicator c{i} {{\n    unit NOK\n    = c{i - 1} + c{i - 1}\n}}\n"
                             for i in range(1, n + 1))
    if kind == "lets":
        n = draw(st.integers(2, 80))
        lets = "".join(f"    let l{i} = l{i - 1} * l{i - 1}\n" for i in range(1, n + 1))
        return f"measure {name} {{\n    let l0 = {expr}\n{lets}    saving = l{n}\n    unit MNOK\n}}\n"
    if kind == "long":  # a chain longer than a recursive walk can follow, and a claim that needs its end
        n, what = draw(st.integers(200, 3000)), draw(st.sampled_from(["indicator", "let", "group"]))
        if what == "indicator":
            return ("indicator c0 {\n    unit NOK\n    = 1 NOK\n}\n"
                    + "".join(f"indicator c{i} {{\n    unit NOK\n    = c{i - 1}\n}}\n" for i in range(1, n + 1))
                    + f'claim c "t": c{n} = 1 NOK\n')
        if what == "let":
            lets = "".join(f"    let l{i} = l{i - 1}\n" for i in range(1, n + 1))
            return (f"measure {name} {{\n    let l0 = 1 MNOK\n{lets}    saving = l{n}\n    unit MNOK\n"
                    f'    claim c "t": saving = 1\n}}\n')
        return (f"group g0 = {names['group'][0]}\n" + "".join(f"group g{i} = g{i - 1}\n" for i in range(1, n + 1))
                + f'basis b "b" = mean(g{n})\n')
    if kind == "measure":
        return (f"measure {name} {{\n    saving = {expr}\n    unit {unit}\n"
                f"    round {draw(st.sampled_from(HUGE_NUMBERS[:12] + ['1', '400']))}\n"
                f"    adjust {draw(st.sampled_from(ind))} by {draw(expressions(names, 1))} because \"r\"\n}}\n")
    if kind == "claim":
        under = draw(st.sampled_from(["", " under " + draw(st.sampled_from(bas + ["nope"]))]))
        return f'claim {name} "t"{under}: {expr} = {draw(PUBLISHED)}\n'
    if kind == "basis":
        group = draw(st.sampled_from(names["group"]))
        form = draw(st.sampled_from([f"best({draw(big)}, {group})", f"year({draw(big)})", "mean(own)",
                                     f"wmean({group}, {group})", f"best(0, {group} - {group})", expr]))
        return f'basis {name} "b" = {form}\n'
    if kind == "group":
        return draw(st.sampled_from([f"group {name} = {name}\n", "group g1 = g2\ngroup g2 = g1\n",
                                     f"group {name} = {names['group'][0]} - {names['group'][0]}\n",
                                     f"group {name} = {expr}\n"]))
    if kind == "table":
        pubs = ", ".join(draw(st.lists(PUBLISHED, max_size=4)))
        return (f'table {name} "t" {{\n    column c "c" = {draw(st.sampled_from(bas + ["nope"]))}\n'
                f'    row "r" = {draw(st.sampled_from(mea + ["nope"]))}: {pubs}\n    total: {pubs}\n}}\n')
    if kind == "known":
        figure = draw(st.sampled_from([f"{t}.{m}.{b}" for t in names["table"] for m in mea[:2] for b in bas[:2]]
                                      + ["x", "a.b.c.d"]))
        return (f'known {figure}: "why" reconcile {draw(st.sampled_from(ind))} '
                f'{draw(st.sampled_from(names["municipality"]))} {draw(big)}\n')
    if kind == "own":
        who = draw(st.sampled_from(names["municipality"] + ["Atlantis"]))
        return f"own {who} {draw(st.one_of(big, st.just('2004')))}\n"
    if kind == "municipality":
        return f"municipality {name} {draw(st.one_of(big, st.sampled_from(['1601', '0'])))}\n"
    if kind == "panel":
        target = draw(st.sampled_from(["/dev/null", ".", "..", "", "missing.csv", "rules.bench", "fifo",
                                       "panel.csv", "a\u2028b.csv", "dir"]))
        mapping = draw(st.sampled_from(["", ' mapping "m.csv"', ' mapping "fifo"', ' mapping "."',
                                        ' mapping "/dev/null"', ' mapping "panel.csv"']))
        return f'panel "{target}"{mapping}\n'
    d = draw(st.integers(50, 5000))
    if kind == "deep":
        return f"indicator {name} {{\n    unit NOK\n    = {'(' * d}{expr}{')' * d}\n}}\n"
    return f"measure {name} {{\n    saving = {'-' * d}{expr}\n    unit MNOK\n}}\n"


_NUMBER = re.compile(r"(?<![\w.])\d+(\.\d+)?")


def _unquoted(line: str) -> str:
    """The line with quoted text blanked (same length), so positions still match."""
    return re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), line)


@st.composite
def mutated_rules(draw, texts: dict[str, str] | None = None, names: dict = REAL,
                  max_steps: int = 4) -> dict[str, bytes]:
    """The real rule files with a few lines deleted, duplicated, swapped, garbled or added to.

    A number, a unit or an expression is changed on a line that has one (outside quotes), so that
    most steps change something the checker reads, not a comment."""
    files = {n: t.splitlines() for n, t in (texts or RULE_TEXTS).items()}
    for _ in range(draw(st.integers(1, max_steps))):
        name = draw(st.sampled_from(sorted(files)))
        lines = files[name] or [""]
        files[name] = lines
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "token", "number", "number", "unit", "deep",
                                   "name", "char", "truncate", "declaration", "declaration"]))
        wanted = {"number": _NUMBER, "unit": re.compile(r"\bunit |\d [^\W\d]"), "deep": re.compile(r"[=:] \S")}.get(op)
        at = [j for j, ln in enumerate(lines) if wanted.search(_unquoted(ln))] if wanted else []
        i = draw(st.sampled_from(at)) if at else draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op in ("token", "char"):
            k = draw(st.integers(0, len(lines[i])))
            what = draw(st.sampled_from(TOKENS if op == "token" else ODD_CHARS))
            lines[i] = lines[i][:k] + what + lines[i][k:]
        elif op == "number":
            found = [m for m in _NUMBER.finditer(_unquoted(lines[i]))]
            if found:
                m = draw(st.sampled_from(found))
                lines[i] = lines[i][:m.start()] + draw(st.sampled_from(HUGE_NUMBERS)) + lines[i][m.end():]
        elif op == "unit":
            unit = draw(st.sampled_from(ODD_UNITS))
            lines[i] = re.sub(r"(?<=unit )\S.*$", unit, lines[i]) if "unit " in lines[i] else re.sub(
                r"(?<=\d )[^\W\d][\w/%*^]*", unit, lines[i], count=1)
        elif op == "deep":
            d = draw(st.integers(2, 3000))
            lines[i] = re.sub(r"([=:]) (.+?)( = |$)",
                              lambda m: f"{m.group(1)} {'(' * d}{m.group(2)}{')' * d}{m.group(3)}", lines[i], count=1)
        elif op == "name":
            long = draw(st.sampled_from(["x" * 300, "ø" * 5000, "a" * 100_000, "_" + "1" * 50]))
            lines[i] = re.sub(r"[^\W\d]\w*", long, lines[i], count=1)
        elif op == "truncate":
            k = draw(st.integers(0, len(lines[i])))
            files[name] = lines[:i] + [lines[i][:k]]
        else:
            lines[i:i] = draw(declarations(names)).splitlines()
    end = draw(st.sampled_from(["\n"] * 8 + ["\r\n", "\r", "\u2028", "\f\n", ""]))
    enc = draw(encodings)
    return {n: _encode(end.join(ls) + end, enc if draw(st.integers(0, 3)) == 0 else "utf-8")
            for n, ls in files.items()}


# --- panels (benchdsl's own CSV) ---------------------------------------------------------

ODD_VALUES = ["inf", "-inf", "nan", "NaN", "1e400", "-1e400", "3_12", "1_000", "0x10", "１２", "١٢٣", "1,5", "1 234",
              "1\u00a0234", "+-1", "--1", "", " ", "..", "...", ":", "-", ".", "1e", "e1", "∞", "½", "⅓",
              '"', "1" * 5000, "-0", "0", "-1", "2.5e-310"] + HUGE_NUMBERS
PANEL_UNITS = ["9**9**9 NOK", "0 kNOK/user", "NOK/0", "1e309 NOK", "furlong", "", "(", ")", "NOK**NOK", "NOK/user/user",
               "kNOK/user", "%", "‰", "inf NOK", "nan", "NOK^99999999", "-1 NOK/user", "[NOK/user]", "[9**9**9 NOK]",
               "NOK**9**9**9", "(" * 500 + "NOK" + ")" * 500, "user^0.5", "NOK\x00", "pupil/teaching_group", "NOK",
               "dimensionless", "1/0", "NOK % user", "NOK ; user", "e", "pi", "NOK * 1e309", "kNOK/user * 0"]
YEARS = ["1e309", "99999999999999999999", "-1", "0", "２００７", "2007.0", "", "2007 ", "0x7d7", "9" * 5000, "2_007",
         "2004", "2007"]
PLACES = ["", "0000", "1601 Atlantis", "K1601", "1601", "Atlantis", "x" * 10_000, "1601\u2028Trondheim", "Trondheim",
          "Oslo", "Bergen", "Elvdal", "Nordvik", "Sørli", "9001"]


def _cell_damage(field: int, choices):
    return st.tuples(st.just(field), st.sampled_from(choices))


@st.composite
def damaged_panel(draw, text: str = PANEL_TEXT, max_steps: int = 5) -> bytes:
    """A copy of a real panel with cells, lines, separators or its encoding made wrong."""
    rows = list(csv.reader(io.StringIO(text)))
    for _ in range(draw(st.integers(1, max_steps))):
        i = draw(st.integers(0, len(rows) - 1))
        op = draw(st.sampled_from(["cell", "cell", "cell", "fields", "duplicate", "delete", "swap", "header",
                                   "raw"]))
        if op == "cell" and rows[i]:
            field, new = draw(st.one_of(_cell_damage(3, ODD_VALUES), _cell_damage(4, PANEL_UNITS),
                                        _cell_damage(2, YEARS), _cell_damage(1, PLACES),
                                        _cell_damage(0, ["", "x", "ø" * 1000, "#comment"])))
            if field < len(rows[i]):
                rows[i] = rows[i][:field] + [new] + rows[i][field + 1:]
        elif op == "fields":
            k = draw(st.integers(0, 8))
            rows[i] = rows[i][:k] if draw(st.booleans()) else rows[i] + ["extra"] * k
        elif op == "duplicate":
            rows.insert(draw(st.integers(0, len(rows))), list(rows[i]))
        elif op == "delete":
            del rows[i]
            if not rows:
                rows = [[]]
        elif op == "swap":
            j = draw(st.integers(0, len(rows) - 1))
            rows[i], rows[j] = rows[j], rows[i]
        elif op == "header":
            rows[0] = draw(st.sampled_from([[], ["variable"], rows[0][::-1], [c.upper() for c in rows[0]],
                                            rows[0] + rows[0], ["variable", "municipality", "year", "value", "unit"],
                                            [c + " " for c in rows[0]], ["\ufeffvariable"] + rows[0][1:]]))
        else:
            rows.insert(i, [draw(st.sampled_from(['"unterminated', "a\x00b", "\x00" * 10, "x" * 200_000,
                                                  '"a""b', "a\rb", "\u2028", "\ufeff", ";;;;", "#"]))])
    delim = draw(st.sampled_from([","] * 5 + [";", "\t"]))
    out = io.StringIO()
    csv.writer(out, delimiter=delim, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows(rows)
    body = out.getvalue()
    cut = draw(st.sampled_from([None] * 6 + [0, 1, len(body) // 2]))
    if cut is not None:
        body = body[:cut]
    return _encode(body, draw(encodings))


@st.composite
def small_panel(draw) -> bytes:
    """A short panel written from scratch for the small example's rules."""
    head = draw(st.sampled_from(["variable,municipality,year,value,unit", "variable;municipality;year;value;unit",
                                 "variable,municipality,year,value,unit,provenance,note", "", "variable,value",
                                 "# only a comment"]))
    variables = ["hjemmetjenester_brutto_per_mottaker", "hjemmetjenester_mottakere", "x", ""]
    row = st.lists(st.one_of(st.sampled_from(variables), st.sampled_from(PLACES), st.sampled_from(YEARS),
                             st.sampled_from(ODD_VALUES), st.sampled_from(PANEL_UNITS),
                             st.text(st.characters(codec="utf-8"), max_size=10)), min_size=0, max_size=8)
    good = st.tuples(st.sampled_from(variables[:2]), st.sampled_from(PLACES[-6:]), st.sampled_from(["2024", "2023"]),
                     st.sampled_from(["312", "281", "1e3", "0"] + ODD_VALUES), st.sampled_from(PANEL_UNITS)).map(list)
    rows = draw(st.lists(st.one_of(good, good, row), max_size=12))
    sep = ";" if head.count(";") else ","
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows(rows)
    return _encode((head + "\n" if head else "") + out.getvalue(), draw(encodings))


# --- SSB: JSON-stat 2.0, Statbank CSV and mapping files --------------------------------------

def _ssb_encodings() -> tuple[str, bytes, dict]:
    """The report's panel as SSB publishes it: (mapping, Statbank CSV in Latin-1, JSON-stat 2.0 document),
    so that a clean run reads every value and damage reaches the evaluation, not just a missing value."""
    rows = list(csv.DictReader(io.StringIO(PANEL_TEXT)))
    codes = dict(re.findall(r"^municipality\s+(\S+)\s+(\d+)", RULE_TEXTS["asss.bench"], re.M))
    variables = sorted({r["variable"] for r in rows})
    units = {r["variable"]: r["unit"] for r in rows}
    years = sorted({int(r["year"]) for r in rows})
    munis = sorted({r["municipality"] for r in rows})
    value = {(r["variable"], r["municipality"], int(r["year"])): r["value"] for r in rows}
    series = {v: f"{v.replace('_', ' ').capitalize()} (KOSTRA)" for v in variables}
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [["variable", "unit", "statistikkvariabel"]] + [[v, units[v], series[v]] for v in variables])
    lines = ['"12362: Utvalgte nøkkeltall for kommuneforvaltningen"', "",
             ";".join(['"region"', '"statistikkvariabel"'] + [f'"{y}"' for y in years])]
    for m in munis:
        for v in variables:
            cells = [value[(v, m, y)].replace(".", ",") if (v, m, y) in value else ".." for y in years]
            lines.append(";".join([f'"{codes[m]} {m}"', f'"{series[v]}"'] + cells))
    flat, status = [], {}
    for m in munis:
        for v in variables:
            for y in years:
                if (v, m, y) not in value:
                    status[str(len(flat))] = ".."
                flat.append(float(value[(v, m, y)]) if (v, m, y) in value else None)
    doc = {"version": "2.0", "class": "dataset", "label": "12362", "id": ["Region", "ContentsCode", "Tid"],
           "size": [len(munis), len(variables), len(years)],
           "role": {"geo": ["Region"], "time": ["Tid"], "metric": ["ContentsCode"]},
           "dimension": {
               "Region": {"label": "region", "category": {"index": [codes[m] for m in munis],
                                                          "label": {codes[m]: m for m in munis}}},
               "ContentsCode": {"label": "statistikkvariabel", "category": {
                   "index": {f"KOS{i:04d}": i for i in range(len(variables))},
                   "label": {f"KOS{i:04d}": series[v] for i, v in enumerate(variables)}}},
               "Tid": {"label": "år", "category": {"index": [str(y) for y in years]}}},
           "value": flat, "status": status}
    return out.getvalue(), "\n".join(lines).encode("latin-1") + b"\n", doc


FULL_MAPPING, FULL_STATBANK, FULL_JSONSTAT = _ssb_encodings()
MAPPINGS["full.csv"] = FULL_MAPPING


@st.composite
def json_values(draw, depth: int = 3):
    """Any JSON value, a few levels deep, with the strings JSON-stat uses for its own words."""
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**30), st.floats(allow_nan=True, allow_infinity=True),
                     st.text(max_size=8), st.sampled_from(["..", ":", "2007", "1601", "Tid", "region", "geo", "time"]))
    if depth == 0 or draw(st.booleans()):
        return draw(leaf)
    if draw(st.booleans()):
        return draw(st.lists(json_values(depth - 1), max_size=4))
    return draw(st.dictionaries(st.text(max_size=6), json_values(depth - 1), max_size=4))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _replace(node, path, new):
    if not path:
        return new
    copy = dict(node) if isinstance(node, dict) else list(node)
    if new is _DELETE and len(path) == 1:
        del copy[path[0]]
        return copy
    copy[path[0]] = _replace(node[path[0]], path[1:], new)
    return copy


_DELETE = object()


@st.composite
def damaged_jsonstat(draw) -> bytes:
    """A JSON-stat document (the report's panel, or the fixture) with nodes replaced, removed or blown
    up, or its text broken."""
    doc = draw(st.sampled_from([FULL_JSONSTAT, FULL_JSONSTAT, JSONSTAT]))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(doc))
        structure = [p for p in paths if not p or p[0] not in ("value", "status")]  # not only the values
        path = draw(st.sampled_from(structure) | st.sampled_from(paths))
        new = draw(st.one_of(
            json_values(),
            st.just(_DELETE) if path else st.just({}),
            st.sampled_from([[10**9, 10**9, 10**9], [2, 2, 10**12], [0, 0, 0], [-1, 2, 2], [2.5, 2, 2], ["2", 2, 2],
                             [2, 2], [2, 2, 2, 2], 10**400, 1e308, [1e308, 1e308, 1e308], "x", [], {}, [None],
                             {"0": 1}, {"index": ["a", "a"]}, {"index": {"a": 5}}, {"index": "abc"},
                             {"1e400": 1}, [[[[]]]]])))
        doc = _replace(doc, path, new) if (path or new is not _DELETE) else doc
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()), allow_nan=True)
    form = draw(st.sampled_from(["json"] * 6 + ["nonstrict", "deep", "root", "truncate", "bytes", "bundle"]))
    if form == "nonstrict":
        constant = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "1" * 5000]))
        text = re.sub(r"\d+\.\d+", constant, text, count=1)
    elif form == "deep":
        d = draw(st.integers(100, 200_000))
        text = text[:-1] + ', "x": ' + "[" * d + "]" * d + "}" if draw(st.booleans()) else "[" * d + "]" * d
    elif form == "root":
        text = draw(st.sampled_from(["[]", '"x"', "1", "null", "true", "[1, 2]", '"dataset"', "{}",
                                     '{"dataset": 1}', '{"class": "bundle"}', '{"class": "bundle", "a": []}',
                                     '{"dataset": {"id": 1, "size": 2, "dimension": 3}}']))
    elif form == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif form == "bundle":
        text = json.dumps({"class": "bundle", "a": doc})
    data = _encode(text, draw(encodings))
    if form == "bytes":
        data = data[:draw(st.integers(0, len(data)))] + draw(st.binary(max_size=40)) + data
    return data


@st.composite
def damaged_statbank(draw) -> bytes:
    """A Statbank CSV (the report's panel, or a fixture, wide or long) with lines and cells damaged,
    huge fields, binary junk."""
    text = draw(st.sampled_from([FULL_STATBANK.decode("latin-1")] * 2 + [STATBANK_WIDE, STATBANK_LONG]))
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "cell", "cell", "huge", "junk", "fields"]))
        if op == "delete":
            del lines[i]
            lines = lines or [""]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "cell":
            cells = lines[i].split(";")
            k = draw(st.integers(0, len(cells) - 1))
            cells[k] = draw(st.one_of(st.sampled_from(ODD_VALUES + YEARS + PLACES), st.sampled_from(
                ['"2007"', '"99999"', '"år"', '"region"', '"1e309"', '"Tid"', '""', '"', '"unterminated'])))
            lines[i] = ";".join(cells)
        elif op == "huge":
            lines[i] += ';"' + "x" * draw(st.sampled_from([1000, 140_000, 1_000_000])) + '"'
        elif op == "fields":
            lines[i] = lines[i] + draw(st.sampled_from([";", ";;;;", ",", ";x"])) * draw(st.integers(1, 5))
        else:
            k = draw(st.integers(0, len(lines[i])))
            junk = draw(st.binary(min_size=1, max_size=30)).decode("latin-1")
            lines[i] = lines[i][:k] + junk + lines[i][k:]
    return _encode("\n".join(lines) + "\n", draw(st.sampled_from(["latin-1", "utf-8", "utf-8-sig", "utf-16"])))


@st.composite
def damaged_mapping(draw) -> bytes:
    """A mapping file: one-field lines, no dimension columns, unknown codes, odd units, junk."""
    base = draw(st.sampled_from(sorted(MAPPINGS)))
    lines = MAPPINGS[base].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["one", "nodims", "code", "unit", "delete", "duplicate", "junk", "header",
                                   "empty"]))
        if op == "one":
            lines.insert(i + 1, draw(st.sampled_from(["sfo_brukere", "x", '"', "", ",", "variable"])))
        elif op == "nodims":
            lines = [",".join(ln.split(",")[:2]) if ln and not ln.startswith("#") else ln for ln in lines]
        elif op == "code":
            lines.append(f"sfo_brukere,user,{draw(st.sampled_from(['nope', 'KOS', '', '1601', 'Tid', 'x' * 100_000]))}")
        elif op == "unit":
            lines.append(f"sfo_brukere,{draw(st.sampled_from(PANEL_UNITS))},Brukere i SFO")
        elif op == "delete":
            del lines[i]
            lines = lines or [""]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "header":
            lines[0] = draw(st.sampled_from(["variable", "unit,variable", "variable,unit", "variable,unit,", "",
                                             "variable;unit;statistikkvariabel", "\ufeffvariable,unit,ContentsCode"]))
        elif op == "empty":
            lines = [draw(st.sampled_from(["", "# nothing", "\x00"]))]
        else:
            k = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:k] + draw(st.sampled_from(ODD_CHARS + ['"', "\x00", "x" * 200_000])) + lines[i][k:]
    return _encode("\n".join(lines) + "\n", draw(encodings))
