"""Helpers the tests share: real workbook files, typed frames as validation hands them over, and
the command line run as a user runs it. Fixtures built on them are in conftest.py."""

from __future__ import annotations

import copy
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
from python_calamine import CalamineWorkbook

from sheetflow.core import schema

AS_OF = "2024-10-09T16:00"
CASE_COLUMNS = [c.name for c in schema.CASES.columns]
PEOPLE_COLUMNS = [c.name for c in schema.PEOPLE.columns]


def write_book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """Write sheet title -> rows (row 1 = header) to a real .xlsx file."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def clean_sheets() -> dict[str, list[list[object]]]:
    """A small valid English workbook: 3 cases of a 4-node process, worked by hand in tests."""
    return copy.deepcopy(
        {
            "Process": [
                ["node", "seq", "role", "sla_hours", "clock", "required", "after", "warn_ratio"],
                ["Receive", 1, "Agent", 1, "business", "yes", None, None],
                ["Classify", 2, "Agent", 2, "business", "yes", None, None],
                ["Resolve", 3, "Engineer", 16, "business", "yes", None, 0.5],
                ["Visit", 4, "Agent", 24, "calendar", "no", None, None],
            ],
            "Cases": [
                [
                    "case_id",
                    "opened_at",
                    "title",
                    "priority",
                    "amount",
                    "department",
                    "satisfaction",
                ],
                [
                    "C1",
                    datetime(2024, 9, 30, 9, 0),
                    "Late parcel",
                    "normal",
                    800,
                    "Sales",
                    "satisfied",
                ],
                ["C2", datetime(2024, 10, 8, 9, 0), "Broken item", "urgent", 6000, "Sales", None],
                ["C3", datetime(2024, 10, 9, 9, 0), "Refund", "normal", 60000, "Service", None],
            ],
            "Log": [
                ["case_id", "node", "assignee", "start", "end", "note"],
                ["C1", "Receive", "Ann", datetime(2024, 9, 30, 9, 0), datetime(2024, 9, 30, 9, 30)],
                [
                    "C1",
                    "Classify",
                    "Ann",
                    datetime(2024, 9, 30, 9, 30),
                    datetime(2024, 9, 30, 10, 0),
                ],
                [
                    "C1",
                    "Resolve",
                    "Bob",
                    datetime(2024, 9, 30, 10, 0),
                    datetime(2024, 10, 8, 12, 0),
                ],
                ["C2", "Receive", "Ann", datetime(2024, 10, 8, 9, 0), datetime(2024, 10, 8, 9, 30)],
                [
                    "C2",
                    "Classify",
                    "Ann",
                    datetime(2024, 10, 8, 9, 30),
                    datetime(2024, 10, 8, 10, 0),
                ],
                ["C2", "Resolve", "Bob", datetime(2024, 10, 8, 10, 0), None],
                ["C3", "Receive", "Ann", datetime(2024, 10, 9, 9, 0), datetime(2024, 10, 9, 9, 30)],
                ["C3", "Classify", "Cai", datetime(2024, 10, 9, 14, 0), None],
            ],
            "People": [
                PEOPLE_COLUMNS,
                ["Ann", "Agent", "ann@example.com", "Dora", None, None, None, "Sales"],
                ["Cai", "Agent", "cai@example.com", "Dora", None, None, None, "Service"],
                ["Bob", "Engineer", "bob@example.com", "Dora", None, None, None, "Service"],
                [
                    "Dora",
                    "Manager",
                    "dora@example.com",
                    None,
                    "Eve",
                    date(2024, 10, 8),
                    date(2024, 10, 10),
                    "Sales",
                ],
                ["Eve", "Manager", "eve@example.com", None, None, None, None, "Service"],
            ],
            "Rules": [
                ["rule", "amount", "approver_role", "approver"],
                ["R1", "< 5000", "Agent", None],
                ["R2", ">= 5000", "Manager", None],
            ],
            "Calendar": [
                ["date", "kind", "name"],
                *[[date(2024, 10, d), "holiday", "National Day"] for d in range(1, 8)],
                [date(2024, 9, 29), "workday", "Make-up"],
                [date(2024, 10, 12), "workday", "Make-up"],
            ],
            "SLA": [["node", "priority", "sla_hours"], ["Resolve", "urgent", 8]],
            "Exceptions": [
                ["case_id", "node", "extend_hours", "reason", "approved_by", "status"],
                ["C1", "Resolve", 8, "waiting for parts", "Dora", "approved"],
            ],
            "Settings": [["key", "value"], ["case_sla_hours", 72]],
        }
    )


def people_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The typed People frame validation hands over (index = Excel row)."""
    frame = pd.DataFrame(
        [{c: row.get(c) for c in PEOPLE_COLUMNS} for row in rows], columns=PEOPLE_COLUMNS
    ).astype(object)
    for column in ("away_from", "away_to"):
        frame[column] = pd.to_datetime(frame[column]).dt.normalize()
    frame.index = pd.RangeIndex(2, 2 + len(rows), name="row")
    return frame


def cases_frame(rows: list[dict[str, object]], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The typed Cases frame validation hands over (index = Excel row, cases opened hourly)."""
    records = []
    for i, row in enumerate(rows):
        record = {c: None for c in CASE_COLUMNS + list(extra)}
        record.update(
            case_id=f"C{i + 1}",
            opened_at=pd.Timestamp("2024-05-01 09:00") + pd.Timedelta(hours=i),
            priority="normal",
        )
        record.update(row)
        records.append(record)
    frame = pd.DataFrame(records, columns=CASE_COLUMNS + list(extra)).astype(object)
    frame["opened_at"] = pd.to_datetime(frame["opened_at"])
    frame["amount"] = pd.to_numeric(frame["amount"]).astype(float)
    frame.index = pd.RangeIndex(2, 2 + len(rows), name="row")
    return frame


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`sheetflow ARGS` in a real process."""
    return subprocess.run(
        [sys.executable, "-m", "sheetflow", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, fragment: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in lines[0]


def calamine_rows(path: Path, title: str) -> list[list[object]]:
    """A sheet's cells as an independent reader (calamine) sees them."""
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(title).to_python()


def add_users_status_column(path: Path, sheet: str = "Log") -> int:
    """A column of the user's own headed `status` (a computed column's name) right of the
    sheet's last column, "checked N" in each row: the look-alike sheetflow must never write over.
    Returns its 1-based column."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    mine = ws.max_column + 1
    ws.cell(1, mine, "status")
    for row in range(2, ws.max_row + 1):
        ws.cell(row, mine, f"checked {row}")
    wb.save(path)
    return mine
