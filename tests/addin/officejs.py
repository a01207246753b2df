"""Book JSON in the shape xlwings' Office.js client sends (xlwings Server's getBookData).

Built from a real workbook file read with calamine: per sheet the values from A1 to the last
used cell, empty cells as "", dates as the ISO text the client makes of date-formatted cells
(`new Date(...).toISOString()`), plus the keys xlwings 0.37's remote engine reads (notes,
charts, shapes, visibility...).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
import python_calamine
import xlwings as xw
from openpyxl.workbook.defined_name import DefinedName


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


def file_names(path: Path) -> list[dict]:
    """The defined names of a workbook file as xlwings' Office.js client sends them.

    The client (xlwings Server's `getBookData`) sends range names only, each as its sheet's
    position and the address without the sheet and without `$` (`H:L`; a name over several
    areas as `H:L,N:N`, as VBA's `Range.Address` gives it), the scope apart.
    """
    wb = openpyxl.load_workbook(path)
    titles = wb.sheetnames
    scoped = [(None, n) for n in wb.defined_names.values()]
    scoped += [(ws.title, n) for ws in wb.worksheets for n in ws.defined_names.values()]
    out = []
    for scope, name in scoped:
        areas = [a.strip() for a in str(name.attr_text).split(",")]
        sheets = {a.rpartition("!")[0].strip("'").replace("''", "'") for a in areas}
        if len(sheets) != 1 or next(iter(sheets)) not in titles:
            continue  # not a range of one sheet: the client leaves it out
        address = ",".join(a.rpartition("!")[2].replace("$", "") for a in areas)
        out.append({
            "name": name.name,
            "sheet_index": titles.index(next(iter(sheets))),
            "address": address,
            "scope_sheet_name": scope,
            "scope_sheet_index": None if scope is None else titles.index(scope),
            "book_scope": scope is None,
        })
    return out


def book_json(
    path: Path,
    extra: Mapping[str, Sequence[Sequence[object]]] | None = None,
    notes: Mapping[str, Sequence[str]] | None = None,
    names: Sequence[Mapping] = (),
) -> dict:
    """The payload for the workbook file `path`; `extra` adds sheets, `notes` marks cells,
    `names` are the defined names (see `file_names`)."""
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
        "names": [dict(n) for n in names],
        "sheets": [sheet_json(name, rows, notes.get(name, ())) for name, rows in sheets],
    }


# -- what the client does with the actions ---------------------------------------------------

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?$")
_HYPERLINK = re.compile(r'^=HYPERLINK\("((?:[^"]|"")*)","((?:[^"]|"")*)"\)$')

Cells = dict[tuple[int, int], object]


def replay(payload: Mapping, actions: Sequence[Mapping]) -> dict[str, Cells]:
    """Every sheet's non-empty cells after the client applied `actions` to `payload`.

    Applies what changes values or the list of sheets (setValues, addSheet, sheetDelete,
    setSheetName, sheet and range clears) the way Office.js does, by sheet position at the
    time of each action; formats are left to the tests that look for them.
    """
    sheets: list[list] = []
    for sheet in payload["sheets"]:
        cells = {
            (r, c): v
            for r, row in enumerate(sheet["values"], start=1)
            for c, v in enumerate(row, start=1)
            if v not in ("", None)
        }
        sheets.append([sheet["name"], cells])
    for action in actions:
        func, args, position = action["func"], action["args"], action["sheet_position"]
        if func == "addSheet":
            sheets.insert(args[0], [args[1], {}])
        elif func == "sheetDelete":
            del sheets[position]
        elif func == "setSheetName":
            sheets[position][0] = args[0] if isinstance(args, list) else args
        elif func in ("sheetClear", "sheetClearContents"):
            sheets[position][1].clear()
        elif func in ("rangeClear", "rangeClearContents", "setValues"):
            top, left = action["start_row"] + 1, action["start_column"] + 1
            cells = sheets[position][1]
            for r in range(top, top + action["row_count"]):
                for c in range(left, left + action["column_count"]):
                    cells.pop((r, c), None)
            if func == "setValues":
                for i, row in enumerate(action["values"]):
                    for j, value in enumerate(row):
                        if value not in ("", None):
                            cells[(top + i, left + j)] = value
    return {name: cells for name, cells in sheets}


def shown(value: object) -> object:
    """A cell as the user sees it, from the client's JSON: dates parsed, links as their text,
    numbers as floats."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if _ISO.match(value):
            return dt.datetime.fromisoformat(value.rstrip("Z").replace("T", " ")).replace(
                microsecond=0
            )
        link = _HYPERLINK.match(value)
        if link:
            return link.group(2).replace('""', '"')
    return value


def file_cells(path: Path) -> dict[str, Cells]:
    """Every sheet's non-empty cells of a workbook file, read with calamine, in the form
    `shown` gives the client's values."""
    calamine = python_calamine.CalamineWorkbook.from_path(str(path))
    out = {}
    for name in calamine.sheet_names:
        rows = calamine.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out[name] = {
            (r, c): shown(_js(v))
            for r, row in enumerate(rows, start=1)
            for c, v in enumerate(row, start=1)
            if v not in ("", None)
        }
    return out


def replay_names(payload: Mapping, actions: Sequence[Mapping], titles: Sequence[str]) -> list:
    """(name, local sheet title or None, reference) after the client applied `actions`.

    `titles` are the sheets after the actions: a name added local to a sheet is placed by the
    sheet's position then, so names must be added after the sheets changed (the Excel door
    adds them last).
    """
    start = list(payload["sheets"])
    names = []
    for entry in payload["names"]:
        title = start[entry["sheet_index"]]["name"]
        areas = ",".join(f"'{title}'!{a}" for a in entry["address"].split(","))
        names.append((entry["name"], entry["scope_sheet_name"], "=" + areas))
    for action in actions:
        if action["func"] == "nameDelete":
            bare, book_scope, scope_index = action["args"][2], action["args"][4], action["args"][5]
            scope = None if book_scope else start[scope_index]["name"]
            names = [n for n in names if (n[0], n[1]) != (bare, scope)]
        elif action["func"] == "namesAdd":
            position = action["sheet_position"]
            scope = None if position is None else titles[position]
            names.append((action["args"][0], scope, action["args"][1]))
    return names


def to_file(payload: Mapping, actions: Sequence[Mapping], path: Path) -> Path:
    """The workbook after the client applied `actions`, saved as a file: values and names."""
    cells = replay(payload, actions)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, sheet_cells in cells.items():
        ws = wb.create_sheet(title)
        for (row, col), value in sheet_cells.items():
            ws.cell(row, col, shown(value))
    for name, scope, reference in replay_names(payload, actions, list(cells)):
        defined = DefinedName(name, attr_text=reference.lstrip("="), hidden=True)
        (wb[scope].defined_names if scope else wb.defined_names)[name] = defined
    wb.save(path)
    return path
