"""Report -> output plan: every label, value, colour and position sheetflow writes (SPEC §5).

Pure: the doors (xlsx package, xlwings, Google Sheets) render the `OutputPlan` this returns
and decide nothing themselves. Values are converted here once, a whole column at a time.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sheetflow.core import i18n, schema, summary
from sheetflow.core.plan import (
    AMOUNT,
    DATETIME,
    HOURS,
    INT,
    RATE,
    TEXT,
    Block,
    Cell,
    Chart,
    ColourScale,
    Column,
    LabelFill,
    OutputPlan,
    Patch,
    Series,
    SheetPlan,
    cell_ref,
    column_letter,
)
from sheetflow.core.report import Report
from sheetflow.core.workbook import Table

EXCEL_MAX_ROW = 1_048_576
EXCEL_MAX_TEXT = 32_767
# characters no XML 1.0 document may hold (Excel refuses them too)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

STATUS_COLOURS: dict[str, tuple[str, str, bool]] = {  # fill, font, bold
    "overdue": ("E53935", "FFFFFF", True),
    "at_risk": ("FFC000", "000000", False),
    "done_late": ("FFC7CE", "9C0006", False),
}
SEVERITY_COLOURS: dict[str, tuple[str, str, bool]] = {
    "error": ("FFC7CE", "9C0006", False),
    "warning": ("FFEB9C", "9C5700", False),
}
BAR_COLOURS = ("4472C4", "A5A5A5")  # mean duration, SLA
SATISFACTION_COLOURS: dict[str, str] = {
    "very_satisfied": "2E7D32",
    "satisfied": "8BC34A",
    "neutral": "BDBDBD",
    "dissatisfied": "E53935",
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
# Owned sheets in the order they are added after the user's sheets.
SHEET_ORDER = ("Summary", "Overdue", "Routing", "NodeStats", "Validation")


def build_plan(report: Report) -> OutputPlan:
    """Everything `report` puts into its workbook: computed columns and owned sheets."""
    lang = report.language
    patches = tuple(p for p in (_log_patch(report), _cases_patch(report)) if p is not None)
    builders = {
        "Summary": _summary,
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


def owned_title(name: str, lang: str) -> str:
    """Title of an owned sheet (Validation, Overdue...) in the book's language."""
    return i18n.text(f"core.owned_sheet.{name}", lang)


def label(name: str, lang: str) -> str:
    return i18n.text(f"label.{name}", lang)


# ---------------------------------------------------------------------------------------------
# Values, a whole column at a time


def clean_text(value: object) -> str | None:
    text = _ILLEGAL.sub("", value if isinstance(value, str) else str(value))[:EXCEL_MAX_TEXT]
    return text if text.strip() else None


def column_values(series: pd.Series | Sequence[object], kind: str) -> list[object]:
    """Cells of one column as plain Python values: hours rounded, naive datetimes, clean text."""
    series = series if isinstance(series, pd.Series) else pd.Series(list(series), dtype=object)
    if kind in (HOURS, AMOUNT, RATE, INT):
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        if kind == HOURS:
            numbers = np.round(numbers, 2)
        finite = np.isfinite(numbers)
        out = numbers.astype(object)
        if kind == INT:
            whole = finite & (numbers == np.floor(numbers))
            out[whole] = numbers[whole].astype(np.int64).astype(object)
        out[~finite] = None
        return out.tolist()
    if kind == DATETIME:
        stamps = pd.to_datetime(series, errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)
        missing = stamps.isna().to_numpy()
        out = np.array(stamps.dt.to_pydatetime(), dtype=object)
        out[missing] = None
        return out.tolist()
    return _each(series.tolist(), _text_cell)


def _text_cell(value: object) -> object:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (bool, int)):
        return value
    return clean_text(value)


def _each(values: list[object], convert) -> list[object]:  # noqa: ANN001
    """`convert` applied once per distinct value (labels repeat down a column)."""
    try:
        done = {(type(v), v): convert(v) for v in values}
    except TypeError:  # an unhashable value
        return [convert(v) for v in values]
    return [done[(type(v), v)] for v in values]


def enum_labels(values: list[object], enum: schema.Enum, lang: str) -> list[object]:
    labels = {code: enum.label(code, lang) for code in enum.codes}
    lookup = enum.lookup()

    def one(value: object) -> object:
        if value is None:
            return None
        code = lookup.get(schema.normalise_token(value), str(value))
        return labels.get(code, str(value))

    return _each(values, one)


def display_width(text: str) -> int:
    """Width of text in Excel's character units: CJK and other wide characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def values_width(values: Iterable[object], kind: str) -> float:
    if kind == DATETIME:
        return 16
    if kind == RATE:
        return 7
    if kind in (HOURS, AMOUNT, INT):
        numbers = [abs(v) for v in values if isinstance(v, (int, float))]
        if not numbers:
            return 0
        top = max(numbers)
        if kind == INT:
            return len(str(int(top))) + 1
        return len(f"{top:,.2f}" if kind == AMOUNT else f"{top:.2f}") + 1
    widest = 0
    for text in {v if isinstance(v, str) else str(v) for v in values if v is not None}:
        widest = max(widest, display_width(text))
    return widest


def column_width(header: str, values: Sequence[object], kind: str, cap: float = 60) -> float:
    """Characters a column needs: its header (bold, a filter button) or its widest value."""
    width = max(display_width(header) * 1.1 + 2, values_width(values, kind))
    return round(min(max(width + 2, 6), cap), 1)


# ---------------------------------------------------------------------------------------------
# Computed columns on Log and Cases


def output_positions(table: Table, sheet: schema.Sheet) -> tuple[int, ...]:
    """1-based column of each computed column: where the last run put it, else appended.

    Columns right of the header that hold user data without a header are skipped.
    """
    positions: dict[str, int] = {}
    for col in sheet.outputs:
        ref = table.outputs.get(col.name)
        if ref is not None:
            positions[col.name] = ref.index + 1
    taken = set(positions.values()) | {i + 1 for i in getattr(table, "extra_used", ())}
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


def _table_columns(
    frame: pd.DataFrame, spec: Sequence[tuple[str, str]], lang: str
) -> tuple[Column, ...]:
    columns = []
    for key, kind in spec:
        values = column_values(frame[key], kind) if key in frame.columns else [None] * len(frame)
        if key == "priority":
            values = enum_labels(values, schema.PRIORITY, lang)
        header = label(key, lang)
        style = "center" if key in ("row", "priority") else None
        columns.append(
            Column(key, header, values, kind, column_width(header, values, kind), style=style)
        )
    return tuple(columns)


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
    columns = list(_table_columns(frame, VALIDATION_COLUMNS, lang))
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
    columns = _table_columns(report.overdue, OVERDUE_COLUMNS, report.language)
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
    header_columns = _table_columns(routes.iloc[0:0], ROUTING_COLUMNS, lang)
    widths = {i: c.width or 10 for i, c in enumerate(header_columns, start=1)}
    cells: list[Cell] = []
    blocks: list[Block] = [Block(1, 1, header_columns)]
    row = 2
    if len(routes) and "approver" in routes.columns:
        approver = pd.Series(column_values(routes["approver"], TEXT), index=routes.index)
        order = sorted({a for a in approver if a is not None}) + [None]
        for person in order:
            block = routes[approver.isna()] if person is None else routes[approver == person]
            if block.empty:
                continue
            title = person if person is not None else label("unassigned", lang)
            count = label("cases_count", lang).format(n=len(block))
            cells.append(Cell(row, 1, title, style="group"))
            cells.append(Cell(row, 2, count, style="group"))
            cells.extend(
                Cell(row, col, None, style="group") for col in range(3, len(header_columns) + 1)
            )
            widths[1] = max(widths[1], display_width(title) * 1.1 + 2)
            columns = _table_columns(block, ROUTING_COLUMNS, lang)
            for i, c in enumerate(columns, start=1):
                widths[i] = max(widths[i], c.width or 0)
            # the block's own header row is the group line: values start right below it
            blocks.append(Block(row, 1, columns, header_style=None))
            row += len(block) + 2  # the group line, the rows, a blank line
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
    columns = list(_table_columns(stats, NODE_COLUMNS, lang))
    bottleneck = (report.kpis or {}).get("bottleneck_node")
    if bottleneck is not None and "node" in stats.columns:
        marks = ["highlight" if node == bottleneck else None for node in stats["node"].tolist()]
        columns = [
            Column(c.key, c.header, c.values, c.kind, c.width, c.style, c.links, marks)
            for c in columns
        ]
    return _list_sheet("NodeStats", lang, tuple(columns))


def _kpi_value(name: str, kpis: dict[str, object], lang: str) -> object:
    value = kpis.get(name)
    if name == "on_time_target_met" and isinstance(value, (bool, np.bool_)):
        return schema.YES_NO.label("yes" if value else "no", lang)
    return value


DASHBOARD_WIDTH = 8  # columns the title and the banner span
KPI_TOP = 7  # the indicator table starts below the title, banner and tiles


def _summary(report: Report) -> SheetPlan:
    """A one-page dashboard: title, banner, KPI tiles, the indicator table, charts, views."""
    lang = report.language
    kpis = report.kpis or {}
    cells: list[Cell] = _dashboard_head(report)
    row, width_a = _indicator_table(report, cells, KPI_TOP)
    charts: list[Chart] = []
    row = _satisfaction_table(kpis, lang, cells, charts, row + 1, width_a)
    blocks: list[Block] = []
    row = _node_table(report, blocks, charts, row)
    row = _views(kpis, lang, cells, blocks, charts, max(row + 1, KPI_TOP + 33))
    for cell in cells:
        if cell.col == 1 and isinstance(cell.value, str) and cell.merge_to is None:
            width_a = max(width_a, display_width(cell.value))
    for block in blocks:
        for value in block.columns[0].values:
            if isinstance(value, str):
                width_a = max(width_a, display_width(value))
    return SheetPlan(
        name="Summary",
        title=owned_title("Summary", lang),
        cells=tuple(cells),
        blocks=tuple(blocks),
        widths={1: round(min(width_a + 2, 40), 1), 2: 19, 3: 14, 4: 14, 5: 14, 6: 16},
        charts=tuple(charts),
        tab_colour="1F4E78",
    )


def _dashboard_head(report: Report) -> list[Cell]:
    """The title line, a banner when validation found errors, and the KPI tiles."""
    lang = report.language
    kpis = report.kpis or {}
    stamp = report.as_of.strftime("%Y-%m-%d %H:%M")
    cells = [
        Cell(
            1,
            1,
            i18n.text("dash.title", lang, as_of=stamp),
            style="title",
            merge_to=DASHBOARD_WIDTH,
        )
    ]
    if report.errors:
        validation = report.book.output_titles()["Validation"][0]
        text = i18n.text("dash.banner", lang, n=report.errors, sheet=validation)
        link = "'" + validation.replace("'", "''") + "'!A1"
        cells.append(Cell(2, 1, text, style="banner", link=link, merge_to=DASHBOARD_WIDTH))
    for col, (key, value, kind, style) in enumerate(_tiles(kpis), start=1):
        cells.append(Cell(4, col, i18n.text(f"dash.tile.{key}", lang), style="tile_label"))
        cells.append(Cell(5, col, value, kind, style=style))
    return cells


def _tiles(kpis: dict[str, object]) -> list[tuple[str, object, str, str]]:
    """(key, value, kind, style) of each tile; the style says red / amber / green."""
    rate, target = kpis.get("on_time_rate"), kpis.get("on_time_target")
    if rate is None or target is None:
        rate_style = "neutral"
    elif rate >= target:
        rate_style = "good"
    else:
        rate_style = "warn" if rate >= float(target) - 0.1 else "bad"
    overdue = kpis.get("overdue_open") or 0
    at_risk = kpis.get("at_risk_open") or 0
    return [
        ("open", kpis.get("cases_open"), INT, "neutral"),
        ("overdue", overdue, INT, "bad" if overdue else "good"),
        ("at_risk", at_risk, INT, "warn" if at_risk else "good"),
        ("on_time", rate, RATE, rate_style),
        ("mean_close", kpis.get("case_elapsed_mean_h"), HOURS, "neutral"),
        ("bottleneck", kpis.get("bottleneck_node"), TEXT, "neutral"),
    ]


def _indicator_table(report: Report, cells: list[Cell], top: int) -> tuple[int, float]:
    """The §6 indicators as label / value rows; returns the next free row and column A's width."""
    lang = report.language
    kpis = report.kpis or {}
    cells.append(Cell(top, 1, i18n.text("label.indicator", lang), style="header"))
    cells.append(Cell(top, 2, i18n.text("label.kpi_value", lang), style="header"))
    rows: list[tuple[str, object, str]] = [
        (i18n.text("kpi.as_of", lang), report.as_of.to_pydatetime(), DATETIME)
    ]
    rows += [(i18n.text(f"kpi.{n}", lang), _kpi_value(n, kpis, lang), k) for n, k in SUMMARY_ROWS]
    rows += [
        (i18n.text("kpi.errors", lang), report.errors, INT),
        (i18n.text("kpi.warnings", lang), report.warnings, INT),
    ]
    width_a = display_width(i18n.text("label.indicator", lang)) * 1.1
    row = top + 1
    for text, value, kind in rows:
        if isinstance(value, float) and math.isnan(value):
            value = None
        if kind == HOURS and isinstance(value, float):
            value = round(value, 2)
        cells.append(Cell(row, 1, text))
        cells.append(Cell(row, 2, value, kind, style="right"))
        width_a = max(width_a, display_width(text))
        row += 1
    return row, width_a


def _satisfaction_table(
    kpis: dict[str, object],
    lang: str,
    cells: list[Cell],
    charts: list[Chart],
    row: int,
    width_a: float,
) -> int:
    satisfaction = _satisfaction(kpis.get("satisfaction"), lang)
    if not satisfaction:
        return row
    cells.append(Cell(row, 1, i18n.text("label.satisfaction", lang), style="header"))
    cells.append(Cell(row, 2, i18n.text("label.satisfaction_cases", lang), style="header"))
    first = row + 1
    for _, text, count in satisfaction:
        row += 1
        cells.append(Cell(row, 1, text))
        cells.append(Cell(row, 2, count, INT))
    if any(count for _, _, count in satisfaction):
        colours = tuple(SATISFACTION_COLOURS.get(code, "BDBDBD") for code, _, _ in satisfaction)
        series = Series(
            i18n.text("label.satisfaction_cases", lang), f"B{first}:B{row}", point_colours=colours
        )
        charts.append(
            Chart(
                kind="pie",
                title=i18n.text("label.pie_title", lang),
                categories=f"A{first}:A{row}",
                series=(series,),
                anchor=f"F{KPI_TOP + 18}",  # below the node chart
                width_cm=12,
                height_cm=6.5,
                show_percent=True,
            )
        )
    return row + 2


def _node_table(report: Report, blocks: list[Block], charts: list[Chart], row: int) -> int:
    """Mean duration against the limit per node, as a percentage of the limit (so a 0.5 h node
    shows beside a 48 h one), with the clock each node counts in."""
    lang = report.language
    stats = report.node_stats
    if not len(stats) or "node" not in stats.columns:
        return row
    spec = (("node", TEXT, "node_title"), ("mean_h", HOURS, "node_mean"))
    spec += (("sla_h", HOURS, "node_sla"),)
    columns = [
        Column(key, label(text, lang), column_values(stats[key], kind), kind)
        for key, kind, text in spec
    ]
    mean = pd.to_numeric(stats["mean_h"], errors="coerce").to_numpy(dtype=float)
    sla = pd.to_numeric(stats["sla_h"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(sla > 0, mean / sla, np.nan)
    columns.append(
        Column(
            "of_sla", i18n.text("dash.of_sla", lang), column_values(pd.Series(share), RATE), RATE
        )
    )
    block = Block(row, 1, tuple(columns))
    blocks.append(block)
    first, last = row + 1, block.bottom
    charts.insert(
        0,
        Chart(
            kind="bar",
            title=i18n.text("dash.node_chart", lang),
            categories=f"A{first}:A{last}",
            series=(Series(columns[3].header, f"D{first}:D{last}", BAR_COLOURS[0]),),
            anchor=f"F{KPI_TOP}",
            width_cm=16,
            height_cm=8,
            y_title=i18n.text("dash.of_sla", lang),
            y_format="0%",
        ),
    )
    return block.bottom + 2


def _views(
    kpis: dict[str, object],
    lang: str,
    cells: list[Cell],
    blocks: list[Block],
    charts: list[Chart],
    row: int,
) -> int:
    """The manager views of SPEC §10, one titled table each, the weekly trend with a chart."""
    weeks = kpis.get("by_week") or []
    if weeks:
        cells.append(Cell(row, 1, i18n.text("view.by_week", lang), style="section"))
        block = Block(
            row + 1,
            1,
            (
                Column("week", i18n.text("view.week", lang), [w["week"] for w in weeks]),
                Column("opened", i18n.text("view.opened", lang), [w["opened"] for w in weeks], INT),
                Column("closed", i18n.text("view.closed", lang), [w["closed"] for w in weeks], INT),
                Column(
                    "on_time_rate",
                    i18n.text("view.on_time_rate", lang),
                    [w["on_time_rate"] for w in weeks],
                    RATE,
                ),
            ),
        )
        blocks.append(block)
        first, last = block.top + 1, block.bottom
        charts.append(
            Chart(
                kind="column",
                title=i18n.text("view.by_week", lang),
                categories=f"A{first}:A{last}",
                series=(
                    Series(block.columns[1].header, f"B{first}:B{last}", BAR_COLOURS[0]),
                    Series(block.columns[2].header, f"C{first}:C{last}", BAR_COLOURS[1]),
                ),
                anchor=f"F{row}",
                width_cm=16,
                height_cm=7,
            )
        )
        row = max(block.bottom, row + 15) + 2
    for name, key_label, fields in (
        ("workload", "view.assignee", ("open", "overdue", "at_risk")),
        ("by_department", "view.department", ("cases", "open", "overdue", "on_time_rate")),
        ("by_priority", "view.priority", ("cases", "open", "overdue", "on_time_rate")),
    ):
        table = kpis.get(name) or {}
        if not table:
            continue
        keys = list(table)
        shown = [_view_key(name, k, lang) for k in keys]
        columns = [Column(name, i18n.text(key_label, lang), shown)]
        for field in fields:
            kind = RATE if field == "on_time_rate" else INT
            columns.append(
                Column(
                    field,
                    i18n.text(f"view.{field}", lang),
                    [table[k].get(field) for k in keys],
                    kind,
                )
            )
        cells.append(Cell(row, 1, i18n.text(f"view.{name}", lang), style="section"))
        block = Block(row + 1, 1, tuple(columns))
        blocks.append(block)
        row = block.bottom + 2
    aging = kpis.get("aging") or {}
    if aging:
        buckets = {"<24h": "lt_24h", "24-72h": "24_72h", "72h-7d": "72h_7d", ">7d": "gt_7d"}
        cells.append(Cell(row, 1, i18n.text("view.aging", lang), style="section"))
        block = Block(
            row + 1,
            1,
            (
                Column(
                    "bucket",
                    i18n.text("view.aging_bucket", lang),
                    [i18n.text(f"view.aging_{buckets.get(k, k)}", lang) for k in aging],
                ),
                Column("count", i18n.text("view.open", lang), list(aging.values()), INT),
            ),
        )
        blocks.append(block)
        row = block.bottom + 2
    return row


def _view_key(view: str, key: str, lang: str) -> str:
    if view == "by_priority" and key in schema.PRIORITY.codes:
        return schema.PRIORITY.label(key, lang)
    if key == "":
        return i18n.text(
            "view.no_department" if view == "by_department" else "view.no_assignee", lang
        )
    return key


def _satisfaction(raw: object, lang: str) -> list[tuple[str, str, int]]:
    """(code, label, count) in the enum's order."""
    if not isinstance(raw, dict):
        return []
    lookup = schema.SATISFACTION.lookup()
    counts: dict[str, int] = {}
    for key, count in raw.items():
        code = lookup.get(schema.normalise_token(key), str(key))
        counts[code] = counts.get(code, 0) + int(count or 0)
    order = {code: i for i, code in enumerate(schema.SATISFACTION.codes)}
    return [
        (code, _satisfaction_label(code, lang), counts[code])
        for code in sorted(counts, key=lambda c: order.get(c, len(order)))
    ]


def _satisfaction_label(code: str, lang: str) -> str:
    """"Very satisfied" / 非常满意 (the catalog's friendly label), else the code as typed."""
    key = f"satisfaction.{code}"
    return i18n.text(key, lang) if i18n.has(key) else code


def cell_address(row: int, col: int) -> str:
    return cell_ref(row, col)
