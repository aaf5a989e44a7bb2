"""The interface's words: every label and header the reports write, in English and in Norwegian bokmål.

The English text is the key: a renderer writes `tr(lang, "Not reproduced")`, or with values
`tr(lang, "{n} of {m} published figures reproduced", n=133, m=140)`, and `tr_n` picks the
singular or the plural by a count.  English is written where it is used (so the code reads
as the report does); `NB` gives each text in bokmål, as a municipal economist writes it.
A text missing from `NB` is a bug, which `tests/test_lang.py` finds statically (every
`tr`/`tr_n` with a literal text) and by running every renderer with `--lang nb`; it also
finds entries no code uses any more.

Only the interface is translated.  Titles, labels, headers and notes in the rules are the
analyst's and go out as written; JSON and CSV keep their English keys and values (they are
read by programs).  Numbers follow `--norwegian` (which `--lang nb` implies).

A plain dict rather than gettext: one small module, no compiled catalogues to keep in step,
and a test can read every entry.
"""

from __future__ import annotations

LANGS = ("en", "nb")  # `--lang` choices; also the HTML `lang` attribute

# English text -> bokmål; a pair (singular, plural) where English writes one text for both ("decimal(s)")
NB: dict[str, str | tuple[str, str]] = {
    # --- statuses and marks (text, Markdown, HTML, explain, the legend) ---
    "reproduced": "reprodusert",
    "mismatch": "avvik",
    "MISMATCH": "AVVIK",
    "not computed": "ikke beregnet",
    "known report inconsistency": "kjent inkonsistens i rapporten",
    "follows from a known inconsistency": "følger av en kjent inkonsistens",
    "✓ reproduced  ✗ mismatch  ? not computed\nK known report inconsistency  ↳ follows from a known inconsistency":
        "✓ reprodusert  ✗ avvik  ? ikke beregnet\nK kjent inkonsistens i rapporten  ↳ følger av en kjent inkonsistens",
    # --- the summary and the evidence line (audit.py, evidence.py) ---
    "{n} of {m} published figures reproduced": "{n} av {m} publiserte tall reprodusert",
    "{n} report inconsistency": "{n} inkonsistens i rapporten",
    "{n} report inconsistencies": "{n} inkonsistenser i rapporten",
    "The published values in the rules are {own} {year}'s: not audited for {other} {other_year}":
        "De publiserte tallene i reglene gjelder {own} {year}: ikke kontrollert for {other} {other_year}",
    "nothing published to audit; {n} figure computed": "ingenting publisert å kontrollere; {n} tall beregnet",
    "nothing published to audit; {n} figures computed": "ingenting publisert å kontrollere; {n} tall beregnet",
    "The basis left out {municipalities}: no value in the panel.":
        "Grunnlaget utelot {municipalities}: ingen verdi i panelet.",
    "{n} further figure not computed": "ytterligere {n} tall ikke beregnet",
    "{n} further figures not computed": "ytterligere {n} tall ikke beregnet",
    "{n} follow from a report inconsistency": "{n} følger av en inkonsistens i rapporten",
    "{n} mismatch": "{n} avvik",
    "{n} mismatches": "{n} avvik",
    "value": "verdi",
    " ({n} of them a report inconsistency found by the readings search: declare it with `known`)":
        " ({n} av dem en inkonsistens i rapporten funnet ved søket i lesemåter: erklær den med `known`)",
    " ({n} of them report inconsistencies found by the readings search: declare each with `known`)":
        " ({n} av dem inkonsistenser i rapporten funnet ved søket i lesemåter: erklær hver med `known`)",
    "{n} not computed": "{n} ikke beregnet",
    "{n} published figure: ": "{n} publisert tall: ",
    "{n} published figures: ": "{n} publiserte tall: ",
    "cross-checked": "krysskontrollert",
    "used to build the panel": "brukt til å bygge datagrunnlaget",
    "read back": "lest tilbake",
    "sums": "summer",
    "inconsistent": "inkonsistent",
    # --- the text report ---
    "computed": "beregnet",
    "calc.": "beregn.",
    "report": "rapport",
    "published": "publisert",
    "Stated in the text (computed vs published)": "Oppgitt i teksten (beregnet mot publisert)",
    "Further statements ({file})": "Andre utsagn ({file})",
    "Not reproduced": "Ikke reprodusert",
    "Not computed (nothing published for these; each is shown as ?)":
        "Ikke beregnet (ingenting publisert for disse; hvert vises som ?)",
    "Of the figures not reproduced: {breakdown}.": "Av tallene som ikke er reprodusert: {breakdown}.",
    "{name}: computed {computed}, published {published}": "{name}: beregnet {computed}, publisert {published}",
    ", off by {delta}": ", avvik {delta}",
    "reproduced once {figures} takes the published value": "reprodusert når {figures} får den publiserte verdien",
    "reproduced once {figures} take the published value": "reprodusert når {figures} får de publiserte verdiene",
    " and ": " og ",
    "(No value of {indicator} for {municipality} {year} to reconcile with.)":
        "(Ingen verdi av {indicator} for {municipality} {year} å avstemme mot.)",
    "(No value of {indicator} for {municipality} {year} reproduces {published}.)":
        "(Ingen verdi av {indicator} for {municipality} {year} gir {published}.)",
    "That value breaks {figures}: no single value reproduces all the report states.":
        "Den verdien bryter med {figures}: ingen enkeltverdi reproduserer alt rapporten oppgir.",
    "No other published figure changes.": "Ingen andre publiserte tall endres.",
    "Computed: {name} is reproduced if {indicator} for {municipality} {year} is {needed} instead of {was}. "
    "{consequence}":
        "Beregnet: {name} reproduseres dersom {indicator} for {municipality} {year} er {needed} i stedet for {was}. "
        "{consequence}",
    # --- every basis value, let and indicator value (text, Markdown, HTML) ---
    "Basis values ({own} {year}): value, who forms it, the members":
        "Sammenlikningsgrunnlag ({own} {year}): verdi, hvem som danner det, medlemmene",
    "Lets ({own} {year}): measure.basis.let": "Mellomregninger ({own} {year}): tiltak.grunnlag.let",
    "Indicators ({own} {year}): value, where it comes from": "Indikatorer ({own} {year}): verdi, hvor den kommer fra",
    "Measures no table shows ({own} {year}): measure.basis": "Tiltak som ingen tabell viser ({own} {year}): tiltak.grunnlag",
    "Measures no table shows ({own} {year})": "Tiltak som ingen tabell viser ({own} {year})",
    "Basis values ({own} {year})": "Sammenlikningsgrunnlag ({own} {year})",
    "Lets ({own} {year})": "Mellomregninger ({own} {year})",
    "Indicators ({own} {year})": "Indikatorer ({own} {year})",
    "basis": "grunnlag",
    "indicator": "indikator",
    "formed by": "dannet av",
    "members": "medlemmer",
    "measure": "tiltak",
    "source": "kilde",
    # --- series breaks (text, HTML, explain) ---
    "Series breaks (a comparison across a merger or split compares different territories)":
        "Brudd i tidsserien (en sammenlikning på tvers av en sammenslåing eller deling sammenlikner ulike områder)",
    "in {figures}": "i {figures}",
    "series break: {text}": "brudd i tidsserien: {text}",
    # --- Markdown and HTML ---
    "Stated in the text": "Oppgitt i teksten",
    "claim": "utsagn",
    "How each figure was derived": "Slik er hvert tall beregnet",
    # --- explain ---
    "{name}: not published, so not audited": "{name}: ikke publisert, derfor ikke kontrollert",
    "{name}: basis `{basis}` ({title}) of indicator `{indicator}` ({indicator_title})":
        "{name}: sammenlikningsgrunnlag `{basis}` ({title}) for indikator `{indicator}` ({indicator_title})",
    "{name}: `let {let}` of measure `{measure}` under basis `{basis}`":
        "{name}: `let {let}` i tiltak `{measure}` med sammenlikningsgrunnlag `{basis}`",
    "{title}, column “{header}”": "{title}, kolonne «{header}»",
    "rule: {span}": "regel: {span}",
    "under basis `{basis}` ({title}): {policy}": "med sammenlikningsgrunnlag `{basis}` ({title}): {policy}",
    "the basis is formed by: {peer}": "sammenlikningsgrunnlaget er: {peer}",
    "value": "verdi",
    "measure `{measure}`: {title}  ({span})": "tiltak `{measure}`: {title}  ({span})",
    "basis `{basis}` ({title}): {policy}": "sammenlikningsgrunnlag `{basis}` ({title}): {policy}",
    "note: {note}": "merknad: {note}",
    "saving": "innsparing",
    "not computed: {reason}": "ikke beregnet: {reason}",
    "unit factor {factor}": "enhetsfaktor {factor}",
    "the basis is at or better than the own level: no saving (–)":
        "grunnlaget er på eller bedre enn eget nivå: ingen innsparing (–)",
    "rounded to {n} decimal(s): {value}": ("avrundet til {n} desimal: {value}", "avrundet til {n} desimaler: {value}"),
    "the basis is at or better than the own level: no saving; shown with its sign (`signed`)":
        "grunnlaget er på eller bedre enn eget nivå: ingen innsparing; vist med fortegn (`signed`)",
    "inputs ({municipality}):": "grunnlagstall ({municipality}):",
    "adjusted by {adjustment} → {value}: {reason}": "justert med {adjustment} → {value}: {reason}",
    "basis {policy} of {indicator} ({unit}):": "sammenlikningsgrunnlag {policy} for {indicator} ({unit}):",
    "← basis": "← grunnlag",
    "left out (no value): {municipalities}": "utelatt (ingen verdi): {municipalities}",
    "mean of value ÷ {index} = {mean}; × {own}'s {index} {own_index}":
        "gjennomsnitt av verdi ÷ {index} = {mean}; × {index} for {own} {own_index}",
    "above the basis": "over grunnlaget",
    "below the basis": "under grunnlaget",
    "equal to the basis": "lik grunnlaget",
    "by formula": "beregnet etter formel",
    "by formula from {inputs}": "beregnet etter formel fra {inputs}",
    "the total of {title}, column “{header}”:": "summen av {title}, kolonne «{header}»:",
    "the sum of the rows above, each rounded as the table shows it:":
        "summen av radene over, hver avrundet slik tabellen viser den:",
    "computed: {value}": "beregnet: {value}",
    " (shown as {value})": " (vist som {value})",
    " (accepted: −{below} / +{above})": " (godtatt: −{below} / +{above})",
    "published: {value}": "publisert: {value}",
    "“{word}” means {meaning} ({where})": "«{word}» betyr {meaning} ({where})",
    "the scale's default, docs/audit.md": "skalaens standard, docs/audit.md",
    "declared at {where}": "deklarert i {where}",
    "audit: {mark} {status}": "kontroll: {mark} {status}",
    # --- sensitivity ---
    "Savings under alternative bases, {own} {year} ({unit}); group {group}":
        "Innsparing med alternative sammenlikningsgrunnlag, {own} {year} ({unit}); gruppe {group}",
    "– no saving; ? not computable (see the warnings)": "– ingen innsparing; ? kan ikke beregnes (se advarslene)",
    # --- diff ---
    "old": "gammel",
    "new": "ny",
    "{rules} with {panels}": "{rules} med {panels}",
    "no panel": "ingen datafil",
    "Changed (a change of status first, then the largest relative change)":
        "Endret (endret status først, deretter største relative endring)",
    "Only in the new run": "Bare i den nye kjøringen",
    "Only in the old run": "Bare i den gamle kjøringen",
    "Unchanged": "Uendret",
    " (--all lists the unchanged ones)": " (--all viser de uendrede)",
    "no figure changed ({n} compared)": "ingen tall endret ({n} sammenliknet)",
    "{n} figure changed": "{n} tall endret",
    "{n} figures changed": "{n} tall endret",
    "{n} only in the new run": "{n} bare i den nye kjøringen",
    "{n} only in the old run": "{n} bare i den gamle kjøringen",
    "{n} unchanged": "{n} uendret",
    "{key} under {basis}": "{key} med {basis}",
    "? (not computed)": "? (ikke beregnet)",
    "{dash} (no saving)": "{dash} (ingen innsparing)",
    "from 0": "fra 0",
    " points": " prosentpoeng",
    "  [the report shows {value} in both]": "  [rapporten viser {value} i begge]",
    "{which}: not computed: {reason}": "{which}: ikke beregnet: {reason}",
    "audit: {old} (published {old_published}) → {new} (published {new_published})":
        "kontroll: {old} (publisert {old_published}) → {new} (publisert {new_published})",
    "audit: {audit} (published {published})": "kontroll: {audit} (publisert {published})",
    "not published": "ikke publisert",
    "ok": "reprodusert",
    "known": "kjent inkonsistens",
    "follows": "følger av en inkonsistens",
    "error": "ikke beregnet",
    "= {figure}, above": "= {figure}, over",
    "rules: {what}: {old} → {new}": "regler: {what}: {old} → {new}",
    "none": "ingen",
    "computed from changed figures: {figures}": "beregnet fra endrede tall: {figures}",
    "inputs that changed:": "grunnlagstall som endret seg:",
    "no value": "ingen verdi",
    "read by the new run only: {place}": "lest bare av den nye kjøringen: {place}",
    "read by the old run only: {place}": "lest bare av den gamle kjøringen: {place}",
    "no input changed ({n} read)": "ingen grunnlagstall endret ({n} lest)",
    "no input read": "ingen grunnlagstall lest",
    " (adjusted by {adjustment})": " (justert med {adjustment})",
    "basis of {indicator}: in the new run only: {policy} = {value} {unit}":
        "grunnlag for {indicator}: bare i den nye kjøringen: {policy} = {value} {unit}",
    "basis of {indicator}: in the old run only: {policy} = {value} {unit}":
        "grunnlag for {indicator}: bare i den gamle kjøringen: {policy} = {value} {unit}",
    "basis of {indicator}: {old_policy} = {old_value} → {new_policy} = {new_value} {unit}":
        "grunnlag for {indicator}: {old_policy} = {old_value} → {new_policy} = {new_value} {unit}",
    "basis {policy} of {indicator}: {old_value} → {new_value} {unit}":
        "grunnlag {policy} for {indicator}: {old_value} → {new_value} {unit}",
    "formed by: {old} → {new}": "dannet av: {old} → {new}",
    "new members: {municipalities}": "nye medlemmer: {municipalities}",
    "no longer members: {municipalities}": "ikke lenger medlemmer: {municipalities}",
    "ranks: {ranks}": "rangering: {ranks}",
    "unranked": "urangert",
}


def tr(lang: str, text: str, /, **values) -> str:
    """`text` in the language `lang`, with `values` filled in."""
    return _fill(_word(lang, text, 1), values)


def tr_n(lang: str, n: int, one: str, many: str, /, **values) -> str:
    """`one` or `many` by the count `n` (bokmål counts as English does: 1, else the plural)."""
    return _fill(_word(lang, one if n == 1 else many, n), {"n": n, **values})


def _word(lang: str, text: str, n: int) -> str:
    if lang == "en":
        return text
    word = NB[text]
    return word if isinstance(word, str) else word[0 if n == 1 else 1]


def _fill(text: str, values: dict) -> str:
    return text.format(**values) if values else text
