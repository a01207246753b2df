"""The ribbon's buttons as xlwings Server scripts, for Excel on the web and Python-less PCs.

A team that runs xlwings Server (under its own xlwings licence; sheetflow does not bundle it)
imports these into the server's `custom_scripts` package:

    from sheetflow.server_scripts import *  # noqa: F403

Each script receives the workbook from xlwings Server's Office.js client and calls the same
`sheetflow.addin` function the desktop ribbon calls; the remote engine turns what it does
into actions the client applies to the open workbook.
"""

from __future__ import annotations

import xlwings as xw
from xlwings.server import script  # xlwings Server only: needs its licence key

from sheetflow import addin

__all__ = [
    "sheetflow_validate",
    "sheetflow_clear_marks",
    "sheetflow_refresh",
    "sheetflow_route",
    "sheetflow_overdue",
]


@script(button="[xw-sheetflow-validate]")
def sheetflow_validate(book: xw.Book) -> None:
    """Check every input sheet and mark each error cell."""
    addin.validate(book)


@script(button="[xw-sheetflow-clear-marks]")
def sheetflow_clear_marks(book: xw.Book) -> None:
    """Remove the marks of the last validation."""
    addin.clear_marks(book)


@script(button="[xw-sheetflow-refresh]")
def sheetflow_refresh(book: xw.Book) -> None:
    """Compute and write the computed columns and the output sheets."""
    addin.refresh(book)


@script(button="[xw-sheetflow-route]")
def sheetflow_route(book: xw.Book) -> None:
    """Route cases to approvers."""
    addin.route(book)


@script(button="[xw-sheetflow-overdue]")
def sheetflow_overdue(book: xw.Book) -> None:
    """List overdue work."""
    addin.overdue(book)
