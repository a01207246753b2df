"""Command line (SPEC §8): argument parsing -> pipeline -> output and exit code."""

from __future__ import annotations

import argparse
import difflib
import importlib
import io
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from sheetflow import pipeline, terminal
from sheetflow.core import i18n, schema, views
from sheetflow.core.cellvalues import lateness
from sheetflow.core.findings import json_value
from sheetflow.core.report import Report
from sheetflow.core.summary import WORK_ITEM_COLUMNS, hours
from sheetflow.core.workbook import Workbook
from sheetflow.errors import SheetflowError, UsageError, WorkbookError
from sheetflow.io.doors import Door, open_book

TEMPLATES = ("complaints", "purchase", "contract")
HOUR_FIELDS = (
    "duration_h",
    "sla_h",
    "overdue_h",
    "age_h",
    "amount",
    "late_working_h",
    "late_hours",
    "left_working_h",
)

# Commands that live beside their door or feature: each module has `add_parser(subparsers)`,
# which adds its sub-command with `set_defaults(run=...)`; run(args) returns the exit code.
EXTRA_COMMANDS: tuple[str, ...] = (
    "sheetflow.notify.command",
    "sheetflow.job",
    "sheetflow.addin_command",
    "sheetflow.calendar_command",
    "sheetflow.sync",
)
# The commands defined in this module: running one needs none of EXTRA_COMMANDS' modules
# (SMTP and email, the scheduler, the add-in's VBA), which then are not even imported.
CORE_COMMANDS = ("init", "validate", "refresh", "overdue", "route")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line and exit code 2 (SPEC §8)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("sheetflow").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def read_book(spec: str) -> Workbook:
    terminal.step("progress.reading", name=os.path.basename(spec))
    return open_book(spec).read()


def _iso(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime().isoformat()
    return json_value(value)


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, object]]:
    items = []
    for rec in frame[list(columns)].itertuples(index=False):
        item = {}
        for name, value in zip(columns, rec):
            item[name] = hours(value) if name in HOUR_FIELDS and value is not None else _iso(value)
        items.append(item)
    return items


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _count(kind: str, n: int, lang: str) -> str:
    key = f"terminal.count.{kind}_one" if n == 1 else f"terminal.count.{kind}s"
    return i18n.text(key, lang, n=n)


def _summary_line(report: Report) -> str:
    lang = report.language
    return i18n.text(
        "terminal.count.both",
        lang,
        errors=_count("error", report.errors, lang),
        warnings=_count("warning", report.warnings, lang),
    )


def format_findings(report: Report, width: int | None = None) -> str:
    """Findings as a table aligned by display width; long messages wrap in their column."""
    lang = report.language
    headers = [
        i18n.text(f"terminal.col.{name}", lang)
        for name in ("severity", "cell", "code", "value", "message")
    ]
    rows = []
    for f in report.findings:
        value = "" if f.value is None else json.dumps(f.value, ensure_ascii=False)
        rows.append(
            [
                i18n.text(f"terminal.severity.{f.severity}", lang),
                f.cell or f.sheet,
                f.code,
                terminal.truncate(value, 24),
                f.message,
            ]
        )
    lines = terminal.table(headers, rows, width=width, wrap_last=True) if rows else []
    return "\n".join([*lines, _summary_line(report)])


def _print_findings(report: Report) -> None:
    print(format_findings(report, terminal.terminal_width()))


def _exit_code(report: Report) -> int:
    return 1 if report.errors else 0


def cmd_init(args: argparse.Namespace) -> int:
    from sheetflow.io.template_writer import write_template

    path = Path(args.path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UsageError(f"{path}: the workbook name must end in .xlsx")
    years, not_yet = _init_calendar_years(args.calendar, args.lang)
    try:
        write_template(
            path,
            args.template,
            args.lang,
            overwrite=args.force,
            calendar_years=years,
            calendar_country=args.calendar or "CN",
        )
    except FileExistsError as exc:
        raise UsageError(f"{path} already exists; pass --force to replace it") from exc
    except OSError as exc:
        raise WorkbookError(f"cannot write {path}: {exc}") from exc
    print(f"wrote {path} ({args.template}, {args.lang})")
    for line in not_yet:
        print(line)
    return 0


def _init_calendar_years(country: str | None, lang: str) -> tuple[list[int], list[str]]:
    """`init --calendar`: the current and next year the source knows, and a note per other."""
    if not country:
        return [], []
    from datetime import date

    from sheetflow import holidays
    from sheetflow.core import i18n

    this_year = date.today().year
    known, unknown = holidays.split_known_years((this_year, this_year + 1), country)
    first, last = holidays.source_years(country)
    source = holidays.source_name(country)
    notes = [
        i18n.text("calendar.not_published", lang, year=y, source=source, first=first, last=last)
        for y in unknown
    ]
    return known, notes


def _report(args: argparse.Namespace, door: Door | None = None) -> Report:
    return pipeline.run(door or open_book(args.book), args.as_of)


def cmd_validate(args: argparse.Namespace) -> int:
    report = _report(args)
    if args.format == "json":
        _print_json(
            {
                "errors": report.errors,
                "warnings": report.warnings,
                "findings": [f.to_json() for f in report.findings],
            }
        )
    else:
        _print_findings(report)
    return _exit_code(report)


def _warn_errors(report: Report) -> None:
    if report.errors:
        hint = i18n.text("terminal.errors_hint", report.language, summary=_summary_line(report))
        print(hint, file=sys.stderr)


def cmd_overdue(args: argparse.Namespace) -> int:
    report = _report(args)
    items = _records(report.overdue, WORK_ITEM_COLUMNS)
    if args.format == "json":
        at_risk = _records(report.at_risk, WORK_ITEM_COLUMNS) if len(report.at_risk) else []
        _print_json({"as_of": _iso(report.as_of), "items": items, "at_risk": at_risk})
    elif args.format == "csv":
        buffer = io.StringIO()
        pd.DataFrame(items, columns=WORK_ITEM_COLUMNS).to_csv(buffer, index=False)
        sys.stdout.write(buffer.getvalue())
    else:
        at_risk = _records(report.at_risk, WORK_ITEM_COLUMNS) if len(report.at_risk) else []
        print(format_overdue(report, items, at_risk))
    _warn_errors(report)
    return _exit_code(report)


def _stamp(value: object) -> str:
    return "" if value is None else str(value).replace("T", " ")[:16]


def _number(value: object) -> str:
    return "" if value is None else f"{float(value):g}"


def _work_table(
    items: list[dict[str, object]], lang: str, overdue: bool, width: int | None = None
) -> list[str]:
    """Overdue / at-risk rows: case details, who does it (assignee) and whom to tell (manager).

    Titles are cut (…) so the table fits the terminal; other columns are never cut.
    """
    names = ["case", "node", "title", "priority", "assignee", "manager", "due"]
    names.append("late" if overdue else "left")
    headers = [i18n.text(f"terminal.col.{name}", lang) for name in names]
    rows = []
    for it in items:
        priority = it["priority"] or "normal"
        row = [
            str(it["case_id"]),
            str(it["node"]),
            str(it["title"] or ""),
            i18n.text(f"priority.{priority}", lang) if i18n.has(f"priority.{priority}") else "",
            str(it["assignee"] or ""),
            str(it["manager"] or ""),
            _stamp(it["due"]),
        ]
        if overdue:
            row.append(lateness(it["late_days"], it["late_hours"], lang) or "")
        else:
            row.append(i18n.text("view.late_hours_only", lang, hours=_number(it["left_working_h"])))
        rows.append(row)
    width = width or terminal.terminal_width()
    for title_width in (30, 24, 18, 12):
        cut = [[*r[:2], terminal.truncate(r[2], title_width), *r[3:]] for r in rows]
        lines = terminal.table(headers, cut, indent="  ")
        if max(terminal.display_width(line) for line in lines) <= width:
            break
    return lines


def format_overdue(
    report: Report,
    items: list[dict[str, object]],
    at_risk: list[dict[str, object]] | None = None,
) -> str:
    """The overdue list (and the at-risk list below it) as aligned tables."""
    lang = report.language
    stamp = report.as_of.strftime("%Y-%m-%d %H:%M")
    if items:
        lines = [i18n.text("terminal.overdue.head", lang, n=len(items), as_of=stamp)]
        lines += _work_table(items, lang, overdue=True)
    else:
        lines = [i18n.text("terminal.overdue.none", lang, as_of=stamp)]
    if at_risk:
        lines += ["", i18n.text("terminal.at_risk.head", lang, n=len(at_risk))]
        lines += _work_table(at_risk, lang, overdue=False)
    return "\n".join(lines)


def cmd_route(args: argparse.Namespace) -> int:
    book = read_book(args.book)
    as_of = pipeline.resolve_as_of(book, args.as_of)
    if args.explain:
        _check_case_id(book, args.explain)
        for line in pipeline.explain(book, as_of, args.explain):
            print(line)
        return 0
    report = pipeline.compute(book, as_of)
    routes = _records(report.routes, pipeline.ROUTE_COLUMNS) if not report.routes.empty else []
    if args.format == "json":
        _print_json({"as_of": _iso(report.as_of), "routes": routes})
    else:
        print(format_routes(report, routes, show_all=args.all))
    _warn_errors(report)
    return _exit_code(report)


def _check_case_id(book: Workbook, case_id: str) -> None:
    """A one-line usage error, with the nearest ids, for an id that is not in Cases."""
    frame = book.frame("Cases")
    if "case_id" not in frame.columns:
        return
    ids = [str(v).strip() for v in frame["case_id"].dropna().drop_duplicates()]
    if case_id.strip() in ids:
        return
    lang = book.language
    message = i18n.text("terminal.no_case", lang, case=repr(case_id), sheet=book.title("Cases"))
    close = difflib.get_close_matches(case_id.strip(), ids, n=3, cutoff=0.6)
    if close:
        names = ", ".join(close)
        message += "; " + i18n.text("terminal.did_you_mean", lang, name=names)
    raise UsageError(message)


def _open_routes(report: Report) -> list[bool]:
    """Per route row: is its case open (routes follow `report.routes`' order)."""
    if report.routes.empty or "case_row" not in report.routes.columns:
        return [True] * len(report.routes)
    status = report.cases["case_status"].reindex(report.routes["case_row"].to_numpy())
    return [s != "closed" for s in status.to_numpy(dtype=object)]


def format_routes(report: Report, routes: list[dict[str, object]], show_all: bool = True) -> str:
    """Each case's approver(s); without `show_all` only the cases still open."""
    lang = report.language
    if not routes:
        return i18n.text("terminal.route.none", lang)
    keep = [True] * len(routes) if show_all else _open_routes(report)
    shown = [r for r, k in zip(routes, keep) if k]
    hidden = len(routes) - len(shown)
    headers = [i18n.text(f"terminal.col.{n}", lang) for n in ("case", "rule", "role", "approver")]
    rows = []
    for r in shown:
        via = ""
        if r["delegated_from"]:
            via = i18n.text("terminal.route.for", lang, name=r["delegated_from"])
        approver = r["approver"] or i18n.text("terminal.route.no_approver", lang)
        rows.append(
            [str(r["case_id"]), r["rule"] or "", r["approver_role"] or "", f"{approver}{via}"]
        )
    lines = terminal.table(headers, rows) if rows else [i18n.text("terminal.route.no_open", lang)]
    if hidden:
        lines.append(i18n.text("terminal.route.closed_hidden", lang, n=hidden))
    return "\n".join(lines)


def format_kpis(report: Report) -> str:
    k = report.kpis
    lang = report.language

    def pct(value: object) -> str:
        return "-" if value is None else f"{float(value) * 100:.1f}%"

    def num(value: object) -> str:
        return "-" if value is None else f"{value}"

    lines = [
        i18n.text(
            "terminal.kpi.head",
            lang,
            as_of=f"{report.as_of:%Y-%m-%d %H:%M}",
            total=k["cases_total"],
            open=k["cases_open"],
            closed=k["cases_closed"],
        ),
        i18n.text(
            "terminal.kpi.closing",
            lang,
            mean=num(k["case_elapsed_mean_h"]),
            median=num(k["case_elapsed_median_h"]),
            rate=pct(k["on_time_rate"]),
            target=pct(k["on_time_target"]),
        ),
        i18n.text(
            "terminal.kpi.overdue",
            lang,
            overdue=k["overdue_open"],
            rate=pct(k["overdue_rate"]),
            at_risk=k.get("at_risk_open", 0),
            node=num(k["bottleneck_node"]),
        ),
    ]
    aging = k.get("aging")
    if isinstance(aging, dict):
        buckets = " · ".join(
            f"{i18n.text(key, lang)} {aging[name]}"
            for name, key in zip(views.AGING_BUCKETS, views.AGING_LABEL_KEYS)
        )
        lines.append(i18n.text("terminal.kpi.aging", lang, buckets=buckets))
    return "\n".join(lines)


def cmd_refresh(args: argparse.Namespace) -> int:
    report, written = pipeline.refresh(open_book(args.book, out=args.out), args.as_of)
    if args.format == "json":
        _print_json(
            {
                "as_of": _iso(report.as_of),
                "errors": report.errors,
                "warnings": report.warnings,
                "kpis": report.kpis,
            }
        )
    else:
        print(format_kpis(report))
        print(_summary_line(report))
        print(i18n.text("terminal.wrote", report.language, path=written))
    return _exit_code(report)


EXAMPLES = {
    "init": """
        examples:
          sheetflow init complaints.xlsx
          sheetflow init 投诉.xlsx --template complaints --lang zh
          sheetflow init purchase.xlsx --template purchase --force
        """,
    "validate": """
        examples:
          sheetflow validate complaints.xlsx
          sheetflow validate complaints.xlsx --as-of 2024-10-09T16:00 --format json
        exit code 1 when there are errors (warnings alone exit 0)
        """,
    "refresh": """
        examples:
          sheetflow refresh complaints.xlsx                  # in place, keeps complaints.bak.xlsx
          sheetflow refresh complaints.xlsx --out report.xlsx
          sheetflow refresh complaints.xlsx --as-of 2024-10-09T16:00 --format json
        """,
    "overdue": """
        examples:
          sheetflow overdue complaints.xlsx
          sheetflow overdue complaints.xlsx --format csv > overdue.csv
          sheetflow overdue complaints.xlsx --format json --as-of 2024-10-09T16:00
        """,
    "route": """
        examples:
          sheetflow route complaints.xlsx                    # open cases only
          sheetflow route complaints.xlsx --all              # every case
          sheetflow route complaints.xlsx --explain CP-008   # why CP-008 goes to its approver
        """,
}
FORMAT_HELP = {
    "text": "text: aligned columns for people",
    "json": "json: the shapes of the workbook contract (SPEC §8), for programs",
    "csv": "csv: one row per item with a header row, for Excel",
}


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sheetflow")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


class _Version(argparse.Action):
    """--version, looked up only when asked for (importlib.metadata costs a start-up)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        print(f"sheetflow {_package_version()}")
        parser.exit()


def build_parser(extras: bool = True) -> argparse.ArgumentParser:
    """The parser of every command; extras False: only the CORE_COMMANDS (a faster start)."""
    parser = _Parser(
        prog="sheetflow",
        description="Validate, time, route and summarise process workbooks (.xlsx/.xlsm).",
        epilog="Exit codes: 0 ok, 1 the workbook has validation errors, 2 could not run. "
        "Run 'sheetflow COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action=_Version, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="COMMAND"
    )
    _add_init(sub)
    _add_book_commands(sub)
    for module_name in EXTRA_COMMANDS if extras else ():
        importlib.import_module(module_name).add_parser(sub)
    return parser


def _command(sub: argparse._SubParsersAction, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand whose description is its help sentence, with its EXAMPLES as epilog."""
    return sub.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=textwrap.dedent(EXAMPLES.get(name, "")).strip() or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_init(sub: argparse._SubParsersAction) -> None:
    init = _command(sub, "init", "write a standard workbook with example data")
    init.add_argument("path", help="the new workbook, e.g. complaints.xlsx (.xlsx or .xlsm)")
    init.add_argument(
        "--template",
        choices=TEMPLATES,
        default="complaints",
        help="which process the example data follows (default: complaints)",
    )
    init.add_argument(
        "--lang",
        choices=schema.LANGUAGES,
        default=schema.EN,
        help="language of sheet names, headers and values: en or zh (default: en)",
    )
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.add_argument(
        "--calendar",
        metavar="COUNTRY",
        help="also fill the Calendar sheet with this and next year's official holidays (CN...)",
    )
    init.set_defaults(run=cmd_init)


def _book_command(
    sub: argparse._SubParsersAction,
    name: str,
    help_text: str,
    formats: Sequence[str],
    run: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    """A command on one workbook: BOOK, --as-of, --format and --quiet."""
    cmd = _command(sub, name, help_text)
    cmd.add_argument("book", help="the workbook: a path to .xlsx/.xlsm")
    cmd.add_argument(
        "--as-of",
        dest="as_of",
        metavar="T",
        help="'now' as an ISO date/time, e.g. 2024-10-09T16:00 "
        "(default: the current time in the workbook's timezone)",
    )
    cmd.add_argument(
        "--format",
        choices=formats,
        default="text",
        help="output format (default: text) - " + "; ".join(FORMAT_HELP[f] for f in formats),
    )
    cmd.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress line on stderr (it only shows on a terminal, after about 1 s)",
    )
    cmd.set_defaults(run=run)
    return cmd


def _add_book_commands(sub: argparse._SubParsersAction) -> None:
    _book_command(
        sub, "validate", "check the workbook and list findings", ("text", "json"), cmd_validate
    )
    refresh = _book_command(
        sub, "refresh", "compute and write the output sheets", ("text", "json"), cmd_refresh
    )
    refresh.add_argument(
        "--out",
        metavar="PATH",
        help="write to this file instead of in place (same extension as BOOK)",
    )
    _book_command(
        sub,
        "overdue",
        "list overdue work, then work at risk",
        ("text", "json", "csv"),
        cmd_overdue,
    )
    route = _book_command(sub, "route", "route cases to approvers", ("text", "json"), cmd_route)
    route.add_argument(
        "--all",
        action="store_true",
        help="list closed cases too (text output lists open cases only; json always lists all)",
    )
    route.add_argument(
        "--explain",
        metavar="CASE_ID",
        help="show why a case goes to its approver: every rule's tests, the hit policy, "
        "the person chosen and any delegation",
    )


class _PausingStdout:
    """stdout that erases the progress line before the command's own output appears."""

    def __init__(self, stream, display: terminal.Progress) -> None:  # noqa: ANN001
        self._stream = stream
        self._display = display

    def write(self, text: str) -> int:
        if text:
            self._display.pause()
        return self._stream.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _progress_delay() -> float:
    """Seconds before progress shows; SHEETFLOW_PROGRESS_DELAY changes it (tests use 0)."""
    try:
        return max(float(os.environ.get("SHEETFLOW_PROGRESS_DELAY", "1.0")), 0.0)
    except ValueError:
        return 1.0


def _run(args: argparse.Namespace) -> int:
    """Run the command with a progress line on stderr unless --quiet."""
    display = terminal.Progress(enabled=not getattr(args, "quiet", False), delay=_progress_delay())
    stdout = sys.stdout
    if display.enabled:
        sys.stdout = _PausingStdout(stdout, display)
    try:
        with terminal.showing(display):
            return int(args.run(args))
    finally:
        sys.stdout = stdout


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sheetflow` console script; returns the exit code."""
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        core = bool(argv) and argv[0] in CORE_COMMANDS
        args = build_parser(extras=not core).parse_args(argv)
        return _run(args)
    except SheetflowError as exc:
        print(f"sheetflow: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sheetflow: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except PermissionError as exc:  # the OS said no: the user can fix that, it is no bug
        where = f": {exc.filename}" if exc.filename else ""
        print(f"sheetflow: permission denied{where}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug of ours: still one line, the details on request
        if os.environ.get("SHEETFLOW_DEBUG"):
            raise
        print(
            f"sheetflow: internal error ({type(exc).__name__}: {exc}); "
            "rerun with SHEETFLOW_DEBUG=1 for details and please report it",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
