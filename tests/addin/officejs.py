"""Book JSON in the shape xlwings' Office.js client sends (xlwings Server's getBookData).

Built from a real workbook file read with calamine: per sheet the values from A1 to the last
used cell, empty cells as "", dates as the ISO text the client makes of date-formatted cells
(`new Date(...).toISOString()`), plus the keys xlwings 0.37's remote engine reads (notes,
charts, shapes, visibility...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import python_calamine
import xlwings as xw


def _js(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return _js(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, dt.time):
        return _js(dt.datetime(1899, 12, 30, value.hour, value.minute, value.second))
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSON from JavaScript has no 1001.0
    return value


def sheet_json(name: str, rows: Sequence[Sequence[object]], notes: Sequence[str] = ()) -> dict:
    width = max((len(r) for r in rows), default=0)
    values = [[_js(v) for v in row] + [""] * (width - len(row)) for row in rows] or [[""]]
    return {
        "name": name,
        "values": values,
        "pictures": [],
        "shapes": [],
        "charts": [],
        "notes": [{"address": a} for a in notes],
        "tables": [],
        "visibility": "Visible",
        "print_area": None,
        "show_gridlines": True,
        "pivot_tables": [],
    }


def book_json(
    path: Path,
    extra: Mapping[str, Sequence[Sequence[object]]] | None = None,
    notes: Mapping[str, Sequence[str]] | None = None,
) -> dict:
    """The payload for the workbook file `path`; `extra` adds sheets, `notes` marks cells."""
    calamine = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = [
        (name, calamine.get_sheet_by_name(name).to_python(skip_empty_area=False))
        for name in calamine.sheet_names
    ]
    sheets += list((extra or {}).items())
    notes = notes or {}
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [sheet_json(name, rows, notes.get(name, ())) for name, rows in sheets],
    }
