"""sheetflow: validate, time, route and summarise business processes kept in workbooks.

    import sheetflow
    door = sheetflow.open_book("complaints.xlsx")
    report = sheetflow.run(door, as_of="2024-10-09T16:00")
    report.kpis["overdue_open"], [f.code for f in report.findings]
"""

from sheetflow.core.findings import Finding
from sheetflow.core.report import Report
from sheetflow.core.workbook import Workbook
from sheetflow.errors import (
    LockedError,
    SheetflowError,
    UnsafeWriteError,
    UsageError,
    WorkbookError,
)
from sheetflow.io.doors import Door, open_book
from sheetflow.pipeline import compute, explain, run

__all__ = [
    "Door",
    "Finding",
    "LockedError",
    "Report",
    "SheetflowError",
    "UnsafeWriteError",
    "UsageError",
    "Workbook",
    "WorkbookError",
    "compute",
    "explain",
    "open_book",
    "run",
]
