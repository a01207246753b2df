"""Workbooks for the misread tests, written by the tools users have: xlsxwriter and openpyxl."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter


@dataclass(frozen=True)
class Formula:
    """A formula cell: `value` is the cached result xlsxwriter stores (None: its default, 0)."""

    text: str
    value: object = None


def write_with_xlsxwriter(
    path: Path,
    sheets: dict[str, list[list[object]]],
    tables: dict[str, dict] | None = None,
) -> Path:
    """Write sheet title -> rows with xlsxwriter; `Formula` cells become formulas.

    tables: sheet title -> options of `worksheet.add_table` over that sheet's rows (the
    sheet's rows are then the table's header and data).
    """
    book = xlsxwriter.Workbook(str(path))
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for title, rows in sheets.items():
        sheet = book.add_worksheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, Formula):
                    if value.value is None:
                        sheet.write_formula(r, c, value.text, stamp)
                    else:
                        sheet.write_formula(r, c, value.text, stamp, value.value)
                elif isinstance(value, (dt.datetime, dt.date)):
                    sheet.write_datetime(r, c, value, stamp)
                elif value is not None:
                    sheet.write(r, c, value)
        if tables and title in tables:
            width = max(len(row) for row in rows)
            options = dict(tables[title])
            options.setdefault("columns", [{"header": str(h)} for h in rows[0]])
            last = len(rows) - 1 + (1 if options.get("total_row") else 0)
            sheet.add_table(0, 0, last, width - 1, options)
    book.close()
    return path


def libreoffice() -> str | None:
    """The LibreOffice program when installed (tests using it skip otherwise)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def recalculate_with_libreoffice(source: Path, folder: Path) -> Path:
    """Open `source` in headless LibreOffice and save it as .xlsx (formulas calculated)."""
    program = libreoffice()
    assert program is not None
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [program, "--headless", "--convert-to", "xlsx", "--outdir", str(folder), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / (source.stem + ".xlsx")
