"""The language server: LSP messages in, the passes run on the editor's texts, LSP answers out.

Every .bench file belongs to one program (`project.program_root`); a change
re-checks that program at once and publishes its diagnostics per file; a save
(or a changed panel) reads the data and audits, `RUN_DELAY` seconds after the
last save, so that a burst of saves runs once.  Handlers run on pygls's event
loop, one at a time, so the projects need no locks.
"""

from __future__ import annotations

import asyncio
import logging
import os

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from benchdsl import __version__
from benchdsl.ast import Span
from benchdsl.diagnostics import ERROR, NOTE, WARNING, Diagnostic, has_errors, split_lines
from benchdsl.lsp import complete, hover
from benchdsl.lsp.project import Project, program_root

log = logging.getLogger("benchdsl.lsp")
CHECK_DELAY = 0.05  # seconds from the last keystroke to checking: a burst of changes is checked once
RUN_DELAY = 0.3  # seconds from the last save to reading the panels

# A note (a known report inconsistency, say) is a hint: marked, not underlined.
_SEVERITY = {ERROR: lsp.DiagnosticSeverity.Error, WARNING: lsp.DiagnosticSeverity.Warning,
             NOTE: lsp.DiagnosticSeverity.Hint}
_SYMBOL = {"municipality": lsp.SymbolKind.Object, "group": lsp.SymbolKind.Array, "basis": lsp.SymbolKind.Constant,
           "indicator": lsp.SymbolKind.Variable, "measure": lsp.SymbolKind.Function, "table": lsp.SymbolKind.Struct,
           "let": lsp.SymbolKind.Variable, "claim": lsp.SymbolKind.Property, "column": lsp.SymbolKind.Field,
           "row": lsp.SymbolKind.Field, "own": lsp.SymbolKind.Key, "panel": lsp.SymbolKind.File,
           "known": lsp.SymbolKind.Event}
_COMPLETION = {"keyword": lsp.CompletionItemKind.Keyword, "function": lsp.CompletionItemKind.Function,
               "indicator": lsp.CompletionItemKind.Variable, "let": lsp.CompletionItemKind.Variable,
               "measure": lsp.CompletionItemKind.Method, "basis": lsp.CompletionItemKind.Constant,
               "municipality": lsp.CompletionItemKind.Value, "group": lsp.CompletionItemKind.Enum,
               "table": lsp.CompletionItemKind.Struct, "claim": lsp.CompletionItemKind.Property,
               "row": lsp.CompletionItemKind.Field, "column": lsp.CompletionItemKind.Field}


class BenchServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("benchdsl", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.projects: dict[str, Project] = {}
        self._shown: dict[str, set[str]] = {}  # project root -> paths with diagnostics published
        self._last: dict[str, str] = {}  # project root -> the file last edited, for diagnostics without a place
        self._timers: dict[str, asyncio.TimerHandle] = {}  # project root -> its next run
        self._checks: dict[str, asyncio.TimerHandle] = {}  # project root -> its next check
        self._sent: dict[str, list[lsp.Diagnostic]] = {}  # path -> the diagnostics the client has

    # --- projects -------------------------------------------------------------------------------
    def folders(self) -> list[str]:
        roots = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
        if self.workspace.root_path:
            roots.append(self.workspace.root_path)
        return [os.path.abspath(r) for r in roots if r]

    def project(self, path: str) -> Project:
        for p in self.projects.values():
            if p.owns(path) and (path in p.buffers or path in (p.checked.texts if p.checked else {})):
                return p
        root = program_root(path, self.folders())
        if root not in self.projects:
            self.projects[root] = Project(root)
        return self.projects[root]

    def schedule_check(self, project: Project, path: str) -> None:
        self._last[project.root] = path
        timer = self._checks.pop(project.root, None)
        if timer is not None:
            timer.cancel()
        self._checks[project.root] = asyncio.get_running_loop().call_later(CHECK_DELAY, self.recheck, project)

    def flush(self, project: Project) -> None:
        """Check now if a check is pending: every answer is about the text as it is."""
        if project.root in self._checks:
            self.recheck(project)

    def recheck(self, project: Project, path: str | None = None) -> None:
        timer = self._checks.pop(project.root, None)
        if timer is not None:
            timer.cancel()
        if path is not None:
            self._last[project.root] = path
        checked = project.check()
        log.info("checked %d files of %s in %.1f ms", len(checked.texts), project.root, checked.seconds * 1000)
        self.publish(project)
        last = project.last_run
        if checked.program is not None and last is not None and last.program is None:
            self.schedule_run(project)  # the rules were broken at the last run and are whole again

    def schedule_run(self, project: Project, delay: float = RUN_DELAY) -> None:
        timer = self._timers.pop(project.root, None)
        if timer is not None:
            timer.cancel()
        self._timers[project.root] = asyncio.get_running_loop().call_later(delay, self.run_now, project)

    def run_now(self, project: Project) -> None:
        self._timers.pop(project.root, None)
        try:
            self.flush(project)
            run = project.run()
        except Exception as exc:  # a bug: say so, and keep serving
            log.exception("running %s failed", project.root)
            self.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error,
                                                           message=f"benchdsl: running the rules failed: {exc}"))
            return
        log.info("ran %s in %.1f ms", project.root, run.seconds * 1000)
        self.publish(project)

    # --- diagnostics --------------------------------------------------------------------------------
    def publish(self, project: Project) -> None:
        checked, run = project.checked, project.last_run
        diags = list(checked.diags)
        if run is not None and not has_errors(checked.diags):
            diags.extend(run.diags)  # data diagnostics stay until the next run, as a linter's do
        by_path: dict[str, list[Diagnostic]] = {p: [] for p in checked.texts}
        fallback = self._last.get(project.root) or next(iter(checked.texts), None)
        for d in diags:
            path = d.span.path if d.span is not None else fallback
            if path is not None:
                by_path.setdefault(path, []).append(d)
        shown = self._shown.get(project.root, set())
        for path in shown - set(by_path):
            by_path[path] = []
        for path, ds in by_path.items():
            lines = self.lines(project, path)
            converted = [self.diagnostic(d, lines) for d in dict.fromkeys(ds)]
            if self._sent.get(path) != converted:
                self._sent[path] = converted
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                    uri=from_fs_path(path), diagnostics=converted))
        self._shown[project.root] = {p for p, ds in by_path.items() if ds}

    def diagnostic(self, d: Diagnostic, lines: list[str]) -> lsp.Diagnostic:
        span = d.span or Span("", 1, 1)
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        return lsp.Diagnostic(range=self.range(span, lines, first_line=True), message=message,
                              severity=_SEVERITY.get(d.severity, lsp.DiagnosticSeverity.Information),
                              source="benchdsl")

    # --- positions -------------------------------------------------------------------------------------
    def lines(self, project: Project, path: str) -> list[str]:
        text = project.text(path)
        return split_lines(text) if text is not None else []

    def range(self, span: Span, lines: list[str], first_line: bool = False) -> lsp.Range:
        """A span (1-based, in characters) as an LSP range (0-based, in the client's units).

        With `first_line`, a span over several lines is shown on its first line only, as the
        command line's caret does: a whole measure underlined would hide the text.
        """
        line = min(max(span.line - 1, 0), max(len(lines) - 1, 0))
        text = lines[line] if lines else ""
        start = min(max(span.column - 1, 0), len(text))
        if span.end_line == span.line and span.end_column > span.column:
            end_line, end = line, span.end_column - 1
        elif span.end_line > span.line and not first_line:
            end_line = min(span.end_line - 1, max(len(lines) - 1, 0))
            end = span.end_column - 1
        else:
            end_line, end = line, len(text.rstrip()) if len(text.rstrip()) > start else start + 1
        codec = self.workspace.position_codec
        return lsp.Range(start=codec.position_to_client_units(lines, lsp.Position(line, start)),
                         end=_clamp(codec, lines, end_line, end))

    def where(self, uri: str, position: lsp.Position) -> tuple[str, Project, int, int]:
        """The file, its project and the 1-based line and column (in characters) of a client position."""
        path = os.path.abspath(to_fs_path(uri))
        doc = self.workspace.get_text_document(uri)
        pos = doc.position_from_client_units(position)
        project = self.project(path)
        if project.checked is None:
            project.buffers.setdefault(path, doc.source)
            project.check()
        self.flush(project)
        return path, project, pos.line + 1, pos.character + 1

    def location(self, project: Project, span: Span) -> lsp.Location:
        return lsp.Location(uri=from_fs_path(span.path), range=self.range(span, self.lines(project, span.path)))


def _clamp(codec, lines: list[str], line: int, column: int) -> lsp.Position:
    if line < len(lines):
        column = min(column, len(lines[line]))
    return codec.position_to_client_units(lines, lsp.Position(line, column))


def make_server() -> BenchServer:
    server = BenchServer()

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: BenchServer, params: lsp.InitializedParams) -> None:
        caps = ls.client_capabilities.workspace
        watched = caps and caps.did_change_watched_files
        if watched and watched.dynamic_registration:
            watchers = [lsp.FileSystemWatcher(glob_pattern=g) for g in ("**/*.bench", "**/*.csv", "**/*.json")]
            ls.client_register_capability(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="benchdsl-files", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: BenchServer, params: lsp.DidOpenTextDocumentParams) -> None:
        path = os.path.abspath(to_fs_path(params.text_document.uri))
        project = ls.project(path)
        project.buffers[path] = params.text_document.text
        ls.recheck(project, path)
        if project.last_run is None:
            ls.schedule_run(project, 0.0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: BenchServer, params: lsp.DidChangeTextDocumentParams) -> None:
        path = os.path.abspath(to_fs_path(params.text_document.uri))
        project = ls.project(path)
        project.buffers[path] = ls.workspace.get_text_document(params.text_document.uri).source
        ls.schedule_check(project, path)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: BenchServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule_run(ls.project(os.path.abspath(to_fs_path(params.text_document.uri))))

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: BenchServer, params: lsp.DidCloseTextDocumentParams) -> None:
        path = os.path.abspath(to_fs_path(params.text_document.uri))
        project = ls.project(path)
        project.buffers.pop(path, None)  # the file on disk counts again, unsaved edits or not
        ls.recheck(project)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: BenchServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            path = os.path.abspath(to_fs_path(change.uri))
            for project in list(ls.projects.values()):
                if path.endswith(".bench") and project.owns(path) and path not in project.buffers:
                    ls.recheck(project)
                if project.last_run is not None:
                    ls.schedule_run(project)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: BenchServer, params: lsp.HoverParams) -> lsp.Hover | None:
        path, project, line, col = ls.where(params.text_document.uri, params.position)
        checked = project.checked
        site = checked.index.published_at(path, line, col)
        if site is not None:
            text, span = hover.published(site, checked, project.last_run), site.span
        else:
            use = checked.index.at(path, line, col)
            if use is None:
                return None
            text, span = hover.hover(checked.index.symbols[use.key], checked, project.last_run), use.span
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                         range=ls.range(span, ls.lines(project, path)))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: BenchServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        path, project, line, col = ls.where(params.text_document.uri, params.position)
        use = project.checked.index.at(path, line, col)
        if use is None:
            return None
        return ls.location(project, project.checked.index.symbols[use.key].span)

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: BenchServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        path, project, line, col = ls.where(params.text_document.uri, params.position)
        use = project.checked.index.at(path, line, col)
        if use is None:
            return None
        spans = project.checked.index.references(use.key, params.context.include_declaration)
        return [ls.location(project, s) for s in spans]

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))
    def completion(ls: BenchServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        path, project, line, col = ls.where(params.text_document.uri, params.position)
        lines = ls.workspace.get_text_document(params.text_document.uri).source.split("\n")
        items = complete.complete(project.checked.index, lines, line - 1, col - 1)
        seen: dict[str, complete.Item] = {}
        for item in items:
            seen.setdefault(item.label, item)
        return lsp.CompletionList(is_incomplete=False, items=[
            lsp.CompletionItem(label=i.label, kind=_COMPLETION.get(i.kind), detail=i.detail or i.kind)
            for i in seen.values()])

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: BenchServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        path, project, _, _ = ls.where(params.text_document.uri, lsp.Position(0, 0))
        lines = ls.lines(project, path)

        def convert(o) -> lsp.DocumentSymbol:
            return lsp.DocumentSymbol(name=o.name, detail=o.detail or None, kind=_SYMBOL.get(o.kind, lsp.SymbolKind.Key),
                                      range=ls.range(o.extent, lines), selection_range=ls.range(o.span, lines),
                                      children=[convert(c) for c in o.children] or None)

        return [convert(o) for o in project.checked.index.outlines.get(path, [])]

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: BenchServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        from benchdsl.fmt import format_text
        from benchdsl.parse import parse

        doc = ls.workspace.get_text_document(params.text_document.uri)
        text = doc.source
        _, errors = parse(text, doc.path or "")
        if errors:  # never lay out what does not parse, as `benchdsl fmt` does not
            return None
        try:
            formatted = format_text(text)
        except ValueError:  # fmt.FormatError: what fmt cannot lay out whole, it leaves as it is
            return None
        if formatted == text:
            return []
        lines = text.split("\n")
        end = lsp.Position(len(lines) - 1, ls.workspace.position_codec.client_num_units(lines[-1]))
        return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(0, 0), end=end), new_text=formatted)]

    return server
