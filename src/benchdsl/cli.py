"""The command line: arguments -> pipeline -> report -> exit code.

Exit codes: 0 all good, 1 audit failures, 2 input or usage errors.

`benchdsl run` may be replayed (`replay.py`): before anything else is imported,
an earlier run with the same key whose inputs are unchanged is printed again.
So this module's top imports nothing heavy, not even argparse.
"""

from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_AUDIT, EXIT_INPUT = 0, 1, 2


def _parser():
    import argparse

    from benchdsl import report

    p = argparse.ArgumentParser(prog="benchdsl", description="Benchmarking rules as code.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="parse and check rule files; read no data unless a data option is given")
    c.add_argument("paths", nargs="+", metavar="PATH", help=".bench files or directories")
    _data_options(c, "also read the data and check it against the rules: ")

    r = sub.add_parser("run", help="evaluate the rules and audit the published figures")
    r.add_argument("paths", nargs="+", metavar="PATH")
    r.add_argument("--format", choices=tuple(report.RUN), default="text")
    _language_options(r)
    _data_options(r)
    r.add_argument("--for", dest="for_", metavar="all", choices=("all",),
                   help="every municipality and year of the panel at once: one long table (csv or json)")
    r.add_argument("-o", "--output", metavar="FILE",
                   help="write the report to FILE (`-`: stdout; a regular file is replaced atomically, "
                        "a device written through; never an input of the run)")
    r.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report to FILE")
    r.add_argument("--all-figures", action=argparse.BooleanOptionalAction, default=None,
                   help="text: also list every basis value, let and indicator value under the tables (default: "
                        "when no published figure is audited; JSON, CSV, Markdown and HTML always list them)")
    r.add_argument("-v", "--verbose", action="store_true", help="print the time each pass took")
    r.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show progress on stderr (default: when a phase takes over half a second on a terminal)")

    f = sub.add_parser("fmt", help="lay out rule files canonically (comments kept; symlinks, hard links, owner and mode kept)")
    f.add_argument("paths", nargs="+", metavar="PATH")
    f.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would be reformatted")

    s = sub.add_parser("sensitivity", help="every measure under alternative bases: how much the choice decides")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--without", metavar="MUNICIPALITY", action="append", default=[],
                   help="also the mean without this municipality (repeatable), e.g. --without Oslo")
    s.add_argument("--weight", metavar="INDICATOR", help="also the mean weighted by this indicator, e.g. inhabitants")
    s.add_argument("--format", choices=tuple(report.SENSITIVITY), default="text")
    _language_options(s)
    _data_options(s)

    d = sub.add_parser("diff", help="two runs side by side: which figures changed, by how much, and why")
    d.add_argument("old", metavar="OLD", help="the old run's rules: a folder or a .bench file")
    d.add_argument("new", metavar="NEW", nargs="?",
                   help="the new run's rules (default: OLD, for the same rules on two data files)")
    d.add_argument("--old-panel", metavar="FILE", action="append", help="the old run reads FILE (repeatable)")
    d.add_argument("--new-panel", metavar="FILE", action="append", help="the new run reads FILE (repeatable)")
    d.add_argument("--panel", metavar="FILE", action="append",
                   help="both runs read FILE, unless --old-panel or --new-panel says otherwise for one (repeatable)")
    d.add_argument("--mapping", metavar="FILE", help="which series of an SSB panel feed which variable (both runs)")
    d.add_argument("--old-mapping", metavar="FILE", help="the mapping for the old run's panels")
    d.add_argument("--new-mapping", metavar="FILE", help="the mapping for the new run's panels")
    d.add_argument("--own", metavar="MUNICIPALITY", help="compare another municipality's figures than the rules' `own`")
    d.add_argument("--all", action="store_true", help="also list the figures that did not change")
    d.add_argument("--format", choices=tuple(report.DIFF), default="text")
    _language_options(d)
    d.add_argument("-o", "--output", metavar="FILE", help="write the comparison to FILE (`-`: stdout)")

    e = sub.add_parser("explain", help="show how one figure was derived")
    e.add_argument("name", help="an audited figure (T4.sfo_unit_cost.best, sfo_fee.per_month) or a measure")
    e.add_argument("paths", nargs="*", metavar="PATH", default=None,
                   help="the rules (default: the folder `rules` here)")
    _language_options(e)
    _data_options(e)

    t = sub.add_parser("test", help="run the rules' `test` blocks: each on its own small panel, against the figures it expects")
    t.add_argument("paths", nargs="+", metavar="PATH", help="rule folders or files (a folder of analyses: each one)")

    i = sub.add_parser("init", help="start an analysis of your own: a folder with rules, data and a README that run at once")
    i.add_argument("folder", metavar="DIR", help="a new folder (or an empty one) to write the starter files into")

    ls = sub.add_parser("lsp", help="a language server for editors, on stdin/stdout (see docs/editors.md)")
    ls.add_argument("--stdio", action="store_true", help="accepted for editors that pass it; stdio is the only transport")
    ls.add_argument("--log", metavar="FILE", help="write the server's log (timings, errors) to FILE")
    return p


def _language_options(sub: argparse.ArgumentParser) -> None:
    """The reports' words (--lang) and number format (--norwegian, which --lang nb implies)."""
    import argparse

    from benchdsl.report.lang import LANGS

    sub.add_argument("--lang", choices=LANGS, default="en",
                     help="the language of the report's labels and headers: en (English) or nb (bokmål); "
                          "titles and labels from the rules are printed as written")
    sub.add_argument("--norwegian", action=argparse.BooleanOptionalAction, default=None,
                     help="Norwegian number format: 29,7 and 1 234 (default: with --lang nb)")


def _data_options(sub: argparse.ArgumentParser, prefix: str = "") -> None:
    """Which municipality, year and data: the same options, with the same meaning, on every command that reads data."""
    sub.add_argument("--own", metavar="MUNICIPALITY",
                     help=prefix + "compute for another municipality than the rules' `own`")
    sub.add_argument("--year", metavar="YEAR", type=int, help=prefix + "compute for another year than the rules' `own`")
    sub.add_argument("--panel", metavar="FILE", action="append",
                     help=prefix + "read indicator values from FILE instead of the rules' panels (repeatable)")
    sub.add_argument("--mapping", metavar="FILE", help="which series of an SSB file (--panel) feed which variable")


def _data(args) -> dict | None:
    """The data options as run_paths takes them; None (after an error line) if they do not fit together."""
    if args.mapping and not args.panel:
        print("error: --mapping without --panel\n  hint: a mapping says which series of the --panel files "
              "feed which variable; give the SSB file with --panel", file=sys.stderr)
        return None
    if args.year is not None and not 1000 <= args.year <= 9999:
        print(f"error: --year {args.year} is not a year\n  hint: a calendar year such as 2007", file=sys.stderr)
        return None
    return {"own": args.own, "year": args.year,
            "panels": [(p, args.mapping) for p in args.panel] if args.panel else None}


def main(argv: list[str] | None = None) -> int:
    """The command line.  Only a real command line (argv None: sys.argv) is replayed or recorded;
    a call with arguments (tests, scripts) always runs."""
    recorder = None
    try:
        if argv is None and (cli_args := sys.argv[1:]):
            from benchdsl import replay

            if replay.eligible(cli_args):
                code = replay.replay(cli_args)
                if code is not None:
                    return code
                recorder = replay.Recorder.start(cli_args)
        try:
            return _main(argv, recorder)
        finally:
            if recorder is not None:
                recorder.stop()  # the real streams back before anything below writes (nothing kept if not yet)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): the output is cut short, so never report success.
        # 141 = 128 + SIGPIPE, what a Unix tool killed by the broken pipe exits with.
        try:
            sys.stdout = open(os.devnull, "w")  # nothing more to write at exit
        except OSError:
            pass
        return 141


def _main(argv: list[str] | None, recorder) -> int:
    args = _parser().parse_args(argv)
    if argv is None and args.command in ("run", "check", "explain", "sensitivity", "diff"):
        # the process ends with this command (not a call from a test or a script, nor the server)
        from benchdsl import pipeline

        pipeline.ONE_SHOT = True
    if getattr(args, "lang", None) is not None and getattr(args, "norwegian", False) is None:
        args.norwegian = args.lang == "nb"  # --lang nb: Norwegian numbers too, unless --no-norwegian
    if args.version:
        from benchdsl import __version__

        print(f"benchdsl {__version__}")
        return EXIT_OK
    if args.command is None:
        _parser().print_help(sys.stderr)
        return EXIT_INPUT
    if args.command != "run":
        if recorder is not None:
            recorder.stop()
        return {"check": _check, "explain": _explain, "fmt": _fmt, "sensitivity": _sensitivity, "lsp": _lsp,
                "diff": _diff, "init": _init, "test": _test}[args.command](args)
    args.recorder = recorder
    args.timings = {}
    code = _run(args)
    kept = None
    if recorder is not None:
        kept = recorder.finish(code, _not_replayable(args), args.verbose)
    if args.verbose:
        for name, secs in args.timings.items():
            print(f"{name}: {secs * 1000:.1f} ms", file=sys.stderr)
        if kept:
            print(kept, file=sys.stderr)
    return code


def _not_replayable(args) -> str | None:
    """Why a `run` with these arguments is never replayed (see replay.py), or None."""
    if args.output not in (None, "-"):
        return "it writes a file (-o)"
    if args.html:
        return "it writes an HTML file (--html)"
    if args.progress:
        return "--progress"
    return None


def _test(args) -> int:
    from benchdsl import testing

    return testing.main(args.paths)


def _report_diags(result) -> None:
    from benchdsl.diagnostics import format_all

    if result.diags:
        print(format_all(result.diags, result.sources), file=sys.stderr)


def _check(args) -> int:
    from benchdsl.pipeline import check_paths, run_paths

    if (data := _data(args)) is None:
        return EXIT_INPUT
    reads = any(v is not None for v in data.values())
    result = run_paths(args.paths, evaluate=False, **data) if reads else check_paths(args.paths)
    if not reads and result.program is not None:
        from benchdsl.pipeline import missing_panels

        result.diags.extend(missing_panels(result.program))
    _report_diags(result)
    if not result.ok:
        return EXIT_INPUT
    p = result.program
    print(f"ok: {len(p.measures)} measures, {len(p.tables)} tables, {len(p.claims)} claims, "
          f"{len(p.indicators)} indicators in {len(p.files)} files"
          + (f"; the data for {p.own} {p.year} read and bound to them" if reads else "")
          + (f"; the published values are {result.set_aside[0]} {result.set_aside[1]}'s: `run` will not audit "
             f"them for {p.own} {p.year}" if result.set_aside else ""))
    return EXIT_OK


def _run(args) -> int:
    from benchdsl.pipeline import run_paths

    from benchdsl.progress import Progress

    if args.progress is False or (args.progress is None and not sys.stderr.isatty()):
        progress = Progress.off()
    else:
        stream = sys.stderr if args.recorder is None else args.recorder.progress_stream(sys.stderr)
        progress = Progress(stream, force=bool(args.progress))
    if not _targets_ok(args, ()):  # a missing folder is known before a long run
        return EXIT_INPUT
    if (data := _data(args)) is None or not _for_all_ok(args):
        return EXIT_INPUT
    result = run_paths(args.paths, progress=progress, **data)
    _report_diags(result)
    if not result.ok or result.audit is None:
        return EXIT_INPUT
    program, audit = result.program, result.audit
    from benchdsl.files import WriteError, write_output

    inputs = _inputs(args.paths, result)
    if not _targets_ok(args, inputs):  # refused before anything is written
        return EXIT_INPUT
    try:
        if args.for_ == "all":
            text, not_computed, total = _batch(result, args)
            write_output(args.output or "-", text, inputs)
            if not_computed:
                print(f"{not_computed} of {total} figures not computed: see the status and reason columns",
                      file=sys.stderr)
            return EXIT_AUDIT if not_computed else EXIT_OK
        write_output(args.output or "-", _report(program, audit, args), inputs)
        if args.html:
            from benchdsl.report import html

            write_output(args.html, html.render(program, audit, args.norwegian, lang=args.lang), inputs)
    except WriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    args.timings = result.timings  # printed after the run is recorded: they are not part of its output
    return EXIT_AUDIT if audit.failed else EXIT_OK


def _for_all_ok(args) -> bool:
    """`--for all` writes one long table, as CSV (the default) or JSON: say so rather than ignore an option."""
    if args.for_ != "all":
        return True
    from benchdsl import report

    if args.format not in report.BATCH and args.format != "text":
        print(f"error: --for all writes a long table as {' or '.join(report.BATCH)}, not {args.format}\n"
              f"  hint: --for all --format csv (the default) or --format json", file=sys.stderr)
        return False
    if args.html:
        print("error: --for all writes no HTML report\n  hint: leave out --html, or run without --for all "
              "for the report of one municipality and year", file=sys.stderr)
        return False
    return True


def _report(program, audit, args) -> str:
    from benchdsl import report

    extra = {"all_figures": args.all_figures} if args.format == "text" else {}  # the other formats list them all
    return report.RUN[args.format].load()(program, audit, norwegian=args.norwegian, lang=args.lang, **extra)


def _targets_ok(args, inputs) -> bool:
    from benchdsl.files import WriteError, check_output

    try:
        for target in (args.output, args.html):
            if target:
                check_output(target, inputs)
    except WriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def _inputs(paths: list[str], result) -> list[str]:
    """Every file the run read: its rule files (also when the checked rules came from the cache),
    panels and mappings.  Reports are never written over them."""
    from benchdsl.pipeline import rule_files

    return [*rule_files(paths)[0], *result.sources.paths()]


def _explain(args) -> int:
    from benchdsl.pipeline import run_paths
    from benchdsl.report.explain import explain, names

    if (data := _data(args)) is None:
        return EXIT_INPUT
    if not args.paths and not os.path.exists("rules"):
        import shlex

        print(f"error: no rules named, and no folder `rules` here\n  hint: name the rules after the figure: "
              f"benchdsl explain {shlex.quote(args.name)} FOLDER", file=sys.stderr)
        return EXIT_INPUT
    result = run_paths(args.paths or ["rules"], **data)
    _report_diags(result)
    if not result.ok or result.audit is None:
        return EXIT_INPUT
    known = names(result.program, result.audit)
    if args.name not in known:
        from benchdsl.diagnostics import did_you_mean

        hint = did_you_mean(args.name, known) or "see `benchdsl run --format csv` for every figure's name"
        if result.set_aside:  # the report's statements went with its published values (pipeline.run_paths)
            hint += (f" The report's statements (claims) are about {result.set_aside[0]} {result.set_aside[1]}, "
                     f"and go with its published values: explain one without --own and --year.")
        print(f"error: no figure or measure named `{args.name}`\n  hint: {hint}", file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(explain(result.program, result.audit, args.name, args.norwegian, lang=args.lang))
    return EXIT_OK


def _diff(args) -> int:
    """Exit 0: no figure changed; 1: figures changed (like diff(1)); 2: a side cannot be run."""
    from benchdsl.diagnostics import format_all
    from benchdsl.diff import diff, run_of
    from benchdsl.files import WriteError, check_output, write_output
    from benchdsl.pipeline import rule_files, run_paths

    new_rules = args.new or args.old
    try:  # a folder that does not exist is known before the runs
        if args.output and args.output != "-":
            check_output(args.output, ())
    except WriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    sides = []
    for label, rules, panels, mapping in (("old", args.old, args.old_panel or args.panel, args.old_mapping or args.mapping),
                                          ("new", new_rules, args.new_panel or args.panel, args.new_mapping or args.mapping)):
        if mapping and not panels:
            print(f"error: a mapping for the {label} run, but no panel given for it\n"
                  f"  hint: a mapping applies to the panels of --panel, --old-panel or --new-panel",
                  file=sys.stderr)
            return EXIT_INPUT
        sides.append((label, rules, panels, run_paths([rules], own=args.own,
                                                      panels=[(p, mapping) for p in panels] if panels else None)))
    printed: set = set()
    for label, rules, panels, result in sides:
        # A run that was evaluated is usable: its errors are figures not computed, which the comparison shows.
        diags = [x for x in result.diags if x not in printed and (result.audit is None or not x.is_error)]
        if diags:
            data = f" with {', '.join(panels)}" if panels else ""
            print(f"in the {label} run ({rules}{data}):", file=sys.stderr)
            print(format_all(diags, result.sources), file=sys.stderr)
            printed.update(diags)
    if any(r.audit is None for *_, r in sides):
        return EXIT_INPUT
    (_, _, old_panels, old), (_, _, new_panels, new) = sides
    inputs = [*rule_files([args.old])[0], *rule_files([new_rules])[0], *old.sources.paths(), *new.sources.paths()]
    try:
        if args.output and args.output != "-":
            check_output(args.output, inputs)
        d = diff(old, new, run_of([args.old], old, old_panels), run_of([new_rules], new, new_panels))
        from benchdsl import report

        text = report.DIFF[args.format].load()(d, args.all, norwegian=args.norwegian, lang=args.lang)
        write_output(args.output or "-", text, inputs)
    except WriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_AUDIT if d.changed else EXIT_OK


def _fmt(args) -> int:
    from benchdsl.diagnostics import Sources, format_all
    from benchdsl.files import RULES_LIMIT, InputError, WriteError, read_input, rewrite
    from benchdsl.fmt import FormatError, format_text
    from benchdsl.parse import parse
    from benchdsl.pipeline import rule_files

    files, diags = rule_files(args.paths)
    sources, changed, failed = Sources(), [], False
    for path in files:
        try:  # a regular file only (a FIFO would block); "\r\n" stays as written: fmt decides
            text = read_input(path, "rule file", RULES_LIMIT).decode("utf-8")
        except InputError as exc:
            print(f"{path}: error: {exc.message}", file=sys.stderr)
            failed = True
            continue
        except UnicodeDecodeError as exc:
            print(f"{path}: error: cannot read: {exc}", file=sys.stderr)
            failed = True
            continue
        sources.add(path, text)
        _, errors = parse(text, path)
        if errors:  # never lay out what does not parse: the analyst's text stays as it is
            diags.extend(errors)
            continue
        try:
            formatted = format_text(text)
        except FormatError as exc:
            print(f"{path}:1:1: error: {exc}", file=sys.stderr)
            print("  hint: save the file with ordinary line ends (\\n or \\r\\n); nothing was changed", file=sys.stderr)
            failed = True
            continue
        if formatted == text:
            continue
        if not args.check:
            try:
                rewrite(path, formatted)
            except WriteError as exc:
                print(f"error: {exc}", file=sys.stderr)
                failed = True
                continue
        changed.append(path)
    if diags:
        print(format_all(diags, sources), file=sys.stderr)
    for path in changed:
        print(f"{'would reformat' if args.check else 'reformatted'} {path}")
    if diags or failed:
        return EXIT_INPUT
    return EXIT_AUDIT if args.check and changed else EXIT_OK


def _batch(result, args) -> tuple[str, int, int]:
    """The long table, how many of its figures are not computed, and how many it has."""
    import numpy as np

    from benchdsl import batch, report

    b = batch.evaluate(result.program, result.evaluator.values)
    text = report.BATCH.get(args.format, report.BATCH["csv"]).load()(b, norwegian=args.norwegian)
    return (text, sum(int(np.isnan(a).sum()) for a in b.figures.values()),
            sum(a.size for a in b.figures.values()))

def _sensitivity(args) -> int:
    from benchdsl.diagnostics import did_you_mean
    from benchdsl.pipeline import run_paths
    from benchdsl.sensitivity import alternatives, group_of, sensitivity

    if (data := _data(args)) is None:
        return EXIT_INPUT
    result = run_paths(args.paths, **data)
    _report_diags(result)
    if not result.ok or result.audit is None:
        return EXIT_INPUT
    program = result.program
    for name in args.without:
        if name not in program.municipalities:
            print(f"error: `{name}` is not a declared municipality\n  hint: "
                  f"{did_you_mean(name, program.municipalities) or 'see the rules'}", file=sys.stderr)
            return EXIT_INPUT
    if args.weight and args.weight not in program.indicators:
        print(f"error: `{args.weight}` is not an indicator\n  hint: "
              f"{did_you_mean(args.weight, program.indicators) or 'see the rules'}", file=sys.stderr)
        return EXIT_INPUT
    group = group_of(program)
    if group is None:
        print("error: the rules compare with no group (no mean or best basis)", file=sys.stderr)
        return EXIT_INPUT
    bases = alternatives(group, args.without, args.weight)
    result_ = sensitivity(program, result.evaluator.values, bases)
    from benchdsl import report

    render = report.SENSITIVITY[args.format].load()
    sys.stdout.write(render(program, group, result_, norwegian=args.norwegian, lang=args.lang))
    return EXIT_OK


def _init(args) -> int:
    from benchdsl.init import FILES, InitError, init

    try:
        written = init(args.folder)
    except InitError as exc:
        print(f"error: {exc.message}" + (f"\n  hint: {exc.hint}" if exc.hint else ""), file=sys.stderr)
        return EXIT_INPUT
    import shlex

    width = max(len(p.name) for p in written)
    print(f"created {args.folder} with")
    for p in written:
        print(f"  {p.name:<{width}}  {FILES[p.name]}")
    print(f"next: cd {shlex.quote(args.folder)} && benchdsl run .   (README.md shows more)")
    return EXIT_OK


def _lsp(args) -> int:
    try:
        import pygls  # noqa: F401
    except ImportError:
        print("error: the language server needs pygls\n  hint: pip install 'benchdsl[lsp]'", file=sys.stderr)
        return EXIT_INPUT
    from benchdsl.lsp import serve

    return serve(args.log)
