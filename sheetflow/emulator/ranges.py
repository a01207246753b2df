"""The `spreadsheets.values` operations of the Sheets API v4 on a `Spreadsheet`: get, update,
clear and append a range of values."""

from __future__ import annotations

from sheetflow.emulator import a1
from sheetflow.emulator.errors import bad
from sheetflow.emulator.model import Spreadsheet, beyond_grid
from sheetflow.emulator.sheet import Layer, Sheet
from sheetflow.emulator.values import parse_user_entered, raw_value, render


def get_values(
    book: Spreadsheet,
    text: str,
    major: str = "ROWS",
    value_option: str = "FORMATTED_VALUE",
    date_option: str = "SERIAL_NUMBER",
) -> dict:
    sheet, r0, r1, c0, c1, _ = book.resolve(text)
    formats = value_option == "FORMATTED_VALUE" or date_option == "FORMATTED_STRING"
    grid: list[list] = []
    for r in range(r0, min(r1, len(sheet.rows))):
        row = sheet.rows[r]
        out = []
        for c in range(c0, min(c1, len(row))):
            value = row[c]
            if value is not None:
                fmt = sheet.number_format(r, c) if formats else None
                value = render(value, fmt, value_option, date_option)
            out.append(value)
        grid.append(out)
    if major == "COLUMNS":
        grid = _transposed(grid)
    answer = {"range": a1.format_range(sheet.title, r0, r1, c0, c1), "majorDimension": major}
    trimmed = _trim(grid)
    if trimmed:
        answer["values"] = trimmed
    return answer


def update_values(
    book: Spreadsheet, text: str, values: object, option: str, major: str = "ROWS"
) -> dict:
    """Write `values` from the range's top-left cell; the answer carries `_hit`, the sheet and
    the rows and columns written, for `values:batchUpdate`'s totals."""
    if option not in ("RAW", "USER_ENTERED"):
        raise bad(f"Invalid valueInputOption: {option}")
    if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
        raise bad(
            "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue)"
        )
    sheet, r0, r1, c0, c1, bounds = book.resolve(text)
    if major == "COLUMNS":
        values = _transposed(values)
    height = len(values)
    width = max((len(r) for r in values), default=0)
    if height == 0:
        return {"spreadsheetId": book.spreadsheet_id}
    explicit_end = bounds.end_row is not None and bounds.end_col is not None
    if explicit_end and (height > r1 - r0 or width > c1 - c0) and not (
        r1 - r0 == 1 and c1 - c0 == 1 and _single_cell(text)
    ):
        raise bad(
            f"Requested writing within range [{text}], but tried writing to "
            f"{'row' if height > r1 - r0 else 'column'} "
            f"[{(r0 + height) if height > r1 - r0 else a1.column_letters(c0 + width - 1)}]"
        )
    if r0 + height > sheet.row_count or c0 + width > sheet.col_count:
        raise beyond_grid(sheet, f"{a1.column_letters(c0)}{r0 + 1}:"
                                 f"{a1.column_letters(c0 + width - 1)}{r0 + height}")
    cells, rows_hit, cols_hit = _write(sheet, r0, c0, values, option == "USER_ENTERED")
    return {
        "spreadsheetId": book.spreadsheet_id,
        "updatedRange": a1.format_range(sheet.title, r0, r0 + height, c0, c0 + width),
        "updatedRows": len(rows_hit),
        "updatedColumns": len(cols_hit),
        "updatedCells": cells,
        "_hit": (sheet.sheet_id, {r0 + r for r in rows_hit}, {c0 + c for c in cols_hit}),
    }


def _write(
    sheet: Sheet, r0: int, c0: int, values: list[list], parse: bool
) -> tuple[int, set[int], set[int]]:
    """Put `values` into `sheet` from (r0, c0); the cells written, their rows and columns."""
    cells = 0
    rows_hit: set[int] = set()
    cols_hit: set[int] = set()
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if value is None:
                continue  # null leaves the cell as it is (and is not counted)
            cells += 1
            rows_hit.add(i)
            cols_hit.add(j)
            if value == "":
                sheet.put(r0 + i, c0 + j, None)
                continue
            if parse and isinstance(value, str):
                stored, fmt = parse_user_entered(value)
                if fmt is not None:
                    sheet.layers.append(
                        Layer(r0 + i, r0 + i + 1, c0 + j, c0 + j + 1, fmt and
                              {"numberFormat": fmt}, ("numberFormat",))
                    )
                sheet.put(r0 + i, c0 + j, stored)
            elif isinstance(value, (dict, list)):
                raise bad(f"Invalid values[{i}][{j}]: {value!r}")
            else:
                sheet.put(r0 + i, c0 + j, raw_value(value))
    return cells, rows_hit, cols_hit


def clear_values(book: Spreadsheet, text: str) -> str:
    sheet, r0, r1, c0, c1, _ = book.resolve(text)
    sheet.clear(r0, r1, c0, c1)
    return a1.format_range(sheet.title, r0, r1, c0, c1)


def append_values(book: Spreadsheet, text: str, values: list, option: str, insert: str) -> dict:
    sheet, r0, r1, c0, c1, _ = book.resolve(text)
    last, c0, table = _table(sheet, r0, r1, c0, c1)
    start = last + 1 if last >= 0 else r0
    height = len(values)
    width = max((len(r) for r in values), default=0)
    if insert == "INSERT_ROWS":
        rows = sheet.own_rows()
        for _ in range(height):
            if start < len(rows):
                rows.insert(start, [])
        sheet.props["gridProperties"]["rowCount"] += height
    elif start + height > sheet.row_count:
        sheet.props["gridProperties"]["rowCount"] = start + height
    if c0 + width > sheet.col_count:
        sheet.props["gridProperties"]["columnCount"] = c0 + width
    target = a1.format_range(sheet.title, start, start + max(height, 1), c0, c0 + max(width, 1))
    updates = update_values(book, target, values, option)
    updates.pop("_hit", None)
    answer = {"spreadsheetId": book.spreadsheet_id, "updates": updates}
    if table is not None:
        answer = {"spreadsheetId": book.spreadsheet_id, "tableRange": table, "updates": updates}
    return answer


def _table(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> tuple[int, int, str | None]:
    """The table an append lands after: its last row (-1: none), first column and range."""
    # the table: rows of the range's columns from its first row down to the last one used
    last = -1
    for r in range(r0, min(r1, len(sheet.rows))):
        row = sheet.rows[r]
        if any(row[c] is not None for c in range(c0, min(c1, len(row)))):
            last = r
    if last < 0:
        return last, c0, None
    first = next(
        r
        for r in range(r0, last + 1)
        if any(v is not None for v in sheet.rows[r][c0 : min(c1, len(sheet.rows[r]))])
    )
    used = [
        c
        for r in range(first, last + 1)
        for c in range(c0, min(c1, len(sheet.rows[r])))
        if sheet.rows[r][c] is not None
    ]
    # columns with nothing between them part tables; Google appends to the last one
    cols = sorted(set(used))
    c0 = cols[0]
    for prev, col in zip(cols, cols[1:]):
        if col > prev + 1:
            c0 = col
    return last, c0, a1.format_range(sheet.title, first, last + 1, c0, cols[-1] + 1)


def _transposed(grid: list) -> list[list]:
    width = max((len(row) for row in grid), default=0)
    return [[row[c] if c < len(row) else None for row in grid] for c in range(width)]


def _single_cell(text: str) -> bool:
    cells = a1.split_sheet(text)[1]
    return cells is not None and ":" not in cells


def _trim(grid: list[list]) -> list[list]:
    for row in grid:
        while row and row[-1] is None:
            row.pop()
    while grid and not grid[-1]:
        grid.pop()
    return [["" if v is None else v for v in row] for row in grid]
