"""The emulator's state: spreadsheets, their sheets, cells, formats and the operations of the
Sheets API v4 on them. Pure Python, no HTTP; `server.py` maps requests onto it."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sheetflow.emulator import a1
from sheetflow.emulator.values import (
    Formula,
    Unsupported,
    parse_user_entered,
    raw_value,
    render,
)

STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ApiError(Exception):
    """An answer of Google's shape: `{"error": {"code", "message", "status"}}`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "status": STATUS[self.code]}}


def bad(message: str) -> ApiError:
    return ApiError(400, message)


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


@dataclass
class Layer:
    """A format written over a rectangle: `paths` of userEnteredFormat set from `fmt`."""

    r0: int
    r1: int
    c0: int
    c1: int
    fmt: dict
    paths: tuple[str, ...]  # ("*",) = the whole format replaced


@dataclass
class Sheet:
    props: dict
    rows: list[list] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    conditional: list[dict] = field(default_factory=list)
    merges: list[dict] = field(default_factory=list)
    basic_filter: dict | None = None
    charts: list[dict] = field(default_factory=list)
    dimensions: list[tuple[str, int, int, dict]] = field(default_factory=list)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    _shared_rows: bool = False

    @property
    def sheet_id(self) -> int:
        return self.props["sheetId"]

    @property
    def title(self) -> str:
        return self.props["title"]

    @property
    def row_count(self) -> int:
        return self.props["gridProperties"]["rowCount"]

    @property
    def col_count(self) -> int:
        return self.props["gridProperties"]["columnCount"]

    def clone(self) -> Sheet:
        """A copy for a transaction; the cells are copied only if the transaction writes them."""
        twin = Sheet(
            copy.deepcopy(self.props),
            self.rows,
            list(self.layers),
            copy.deepcopy(self.conditional),
            copy.deepcopy(self.merges),
            copy.deepcopy(self.basic_filter),
            copy.deepcopy(self.charts),
            list(self.dimensions),
            dict(self.notes),
        )
        twin._shared_rows = True
        return twin

    def own_rows(self) -> list[list]:
        if self._shared_rows:
            self.rows = [list(row) for row in self.rows]
            self._shared_rows = False
        return self.rows

    # -- cells

    def get(self, r: int, c: int) -> object:
        if r < len(self.rows):
            row = self.rows[r]
            if c < len(row):
                return row[c]
        return None

    def put(self, r: int, c: int, value: object) -> None:
        rows = self.own_rows()
        if r >= len(rows):
            if value is None:
                return
            rows.extend([] for _ in range(r + 1 - len(rows)))
        row = rows[r]
        if c >= len(row):
            if value is None:
                return
            row.extend([None] * (c + 1 - len(row)))
        row[c] = value

    def clear(self, r0: int, r1: int, c0: int, c1: int) -> None:
        rows = self.own_rows()
        for r in range(r0, min(r1, len(rows))):
            row = rows[r]
            for c in range(c0, min(c1, len(row))):
                row[c] = None

    def number_format(self, r: int, c: int) -> dict | None:
        for layer in reversed(self.layers):
            if layer.r0 <= r < layer.r1 and layer.c0 <= c < layer.c1:
                if "*" in layer.paths or "numberFormat" in layer.paths:
                    return layer.fmt.get("numberFormat")
        return None

    def cell_format(self, r: int, c: int) -> dict:
        fmt: dict = {}
        for layer in self.layers:
            if layer.r0 <= r < layer.r1 and layer.c0 <= c < layer.c1:
                if "*" in layer.paths:
                    fmt = copy.deepcopy(layer.fmt)
                    continue
                for path in layer.paths:
                    _set_path(fmt, path, _get_path(layer.fmt, path))
        return fmt

    def resize(self, rows: int, cols: int) -> None:
        grid = self.props["gridProperties"]
        if rows < grid["rowCount"] or cols < grid["columnCount"]:
            data = self.own_rows()
            del data[rows:]
            for row in data:
                del row[cols:]
        grid["rowCount"], grid["columnCount"] = rows, cols


def _get_path(data: dict, path: str) -> object:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _set_path(data: dict, path: str, value: object) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    if value is None:
        data.pop(parts[-1], None)
    else:
        data[parts[-1]] = copy.deepcopy(value)


def _flat_mask(mask: str) -> list[str]:
    """`a(b,c.d),e` -> ["a.b", "a.c.d", "e"]."""
    paths: list[str] = []
    stack = [""]
    token = ""
    for char in mask + ",":
        if char == "(":
            stack.append(stack[-1] + token.strip() + ".")
            token = ""
        elif char in ",)":
            if token.strip():
                paths.append(stack[-1] + token.strip())
            token = ""
            if char == ")":
                stack.pop()
        else:
            token += char
    return paths


def _fields(mask: str, prefix: str | None = None) -> list[str]:
    """Field mask `"a.b,c"` -> paths; with prefix, only those under it (prefix removed)."""
    paths = [p.replace("/", ".") for p in _flat_mask(mask)]
    if prefix is None:
        return paths
    out = []
    for path in paths:
        if path in ("*", prefix):
            out.append("*")
        elif path.startswith(prefix + "."):
            out.append(path[len(prefix) + 1 :])
    return out


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
            raise bad(
                f"Range ({a1.quote_title(sheet.title)}!{cells}) exceeds grid limits. "
                f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
            )
        return sheet, r0, r1, c0, c1, bounds

    def grid(self, grid_range: dict) -> tuple[Sheet, int, int, int, int]:
        sheet = self.by_id(grid_range.get("sheetId", 0))
        r0 = grid_range.get("startRowIndex", 0)
        r1 = grid_range.get("endRowIndex", sheet.row_count)
        c0 = grid_range.get("startColumnIndex", 0)
        c1 = grid_range.get("endColumnIndex", sheet.col_count)
        if not (0 <= r0 <= r1 <= sheet.row_count and 0 <= c0 <= c1 <= sheet.col_count):
            raise bad(
                f"Range ({a1.quote_title(sheet.title)}!{a1.column_letters(c0)}{r0 + 1}:"
                f"{a1.column_letters(max(c1 - 1, 0))}{r1}) exceeds grid limits. "
                f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
            )
        return sheet, r0, r1, c0, c1

    # -- values

    def get_values(
        self,
        text: str,
        major: str = "ROWS",
        value_option: str = "FORMATTED_VALUE",
        date_option: str = "SERIAL_NUMBER",
    ) -> dict:
        sheet, r0, r1, c0, c1, _ = self.resolve(text)
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
            width = max((len(row) for row in grid), default=0)
            grid = [[row[c] if c < len(row) else None for row in grid] for c in range(width)]
        answer = {"range": a1.format_range(sheet.title, r0, r1, c0, c1), "majorDimension": major}
        trimmed = _trim(grid)
        if trimmed:
            answer["values"] = trimmed
        return answer

    def update_values(
        self, text: str, values: object, option: str, major: str = "ROWS"
    ) -> dict:
        if option not in ("RAW", "USER_ENTERED"):
            raise bad(f"Invalid valueInputOption: {option}")
        if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
            raise bad(
                "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue)"
            )
        sheet, r0, r1, c0, c1, bounds = self.resolve(text)
        if major == "COLUMNS":
            width = max((len(r) for r in values), default=0)
            values = [[col[i] if i < len(col) else None for col in values] for i in range(width)]
        height = len(values)
        width = max((len(r) for r in values), default=0)
        if height == 0:
            return {"spreadsheetId": self.spreadsheet_id}
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
            raise bad(
                f"Range ({a1.quote_title(sheet.title)}!{a1.column_letters(c0)}{r0 + 1}:"
                f"{a1.column_letters(c0 + width - 1)}{r0 + height}) exceeds grid limits. "
                f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
            )
        cells = 0
        rows_hit: set[int] = set()
        cols_hit: set[int] = set()
        parse = option == "USER_ENTERED"
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
        return {
            "spreadsheetId": self.spreadsheet_id,
            "updatedRange": a1.format_range(sheet.title, r0, r0 + height, c0, c0 + width),
            "updatedRows": len(rows_hit),
            "updatedColumns": len(cols_hit),
            "updatedCells": cells,
            "_hit": (sheet.sheet_id, {r0 + r for r in rows_hit}, {c0 + c for c in cols_hit}),
        }

    def clear_values(self, text: str) -> str:
        sheet, r0, r1, c0, c1, _ = self.resolve(text)
        sheet.clear(r0, r1, c0, c1)
        return a1.format_range(sheet.title, r0, r1, c0, c1)

    def append_values(self, text: str, values: list, option: str, insert: str) -> dict:
        sheet, r0, r1, c0, c1, _ = self.resolve(text)
        # the table: rows of the range's columns from its first row down to the last one used
        last = -1
        for r in range(r0, min(r1, len(sheet.rows))):
            row = sheet.rows[r]
            if any(row[c] is not None for c in range(c0, min(c1, len(row)))):
                last = r
        table = None
        if last >= 0:
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
            table = a1.format_range(sheet.title, first, last + 1, c0, cols[-1] + 1)
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
        updates = self.update_values(target, values, option)
        updates.pop("_hit", None)
        answer = {"spreadsheetId": self.spreadsheet_id, "updates": updates}
        if table is not None:
            answer = {"spreadsheetId": self.spreadsheet_id, "tableRange": table, "updates": updates}
        return answer

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


def _tab_colours(props: dict) -> None:
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


def _typed(value: object) -> dict:
    if isinstance(value, Formula):
        return {"formulaValue": str(value)}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return {"stringValue": str(value)}


def _untyped(extended: dict) -> object:
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


# ------------------------------------------------------------------ spreadsheets:batchUpdate

Handler = Callable[[Spreadsheet, dict, "IdSource"], dict]
HANDLERS: dict[str, Handler] = {}


def handles(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func

    return register


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


def batch_update(book: Spreadsheet, requests: Iterable[dict], ids: IdSource) -> list[dict]:
    """Apply `requests` to `book` (already a private copy) in order; the replies."""
    replies = []
    for index, request in enumerate(requests):
        if not isinstance(request, dict) or len(request) != 1:
            raise bad(f"Invalid requests[{index}]: exactly one kind of request expected")
        (kind, body), = request.items()
        handler = HANDLERS.get(kind)
        if handler is None:
            raise Unsupported(f"batchUpdate request {kind}")
        try:
            replies.append(handler(book, body or {}, ids))
        except ApiError as exc:
            if exc.code == 400 and not exc.message.startswith("Invalid requests"):
                raise bad(f"Invalid requests[{index}].{kind}: {exc.message}") from exc
            raise
    return replies


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
    _tab_colours(out)
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


@handles("addSheet")
def _add_sheet(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    props = body.get("properties") or {}
    sheet = new_sheet(book, props, ids)
    index = props.get("index", len(book.sheets))
    book.sheets.insert(min(max(index, 0), len(book.sheets)), sheet)
    book.reindex()
    return {"addSheet": {"properties": copy.deepcopy(sheet.props)}}


@handles("deleteSheet")
def _delete_sheet(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    sheet = book.by_id(body.get("sheetId"))
    if len(book.sheets) == 1:
        raise bad("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    if all(s.props.get("hidden") for s in book.sheets):
        raise bad("You can't remove all the visible sheets in a document.")
    book.reindex()
    return {}


@handles("updateSheetProperties")
def _update_sheet_properties(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    props = body.get("properties") or {}
    sheet = book.by_id(props.get("sheetId", 0))
    paths = _fields(body.get("fields", ""))
    if not paths:
        raise bad("At least one field must be updated, but 'fields' is empty.")
    if paths == ["*"]:
        paths = [k for k in props if k != "sheetId"]
    rows, cols = sheet.row_count, sheet.col_count
    for path in paths:
        if path in ("sheetId", "sheetType"):
            raise bad(f"Cannot update the {path}")
        if path == "index":
            book.sheets.remove(sheet)
            book.sheets.insert(min(props.get("index", 0), len(book.sheets)), sheet)
            book.reindex()
            continue
        if path == "title":
            title = props.get("title")
            other = book.by_title(title or "")
            if not title or (other is not None and other is not sheet):
                raise bad(
                    f'A sheet with the name "{title}" already exists. Please enter another name.'
                )
        if path == "gridProperties":
            grid = dict(props.get("gridProperties") or {})
            rows = grid.get("rowCount", rows)
            cols = grid.get("columnCount", cols)
            for key in ("frozenRowCount", "frozenColumnCount", "hideGridlines"):
                _set_path(sheet.props, f"gridProperties.{key}", grid.get(key) or None)
            continue
        if path == "gridProperties.rowCount":
            rows = _get_path(props, path) or 0
            continue
        if path == "gridProperties.columnCount":
            cols = _get_path(props, path) or 0
            continue
        value = _drop_nulls(_get_path(props, path))
        if path in ("tabColor", "tabColorStyle"):
            sheet.props.pop("tabColor", None)
            sheet.props.pop("tabColorStyle", None)
        _set_path(sheet.props, path, value if value not in (False, 0, "", {}) else None)
    _tab_colours(sheet.props)
    if rows < 1 or cols < 1:
        raise bad("A sheet must have at least one row and one column.")
    sheet.resize(rows, cols)
    if all(s.props.get("hidden") for s in book.sheets):
        raise bad("You can't hide all the sheets in a document.")
    return {}


@handles("updateSpreadsheetProperties")
def _update_spreadsheet_properties(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    props = body.get("properties") or {}
    for path in _fields(body.get("fields", "")):
        if path == "*":
            book.properties.update(copy.deepcopy(props))
        else:
            _set_path(book.properties, path, _get_path(props, path))
    return {}


def _apply_format(sheet: Sheet, r0: int, r1: int, c0: int, c1: int, cell: dict, paths) -> None:
    fmt_paths = tuple(paths)
    if fmt_paths:
        sheet.layers.append(
            Layer(r0, r1, c0, c1, copy.deepcopy(cell.get("userEnteredFormat") or {}), fmt_paths)
        )


@handles("repeatCell")
def _repeat_cell(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    sheet, r0, r1, c0, c1 = book.grid(body.get("range") or {})
    cell = body.get("cell") or {}
    mask = body.get("fields", "")
    for path in _fields(mask):
        if path not in ("*", "note") and not path.startswith(
            ("userEnteredFormat", "userEnteredValue")
        ):
            raise Unsupported(f"repeatCell field {path}")
    _apply_format(sheet, r0, r1, c0, c1, cell, _fields(mask, "userEnteredFormat"))
    if _fields(mask, "userEnteredValue"):
        value = _untyped(cell.get("userEnteredValue") or {})
        for r in range(r0, r1):
            for c in range(c0, c1):
                sheet.put(r, c, value)
    return {}


@handles("updateCells")
def _update_cells(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    if "range" in body:
        sheet, r0, r1, c0, c1 = book.grid(body["range"])
    else:
        start = body.get("start") or {}
        sheet = book.by_id(start.get("sheetId", 0))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        r1, c1 = sheet.row_count, sheet.col_count
    mask = body.get("fields", "")
    for path in _fields(mask):
        if path not in ("*", "note") and not path.startswith(
            ("userEnteredFormat", "userEnteredValue")
        ):
            raise Unsupported(f"updateCells field {path}")
    fmt_paths = _fields(mask, "userEnteredFormat")
    value_paths = _fields(mask, "userEnteredValue")
    rows = body.get("rows") or []
    for i, row in enumerate(rows):
        for j, cell in enumerate(row.get("values") or []):
            r, c = r0 + i, c0 + j
            if r >= r1 or c >= c1 or r >= sheet.row_count or c >= sheet.col_count:
                raise bad("Attempting to write outside the grid")
            _apply_format(sheet, r, r + 1, c, c + 1, cell, fmt_paths)
            if value_paths:
                sheet.put(r, c, _untyped(cell.get("userEnteredValue") or {}))
            if "note" in _fields(mask):
                if cell.get("note"):
                    sheet.notes[(r, c)] = str(cell["note"])
                else:
                    sheet.notes.pop((r, c), None)
    if "range" in body:  # cells of the range not given are cleared of the masked fields
        given_rows = len(rows)
        for r in range(r0, r1):
            given = len(rows[r - r0].get("values") or []) if r - r0 < given_rows else 0
            if c0 + given < c1:
                _apply_format(sheet, r, r + 1, c0 + given, c1, {}, fmt_paths)
                if value_paths:
                    sheet.clear(r, r + 1, c0 + given, c1)
    return {}


@handles("mergeCells")
def _merge_cells(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    grid_range = body.get("range") or {}
    sheet, r0, r1, c0, c1 = book.grid(grid_range)
    kind = body.get("mergeType", "MERGE_ALL")
    if kind == "MERGE_ALL":
        pieces = [(r0, r1, c0, c1)]
    elif kind == "MERGE_ROWS":
        pieces = [(r, r + 1, c0, c1) for r in range(r0, r1)]
    elif kind == "MERGE_COLUMNS":
        pieces = [(r0, r1, c, c + 1) for c in range(c0, c1)]
    else:
        raise bad(f"Invalid mergeType: {kind}")
    kept = []
    for m in sheet.merges:
        inside = (r0 <= m["startRowIndex"] and m["endRowIndex"] <= r1
                  and c0 <= m["startColumnIndex"] and m["endColumnIndex"] <= c1)
        if inside:
            continue  # a merge inside the new one is absorbed by it
        if (m["startRowIndex"] < r1 and r0 < m["endRowIndex"]
                and m["startColumnIndex"] < c1 and c0 < m["endColumnIndex"]):
            raise bad("You can't merge cells that are already partially merged.")
        kept.append(m)
    sheet.merges = kept
    for pr0, pr1, pc0, pc1 in pieces:
        if (pr1 - pr0) * (pc1 - pc0) <= 1:
            continue
        sheet.merges.append({"sheetId": sheet.sheet_id, "startRowIndex": pr0,
                             "endRowIndex": pr1, "startColumnIndex": pc0, "endColumnIndex": pc1})
        for r in range(pr0, pr1):  # merging keeps the top-left value only
            for c in range(pc0, pc1):
                if (r, c) != (pr0, pc0):
                    sheet.put(r, c, None)
    return {}


@handles("unmergeCells")
def _unmerge_cells(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    sheet, r0, r1, c0, c1 = book.grid(body.get("range") or {})
    sheet.merges = [
        m for m in sheet.merges
        if not (r0 <= m["startRowIndex"] and m["endRowIndex"] <= r1
                and c0 <= m["startColumnIndex"] and m["endColumnIndex"] <= c1)
    ]
    return {}


@handles("addConditionalFormatRule")
def _add_conditional(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    rule = copy.deepcopy(body.get("rule") or {})
    ranges = rule.get("ranges") or []
    if not ranges:
        raise bad("At least one range is required.")
    sheets = {book.grid(r)[0].sheet_id for r in ranges}
    if len(sheets) != 1:
        raise bad("All ranges must be on the same sheet.")
    if "booleanRule" not in rule and "gradientRule" not in rule:
        raise bad("A rule needs a booleanRule or a gradientRule.")
    for r in ranges:
        r.setdefault("sheetId", 0)
    sheet = book.by_id(sheets.pop())
    index = body.get("index", 0)
    sheet.conditional.insert(min(index, len(sheet.conditional)), rule)
    return {}


@handles("deleteConditionalFormatRule")
def _delete_conditional(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    sheet = book.by_id(body.get("sheetId", 0))
    index = body.get("index", 0)
    if not 0 <= index < len(sheet.conditional):
        raise bad(f"No conditional format on sheet {sheet.sheet_id} at index {index}")
    rule = sheet.conditional.pop(index)
    return {"deleteConditionalFormatRule": {"rule": rule}}


@handles("updateDimensionProperties")
def _update_dimension(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    span = body.get("range")
    if span is None:
        raise Unsupported("updateDimensionProperties on a data source sheet")
    sheet = book.by_id(span.get("sheetId", 0))
    dim = span.get("dimension")
    limit = sheet.row_count if dim == "ROWS" else sheet.col_count
    start, end = span.get("startIndex", 0), span.get("endIndex", limit)
    if dim not in ("ROWS", "COLUMNS") or not 0 <= start <= end <= limit:
        raise bad("Invalid dimension range")
    paths = _fields(body.get("fields", ""))
    props = body.get("properties") or {}
    for path in paths:
        if path not in ("pixelSize", "hiddenByUser", "*"):
            raise Unsupported(f"dimension property {path}")
    sheet.dimensions.append((dim, start, end, {p: props.get(p) for p in paths}))
    return {}


@handles("setBasicFilter")
def _set_basic_filter(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    flt = copy.deepcopy(body.get("filter") or {})
    grid_range = flt.get("range") or {}
    sheet, r0, r1, c0, c1 = book.grid(grid_range)
    flt["range"] = {"sheetId": sheet.sheet_id, "startRowIndex": r0, "endRowIndex": r1,
                    "startColumnIndex": c0, "endColumnIndex": c1}
    sheet.basic_filter = flt
    return {}


@handles("clearBasicFilter")
def _clear_basic_filter(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    book.by_id(body.get("sheetId", 0)).basic_filter = None
    return {}


@handles("addChart")
def _add_chart(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    chart = copy.deepcopy(body.get("chart") or {})
    spec = chart.get("spec") or {}
    if not any(k in spec for k in ("basicChart", "pieChart")):
        raise Unsupported("chart kinds other than basicChart and pieChart")
    anchor = (((chart.get("position") or {}).get("overlayPosition") or {}).get("anchorCell"))
    if anchor is None:
        raise Unsupported("charts not anchored on a cell (own chart sheets)")
    sheet = book.by_id(anchor.get("sheetId", 0))
    chart.setdefault("chartId", ids.rng.randrange(1, 2**31 - 1))
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


@handles("deleteEmbeddedObject")
def _delete_object(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    object_id = body.get("objectId")
    for sheet in book.sheets:
        for chart in sheet.charts:
            if chart.get("chartId") == object_id:
                sheet.charts.remove(chart)
                return {}
    raise bad(f"No object with id {object_id}")


@handles("appendDimension")
def _append_dimension(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    sheet = book.by_id(body.get("sheetId", 0))
    length = body.get("length", 0)
    if length < 1:
        raise bad("length must be at least 1")
    if body.get("dimension") == "ROWS":
        sheet.resize(sheet.row_count + length, sheet.col_count)
    elif body.get("dimension") == "COLUMNS":
        sheet.resize(sheet.row_count, sheet.col_count + length)
    else:
        raise bad("dimension must be ROWS or COLUMNS")
    return {}


@handles("copyPaste")
def _copy_paste(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    kind = body.get("pasteType", "PASTE_NORMAL")
    if kind not in ("PASTE_NORMAL", "PASTE_VALUES", "PASTE_FORMAT"):
        raise Unsupported(f"copyPaste pasteType {kind}")
    if body.get("pasteOrientation", "NORMAL") != "NORMAL":
        raise Unsupported("copyPaste TRANSPOSE")
    src, sr0, sr1, sc0, sc1 = book.grid(body.get("source") or {})
    dst, dr0, dr1, dc0, dc1 = book.grid(body.get("destination") or {})
    height, width = sr1 - sr0, sc1 - sc0
    if dr0 + height > dst.row_count or dc0 + width > dst.col_count:
        raise bad("The destination range is outside the grid")
    values = [[src.get(r, c) for c in range(sc0, sc1)] for r in range(sr0, sr1)]
    layers = [
        (max(layer.r0, sr0), min(layer.r1, sr1), max(layer.c0, sc0), min(layer.c1, sc1), layer)
        for layer in src.layers
        if layer.r0 < sr1 and sr0 < layer.r1 and layer.c0 < sc1 and sc0 < layer.c1
    ]
    if kind in ("PASTE_NORMAL", "PASTE_VALUES"):
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                dst.put(dr0 + i, dc0 + j, value)
    if kind in ("PASTE_NORMAL", "PASTE_FORMAT"):
        dst.layers.append(Layer(dr0, dr0 + height, dc0, dc0 + width, {}, ("*",)))
        for lr0, lr1, lc0, lc1, layer in layers:
            dst.layers.append(
                Layer(lr0 - sr0 + dr0, lr1 - sr0 + dr0, lc0 - sc0 + dc0, lc1 - sc0 + dc0,
                      layer.fmt, layer.paths)
            )
    return {}
