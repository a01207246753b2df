"""Report -> output plan: every label, value, colour and position sheetflow writes (SPEC §5).

Pure: the doors (xlsx package, xlwings, Google Sheets) render the `OutputPlan` this returns
and decide nothing themselves. Values are converted here once, a whole column at a time.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd

from sheetflow.core import dashboard, schema, summary
from sheetflow.core.cellvalues import (  # noqa: F401 - column_width, label: used by doors/tests
    EXCEL_MAX_ROW,
    column_values,
    column_width,
    display_width,
    enum_labels,
    label,
    owned_title,
    table_columns,
)
from sheetflow.core.plan import (
    AMOUNT,
    DATETIME,
    HOURS,
    INT,
    RATE,
    TEXT,
    Block,
    Cell,
    ColourScale,
    Column,
    LabelFill,
    OutputPlan,
    Patch,
    SheetPlan,
    cell_ref,
    column_letter,
)
from sheetflow.core.report import Report
from sheetflow.core.workbook import Table

STATUS_COLOURS: dict[str, tuple[str, str, bool]] = {  # fill, font, bold
    "overdue": ("E53935", "FFFFFF", True),
    "at_risk": ("FFC000", "000000", False),
    "done_late": ("FFC7CE", "9C0006", False),
}
SEVERITY_COLOURS: dict[str, tuple[str, str, bool]] = {
    "error": ("FFC7CE", "9C0006", False),
    "warning": ("FFEB9C", "9C5700", False),
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
# the Overdue sheet: summary's columns (the `overdue --format json` items), each with its format
_OVERDUE_KINDS = {"start": DATETIME, "due": DATETIME, "duration_h": HOURS, "sla_h": HOURS,
                  "overdue_h": HOURS}  # fmt: skip
OVERDUE_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (name, _OVERDUE_KINDS.get(name, TEXT)) for name in summary.OVERDUE_COLUMNS
) + (  # after SPEC §8's: what a manager needs to act without opening Cases
    ("title", TEXT),
    ("priority", TEXT),
    ("department", TEXT),
    ("late_days", INT),
    ("late_hours", HOURS),
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
# Owned sheets in the order they are added after the user's sheets.
SHEET_ORDER = ("Summary", "Overdue", "Routing", "NodeStats", "Validation")


def build_plan(report: Report) -> OutputPlan:
    """Everything `report` puts into its workbook: computed columns and owned sheets."""
    lang = report.language
    patches = tuple(p for p in (_log_patch(report), _cases_patch(report)) if p is not None)
    builders = {
        "Summary": dashboard.summary_sheet,
        "Overdue": _overdue,
        "Routing": _routing,
        "NodeStats": _node_stats,
        "Validation": _validation,
    }
    titles = report.book.output_titles()
    sheets = tuple(
        dataclasses.replace(builders[name](report), title=titles[name][0], previous=titles[name][1])
        for name in SHEET_ORDER
    )
    summary = next(s for s in sheets if s.name == "Summary")
    return OutputPlan(
        language=lang,
        as_of=report.as_of.to_pydatetime(),
        patches=patches,
        sheets=sheets,
        active=summary.title,
    )


# ---------------------------------------------------------------------------------------------
# Values, a whole column at a time


# ---------------------------------------------------------------------------------------------
# Computed columns on Log and Cases


def output_positions(table: Table, sheet: schema.Sheet) -> tuple[int, ...]:
    """1-based column of each computed column: where the last run put it, else appended.

    Columns a merged range covers on the header row are skipped.
    """
    positions: dict[str, int] = {}
    for col in sheet.outputs:
        ref = table.outputs.get(col.name)
        if ref is not None:
            positions[col.name] = ref.index + 1
    # a header inside a merged range on the header row would be hidden: go past the merge
    taken = set(positions.values()) | {i + 1 for i in table.merged}
    next_col = table.width + 1
    for col in sheet.outputs:
        if col.name in positions:
            continue
        while next_col in taken:
            next_col += 1
        positions[col.name] = next_col
        taken.add(next_col)
        next_col += 1
    return tuple(positions[col.name] for col in sheet.outputs)


def _patch(report: Report, name: str, frame: pd.DataFrame, kinds: dict[str, str]) -> Patch | None:
    table = report.book.table(name)
    if table is None:
        return None
    lang = report.language
    sheet = schema.SHEETS_BY_NAME[name]
    rows = [int(r) for r in frame.index]
    columns = []
    for col in sheet.outputs:
        kind = kinds[col.name]
        source = frame[col.name] if col.name in frame.columns else pd.Series([None] * len(frame))
        if col.enum is not None and set(source.dropna().unique()) <= set(col.enum.codes):
            # computed codes (status, case_status): one label per code, mapped in bulk
            labels = {code: col.enum.label(code, lang) for code in col.enum.codes}
            mapped = source.map(labels)
            values = mapped.astype(object).where(mapped.notna(), None).tolist()
        else:
            values = column_values(source, kind)
            if col.enum is not None:
                values = enum_labels(values, col.enum, lang)
        header = col.label(lang)
        columns.append(
            Column(
                key=col.name,
                header=header,
                values=values,
                kind=kind,
                width=column_width(header, values, kind, cap=40),
            )
        )
    positions = output_positions(table, sheet)
    fills: tuple[LabelFill, ...] = ()
    if name == "Log":
        status_col = positions[[c.name for c in sheet.outputs].index("status")]
        letter = column_letter(status_col)
        ref = f"{letter}{_header_row(table) + 1}:{letter}{EXCEL_MAX_ROW}"
        fills = tuple(
            LabelFill(ref, schema.LOG_STATUS.label(code, lang), fill, font, bold)
            for code, (fill, font, bold) in STATUS_COLOURS.items()
        )
    return Patch(
        sheet=name,
        title=table.title,
        header_row=_header_row(table),
        rows=rows,
        columns=tuple(columns),
        positions=positions,
        fills=fills,
        autofilter=None,
    )


def _header_row(table: Table) -> int:
    return int(getattr(table, "header_row", 1))


def _log_patch(report: Report) -> Patch | None:
    return _patch(report, "Log", report.log, LOG_KINDS)


def _cases_patch(report: Report) -> Patch | None:
    return _patch(report, "Cases", report.cases, CASES_KINDS)


# ---------------------------------------------------------------------------------------------
# Owned sheets


def _list_sheet(name: str, lang: str, columns: tuple[Column, ...], **extra: object) -> SheetPlan:
    """A header row (frozen, with a filter) and the rows below."""
    count = max((len(c.values) for c in columns), default=0)
    last = max(count + 1, 1)
    return SheetPlan(
        name=name,
        title=owned_title(name, lang),
        blocks=(Block(1, 1, columns),),
        widths={i: c.width for i, c in enumerate(columns, start=1) if c.width},
        freeze="A2",
        autofilter=f"A1:{column_letter(len(columns))}{last}",
        **extra,
    )


def _validation(report: Report) -> SheetPlan:
    lang = report.language
    findings = list(report.findings)
    severity = {code: label(code, lang) for code in SEVERITY_COLOURS}
    frame = pd.DataFrame(
        {
            "sheet": [f.sheet for f in findings],
            "cell": [f.cell for f in findings],
            "row": [f.row for f in findings],
            "column": [f.column for f in findings],
            "value": [None if f.value is None else _as_text(f.value) for f in findings],
            "severity": [severity.get(f.severity, f.severity) for f in findings],
            "code": [f.code for f in findings],
            "message": [f.message for f in findings],
        },
        dtype=object,
    )
    columns = list(table_columns(frame, VALIDATION_COLUMNS, lang))
    at = [c.key for c in columns].index("cell")
    links = [_link(f.cell) for f in findings]
    columns[at] = Column(
        "cell", columns[at].header, columns[at].values, TEXT, columns[at].width, "link", links
    )
    letter = column_letter([c.key for c in columns].index("severity") + 1)
    ref = f"{letter}2:{letter}{max(len(findings) + 1, 2)}"
    fills = tuple(
        LabelFill(ref, severity[code], fill, font, bold)
        for code, (fill, font, bold) in SEVERITY_COLOURS.items()
    )
    return _list_sheet("Validation", lang, tuple(columns), fills=fills)


def _as_text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    return str(value)


def _link(cell: str | None) -> str | None:
    """`Log!D8` -> a link target within the book (`'Log'!D8`)."""
    if not cell or "!" not in cell:
        return None
    sheet, ref = cell.rsplit("!", 1)
    sheet = sheet.strip("'").replace("''", "'")
    return "'" + sheet.replace("'", "''") + "'!" + ref


def _overdue(report: Report) -> SheetPlan:
    lang = report.language
    columns = table_columns(report.overdue, OVERDUE_COLUMNS, report.language)
    scales: tuple[ColourScale, ...] = ()
    count = len(report.overdue)
    if count:
        letter = column_letter([c.key for c in columns].index("overdue_h") + 1)
        scales = (ColourScale(f"{letter}2:{letter}{count + 1}", "FFF2CC", "F8696B"),)
    return _list_sheet("Overdue", lang, columns, scales=scales)


def _routing(report: Report) -> SheetPlan:
    """One block per approver: a title line, then that approver's cases."""
    lang = report.language
    routes = report.routes
    header_columns = table_columns(routes.iloc[0:0], ROUTING_COLUMNS, lang)
    widths = {i: c.width or 10 for i, c in enumerate(header_columns, start=1)}
    cells: list[Cell] = []
    blocks: list[Block] = [Block(1, 1, header_columns)]
    row = 2
    if len(routes) and "approver" in routes.columns:
        # every value converted once, in approver order (then the unassigned), then sliced
        approver = pd.Series(column_values(routes["approver"], TEXT), index=routes.index)
        names = sorted({a for a in approver if a is not None})
        rank = approver.map({name: i for i, name in enumerate(names)}).fillna(len(names))
        order = np.argsort(rank.to_numpy(), kind="stable")
        ordered, people = routes.iloc[order], approver.iloc[order].tolist()
        columns = table_columns(ordered, ROUTING_COLUMNS, lang)
        for i, c in enumerate(columns, start=1):
            widths[i] = max(widths[i], c.width or 0)
        start = 0
        for person, group in itertools.groupby(people):
            end = start + sum(1 for _ in group)
            title = person if person is not None else label("unassigned", lang)
            count = label("cases_count", lang).format(n=end - start)
            cells.append(Cell(row, 1, title, style="group"))
            cells.append(Cell(row, 2, count, style="group"))
            cells.extend(
                Cell(row, col, None, style="group") for col in range(3, len(header_columns) + 1)
            )
            widths[1] = max(widths[1], display_width(title) * 1.1 + 2)
            block = tuple(dataclasses.replace(c, values=c.values[start:end]) for c in columns)
            # the block's own header row is the group line: values start right below it
            blocks.append(Block(row, 1, block, header_style=None))
            row += end - start + 2  # the group line, the rows, a blank line
            start = end
    return SheetPlan(
        name="Routing",
        title=owned_title("Routing", lang),
        cells=tuple(cells),
        blocks=tuple(blocks),
        widths=widths,
        freeze="A2",
    )


def _node_stats(report: Report) -> SheetPlan:
    lang = report.language
    stats = report.node_stats
    columns = list(table_columns(stats, NODE_COLUMNS, lang))
    bottleneck = (report.kpis or {}).get("bottleneck_node")
    if bottleneck is not None and "node" in stats.columns:
        marks = ["highlight" if node == bottleneck else None for node in stats["node"].tolist()]
        columns = [
            Column(c.key, c.header, c.values, c.kind, c.width, c.style, c.links, marks)
            for c in columns
        ]
    return _list_sheet("NodeStats", lang, tuple(columns))


def cell_address(row: int, col: int) -> str:
    return cell_ref(row, col)
