"""write_report against real files: written with openpyxl, read back with openpyxl and calamine."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from copy import copy
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from python_calamine import CalamineWorkbook

from sheetflow.core import i18n, layout, schema
from sheetflow.core.findings import Findings
from sheetflow.core.report import Report
from sheetflow.core.workbook import Workbook, build_workbook
from sheetflow.errors import LockedError, UsageError, WorkbookError
from sheetflow.io import safety
from sheetflow.io.xlsx import read_snapshot, sheetxml, write_plan
from sheetflow.io.xlsx import writer as xlsx_writer
from sheetflow.io.xlsx.reader import ownership_of
from tests.helpers import calamine_rows


def write_report(source: Path, report: Report, out: Path | None = None) -> Path:
    """The file door's write: the report's plan into the workbook read from `source`."""
    snap, _ = read_snapshot(source)
    return write_plan(snap, layout.build_plan(report), out)


AS_OF = pd.Timestamp("2024-05-06 16:00")
T = dt.datetime

# Sheet titles and headers per language; the rows are the same.
TITLES = {
    "en": {"Process": "Process", "Cases": "Cases", "Log": "Log"},
    "zh": {"Process": "流程定义", "Cases": "工单", "Log": "执行记录"},
}
OWNED = {
    "en": ["Summary", "Overdue", "Routing", "NodeStats", "Validation"],
    "zh": ["汇总", "超时清单", "审批分派", "节点统计", "校验结果"],
}
PROCESS_ROWS = [
    ["intake", 1, "clerk", 4],
    ["review", 2, "manager", 8],
    ["close", 3, "clerk", 2],
]
CASES_ROWS = [
    ["C1", T(2024, 5, 1, 9, 0), "late parcel", "urgent", 1200, "satisfied"],
    ["C2", T(2024, 5, 2, 10, 0), "broken lid", "normal", 80, "dissatisfied"],
    ["C3", T(2024, 5, 3, 11, 0), "refund", "normal", 56000, None],
]
# Log rows 2..7: row 5 is blank, row 7 has a start that is not a date.
LOG_ROWS = [
    ["C1", "intake", "Ann", T(2024, 5, 1, 9, 0), T(2024, 5, 1, 11, 0), "ok", "keep me"],
    ["C1", "review", "Bob", T(2024, 5, 1, 13, 0), None, None, None],
    ["C2", "intake", "Ann", T(2024, 5, 2, 10, 0), T(2024, 5, 2, 17, 0), None, "x"],
    [None, None, None, None, None, None, None],
    ["C3", "intake", "Cy", T(2024, 5, 6, 13, 0), None, None, None],
    ["C3", "review", "Bob", "yesterday", None, None, None],
]
LOG_EXTRA = "remark"  # a user column the writer must not touch


def _headers(sheet: schema.Sheet, names: list[str], lang: str) -> list[str]:
    return [sheet.column(n).label(lang) for n in names]


def make_book(path: Path, lang: str = "en") -> Path:
    """A small input workbook as a user would keep it, with some styling of their own."""
    titles = TITLES[lang]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = titles["Process"]
    ws.append(_headers(schema.PROCESS, ["node", "seq", "role", "sla_hours"], lang))
    for row in PROCESS_ROWS:
        ws.append(row)
    ws = wb.create_sheet(titles["Cases"])
    cases_cols = ["case_id", "opened_at", "title", "priority", "amount", "satisfaction"]
    ws.append(_headers(schema.CASES, cases_cols, lang))
    for row in CASES_ROWS:
        ws.append(row)
    ws = wb.create_sheet(titles["Log"])
    log_cols = ["case_id", "node", "assignee", "start", "end", "note"]
    ws.append(_headers(schema.LOG, log_cols, lang) + [LOG_EXTRA])
    for row in LOG_ROWS:
        ws.append(row)
    ws["A1"].font = Font(bold=True, italic=True)
    ws["G2"].fill = PatternFill("solid", start_color="FFFF00", end_color="FFFF00")
    ws["D2"].number_format = "dd/mm/yyyy hh:mm"
    ws.column_dimensions["C"].width = 21
    wb.save(path)
    return path


def read_raw(path: Path) -> dict[str, list[list[object]]]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def load_book(path: Path) -> Workbook:
    """What the file door reads: the cells (here with openpyxl) and sheetflow's own records."""
    return build_workbook(read_raw(path), str(path), ownership_of(path.read_bytes()))


def make_report(book: Workbook, log_rows: tuple[int, ...] = (2, 3, 4, 6)) -> Report:
    """A report as the pipeline would produce for the fixture (numbers made up, shapes real)."""
    findings = Findings(book)
    findings.add("Log", 7, "start", "yesterday", "bad_date")
    findings.add("Log", 6, "start", "2024-05-06 13:00", "future_time", detail="x")
    all_log = pd.DataFrame(
        {
            "duration_h": [2.0, 5.123456, 7.0, 3.0, 1.5],
            "sla_h": [4.0, 8.0, 4.0, 4.0, 4.0],
            "due": pd.to_datetime(
                [
                    "2024-05-01 13:00",
                    "2024-05-02 12:00",
                    "2024-05-02 15:00",
                    "2024-05-07 09:00",
                    "2024-05-08 09:00",
                ]
            ),
            "status": ["done", "at_risk", "done_late", "overdue", "on_track"],
            "overdue_h": [0.0, 0.0, 3.0, 0.0004, 0.0],
        },
        index=pd.Index([2, 3, 4, 6, 7], name="row"),
    )
    log = all_log.loc[list(log_rows)]
    cases = pd.DataFrame(
        {
            "case_status": ["open", "closed", "open"],
            "current_node": ["review", None, "intake"],
            "case_elapsed_h": [127.0, 7.0, 3.0],
            "approver_role": ["manager", "manager", "director"],
            "approver": ["Bob", "Bob", "Dee"],
            "delegated_from": [None, None, "Eve"],
            "route_rule": ["R1", "R1", "R2"],
        },
        index=pd.Index([2, 3, 4], name="row"),
    )
    overdue = pd.DataFrame(
        {
            "case_id": ["C3"],
            "node": ["intake"],
            "assignee": ["Cy"],
            "assignee_email": ["cy@example.com"],
            "manager": ["Bob"],
            "manager_email": ["bob@example.com"],
            "start": pd.to_datetime(["2024-05-06 13:00"]),
            "due": pd.to_datetime(["2024-05-07 09:00"]),
            "duration_h": [3.0],
            "sla_h": [2.0],
            "overdue_h": [1.0],
        }
    )
    routes = pd.DataFrame(
        {
            "case_id": ["C1", "C2", "C3"],
            "approver_role": ["manager", "manager", "director"],
            "approver": ["Bob", "Bob", "Dee"],
            "delegated_from": [None, None, "Eve"],
            "rule": ["R1", "R1", "R2"],
            "amount": [1200.0, 80.0, 56000.0],
            "priority": ["urgent", "normal", "normal"],
            "age_h": [127.0, 102.0, 77.0],
        }
    )
    node_stats = pd.DataFrame(
        {
            "node": ["intake", "review", "close"],
            "count": [3, 1, 0],
            "mean_h": [4.5, 5.12, float("nan")],
            "median_h": [4.5, 5.12, float("nan")],
            "p90_h": [6.5, 5.12, float("nan")],
            "sla_h": [4.0, 8.0, 2.0],
            "overdue": [1, 0, 0],
            "overdue_rate": [0.5, 0.0, 0.0],
            "time_share": [0.64, 0.36, 0.0],
        }
    )
    kpis = {
        "cases_total": 3,
        "cases_open": 2,
        "cases_closed": 1,
        "case_elapsed_mean_h": 7.0,
        "case_elapsed_median_h": 7.0,
        "on_time_rate": 1.0,
        "on_time_target": 0.9,
        "on_time_target_met": True,
        "overdue_open": 1,
        "overdue_rate": 0.5,
        "satisfaction": {"satisfied": 1, "dissatisfied": 1},
        "bottleneck_node": "intake",
        "nodes": {},
    }
    return Report(
        book=book,
        as_of=AS_OF,
        findings=findings.sorted(),
        log=log,
        cases=cases,
        overdue=overdue,
        routes=routes,
        kpis=kpis,
        node_stats=node_stats,
    )


@pytest.fixture(params=["en", "zh"])
def lang(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=[True], ids=["stream"])
def fast(request: pytest.FixtureRequest) -> bool:
    """Both ways of writing: rows spliced as XML (default) and everything through openpyxl."""
    return request.param


@pytest.fixture
def book_path(tmp_path: Path, lang: str) -> Path:
    return make_book(tmp_path / f"book_{lang}.xlsx", lang)


def cells(ws) -> dict[str, tuple[object, str]]:
    return {
        c.coordinate: (c.value, c.number_format)
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }


def snapshot(path: Path) -> dict[str, object]:
    """Everything a user sees of a workbook that the writer could change."""
    wb = openpyxl.load_workbook(path)
    shot: dict[str, object] = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        rules = [
            (
                str(cf.sqref),
                r.type,
                r.operator,
                tuple(r.formula or ()),
                r.priority,
                r.dxf.fill.fgColor.rgb if r.dxf and r.dxf.fill else None,
            )
            for cf in ws.conditional_formatting
            for r in cf.rules
        ]
        shot[ws.title] = {
            "cells": cells(ws),
            "rules": rules,
            "charts": [type(c).__name__ for c in ws._charts],
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "freeze": ws.freeze_panes,
            "fonts": {c.coordinate: (c.font.b, c.fill.fgColor.rgb) for c in ws[1]},
        }
    shot["dxfs"] = len(wb._differential_styles.styles)
    return shot


def write(fast: bool, source: Path, report: Report, out: Path | None = None) -> Path:
    return write_report(source, report, out)


def log_columns(lang: str) -> dict[str, int]:
    """Where the computed Log columns land in the fixture: after its 7 header cells."""
    return {col.name: 8 + i for i, col in enumerate(schema.LOG.outputs)}


# ---------------------------------------------------------------------------------------------


def test_log_computed_columns_written_on_their_rows(book_path: Path, lang: str, fast: bool) -> None:
    book = load_book(book_path)
    out = write(fast, book_path, make_report(book), book_path.with_name("out.xlsx"))
    ws = openpyxl.load_workbook(out)[TITLES[lang]["Log"]]
    at = log_columns(lang)
    headers = [ws.cell(1, at[c.name]).value for c in schema.LOG.outputs]
    assert headers == [c.label(lang) for c in schema.LOG.outputs]
    assert ws.cell(3, at["duration_h"]).value == 5.12
    assert ws.cell(3, at["duration_h"]).number_format == "0.00"
    assert ws.cell(2, at["due"]).value == T(2024, 5, 1, 13, 0)
    assert ws.cell(2, at["due"]).number_format == "yyyy-mm-dd hh:mm"
    status = {r: ws.cell(r, at["status"]).value for r in (2, 3, 4, 6)}
    label = schema.LOG_STATUS.label
    assert status == {
        2: label("done", lang),
        3: label("at_risk", lang),
        4: label("done_late", lang),
        6: label("overdue", lang),
    }
    assert ws.cell(6, at["overdue_h"]).value == 0.0  # rounded to 2 decimals
    for row in (5, 7):  # blank row, row with bad input
        assert [ws.cell(row, c).value for c in at.values()] == [None] * 5


def test_user_cells_unchanged(book_path: Path, lang: str, fast: bool) -> None:
    before = openpyxl.load_workbook(book_path)
    out = write(fast, book_path, make_report(load_book(book_path)), book_path.with_name("o.xlsx"))
    after = openpyxl.load_workbook(out)
    for title in TITLES[lang].values():
        old, new = before[title], after[title]
        width = old.max_column
        for row in old.iter_rows():
            for c in row:
                n = new.cell(c.row, c.column)
                assert (n.value, n.number_format, copy(n.font), copy(n.fill)) == (
                    c.value,
                    c.number_format,
                    copy(c.font),
                    copy(c.fill),
                ), c.coordinate
        if title == TITLES[lang]["Process"]:
            assert new.max_column == width
    log = after[TITLES[lang]["Log"]]
    assert log.column_dimensions["C"].width == 21
    assert log["G2"].value == "keep me"


def test_cases_computed_columns(book_path: Path, lang: str, fast: bool) -> None:
    out = write(fast, book_path, make_report(load_book(book_path)), book_path.with_name("o.xlsx"))
    ws = openpyxl.load_workbook(out)[TITLES[lang]["Cases"]]
    header = [c.value for c in ws[1]]
    names = [c.name for c in schema.CASES.outputs]
    assert header[6:] == [schema.CASES.column(n).label(lang) for n in names]
    assert ws.cell(2, 7).value == schema.CASE_STATUS.label("open", lang)
    assert ws.cell(3, 7).value == schema.CASE_STATUS.label("closed", lang)
    assert ws.cell(3, 8).value is None  # no current node on a closed case
    assert ws.cell(2, 9).value == 127.0 and ws.cell(2, 9).number_format == "0.00"
    assert [ws.cell(4, c).value for c in (10, 11, 12, 13)] == ["director", "Dee", "Eve", "R2"]


def test_read_back_with_calamine(book_path: Path, lang: str, fast: bool) -> None:
    out = write(fast, book_path, make_report(load_book(book_path)), book_path.with_name("o.xlsx"))
    cal = CalamineWorkbook.from_path(str(out))
    assert cal.sheet_names == list(TITLES[lang].values()) + OWNED[lang]
    rows = cal.get_sheet_by_name(TITLES[lang]["Log"]).to_python(skip_empty_area=False)
    assert rows[0][7:12] == [c.label(lang) for c in schema.LOG.outputs]
    assert rows[1][7:12] == [
        2.0,
        4.0,
        T(2024, 5, 1, 13, 0),
        schema.LOG_STATUS.label("done", lang),
        0.0,
    ]
    assert rows[4][7:12] == [""] * 5
    assert rows[6][7:12] == [""] * 5
    summary = cal.get_sheet_by_name(OWNED[lang][0]).to_python()
    labels = {r[0]: r[1] for r in summary if r and r[0]}
    total = i18n.text("kpi.cases_total", lang)
    assert labels[total] == 3


def test_status_conditional_formatting(book_path: Path, lang: str, fast: bool) -> None:
    out = write(fast, book_path, make_report(load_book(book_path)), book_path.with_name("o.xlsx"))
    ws = openpyxl.load_workbook(out)[TITLES[lang]["Log"]]
    letter = openpyxl.utils.get_column_letter(log_columns(lang)["status"])
    rules = ws.conditional_formatting[f"{letter}2:{letter}1048576"]
    got = {r.formula[0]: r.dxf.fill.fgColor.rgb[-6:] for r in rules}
    label = schema.LOG_STATUS.label
    assert got == {
        f'"{label("overdue", lang)}"': "E53935",
        f'"{label("at_risk", lang)}"': "FFC000",
        f'"{label("done_late", lang)}"': "FFC7CE",
    }
    assert all(r.type == "cellIs" and r.operator == "equal" for r in rules)


def test_owned_sheets_order_and_contents(book_path: Path, lang: str, fast: bool) -> None:
    out = write(fast, book_path, make_report(load_book(book_path)), book_path.with_name("o.xlsx"))
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(TITLES[lang].values()) + OWNED[lang]
    summary, overdue, routing, nodes, validation = (wb[t] for t in OWNED[lang])

    header = [c.value for c in validation[1]]
    assert header == [layout.label(n, lang) for n, _ in layout.VALIDATION_COLUMNS]
    assert validation.freeze_panes == "A2"
    assert validation["A1"].font.b
    first = [c.value for c in validation[2]]
    assert first[0] == TITLES[lang]["Log"] and first[2] == 7
    assert first[5] == layout.label("error", lang) and first[6] == "bad_date"
    assert validation["B2"].hyperlink.location == f"'{TITLES[lang]['Log']}'!D7"

    assert [c.value for c in overdue[2]][:3] == ["C3", "intake", "Cy"]
    assert overdue["G2"].number_format == "yyyy-mm-dd hh:mm"
    assert overdue["K2"].value == 1.0 and overdue["K2"].number_format == "0.00"

    col_a = [routing.cell(r, 1).value for r in range(1, routing.max_row + 1)]
    assert col_a == [layout.label("case_id", lang), "Bob", "C1", "C2", None, "Dee", "C3"]
    assert routing["A2"].font.b and routing["A6"].font.b
    assert routing["E3"].value == 1200.0 and routing["F3"].value == i18n.text(
        "priority.urgent", lang
    )

    kinds = sorted(type(c).__name__ for c in summary._charts)
    assert kinds == ["BarChart", "PieChart"]
    values = {summary.cell(r, 1).value: summary.cell(r, 2) for r in range(2, 40)}
    rate = values[i18n.text("kpi.on_time_rate", lang)]
    assert rate.value == 1.0 and rate.number_format == "0.0%"
    met = values[i18n.text("kpi.on_time_target_met", lang)]
    assert met.value == layout.label("yes", lang)
    assert i18n.text("satisfaction.dissatisfied", lang) in values  # "Dissatisfied", 不满意

    assert [c.value for c in nodes["A"]][1:] == ["intake", "review", "close"]
    assert nodes["H2"].number_format == "0.0%" and nodes["C4"].value is None
    assert nodes["A2"].font.b  # the bottleneck stands out


def test_existing_columns_and_sheets_overwritten_in_place(
    book_path: Path, lang: str, fast: bool
) -> None:
    """Second run on a refreshed file: same columns reused, stale rows cleared, no duplicates."""
    first = write(
        fast,
        book_path,
        make_report(load_book(book_path), (2, 3, 4, 6, 7)),
        book_path.with_name("a.xlsx"),
    )
    at = log_columns(lang)
    ws = openpyxl.load_workbook(first)[TITLES[lang]["Log"]]
    assert ws.cell(7, at["status"]).value == schema.LOG_STATUS.label("on_track", lang)

    book = load_book(first)
    assert {n: r.index + 1 for n, r in book.tables["Log"].outputs.items()} == at
    second = write(fast, first, make_report(book, (2, 3, 4, 6)), first.with_name("b.xlsx"))
    wb = openpyxl.load_workbook(second)
    ws = wb[TITLES[lang]["Log"]]
    assert ws.max_column == 12
    assert [ws.cell(7, c).value for c in at.values()] == [None] * 5
    assert wb.sheetnames == list(TITLES[lang].values()) + OWNED[lang]


def test_users_sheet_named_like_ours_is_kept(book_path: Path, lang: str) -> None:
    wb = openpyxl.load_workbook(book_path)
    wb.create_sheet("Summary", 1)  # the user's own "Summary", not written by sheetflow
    wb["Summary"]["A1"] = "mine"
    wb.save(book_path)
    report = make_report(load_book(book_path))
    out = write_report(book_path, report, book_path.with_name("o.xlsx"))
    wb = openpyxl.load_workbook(out)
    ours = "Summary (sheetflow)" if lang == "en" else OWNED[lang][0]
    assert wb.sheetnames[1] == "Summary" and wb["Summary"]["A1"].value == "mine"
    assert ours in wb.sheetnames and wb[ours]["A1"].value != "mine"
    again = write_report(out, make_report(load_book(out)), book_path.with_name("o2.xlsx"))
    assert openpyxl.load_workbook(again).sheetnames == wb.sheetnames  # no third copy


def test_owned_sheet_replaced_where_it_was(book_path: Path, lang: str) -> None:
    first = write_report(
        book_path, make_report(load_book(book_path)), book_path.with_name("a.xlsx")
    )
    wb = openpyxl.load_workbook(first)
    summary = OWNED[lang][0]
    wb.move_sheet(summary, 1 - wb.sheetnames.index(summary))  # the user moves it after Process
    wb[summary]["A1"] = "stale"
    wb.save(first)
    out = write_report(first, make_report(load_book(first)), book_path.with_name("b.xlsx"))
    names = openpyxl.load_workbook(out).sheetnames
    titles = list(TITLES[lang].values())
    rest = [t for t in OWNED[lang] if t != summary]
    assert names == [titles[0], summary, *titles[1:], *rest]
    assert openpyxl.load_workbook(out)[summary]["A1"].value != "stale"


def test_twice_is_once(book_path: Path, lang: str, fast: bool) -> None:
    once = write(fast, book_path, make_report(load_book(book_path)), book_path.with_name("1.xlsx"))
    again = shutil.copy(once, book_path.with_name("2.xlsx"))
    twice = write(fast, again, make_report(load_book(again)), None)
    assert snapshot(twice) == snapshot(once)


def test_in_place_keeps_backup(book_path: Path, fast: bool) -> None:
    original = book_path.read_bytes()
    written = write(fast, book_path, make_report(load_book(book_path)))
    assert written == book_path
    backup = book_path.with_name(f"{book_path.stem}.bak.xlsx")
    assert backup.read_bytes() == original
    assert book_path.read_bytes() != original
    assert not list(book_path.parent.glob(".~sheetflow-*"))
    first = book_path.read_bytes()
    write(fast, book_path, make_report(load_book(book_path)))  # the latest backup moves on
    assert backup.read_bytes() == first
    dated = safety.dated_backups(book_path)
    assert [p.read_bytes() for p in dated] == [first, original]  # newest first
    assert sorted(p.name for p in book_path.parent.iterdir()) == sorted(
        [book_path.name, backup.name, *(p.name for p in dated)]
    )


def test_dated_backups_are_bounded(book_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "BACKUPS_KEPT", 3)
    for second in range(5):
        stamp = dt.datetime(2024, 10, 9, 16, 0, second)
        safety.keep_backups(book_path, now=stamp)
    names = [p.name for p in safety.dated_backups(book_path)]
    assert names == [f"{book_path.stem}.bak-20241009-16000{s}.xlsx" for s in (4, 3, 2)]


def test_read_only_workbook_is_refused(book_path: Path) -> None:
    book_path.chmod(0o444)
    original = book_path.read_bytes()
    with pytest.raises(WorkbookError, match="read-only"):
        write_report(book_path, make_report(load_book(book_path)))
    assert book_path.read_bytes() == original


def test_symlinked_workbook_updates_its_target(book_path: Path, lang: str) -> None:
    link = book_path.with_name("link.xlsx")
    link.symlink_to(book_path)
    write_report(link, make_report(load_book(link)))
    assert link.is_symlink()
    assert OWNED[lang][0] in openpyxl.load_workbook(book_path).sheetnames


def test_file_changed_during_refresh_is_not_replaced(book_path: Path) -> None:
    snap, book = read_snapshot(book_path)
    plan = layout.build_plan(make_report(book))
    changed = book_path.read_bytes() + b"\0"  # another program saves meanwhile
    book_path.write_bytes(changed)
    with pytest.raises(LockedError, match="changed while sheetflow was working"):
        write_plan(snap, plan)
    assert book_path.read_bytes() == changed


def test_second_writer_waits_then_says_who_holds_the_lock(book_path: Path) -> None:
    with safety.refresh_lock(book_path):
        with pytest.raises(LockedError, match=r"is being written by .*pid"):
            with safety.refresh_lock(book_path, wait=0.3):
                pass
    with safety.refresh_lock(book_path, wait=0.3):  # released: the next run goes ahead
        pass


def test_failed_save_leaves_original(book_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = book_path.read_bytes()

    def broken_save(package, result, path):
        Path(path).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(xlsx_writer, "_write_zip", broken_save)
    with pytest.raises(WorkbookError, match="disk full"):
        write_report(book_path, make_report(load_book(book_path)))
    assert book_path.read_bytes() == original
    assert [p.name for p in book_path.parent.iterdir()] == [book_path.name]


def test_failed_verify_leaves_original(book_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = book_path.read_bytes()

    def wrong(path, parts=None, big=None):
        raise WorkbookError("the written workbook is damaged (test)")

    monkeypatch.setattr(xlsx_writer, "check_written", wrong)
    with pytest.raises(WorkbookError, match="damaged"):
        write_report(book_path, make_report(load_book(book_path)))
    assert book_path.read_bytes() == original
    assert [p.name for p in book_path.parent.iterdir()] == [book_path.name]


def test_locked_file_refused(book_path: Path) -> None:
    original = book_path.read_bytes()
    owner = book_path.with_name(f"~${book_path.name}")
    owner.write_bytes(b"\x05alice")
    with pytest.raises(LockedError, match=r"is open in Excel \(~\$book_\w+\.xlsx exists\)"):
        write_report(book_path, make_report(load_book(book_path)))
    assert book_path.read_bytes() == original
    assert sorted(p.name for p in book_path.parent.iterdir()) == sorted(
        [book_path.name, owner.name]
    )


def test_bad_paths(tmp_path: Path, book_path: Path) -> None:
    report = make_report(load_book(book_path))
    with pytest.raises(WorkbookError, match="no such file"):
        write_report(tmp_path / "missing.xlsx", report)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a zip")
    with pytest.raises(WorkbookError, match="junk.xlsx"):
        write_report(junk, report, tmp_path / "junk2.xlsx")
    with pytest.raises(UsageError, match="extension"):
        write_report(book_path, report, tmp_path / "out.xlsm")
    with pytest.raises(WorkbookError, match="cannot write"):
        write_report(book_path, report, tmp_path / "no" / "such" / "dir" / "out.xlsx")


# ---------------------------------------------------------------------------------------------
# Parts openpyxl cannot keep; macros


TEXT_BOX = (
    '<xdr:twoCellAnchor xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
    'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    "<xdr:from><xdr:col>8</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>"
    "<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>11</xdr:col><xdr:colOff>0</xdr:colOff>"
    "<xdr:row>5</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
    '<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="3" name="TextBox 2"/>'
    '<xdr:cNvSpPr txBox="1"/></xdr:nvSpPr><xdr:spPr><a:prstGeom prst="rect"><a:avLst/>'
    "</a:prstGeom></xdr:spPr><xdr:txBody><a:bodyPr/><a:p><a:r><a:t>How to fill this in</a:t>"
    "</a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor>"
)


def rewrite_zip(path: Path, edit, extra: dict[str, bytes] | None = None) -> None:
    """Rewrite a zip package: edit(name, data) -> data for every part, then add `extra` parts."""
    with zipfile.ZipFile(path) as old:
        parts = [(name, old.read(name)) for name in old.namelist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts:
            new.writestr(name, edit(name, data))
        for name, data in (extra or {}).items():
            new.writestr(name, data)


def add_chart_sheet(path: Path) -> None:
    """A user sheet `Notes` with a chart of its own (gives the package a drawing part)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("Notes")
    for i in range(1, 5):
        ws.append([f"n{i}", i])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=4))
    ws.add_chart(chart, "D2")
    wb.save(path)


def add_text_box(path: Path) -> None:
    def edit(name: str, data: bytes) -> bytes:
        if name == "xl/drawings/drawing1.xml":
            return data.replace(b"</wsDr>", TEXT_BOX.encode() + b"</wsDr>")
        return data

    rewrite_zip(path, edit)


@pytest.mark.parametrize("lang", ["en"])
def test_text_boxes_and_charts_kept_in_place(book_path: Path) -> None:
    """What the openpyxl writer had to refuse is now copied part for part."""
    add_chart_sheet(book_path)
    add_text_box(book_path)
    before = parts_of(book_path)
    write_report(book_path, make_report(load_book(book_path)))
    after = parts_of(book_path)
    drawings = [n for n in before if n.startswith(("xl/drawings/", "xl/charts/"))]
    assert drawings and all(after[n] == before[n] for n in drawings)
    wb = openpyxl.load_workbook(book_path)
    assert len(wb["Notes"]._charts) == 1
    assert "Summary" in wb.sheetnames


@pytest.mark.parametrize("lang", ["en"])
def test_user_chart_alone_is_safe_in_place(book_path: Path) -> None:
    add_chart_sheet(book_path)
    write_report(book_path, make_report(load_book(book_path)))
    assert len(openpyxl.load_workbook(book_path)["Notes"]._charts) == 1


VBA_BYTES = bytes(range(256)) * 16  # any bytes: Excel is not here to run them
CUSTOM_UI = (
    b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui">'
    b'<ribbon><tabs><tab id="sheetflow" label="sheetflow"/></tabs></ribbon></customUI>'
)


def make_xlsm(xlsx: Path) -> Path:
    """Turn an openpyxl-written .xlsx into a macro workbook: vbaProject.bin plus a ribbon."""
    xlsm = xlsx.with_suffix(".xlsm")
    shutil.copy(xlsx, xlsm)
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    macro_main = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"

    def edit(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            data = data.replace(main, macro_main)
            return data.replace(
                b"</Types>",
                b'<Override PartName="/xl/vbaProject.bin" '
                b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
            )
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
            )
        if name == "_rels/.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdUI" Type="http://schemas.microsoft.com/office/2007/'
                b'relationships/ui/extensibility" Target="customUI/customUI14.xml"/>'
                b"</Relationships>",
            )
        return data

    rewrite_zip(
        xlsm,
        edit,
        {"xl/vbaProject.bin": VBA_BYTES, "customUI/customUI14.xml": CUSTOM_UI},
    )
    return xlsm


@pytest.mark.parametrize("lang", ["zh"])
def test_xlsm_keeps_macros(book_path: Path) -> None:
    xlsm = make_xlsm(book_path)
    assert openpyxl.load_workbook(xlsm, keep_vba=True).vba_archive is not None
    report = make_report(load_book(xlsm))
    written = write_report(xlsm, report)
    assert written == xlsm
    assert xlsm.with_name(f"{xlsm.stem}.bak.xlsm").exists()
    with zipfile.ZipFile(xlsm) as z:
        assert z.read("xl/vbaProject.bin") == VBA_BYTES
        assert z.read("customUI/customUI14.xml") == CUSTOM_UI
        types = z.read("[Content_Types].xml")
        assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert "汇总" in openpyxl.load_workbook(xlsm, keep_vba=True).sheetnames


# ---------------------------------------------------------------------------------------------


needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH"
)


def soffice_convert(path: Path, to: str, outdir: Path) -> Path:
    """Convert with headless LibreOffice (own profile, so parallel runs do not collide)."""
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{outdir.parent / 'lo-profile'}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return outdir / f"{path.stem}.{to}"


@needs_soffice
@pytest.mark.parametrize("lang", ["zh"])
def test_libreoffice_opens_written_workbook(book_path: Path, tmp_path: Path) -> None:
    excelify(book_path)
    out = write_report(book_path, make_report(load_book(book_path)), tmp_path / "lo.xlsx")
    pdf = soffice_convert(out, "pdf", tmp_path / "pdf")
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


@needs_soffice
def test_libreoffice_written_source(tmp_path: Path) -> None:
    """A file from another producer (LibreOffice: shared strings, its own row attributes)."""
    source = soffice_convert(make_book(tmp_path / "book.xlsx", "zh"), "xlsx", tmp_path / "lo")
    report = make_report(load_book(source))
    fast = write_report(source, report, tmp_path / "fast.xlsx")
    plain = write_report(
        make_book(tmp_path / "same.xlsx", "zh"), report, tmp_path / "plain.xlsx"
    )  # the same book as openpyxl stores it
    assert calamine_rows(fast, "执行记录") == calamine_rows(plain, "执行记录")
    pdf = soffice_convert(fast, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_no_temp_files_left_after_success(book_path: Path) -> None:
    write_report(book_path, make_report(load_book(book_path)), book_path.with_name("x.xlsx"))
    assert not [p for p in book_path.parent.iterdir() if p.name.startswith(safety.TEMP_PREFIX)]


# ---------------------------------------------------------------------------------------------
# The fast path (rows spliced as XML) against files as Excel writes them


INLINE_CELL = re.compile(
    rb'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', re.S
)
X14AC = b"http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
MC = b"http://schemas.openxmlformats.org/markup-compatibility/2006"


def excelify(path: Path) -> None:
    """Rewrite an openpyxl file the way Excel stores it: shared strings, spans, x14ac rows."""
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    strings: list[bytes] = []

    def shared(match: re.Match[bytes]) -> bytes:
        text = match.group(3)
        if text not in strings:
            strings.append(text)
        index = strings.index(text)
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2), index)

    def edit(name: str, data: bytes) -> bytes:
        if name in sheets:
            data = INLINE_CELL.sub(shared, data)
            data = data.replace(
                b"<worksheet ",
                b'<worksheet xmlns:mc="%s" mc:Ignorable="x14ac" xmlns:x14ac="%s" ' % (MC, X14AC),
                1,
            )
            data = re.sub(
                rb'<row r="(\d+)"', rb'<row r="\1" spans="1:7" x14ac:dyDescent="0.25"', data
            )
        elif name == "[Content_Types].xml":
            data = data.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            )
        elif name == "xl/_rels/workbook.xml.rels":
            data = data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                b"</Relationships>",
            )
        return data

    with zipfile.ZipFile(path) as z:
        for name in sheets:
            INLINE_CELL.sub(shared, z.read(name))  # collect the strings first
    items = b"".join(b"<si><t>%s</t></si>" % s for s in strings)
    sst = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="%d" uniqueCount="%d">%s</sst>' % (len(strings), len(strings), items)
    )
    rewrite_zip(path, edit, {"xl/sharedStrings.xml": sst})


def all_cells(path: Path) -> dict[str, dict[str, tuple[object, str, object, object]]]:
    wb = openpyxl.load_workbook(path)
    return {
        ws.title: {
            c.coordinate: (
                c.value,
                c.number_format,
                copy(c.font),
                copy(c.fill),
                c.hyperlink.location if c.hyperlink else None,
            )
            for row in ws.iter_rows()
            for c in row
            if c.value is not None
        }
        for ws in wb.worksheets
    }


def test_excel_like_file_equals_openpyxl_like_file(book_path: Path, lang: str) -> None:
    """Shared strings, spans and x14ac rows (as Excel saves) give the same cells as inline."""
    report = make_report(load_book(book_path))
    plain = write_report(book_path, report, book_path.with_name("plain.xlsx"))
    excelify(book_path)
    with zipfile.ZipFile(book_path) as z:
        assert b't="s"' in z.read("xl/worksheets/sheet3.xml")
    fast = write_report(book_path, report, book_path.with_name("fast.xlsx"))
    assert all_cells(fast) == all_cells(plain)
    for title in TITLES[lang].values():
        assert calamine_rows(fast, title) == calamine_rows(plain, title)
    with zipfile.ZipFile(fast) as z:
        log = z.read("xl/worksheets/sheet3.xml")
    assert b"x14ac:dyDescent" in log  # the user's row attributes stay
    assert re.search(rb'<row r="1"[^>]*spans=', log) is None  # a hint our cells would falsify
    assert b'<dimension ref="A1:L7"/>' in log


def test_fast_keeps_row_looks_comments_links_and_formula_results(tmp_path: Path) -> None:
    path = make_book(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Log"]
    ws.row_dimensions[3].height = 30
    ws.row_dimensions[4].hidden = True
    ws["C3"].comment = openpyxl.comments.Comment("on leave", "Ann")
    ws["A2"].hyperlink = "https://example.com/C1"
    ws.merge_cells("F3:F4")
    ws["G3"] = "=LEN(C3)"
    wb.save(path)
    # give the formula the result Excel would have stored
    rewrite_zip(
        path,
        lambda n, d: (
            re.sub(rb"<f>LEN\(C3\)</f><v\s*(?:/>|></v>)", b"<f>LEN(C3)</f><v>3</v>", d)
            if n == "xl/worksheets/sheet3.xml"
            else d
        ),
    )
    assert calamine_rows(path, "Log")[2][6] == 3.0
    report = make_report(load_book(path))
    fast = write_report(path, report, tmp_path / "fast.xlsx")
    ws = openpyxl.load_workbook(fast)["Log"]
    assert ws.row_dimensions[3].height == 30 and ws.row_dimensions[4].hidden
    assert ws["C3"].comment.text == "on leave"
    assert ws["A2"].hyperlink.target == "https://example.com/C1"
    assert "F3:F4" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["G3"].value == "=LEN(C3)"
    assert calamine_rows(fast, "Log")[2][6] == 3.0  # the result survives for the next read


def test_user_cells_around_computed_columns(tmp_path: Path, fast: bool) -> None:
    """A value right of the header pushes our columns on; a user column after ours stays."""
    path = make_book(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Log"]["H3"] = "scribble"  # no header above it
    wb.save(path)
    first = write(fast, path, make_report(load_book(path)), tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(first)["Log"]
    assert ws["H3"].value == "scribble" and ws["H1"].value is None
    headers = [c.label("en") for c in schema.LOG.outputs]
    assert [ws.cell(1, c).value for c in range(9, 14)] == headers
    wb = openpyxl.load_workbook(first)
    wb["Log"]["N1"] = "checked_by"
    for row in range(2, 8):
        wb["Log"].cell(row, 14, f"Q{row}")
    wb.save(first)
    book = load_book(first)
    second = write(fast, first, make_report(book, (2, 4)), tmp_path / "b.xlsx")
    ws = openpyxl.load_workbook(second)["Log"]
    assert [ws.cell(r, 14).value for r in range(1, 8)] == ["checked_by"] + [
        f"Q{r}" for r in range(2, 8)
    ]
    status = 12
    assert [ws.cell(r, status).value for r in range(2, 8)] == [
        "Done",
        None,
        "Done late",
        None,
        None,
        None,
    ]
    assert ws.max_column == 14


def test_rows_beyond_the_sheet_are_created(tmp_path: Path, fast: bool) -> None:
    path = make_book(tmp_path / "book.xlsx")
    report = make_report(load_book(path))
    report.log = pd.concat([report.log, report.log.iloc[[0]].set_axis([10])])
    out = write(fast, path, report, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(out)["Log"]
    assert ws.cell(10, 8).value == 2.0 and ws.cell(10, 11).value == "Done"
    assert ws.cell(9, 8).value is None


def prefixify(path: Path, part: str) -> None:
    """Store one sheet with a namespace prefix (x:row, x:c), as some generators do."""

    def edit(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        data = re.sub(rb"<(/?)([A-Za-z]+)([\s>/])", rb"<\1x:\2\3", data)
        return data.replace(b'xmlns="http://schemas', b'xmlns:x="http://schemas', 1)

    rewrite_zip(path, edit)


def test_prefixed_sheet_xml_is_patched_with_its_prefix(tmp_path: Path) -> None:
    path = make_book(tmp_path / "book.xlsx")
    prefixify(path, "xl/worksheets/sheet3.xml")
    book = load_book(path)
    assert book.tables["Log"].frame.shape[0] == 5
    report = make_report(book)
    out = write_report(path, report, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(out)["Log"]
    assert ws.cell(3, 8).value == 5.12 and ws.cell(7, 11).value is None


def test_damaged_splice_is_caught_before_replacing(
    book_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    excelify(book_path)
    original = book_path.read_bytes()
    # a header cell that breaks the sheet's XML must be caught before the file is replaced
    monkeypatch.setattr(xlsx_writer, "cell_xml", lambda *args: "<c r=")
    with pytest.raises(WorkbookError, match="is damaged"):
        write_report(book_path, make_report(load_book(book_path)))
    assert book_path.read_bytes() == original
    assert [p.name for p in book_path.parent.iterdir()] == [book_path.name]


def test_empty_report_writes_headers_only(tmp_path: Path, fast: bool) -> None:
    """When nothing could be computed: headers, cleared columns, empty owned sheets, no charts."""
    path = make_book(tmp_path / "book.xlsx")
    first = write(fast, path, make_report(load_book(path)), tmp_path / "a.xlsx")
    book = load_book(first)
    report = Report(book=book, as_of=AS_OF, findings=[])
    out = write(fast, first, report, tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["Log"]
    headers = [c.label("en") for c in schema.LOG.outputs]
    assert [ws.cell(1, c).value for c in range(8, 13)] == headers
    assert all(ws.cell(r, c).value is None for r in range(2, 8) for c in range(8, 13))
    assert wb.sheetnames[3:] == OWNED["en"]
    assert wb["Summary"]._charts == []
    assert wb["Overdue"].max_row == 1


def test_fast_path_copies_user_cells_byte_for_byte(book_path: Path) -> None:
    excelify(book_path)
    part = "xl/worksheets/sheet3.xml"  # the Log sheet
    with zipfile.ZipFile(book_path) as z:
        before = z.read(part)
    user_cells = re.findall(rb'<c r="[A-G](?:[2-9]|\d\d+)"[^>]*?(?:/>|>.*?</c>)', before)
    assert len(user_cells) > 20
    out = write_report(book_path, make_report(load_book(book_path)), book_path.with_name("o.xlsx"))
    with zipfile.ZipFile(out) as z:
        after = z.read(part)
        strings = z.read("xl/sharedStrings.xml")
    assert all(cell in after for cell in user_cells)
    with zipfile.ZipFile(book_path) as z:
        assert strings == z.read("xl/sharedStrings.xml")


def test_fast_keeps_formula_results_in_every_user_sheet(tmp_path: Path) -> None:
    path = make_book(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    board = wb.create_sheet("Board")
    board.append(["what", "count"])
    board.append(["cases", "=COUNTA(Cases!A2:A10)"])
    wb["Process"]["E2"] = "=D2*2"
    wb.save(path)

    def cached(name: str, data: bytes) -> bytes:
        # openpyxl writes an empty result as <v /> or <v/> (with lxml)
        data = re.sub(
            rb"<f>COUNTA\(Cases!A2:A10\)</f><v\s*(?:/>|></v>)",
            b"<f>COUNTA(Cases!A2:A10)</f><v>3</v>",
            data,
        )
        return re.sub(rb"<f>D2\*2</f><v\s*(?:/>|></v>)", b"<f>D2*2</f><v>8</v>", data)

    rewrite_zip(path, cached)
    report = make_report(load_book(path))
    fast = write_report(path, report, tmp_path / "fast.xlsx")
    assert calamine_rows(fast, "Board")[1] == ["cases", 3.0]
    assert calamine_rows(fast, "Process")[1][4] == 8.0
    assert openpyxl.load_workbook(fast)["Board"]["B2"].value == "=COUNTA(Cases!A2:A10)"


def test_shared_formula_in_header_row_is_kept(tmp_path: Path) -> None:
    path = make_book(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    board = wb.create_sheet("Board")
    for row in range(1, 4):
        board.cell(row, 1, row)
        board.cell(row, 2, f"=A{row}*2")
    wb.save(path)
    # make B1 the master of a shared formula that B2:B3 follow, as Excel writes a filled column
    part = "xl/worksheets/sheet4.xml"
    rewrite_zip(
        path,
        lambda n, d: (
            re.sub(
                rb"<f>A(\d)\*2</f>",
                lambda m: (
                    b'<f t="shared" ref="B1:B3" si="0">A1*2</f>'
                    if m.group(1) == b"1"
                    else b'<f t="shared" si="0"/>'
                ),
                d,
            )
            if n == part
            else d
        ),
    )
    out = write_report(path, make_report(load_book(path)), tmp_path / "o.xlsx")
    board = openpyxl.load_workbook(out)["Board"]
    assert [board.cell(r, 2).value for r in (1, 2, 3)] == ["=A1*2", "=A2*2", "=A3*2"]


def parts_of(path: Path) -> dict[str, bytes]:
    """Every part of a package but the save time (docProps/core.xml)."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_streamed_sheets_do_not_depend_on_piece_sizes(
    book_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows are scanned in pieces and written in batches: tiny ones give the same bytes."""
    excelify(book_path)
    report = make_report(load_book(book_path))
    whole = write_report(book_path, report, tmp_path / "whole.xlsx")
    monkeypatch.setattr(sheetxml, "_CHUNK", 3)
    monkeypatch.setattr(sheetxml, "_FLUSH", 10)
    pieces = write_report(book_path, report, tmp_path / "pieces.xlsx")
    assert parts_of(pieces) == parts_of(whole)


def test_small_sheets_are_not_written_as_zip64(book_path: Path, tmp_path: Path) -> None:
    out = write_report(book_path, make_report(load_book(book_path)), tmp_path / "o.xlsx")
    with zipfile.ZipFile(out) as z:
        assert all(info.extract_version < 45 for info in z.infolist())  # 45: Zip64


def test_patch_without_header_replaces_a_sheets_rows_and_keeps_its_header(tmp_path: Path) -> None:
    """`sheetflow sync`: every column of a user sheet replaced, rows past the new end emptied,
    the header row (not in the plan) kept with its style."""
    from sheetflow.core.plan import DATETIME, Column, OutputPlan, Patch

    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "People"
    ws.append(["name", "role", "away_from"])
    ws["A1"].font = Font(bold=True)
    for i in range(6):
        ws.append([f"P{i}", "Agent", dt.datetime(2024, 5, 1 + i), f"extra {i}"])
    wb.create_sheet("Notes").append(["mine"])
    wb.save(path)
    snap, _ = read_snapshot(path)
    patch = Patch(
        sheet="People", title="People", header_row=1, rows=(2, 3),
        columns=(Column("a", "", ["Ann", "Bob"]), Column("b", "", ["Agent", None]),
                 Column("c", "", [dt.datetime(2024, 6, 1, 9, 30), None], DATETIME),
                 Column("d", "", [None, None])),
        positions=(1, 2, 3, 4), header_style=None,
    )
    write_plan(snap, OutputPlan(language="en", as_of=dt.datetime(2024, 6, 1), patches=(patch,)))
    rows = [r for r in read_raw(path)["People"] if any(v is not None for v in r)]
    assert rows == [["name", "role", "away_from"],
                    ["Ann", "Agent", dt.datetime(2024, 6, 1, 9, 30)],
                    ["Bob", None, None]]
    back = openpyxl.load_workbook(path)
    assert back["People"]["A1"].font.bold is True
    assert back["People"]["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert read_raw(path)["Notes"] == [["mine"]]


@pytest.mark.parametrize("point", ["before-read", "after-read", "while-writing"])
def test_a_save_by_another_program_is_never_mixed_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    """Another program saves the book at some point of a refresh: the result is either the
    refreshed new content, or exit 2 with the new content untouched — never mixed rows."""
    from sheetflow.cli import main as cli_main
    from sheetflow.core import layout as core_layout

    root = Path(__file__).resolve().parents[2]
    book = shutil.copy(root / "workbooks" / "complaints_en.xlsx", tmp_path / "book.xlsx")
    other = openpyxl.load_workbook(book)
    other["Log"]["F2"] = "edited meanwhile"
    other.save(tmp_path / "other.xlsx")
    new_content = (tmp_path / "other.xlsx").read_bytes()

    def save_now() -> None:
        Path(book).write_bytes(new_content)

    if point == "before-read":
        save_now()
    elif point == "after-read":
        real = core_layout.build_plan

        def plan_then_save(report):  # noqa: ANN001, ANN202
            save_now()
            return real(report)

        monkeypatch.setattr("sheetflow.pipeline.build_plan", plan_then_save)
    else:
        real_render = xlsx_writer.render

        def render_then_save(data, plan, path):  # noqa: ANN001, ANN202
            real_render(data, plan, path)
            save_now()

        monkeypatch.setattr(xlsx_writer, "render", render_then_save)
    code = cli_main(["refresh", str(book), "--as-of", "2024-10-09T16:00", "-q"])
    log = calamine_rows(Path(book), "Log")
    if point == "before-read":
        assert code == 0
        assert log[1][5] == "edited meanwhile" and log[0][-1] == "Overdue (h)"
    else:
        assert code == 2
        assert Path(book).read_bytes() == new_content  # the other program's save is kept
    assert not list(tmp_path.glob(".~sheetflow-*"))
