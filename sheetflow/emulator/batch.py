"""`spreadsheets:batchUpdate`: each request kind of the Sheets API v4 the emulator knows, as a
handler applied to a private copy of the spreadsheet."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable

from sheetflow.emulator.errors import ApiError, bad
from sheetflow.emulator.model import IdSource, Spreadsheet, new_sheet, tab_colours, untyped
from sheetflow.emulator.sheet import Layer, Sheet, drop_nulls, fields, get_path, set_path
from sheetflow.emulator.values import Unsupported

Handler = Callable[[Spreadsheet, dict, IdSource], dict]
HANDLERS: dict[str, Handler] = {}


def handles(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func

    return register


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
    paths = fields(body.get("fields", ""))
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
                set_path(sheet.props, f"gridProperties.{key}", grid.get(key) or None)
            continue
        if path == "gridProperties.rowCount":
            rows = get_path(props, path) or 0
            continue
        if path == "gridProperties.columnCount":
            cols = get_path(props, path) or 0
            continue
        value = drop_nulls(get_path(props, path))
        if path in ("tabColor", "tabColorStyle"):
            sheet.props.pop("tabColor", None)
            sheet.props.pop("tabColorStyle", None)
        set_path(sheet.props, path, value if value not in (False, 0, "", {}) else None)
    tab_colours(sheet.props)
    if rows < 1 or cols < 1:
        raise bad("A sheet must have at least one row and one column.")
    sheet.resize(rows, cols)
    if all(s.props.get("hidden") for s in book.sheets):
        raise bad("You can't hide all the sheets in a document.")
    return {}


@handles("updateSpreadsheetProperties")
def _update_spreadsheet_properties(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    props = body.get("properties") or {}
    for path in fields(body.get("fields", "")):
        if path == "*":
            book.properties.update(copy.deepcopy(props))
        else:
            set_path(book.properties, path, get_path(props, path))
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
    for path in fields(mask):
        if path not in ("*", "note") and not path.startswith(
            ("userEnteredFormat", "userEnteredValue")
        ):
            raise Unsupported(f"repeatCell field {path}")
    _apply_format(sheet, r0, r1, c0, c1, cell, fields(mask, "userEnteredFormat"))
    if fields(mask, "userEnteredValue"):
        value = untyped(cell.get("userEnteredValue") or {})
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
    for path in fields(mask):
        if path not in ("*", "note") and not path.startswith(
            ("userEnteredFormat", "userEnteredValue")
        ):
            raise Unsupported(f"updateCells field {path}")
    fmt_paths = fields(mask, "userEnteredFormat")
    value_paths = fields(mask, "userEnteredValue")
    rows = body.get("rows") or []
    for i, row in enumerate(rows):
        for j, cell in enumerate(row.get("values") or []):
            r, c = r0 + i, c0 + j
            if r >= r1 or c >= c1 or r >= sheet.row_count or c >= sheet.col_count:
                raise bad("Attempting to write outside the grid")
            _apply_format(sheet, r, r + 1, c, c + 1, cell, fmt_paths)
            if value_paths:
                sheet.put(r, c, untyped(cell.get("userEnteredValue") or {}))
            if "note" in fields(mask):
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
    paths = fields(body.get("fields", ""))
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
