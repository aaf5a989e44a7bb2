"""The floor for benchmark 2: every measure of rules/ under its four bases, for
every municipality and year, written by hand in numpy.

`figures(data, munis, years)` takes {panel variable: municipalities x years
array, in the indicators' units} and returns {(measure, basis): array of raw
savings in MNOK}, the same as benchdsl.batch (checked by bench.py).
"""

import numpy as np

ASSS = ["Oslo", "Bergen", "Trondheim", "Stavanger", "Bærum", "Kristiansand", "Fredrikstad", "Tromsø", "Drammen",
        "Sandnes"]


def figures(d, munis, years):
    index = {m: i for i, m in enumerate(munis)}
    g = np.array([index[m] for m in ASSS])
    in_g = np.zeros(len(munis), bool)
    in_g[g] = True
    bergen, y2004 = index["Bergen"], years.index(2004)

    def mean_wo(v):
        s, n = np.nansum(v[g], 0), np.sum(~np.isnan(v[g]), 0)
        out = in_g[:, None] & ~np.isnan(v)
        return np.where(out, (s - np.where(out, v, 0)) / (n - 1), s / n)

    def third_wo(v, higher):
        o = -np.sort(-v[g], 0) if higher else np.sort(v[g], 0)
        n = np.sum(~np.isnan(v[g]), 0)
        k3, k4 = np.where(n >= 3, o[2], np.nan), np.where(n >= 4, o[3], np.nan)
        among = in_g[:, None] & ~np.isnan(v) & ((v >= k3) if higher else (v <= k3))
        return np.where(among, k4, k3)

    def basis(v, kind, higher=False, own=None):
        if kind == "mean_others":
            return mean_wo(v)
        if kind == "third_best":
            return third_wo(v, higher)
        # A measure's adjustment changes the evaluated municipality's value in the evaluated year,
        # wherever it is read: Bergen as its own peer, and year(2004) in 2004 itself (never other years).
        if kind == "bergen":
            b = np.array(np.broadcast_to(v[bergen], v.shape))
            if own is not None:
                b[bergen] = own[bergen]
            return b
        b = np.array(np.broadcast_to(v[:, [y2004]], v.shape))
        if own is not None:
            b[:, y2004] = own[:, y2004]
        return b

    def gap(v, kind, higher=False, own=None):
        own_v = v if own is None else own
        b = basis(v, kind, higher, own)
        return b - own_v if higher else own_v - b

    sfo_fee = d["sfo_brutto_per_bruker"] - d["sfo_netto_per_bruker"]
    music_fee = d["kulturskole_brutto_per_elev"] - d["kulturskole_netto_per_elev"]
    music_cov = d["kulturskole_elever"] / d["innbyggere_6_20"]
    rate = d["sosialhjelpsmottakere"] / d["innbyggere_20_66"]
    # `adjust cw_home_children by cw_home_children_removed`: each municipality's own stated count
    home_children = d["barn_tiltak_i_familien"] + d["barn_tiltak_i_familien_redusert"]
    home_cost = d["barnevern_f251_brutto"] * 1000 / d["barn_tiltak_i_familien"]
    home_cost_own = d["barnevern_f251_brutto"] * 1000 / home_children
    out_cost = d["barnevern_f252_brutto"] * 1000 / d["barn_tiltak_utenfor_familien"]
    p17, p810 = d["elever_1_7"], d["elever_8_10"]
    out = {}
    for kind in ("mean_others", "third_best", "bergen", "level_2004"):
        g17 = basis(d["gruppestorrelse_1_7"], kind, True) / d["gruppestorrelse_1_7"] - 1
        g810 = basis(d["gruppestorrelse_8_10"], kind, True) / d["gruppestorrelse_8_10"] - 1
        measures = {
            "group_size": (g17 * p17 + g810 * p810) / (p17 + p810) * (d["lonnsreduksjon_storre_grupper"] / d["gruppestorrelse_okning"])
                          * d["lonn_f202"] * 1000,
            "sfo_unit_cost": gap(d["sfo_brutto_per_bruker"], kind) * d["sfo_brukere"],
            "sfo_fee": gap(sfo_fee, kind, True) * d["sfo_brukere"],
            "music_unit_cost": gap(d["kulturskole_brutto_per_elev"], kind) * d["kulturskole_elever"],
            "music_fee": gap(music_fee, kind, True) * d["kulturskole_elever"],
            "music_scope": gap(music_cov, kind) * d["innbyggere_6_20"] * d["kulturskole_netto_per_elev"],
            "social_payment": gap(d["sosialhjelp_per_stonadsmaned"], kind) * d["stonadsmaneder"],
            "social_recipients": gap(rate, kind) / rate * d["stonadsmaneder"]
                                 * basis(d["sosialhjelp_per_stonadsmaned"], kind),
            "cw_home": gap(home_cost, kind, own=home_cost_own) * home_children,
            "cw_out": gap(out_cost, kind) * d["barn_tiltak_utenfor_familien"],
            "elderly_care": gap(d["pleie_netto_per_innbygger_67"], kind) * d["innbyggere_67"],
            "care_homes": gap(d["andel_80_i_institusjon"], kind) * d["innbyggere_80"] * d["besparelse_omsorgsbolig"],
            "political": gap(d["f100_brutto_per_innbygger"], kind) * d["innbyggere"],
            "administration": gap(d["f120_brutto_per_innbygger"], kind) * d["innbyggere"],
            "kindergarten_unit_cost": gap(d["barnehage_brutto_per_korrigert_time"], kind) * d["korrigerte_oppholdstimer"],
        }
        for name, raw in measures.items():
            out[(name, kind)] = raw / 1e6
    return out
