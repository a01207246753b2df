"""The emulator's spreadsheets: their sheets, ranges, metadata as Google prints it, and new
sheets. Pure Python, no HTTP; `server.py` maps requests onto it, `ranges.py` holds the values
operations and `batch.py` the batchUpdate requests."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

from sheetflow.emulator import a1
from sheetflow.emulator.errors import STATUS, ApiError, bad
from sheetflow.emulator.sheet import Layer, Sheet
from sheetflow.emulator.values import Formula, Unsupported, raw_value, render

__all__ = ["STATUS", "ApiError", "IdSource", "Layer", "Sheet", "Spreadsheet", "bad", "new_sheet"]

DEFAULT_ROWS, DEFAULT_COLS = 1000, 26
MAX_CELLS = 10_000_000  # Google's limit per spreadsheet
DEFAULT_PROPERTIES = {
    "locale": "en_US",
    "autoRecalc": "ON_CHANGE",
    "timeZone": "Etc/GMT",
    "defaultFormat": {
        "backgroundColor": {"red": 1, "green": 1, "blue": 1},
        "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
        "verticalAlignment": "BOTTOM",
        "wrapStrategy": "OVERFLOW_CELL",
        "textFormat": {
            "foregroundColor": {},
            "fontFamily": "arial,sans,sans-serif",
            "fontSize": 10,
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "foregroundColorStyle": {"rgbColor": {}},
        },
        "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
    },
}


def beyond_grid(sheet: Sheet, cells: str | None) -> ApiError:
    """Google's answer to a range that reaches past the sheet's rows or columns."""
    return bad(
        f"Range ({a1.quote_title(sheet.title)}!{cells}) exceeds grid limits. "
        f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
    )


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    properties: dict
    sheets: list[Sheet]
    named_ranges: list[dict] = field(default_factory=list)
    developer_metadata: list[dict] = field(default_factory=list)  # see emulator/metadata.py

    def clone(self) -> Spreadsheet:
        return Spreadsheet(
            self.spreadsheet_id,
            copy.deepcopy(self.properties),
            [s.clone() for s in self.sheets],
            copy.deepcopy(self.named_ranges),
            copy.deepcopy(self.developer_metadata),
        )

    def reindex(self) -> None:
        for index, sheet in enumerate(self.sheets):
            sheet.props["index"] = index

    def by_id(self, sheet_id: object) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise bad(f"No grid with id: {sheet_id}")

    def by_title(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        for sheet in self.sheets:
            if sheet.title.lower() == title.lower():
                return sheet
        return None

    # -- ranges

    def resolve(self, text: str) -> tuple[Sheet, int, int, int, int, a1.Bounds]:
        """A range text -> (sheet, r0, r1, c0, c1) clipped to the grid, and the bounds as read."""
        title, cells = a1.split_sheet(text)
        sheet = None
        if title is None:
            sheet = self.by_title(cells)
            if sheet is not None:
                cells = None
            else:
                sheet = self.sheets[0]
        else:
            sheet = self.by_title(title)
            if sheet is None:
                raise bad(f"Unable to parse range: {text}")
        if cells is None:
            bounds = a1.Bounds(None, None, None, None)
        else:
            try:
                bounds = a1.parse_cells(cells)
            except a1.RangeError as exc:
                raise bad(f"Unable to parse range: {text}") from exc
        r0 = bounds.start_row or 0
        c0 = bounds.start_col or 0
        r1 = bounds.end_row if bounds.end_row is not None else sheet.row_count
        c1 = bounds.end_col if bounds.end_col is not None else sheet.col_count
        if r1 > sheet.row_count or c1 > sheet.col_count:
            raise beyond_grid(sheet, cells)
        return sheet, r0, r1, c0, c1, bounds

    def grid(self, grid_range: dict) -> tuple[Sheet, int, int, int, int]:
        sheet = self.by_id(grid_range.get("sheetId", 0))
        r0 = grid_range.get("startRowIndex", 0)
        r1 = grid_range.get("endRowIndex", sheet.row_count)
        c0 = grid_range.get("startColumnIndex", 0)
        c1 = grid_range.get("endColumnIndex", sheet.col_count)
        if not (0 <= r0 <= r1 <= sheet.row_count and 0 <= c0 <= c1 <= sheet.col_count):
            raise beyond_grid(sheet, f"{a1.column_letters(c0)}{r0 + 1}:"
                              f"{a1.column_letters(max(c1 - 1, 0))}{r1}")
        return sheet, r0, r1, c0, c1

    # -- metadata

    def to_json(self) -> dict:
        sheets = []
        for sheet in self.sheets:
            entry: dict = {"properties": copy.deepcopy(sheet.props)}
            if sheet.merges:
                entry["merges"] = proto_out(sheet.merges)
            if sheet.conditional:
                entry["conditionalFormats"] = proto_out(sheet.conditional)
            if sheet.basic_filter:
                entry["basicFilter"] = proto_out(sheet.basic_filter)
            if sheet.charts:
                entry["charts"] = proto_out(sheet.charts)
            sheets.append(entry)
        answer = {
            "spreadsheetId": self.spreadsheet_id,
            "properties": copy.deepcopy(self.properties),
            "sheets": sheets,
        }
        if self.named_ranges:
            answer["namedRanges"] = copy.deepcopy(self.named_ranges)
        answer["spreadsheetUrl"] = (
            f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"
        )
        return answer

    @staticmethod
    def _dimension(sheet: Sheet, dim: str, index: int, default: int) -> dict:
        meta = {"pixelSize": default}
        for kind, start, end, props in sheet.dimensions:
            if kind == dim and start <= index < end:
                meta.update({k: v for k, v in props.items() if v is not None})
        return {k: v for k, v in meta.items() if v not in (False, None)}

    def grid_data(self, sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> dict:
        """`GridData` of a rectangle: values and formats of each cell (for includeGridData)."""
        row_data = []
        for r in range(r0, r1):
            cells = []
            for c in range(c0, c1):
                cell: dict = {}
                value = sheet.get(r, c)
                fmt = sheet.cell_format(r, c)
                if value is not None:
                    cell["userEnteredValue"] = _typed(value)
                    shown = render(value, fmt.get("numberFormat"), "UNFORMATTED_VALUE", "")
                    cell["effectiveValue"] = _typed(shown)
                    cell["formattedValue"] = render(
                        value, fmt.get("numberFormat"), "FORMATTED_VALUE", ""
                    )
                if fmt:
                    cell["userEnteredFormat"] = _with_styles(fmt)
                if (r, c) in sheet.notes:
                    cell["note"] = sheet.notes[(r, c)]
                cells.append(cell)
            while cells and not cells[-1]:
                cells.pop()
            row_data.append({"values": cells} if cells else {})
        while row_data and not row_data[-1]:
            row_data.pop()
        answer: dict = {}
        answer["rowMetadata"] = [self._dimension(sheet, "ROWS", r, 21) for r in range(r0, r1)]
        answer["columnMetadata"] = [
            self._dimension(sheet, "COLUMNS", c, 100) for c in range(c0, c1)
        ]
        if r0:
            answer["startRow"] = r0
        if c0:
            answer["startColumn"] = c0
        if row_data:
            answer["rowData"] = row_data
        return answer


def proto_out(data: object) -> object:  # noqa: C901
    """A copy as Google prints it: `sheetId` 0 (the proto default) left out of ranges."""
    if isinstance(data, list):
        return [proto_out(item) for item in data]
    if isinstance(data, dict):
        return {
            k: proto_out(v)
            for k, v in data.items()
            if not (k == "sheetId" and v == 0 and "startRowIndex" in data or
                    k == "sheetId" and v == 0 and "startColumnIndex" in data or
                    k == "sheetId" and v == 0 and len(data) == 1)
        }
    return data


def colour(value: dict | None) -> dict | None:
    """Colours as Sheets stores them: 8 bits per channel, zero channels left out."""
    if not value:
        return None
    out = {}
    for key in ("red", "green", "blue", "alpha"):
        channel = value.get(key)
        if channel:
            # stored as whole 8-bit steps: 0.5 comes back as 127/255
            out[key] = int(float(channel) * 255) / 255 if key != "alpha" else channel
    return out


def tab_colours(props: dict) -> None:
    """`tabColor` and `tabColorStyle` mirror each other, as in Google's answers."""
    style = props.get("tabColorStyle")
    if isinstance(style, dict) and style.get("rgbColor"):
        props["tabColor"] = colour(style["rgbColor"]) or {}
        props["tabColorStyle"] = {"rgbColor": props["tabColor"]}
    elif props.get("tabColor"):
        props["tabColor"] = colour(props["tabColor"]) or {}
        props["tabColorStyle"] = {"rgbColor": props["tabColor"]}
    else:
        props.pop("tabColor", None)
        props.pop("tabColorStyle", None)


def _with_styles(fmt: dict) -> dict:
    """A format as Google prints it: colours quantised, each `xColor` with its `xColorStyle`."""
    out = {}
    for key, value in fmt.items():
        if key.endswith("ColorStyle"):
            continue
        if key.endswith("Color") and isinstance(value, dict):
            out[key] = colour(value) or {}
            out[key + "Style"] = {"rgbColor": out[key]}
        elif isinstance(value, dict):
            out[key] = _with_styles(value)
        else:
            out[key] = value
    return out


def _drop_nulls(value: object) -> object:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value
def _typed(value: object) -> dict:
    if isinstance(value, Formula):
        return {"formulaValue": str(value)}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": str(value)}


def untyped(extended: dict) -> object:
    if "formulaValue" in extended:
        return Formula(extended["formulaValue"])
    if "numberValue" in extended:
        return raw_value(extended["numberValue"])
    if "boolValue" in extended:
        return bool(extended["boolValue"])
    if "stringValue" in extended:
        return str(extended["stringValue"])
    if "errorValue" in extended:
        raise Unsupported("errorValue cells")
    return None


@dataclass
class IdSource:
    """Where new sheet ids come from: pre-loaded ones first (a replay), then random ones."""

    preloaded: list[int] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)

    def sheet_id(self, book: Spreadsheet) -> int:
        taken = {s.sheet_id for s in book.sheets}
        while self.preloaded:
            candidate = self.preloaded.pop(0)
            if candidate not in taken:
                return candidate
        while True:
            candidate = self.rng.randrange(1, 2**31 - 1)
            if candidate not in taken:
                return candidate

def _grid_props(props: dict) -> dict:
    grid = props.get("gridProperties") or {}
    out = {"rowCount": grid.get("rowCount", DEFAULT_ROWS),
           "columnCount": grid.get("columnCount", DEFAULT_COLS)}
    for key in ("frozenRowCount", "frozenColumnCount", "hideGridlines",
                "rowGroupControlAfter", "columnGroupControlAfter"):
        if grid.get(key):
            out[key] = grid[key]
    return out


def new_sheet(book: Spreadsheet, props: dict, ids: IdSource) -> Sheet:
    if props.get("sheetType", "GRID") != "GRID":
        raise Unsupported(f"sheetType {props.get('sheetType')}")
    sheet_id = props.get("sheetId")
    if sheet_id is None:
        sheet_id = ids.sheet_id(book)
    elif any(s.sheet_id == sheet_id for s in book.sheets):
        raise bad(f"A sheet with id {sheet_id} already exists.")
    title = props.get("title") or _free_title(book)
    if book.by_title(title) is not None:
        raise bad(
            f'A sheet with the name "{title}" already exists. Please enter another name.'
        )
    out = {"sheetId": sheet_id, "title": title, "index": 0, "sheetType": "GRID",
           "gridProperties": _grid_props(props)}
    for key in ("hidden", "tabColor", "tabColorStyle", "rightToLeft"):
        if props.get(key) not in (None, False):
            out[key] = copy.deepcopy(props[key])
    tab_colours(out)
    grid = out["gridProperties"]
    if grid["rowCount"] * grid["columnCount"] + _cells(book) > MAX_CELLS:
        raise bad("This action would increase the number of cells in the workbook above the "
                  f"limit of {MAX_CELLS} cells.")
    return Sheet(out)


def _cells(book: Spreadsheet) -> int:
    return sum(s.row_count * s.col_count for s in book.sheets)


def _free_title(book: Spreadsheet) -> str:
    n = len(book.sheets) + 1
    while book.by_title(f"Sheet{n}") is not None:
        n += 1
    return f"Sheet{n}"


