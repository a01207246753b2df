"""Developer metadata (`spreadsheets.developerMetadata`, Sheets API v4), as the API documents it.

Key/value pairs on a location: the spreadsheet, a sheet, or one row or column. Created and
deleted by `createDeveloperMetadata` / `deleteDeveloperMetadata` requests of a batchUpdate,
read back with the spreadsheet (`developerMetadata` of the spreadsheet and of each sheet;
`rowMetadata` / `columnMetadata[].developerMetadata` of grid data), by id
(`GET .../developerMetadata/ID`) and by `developerMetadata:search`. Metadata goes with the
object it is on: deleting a sheet deletes its metadata. The emulator has no request that inserts,
deletes or moves rows and columns, so a row or column location never moves here.

Not emulated (501): `updateDeveloperMetadata`, data filters by `a1Range` / `gridRange`.
"""

from __future__ import annotations

import copy
import random

from sheetflow.emulator.batch import handles
from sheetflow.emulator.model import ApiError, IdSource, Spreadsheet, bad
from sheetflow.emulator.values import Unsupported

VISIBILITIES = ("DOCUMENT", "PROJECT")
DIMENSION_TYPES = {"ROWS": "ROW", "COLUMNS": "COLUMN"}
MAX_ID = 2**31 - 1


def _prune(book: Spreadsheet) -> None:
    """Drop the metadata of sheets that are gone (deleting a sheet deletes its metadata)."""
    ids = {s.sheet_id for s in book.sheets}
    book.developer_metadata[:] = [
        m for m in book.developer_metadata if _sheet_of(m["location"]) in ids | {None}
    ]


def _sheet_of(location: dict) -> int | None:
    if "sheetId" in location:
        return location["sheetId"]
    if "dimensionRange" in location:
        return location["dimensionRange"].get("sheetId", 0)
    return None


def _location(book: Spreadsheet, given: dict) -> dict:
    """A requested location, checked, in the shape the API answers with."""
    kinds = [k for k in ("spreadsheet", "sheetId", "dimensionRange") if k in given]
    if len(kinds) != 1:
        raise bad("Developer metadata location must specify exactly one of spreadsheet, "
                  "sheetId or dimensionRange.")
    kind = kinds[0]
    if kind == "spreadsheet":
        if given["spreadsheet"] is not True:
            raise bad("Developer metadata location spreadsheet must be true.")
        return {"locationType": "SPREADSHEET", "spreadsheet": True}
    if kind == "sheetId":
        sheet = book.by_id(given["sheetId"])
        return {"locationType": "SHEET", "sheetId": sheet.sheet_id}
    span = given["dimensionRange"] or {}
    sheet = book.by_id(span.get("sheetId", 0))
    dimension = span.get("dimension")
    if dimension not in DIMENSION_TYPES:
        raise bad("Developer metadata dimensionRange must specify a dimension of ROWS or "
                  "COLUMNS.")
    start, end = span.get("startIndex"), span.get("endIndex")
    if start is None or end is None or end - start != 1:
        raise bad("Developer metadata may only be associated with a single row or column; "
                  "the dimensionRange cannot be unbounded or span several.")
    size = sheet.row_count if dimension == "ROWS" else sheet.col_count
    if not 0 <= start < size:
        raise bad(f"Developer metadata dimensionRange ({dimension} {start}:{end}) is outside "
                  f"the grid of {sheet.title!r} ({size} {dimension.lower()}).")
    dimension_range = {"sheetId": sheet.sheet_id, "dimension": dimension,
                       "startIndex": start, "endIndex": end}
    return {"locationType": DIMENSION_TYPES[dimension], "dimensionRange": dimension_range}


def _out(entry: dict) -> dict:
    """An entry as the API prints it: the dimension range's sheetId 0 left out (proto default);
    a sheet location's `sheetId` is one of a oneof, printed even when 0."""
    answer = copy.deepcopy(entry)
    location = answer["location"]
    span = location.get("dimensionRange")
    if span is not None and span.get("sheetId") == 0:
        del span["sheetId"]
    return answer


@handles("createDeveloperMetadata")
def _create(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    _prune(book)
    wanted = body.get("developerMetadata")
    if not isinstance(wanted, dict):
        raise bad("createDeveloperMetadata must specify developerMetadata.")
    key = wanted.get("metadataKey")
    if not key:
        raise bad("Developer metadata must always have a key specified.")
    visibility = wanted.get("visibility")
    if visibility not in VISIBILITIES:
        raise bad("Developer metadata must always have a visibility specified "
                  "(DOCUMENT or PROJECT).")
    taken = {m["metadataId"] for m in book.developer_metadata}
    metadata_id = wanted.get("metadataId")
    if metadata_id is not None:
        if not isinstance(metadata_id, int) or not 0 < metadata_id <= MAX_ID:
            raise bad(f"Developer metadata ID must be positive: {metadata_id}")
        if metadata_id in taken:
            raise bad(f"Developer metadata ID {metadata_id} is already in use.")
    else:
        rng = random.Random(ids.rng.getrandbits(64))
        metadata_id = rng.randrange(1, MAX_ID)
        while metadata_id in taken:
            metadata_id = rng.randrange(1, MAX_ID)
    entry = {"metadataId": metadata_id, "metadataKey": key}
    if wanted.get("metadataValue") is not None:
        entry["metadataValue"] = str(wanted["metadataValue"])
    entry["location"] = _location(book, wanted.get("location") or {})
    entry["visibility"] = visibility
    book.developer_metadata.append(entry)
    return {"createDeveloperMetadata": {"developerMetadata": _out(entry)}}


@handles("deleteDeveloperMetadata")
def _delete(book: Spreadsheet, body: dict, ids: IdSource) -> dict:
    _prune(book)
    doomed = select(book, body.get("dataFilter") or {})
    gone = {id(m) for m in doomed}
    book.developer_metadata[:] = [m for m in book.developer_metadata if id(m) not in gone]
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": [_out(m) for m in doomed]}}


# ------------------------------------------------------------------------------ lookups


def select(book: Spreadsheet, data_filter: dict) -> list[dict]:
    """The entries a DataFilter selects (by `developerMetadataLookup` only)."""
    if "a1Range" in data_filter or "gridRange" in data_filter:
        raise Unsupported("data filters by a1Range or gridRange")
    lookup = data_filter.get("developerMetadataLookup")
    if not isinstance(lookup, dict) or not lookup:
        raise bad("The data filter must specify developerMetadataLookup criteria.")
    strategy = lookup.get("locationMatchingStrategy", "EXACT_LOCATION")
    wanted_type = lookup.get("locationType")
    location = lookup.get("metadataLocation")
    if strategy == "EXACT_LOCATION" and wanted_type and location is not None:
        raise bad("locationType must be left unspecified when matching an exact location.")
    where = _location(book, location) if location is not None else None
    found = []
    for entry in book.developer_metadata:
        if "metadataId" in lookup and entry["metadataId"] != lookup["metadataId"]:
            continue
        if "metadataKey" in lookup and entry["metadataKey"] != lookup["metadataKey"]:
            continue
        if "metadataValue" in lookup and entry.get("metadataValue") != lookup["metadataValue"]:
            continue
        if "visibility" in lookup and entry["visibility"] != lookup["visibility"]:
            continue
        if wanted_type and entry["location"]["locationType"] != wanted_type:
            continue
        if where is not None and not _matches(entry["location"], where, strategy):
            continue
        found.append(entry)
    return found


def _matches(have: dict, where: dict, strategy: str) -> bool:
    if strategy == "EXACT_LOCATION" or have == where:
        return have == where
    if where["locationType"] == "SPREADSHEET":
        return True  # every location intersects the spreadsheet
    if where["locationType"] == "SHEET":
        return _sheet_of(have) == where["sheetId"]
    # a row or a column intersects itself (above) and the sheet it is on
    return have.get("sheetId") == where["dimensionRange"].get("sheetId", 0)


def search(book: Spreadsheet, body: dict) -> dict:
    """`POST .../developerMetadata:search`: every entry any of the filters selects."""
    _prune(book)
    filters = body.get("dataFilters")
    if not isinstance(filters, list) or not filters:
        raise bad("Must specify at least one data filter.")
    matched: dict[int, dict] = {}
    for data_filter in filters:
        for entry in select(book, data_filter):
            slot = matched.setdefault(entry["metadataId"],
                                      {"developerMetadata": _out(entry), "dataFilters": []})
            slot["dataFilters"].append(copy.deepcopy(data_filter))
    return {"matchedDeveloperMetadata": list(matched.values())} if matched else {}


def get(book: Spreadsheet, metadata_id: str) -> dict:
    """`GET .../developerMetadata/ID`."""
    _prune(book)
    for entry in book.developer_metadata:
        if str(entry["metadataId"]) == metadata_id:
            return _out(entry)
    raise ApiError(404, f"No developer metadata with ID {metadata_id}.")


def route(book: Spreadsheet, method: str, rest: str, data: dict) -> dict:
    """The `/developerMetadata` routes of a spreadsheet (`rest` follows its key)."""
    if rest == "/developerMetadata:search" and method == "POST":
        return search(book, data)
    if rest.startswith("/developerMetadata/") and method == "GET":
        return get(book, rest[len("/developerMetadata/") :])
    raise Unsupported(f"{method} {rest}")


# ------------------------------------------------------------------------------ read back


def annotate(book: Spreadsheet, answer: dict) -> dict:
    """Add the metadata to a spreadsheet resource (`Spreadsheet.to_json`, before any mask):
    the spreadsheet's own and each sheet's; rows' and columns' go with grid data."""
    _prune(book)
    on_book = [_out(m) for m in book.developer_metadata if "spreadsheet" in m["location"]]
    if on_book:
        answer["developerMetadata"] = on_book
    for entry in answer.get("sheets", []):
        sheet_id = entry["properties"]["sheetId"]
        on_sheet = [_out(m) for m in book.developer_metadata
                    if m["location"].get("sheetId") == sheet_id and "dimensionRange" not in
                    m["location"]]
        if on_sheet:
            entry["developerMetadata"] = on_sheet
    return answer


def wants_cells(tree: dict | None) -> bool:
    """Whether a field mask (parsed; None = no mask) asks for the cells of grid data, not
    only its row and column metadata (which costs nothing to give)."""
    if not tree:
        return True
    sheets = tree.get("sheets", tree.get("*"))
    if sheets is None:
        return False
    if not sheets or "*" in sheets:
        return True
    data = sheets.get("data")
    return data is not None and (not data or "*" in data or "rowData" in data)


def grid_data(book: Spreadsheet, sheet, r0: int, r1: int, c0: int, c1: int,  # noqa: ANN001
              cells: bool = True) -> dict:
    """GridData of a rectangle with the rows' and columns' developer metadata; without
    `cells` only the row and column metadata (what a mask such as
    `sheets.data.columnMetadata` asks for)."""
    if cells:
        data = book.grid_data(sheet, r0, r1, c0, c1)
    else:
        data = {
            "rowMetadata": [book._dimension(sheet, "ROWS", r, 21) for r in range(r0, r1)],
            "columnMetadata": [book._dimension(sheet, "COLUMNS", c, 100) for c in range(c0, c1)],
        }
        if r0:
            data["startRow"] = r0
        if c0:
            data["startColumn"] = c0
    _prune(book)
    for entry in book.developer_metadata:
        span = entry["location"].get("dimensionRange")
        if span is None or span.get("sheetId", 0) != sheet.sheet_id:
            continue
        key, first, last = (
            ("rowMetadata", r0, r1) if span["dimension"] == "ROWS" else ("columnMetadata", c0, c1)
        )
        if first <= span["startIndex"] < last:
            dims = data[key][span["startIndex"] - first]
            dims.setdefault("developerMetadata", []).append(_out(entry))
    return data
