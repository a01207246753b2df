"""The Google Sheets door itself: read a spreadsheet once, write an output plan back."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import gspread
import requests
from gspread.exceptions import APIError

from sheetflow.config import Config, load_config
from sheetflow.core import i18n, plan, schema
from sheetflow.core.workbook import Ownership, Workbook, build_workbook
from sheetflow.errors import SheetflowError, UsageError, WorkbookError
from sheetflow.io import ownership
from sheetflow.io.gsheets.render import EPOCH, TEMP_PREFIX, Render, quoted
from sheetflow.io.gsheets.transport import (
    GaveUp,
    RedirectingSession,
    RetryingHTTPClient,
    RetryPolicy,
    credentials,
    describe,
    policy_from,
)

# Google refuses a request body above 10 MiB and advises 2 MB for speed; at 2 MB a 50,000-row
# refresh would need 7 requests instead of 5, each counted against 60 writes/minute/user.
MAX_REQUEST_BYTES = 8_000_000
# sheetflow's ownership records ride along: developer metadata on sheets and on columns
META_FIELDS = (
    "spreadsheetId,properties.title,sheets(properties,conditionalFormats,basicFilter,merges,"
    "developerMetadata,data(columnMetadata(developerMetadata)))"
)


def _from_serial(serial: float, date_only: bool) -> dt.datetime | dt.date:
    stamp = EPOCH + dt.timedelta(milliseconds=round(serial * 86_400_000))
    return stamp.date() if date_only and stamp.time() == dt.time() else stamp


def _with_dates(title: str, rows: list[list[object]]) -> list[list[object]]:
    """Serial numbers in the date columns of an input sheet -> datetimes, to the millisecond."""
    sheet = schema.sheet_for_title(title)
    if sheet is None or not rows:
        return rows
    lookup = schema.column_lookup(sheet)
    dated = {}
    for index, header in enumerate(rows[0]):
        column = lookup.get(schema.normalise_name(header)) if isinstance(header, str) else None
        if column is not None and column.kind in (schema.DATE, schema.DATETIME):
            dated[index] = column.kind == schema.DATE
    if not dated:
        return rows
    for row in rows[1:]:
        for index, date_only in dated.items():
            if index < len(row):
                value = row[index]
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                    row[index] = _from_serial(value, date_only)
    return rows



# ------------------------------------------------------------------------------ the door


@dataclass
class _Sheet:
    sheet_id: int
    title: str
    index: int
    rows: int
    cols: int
    hidden: bool
    conditional: list[dict]
    basic_filter: dict | None
    # sheetflow's developer metadata here: (metadataId, key, value, 0-based column or None)
    records: list[tuple[int, str, str, int | None]] = field(default_factory=list)
    # merged ranges: first row, first column, last row, last column (0-based, inclusive)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)


def _merges(entry: dict) -> list[tuple[int, int, int, int]]:
    """The sheet's merges (GridRanges, end exclusive) as inclusive 0-based corners."""
    return [
        (m.get("startRowIndex", 0), m.get("startColumnIndex", 0),
         m.get("endRowIndex", 1) - 1, m.get("endColumnIndex", 1) - 1)
        for m in entry.get("merges", [])
    ]  # fmt: skip


def _records(entry: dict) -> list[tuple[int, str, str, int | None]]:
    """sheetflow's developer metadata on a sheet and on its columns."""
    found = [
        (m.get("metadataId", 0), m["metadataKey"], m.get("metadataValue", ""), None)
        for m in entry.get("developerMetadata", [])
        if m.get("metadataKey") in ownership.METADATA_KEYS
    ]
    for data in entry.get("data", []):
        first = data.get("startColumn", 0)
        for offset, dims in enumerate(data.get("columnMetadata", [])):
            found += [
                (m.get("metadataId", 0), m["metadataKey"], m.get("metadataValue", ""),
                 first + offset)
                for m in dims.get("developerMetadata", [])
                if m.get("metadataKey") in ownership.METADATA_KEYS
            ]
    return found


class GSheetDoor:
    """A Google Sheet by key; read once, write an output plan back atomically."""

    def __init__(
        self,
        key: str,
        config: Config,
        *,
        policy: RetryPolicy | None = None,
        max_request_bytes: int | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        if not key or "/" in key or any(ch.isspace() for ch in key):
            raise UsageError(i18n.text("gsheets.bad_key", "en"))
        self.key = key
        self.config = config
        self.lang = "en"
        creds = credentials(config, warn=warn)
        self.session = RedirectingSession(creds, config.sheets_api_url)
        self.client = gspread.Client(creds, session=self.session, http_client=RetryingHTTPClient)
        self.http: RetryingHTTPClient = self.client.http_client  # type: ignore[assignment]
        self.http.policy = policy or policy_from(config)
        self.http.timeout = (10, 300)
        google = config.section("google")
        self.max_request_bytes = int(
            max_request_bytes
            or os.environ.get("SHEETFLOW_SHEETS_MAX_REQUEST_BYTES")
            or google.get("max_request_bytes")
            or MAX_REQUEST_BYTES
        )
        self.title = ""
        self._sheets: list[_Sheet] | None = None
        self.stats: dict[str, int] = {}

    @property
    def name(self) -> str:
        return f"gsheet:{self.key}"

    @property
    def request_count(self) -> int:
        return len(self.session.sent)

    # -- calls with errors mapped to one line

    def _call(self, func: Callable, *args: object, **kwargs: object):  # noqa: ANN202
        try:
            return func(*args, **kwargs)
        except GaveUp as exc:
            raise SheetflowError(
                i18n.text("gsheets.gave_up", self.lang, key=self.key, tries=exc.tries,
                          seconds=exc.seconds, last=exc.last)
            ) from None
        except APIError as exc:
            raise self._error(exc.response) from None
        except requests.RequestException as exc:
            raise SheetflowError(
                i18n.text("gsheets.unreachable", self.lang, key=self.key,
                          url=self.config.sheets_api_url, reason=type(exc).__name__)
            ) from None

    def _error(self, response: requests.Response) -> SheetflowError:
        code = response.status_code
        if code == 404:
            return WorkbookError(i18n.text("gsheets.not_found", self.lang, key=self.key))
        if code == 403:
            return WorkbookError(i18n.text("gsheets.denied", self.lang, key=self.key))
        if code == 401:
            return WorkbookError(i18n.text("gsheets.unauthenticated", self.lang, key=self.key))
        try:
            message = str(response.json()["error"]["message"]).splitlines()[0][:300]
        except (ValueError, KeyError, TypeError, IndexError):
            message = response.text[:200]
        return SheetflowError(
            i18n.text("gsheets.refused", self.lang, key=self.key, status=describe(response),
                      message=message)
        )

    # -- read

    def _metadata(self) -> list[_Sheet]:
        meta = self._call(
            self.http.fetch_sheet_metadata, self.key,
            params={"includeGridData": "false", "fields": META_FIELDS},
        )
        self.title = meta.get("properties", {}).get("title", "")
        sheets = []
        for entry in meta.get("sheets", []):
            props = entry.get("properties", {})
            grid = props.get("gridProperties", {})
            sheets.append(
                _Sheet(
                    props.get("sheetId", 0), props.get("title", ""), props.get("index", 0),
                    grid.get("rowCount", 0), grid.get("columnCount", 0),
                    bool(props.get("hidden")), entry.get("conditionalFormats", []),
                    entry.get("basicFilter"), _records(entry), _merges(entry),
                )
            )
        return sheets

    def read_rows(self) -> dict[str, list[list[object]]]:
        """Every sheet's title -> rows; input sheets get values, their dates as datetimes.

        Sheets named like an output are read too while the spreadsheet has no ownership
        records (a run of an older version, or none yet): their content then tells sheetflow's
        from the user's own; with records they need not be read.
        """
        self._sheets = self._metadata()
        visible = [s for s in self._sheets if not s.title.startswith(TEMP_PREFIX)]
        recorded = any(s.records for s in visible)
        wanted = [
            s.title for s in visible
            if schema.sheet_for_title(s.title) is not None
            or (not recorded and schema.output_sheet_for_title(s.title) is not None)
        ]
        found: dict[str, list[list[object]]] = {}
        if wanted:
            answer = self._call(
                self.http.values_batch_get, self.key, [quoted(t) for t in wanted],
                params={"valueRenderOption": "UNFORMATTED_VALUE",
                        "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"},
            )
            for title, value_range in zip(wanted, answer.get("valueRanges", [])):
                rows = value_range.get("values", [])
                # the API trims each row's empty tail; a file reader gives the full rectangle
                width = max((len(r) for r in rows), default=0)
                for row in rows:
                    row.extend([""] * (width - len(row)))
                found[title] = _with_dates(title, rows)
        return {s.title: found.get(s.title, []) for s in visible}

    def read(self) -> Workbook:
        raw = self.read_rows()
        merges = {s.title: s.merges for s in self._sheets or () if s.merges}
        book = build_workbook(
            raw, source=self.name, ownership=self.ownership(), merges=merges
        )
        self.lang = book.language
        return book

    def ownership(self) -> Ownership:
        """What the spreadsheet records of sheetflow's earlier outputs (developer metadata)."""
        if self._sheets is None:
            self._sheets = self._metadata()
        return ownership.ownership_from_metadata(
            (s.title, key, value, column)
            for s in self._sheets
            if not s.title.startswith(TEMP_PREFIX)
            for _, key, value, column in s.records
        )

    # -- write

    def write(self, output: plan.OutputPlan) -> str:
        """Render `output` with a fixed number of requests; the user's view changes atomically."""
        if self._sheets is None:
            self._sheets = self._metadata()
        start = self.request_count
        render = Render(self, output)
        setup, fill, swap = render.build()
        try:
            self._send_all(setup, fill, swap)
        except BaseException:
            self._cleanup(render.temp_ids)
            raise
        self._sheets = None  # ids and sizes changed: read again before another write
        self.stats = {"requests": self.request_count - start, "split_extra": render.split_extra}
        return i18n.text("gsheets.wrote", output.language, key=self.key,
                         requests=self.stats["requests"])

    def _send_all(self, setup: list[list[dict]], fill: list[list[dict]], swap: list[dict]) -> None:
        for requests_ in setup:
            self._call(self.http.batch_update, self.key, {"requests": requests_})
        for data in fill:
            self._call(self.http.values_batch_update, self.key,
                       {"valueInputOption": "RAW", "data": data})
        self._call(self.http.batch_update, self.key, {"requests": swap})

    def _cleanup(self, temp_ids: Sequence[int]) -> None:
        """Delete the temporary sheets of a failed write (best effort: the next run also does)."""
        if not temp_ids:
            return
        try:
            sheets = self._metadata()
            present = {s.sheet_id for s in sheets}
            doomed = [{"deleteSheet": {"sheetId": i}} for i in temp_ids if i in present]
            if doomed:
                self.http.batch_update(self.key, {"requests": doomed})
        except (APIError, GaveUp, requests.RequestException):
            pass


def open_gsheet(key: str, config: Config | None = None, out: str | None = None) -> GSheetDoor:
    """The door of `gsheet:KEY` (called by `sheetflow.io.doors.open_book`)."""
    if out:
        raise UsageError("--out: a gsheet: book is written in place; --out is for files")
    return GSheetDoor(key.strip(), config or load_config(None))
