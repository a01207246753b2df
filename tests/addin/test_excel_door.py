"""The Excel door through xlwings' remote engine: what it reads and which actions it sends."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwings as xw

from sheetflow import pipeline
from sheetflow.core import plan as P
from sheetflow.io.excel import ExcelDoor, hyperlink_formula
from sheetflow.io.xlsx import read_workbook
from tests.addin.officejs import book_json

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-10-09T16:00"
LOG_OUTPUTS = (
    ("duration_h", P.HOURS),
    ("sla_h", P.HOURS),
    ("due", P.DATETIME),
    ("status", P.TEXT),
    ("overdue_h", P.HOURS),
)


def _generate():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = module
    spec.loader.exec_module(module)
    return module


def synthetic(tmp_path: Path, log_rows: int) -> Path:
    path = tmp_path / f"log_{log_rows}.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    for title, rows in _generate().sheets(log_rows).items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, float):
        return round(value, 2)
    return value


def hand_made_plan(report) -> P.OutputPlan:  # noqa: ANN001
    """A plan as layout would shape it: Log's computed columns and an Overdue sheet."""
    log = report.book.table("Log")
    rows = [int(r) for r in report.log.index]
    columns = tuple(
        P.Column(key, key, [_plain(v) for v in report.log[key]], kind) for key, kind in LOG_OUTPUTS
    )
    patch = P.Patch(
        "Log",
        log.title,
        1,
        rows,
        columns,
        tuple(range(log.width + 1, log.width + 1 + len(columns))),
        fills=(P.LabelFill(f"H2:H{max(rows)}", "overdue", "FFC7CE", "9C0006", True),),
    )
    overdue = report.overdue
    block = P.Block(
        3,
        1,
        tuple(
            P.Column(
                key,
                key,
                [_plain(v) for v in overdue[key]],
                links=[f"'{log.title}'!A2"] * len(overdue) if key == "case_id" else None,
            )
            for key in ("case_id", "node", "assignee", "overdue_h")
        ),
    )
    sheet = P.SheetPlan(
        "Overdue",
        "Overdue",
        cells=(P.Cell(1, 1, "Overdue work", style="title"),),
        blocks=(block,),
        widths={1: 12, 2: 20},
        freeze="A4",
        charts=(P.Chart("bar", "Overdue", "A4:A6", (P.Series("h", "D4:D6"),), anchor="F3"),),
    )
    return P.OutputPlan(report.language, report.as_of.to_pydatetime(), (patch,), (sheet,))


def remote_book(path: Path, **kwargs) -> xw.Book:
    return xw.Book(json=book_json(path, **kwargs))


@pytest.mark.parametrize("name", ["complaints_en.xlsx", "complaints_zh.xlsx", "purchase_zh.xlsx"])
def test_reading_through_excel_gives_what_the_file_gives(name: str) -> None:
    path = ROOT / "workbooks" / name
    as_of = pipeline.parse_as_of(AS_OF)
    from_file = pipeline.compute(read_workbook(path), as_of)
    from_excel = pipeline.compute(ExcelDoor(remote_book(path)).read(), as_of)
    assert from_excel.language == from_file.language
    pd.testing.assert_frame_equal(from_excel.log, from_file.log)
    pd.testing.assert_frame_equal(from_excel.cases, from_file.cases)
    assert from_excel.kpis == from_file.kpis
    assert [f.to_json() for f in from_excel.findings] == [f.to_json() for f in from_file.findings]


def _actions(book: xw.Book, func: str) -> list[dict]:
    return [a for a in book.json()["actions"] if a["func"] == func]


def test_computed_columns_are_one_bulk_write_with_the_pipeline_values() -> None:
    path = ROOT / "workbooks" / "complaints_en.xlsx"
    report = pipeline.compute(read_workbook(path), pipeline.parse_as_of(AS_OF))
    book = remote_book(path)
    door = ExcelDoor(book)
    door.read()
    door.write(hand_made_plan(report))
    log_position = [s.name for s in book.sheets].index(report.book.table("Log").title)
    writes = [a for a in _actions(book, "setValues") if a["sheet_position"] == log_position]
    header, body = writes  # the header cells, then every row of the five columns at once
    assert header["values"] == [[k for k, _ in LOG_OUTPUTS]]
    assert body["start_row"] == 1 and body["row_count"] == max(report.log.index) - 1
    assert body["column_count"] == 5
    got = pd.DataFrame(body["values"], columns=[k for k, _ in LOG_OUTPUTS])
    for key, kind in LOG_OUTPUTS:
        expected = [_plain(v) for v in report.log[key]]
        column = [None if v == "" else v for v in got[key]]
        if kind == P.DATETIME:  # the remote engine sends datetimes as ISO text
            column = [None if v is None else dt.datetime.fromisoformat(v) for v in column]
        assert column == expected, key
    formats = {a["args"][0] for a in _actions(book, "setNumberFormat")}
    assert {"0.00", "yyyy-mm-dd hh:mm"} <= formats
    rule = _actions(book, "addConditionalFormat")[0]["args"][0]
    assert rule["formula"] == '=H2="overdue"' and rule["fill_color"] == "#ffc7ce"


def test_an_owned_sheet_is_added_with_its_values_links_and_chart() -> None:
    path = ROOT / "workbooks" / "complaints_en.xlsx"
    report = pipeline.compute(read_workbook(path), pipeline.parse_as_of(AS_OF))
    assert len(report.overdue) > 0
    book = remote_book(path)
    ExcelDoor(book).write(hand_made_plan(report))
    added = _actions(book, "addSheet")
    assert [a["args"][1] for a in added] == ["Overdue"]
    position = added[0]["args"][0]
    (sheet_write,) = [a for a in _actions(book, "setValues") if a["sheet_position"] == position]
    values = sheet_write["values"]
    assert values[0][0] == "Overdue work"
    assert values[2] == ["case_id", "node", "assignee", "overdue_h"]
    body = values[3 : 3 + len(report.overdue)]
    assert [r[1] for r in body] == list(report.overdue["node"])
    assert [r[3] for r in body] == [round(v, 2) for v in report.overdue["overdue_h"]]
    first_case = report.overdue["case_id"].iloc[0]
    assert body[0][0] == hyperlink_formula(f"'{report.book.table('Log').title}'!A2", first_case)
    assert _actions(book, "freezePaneAtRange")[0]["args"] == ["A4"]
    assert _actions(book, "addChart")[0]["args"][3] == "$A$3:$D$6"


def test_the_number_of_actions_does_not_grow_with_the_log(tmp_path: Path) -> None:
    counts = {}
    for size in (10, 10_000):
        path = synthetic(tmp_path, size)
        workbook_value = read_workbook(path)
        report = pipeline.compute(workbook_value, pipeline.parse_as_of("2024-12-31T16:00"))
        book = remote_book(path)
        door = ExcelDoor(book)
        door.read()
        door.write(hand_made_plan(report))
        counts[size] = len(book.json()["actions"])
        assert counts[size] == door.actions
    assert counts[10] == counts[10_000]


def test_the_plans_looks_reach_excel_charts_row_styles_alignment_and_rules() -> None:
    from sheetflow.core import layout

    path = ROOT / "workbooks" / "complaints_en.xlsx"
    report = pipeline.compute(read_workbook(path), pipeline.parse_as_of(AS_OF))
    plan = layout.build_plan(report)
    book = remote_book(path)
    door = ExcelDoor(book)
    door.write(plan)
    actions = book.json()["actions"]
    assert door.actions == len(actions)
    titles = [s.name for s in book.sheets]

    def on(title: str, func: str) -> list[dict]:
        return [
            a for a in actions if a["func"] == func and a["sheet_position"] == titles.index(title)
        ]

    # charts: title, legend, value axis, series colours (pie slices have no call in xlwings)
    summary = plan.sheet("Summary")
    assert [a["args"][1] for a in on("Summary", "setChartTitle")] == [
        c.title for c in summary.charts
    ]
    legends = [a["args"][2] for a in on("Summary", "setChartLegend")]
    assert legends == ["Right" if c.kind == "pie" else "Bottom" for c in summary.charts]
    axes = [c for c in summary.charts if c.y_title or c.y_format]
    assert [a["args"][1:] for a in on("Summary", "setChartAxis")] == [
        ["value", {"title": c.y_title, "number_format": c.y_format}] for c in axes
    ]
    assert [a["args"][1:] for a in on("Summary", "setChartSeries")] == [
        [i, {"fill_color": "#" + s.colour.lower()}]
        for c in summary.charts
        if c.kind != "pie"
        for i, s in enumerate(c.series)
    ]
    # NodeStats: the bottleneck line's fill in one call, its font on the whole line at once
    stats = plan.sheet("NodeStats")
    marks = stats.blocks[0].columns[0].styles
    line = 2 + marks.index("highlight")
    (colours,) = on("NodeStats", "setRangeColors")
    assert colours["start_row"] == 1 and colours["row_count"] == len(marks)
    assert colours["args"][0][line - 2] == ["#ffeb9c"] * len(stats.blocks[0].columns)
    assert all(
        c == "keep" for i, row in enumerate(colours["args"][0]) if i != line - 2 for c in row
    )
    fonts = {
        tuple(a["args"]) for a in on("NodeStats", "setFontProperty") if a["start_row"] == line - 1
    }
    assert fonts == {("bold", True), ("color", "#9c5700")}
    # alignment: headers centred, Summary's values right-aligned
    assert any(
        a["args"] == ["Center"] and a["start_row"] == 0
        for a in on("Validation", "setHorizontalAlignment")
    )
    assert any(a["args"] == ["Right"] for a in on("Summary", "setHorizontalAlignment"))
    # conditional formats: severity labels on Validation, the colour scale on Overdue
    rules = [a["args"][0] for a in on("Validation", "addConditionalFormat")]
    assert sorted(r["formula"] for r in rules) == sorted(
        f'={f.ref.split(":")[0]}="{f.text}"' for f in plan.sheet("Validation").fills
    )
    (scale,) = on("Overdue", "addConditionalFormat")
    low_high = plan.sheet("Overdue").scales[0]
    assert scale["args"][0]["type"] == "ColorScale"
    assert scale["args"][0]["colors"] == ["#" + low_high.low.lower(), "#" + low_high.high.lower()]
    assert scale["row_count"] == len(report.overdue)
