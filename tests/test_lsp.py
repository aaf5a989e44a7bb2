"""`benchdsl lsp` as an editor drives it: a subprocess on stdio, and pygls's client sending what an editor sends.

One server serves the whole module (a session over a temporary workspace of
two programs); tests that edit a buffer put its text back afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as lsp  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402

from benchdsl.fmt import format_text  # noqa: E402
from benchdsl.lsp import symbols  # noqa: E402
from benchdsl.lsp.project import Project, program_root  # noqa: E402
from benchdsl.parse import parse  # noqa: E402

BENCHDSL = str(Path(sys.executable).parent / "benchdsl")
ROOT = Path(__file__).resolve().parent.parent

NETWORK = """\
municipality A 0001
municipality B 0002
municipality C 0003
municipality D 0004
group G = A, B, C, D
own A 2024
panel "panel.csv"
basis mean_others "Mean of the others" = mean(G - own)
basis second "2nd best" = best(2, G - own)
"""

COSTS = """\
indicator cost "Cost per user" {
    unit NOK/user
    better lower
    source "cost"
}

indicator users "Users" {
    unit user
    source "users"
}

measure unit_cost "Unit cost" {
    saving = gap(cost) * users
    unit MNOK
    round 1
}

table T "Savings" {
    column mean "Mean" = mean_others
    column second "2nd best" = second
    row "Unit cost" = unit_cost: 0.8, 1.0
}
"""

# A 1200 NOK/user with 4000 users; the others B 950, C 1250, D 800.
#   mean_others = (950 + 1250 + 800) / 3 = 1000; saving = (1200 - 1000) * 4000 = 800 000 NOK = 0.8 MNOK
#   second: the others from lowest (better lower): D 800, B 950, C 1250 -> B 950;
#           saving = (1200 - 950) * 4000 = 1 000 000 NOK = 1.0 MNOK
PANEL = """\
variable,municipality,year,value,unit
cost,A,2024,1200,NOK/user
cost,B,2024,950,NOK/user
cost,C,2024,1250,NOK/user
cost,D,2024,800,NOK/user
users,A,2024,4000,user
"""


def line_of(text: str, needle: str) -> tuple[int, int]:
    """0-based line and character of the first `needle`."""
    for i, line in enumerate(text.split("\n")):
        if needle in line:
            return i, line.index(needle)
    raise AssertionError(needle)


class Session:
    """A `benchdsl lsp` subprocess and pygls's client, on an event loop in a thread of its own."""

    def __init__(self, workspace: Path, cache: Path):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = LanguageClient("benchdsl-tests", "1")
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self.changed = threading.Condition()
        self.versions: dict[str, int] = {}

        self.registrations: list[lsp.Registration] = []

        @self.client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: lsp.RegistrationParams) -> None:
            self.registrations.extend(params.registrations)

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            with self.changed:
                self.diagnostics[params.uri] = list(params.diagnostics)
                self.changed.notify_all()

        env = {**os.environ, "BENCHDSL_CACHE_DIR": str(cache)}
        self.call(self.client.start_io(BENCHDSL, "lsp", env=env))
        self.call(self.client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(workspace=lsp.WorkspaceClientCapabilities(
                did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True))),
            root_uri=from_fs_path(str(workspace)),
            workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(workspace)), name="ws")])))
        self.notify(self.client.initialized, lsp.InitializedParams())

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def notify(self, send, params) -> None:
        async def go():
            send(params)

        self.call(go())

    def open(self, path: Path) -> str:
        uri = from_fs_path(str(path))
        self.versions[uri] = 1
        with self.changed:
            self.diagnostics.pop(uri, None)
        self.notify(self.client.text_document_did_open, lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="bench", version=1, text=path.read_text(encoding="utf-8"))))
        return uri

    def change(self, uri: str, text: str) -> None:
        """An edit; the server sends diagnostics only when they differ from what the client has."""
        self.versions[uri] += 1
        self.notify(self.client.text_document_did_change, lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)]))

    def wait_diagnostics(self, uri: str, check=lambda ds: True, timeout: float = 20) -> list[lsp.Diagnostic]:
        with self.changed:
            ok = self.changed.wait_for(lambda: uri in self.diagnostics and check(self.diagnostics[uri]), timeout)
            assert ok, f"no such diagnostics for {uri}: {self.diagnostics.get(uri)}"
            return self.diagnostics[uri]

    def position(self, uri: str, line: int, char: int):
        return lsp.TextDocumentIdentifier(uri=uri), lsp.Position(line=line, character=char)

    def close(self) -> None:
        self.call(self.client.shutdown_async(None))
        self.notify(self.client.exit, None)
        self.call(self.client.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("workspace")
    rules = root / "rules"
    rules.mkdir()
    (rules / "network.bench").write_text(NETWORK, encoding="utf-8")
    (rules / "costs.bench").write_text(COSTS, encoding="utf-8")
    (rules / "panel.csv").write_text(PANEL, encoding="utf-8")
    other = root / "examples" / "home_care"  # a second program in the same workspace
    shutil.copytree(ROOT / "examples" / "home_care", other)
    session = Session(root, tmp_path_factory.mktemp("cache"))
    session.rules = rules
    session.costs = session.open(rules / "costs.bench")
    session.network = session.open(rules / "network.bench")
    yield session
    session.close()


def wait_figures(ws: Session, uri: str, line: int, char: int, timeout: float = 20) -> str:
    """Hover text once the first run (on opening) has read the panel."""
    deadline = time.monotonic() + timeout
    while True:
        doc, pos = ws.position(uri, line, char)
        got = ws.call(ws.client.text_document_hover_async(lsp.HoverParams(text_document=doc, position=pos)))
        text = got.contents.value if got else ""
        if "appear once the panel is read" not in text or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


# --- diagnostics ---------------------------------------------------------------------------------


def test_a_misspelt_name_is_an_error_at_its_line_and_goes_away_when_fixed(ws):
    assert ws.wait_diagnostics(ws.costs) == []
    broken = COSTS.replace("gap(cost)", "gap(cots)")
    ws.change(ws.costs, broken)
    [d] = ws.wait_diagnostics(ws.costs, lambda ds: ds != [])
    line, char = line_of(broken, "cots")
    assert d.range.start.line == line and d.range.start.character == char
    assert d.range.end.character == char + len("cots")
    assert d.severity == lsp.DiagnosticSeverity.Error
    assert "gap()" in d.message and "did you mean `cost`?" in d.message  # the hint, as `check` prints it
    ws.change(ws.costs, COSTS)
    assert ws.wait_diagnostics(ws.costs, lambda ds: ds == []) == []


def test_a_name_used_in_another_file_is_checked_with_the_unsaved_buffer(ws):
    # Renaming the basis in network.bench (not saved) breaks the column in costs.bench.
    ws.change(ws.network, NETWORK.replace("basis second ", "basis runner_up "))
    [d] = ws.wait_diagnostics(ws.costs, lambda ds: ds != [])
    assert d.range.start.line == line_of(COSTS, 'column second "2nd best" = second')[0]
    assert "`second`, which is not a declared basis" in d.message
    ws.change(ws.network, NETWORK)
    ws.wait_diagnostics(ws.costs, lambda ds: ds == [])


def test_a_syntax_error_is_reported_and_the_server_keeps_serving(ws):
    broken = COSTS.replace("    round 1\n", "    round 1 2 3\n")
    ws.change(ws.costs, broken)
    [d] = ws.wait_diagnostics(ws.costs, lambda ds: ds != [])
    assert d.range.start.line == line_of(broken, "round 1 2 3")[0]
    assert d.message.startswith("unexpected")
    ws.change(ws.costs, COSTS)
    ws.wait_diagnostics(ws.costs, lambda ds: ds == [])


def test_a_bad_panel_value_is_a_diagnostic_in_the_panel_file(ws, tmp_path_factory):
    home = ws.rules.parent / "examples" / "home_care"
    panel = home / "panel.csv"
    panel.write_text(panel.read_text(encoding="utf-8").replace(",312,", ",3x2,"), encoding="utf-8")
    uri = ws.open(home / "home_care.bench")  # the other program: its first run reads the panel
    [d] = ws.wait_diagnostics(from_fs_path(str(panel)), lambda ds: ds != [])
    assert d.range.start.line == 1  # the first data line, below the header
    assert ws.wait_diagnostics(uri) == []  # and the rules themselves are fine


def test_saving_recomputes_the_figures_and_marks_a_published_value_not_reproduced(ws):
    doubled = COSTS.replace("gap(cost) * users", "gap(cost) * users * 2")
    ws.change(ws.costs, doubled)  # not written to disk: the run uses the editor's text
    ws.notify(ws.client.text_document_did_save, lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(ws.costs)))
    ds = ws.wait_diagnostics(ws.costs, lambda ds: len(ds) == 2)
    line, char = line_of(doubled, "0.8, 1.0")
    mean, second = sorted(ds, key=lambda d: d.range.start.character)
    assert (mean.range.start.line, mean.range.start.character, mean.range.end.character) == (line, char, char + 3)
    # 2 * 0.8 and 2 * 1.0 MNOK, computed with one more decimal than the table's
    assert mean.message == "not reproduced: `T.unit_cost.mean`: computed 1.60, published 0.8\nhint: benchdsl explain T.unit_cost.mean"
    assert "computed 2.00, published 1.0" in second.message
    assert mean.severity == lsp.DiagnosticSeverity.Warning
    ws.change(ws.costs, COSTS)
    ws.notify(ws.client.text_document_did_save, lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(ws.costs)))
    ws.wait_diagnostics(ws.costs, lambda ds: ds == [])


def test_the_server_asks_to_be_told_of_rules_and_panels_changed_on_disk(ws):
    [reg] = [r for r in ws.registrations if r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    watchers = reg.register_options["watchers"]  # options arrive as plain JSON
    assert {w["globPattern"] for w in watchers} == {"**/*.bench", "**/*.csv", "**/*.json"}


def test_a_changed_panel_is_read_again(ws):
    panel = ws.rules / "panel.csv"
    panel.write_text(PANEL.replace("users,A,2024,4000", "users,A,2024,5000"), encoding="utf-8")
    ws.notify(ws.client.workspace_did_change_watched_files, lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri=from_fs_path(str(panel)), type=lsp.FileChangeType.Changed)]))
    line, char = line_of(COSTS, "* users")
    deadline = time.monotonic() + 20
    while "| A 2024 | 5 000 |" not in (text := wait_figures(ws, ws.costs, line, char + 3)):
        assert time.monotonic() < deadline, text
        time.sleep(0.05)
    panel.write_text(PANEL, encoding="utf-8")
    ws.notify(ws.client.workspace_did_change_watched_files, lsp.DidChangeWatchedFilesParams(
        [lsp.FileEvent(uri=from_fs_path(str(panel)), type=lsp.FileChangeType.Changed)]))
    while "| A 2024 | 4 000 |" not in wait_figures(ws, ws.costs, line, char + 3):
        assert time.monotonic() < deadline
        time.sleep(0.05)


# --- hover, definition, references ---------------------------------------------------------------


def test_hover_on_an_indicator_shows_its_unit_and_values(ws):
    line, char = line_of(COSTS, "gap(cost)")
    text = wait_figures(ws, ws.costs, line, char + len("gap("))
    assert "**indicator cost** — Cost per user" in text
    assert "unit `NOK/user`" in text and "lower is better" in text and "source `cost`" in text
    assert "| A 2024 | 1 200 |" in text  # the own value, read from the panel
    assert "| Mean of the others (`mean_others`) | 1 000 |" in text  # (950 + 1250 + 800) / 3
    assert "| 2nd best (`second`) | 950 (B) |" in text  # D 800, then B 950


def test_hover_on_a_measure_shows_its_savings_and_audit(ws):
    line, char = line_of(COSTS, "measure unit_cost")
    text = wait_figures(ws, ws.costs, line, char + len("measure u"))
    assert "| Mean of the others (`mean_others`) | 0.8 |" in text  # (1200 - 1000) * 4000 NOK
    assert "| 2nd best (`second`) | 1.0 |" in text  # (1200 - 950) * 4000 NOK
    assert "`T.unit_cost.mean`: reproduced" in text and "`T.unit_cost.second`: reproduced" in text


def test_hover_on_a_published_value_shows_the_computed_value_and_tolerance(ws):
    line, char = line_of(COSTS, "0.8, 1.0")
    text = wait_figures(ws, ws.costs, line, char + 1)
    assert "computed **0.80**" in text  # one more decimal than the table shows
    assert "tolerance ±0.05" in text and "accepted 0.75 … 0.85" in text  # half a unit of 0.8's last decimal


def test_hover_on_a_basis_lists_its_members(ws):
    line, char = line_of(COSTS, "= mean_others")
    text = wait_figures(ws, ws.costs, line, char + 3)
    assert "members for A (3): B, C, D" in text


def test_definition_jumps_to_the_declaration_in_another_file(ws):
    line, char = line_of(COSTS, "= mean_others")
    doc, pos = ws.position(ws.costs, line, char + 3)
    got = ws.call(ws.client.text_document_definition_async(lsp.DefinitionParams(text_document=doc, position=pos)))
    assert got.uri == ws.network
    decl_line, decl_char = line_of(NETWORK, "mean_others")
    assert (got.range.start.line, got.range.start.character) == (decl_line, decl_char)
    assert got.range.end.character == decl_char + len("mean_others")


def test_references_find_every_use(ws):
    line, char = line_of(COSTS, "indicator users")
    doc, pos = ws.position(ws.costs, line, char + len("indicator u"))
    got = ws.call(ws.client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc, position=pos, context=lsp.ReferenceContext(include_declaration=True))))
    found = sorted((r.range.start.line, r.range.start.character) for r in got)
    use_line, use_char = line_of(COSTS, "* users")
    assert found == [(line, len("indicator ")), (use_line, use_char + len("* "))]


# --- completion, outline, formatting --------------------------------------------------------------


def test_completion_offers_declared_names_and_keywords(ws):
    line, char = line_of(COSTS, "saving = gap(cost)")
    doc, pos = ws.position(ws.costs, line, char + len("saving = gap(c"))
    got = ws.call(ws.client.text_document_completion_async(lsp.CompletionParams(text_document=doc, position=pos)))
    labels = {i.label: i for i in got.items}
    assert {"cost", "users", "gap", "basis"} <= set(labels)
    assert labels["cost"].detail == "Cost per user"
    doc, pos = ws.position(ws.costs, line, 4)  # the first word of a line in a measure: its fields
    got = ws.call(ws.client.text_document_completion_async(lsp.CompletionParams(text_document=doc, position=pos)))
    assert {"let", "saving", "claim", "round"} <= {i.label for i in got.items}
    assert "indicator" not in {i.label for i in got.items}


def test_document_symbols_outline_the_file(ws):
    doc, _ = ws.position(ws.costs, 0, 0)
    got = ws.call(ws.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc)))
    assert [(s.name, s.kind) for s in got] == [
        ("cost", lsp.SymbolKind.Variable), ("users", lsp.SymbolKind.Variable),
        ("unit_cost", lsp.SymbolKind.Function), ("T", lsp.SymbolKind.Struct)]
    table = got[3]
    assert [c.name for c in table.children] == ["mean", "second", "unit_cost"]
    assert (table.range.start.line, table.range.end.line) == (line_of(COSTS, "table T")[0], len(COSTS.split("\n")) - 2)


def test_formatting_returns_what_fmt_writes_and_refuses_what_does_not_parse(ws):
    messy = COSTS.replace("    saving = gap(cost) * users", "  saving=gap( cost )*users")
    ws.change(ws.costs, messy)
    doc, _ = ws.position(ws.costs, 0, 0)
    params = lsp.DocumentFormattingParams(text_document=doc, options=lsp.FormattingOptions(tab_size=4, insert_spaces=True))
    [edit] = ws.call(ws.client.text_document_formatting_async(params))
    assert edit.new_text == format_text(messy)
    assert "\n    saving = gap(cost) * users\n" in edit.new_text
    assert (edit.range.start.line, edit.range.start.character) == (0, 0)
    assert edit.range.end.line == len(messy.split("\n")) - 1
    ws.change(ws.costs, COSTS.replace("round 1", "round 1 2"))
    assert ws.call(ws.client.text_document_formatting_async(params)) is None
    ws.change(ws.costs, COSTS)
    assert list(ws.call(ws.client.text_document_formatting_async(params))) == []  # already canonical


def test_a_buffer_that_is_no_rules_is_a_diagnostic_and_the_server_keeps_serving(ws):
    ws.change(ws.costs, "indicator \x00\x01 {{{\n")
    [d] = ws.wait_diagnostics(ws.costs, lambda ds: ds != [])
    assert d.message == "this looks like a binary file, not rules" and d.range.start.line == 0
    ws.change(ws.costs, COSTS)
    ws.wait_diagnostics(ws.costs, lambda ds: ds == [])
    assert "**indicator cost**" in wait_figures(ws, ws.costs, *line_of(COSTS, "cost \"Cost"))


def test_the_command_never_prints_a_traceback(tmp_path):
    env = {**os.environ, "BENCHDSL_CACHE_DIR": str(tmp_path)}
    garbage = b"Content-Length: 5\r\n\r\nhello"
    done = subprocess.run([BENCHDSL, "lsp"], input=garbage, capture_output=True, timeout=60, env=env)
    assert done.returncode == 0  # the client hung up: the server ends
    assert b"Traceback" not in done.stderr and b"benchdsl lsp: error: Unable to handle message" in done.stderr
    assert b"Error in server: Expecting value" in done.stdout  # told to the client too, as an LSP message


# --- in process: the index and the program folder ----------------------------------------------------


def test_every_program_folder_is_its_own_program():
    folders = [str(ROOT)]
    assert program_root(str(ROOT / "rules" / "asss.bench"), folders) == str(ROOT / "rules")
    assert program_root(str(ROOT / "examples" / "home_care" / "home_care.bench"), folders) == str(
        ROOT / "examples" / "home_care")
    assert program_root(str(ROOT / "rules" / "asss.bench"), [str(ROOT / "rules")]) == str(ROOT / "rules")


def test_names_without_spans_in_the_ast_are_found_on_their_line():
    text = NETWORK + COSTS + 'claim c "x" under mean_others, second: T.unit_cost.mean = 0.8\nknown T.unit_cost.second: "why"\n'
    index = symbols.build([(text, parse(text, "x.bench")[0])])
    uses = {(u.key, u.span.line, u.span.column) for u in index.uses["x.bench"]}
    claim = text.split("\n").index('claim c "x" under mean_others, second: T.unit_cost.mean = 0.8') + 1
    known = claim + 1
    # 1-based columns, counted by hand on the two lines above
    assert (("basis", "mean_others"), claim, 19) in uses and (("basis", "second"), claim, 32) in uses
    assert (("table", "T"), claim, 40) in uses and (("row", "T.unit_cost"), claim, 42) in uses
    assert (("column", "T.mean"), claim, 52) in uses
    assert (("row", "T.unit_cost"), known, 9) in uses and (("column", "T.second"), known, 19) in uses
    assert ("group", "G") in {u.key for u in index.uses["x.bench"] if not u.declaration}  # mean(G - own)
    # a word inside a label or a comment is no use
    assert not any(u.key == ("table", "T") and u.span.line == text.split("\n").index('table T "Savings" {') + 1
                   and u.span.column > 9 for u in index.uses["x.bench"])


def test_a_let_is_found_in_its_own_measure_only_and_saving_in_a_claim_is_the_measure():
    text = NETWORK + COSTS.replace("    saving = gap(cost) * users\n", """\
    let per_user = gap(cost)
    saving = per_user * users
    claim gap "x" under mean_others: per_user = 200 NOK/user
    claim total "y" under second: saving = 1.0
""") + """
measure other {
    let per_user = basis(cost)
    saving = per_user * users
    unit MNOK
}
"""
    index = symbols.build([(text, parse(text, "x.bench")[0])])
    lines = text.split("\n")
    mine = [(u.span.line, u.span.column) for u in index.uses["x.bench"] if u.key == ("let", "unit_cost.per_user")]
    theirs = [(u.span.line, u.span.column) for u in index.uses["x.bench"] if u.key == ("let", "other.per_user")]
    first = lines.index("    let per_user = gap(cost)") + 1
    assert mine == [(first, 9), (first + 1, 14), (first + 2, 38)]  # declared, in the saving, in the claim
    assert len(theirs) == 2 and all(line > first + 10 for line, _ in theirs)
    saving = [u for u in index.uses["x.bench"] if u.span.line == first + 3 and u.span.column == 35]
    assert [u.key for u in saving] == [("measure", "unit_cost")]
    assert index.symbols[("let", "unit_cost.per_user")].span.line == first


def test_a_change_to_one_file_rechecks_rules_quickly(tmp_path):
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    project = Project(str(tmp_path / "rules"))
    project.check()
    path = str(tmp_path / "rules" / "grunnskole.bench")
    project.buffers[path] = Path(path).read_text(encoding="utf-8") + "\n# edited\n"
    checked = project.check()
    assert checked.diags == [] and checked.program is not None
    assert checked.seconds < 1.0, checked.seconds


def test_the_index_reads_every_kind_of_declaration_in_the_shipped_rules():
    """The outline, definitions and references are built over every declaration the language has
    (units, readings, tests, year tables, needs-adjusted bases ...): the shipped rules use them all,
    and every position of every line can be asked about."""
    files = []
    for p in sorted((ROOT / "rules").glob("*.bench")) + sorted((ROOT / "examples").rglob("*.bench")):
        text = p.read_text(encoding="utf-8")
        f, diags = parse(text, str(p))
        assert not diags, diags[:1]
        files.append((text, f))
    index = symbols.build(files)
    for text, f in files:
        for i, line in enumerate(text.split("\n"), 1):
            for c in range(1, len(line) + 1):
                index.at(f.path, i, c)
                index.published_at(f.path, i, c)
    # a declaration from each file is in the index: the measure of Table 4's first row, a section 1 table
    assert ("measure", "group_size") in index.symbols and ("table", "T1") in index.symbols
