"""Command line (SPEC §8): argument parsing -> pipeline -> output and exit code."""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sheetflow import pipeline
from sheetflow.core import schema
from sheetflow.core.findings import json_value
from sheetflow.core.report import Report
from sheetflow.core.summary import OVERDUE_COLUMNS, hours
from sheetflow.core.workbook import Workbook
from sheetflow.errors import SheetflowError, UsageError, WorkbookError
from sheetflow.io.doors import Door, open_book

TEMPLATES = ("complaints", "purchase", "contract")
HOUR_FIELDS = ("duration_h", "sla_h", "overdue_h", "age_h", "amount")

# Commands that live beside their door or feature: each module has `add_parser(subparsers)`,
# which adds its sub-command with `set_defaults(run=...)`; run(args) returns the exit code.
EXTRA_COMMANDS: tuple[str, ...] = (
    "sheetflow.notify.command",
    "sheetflow.job",
    "sheetflow.addin_command",
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line and exit code 2 (SPEC §8)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("sheetflow").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def read_book(spec: str) -> Workbook:
    return open_book(spec).read()


def _zh(report_or_book: Report | Workbook) -> bool:
    return report_or_book.language == schema.ZH


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


def _summary_line(report: Report) -> str:
    if _zh(report):
        return f"{report.errors} 个错误，{report.warnings} 个警告"
    plural = "s" if report.warnings != 1 else ""
    errors = f"{report.errors} error{'s' if report.errors != 1 else ''}"
    return f"{errors}, {report.warnings} warning{plural}"


def _print_findings(report: Report) -> None:
    for f in report.findings:
        where = f.cell or f.sheet
        value = "" if f.value is None else f" {json.dumps(f.value, ensure_ascii=False)}"
        print(f"{f.severity:<7} {where:<16} {f.code:<17}{value}  {f.message}")
    print(_summary_line(report))


def _exit_code(report: Report) -> int:
    return 1 if report.errors else 0


def cmd_init(args: argparse.Namespace) -> int:
    from sheetflow.io.template_writer import write_template

    path = Path(args.path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UsageError(f"{path}: the workbook name must end in .xlsx")
    try:
        write_template(path, args.template, args.lang, overwrite=args.force)
    except FileExistsError as exc:
        raise UsageError(f"{path} already exists; pass --force to replace it") from exc
    except OSError as exc:
        raise WorkbookError(f"cannot write {path}: {exc}") from exc
    print(f"wrote {path} ({args.template}, {args.lang})")
    return 0


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
        hint = (
            "运行 sheetflow validate 查看" if _zh(report) else "run sheetflow validate to see them"
        )
        print(f"{_summary_line(report)}; {hint}", file=sys.stderr)


def cmd_overdue(args: argparse.Namespace) -> int:
    report = _report(args)
    items = _records(report.overdue, OVERDUE_COLUMNS)
    if args.format == "json":
        _print_json({"as_of": _iso(report.as_of), "items": items})
    elif args.format == "csv":
        buffer = io.StringIO()
        pd.DataFrame(items, columns=OVERDUE_COLUMNS).to_csv(buffer, index=False)
        sys.stdout.write(buffer.getvalue())
    else:
        print(format_overdue(report, items))
    _warn_errors(report)
    return _exit_code(report)


def format_overdue(report: Report, items: list[dict[str, object]]) -> str:
    zh = _zh(report)
    stamp = report.as_of.strftime("%Y-%m-%d %H:%M")
    if not items:
        return f"截至 {stamp} 无超时事项" if zh else f"nothing overdue as of {stamp}"
    head = f"截至 {stamp} 超时 {len(items)} 项：" if zh else f"{len(items)} overdue as of {stamp}:"
    lines = [head]
    for it in items:
        manager = f" / {it['manager']}" if it["manager"] else ""
        due = str(it["due"]).replace("T", " ")[:16]
        if zh:
            lines.append(
                f"  {it['case_id']}  {it['node']}  {it['assignee']}{manager}  截止 {due}  "
                f"已用 {it['duration_h']}h / 时限 {it['sla_h']}h  超时 {it['overdue_h']}h"
            )
        else:
            lines.append(
                f"  {it['case_id']}  {it['node']}  {it['assignee']}{manager}  due {due}  "
                f"{it['duration_h']}h of {it['sla_h']}h  over by {it['overdue_h']}h"
            )
    return "\n".join(lines)


def cmd_route(args: argparse.Namespace) -> int:
    book = read_book(args.book)
    as_of = pipeline.resolve_as_of(book, args.as_of)
    if args.explain:
        for line in pipeline.explain(book, as_of, args.explain):
            print(line)
        return 0
    report = pipeline.compute(book, as_of)
    routes = _records(report.routes, pipeline.ROUTE_COLUMNS) if not report.routes.empty else []
    if args.format == "json":
        _print_json({"as_of": _iso(report.as_of), "routes": routes})
    else:
        print(format_routes(report, routes))
    _warn_errors(report)
    return _exit_code(report)


def format_routes(report: Report, routes: list[dict[str, object]]) -> str:
    zh = _zh(report)
    if not routes:
        return "没有审批分派（无审批规则表？）" if zh else "no routes (is there a Rules sheet?)"
    header = ("编号", "规则", "审批岗位", "审批人") if zh else ("case", "rule", "role", "approver")
    lines = [f"{header[0]:<12} {header[1]:<8} {header[2]:<20} {header[3]}"]
    for r in routes:
        via = ""
        if r["delegated_from"]:
            via = f"（代 {r['delegated_from']}）" if zh else f" (for {r['delegated_from']})"
        lines.append(
            f"{r['case_id']:<12} {r['rule'] or '':<8} {r['approver_role'] or '':<20} "
            f"{r['approver'] or '?'}{via}"
        )
    return "\n".join(lines)


def format_kpis(report: Report) -> str:
    k = report.kpis
    zh = _zh(report)

    def pct(value: object) -> str:
        return "-" if value is None else f"{float(value) * 100:.1f}%"

    if zh:
        lines = [
            f"截至 {report.as_of:%Y-%m-%d %H:%M}：工单 {k['cases_total']} 件"
            f"（处理中 {k['cases_open']}，"
            f"已结案 {k['cases_closed']}）",
            f"  结案耗时 平均 {k['case_elapsed_mean_h']}h，中位 {k['case_elapsed_median_h']}h；"
            f"准时率 {pct(k['on_time_rate'])}（目标 {pct(k['on_time_target'])}）",
            f"  当前超时 {k['overdue_open']} 项（占进行中 {pct(k['overdue_rate'])}）；"
            f"瓶颈节点 {k['bottleneck_node']}",
        ]
    else:
        lines = [
            f"as of {report.as_of:%Y-%m-%d %H:%M}: {k['cases_total']} cases "
            f"({k['cases_open']} open, {k['cases_closed']} closed)",
            f"  closed in mean {k['case_elapsed_mean_h']} h, "
            f"median {k['case_elapsed_median_h']} h; "
            f"on time {pct(k['on_time_rate'])} (target {pct(k['on_time_target'])})",
            f"  overdue now: {k['overdue_open']} ({pct(k['overdue_rate'])} of open rows); "
            f"bottleneck: {k['bottleneck_node']}",
        ]
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
        print(("已写入 " if _zh(report) else "wrote ") + str(written))
    return _exit_code(report)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sheetflow",
        description="Validate, time, route and summarise process workbooks (.xlsx/.xlsm).",
        epilog="Exit codes: 0 ok, 1 the workbook has validation errors, 2 could not run.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    init = sub.add_parser("init", help="write a standard workbook with example data")
    init.add_argument("path")
    init.add_argument("--template", choices=TEMPLATES, default="complaints")
    init.add_argument("--lang", choices=schema.LANGUAGES, default=schema.EN)
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.set_defaults(run=cmd_init)

    def book_command(
        name: str, help_text: str, formats: Sequence[str], run
    ) -> argparse.ArgumentParser:  # noqa: ANN001
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("book", help="path to .xlsx/.xlsm")
        cmd.add_argument(
            "--as-of", dest="as_of", help="'now' as ISO datetime, e.g. 2024-10-09T16:00"
        )
        cmd.add_argument("--format", choices=formats, default="text")
        cmd.set_defaults(run=run)
        return cmd

    book_command("validate", "check the workbook and list findings", ("text", "json"), cmd_validate)
    refresh = book_command(
        "refresh", "compute and write the output sheets", ("text", "json"), cmd_refresh
    )
    refresh.add_argument("--out", help="write to this file instead of in place")
    book_command("overdue", "list overdue work", ("text", "json", "csv"), cmd_overdue)
    route = book_command("route", "route cases to approvers", ("text", "json"), cmd_route)
    route.add_argument("--explain", metavar="CASE_ID", help="show why a case goes to its approver")
    for module_name in EXTRA_COMMANDS:
        importlib.import_module(module_name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sheetflow` console script; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.run(args))
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
