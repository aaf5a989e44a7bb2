"""The floor for benchmark 1: Tables 4-10 computed in plain Python, without benchdsl.

Reads the same panel and prints the same table figures as `benchdsl run rules/`
(checked by bench.py), written as directly as a person would by hand.
"""

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSS = ["Oslo", "Bergen", "Trondheim", "Stavanger", "Bærum", "Kristiansand", "Fredrikstad", "Tromsø", "Drammen",
        "Sandnes"]
OWN, YEAR = "Trondheim", 2007
TO = {"kNOK": 1000.0, "% user/inhabitant": 0.01}

v = {}
with open(ROOT / "data" / "trondheim2007.csv", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        v[(row["variable"], row["municipality"], int(row["year"]))] = float(row["value"]) * TO.get(row["unit"], 1.0)


def val(var, m=OWN, y=YEAR):
    return v[(var, m, y)]


OTHERS = [m for m in ASSS if m != OWN]


def mean(f):
    return sum(f(m) for m in OTHERS) / len(OTHERS)


def best(f, k, higher=False):
    return sorted((f(m) for m in OTHERS), reverse=higher)[k - 1]


def bases(f, higher=False):
    return {"mean": mean(f), "best": best(f, 3, higher), "bergen": f("Bergen")}


def gap(f, basis, higher=False):
    return basis - f(OWN) if higher else f(OWN) - basis


def sfo_fee(m):
    return val("sfo_brutto_per_bruker", m) - val("sfo_netto_per_bruker", m)


def music_fee(m):
    return val("kulturskole_brutto_per_elev", m) - val("kulturskole_netto_per_elev", m)


def music_cov(m):
    return val("kulturskole_elever", m) / val("innbyggere_6_20", m)


def recipient_rate(m):
    return val("sosialhjelpsmottakere", m) / val("innbyggere_20_66", m)


def cw(kind, m, extra=0.0):
    spend = val(f"barnevern_f25{kind}_brutto", m)
    children = val("barn_tiltak_i_familien" if kind == 1 else "barn_tiltak_utenfor_familien", m) + extra
    return spend / children


def group_size(column):
    def level(var, m):
        return val(var, m)
    if column == "mean":
        b17, b810 = mean(lambda m: level("gruppestorrelse_1_7", m)), mean(lambda m: level("gruppestorrelse_8_10", m))
    else:
        b17 = best(lambda m: level("gruppestorrelse_1_7", m), 3, True)
        b810 = best(lambda m: level("gruppestorrelse_8_10", m), 3, True)
    p17, p810 = val("elever_1_7"), val("elever_8_10")
    g = ((b17 / val("gruppestorrelse_1_7") - 1) * p17 + (b810 / val("gruppestorrelse_8_10") - 1) * p810) / (p17 + p810)
    return g * (3 / 3.5) * val("lonn_f202")


def figures():
    out = {}
    for col, other in (("mean", "mean"), ("best", "best")):
        out[("T4", "group_size", col)] = group_size(col)
        g = bases(lambda m: val("sfo_brutto_per_bruker", m))[other]
        out[("T4", "sfo_unit_cost", col)] = (val("sfo_brutto_per_bruker") - g) * val("sfo_brukere")
        out[("T4", "sfo_fee", col)] = (bases(sfo_fee, True)[other] - sfo_fee(OWN)) * val("sfo_brukere")
        g = bases(lambda m: val("kulturskole_brutto_per_elev", m))[other]
        out[("T4", "music_unit_cost", col)] = (val("kulturskole_brutto_per_elev") - g) * val("kulturskole_elever")
        out[("T4", "music_fee", col)] = (bases(music_fee, True)[other] - music_fee(OWN)) * val("kulturskole_elever")
        out[("T4", "music_scope", col)] = ((music_cov(OWN) - bases(music_cov)[other]) * val("innbyggere_6_20")
                                           * val("kulturskole_netto_per_elev"))
        c = bases(lambda m: val("pleie_netto_per_innbygger_67", m))[other]
        out[("T7", "elderly_care", col)] = (val("pleie_netto_per_innbygger_67") - c) * val("innbyggere_67")
        for name, var in (("political", "f100_brutto_per_innbygger"), ("administration", "f120_brutto_per_innbygger")):
            c = bases(lambda m, var=var: val(var, m))[other]
            out[("T8", name, col)] = (val(var) - c) * val("innbyggere")
        c = bases(lambda m: val("barnehage_brutto_per_korrigert_time", m))[other]
        out[("T9", "kindergarten_unit_cost", col)] = (val("barnehage_brutto_per_korrigert_time") - c) * val(
            "korrigerte_oppholdstimer")
    for col, other in (("mean", "mean"), ("bergen", "bergen")):
        p = bases(lambda m: val("sosialhjelp_per_stonadsmaned", m))[other]
        out[("T5", "social_payment", col)] = (val("sosialhjelp_per_stonadsmaned") - p) * val("stonadsmaneder")
        reduction = (recipient_rate(OWN) - bases(recipient_rate)[other]) / recipient_rate(OWN)
        out[("T5", "social_recipients", col)] = reduction * val("stonadsmaneder") * p
        for kind, name, extra in ((1, "cw_home", 170.0), (2, "cw_out", 0.0)):
            own = cw(kind, OWN, extra)
            b = bases(lambda m, kind=kind: cw(kind, m))[other]
            out[("T6", name, col)] = (own - b) * (val("barn_tiltak_i_familien" if kind == 1 else
                                                      "barn_tiltak_utenfor_familien") + extra)
    out = {k: (x / 1e6 if x > 0 else None) for k, x in out.items()}
    for table, rows in (("T4", 6), ("T5", 2), ("T6", 2), ("T7", 1), ("T8", 2), ("T9", 1)):
        cols = ("mean", "bergen") if table in ("T5", "T6") else ("mean", "best")
        for i, col in enumerate(cols):
            parts = [x for (t, _, c), x in out.items() if t == table and c == col and x is not None]
            out[("T10", table, ("mean", "best")[i])] = sum(round(x + 1e-9, 1) for x in parts)
    return out


if __name__ == "__main__":
    w = csv.writer(sys.stdout, lineterminator="\n")
    for (t, r, c), x in sorted(figures().items()):
        w.writerow([t, r, c, "" if x is None else f"{x:.4f}"])
