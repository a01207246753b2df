"""calendar_gap (SPEC §7): a year the Log falls in without any Calendar row, through real files."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from sheetflow.cli import main
from sheetflow.io.xlsx import read_workbook
from sheetflow.pipeline import compute

AS_OF_2025 = pd.Timestamp("2025-06-30T18:00")


def _log_into(sheets, *rows: tuple[str, str, datetime, datetime | None]) -> None:
    """Add Log rows (case, node, start, end) for cases that exist in the clean workbook."""
    for case_id, node, start, end in rows:
        sheets["Log"].append([case_id, node, "Ann", start, end])


def _gaps(path, as_of=AS_OF_2025):
    return [f for f in compute(read_workbook(path), as_of).findings if f.code == "calendar_gap"]


def test_log_spanning_2025_with_a_2024_only_calendar_gives_one_gap_for_2025(book_path, sheets):
    # a row from December 2024 into January 2025, and two more in 2025
    _log_into(
        sheets,
        ("C2", "Visit", datetime(2024, 12, 30, 9), datetime(2025, 1, 3, 9)),
        ("C1", "Visit", datetime(2025, 2, 5, 9), datetime(2025, 2, 6, 9)),
        ("C3", "Resolve", datetime(2025, 3, 1, 9), None),
    )
    (gap,) = _gaps(book_path(sheets))
    assert (gap.sheet, gap.row, gap.column, gap.value, gap.severity) == (
        "Calendar",
        None,
        None,
        2025,
        "warning",
    )
    assert "2025" in gap.message
    assert "sheetflow calendar BOOK --years 2025" in gap.message


def test_gap_message_in_chinese(book_path, sheets):
    sheets["工作日历"] = sheets.pop("Calendar")
    sheets["Settings"].append(["language", "zh"])
    _log_into(sheets, ("C1", "Visit", datetime(2025, 2, 5, 9), datetime(2025, 2, 6, 9)))
    (gap,) = _gaps(book_path(sheets))
    assert gap.sheet == "工作日历"
    assert gap.message.startswith("工作日历中没有 2025 年的日期")
    assert "sheetflow calendar BOOK --years 2025" in gap.message


def test_one_finding_per_missing_year(book_path, sheets):
    _log_into(
        sheets,
        ("C1", "Visit", datetime(2023, 11, 1, 9), datetime(2023, 11, 2, 9)),
        ("C2", "Visit", datetime(2025, 2, 5, 9), datetime(2025, 2, 6, 9)),
        ("C3", "Visit", datetime(2025, 3, 5, 9), datetime(2025, 3, 6, 9)),
    )
    assert sorted(g.value for g in _gaps(book_path(sheets))) == [2023, 2025]


@pytest.mark.parametrize(
    "calendar",
    [
        pytest.param(None, id="no-calendar-sheet"),
        pytest.param([["date", "kind", "name"]], id="empty-calendar"),
        pytest.param(
            [["date", "kind"], [date(2024, 10, 1), "holiday"], [date(2025, 1, 1), "holiday"]],
            id="every-year-covered",
        ),
    ],
)
def test_no_gap_without_a_calendar_or_with_every_year_covered(book_path, sheets, calendar):
    if calendar is None:
        del sheets["Calendar"]
    else:
        sheets["Calendar"] = calendar
    _log_into(sheets, ("C1", "Visit", datetime(2025, 2, 5, 9), datetime(2025, 2, 6, 9)))
    assert _gaps(book_path(sheets)) == []


def test_years_after_as_of_are_future_time_not_gaps(book_path, sheets):
    _log_into(sheets, ("C1", "Visit", datetime(2026, 2, 5, 9), datetime(2026, 2, 6, 9)))
    path = book_path(sheets)
    assert _gaps(path) == []
    codes = {f.code for f in compute(read_workbook(path), AS_OF_2025).findings}
    assert "future_time" in codes


def test_validate_json_counts_the_gap_as_a_warning(book_path, sheets, capsys):
    _log_into(sheets, ("C1", "Visit", datetime(2025, 2, 5, 9), datetime(2025, 2, 6, 9)))
    path = book_path(sheets)
    assert main(["validate", str(path), "--as-of", "2025-06-30T18:00", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"code": "calendar_gap"' in out and '"warnings": 1' in out
