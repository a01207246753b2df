"""The Summary sheet as a one-page dashboard (SPEC §6, §10): title, error banner, KPI tiles
against their targets, the indicator table, charts, and the manager views. Pure, like `layout`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sheetflow.core import i18n, schema, summary
from sheetflow.core import plan as P
from sheetflow.core.cellvalues import (
    column_values,
    display_width,
    label,
    lateness,
    owned_title,
    table_columns,
)
from sheetflow.core.plan import Block, Cell, Chart, Column, Series, SheetPlan
from sheetflow.core.report import Report

BAR_COLOURS = ("4472C4", "A5A5A5")  # mean duration, SLA


SATISFACTION_COLOURS: dict[str, str] = {
    "very_satisfied": "2E7D32",
    "satisfied": "8BC34A",
    "neutral": "BDBDBD",
    "dissatisfied": "E53935",
}


SUMMARY_ROWS: tuple[tuple[str, str], ...] = (
    ("cases_total", P.INT),
    ("cases_open", P.INT),
    ("cases_closed", P.INT),
    ("case_elapsed_mean_h", P.HOURS),
    ("case_elapsed_median_h", P.HOURS),
    ("on_time_rate", P.RATE),
    ("on_time_target", P.RATE),
    ("on_time_target_met", P.TEXT),
    ("overdue_open", P.INT),
    ("overdue_rate", P.RATE),
    ("bottleneck_node", P.TEXT),
)


def _kpi_value(name: str, kpis: dict[str, object], lang: str) -> object:
    value = kpis.get(name)
    if name == "on_time_target_met" and isinstance(value, (bool, np.bool_)):
        return label("yes" if value else "no", lang)
    return value


DASHBOARD_WIDTH = 8  # columns the title and the banner span


KPI_TOP = 7  # the indicator table starts below the title, banner and tiles


def summary_sheet(report: Report) -> SheetPlan:
    """A one-page dashboard: title, banner, KPI tiles, the indicator table, charts, views."""
    lang = report.language
    kpis = report.kpis or {}
    cells: list[Cell] = _dashboard_head(report)
    row, width_a = _indicator_table(report, cells, KPI_TOP)
    charts: list[Chart] = []
    row = _satisfaction_table(kpis, lang, cells, charts, row + 1, width_a)
    blocks: list[Block] = []
    row = _node_table(report, blocks, charts, row)
    row = _views(report, cells, blocks, charts, max(row + 1, KPI_TOP + 33))
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
        widths={1: round(min(width_a + 2, 40), 1), 2: 19, 3: 14, 4: 14, 5: 14, 6: 16, 7: 18},
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
        ("open", kpis.get("cases_open"), P.INT, "neutral"),
        ("overdue", overdue, P.INT, "bad" if overdue else "good"),
        ("at_risk", at_risk, P.INT, "warn" if at_risk else "good"),
        ("on_time", rate, P.RATE, rate_style),
        ("mean_close", kpis.get("case_elapsed_mean_h"), P.HOURS, "neutral"),
        ("bottleneck", kpis.get("bottleneck_node"), P.TEXT, "neutral"),
    ]


def _indicator_table(report: Report, cells: list[Cell], top: int) -> tuple[int, float]:
    """The §6 indicators as label / value rows; returns the next free row and column A's width."""
    lang = report.language
    kpis = report.kpis or {}
    cells.append(Cell(top, 1, i18n.text("label.indicator", lang), style="header"))
    cells.append(Cell(top, 2, i18n.text("label.kpi_value", lang), style="header"))
    rows: list[tuple[str, object, str]] = [
        (i18n.text("kpi.as_of", lang), report.as_of.to_pydatetime(), P.DATETIME)
    ]
    rows += [(i18n.text(f"kpi.{n}", lang), _kpi_value(n, kpis, lang), k) for n, k in SUMMARY_ROWS]
    rows += [
        (i18n.text("kpi.errors", lang), report.errors, P.INT),
        (i18n.text("kpi.warnings", lang), report.warnings, P.INT),
    ]
    width_a = display_width(i18n.text("label.indicator", lang)) * 1.1
    row = top + 1
    for text, value, kind in rows:
        if isinstance(value, float) and math.isnan(value):
            value = None
        if kind == P.HOURS and isinstance(value, float):
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
        cells.append(Cell(row, 2, count, P.INT))
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
    spec = (("node", P.TEXT, "node_title"), ("mean_h", P.HOURS, "node_mean"))
    spec += (("sla_h", P.HOURS, "node_sla"),)
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
            "of_sla",
            i18n.text("dash.of_sla", lang),
            column_values(pd.Series(share), P.RATE),
            P.RATE,
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


def _views(report: Report, cells: list[Cell], blocks: list[Block], charts: list[Chart], row: int):
    """The manager views of SPEC §10, one titled table each, the weekly trend with a chart,
    then the overdue and at-risk lists (the worst first)."""
    kpis, lang = report.kpis or {}, report.language
    row = _weekly_view(kpis, lang, cells, blocks, charts, row)
    row = _table_views(kpis, lang, cells, blocks, row)
    row = _aging_view(kpis, lang, cells, blocks, row)
    row = _work_list(report, "overdue", cells, blocks, row)
    return _work_list(report, "at_risk", cells, blocks, row)


def _weekly_view(
    kpis: dict[str, object],
    lang: str,
    cells: list[Cell],
    blocks: list[Block],
    charts: list[Chart],
    row: int,
) -> int:
    weeks = kpis.get("by_week") or []
    if not weeks:
        return row
    cells.append(Cell(row, 1, i18n.text("view.by_week", lang), style="section"))
    block = Block(
        row + 1,
        1,
        (
            Column("week", i18n.text("view.week", lang), [w["week"] for w in weeks]),
            Column("opened", i18n.text("view.opened", lang), [w["opened"] for w in weeks], P.INT),
            Column("closed", i18n.text("view.closed", lang), [w["closed"] for w in weeks], P.INT),
            Column(
                "on_time_rate",
                i18n.text("view.on_time_rate", lang),
                [w["on_time_rate"] for w in weeks],
                P.RATE,
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
    return max(block.bottom, row + 15) + 2


TABLE_VIEWS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("workload", "view.assignee", ("open", "overdue", "at_risk")),
    ("by_department", "view.department", ("cases", "open", "overdue", "on_time_rate")),
    ("by_priority", "view.priority", ("cases", "open", "overdue", "on_time_rate")),
)


def _table_views(
    kpis: dict[str, object], lang: str, cells: list[Cell], blocks: list[Block], row: int
) -> int:
    for name, key_label, fields in TABLE_VIEWS:
        table = kpis.get(name) or {}
        if not table:
            continue
        keys = list(table)
        shown = [_view_key(name, k, lang) for k in keys]
        columns = [Column(name, i18n.text(key_label, lang), shown)]
        for field in fields:
            kind = P.RATE if field == "on_time_rate" else P.INT
            values = [table[k].get(field) for k in keys]
            columns.append(Column(field, i18n.text(f"view.{field}", lang), values, kind))
        cells.append(Cell(row, 1, i18n.text(f"view.{name}", lang), style="section"))
        block = Block(row + 1, 1, tuple(columns))
        blocks.append(block)
        row = block.bottom + 2
    return row


AGING_KEYS = {"<24h": "lt_24h", "24-72h": "24_72h", "72h-7d": "72h_7d", ">7d": "gt_7d"}


def _aging_view(
    kpis: dict[str, object], lang: str, cells: list[Cell], blocks: list[Block], row: int
) -> int:
    aging = kpis.get("aging") or {}
    if not aging:
        return row
    cells.append(Cell(row, 1, i18n.text("view.aging", lang), style="section"))
    buckets = [i18n.text(f"view.aging_{AGING_KEYS.get(k, k)}", lang) for k in aging]
    block = Block(
        row + 1,
        1,
        (
            Column("bucket", i18n.text("view.aging_bucket", lang), buckets),
            Column("count", i18n.text("view.open", lang), list(aging.values()), P.INT),
        ),
    )
    blocks.append(block)
    return block.bottom + 2


WORK_LIST_ROWS = 15  # the worst rows shown on the dashboard; the rest by filtering Log


def _work_list(report: Report, status: str, cells: list[Cell], blocks: list[Block], row: int):
    """The overdue (most late first) or at-risk (least time left first) open steps: who, what,
    due, and how late or how much working time is left; a line says how many more there are."""
    lang = report.language
    items = report.overdue if status == "overdue" else report.at_risk
    if items is None or items.empty:
        return row
    # every work-item column there (a hand-made report may lack some): blanks where absent
    shown = items.head(WORK_LIST_ROWS).reindex(columns=summary.WORK_ITEM_COLUMNS)
    title = i18n.text("view.overdue_list" if status == "overdue" else "view.at_risk_list", lang)
    cells.append(Cell(row, 1, f"{title} ({len(items)})", style="section"))
    spec = [("case_id", P.TEXT), ("title", P.TEXT), ("node", P.TEXT), ("assignee", P.TEXT)]
    spec += [("manager", P.TEXT), ("due", P.DATETIME)]
    columns = list(table_columns(shown, spec, lang))
    if status == "overdue":
        days = column_values(shown["late_days"], P.INT)
        hours = column_values(shown["late_hours"], P.HOURS)
        late = [lateness(d, h, lang) for d, h in zip(days, hours, strict=True)]
        columns.append(Column("late", i18n.text("view.late_working", lang), late))
    else:
        left = column_values(shown["left_working_h"], P.HOURS)
        columns.append(Column("left", i18n.text("view.left_working", lang), left, P.HOURS))
    block = Block(row + 1, 1, tuple(columns))
    blocks.append(block)
    row = block.bottom + 1
    if len(items) > len(shown):
        more = i18n.text(
            "view.more_rows",
            lang,
            n=len(items) - len(shown),
            status=schema.LOG_STATUS.label(status, lang),
            sheet=report.book.title("Log"),
        )
        cells.append(Cell(row, 1, more, style="subtitle"))
        row += 1
    return row + 1


def _view_key(view: str, key: str, lang: str) -> str:
    if view == "by_priority" and key in schema.PRIORITY.codes:
        return i18n.text(f"priority.{key}", lang)
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
    """ "Very satisfied" / 非常满意 (the catalog's friendly label), else the code as typed."""
    key = f"satisfaction.{code}"
    return i18n.text(key, lang) if i18n.has(key) else code
