"""Write a `Report` back into its workbook file (SPEC §5): computed columns and the owned sheets.

Only the computed columns of `Log` and `Cases` (header + data cells) and the whole sheets
Validation, Overdue, Routing, Summary and NodeStats are written; every other cell of the user's
sheets is left as it was. openpyxl rewrites the workbook, except that the data rows of Log and
Cases are copied byte for byte and the bulk of the owned sheets is written as XML directly (see
`_Splice`: openpyxl alone needs ~45 s for a 100,000-row Log). The file is replaced atomically
after a check (see `safety`).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import os
import posixpath
import re
import unicodedata
import warnings
import zipfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import escape as xml_escape

import numpy as np
import openpyxl
import pandas as pd
from defusedxml import ElementTree
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import DataPoint
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from sheetflow.core import schema
from sheetflow.core.findings import Finding
from sheetflow.core.report import Report
from sheetflow.core.workbook import EXCEL_FIRST_DATA_ROW, Table
from sheetflow.errors import UnsafeWriteError, UsageError, WorkbookError
from sheetflow.io import safety

# Kinds of output cell: each has one number format.
TEXT = "text"
INT = "int"
HOURS = "hours"
DATETIME = "datetime"
RATE = "rate"
AMOUNT = "amount"

NUMBER_FORMATS: dict[str, str] = {
    TEXT: "General",
    INT: "0",
    HOURS: "0.00",
    DATETIME: "yyyy-mm-dd hh:mm",
    RATE: "0.0%",
    AMOUNT: "#,##0.00",
}

EXCEL_MAX_ROW = 1048576
EXCEL_MAX_TEXT = 32767
OWNED_SHEETS = tuple(schema.OUTPUT_SHEETS)  # Validation, Overdue, Routing, Summary, NodeStats

# Font changes over the workbook's own default font (Calibri, DengXian...): attribute -> value.
HEADER_FONT = {"b": True, "color": "FFFFFF"}
HEADER_FILL = PatternFill("solid", start_color="1F4E78", end_color="1F4E78")
COMPUTED_HEADER_FONT = {"b": True, "color": "1F4E78"}
COMPUTED_HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
GROUP_FONT = {"b": True, "color": "1F4E78"}
GROUP_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
LINK_FONT = {"color": "0563C1", "u": "single"}
HIGHLIGHT_FONT = {"b": True, "color": "9C5700"}
HIGHLIGHT_FILL = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")


def _fill(color: str) -> PatternFill:
    return PatternFill("solid", start_color=color, end_color=color)


def _font(ws: Worksheet, changes: dict[str, object]) -> Font:
    """The workbook's default font with `changes`, so our cells match the user's typeface."""
    font = copy(ws.parent._fonts[0]) if ws.parent._fonts else Font()
    for name, value in changes.items():
        setattr(font, name, value)
    return font


# Status colours (conditional formatting, so they follow edits): code -> (fill, font colour, bold)
STATUS_COLOURS: dict[str, tuple[str, str, bool]] = {
    "overdue": ("E53935", "FFFFFF", True),
    "at_risk": ("FFC000", "000000", False),
    "done_late": ("FFC7CE", "9C0006", False),
}
BAR_COLOURS = ("4472C4", "A5A5A5")  # mean duration, SLA
SATISFACTION_COLOURS: dict[str, str] = {
    "very_satisfied": "2E7D32",
    "satisfied": "8BC34A",
    "neutral": "BDBDBD",
    "dissatisfied": "E53935",
}
SEVERITY_COLOURS: dict[str, tuple[str, str, bool]] = {
    "error": ("FFC7CE", "9C0006", False),
    "warning": ("FFEB9C", "9C5700", False),
}

# Output labels that are not columns of the input schema: name -> (English, Chinese).
LABELS: dict[str, tuple[str, str]] = {
    # Validation
    "sheet": ("sheet", "工作表"),
    "cell": ("cell", "单元格"),
    "row": ("row", "行号"),
    "column": ("column", "列"),
    "value": ("value", "值"),
    "severity": ("severity", "级别"),
    "code": ("code", "代码"),
    "message": ("message", "说明"),
    "error": ("error", "错误"),
    "warning": ("warning", "警告"),
    # Overdue / Routing
    "case_id": ("case_id", "编号"),
    "node": ("node", "节点"),
    "assignee": ("assignee", "执行人"),
    "assignee_email": ("assignee_email", "执行人邮箱"),
    "manager": ("manager", "上级"),
    "manager_email": ("manager_email", "上级邮箱"),
    "start": ("start", "开始时间"),
    "due": ("due", "截止时间"),
    "duration_h": ("duration_h", "耗时(小时)"),
    "sla_h": ("sla_h", "时限(小时)"),
    "overdue_h": ("overdue_h", "超时(小时)"),
    "approver_role": ("approver_role", "审批岗位"),
    "approver": ("approver", "审批人"),
    "delegated_from": ("delegated_from", "委托自"),
    "rule": ("rule", "命中规则"),
    "amount": ("amount", "金额"),
    "priority": ("priority", "紧急程度"),
    "age_h": ("age_h", "已耗时(小时)"),
    "cases_count": ("{n} cases", "{n} 件"),
    "unassigned": ("(no approver)", "（未分派）"),
    # NodeStats
    "count": ("count", "记录数"),
    "mean_h": ("mean_h", "平均耗时(小时)"),
    "median_h": ("median_h", "耗时中位数(小时)"),
    "p90_h": ("p90_h", "P90耗时(小时)"),
    "overdue": ("overdue", "超时数"),
    "overdue_rate": ("overdue_rate", "超时率"),
    "time_share": ("time_share", "耗时占比"),
    # Summary
    "indicator": ("Indicator", "指标"),
    "kpi_value": ("Value", "数值"),
    "satisfaction": ("Satisfaction", "满意度"),
    "satisfaction_cases": ("Cases", "工单数"),
    "node_title": ("Node", "节点"),
    "node_mean": ("Mean duration (h)", "平均耗时(小时)"),
    "node_sla": ("SLA (h)", "时限(小时)"),
    "bar_title": ("Mean duration vs SLA per node", "各节点平均耗时与时限"),
    "hours_axis": ("hours", "小时"),
    "pie_title": ("Satisfaction", "满意度分布"),
}
# Summary's indicator names: KPI key (SPEC §6) -> (English, Chinese).
KPI_LABELS: dict[str, tuple[str, str]] = {
    "as_of": ("As of", "统计时点"),
    "cases_total": ("Cases total", "工单总数"),
    "cases_open": ("Open cases", "处理中工单"),
    "cases_closed": ("Closed cases", "已结案工单"),
    "case_elapsed_mean_h": ("Mean time to close (h)", "平均结案耗时(小时)"),
    "case_elapsed_median_h": ("Median time to close (h)", "结案耗时中位数(小时)"),
    "on_time_rate": ("On-time rate (closed cases)", "准时结案率"),
    "on_time_target": ("On-time target", "准时率目标"),
    "on_time_target_met": ("Target met", "是否达标"),
    "overdue_open": ("Overdue now (open steps)", "当前超时(进行中环节)"),
    "overdue_rate": ("Overdue rate (open steps)", "当前超时率"),
    "bottleneck_node": ("Bottleneck node", "瓶颈节点"),
    "errors": ("Validation errors", "校验错误"),
    "warnings": ("Validation warnings", "校验警告"),
}

LOG_KINDS: dict[str, str] = {
    "duration_h": HOURS,
    "sla_h": HOURS,
    "due": DATETIME,
    "status": TEXT,
    "overdue_h": HOURS,
}
CASES_KINDS: dict[str, str] = {
    "case_status": TEXT,
    "current_node": TEXT,
    "case_elapsed_h": HOURS,
    "approver_role": TEXT,
    "approver": TEXT,
    "delegated_from": TEXT,
    "route_rule": TEXT,
}
OVERDUE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_id", TEXT),
    ("node", TEXT),
    ("assignee", TEXT),
    ("assignee_email", TEXT),
    ("manager", TEXT),
    ("manager_email", TEXT),
    ("start", DATETIME),
    ("due", DATETIME),
    ("duration_h", HOURS),
    ("sla_h", HOURS),
    ("overdue_h", HOURS),
)
ROUTING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_id", TEXT),
    ("approver_role", TEXT),
    ("delegated_from", TEXT),
    ("rule", TEXT),
    ("amount", AMOUNT),
    ("priority", TEXT),
    ("age_h", HOURS),
)
NODE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("node", TEXT),
    ("count", INT),
    ("mean_h", HOURS),
    ("median_h", HOURS),
    ("p90_h", HOURS),
    ("sla_h", HOURS),
    ("overdue", INT),
    ("overdue_rate", RATE),
    ("time_share", RATE),
)
VALIDATION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sheet", TEXT),
    ("cell", TEXT),
    ("row", INT),
    ("column", TEXT),
    ("value", TEXT),
    ("severity", TEXT),
    ("code", TEXT),
    ("message", TEXT),
)
SUMMARY_ROWS: tuple[tuple[str, str], ...] = (
    ("cases_total", INT),
    ("cases_open", INT),
    ("cases_closed", INT),
    ("case_elapsed_mean_h", HOURS),
    ("case_elapsed_median_h", HOURS),
    ("on_time_rate", RATE),
    ("on_time_target", RATE),
    ("on_time_target_met", TEXT),
    ("overdue_open", INT),
    ("overdue_rate", RATE),
    ("bottleneck_node", TEXT),
)

_LOSS_WARNING = re.compile(r"will be (lost|removed|discarded|dropped)|is being dropped", re.I)


def label(name: str, lang: str, table: dict[str, tuple[str, str]] = LABELS) -> str:
    en, zh = table[name]
    return zh if lang == schema.ZH else en


def owned_title(name: str, lang: str) -> str:
    """Title of an owned sheet (Validation, Overdue...) in the book's language."""
    return schema.OUTPUT_SHEETS[name] if lang == schema.ZH else name


# ---------------------------------------------------------------------------------------------
# Entry point


def write_report(
    source: Path, report: Report, out: Path | None = None, *, fast: bool = True
) -> Path:
    """Write the computed columns and owned sheets of `report` into the workbook; return its path.

    source: the workbook the report was computed from (.xlsx or .xlsm).
    report: the run's result.
    out: a new file to write; None rewrites `source` in place, keeping BOOK.bak.xlsx.
    fast: copy the data rows of Log and Cases as XML instead of through openpyxl (see
        `_Splice`); False forces the plain openpyxl rewrite of every cell.
    Raises `LockedError` if the file is open in Excel, `UnsafeWriteError` if writing in place
    would drop parts of the workbook openpyxl cannot keep, `WorkbookError` for unreadable files.
    """
    source = Path(source)
    target = Path(out) if out is not None else source
    if not source.is_file():
        raise WorkbookError(f"{source}: no such file")
    in_place = out is None or _same_file(source, target)
    if in_place:
        target = source
    if target.suffix.lower() != source.suffix.lower():
        raise UsageError(
            f"--out {target.name}: use the extension of {source.name} ({source.suffix})"
        )
    safety.check_not_locked(source)
    if not in_place:
        safety.check_not_locked(target)
    if in_place:
        dropped = safety.unsupported_parts(source)
        if dropped:
            raise UnsafeWriteError(_unsafe_message(dropped))
    keep_vba = source.suffix.lower() == ".xlsm"
    splice = _Splice.prepare(source) if fast else None
    wb, lost = _load(source, keep_vba, splice.stub if splice is not None else None)
    if in_place and lost:
        raise UnsafeWriteError(_unsafe_message(lost))
    fill_workbook(wb, report, splice)
    expected = _expected_headers(report)

    def save(path: Path) -> None:
        if splice is None:
            wb.save(path)
            return
        buffer = io.BytesIO()
        wb.save(buffer)
        splice.finish(buffer.getvalue(), path, wb)

    def verify(path: Path) -> None:
        _verify(path, expected)
        if splice is not None:
            splice.check(path)

    return safety.replace_atomically(target, save, verify, backup=in_place, like=source)


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _unsafe_message(dropped: Sequence[str]) -> str:
    return f"writing in place would drop: {', '.join(dropped)}; use --out NEW.xlsx"


def _load(
    source: Path, keep_vba: bool, stub: bytes | None = None
) -> tuple[openpyxl.Workbook, list[str]]:
    """Open the workbook (or its stub); also return openpyxl's warnings about what it drops."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            wb = openpyxl.load_workbook(
                io.BytesIO(stub) if stub is not None else source,
                keep_vba=keep_vba,
                rich_text=True,
            )
        except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
            raise WorkbookError(f"{source}: cannot open as a workbook ({exc})") from exc
    lost = sorted({str(w.message) for w in caught if _LOSS_WARNING.search(str(w.message))})
    return wb, lost


def _expected_headers(report: Report) -> dict[str, list[str]]:
    lang = report.language
    expected: dict[str, list[str]] = {owned_title(name, lang): [] for name in OWNED_SHEETS}
    for name, sheet in (("Log", schema.LOG), ("Cases", schema.CASES)):
        table = report.book.tables.get(name)
        if table is not None:
            expected[table.title] = [col.label(lang) for col in sheet.outputs]
    return expected


def _verify(path: Path, expected: dict[str, list[str]]) -> None:
    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception as exc:
        raise WorkbookError(f"the written workbook does not open again ({exc})") from exc
    try:
        for title, headers in expected.items():
            if title not in wb.sheetnames:
                raise WorkbookError(f"the written workbook lacks the sheet '{title}'")
            if headers:
                first = next(wb[title].iter_rows(min_row=1, max_row=1, values_only=True), ())
                missing = [h for h in headers if h not in first]
                if missing:
                    raise WorkbookError(
                        f"the written sheet '{title}' lacks the columns {', '.join(missing)}"
                    )
    finally:
        wb.close()


# ---------------------------------------------------------------------------------------------
# Filling an openpyxl workbook (no files touched here)


def fill_workbook(wb: openpyxl.Workbook, report: Report, splice: _Splice | None = None) -> None:
    """Put the report's computed columns and owned sheets into an open openpyxl workbook.

    splice: when the workbook was loaded as a stub, where the data rows go instead.
    """
    lang = report.language
    log = report.book.tables.get("Log")
    if log is not None:
        ws = _user_sheet(wb, log)
        rows = splice.sheet(log.title) if splice is not None else None
        columns = write_computed_columns(ws, log, schema.LOG, report.log, LOG_KINDS, lang, rows)
        _status_rules(ws, columns["status"], lang)
    cases = report.book.tables.get("Cases")
    if cases is not None:
        ws = _user_sheet(wb, cases)
        rows = splice.sheet(cases.title) if splice is not None else None
        write_computed_columns(ws, cases, schema.CASES, report.cases, CASES_KINDS, lang, rows)
    for name, fill in (
        ("Validation", _fill_validation),
        ("Overdue", _fill_overdue),
        ("Routing", _fill_routing),
        ("Summary", _fill_summary),
        ("NodeStats", _fill_node_stats),
    ):
        ws = _owned_sheet(wb, name, lang)
        # the sheets that grow with the workbook take the fast path too; the others are small
        bulky = splice is not None and name in ("Validation", "Overdue", "Routing")
        fill(ws, report, splice.generated(ws.title) if bulky else None)


def _user_sheet(wb: openpyxl.Workbook, table: Table) -> Worksheet:
    if table.title not in wb.sheetnames:
        raise WorkbookError(
            f"the workbook has no sheet '{table.title}' any more; it changed since it was read"
        )
    return wb[table.title]


def _owned_sheet(wb: openpyxl.Workbook, name: str, lang: str) -> Worksheet:
    """A fresh sheet for `name`, where the previous one was (either language), else at the end."""
    olds = [wb[t] for t in wb.sheetnames if schema.output_sheet_for_title(t) == name]
    index = wb.index(olds[0]) if olds else None
    for old in olds:
        wb.remove(old)
    ws = wb.create_sheet(owned_title(name, lang), index)
    # Printed for a meeting: landscape, as wide as the page, header row on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    return ws


# ---------------------------------------------------------------------------------------------
# Cell values


def _text(value: object) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))[:EXCEL_MAX_TEXT]


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, (pd.Timestamp, np.datetime64)) and pd.isna(value)


def cell_value(value: object, kind: str) -> object:
    """One value as openpyxl should store it: hours rounded, naive datetimes, clean text."""
    if isinstance(value, np.generic):
        value = value.item()
    if _is_missing(value):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # Excel has no infinity
    if kind in (HOURS, AMOUNT, RATE, INT) and isinstance(value, (int, float)):
        if isinstance(value, bool):
            return value
        if kind == HOURS:
            return round(float(value), 2)
        if kind == INT and float(value).is_integer():
            return int(value)
        return float(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is not None else value
    if isinstance(value, (dt.date, dt.time, int, float, bool)):
        return value
    if isinstance(value, str):
        return _text(value) if value.strip() else None
    return _text(value)


def column_values(frame: pd.DataFrame, name: str, kind: str) -> list[object]:
    """A frame column converted for openpyxl, whole column at once; None where absent."""
    if name not in frame.columns:
        return [None] * len(frame)
    series = frame[name]
    if kind == HOURS:
        numbers = pd.to_numeric(series, errors="coerce").astype(float).round(2)
        return [x if math.isfinite(x) else None for x in numbers.tolist()]
    if kind == DATETIME:
        stamps = pd.to_datetime(series, errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)
        return [None if pd.isna(x) else x.to_pydatetime() for x in stamps.tolist()]
    return convert_each(series.tolist(), lambda x: cell_value(x, kind))


def _enum_label(value: object, labels: dict[str, str]) -> object:
    return None if value is None else labels.get(str(value), str(value))


def convert_each(values: list[object], convert: Callable[[object], object]) -> list[object]:
    """`convert` applied to every value, computed once per distinct value (labels repeat)."""
    try:
        # keyed with the type: 1, 1.0 and True are equal as keys but not as cells
        done = {(type(v), v): convert(v) for v in values}
    except TypeError:  # an unhashable value
        return [convert(value) for value in values]
    return [done[(type(v), v)] for v in values]


def _put(ws: Worksheet, row: int, col: int, value: object) -> object:
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text
    return cell


# ---------------------------------------------------------------------------------------------
# Column widths


def display_width(text: str) -> int:
    """Width of text in Excel's character units: CJK and other wide characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _values_width(values: Iterable[object], kind: str) -> float:
    if kind == DATETIME:
        return 16
    if kind == RATE:
        return 7
    widest = 0
    if kind in (HOURS, AMOUNT, INT):
        numbers = [abs(v) for v in values if isinstance(v, (int, float))]
        if numbers:
            top = max(numbers)
            widest = len(f"{top:,.2f}" if kind == AMOUNT else f"{top:.2f}") + 1
            if kind == INT:
                widest = len(str(int(top))) + 1
        return widest
    seen: set[str] = set()
    for value in values:
        if value is None:
            continue
        text = value if isinstance(value, str) else str(value)
        if text in seen:
            continue
        seen.add(text)
        widest = max(widest, display_width(text))
    return widest


class _Widths:
    """Widest content seen per column of a sheet; applied once at the end."""

    def __init__(self) -> None:
        self.widths: dict[int, float] = {}

    def see(self, col: int, width: float) -> None:
        self.widths[col] = max(self.widths.get(col, 0), width)

    def see_header(self, col: int, text: str, filter_button: bool = False) -> None:
        # bold header text is a little wider; a filter button takes about two characters
        self.see(col, display_width(text) * 1.1 + (2 if filter_button else 0))

    def apply(self, ws: Worksheet, maximum: float = 60) -> None:
        for col, width in self.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = round(
                min(max(width + 2, 6), maximum), 1
            )


# ---------------------------------------------------------------------------------------------
# Computed columns on the user's sheets


def used_columns(ws: Worksheet) -> set[int]:
    """1-based columns holding a value in some row."""
    return {c for (_, c), cell in ws._cells.items() if cell.value is not None}


def output_positions(table: Table, sheet: schema.Sheet, used: set[int]) -> dict[str, int]:
    """1-based column of each computed column: where the last run put it, else appended.

    used: columns holding values; those right of the header (user data without a header) are
    skipped rather than written over.
    """
    positions: dict[str, int] = {}
    for col in sheet.outputs:
        ref = table.outputs.get(col.name)
        if ref is not None:
            positions[col.name] = ref.index + 1
    taken = set(positions.values())
    next_col = table.width + 1
    for col in sheet.outputs:
        if col.name in positions:
            continue
        while next_col in used or next_col in taken:
            next_col += 1
        positions[col.name] = next_col
        taken.add(next_col)
        next_col += 1
    return positions


def write_computed_columns(
    ws: Worksheet,
    table: Table,
    sheet: schema.Sheet,
    frame: pd.DataFrame,
    kinds: dict[str, str],
    lang: str,
    rows_xml: _SheetRows | None = None,
) -> dict[str, int]:
    """Write the computed columns of `sheet` on the rows of `frame`'s index; clear other rows.

    rows_xml: the sheet's data rows when they are spliced as XML (`ws` is then a header-only
    stub): the values are handed to it instead of being written into `ws`.
    Returns computed column name -> 1-based column.
    """
    used = rows_xml.used if rows_xml is not None else used_columns(ws)
    positions = output_positions(table, sheet, used)
    last_row = ws.max_row
    rows = [int(r) for r in frame.index]
    wanted = set(rows)
    stale = [r for r in range(EXCEL_FIRST_DATA_ROW, last_row + 1) if r not in wanted]
    for col in sheet.outputs:
        kind = kinds[col.name]
        column = positions[col.name]
        header = ws.cell(row=1, column=column, value=col.label(lang))
        header.font = _font(ws, COMPUTED_HEADER_FONT)
        header.fill = COMPUTED_HEADER_FILL
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=False)
        values = column_values(frame, col.name, kind)
        if col.enum is not None:
            labels = {code: col.enum.label(code, lang) for code in col.enum.codes}
            values = convert_each(values, lambda v, labels=labels: _enum_label(v, labels))
        if rows_xml is not None:
            # one cell in the stub fixes the style; its id is read back after openpyxl saves
            proto = _write_column(ws, column, rows[:1], values[:1], kind)
            rows_xml.add_column(column, rows, values, proto)
        else:
            _write_column(ws, column, rows, values, kind)
            for row in stale:
                cell = ws._cells.get((row, column))  # only existing cells: create no empty ones
                if cell is not None and cell.value is not None:
                    cell.value = None
        widths = _Widths()
        widths.see_header(column, col.label(lang))
        widths.see(column, _values_width(values, kind))
        widths.apply(ws, 40)
    if rows_xml is not None:
        rows_xml.columns.update(positions.values())
    return positions


def _data_type(value: object) -> str:
    """openpyxl's type code for a value `cell_value` produced."""
    if isinstance(value, str):
        return "s"
    if isinstance(value, bool):
        return "b"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return "d"
    return "n"


def _write_column(
    ws: Worksheet,
    column: int,
    rows: Sequence[int],
    values: Sequence[object],
    kind: str,
    align: str | None = None,
    font: Font | None = None,
) -> StyleArray | None:
    """Values down one column, all with the kind's number format; returns that style.

    The values come from `cell_value`/`column_values` (already clean), so each cell is made
    directly: openpyxl's `ws.cell(...).value = v` re-checks every value and costs several times
    more, which matters at 100,000 rows. Text stays text even when it starts with "=".
    """
    if not rows:
        return None
    first = ws.cell(row=rows[0], column=column)
    first.number_format = NUMBER_FORMATS[kind]
    if align is not None:
        first.alignment = Alignment(horizontal=align)
    if font is not None:
        first.font = font
    proto = copy(first._style)
    cells = ws._cells
    for row, value in zip(rows, values, strict=True):
        cell = cells.get((row, column))
        if cell is None:
            cell = Cell(ws, row=row, column=column, style_array=proto)
            cells[(row, column)] = cell
        else:
            cell._style = copy(proto)
        cell._value = value
        cell.data_type = _data_type(value)
        if cell.data_type == "d" and kind != DATETIME:
            cell.number_format = NUMBER_FORMATS[DATETIME]  # a date in a text column
    ws._current_row = max(ws._current_row, rows[-1])
    return proto


def _status_rules(ws: Worksheet, column: int, lang: str) -> None:
    """Colour the Log status column by conditional formatting; replace our previous rules."""
    ours = _status_formulas()
    formatting = ws.conditional_formatting
    for cf in list(formatting):
        if _is_our_status_rule(cf, ours):
            del formatting[str(cf.sqref)]
    letter = get_column_letter(column)
    sqref = f"{letter}2:{letter}{EXCEL_MAX_ROW}"
    _add_label_rules(ws, sqref, STATUS_COLOURS, schema.LOG_STATUS, lang)


def _status_formulas() -> set[str]:
    return {
        f'"{schema.LOG_STATUS.label(code, lang)}"'
        for code in schema.LOG_STATUS.codes
        for lang in schema.LANGUAGES
    }


def _is_our_status_rule(cf: object, formulas: set[str]) -> bool:
    ranges = list(cf.sqref.ranges)
    if len(ranges) != 1:
        return False
    rng = ranges[0]
    if rng.min_col != rng.max_col or rng.min_row != 2 or rng.max_row != EXCEL_MAX_ROW:
        return False
    return bool(cf.rules) and all(
        rule.type == "cellIs"
        and rule.operator == "equal"
        and len(rule.formula) == 1
        and rule.formula[0] in formulas
        for rule in cf.rules
    )


def _add_label_rules(
    ws: Worksheet,
    sqref: str,
    colours: dict[str, tuple[str, str, bool]],
    enum: schema.Enum | None,
    lang: str,
    labels: Callable[[str], str] | None = None,
) -> None:
    existing = [rule.priority or 0 for cf in ws.conditional_formatting for rule in cf.rules]
    priority = max(existing, default=0)
    for code, (fill, font, bold) in colours.items():
        text = labels(code) if labels is not None else enum.label(code, lang)
        rule = CellIsRule(
            operator="equal",
            formula=[f'"{text}"'],
            fill=_fill(fill),
            font=Font(color=font, bold=bold),
        )
        priority += 1
        rule.priority = priority
        ws.conditional_formatting.add(sqref, rule)


# ---------------------------------------------------------------------------------------------
# Owned sheets


@dataclass(frozen=True)
class _Col:
    name: str
    kind: str
    header: str
    align: str | None = None


def _columns(spec: Sequence[tuple[str, str]], lang: str) -> list[_Col]:
    return [_Col(name, kind, label(name, lang)) for name, kind in spec]


def _header_row(
    ws: Worksheet, row: int, headers: Sequence[str], widths: _Widths, filter_button: bool = False
) -> None:
    for index, text in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=index, value=text)
        cell.font = _font(ws, HEADER_FONT)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        widths.see_header(index, text, filter_button)


def _write_rows(
    ws: Worksheet,
    first_row: int,
    columns: Sequence[_Col],
    data: dict[str, list[object]],
    widths: _Widths,
    sink: _SheetRows | None = None,
    fonts: dict[str, Font] | None = None,
) -> int:
    """Columns of values from `first_row` down; returns the row after the last one.

    sink: when given, only the first row goes into `ws` (it fixes each column's style) and the
    columns are handed to the sink, which writes them as XML after openpyxl has saved.
    fonts: column name -> font of its cells.
    """
    count = max((len(v) for v in data.values()), default=0)
    rows = list(range(first_row, first_row + count))
    for index, col in enumerate(columns, start=1):
        values = data.get(col.name, [None] * count)
        font = (fonts or {}).get(col.name)
        if sink is not None:
            proto = _write_column(ws, index, rows[:1], values[:1], col.kind, col.align, font)
            sink.add_column(index, rows, values, proto)
        else:
            _write_column(ws, index, rows, values, col.kind, col.align, font)
        widths.see(index, _values_width(values, col.kind))
    return first_row + count


def _table_sheet(
    ws: Worksheet,
    columns: Sequence[_Col],
    data: dict[str, list[object]],
    sink: _SheetRows | None = None,
    fonts: dict[str, Font] | None = None,
) -> int:
    """Header row 1 (frozen, filter) and the data below; returns the last row written."""
    widths = _Widths()
    _header_row(ws, 1, [c.header for c in columns], widths, filter_button=True)
    end = _write_rows(ws, 2, columns, data, widths, sink, fonts)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(end - 1, 1)}"
    widths.apply(ws)
    return end - 1


def _frame_data(frame: pd.DataFrame, columns: Sequence[_Col]) -> dict[str, list[object]]:
    return {c.name: column_values(frame, c.name, c.kind) for c in columns if c.name in frame}


def _fill_validation(ws: Worksheet, report: Report, sink: _SheetRows | None = None) -> None:
    lang = report.language
    columns = [
        _Col(c.name, c.kind, c.header, "center" if c.name == "row" else None)
        for c in _columns(VALIDATION_COLUMNS, lang)
    ]
    findings: list[Finding] = list(report.findings)
    severity = {code: label(code, lang) for code in SEVERITY_COLOURS}
    data: dict[str, list[object]] = {
        "sheet": [cell_value(f.sheet, TEXT) for f in findings],
        "cell": [cell_value(f.cell, TEXT) for f in findings],
        "row": [f.row for f in findings],
        "column": [cell_value(f.column, TEXT) for f in findings],
        "value": [cell_value(f.value, TEXT) for f in findings],
        "severity": [severity.get(f.severity, f.severity) for f in findings],
        "code": [f.code for f in findings],
        "message": [cell_value(f.message, TEXT) for f in findings],
    }
    last = _table_sheet(ws, columns, data, sink, {"cell": _font(ws, LINK_FONT)})
    letter = get_column_letter([c.name for c in columns].index("cell") + 1)
    for row, finding in enumerate(findings, start=2):
        if finding.cell:  # a link to the cell the finding is about
            if sink is not None:
                sink.links.append((f"{letter}{row}", finding.cell))
            else:
                ws[f"{letter}{row}"].hyperlink = Hyperlink(
                    ref=f"{letter}{row}", location=finding.cell
                )
    letter = get_column_letter([c.name for c in columns].index("severity") + 1)
    _add_label_rules(
        ws,
        f"{letter}2:{letter}{max(last, 2)}",
        SEVERITY_COLOURS,
        None,
        lang,
        labels=lambda code: severity[code],
    )


def _fill_overdue(ws: Worksheet, report: Report, sink: _SheetRows | None = None) -> None:
    columns = _columns(OVERDUE_COLUMNS, report.language)
    last = _table_sheet(ws, columns, _frame_data(report.overdue, columns), sink)
    if last >= 2:
        letter = get_column_letter(len(columns))  # overdue_h, the last column
        ws.conditional_formatting.add(
            f"{letter}2:{letter}{last}",
            ColorScaleRule(
                start_type="min", start_color="FFF2CC", end_type="max", end_color="F8696B"
            ),
        )


def _fill_routing(ws: Worksheet, report: Report, sink: _SheetRows | None = None) -> None:
    """One block per approver: a bold title line, then that approver's cases."""
    lang = report.language
    columns = [
        _Col(c.name, c.kind, c.header, "center" if c.name == "priority" else None)
        for c in _columns(ROUTING_COLUMNS, lang)
    ]
    widths = _Widths()
    _header_row(ws, 1, [c.header for c in columns], widths)
    ws.freeze_panes = "A2"
    routes = report.routes
    row = 2
    if len(routes) and "approver" in routes.columns:
        approver = routes["approver"].map(lambda v: cell_value(v, TEXT))
        order = sorted({a for a in approver if a is not None}) + [None]
        for person in order:
            block = routes[approver.isna()] if person is None else routes[approver == person]
            if block.empty:
                continue
            title = person if person is not None else label("unassigned", lang)
            cell = ws.cell(row=row, column=1, value=title)
            cell.font = _font(ws, GROUP_FONT)
            text = label("cases_count", lang).format(n=len(block))
            count = ws.cell(row=row, column=2, value=text)
            count.font = _font(ws, GROUP_FONT)
            for index in range(1, len(columns) + 1):
                ws.cell(row=row, column=index).fill = GROUP_FILL
            widths.see(1, display_width(title) * 1.1)
            data = _frame_data(block, columns)
            if "priority" in data:
                data["priority"] = [_priority_label(v, lang) for v in data["priority"]]
            row = _write_rows(ws, row + 1, columns, data, widths, sink) + 1  # a blank line after
    widths.apply(ws)


def _priority_label(value: object, lang: str) -> object:
    if value is None:
        return None
    code = schema.PRIORITY.lookup().get(schema.normalise_token(value), str(value))
    return schema.PRIORITY.label(code, lang)


def _kpi_value(name: str, kind: str, kpis: dict[str, object], lang: str) -> object:
    value = kpis.get(name)
    if name == "on_time_target_met" and isinstance(value, (bool, np.bool_)):
        return schema.YES_NO.label("yes" if value else "no", lang)
    return cell_value(value, kind)


def _fill_summary(ws: Worksheet, report: Report, sink: _SheetRows | None = None) -> None:
    """KPIs as a label/value table, then the data of the two charts and the charts."""
    lang = report.language
    kpis = report.kpis or {}
    widths = _Widths()
    _header_row(ws, 1, [label("indicator", lang), label("kpi_value", lang)], widths)
    ws.freeze_panes = "A2"
    rows: list[tuple[str, object, str]] = [
        (label("as_of", lang, KPI_LABELS), cell_value(report.as_of, DATETIME), DATETIME)
    ]
    rows += [(label(n, lang, KPI_LABELS), _kpi_value(n, k, kpis, lang), k) for n, k in SUMMARY_ROWS]
    rows += [
        (label("errors", lang, KPI_LABELS), report.errors, INT),
        (label("warnings", lang, KPI_LABELS), report.warnings, INT),
    ]
    row = 2
    for text, value, kind in rows:
        ws.cell(row=row, column=1, value=text)
        cell = _put(ws, row, 2, value)
        cell.number_format = NUMBER_FORMATS[kind]
        cell.alignment = Alignment(horizontal="right")
        widths.see(1, display_width(text))
        widths.see(2, _values_width([value], kind))
        row += 1

    row += 1
    satisfaction = _satisfaction(kpis.get("satisfaction"), lang)
    pie_rows = None
    if satisfaction:
        _header_row(
            ws, row, [label("satisfaction", lang), label("satisfaction_cases", lang)], widths
        )
        first = row + 1
        for text, count in satisfaction:
            ws.cell(row=row + 1, column=1, value=text)
            ws.cell(row=row + 1, column=2, value=count).number_format = NUMBER_FORMATS[INT]
            widths.see(1, display_width(text))
            row += 1
        pie_rows = (first, row)
        row += 2

    bar_rows = None
    stats = report.node_stats
    if len(stats) and "node" in stats.columns:
        columns = [
            _Col("node", TEXT, label("node_title", lang)),
            _Col("mean_h", HOURS, label("node_mean", lang)),
            _Col("sla_h", HOURS, label("node_sla", lang)),
        ]
        _header_row(ws, row, [c.header for c in columns], widths)
        end = _write_rows(ws, row + 1, columns, _frame_data(stats, columns), widths)
        bar_rows = (row, end - 1)
        row = end
    widths.apply(ws)

    if bar_rows is not None:
        ws.add_chart(_bar_chart(ws, bar_rows, lang), "E2")
    if pie_rows is not None and any(count for _, count in satisfaction):
        ws.add_chart(_pie_chart(ws, pie_rows, satisfaction, lang), "E21")


def _satisfaction(raw: object, lang: str) -> list[tuple[str, int]]:
    if not isinstance(raw, dict):
        return []
    lookup = schema.SATISFACTION.lookup()
    counts: dict[str, int] = {}
    for key, count in raw.items():
        code = lookup.get(schema.normalise_token(key), str(key))
        text = schema.SATISFACTION.label(code, lang)
        number = cell_value(count, INT)
        counts[text] = counts.get(text, 0) + (int(number) if number is not None else 0)
    order = {schema.SATISFACTION.label(c, lang): i for i, c in enumerate(schema.SATISFACTION.codes)}
    return sorted(counts.items(), key=lambda item: order.get(item[0], len(order)))


def _bar_chart(ws: Worksheet, rows: tuple[int, int], lang: str) -> BarChart:
    header, last = rows
    chart = BarChart()
    chart.type = "col"
    chart.title = label("bar_title", lang)
    chart.y_axis.title = label("hours_axis", lang)
    data = Reference(ws, min_col=2, max_col=3, min_row=header, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last))
    for series, colour in zip(chart.series, BAR_COLOURS, strict=False):
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
    chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
    chart.y_axis.delete = False
    chart.y_axis.number_format = "0"
    chart.legend.position = "b"
    chart.width, chart.height = 18, 9
    return chart


def _pie_chart(
    ws: Worksheet, rows: tuple[int, int], slices: Sequence[tuple[str, int]], lang: str
) -> PieChart:
    first, last = rows
    chart = PieChart()
    chart.title = label("pie_title", lang)
    chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last))
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    colours = {schema.SATISFACTION.label(c, lang): v for c, v in SATISFACTION_COLOURS.items()}
    for index, (text, _) in enumerate(slices):
        if text in colours:
            point = DataPoint(idx=index)
            point.graphicalProperties.solidFill = colours[text]
            chart.series[0].dPt.append(point)
    # every flag explicit: readers differ on what an absent one means
    chart.dataLabels = DataLabelList(
        showPercent=True,
        showVal=False,
        showCatName=False,
        showSerName=False,
        showLegendKey=False,
        showLeaderLines=False,
    )
    chart.legend.position = "r"
    chart.width, chart.height = 12, 9
    return chart


def _fill_node_stats(ws: Worksheet, report: Report, sink: _SheetRows | None = None) -> None:
    lang = report.language
    columns = _columns(NODE_COLUMNS, lang)
    stats = report.node_stats
    last = _table_sheet(ws, columns, _frame_data(stats, columns))
    bottleneck = (report.kpis or {}).get("bottleneck_node")
    if bottleneck is None or "node" not in stats.columns:
        return
    for row, node in enumerate(stats["node"].tolist(), start=2):
        if row <= last and node == bottleneck:
            for index in range(1, len(columns) + 1):
                cell = ws.cell(row=row, column=index)
                cell.font = _font(ws, HIGHLIGHT_FONT)
                cell.fill = HIGHLIGHT_FILL


# ---------------------------------------------------------------------------------------------
# Fast path: the data rows of the user's sheets travel as XML, not through openpyxl
#
# openpyxl reads about 40,000 and writes about 50,000 cells a second here, and a 100,000-row Log
# with its computed columns is over a million cells. It also saves formulas without their last
# results, which readers that do not calculate (calamine, pandas) then see as empty. So the
# workbook is loaded with every user worksheet cut down to its header row (the stub), openpyxl
# writes everything else, and then each sheet's original data rows, unchanged bytes, with our
# computed cells merged into Log and Cases, replace the rows in openpyxl's output. The rows'
# style ids stay valid because openpyxl writes back every cell style it loaded at its original
# index, and their shared-string ids because the original sharedStrings part is carried over
# (openpyxl 3.1 writes its own strings inline). A sheet whose XML is unusual (namespace
# prefixes, rows or cells without references, a shared formula starting in the header row) is
# left whole for openpyxl. The owned sheets that grow with the book (Validation, Overdue,
# Routing) use the same merge: openpyxl writes their headers, title lines and one styled cell
# per column; the rest is written as XML.

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_DOCUMENT = _REL_NS + "/officeDocument"
_SHARED_STRINGS_REL = _REL_NS + "/sharedStrings"
_WORKSHEET_REL = _REL_NS + "/worksheet"
_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
_SHARED_STRINGS_PART = "xl/sharedStrings.xml"

_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData\b[^>]*?(/?)>")
_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
# dropped from copied row tags: `spans` (a hint that our cells would falsify) and attributes
# in namespaces only the original root declared (x14ac:dyDescent)
_ROW_DROP = re.compile(rb'\s(?:spans|[A-Za-z_][\w.-]*:[\w.-]+)\s*=\s*"[^"]*"')
_CELL_TAG = re.compile(rb"<c[\s/>]")
_CELL_START = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})\d+"')
_FILLED_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})\d+"[^>]*?(?<!/)>')
_PREFIXED_ELEMENT = re.compile(rb"<[A-Za-z_][\w.-]*:")
# a prefixed attribute (other than xml:space) on any tag but <row>
_PREFIXED_ATTRIBUTE = re.compile(
    rb"<(?!row\b)[A-Za-z_][\w.-]*\b[^>]*?\s(?!xml:)[A-Za-z_][\w.-]*:[\w.-]+\s*="
)
_CELL_METADATA = re.compile(rb'\s[cv]m="\d+"')  # ids into metadata.xml, which openpyxl drops
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_DIMENSION_REF = re.compile(rb'<dimension\b[^>]*\bref="([^"]+)"')
# a formula openpyxl would rewrite in the header row while the rows below still point at it
_LINKED_FORMULA = re.compile(rb'<f\b[^>]*\bt="(?:shared|array|dataTable)"')
_XML_ENCODING = re.compile(rb'^<\?xml[^>]*\bencoding="([^"]+)"')


def _attr(element: object, local: str) -> str | None:
    for key, value in element.attrib.items():
        if key == local or key.endswith("}" + local):
            return value
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    folder = posixpath.dirname(base_part)
    return posixpath.normpath(posixpath.join(folder, target))


def _rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


@dataclass
class _Package:
    """Where the parts of an xlsx package are: sheets by title, the shared strings."""

    workbook: str
    sheets: dict[str, str]  # title -> part
    shared_strings: str | None
    worksheets: set[str] = field(default_factory=set)  # titles of worksheets (not chartsheets)

    @classmethod
    def read(cls, archive: zipfile.ZipFile) -> _Package:
        root_rels = ElementTree.fromstring(archive.read("_rels/.rels"))
        workbook = next(
            _resolve("", _attr(rel, "Target") or "")
            for rel in root_rels
            if _attr(rel, "Type") == _OFFICE_DOCUMENT
        )
        rels = {
            _attr(rel, "Id"): (_attr(rel, "Type"), _resolve(workbook, _attr(rel, "Target") or ""))
            for rel in ElementTree.fromstring(archive.read(_rels_part(workbook)))
        }
        sheets: dict[str, str] = {}
        worksheets: set[str] = set()
        for element in ElementTree.fromstring(archive.read(workbook)).iter():
            if _local(element.tag) == "sheet":
                rel = rels.get(_attr(element, "id"))
                if rel is not None:
                    title = _attr(element, "name") or ""
                    sheets[title] = rel[1]
                    if rel[0] == _WORKSHEET_REL:
                        worksheets.add(title)
        strings = next((t for kind, t in rels.values() if kind == _SHARED_STRINGS_REL), None)
        return cls(workbook, sheets, strings, worksheets)


@dataclass
class _Column:
    column: int
    rows: list[int]
    values: list[object]
    style: StyleArray | None


# Pieces of a big sheet are scanned one at a time, so that no list of every match is held. A
# piece ends just after a '>': none of the cell patterns has a '>' but as its last character,
# so no match crosses the cut.
_PIECE = 1 << 22
_ROW_BATCH = 4096  # rows whose computed cells are looked up together
_FLUSH = 1 << 20  # bytes gathered before a write into the zip entry
_CELL_BOUND = 100  # bytes a computed cell takes at most, besides its text (5 bytes a character)


def _pieces(data: bytes, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive pieces of data[start:end], each cut just after a '>'."""
    while start < end:
        cut = data.find(b">", start + _PIECE, end) if start + _PIECE < end else -1
        cut = end if cut < 0 else cut + 1
        yield start, cut
        start = cut


def _count(pattern: re.Pattern[bytes], data: bytes, start: int, end: int) -> int:
    """len(pattern.findall(data[start:end])), piece by piece."""
    return sum(len(pattern.findall(data, a, b)) for a, b in _pieces(data, start, end))


@dataclass
class _Rows:
    """The rows of a sheet's XML: one buffer and offsets, not a bytes object per row.

    numbers: each row's number, in the order of the file.
    spans: per row, start and end in `data` of its tag's attributes and of its content
        (-1, -1 for `<row .../>`).
    start, end: where the rows are in `data`; skip: (start, end) of rows left out (the header).
    clean: drop the `_ROW_DROP` attributes from a row tag when copying it.
    """

    data: bytes = b""
    numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    spans: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=np.int64))
    start: int = 0
    end: int = 0
    skip: list[tuple[int, int]] = field(default_factory=list)
    clean: bool = False

    @classmethod
    def build(
        cls,
        data: bytes,
        found: array,
        start: int,
        end: int,
        skip: list[tuple[int, int]],
        clean: bool,
    ) -> _Rows:
        """found: number, attributes start and end, content start and end of each row."""
        if not found:
            return cls(data, start=start, end=end, skip=skip, clean=clean)
        table = np.frombuffer(found, dtype=np.int64).reshape(-1, 5)
        return cls(data, table[:, 0], table[:, 1:], start, end, skip, clean)

    @classmethod
    def scan(cls, data: bytes, start: int, end: int) -> _Rows:
        """Every row of data[start:end], as openpyxl writes them (tags copied as they are)."""
        found = array("q")
        for match in _ROW.finditer(data, start, end):
            number = int(_ROW_NUMBER.search(match.group(1)).group(1))
            found.extend((number, match.start(1), match.end(1), match.start(2), match.end(2)))
        return cls.build(data, found, start, end, [], clean=False)

    def whole(self, index: int) -> bytes:
        """The XML of one row as it stands in `data`."""
        a0, a1, i0, i1 = self.spans[index].tolist()
        if i0 < 0:
            return b"<row" + self.data[a0:a1] + b"/>"
        return b"<row" + self.data[a0:a1] + b">" + self.data[i0:i1] + b"</row>"


@dataclass
class _Cells:
    """The computed cells of one sheet, in row then column order; their XML is made when written.

    rows, which, index: per cell its row, its `_SheetRows.pending` column and its position in
    that column's values. repeats: some row has two cells in one column.
    """

    rows: np.ndarray
    which: np.ndarray
    index: np.ndarray
    columns: list[int]
    letters: list[str]
    styles: list[str]
    values: list[list[object]]
    epoch: dt.datetime
    repeats: bool
    size: int  # bytes their XML takes at most

    @classmethod
    def of(cls, pending: list[_Column], wb: openpyxl.Workbook) -> _Cells:
        """The cells of the columns, with the style ids as saved."""
        order = sorted({p.column for p in pending})
        rank = {column: i for i, column in enumerate(order)}
        width = max(len(order), 1)
        keys: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        which: list[np.ndarray] = [np.zeros(0, dtype=np.int32)]
        index: list[np.ndarray] = [np.zeros(0, dtype=np.int32)]
        numbers: dict[int, np.ndarray] = {}  # the columns of a sheet share their rows list
        styles: list[str] = []
        size = 0
        for j, p in enumerate(pending):
            if len(p.rows) != len(p.values):
                raise ValueError(f"column {p.column}: {len(p.rows)} rows, {len(p.values)} values")
            style = wb._cell_styles.add(p.style) if p.style is not None else 0
            styles.append(f' s="{style}"' if style else "")
            rows = numbers.get(id(p.rows))
            if rows is None:
                rows = numbers[id(p.rows)] = np.asarray(p.rows, dtype=np.int64)
            filled = np.fromiter((v is not None for v in p.values), dtype=bool, count=len(p.values))
            at = np.flatnonzero(filled)
            keys.append(rows[at] * width + rank[p.column])
            which.append(np.full(len(at), j, dtype=np.int32))
            index.append(at.astype(np.int32))
            text = sum(len(v) for v in p.values if isinstance(v, str))
            size += _CELL_BOUND * len(at) + 5 * text
        key = np.concatenate(keys)
        # stable: cells of one row and column keep the order they were given in
        order_by = np.argsort(key, kind="stable")
        key = key[order_by]
        repeats = bool(len(key) > 1 and (key[1:] == key[:-1]).any())
        return cls(
            rows=key // width,
            which=np.concatenate(which)[order_by],
            index=np.concatenate(index)[order_by],
            columns=[p.column for p in pending],
            letters=[get_column_letter(p.column) for p in pending],
            styles=styles,
            values=[p.values for p in pending],
            epoch=wb.epoch,
            repeats=repeats,
            size=size,
        )

    def of_rows(self, numbers: np.ndarray) -> Iterator[list[tuple[int, str]]]:
        """Per row of `numbers`: [(column, cell XML)] in column order."""
        lo = np.searchsorted(self.rows, numbers, "left")
        counts = np.searchsorted(self.rows, numbers, "right") - lo
        total = int(counts.sum())
        take = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
        which = self.which[take].tolist()
        index = self.index[take].tolist()
        columns, letters, styles, values = self.columns, self.letters, self.styles, self.values
        epoch = self.epoch
        k = 0
        for number, count in zip(numbers.tolist(), counts.tolist(), strict=True):
            news: list[tuple[int, str]] = []
            for _ in range(count):
                j = which[k]
                value = values[j][index[k]]
                k += 1
                kind = type(value)
                if kind is float or kind is int:  # the bulk: hours, counts
                    xml = f'<c r="{letters[j]}{number}"{styles[j]}><v>{value!r}</v></c>'
                else:
                    xml = _cell_xml(f"{letters[j]}{number}", styles[j], value, epoch)
                news.append((columns[j], xml))
            yield news


@dataclass
class _SheetRows:
    """The data rows of one sheet as XML, and the computed cells to merge into them.

    For a user sheet (Log, Cases) the rows are the original ones, and every old cell in a
    computed column is dropped. For a generated sheet (an owned sheet openpyxl writes) the rows
    are openpyxl's own, and a new cell replaces only the cell at its place.
    """

    title: str
    part: str | None = None
    stub: bytes = b""  # the sheet's XML with only its header row
    rows: _Rows = field(default_factory=_Rows)
    max_column: int = 1  # rightmost column of the original sheet
    pending: list[_Column] = field(default_factory=list)
    columns: set[int] = field(default_factory=set)  # computed columns of a user sheet
    generated: bool = False
    links: list[tuple[str, str]] = field(default_factory=list)  # cell -> place in the book

    @classmethod
    def parse(cls, title: str, part: str, xml: bytes) -> _SheetRows | None:
        """Split a sheet's XML into stub and rows; None if it is not in the usual form."""
        encoding = _XML_ENCODING.match(xml)
        if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
            return None
        found = _SHEET_DATA.search(xml)
        if found is None or found.group(1):
            return None
        if found.group(2):  # <sheetData/>: nothing to carry
            return cls(title, part, xml)
        dimension = _DIMENSION_REF.search(xml)
        close = xml.find(b"</sheetData>", found.end())
        if close < 0:
            return None
        data, start, end = xml, found.end(), close  # the rows stay in `xml`: no copy
        if _count(_CELL_TAG, data, start, end) != _count(_CELL_START, data, start, end):
            return None  # a cell without its reference
        if _PREFIXED_ELEMENT.search(data, start, end) or _PREFIXED_ATTRIBUTE.search(
            data, start, end
        ):
            return None  # a prefix our output would not declare (row tags are cleaned below)
        if _CELL_METADATA.search(data, start, end):
            data = _CELL_METADATA.sub(b"", data[start:end])
            start, end = 0, len(data)
        rows = array("q")  # number, attributes start and end, content start and end
        header = b""
        skip: list[tuple[int, int]] = []
        position = start
        for match in _ROW.finditer(data, start, end):
            if data[position : match.start()].strip():
                return None  # something other than rows in sheetData
            position = match.end()
            number = _ROW_NUMBER.search(match.group(1))
            if number is None:
                return None
            row = int(number.group(1))
            if row == 1:
                header = match.group(0)
                if _LINKED_FORMULA.search(header):
                    return None
                skip.append((match.start(), match.end()))
                continue
            rows.extend((row, match.start(1), match.end(1), match.start(2), match.end(2)))
        if data[position:end].strip():
            return None
        if dimension is not None:
            last = dimension.group(1).split(b":")[-1].rstrip(b"0123456789").lstrip(b"$")
            max_column = _column_index(last) if last else 1
        else:
            letters: set[bytes] = set()
            for a, b in _pieces(xml, found.end(), close):
                letters.update(_CELL_START.findall(xml, a, b))
            max_column = max(map(_column_index, letters), default=1)
        stub = xml[: found.end()] + header + xml[close:]
        table = _Rows.build(data, rows, start, end, skip, clean=True)
        return cls(title, part, stub, table, max_column)

    @functools.cached_property
    def used(self) -> set[int]:
        """Columns holding a value in some data row (asked only of Log and Cases)."""
        rows = self.rows
        found: set[bytes] = set()
        position = rows.start
        for skip_start, skip_end in [*rows.skip, (rows.end, rows.end)]:
            for a, b in _pieces(rows.data, position, skip_start):
                found.update(_FILLED_CELL.findall(rows.data, a, b))
            position = skip_end
        return {_column_index(letters) for letters in found}

    def add_column(
        self, column: int, rows: list[int], values: list[object], style: StyleArray | None
    ) -> None:
        self.pending.append(_Column(column, rows, values, style))

    def write(self, xml: bytes, wb: openpyxl.Workbook, out: zipfile.ZipFile, name: str) -> None:
        """Write openpyxl's XML of the sheet, with the rows and new cells put in, as `name`.

        The sheet is streamed into the zip entry a row batch at a time: at a million rows it
        is several hundred MB, and whole copies of it are what a refresh's memory went on.
        """
        found = _SHEET_DATA.search(xml)
        if found is None or found.group(1):
            raise WorkbookError(f"cannot put the rows of '{self.title}' back (unexpected XML)")
        if found.group(2):
            end = found.end()
            written = _Rows()
        else:
            close = xml.find(b"</sheetData>", found.end())
            end = close + len(b"</sheetData>")
            written = _Rows.scan(xml, found.end(), close)
        cells = _Cells.of(self.pending, wb)
        if self.generated:
            rows = written
            header = b""
            clear = None
        else:
            rows = self.rows
            ones = np.flatnonzero(written.numbers == 1)
            header = written.whole(int(ones[0])) if len(ones) else b""
            clear = self.columns
        # rows with new cells and no row of their own, put in before the next higher row
        present = rows.numbers
        extra = np.unique(cells.rows)
        extra = extra[~np.isin(extra, present)]
        if not self.generated:
            extra = extra[extra > 1]
        last_row = max(1, int(present.max(initial=1)), int(extra.max(initial=1)))
        at = np.searchsorted(np.maximum.accumulate(present), extra, side="right")
        sequence = np.insert(present, at, extra)
        source = np.insert(np.arange(len(present)), at, -1)  # -1: a new row

        columns = {self.max_column} | self.columns | {p.column for p in self.pending}
        dimension = f'<dimension ref="A1:{get_column_letter(max(columns))}{last_row}"/>'.encode()
        head = xml[: found.start()]
        tail = xml[end:]
        if self.links:
            tail = _with_links(tail, 0, self.links)
        head, replaced = _DIMENSION.subn(lambda _: dimension, head, count=1)
        if not replaced:
            tail = _DIMENSION.sub(lambda _: dimension, tail, count=1)

        bound = len(head) + len(tail) + len(header) + (rows.end - rows.start)
        bound += cells.size + 40 * len(extra) + 64
        # a Zip64 entry only when it may need one: some readers dislike it on a small entry
        with out.open(name, "w", force_zip64=bound * 1.05 > zipfile.ZIP64_LIMIT) as stream:
            buffer: list[bytes] = [head, b"<sheetData>", header]
            size = 0
            data, spans, clean, repeats = rows.data, rows.spans, rows.clean, cells.repeats
            for first in range(0, len(sequence), _ROW_BATCH):
                numbers = sequence[first : first + _ROW_BATCH]
                sources = source[first : first + _ROW_BATCH]
                if len(spans):
                    places = spans[np.maximum(sources, 0)].tolist()
                else:
                    places = [None] * len(sources)
                batch = zip(
                    numbers.tolist(), sources.tolist(), places, cells.of_rows(numbers), strict=True
                )
                for number, index, place, news in batch:
                    if index < 0:
                        piece = _row_xml(b' r="%d"' % number, b"", news, repeats)
                    else:
                        a0, a1, i0, i1 = place
                        attrs = data[a0:a1]
                        if clean:
                            attrs = _ROW_DROP.sub(b"", attrs)
                        inner = data[i0:i1] if i0 >= 0 else b""
                        piece = _merge_row(attrs, inner, news, clear, repeats)
                    buffer.append(piece)
                    size += len(piece)
                if size >= _FLUSH:
                    stream.write(b"".join(buffer))
                    buffer.clear()
                    size = 0
            buffer += [b"</sheetData>", tail]
            stream.write(b"".join(buffer))


# Elements that follow <hyperlinks> in a worksheet (CT_Worksheet's order).
_AFTER_HYPERLINKS = re.compile(
    rb"<(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|customProperties"
    rb"|cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|legacyDrawingHF|picture"
    rb"|oleObjects|controls|webPublishItems|tableParts|extLst)\b|</worksheet>"
)


def _with_links(xml: bytes, after: int, links: list[tuple[str, str]]) -> bytes:
    """Add internal hyperlinks (cell -> place in the workbook) at their place in the sheet.

    after: where sheetData ends; the hyperlinks go before the first element that follows them.
    """
    quote = {'"': "&quot;"}
    items = "".join(
        f'<hyperlink ref="{ref}" location="{xml_escape(place, quote)}"/>' for ref, place in links
    )
    at = _AFTER_HYPERLINKS.search(xml, after).start()
    return xml[:at] + f"<hyperlinks>{items}</hyperlinks>".encode() + xml[at:]


def _cell_xml(ref: str, style: str, value: object, epoch: dt.datetime) -> str:
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value != value.strip() else ""
        text = xml_escape(value)
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        value = to_excel(value, epoch)
    return f'<c r="{ref}"{style}><v>{value!r}</v></c>'


def _row_xml(
    attrs: bytes, inner: bytes, news: list[tuple[int, str]], repeats: bool = False
) -> bytes:
    """A row with the new cells (in column order) after its content.

    repeats: some row has two new cells in one column; those go in the order of their XML.
    """
    cells = "".join(xml for _, xml in (sorted(news) if repeats else news)).encode()
    if not inner and not cells:
        return b"<row" + attrs + b"/>"
    return b"<row" + attrs + b">" + inner + cells + b"</row>"


@functools.lru_cache(maxsize=4096)
def _column_index(letters: bytes) -> int:
    return column_index_from_string(letters.decode())


def _merge_row(
    attrs: bytes,
    inner: bytes,
    news: list[tuple[int, str]],
    clear: set[int] | None,
    repeats: bool = False,
) -> bytes:
    """One row with the new cells (in column order) merged in column order.

    clear: columns whose old cells all go (a user sheet's computed columns); None: a new cell
    replaces only the old cell at its own column.
    """
    drop = clear if clear is not None else {column for column, _ in news}
    starts = list(_CELL_START.finditer(inner)) if inner and drop else []
    # Cells left of the first column we write are kept as they are; only the tail is sorted out.
    first = min(drop, default=0)
    cut = len(starts)
    while cut and _column_index(starts[cut - 1].group(1)) >= first:
        cut -= 1
    if cut == len(starts):
        return _row_xml(attrs, inner, news, repeats)  # the usual case: new cells go at the end
    pieces: list[tuple[int, bytes]] = []
    for index in range(cut, len(starts)):
        match = starts[index]
        stop = starts[index + 1].start() if index + 1 < len(starts) else len(inner)
        column = _column_index(match.group(1))
        if column not in drop:
            pieces.append((column, inner[match.start() : stop]))
    pieces.extend((column, xml.encode()) for column, xml in news)
    pieces.sort(key=lambda piece: piece[0])
    content = inner[: starts[cut].start()] + b"".join(xml for _, xml in pieces)
    if not content.strip():
        return b"<row" + attrs + b"/>"
    return b"<row" + attrs + b">" + content + b"</row>"


def _without_rows(xml: bytes) -> bytes:
    found = _SHEET_DATA.search(xml)
    if found is None or found.group(1) or found.group(2):
        return xml
    close = xml.find(b"</sheetData>", found.end())
    return xml if close < 0 else xml[: found.end()] + xml[close:]


@dataclass
class _Splice:
    """The stub workbook openpyxl loads, and what `finish` puts back into its output."""

    stub: bytes
    sheets: dict[str, _SheetRows]  # by sheet title
    shared_strings: bytes | None

    @classmethod
    def prepare(cls, source: Path) -> _Splice | None:
        """Cut each user worksheet to its header row and each owned sheet to nothing.

        A user sheet whose XML is not in the usual form is left whole: openpyxl rewrites it.
        None when the package cannot be read at all (the plain path then says why).
        """
        try:
            with zipfile.ZipFile(source) as archive:
                package = _Package.read(archive)
                present = set(archive.namelist())
                sheets: dict[str, _SheetRows] = {}
                stubs: dict[str, bytes] = {}
                for title, part in package.sheets.items():
                    if title not in package.worksheets or part not in present:
                        continue
                    xml = archive.read(part)
                    if schema.output_sheet_for_title(title) is not None:
                        stubs[part] = _without_rows(xml)  # replaced anyway: not worth loading
                        continue
                    rows = _SheetRows.parse(title, part, xml)
                    if rows is not None:
                        sheets[title] = rows
                        stubs[part] = rows.stub
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as stub:
                    for info in archive.infolist():
                        data = stubs.get(info.filename)
                        stub.writestr(info.filename, data or archive.read(info.filename))
                strings = (
                    archive.read(package.shared_strings)
                    if package.shared_strings in present
                    else None
                )
        except (OSError, KeyError, StopIteration, zipfile.BadZipFile, ElementTree.ParseError):
            return None
        return cls(buffer.getvalue(), sheets, strings)

    def sheet(self, title: str) -> _SheetRows | None:
        return self.sheets.get(title)

    def generated(self, title: str) -> _SheetRows:
        """Register a sheet openpyxl creates whose bulk cells are written as XML."""
        rows = _SheetRows(title, generated=True)
        self.sheets[title] = rows
        return rows

    def finish(self, saved: bytes, target: Path, wb: openpyxl.Workbook) -> None:
        """Write openpyxl's output `saved` to `target` with the data rows put back."""
        with zipfile.ZipFile(io.BytesIO(saved)) as written:
            package = _Package.read(written)
            if package.shared_strings is not None and self.shared_strings is not None:
                raise WorkbookError("cannot carry the shared strings over (openpyxl wrote its own)")
            parts = {package.sheets[title]: rows for title, rows in self.sheets.items()}
            rels = _rels_part(package.workbook)
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
                for info in written.infolist():
                    data = written.read(info.filename)
                    if info.filename in parts:
                        parts[info.filename].write(data, wb, out, info.filename)
                        continue
                    if self.shared_strings is not None and info.filename == rels:
                        data = data.replace(
                            b"</Relationships>",
                            f'<Relationship Id="rIdSheetflowStrings" Type="{_SHARED_STRINGS_REL}"'
                            f' Target="/{_SHARED_STRINGS_PART}"/></Relationships>'.encode(),
                        )
                    elif self.shared_strings is not None and info.filename == "[Content_Types].xml":
                        data = data.replace(
                            b"</Types>",
                            f'<Override PartName="/{_SHARED_STRINGS_PART}"'
                            f' ContentType="{_SHARED_STRINGS_TYPE}"/></Types>'.encode(),
                        )
                    out.writestr(info.filename, data)
                if self.shared_strings is not None:
                    out.writestr(_SHARED_STRINGS_PART, self.shared_strings)

    def check(self, path: Path) -> None:
        """Parse the spliced sheets of the written file: well-formed, every prefix declared."""
        with zipfile.ZipFile(path) as archive:
            package = _Package.read(archive)
            for rows in self.sheets.values():
                parser = expat.ParserCreate(namespace_separator=" ")
                try:
                    with archive.open(package.sheets[rows.title]) as stream:
                        while chunk := stream.read(_FLUSH):
                            parser.Parse(chunk, False)
                    parser.Parse(b"", True)
                except expat.ExpatError as exc:
                    message = f"the written sheet '{rows.title}' is damaged ({exc})"
                    raise WorkbookError(message) from exc
