"""Shared fixtures: small real workbook files written with openpyxl and read back by sheetflow."""

from __future__ import annotations

import copy
import os
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import settings as hypothesis_settings

AS_OF = "2024-10-09T16:00"


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
                [
                    "name",
                    "role",
                    "email",
                    "manager",
                    "deputy",
                    "away_from",
                    "away_to",
                    "department",
                ],
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


@pytest.fixture
def sheets() -> dict[str, list[list[object]]]:
    return clean_sheets()


@pytest.fixture
def book_path(tmp_path: Path, sheets: dict[str, list[list[object]]]):
    """A function writing (possibly modified) sheets to a fresh .xlsx in tmp_path."""

    def make(data: dict[str, list[list[object]]] | None = None, name: str = "book.xlsx") -> Path:
        return write_book(tmp_path / name, data if data is not None else sheets)

    return make


# CI runs a fixed set of examples (reproducible verdicts); local runs keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
