"""The Excel door knows what it wrote: the file door's `_sheetflow.` names, through xlwings.

Real remote-engine books (`xw.Book(json=...)`) built from real files; what the client makes of
the door's actions is replayed into a new file (values and names) for the next run.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw

from sheetflow import pipeline
from sheetflow.io.doors import open_book
from sheetflow.io.excel import ExcelDoor
from tests.addin.officejs import book_json, file_names, replay, replay_names, to_file
from tests.helpers import add_users_status_column

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-10-09T16:00"
OUTPUTS = ["Duration (h)", "SLA (h)", "Due", "Status", "Overdue (h)"]  # English display labels
MINE = {(1, 1): "My own summary", (2, 1): "budget", (2, 2): 42}


@pytest.fixture
def users_book(tmp_path: Path) -> Path:
    """The English template with the user's own `Summary` sheet and a Log column `status`."""
    path = tmp_path / "book.xlsx"
    shutil.copy(ROOT / "workbooks" / "complaints_en.xlsx", path)
    wb = openpyxl.load_workbook(path)
    summary = wb.create_sheet("Summary", 1)
    for (row, col), value in MINE.items():
        summary.cell(row, col, value)
    wb.save(path)
    add_users_status_column(path)
    return path


def refresh(path: Path, with_names: bool = True) -> tuple[dict, xw.Book, list]:
    """One add-in refresh of the book in `path`: (payload, book, findings)."""
    payload = book_json(path, names=file_names(path) if with_names else ())
    book = xw.Book(json=copy.deepcopy(payload))  # the engine keeps and changes its payload
    report, _ = pipeline.refresh(ExcelDoor(book), AS_OF)
    return payload, book, report.findings


def taken(findings: list) -> set[tuple[str, object]]:
    return {(f.sheet, f.value) for f in findings if f.code == "name_taken"}


def log_header(cells: dict) -> list[object]:
    log = cells["Log"]
    return [log[(1, c)] for c in range(1, max(c for _, c in log) + 1) if (1, c) in log]


def test_users_summary_and_status_column_are_kept_outputs_go_beside(users_book: Path) -> None:
    payload, book, findings = refresh(users_book)
    cells = replay(payload, book.json()["actions"])
    assert cells["Summary"] == MINE
    assert cells["Summary (sheetflow)"][(1, 1)].startswith("Process summary")
    header = log_header(cells)
    assert header[:7] == ["case_id", "node", "assignee", "start", "end", "note", "status"]
    assert header[7:] == OUTPUTS
    rows = max(r for r, _ in cells["Log"])
    assert [cells["Log"][(r, 7)] for r in range(2, rows + 1)] == [
        f"checked {r}" for r in range(2, rows + 1)
    ]
    assert taken(findings) == {("Summary", "Summary"), ("Log", "status")}
    names = replay_names(payload, book.json()["actions"], list(cells))
    assert ("_sheetflow.sheet.Summary", None, "='Summary (sheetflow)'!$A$1") in names
    assert ("_sheetflow.columns", "Log", "='Log'!$H:$L") in names


def test_a_second_refresh_rewrites_its_own_outputs_in_place(
    users_book: Path, tmp_path: Path
) -> None:
    payload, book, _ = refresh(users_book)
    once = to_file(payload, book.json()["actions"], tmp_path / "once.xlsx")
    payload, book, findings = refresh(once)
    actions = book.json()["actions"]
    cells = replay(payload, actions)
    assert [a["args"][1] for a in actions if a["func"] == "addSheet"] == []
    assert [t for t in cells if "sheetflow" in t] == ["Summary (sheetflow)"]
    assert log_header(cells)[6:] == ["status", *OUTPUTS]
    assert cells["Summary"] == MINE
    assert taken(findings) == {("Summary", "Summary"), ("Log", "status")}
    # without the records the same book is judged by its content: a second copy and the
    # user's `status` column taken for sheetflow's (the loss the records prevent)
    payload, book, _ = refresh(once, with_names=False)
    cells = replay(payload, book.json()["actions"])
    assert "Summary (sheetflow 2)" in cells
    assert cells["Log"][(2, 7)] != "checked 2"


def test_file_door_then_excel_door_then_file_door_agree(users_book: Path, tmp_path: Path) -> None:
    pipeline.refresh(open_book(str(users_book)), AS_OF)  # the file door, in place
    by_file = openpyxl.load_workbook(users_book)
    payload, book, findings = refresh(users_book)
    actions = book.json()["actions"]
    cells = replay(payload, actions)
    assert [a for a in actions if a["func"] == "addSheet"] == []
    assert list(cells) == by_file.sheetnames
    assert log_header(cells) == [c.value for c in by_file["Log"][1]]
    assert taken(findings) == {("Summary", "Summary"), ("Log", "status")}
    # and back to the file door: the names the add-in wrote say the same
    back = to_file(payload, actions, tmp_path / "back.xlsx")
    report, _ = pipeline.refresh(open_book(str(back)), AS_OF)
    wb = openpyxl.load_workbook(back)
    assert wb.sheetnames == by_file.sheetnames
    assert [c.value for c in wb["Log"][1]] == [c.value for c in by_file["Log"][1]]
    assert wb["Log"]["G2"].value == "checked 2"
    assert taken(report.findings) == {("Summary", "Summary"), ("Log", "status")}


def test_a_sync_plan_leaves_the_records_be(users_book: Path) -> None:
    from sheetflow.core.plan import Column, OutputPlan, Patch

    payload, book, _ = refresh(users_book)
    door = ExcelDoor(book)
    before = len(book.json()["actions"])
    door.write(OutputPlan("en", pipeline.parse_as_of(AS_OF).to_pydatetime(), (
        Patch("Log", "Log", 1, (2,), (Column("c1", "case_id", ["X"]),), (1,), header_style=None),
    )))
    assert not [
        a for a in book.json()["actions"][before:] if a["func"] in ("namesAdd", "nameDelete")
    ]
