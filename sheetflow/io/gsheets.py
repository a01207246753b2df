"""The Google Sheets door: `gsheet:KEY` read into a `Workbook` and an `OutputPlan` written back.

Real gspread talks to the Sheets API; its HTTP session is injected so that every request goes
to `config.sheets_api_url` (Google, or the local emulator). A refresh costs a fixed number of
requests whatever the row count: one metadata get and one `values:batchGet` to read; to write,
one `spreadsheets:batchUpdate` that adds hidden temporary sheets with their formats, one
`values:batchUpdate` (RAW) that fills them, and one atomic `spreadsheets:batchUpdate` that swaps
them in. Payloads above the advised ~2 MB are split, which adds requests on the temporary sheets
only; nothing the user sees changes before the last, atomic request. On failure the temporary
sheets are deleted (and any left by a crashed run are deleted by the next one).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import math
import os
import random
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import gspread
import requests
from google.auth.transport.requests import AuthorizedSession
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from sheetflow.config import SHEETS_API_DEFAULT, Config, load_config
from sheetflow.core import i18n, plan, schema
from sheetflow.core.workbook import Workbook, build_workbook
from sheetflow.emulator.a1 import Bounds, parse_cells, split_sheet
from sheetflow.errors import SheetflowError, UsageError, WorkbookError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
TEMP_PREFIX = "sheetflow-tmp-"
EPOCH = dt.datetime(1899, 12, 30)  # day 0 of serial dates
MAX_REQUEST_BYTES = 2_000_000  # Google's advice for one request's payload
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
META_FIELDS = "spreadsheetId,properties.title,sheets(properties,conditionalFormats,basicFilter)"
PIXELS_PER_CHAR = 7  # column widths: Excel characters -> pixels
PIXELS_PER_CM = 37.8

NUMBER_FORMATS: dict[str, dict[str, str]] = {
    plan.INT: {"type": "NUMBER", "pattern": "0"},
    plan.HOURS: {"type": "NUMBER", "pattern": "0.00"},
    plan.DATETIME: {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"},
    plan.DATE: {"type": "DATE", "pattern": "yyyy-mm-dd"},
    plan.RATE: {"type": "PERCENT", "pattern": "0.0%"},
    plan.AMOUNT: {"type": "NUMBER", "pattern": "#,##0.00"},
}


# ------------------------------------------------------------------------------ credentials


def _key_file_warning(path: Path, lang: str, out: Callable[[str], None]) -> None:
    """Warn (never fail) when a key file can be read by group or others."""
    if os.name == "nt":
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        out(i18n.text("gsheets.key_file_open", lang, path=path))


def credentials(config: Config, lang: str = "en", warn: Callable[[str], None] | None = None):  # noqa: ANN201
    """Google credentials from the config: a token, a service-account or OAuth user file."""
    warn = warn or (lambda line: print(line, file=sys.stderr))
    if config.google_token:
        from google.oauth2.credentials import Credentials

        return Credentials(token=config.google_token)
    if not config.google_credentials:
        raise UsageError(i18n.text("gsheets.no_credentials", lang))
    path = Path(config.google_credentials).expanduser()
    if not path.is_file():
        raise UsageError(i18n.text("gsheets.no_key_file", lang, path=path))
    _key_file_warning(path, lang, warn)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(i18n.text("gsheets.bad_key_file", lang, path=path)) from exc
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            from google.oauth2 import service_account

            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        if kind == "authorized_user":
            from google.oauth2.credentials import Credentials

            return Credentials.from_authorized_user_info(info, scopes=SCOPES)
    except (ValueError, KeyError) as exc:  # never echo the file: it holds the secret
        raise UsageError(i18n.text("gsheets.bad_key_file", lang, path=path)) from exc
    raise UsageError(i18n.text("gsheets.bad_key_file", lang, path=path))


# ------------------------------------------------------------------------------ transport


class RedirectingSession(AuthorizedSession):
    """An authorised session that sends Sheets API requests to `base_url` and counts them."""

    def __init__(self, creds, base_url: str = SHEETS_API_DEFAULT) -> None:  # noqa: ANN001
        super().__init__(creds)
        self.base_url = base_url.rstrip("/")
        self.sent: list[tuple[str, str]] = []  # (method, url) of every request sent

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        if url.startswith(SHEETS_API_DEFAULT):
            url = self.base_url + url[len(SHEETS_API_DEFAULT) :]
        self.sent.append((method.upper(), url))
        return super().request(method, url, *args, **kwargs)


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter on 429/5xx, `Retry-After` honoured, time bounded."""

    base: float = 1.0  # first wait, seconds
    cap: float = 32.0  # longest single wait
    total: float = 120.0  # give up when the next wait would pass this
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.total)
        return self.rng.uniform(0, min(self.cap, self.base * 2**attempt))


class GaveUp(Exception):
    """Retries exhausted; carries what the last answer was."""

    def __init__(self, tries: int, seconds: float, last: str) -> None:
        super().__init__(last)
        self.tries, self.seconds, self.last = tries, seconds, last


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        if when is None:
            return None
        return (when - dt.datetime.now(tz=when.tzinfo or dt.timezone.utc)).total_seconds()


def _describe(response: requests.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error.get('code')} {error.get('status')}"
    except (ValueError, KeyError, TypeError):
        return str(response.status_code)


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with sheetflow's retry policy (gspread's own ignores Retry-After)."""

    policy: RetryPolicy = RetryPolicy()

    def request(self, method, endpoint, params=None, data=None, json=None, files=None,  # noqa: ANN001, ANN201, A002
                headers=None):
        started = self.policy.clock()
        attempt = 0
        while True:
            try:
                return super().request(method, endpoint, params=params, data=data, json=json,
                                       files=files, headers=headers)
            except APIError as exc:
                response = exc.response
                if response.status_code not in RETRY_STATUSES:
                    raise
                last, after = _describe(response), _retry_after(response)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last, after = type(exc).__name__, None
            pause = self.policy.wait(attempt, after)
            elapsed = self.policy.clock() - started
            if elapsed + pause > self.policy.total:
                raise GaveUp(attempt + 1, round(elapsed, 1), last)
            self.policy.sleep(pause)
            attempt += 1


# ------------------------------------------------------------------------------ values


def _cell_out(value: object) -> object:
    """A plan value as sent RAW: text stays text, numbers and dates are numbers."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, dt.datetime):
        if value != value:  # NaT
            return None
        return (value.replace(tzinfo=None) - EPOCH) / dt.timedelta(days=1)
    if isinstance(value, dt.date):
        return (dt.datetime.combine(value, dt.time()) - EPOCH).days
    if isinstance(value, int):
        return value
    try:
        number = float(value)  # numpy numbers
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


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


def quoted(title: str) -> str:
    return plan.quote_title(title)


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
        self.http.policy = policy or _policy_from(config)
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
            i18n.text("gsheets.refused", self.lang, key=self.key, status=_describe(response),
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
                    entry.get("basicFilter"),
                )
            )
        return sheets

    def read_rows(self) -> dict[str, list[list[object]]]:
        """Every sheet's title -> rows as the API gives them; only input sheets get values."""
        self._sheets = self._metadata()
        visible = [s for s in self._sheets if not s.title.startswith(TEMP_PREFIX)]
        wanted = [s.title for s in visible if schema.sheet_for_title(s.title) is not None]
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
                found[title] = rows
        return {s.title: found.get(s.title, []) for s in visible}

    def read(self) -> Workbook:
        raw = {title: _with_dates(title, rows) for title, rows in self.read_rows().items()}
        book = build_workbook(raw, source=self.name)
        self.lang = book.language
        return book

    # -- write

    def write(self, output: plan.OutputPlan) -> str:
        """Render `output` with a fixed number of requests; the user's view changes atomically."""
        if self._sheets is None:
            self._sheets = self._metadata()
        start = self.request_count
        render = _Render(self, output)
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


def _policy_from(config: Config) -> RetryPolicy:
    seconds = os.environ.get("SHEETFLOW_SHEETS_RETRY_SECONDS") or config.section("google").get(
        "retry_seconds"
    )
    policy = RetryPolicy()
    if seconds not in (None, ""):
        try:
            policy.total = float(seconds)  # type: ignore[arg-type]
        except ValueError as exc:
            raise UsageError(f"retry_seconds: not a number: {seconds!r}") from exc
        policy.base = min(policy.base, max(policy.total / 8, 0.01))
    return policy


# ------------------------------------------------------------------------------ rendering


def _rgb(hex_colour: str | None) -> dict | None:
    if not hex_colour:
        return None
    text = hex_colour.lstrip("#")[-6:]
    return {
        "red": int(text[0:2], 16) / 255,
        "green": int(text[2:4], 16) / 255,
        "blue": int(text[4:6], 16) / 255,
    }


def _style_format(name: str | None) -> tuple[dict, list[str]]:
    style = plan.STYLES.get(name or "")
    if style is None:
        return {}, []
    text: dict = {}
    if style.bold:
        text["bold"] = True
    if style.italic:
        text["italic"] = True
    if style.underline:
        text["underline"] = True
    if style.size:
        text["fontSize"] = style.size
    if style.font:
        text["foregroundColor"] = _rgb(style.font)
    fmt: dict = {}
    fields = []
    if text:
        fmt["textFormat"] = text
        fields.append("textFormat")
    if style.fill:
        fmt["backgroundColor"] = _rgb(style.fill)
        fields.append("backgroundColor")
    if style.align:
        fmt["horizontalAlignment"] = style.align.upper()
        fields.append("horizontalAlignment")
    if style.wrap:
        fmt["wrapStrategy"] = "WRAP"
        fields.append("wrapStrategy")
    return fmt, fields


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted rows -> (first, last) of each run of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _grid(sheet_id: int, r0: int, r1: int, c0: int, c1: int) -> dict:
    """1-based inclusive rows/cols -> a GridRange."""
    return {"sheetId": sheet_id, "startRowIndex": r0 - 1, "endRowIndex": r1,
            "startColumnIndex": c0 - 1, "endColumnIndex": c1}


def _bounds(ref: str) -> Bounds:
    return parse_cells(split_sheet(ref)[1] or ref)


def _ref_grid(sheet_id: int, ref: str) -> dict:
    b = _bounds(ref)
    out: dict = {"sheetId": sheet_id}
    if b.start_row is not None:
        out["startRowIndex"] = b.start_row
    if b.end_row is not None:
        out["endRowIndex"] = b.end_row
    if b.start_col is not None:
        out["startColumnIndex"] = b.start_col
    if b.end_col is not None:
        out["endColumnIndex"] = b.end_col
    return out


def _size(data: object) -> int:
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def _pack(items: Iterable[object], limit: int) -> list[list[object]]:
    """Items in order, grouped so that each group's JSON stays under `limit` bytes."""
    groups: list[list[object]] = [[]]
    size = 0
    for item in items:
        item_size = _size(item) + 1
        if groups[-1] and size + item_size > limit:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += item_size
    return [g for g in groups if g]


class _Grid:
    """Values of one target sheet (temporary), row -> col -> value, to send as ranges."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.cells: dict[int, dict[int, object]] = {}

    def put(self, row: int, col: int, value: object) -> None:
        self.cells.setdefault(row, {})[col] = _cell_out(value)

    def put_column(self, first_row: int, col: int, values: Sequence[object]) -> None:
        for offset, value in enumerate(values):
            if value is not None:
                self.cells.setdefault(first_row + offset, {})[col] = _cell_out(value)

    def ranges(self, limit: int) -> list[dict]:
        """ValueRanges covering every cell, cut by rows so that none exceeds `limit` bytes."""
        if not self.cells:
            return []
        first_col = min(min(cols) for cols in self.cells.values())
        last_col = max(max(cols) for cols in self.cells.values())
        out: list[dict] = []
        rows = sorted(self.cells)
        chunk: list[list[object]] = []
        chunk_start = rows[0]
        size = 0
        previous = rows[0] - 1
        for row in rows:
            line = [self.cells[row].get(c) for c in range(first_col, last_col + 1)]
            gap = row - previous - 1
            line_size = _size(line) + 1
            if chunk and (size + line_size > limit or gap > 100):
                out.append(self._range(chunk_start, first_col, chunk))
                chunk, chunk_start, size = [], row, 0
            elif chunk and gap:
                chunk.extend([] for _ in range(gap))
            chunk.append(line)
            size += line_size
            previous = row
        out.append(self._range(chunk_start, first_col, chunk))
        return out

    def _range(self, row: int, col: int, values: list[list[object]]) -> dict:
        return {
            "range": f"{quoted(self.title)}!{plan.cell_ref(row, col)}",
            "majorDimension": "ROWS",
            "values": values,
        }


class _Render:
    """Turns an OutputPlan into the three phases of requests (see the module doc)."""

    def __init__(self, door: GSheetDoor, output: plan.OutputPlan) -> None:
        self.door = door
        self.output = output
        self.sheets = list(door._sheets or [])
        self.by_title = {s.title: s for s in self.sheets}
        self.token = secrets.token_hex(3)
        self.taken = {s.sheet_id for s in self.sheets}
        self.temp_ids: list[int] = []
        self.split_extra = 0
        self.add: list[dict] = []
        self.formats: list[dict] = []
        self.grids: list[_Grid] = []
        self.swap: list[dict] = []
        self.final_ids: dict[str, int] = {s.title: s.sheet_id for s in self.sheets}

    def _new_id(self) -> int:
        rng = random.Random(secrets.randbits(64))
        while True:
            candidate = rng.randrange(1, 2**31 - 1)
            if candidate not in self.taken:
                self.taken.add(candidate)
                self.temp_ids.append(candidate)
                return candidate

    def _temp(self, label: str, rows: int, cols: int, extra: dict | None = None) -> tuple[int, str]:
        sheet_id = self._new_id()
        title = f"{TEMP_PREFIX}{self.token}-{len(self.temp_ids)}-{label}"[:90]
        props = {"sheetId": sheet_id, "title": title, "hidden": True,
                 "gridProperties": {"rowCount": max(rows, 1), "columnCount": max(cols, 1)}}
        if extra:
            for key, value in extra.items():
                if key == "gridProperties":
                    props["gridProperties"].update(value)
                else:
                    props[key] = value
        self.add.append({"addSheet": {"properties": props}})
        return sheet_id, title

    def link_uri(self, target: str) -> str | None:
        title, cells = split_sheet(target)
        if title is None:
            return None
        sheet_id = self.final_ids.get(title)
        if sheet_id is None:
            return None
        return f"#gid={sheet_id}" + (f"&range={cells}" if cells else "")

    # -- phases

    def build(self) -> tuple[list[list[dict]], list[list[dict]], list[dict]]:
        stale = [s for s in self.sheets if s.title.startswith(TEMP_PREFIX)]
        deletes = [{"deleteSheet": {"sheetId": s.sheet_id}} for s in stale]
        plans = []  # shells first: links may point at any owned sheet
        for sheet_plan in self.output.sheets:
            plans.append((sheet_plan, self._owned_shell(sheet_plan)))
        for sheet_plan, (sheet_id, _title) in plans:
            self.final_ids[sheet_plan.title] = sheet_id
        for sheet_plan, (sheet_id, title) in plans:
            self._owned_body(sheet_plan, sheet_id, title)
        for patch in self.output.patches:
            self._patch(patch)
        self._swap_owned(plans)
        limit = self.door.max_request_bytes
        setup = _pack(deletes + self.add + self.formats, limit)
        ranges = [r for grid in self.grids for r in grid.ranges(limit)]
        fill = _pack(ranges, limit) if ranges else []
        self.split_extra = max(len(setup) - 1, 0) + max(len(fill) - 1, 0)
        if not fill:  # keep the count fixed: an empty plan still sends its (empty) fill
            self.split_extra -= 1
        return setup, fill, self.swap  # type: ignore[return-value]

    def _owned_shell(self, sp: plan.SheetPlan) -> tuple[int, str]:
        rows = max(sp.last_row, 1)
        cols = 1
        for cell in sp.cells:
            cols = max(cols, cell.merge_to or cell.col)
        for block in sp.blocks:
            cols = max(cols, block.left + len(block.columns) - 1)
        if sp.widths:
            cols = max(cols, max(sp.widths))
        for chart in sp.charts:
            b = _bounds(chart.anchor)
            rows = max(rows, (b.start_row or 0) + 1)
            cols = max(cols, (b.start_col or 0) + 1)
        extra: dict = {}
        if sp.freeze:
            b = _bounds(sp.freeze)
            extra["gridProperties"] = {"frozenRowCount": b.start_row or 0,
                                       "frozenColumnCount": b.start_col or 0}
        if sp.tab_colour:
            extra["tabColorStyle"] = {"rgbColor": _rgb(sp.tab_colour)}
        return self._temp(sp.name, rows, cols, extra)

    def _column_formats(self, sheet_id: int, column: plan.Column, top: int, col: int) -> None:
        n = len(column.values)
        if n == 0:
            return
        last = top + n - 1
        number = NUMBER_FORMATS.get(column.kind)
        if number:
            self.formats.append({"repeatCell": {
                "range": _grid(sheet_id, top, last, col, col),
                "cell": {"userEnteredFormat": {"numberFormat": number}},
                "fields": "userEnteredFormat.numberFormat"}})
        if column.style:
            self._style(sheet_id, column.style, top, last, col, col)
        if column.styles:
            current: tuple[str | None, int] | None = None
            for offset, name in enumerate(list(column.styles) + [None]):
                if current is not None and name != current[0]:
                    self._style(sheet_id, current[0], top + current[1], top + offset - 1, col, col)
                    current = None
                if name is not None and current is None:
                    current = (name, offset)
        if column.links:
            self._links(sheet_id, top, col, column.links)

    def _style(self, sheet_id: int, name: str | None, r0: int, r1: int, c0: int, c1: int) -> None:
        fmt, fields = _style_format(name)
        if fields:
            self.formats.append({"repeatCell": {
                "range": _grid(sheet_id, r0, r1, c0, c1),
                "cell": {"userEnteredFormat": fmt},
                "fields": "userEnteredFormat(" + ",".join(fields) + ")"}})

    def _links(self, sheet_id: int, top: int, col: int, links: Sequence[str | None]) -> None:
        rows = []
        for target in links:
            uri = self.link_uri(target) if target else None
            rows.append({"values": [
                {"userEnteredFormat": {"textFormat": {"link": {"uri": uri}}}} if uri else {}
            ]})
        if any(r["values"][0] for r in rows):
            self.formats.append({"updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": top - 1, "columnIndex": col - 1},
                "rows": rows, "fields": "userEnteredFormat.textFormat.link"}})

    def _owned_body(self, sp: plan.SheetPlan, sheet_id: int, title: str) -> None:
        grid = _Grid(title)
        self.grids.append(grid)
        for cell in sp.cells:
            grid.put(cell.row, cell.col, cell.value)
            number = NUMBER_FORMATS.get(cell.kind)
            if number:
                self.formats.append({"repeatCell": {
                    "range": _grid(sheet_id, cell.row, cell.row, cell.col, cell.col),
                    "cell": {"userEnteredFormat": {"numberFormat": number}},
                    "fields": "userEnteredFormat.numberFormat"}})
            last_col = cell.merge_to or cell.col
            if cell.style:
                self._style(sheet_id, cell.style, cell.row, cell.row, cell.col, last_col)
            if cell.link:
                self._links(sheet_id, cell.row, cell.col, [cell.link])
            if cell.merge_to and cell.merge_to > cell.col:
                self.formats.append({"mergeCells": {
                    "range": _grid(sheet_id, cell.row, cell.row, cell.col, cell.merge_to),
                    "mergeType": "MERGE_ALL"}})
        for block in sp.blocks:
            right = block.left + len(block.columns) - 1
            for offset, column in enumerate(block.columns):
                col = block.left + offset
                grid.put(block.top, col, column.header)
                grid.put_column(block.top + 1, col, column.values)
                self._column_formats(sheet_id, column, block.top + 1, col)
                if column.width:
                    self._width(sheet_id, col, column.width)
            self._style(sheet_id, block.header_style, block.top, block.top, block.left, right)
        for col, width in sp.widths.items():
            self._width(sheet_id, col, width)
        if sp.autofilter:
            self.formats.append({"setBasicFilter": {
                "filter": {"range": _ref_grid(sheet_id, sp.autofilter)}}})
        for fill in sp.fills:
            self.formats.append(self._label_fill(sheet_id, fill))
        for scale in sp.scales:
            self.formats.append({"addConditionalFormatRule": {"index": 0, "rule": {
                "ranges": [_ref_grid(sheet_id, scale.ref)],
                "gradientRule": {"minpoint": {"color": _rgb(scale.low), "type": "MIN"},
                                 "maxpoint": {"color": _rgb(scale.high), "type": "MAX"}}}}})
        for chart in sp.charts:
            self.formats.append({"addChart": {"chart": _chart(chart, sheet_id)}})

    def _width(self, sheet_id: int, col: int, width: float) -> None:
        self.formats.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col - 1,
                      "endIndex": col},
            "properties": {"pixelSize": int(round(width * PIXELS_PER_CHAR + 5))},
            "fields": "pixelSize"}})

    @staticmethod
    def _label_fill(sheet_id: int, fill: plan.LabelFill) -> dict:
        text = {"foregroundColor": _rgb(fill.font)}
        if fill.bold:
            text["bold"] = True
        return {"addConditionalFormatRule": {"index": 0, "rule": {
            "ranges": [_ref_grid(sheet_id, fill.ref)],
            "booleanRule": {
                "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": fill.text}]},
                "format": {"backgroundColor": _rgb(fill.fill), "textFormat": text}}}}}

    # -- patches of user sheets: staged on a temporary sheet, pasted by the swap

    def _patch(self, patch: plan.Patch) -> None:
        target = self.by_title.get(patch.title)
        if target is None:
            raise WorkbookError(i18n.text("gsheets.no_user_sheet", self.output.language,
                                          key=self.door.key, title=patch.title))
        rows = sorted(patch.rows)
        last_row = max([patch.header_row, *rows])
        height = max(target.rows, last_row)
        width = len(patch.columns)
        stage_id, stage_title = self._temp("patch", height, width)
        grid = _Grid(stage_title)
        self.grids.append(grid)
        order = {row: i for i, row in enumerate(patch.rows)}
        for j, column in enumerate(patch.columns):
            col = j + 1
            if patch.header_style is not None:
                grid.put(patch.header_row, col, column.header)
            values = column.values
            for row in rows:
                value = values[order[row]]
                if value is not None:
                    grid.put(row, col, value)
            if rows:
                self._stage_formats(stage_id, column, rows, order, col)
        if patch.header_style is not None:
            self._style(stage_id, patch.header_style, patch.header_row, patch.header_row, 1, width)
        # the swap: grow the user's grid, paste the staged runs, conditional fills, filter
        need_cols = max(patch.positions) if patch.positions else 0
        if need_cols > target.cols:
            self.swap.append({"appendDimension": {"sheetId": target.sheet_id,
                                                  "dimension": "COLUMNS",
                                                  "length": need_cols - target.cols}})
        if last_row > target.rows:
            self.swap.append({"appendDimension": {"sheetId": target.sheet_id,
                                                  "dimension": "ROWS",
                                                  "length": last_row - target.rows}})
        if patch.clear_other_rows:
            first = patch.header_row if patch.header_style is not None else patch.header_row + 1
            row_runs = [(first, height)]
        else:
            wanted = sorted(set(rows) | ({patch.header_row} if patch.header_style else set()))
            row_runs = _runs(wanted)
        # staged column j+1 goes to positions[j]; neighbours on both sides paste together
        spans: list[list[int]] = []
        for j, position in enumerate(patch.positions):
            if spans and position == patch.positions[spans[-1][-1]] + 1:
                spans[-1].append(j)
            else:
                spans.append([j])
        for span in spans:
            j0, j1 = span[0] + 1, span[-1] + 1
            p0 = patch.positions[span[0]]
            for r0, r1 in row_runs:
                self.swap.append({"copyPaste": {
                    "source": _grid(stage_id, r0, r1, j0, j1),
                    "destination": _grid(target.sheet_id, r0, r1, p0, p0 + j1 - j0),
                    "pasteType": "PASTE_NORMAL", "pasteOrientation": "NORMAL"}})
        owned_cols = {p - 1 for p in patch.positions}
        for index in sorted(range(len(target.conditional)), reverse=True):
            rule = target.conditional[index]
            ranges = rule.get("ranges") or []
            if ranges and all(
                set(range(r.get("startColumnIndex", 0), r.get("endColumnIndex", 0))) <= owned_cols
                and r.get("endColumnIndex") is not None
                for r in ranges
            ):
                self.swap.append({"deleteConditionalFormatRule": {"sheetId": target.sheet_id,
                                                                  "index": index}})
        for fill in patch.fills:
            self.swap.append(self._label_fill(target.sheet_id, fill))
        if patch.autofilter:
            flt = dict(target.basic_filter or {})
            flt["range"] = _ref_grid(target.sheet_id, patch.autofilter)
            self.swap.append({"setBasicFilter": {"filter": flt}})

    def _stage_formats(self, sheet_id: int, column: plan.Column, rows: list[int],
                       order: Mapping[int, int], col: int) -> None:
        number = NUMBER_FORMATS.get(column.kind)
        for r0, r1 in _runs(rows):
            if number:
                self.formats.append({"repeatCell": {
                    "range": _grid(sheet_id, r0, r1, col, col),
                    "cell": {"userEnteredFormat": {"numberFormat": number}},
                    "fields": "userEnteredFormat.numberFormat"}})
            if column.style:
                self._style(sheet_id, column.style, r0, r1, col, col)
        if column.styles:
            by_style: dict[str, list[int]] = {}
            for row in rows:
                name = column.styles[order[row]]
                if name:
                    by_style.setdefault(name, []).append(row)
            for name, styled in by_style.items():
                for r0, r1 in _runs(styled):
                    self._style(sheet_id, name, r0, r1, col, col)
        if column.links:
            for r0, r1 in _runs(rows):
                self._links(sheet_id, r0, col, [column.links[order[r]] for r in range(r0, r1 + 1)])

    def _swap_owned(self, plans: list[tuple[plan.SheetPlan, tuple[int, str]]]) -> None:
        titles = [s.title for s in self.sheets if not s.title.startswith(TEMP_PREFIX)]
        for sp, (sheet_id, _) in plans:
            old = self.by_title.get(sp.title)
            props: dict = {"sheetId": sheet_id, "title": sp.title, "hidden": False}
            fields = ["title", "hidden"]
            if old is not None:
                self.swap.append({"deleteSheet": {"sheetId": old.sheet_id}})
                props["index"] = titles.index(sp.title)
                fields.append("index")
            self.swap.append({"updateSheetProperties": {"properties": props,
                                                        "fields": ",".join(fields)}})
        owned = {sp.title for sp in self.output.sheets}
        for title in self.output.retired:
            old = self.by_title.get(title)
            if old is not None and title not in owned:
                self.swap.append({"deleteSheet": {"sheetId": old.sheet_id}})
        patch_stages = [i for i in self.temp_ids if i not in {sid for _, (sid, _) in plans}]
        for sheet_id in patch_stages:
            self.swap.append({"deleteSheet": {"sheetId": sheet_id}})


def _chart(chart: plan.Chart, sheet_id: int) -> dict:
    anchor = _bounds(chart.anchor)
    position = {"overlayPosition": {
        "anchorCell": {"sheetId": sheet_id, "rowIndex": anchor.start_row or 0,
                       "columnIndex": anchor.start_col or 0},
        "widthPixels": int(chart.width_cm * PIXELS_PER_CM),
        "heightPixels": int(chart.height_cm * PIXELS_PER_CM)}}
    domain = {"sourceRange": {"sources": [_ref_grid(sheet_id, chart.categories)]}}
    if chart.kind == "pie":
        first = chart.series[0]
        spec = {"title": chart.title, "pieChart": {
            "legendPosition": "RIGHT_LEGEND", "domain": domain,
            "series": {"sourceRange": {"sources": [_ref_grid(sheet_id, first.values)]}}}}
        return {"spec": spec, "position": position}
    series = []
    for s in chart.series:
        entry: dict = {"series": {"sourceRange": {"sources": [_ref_grid(sheet_id, s.values)]}},
                       "targetAxis": "LEFT_AXIS"}
        if s.colour:
            entry["color"] = _rgb(s.colour)
        series.append(entry)
    axis = [{"position": "BOTTOM_AXIS"}, {"position": "LEFT_AXIS"}]
    if chart.y_title:
        axis[1]["title"] = chart.y_title
    basic = {"chartType": {"column": "COLUMN", "bar": "BAR", "line": "LINE"}.get(chart.kind,
                                                                                "COLUMN"),
             "legendPosition": "BOTTOM_LEGEND" if len(series) > 1 else "NO_LEGEND",
             "axis": axis, "domains": [{"domain": domain}], "series": series, "headerCount": 0}
    return {"spec": {"title": chart.title, "basicChart": basic}, "position": position}


def open_gsheet(key: str, config: Config | None = None, out: str | None = None) -> GSheetDoor:
    """The door of `gsheet:KEY` (called by `sheetflow.io.doors.open_book`)."""
    if out:
        raise UsageError("--out: a gsheet: book is written in place; --out is for files")
    return GSheetDoor(key.strip(), config or load_config(None))
