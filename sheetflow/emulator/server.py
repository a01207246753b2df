"""The emulator's HTTP side: the Sheets API v4 routes on 127.0.0.1, Google's error bodies,
injected failures and a request counter. `Emulator` is the in-process handle tests use."""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from sheetflow.emulator import a1, batch, metadata, model, ranges
from sheetflow.emulator.errors import STATUS, ApiError, bad
from sheetflow.emulator.model import Spreadsheet
from sheetflow.emulator.values import Unsupported

MAX_PAYLOAD_BYTES = 10_485_760  # Google's front end refuses larger request bodies
_FAIL_MESSAGES = {
    429: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute "
    "per user' of service 'sheets.googleapis.com'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out.",
}


@dataclass
class _Fault:
    status: int
    remaining: int | None  # None = for ever
    retry_after: float | None
    match: str | None  # only requests whose "METHOD path" contains this
    skip: int = 0  # matching requests let through before failing


class Emulator:
    """A Sheets API v4 emulator: `url = Emulator().start()`; state lives in memory.

    Tests use `create_spreadsheet`, `request_count`, `requests` and `fail_next`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.RLock()
        self.books: dict[str, Spreadsheet] = {}
        self.ids = model.IdSource()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every Sheets request
        self._faults: list[_Fault] = []
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def reset(self) -> None:
        """Forget every spreadsheet, fault and counted request."""
        with self._lock:
            self.books.clear()
            self.requests.clear()
            self._faults.clear()
            self.ids.preloaded.clear()

    def reset_count(self) -> None:
        with self._lock:
            self.requests.clear()

    def preload_sheet_ids(self, ids: list[int]) -> None:
        """The ids the next added sheets get, in order (to replay a recording)."""
        with self._lock:
            self.ids.preloaded.extend(ids)

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        sheets: dict[str, list[list[object]]] | None = None,
        spreadsheet_id: str | None = None,
    ) -> str:
        """A new spreadsheet (one `Sheet1`, or `sheets`: title -> rows written RAW); its key."""
        with self._lock:
            body: dict = {"properties": {"title": title}}
            if spreadsheet_id:
                body["spreadsheetId"] = spreadsheet_id
            if sheets:
                body["sheets"] = [
                    {"properties": {"title": name, "gridProperties": {
                        "rowCount": max(len(rows), model.DEFAULT_ROWS),
                        "columnCount": max(max((len(r) for r in rows), default=0),
                                           model.DEFAULT_COLS)}}}
                    for name, rows in sheets.items()
                ]
            book = self._create(body)
            for name, rows in (sheets or {}).items():
                if rows:
                    ranges.update_values(book, a1.quote_title(name) + "!A1", rows, "RAW")
            return book.spreadsheet_id

    def book(self, key: str) -> Spreadsheet:
        return self.books[key]

    def values(self, key: str, range_text: str, option: str = "UNFORMATTED_VALUE") -> list:
        """The values of a range as the API would return them (for assertions)."""
        with self._lock:
            book = self.books[key]
            return ranges.get_values(book, range_text, value_option=option).get("values", [])

    def fail_next(
        self,
        status: int,
        n: int | None = 1,
        retry_after: float | None = None,
        match: str | None = None,
        skip: int = 0,
    ) -> None:
        """Answer the next `n` Sheets requests (None: all) with `status` and Google's body.

        retry_after: seconds sent as a `Retry-After` header; match: only requests whose
        "METHOD path" contains this text (e.g. ":batchUpdate") fail, others pass; skip: let
        that many matching requests through first.
        """
        if status not in STATUS:
            raise ValueError(f"unknown status {status}")
        with self._lock:
            self._faults.append(_Fault(status, n, retry_after, match, skip))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- dispatch

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.match and fault.match not in f"{method} {path}":
                continue
            if fault.skip > 0:
                fault.skip -= 1
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return fault
        return None

    def _create(self, body: dict) -> Spreadsheet:
        key = body.get("spreadsheetId") or secrets.token_urlsafe(33)[:44]
        if key in self.books:
            raise ApiError(409, f"Spreadsheet {key} already exists.")
        props = copy.deepcopy(model.DEFAULT_PROPERTIES)
        props.update(copy.deepcopy(body.get("properties") or {}))
        props.setdefault("title", "Untitled spreadsheet")
        book = Spreadsheet(key, props, [])
        wanted = body.get("sheets") or [{"properties": {"sheetId": 0, "title": "Sheet1"}}]
        for entry in wanted:
            if entry.get("data"):
                raise Unsupported("creating a spreadsheet with grid data")
            sheet = model.new_sheet(book, entry.get("properties") or {}, self.ids)
            book.sheets.append(sheet)
        book.reindex()
        self.books[key] = book
        return book

    def handle(self, method: str, raw_path: str, headers: dict, body: bytes) -> tuple:
        """One HTTP request -> (status, extra headers, JSON body)."""
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        if path == "/token" and method == "POST":  # OAuth token exchange (service accounts)
            return 200, {}, {"access_token": "emulator-" + secrets.token_hex(8),
                             "token_type": "Bearer", "expires_in": 3600}
        with self._lock:
            if path.startswith("/v4/"):
                self.requests.append((method, path))
                fault = self._take_fault(method, path)
                if fault is not None:
                    extra = {}
                    if fault.retry_after is not None:
                        extra["Retry-After"] = f"{fault.retry_after:g}"
                    return fault.status, extra, ApiError(
                        fault.status, _FAIL_MESSAGES.get(fault.status, "Error")
                    ).body()
            if len(body) > MAX_PAYLOAD_BYTES:
                return 400, {}, ApiError(
                    400, f"Request payload size exceeds the limit: {MAX_PAYLOAD_BYTES} bytes."
                ).body()
            if not headers.get("authorization", "").lower().startswith("bearer "):
                return 401, {}, ApiError(
                    401, "Request is missing required authentication credential. Expected "
                    "OAuth 2 access token, login cookie or other valid authentication "
                    "credential."
                ).body()
            try:
                return 200, {}, self._route(method, path, query, body)
            except ApiError as exc:
                return exc.code, {}, exc.body()
            except Unsupported as exc:
                return 501, {}, ApiError(501, f"Not implemented by the emulator: {exc}").body()

    def _route(self, method: str, path: str, query: dict, body: bytes) -> dict:
        data = _json(body)
        if path == "/v4/spreadsheets" and method == "POST":
            book = self._create(data)
            return book.to_json()
        match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if not match:
            raise Unsupported(f"{method} {path}")
        key, rest = match.group(1), match.group(2)
        book = self.books.get(key)
        if book is None:
            raise ApiError(404, "Requested entity was not found.")
        if rest.startswith("/developerMetadata"):
            return metadata.route(book, method, rest, data)
        call = _Call(book, data, query, {k: v[-1] for k, v in query.items()})
        route = _BOOK_ROUTES.get((method, rest))
        if route is None:
            match = re.fullmatch(r"/values/(.+?)(:append|:clear)?", rest)
            route = _RANGE_ROUTES.get((method, match.group(2) or "")) if match else None
            if route is None:
                raise Unsupported(f"{method} {path}")
            call.range_text = unquote(match.group(1))
        return route(self, call)

    def commit(self, book: Spreadsheet, change: Callable[[Spreadsheet], dict]) -> dict:
        """`change` applied to a copy of `book`, which replaces it when the change worked."""
        work = book.clone()
        answer = change(work)
        self.books[book.spreadsheet_id] = work
        return answer


# ------------------------------------------------------------------------- routes


@dataclass
class _Call:
    """A request on one spreadsheet: its JSON body, query (every value, and the last of each
    name) and, for `/values/{range}` routes, the range."""

    book: Spreadsheet
    data: dict
    query: dict
    one: dict
    range_text: str = ""


Route = Callable[[Emulator, _Call], dict]


def _read(book: Spreadsheet, text: str, one: dict) -> dict:
    return ranges.get_values(
        book,
        text,
        one.get("majorDimension", "ROWS"),
        one.get("valueRenderOption", "FORMATTED_VALUE"),
        one.get("dateTimeRenderOption", "SERIAL_NUMBER"),
    )


def _with_values(book: Spreadsheet, answer: dict, options: dict) -> dict:
    wanted = options.get("includeValuesInResponse", "").lower() == "true"
    if wanted and "updatedRange" in answer:
        answer["updatedData"] = ranges.get_values(
            book, answer["updatedRange"], "ROWS",
            options.get("responseValueRenderOption", "FORMATTED_VALUE"),
            options.get("responseDateTimeRenderOption", "SERIAL_NUMBER"),
        )
    return answer


def _get(emulator: Emulator, call: _Call) -> dict:
    return _get_spreadsheet(call.book, call.query)


def _batch_update(emulator: Emulator, call: _Call) -> dict:
    requests = call.data.get("requests")
    if not isinstance(requests, list) or not requests:
        raise bad("Must specify at least one request.")
    # atomic: the copy replaces the book only when every request worked
    preloaded = list(emulator.ids.preloaded)
    try:
        replies = emulator.commit(
            call.book, lambda work: batch.batch_update(work, requests, emulator.ids)
        )
    except (ApiError, Unsupported):
        emulator.ids.preloaded[:] = preloaded
        raise
    key = call.book.spreadsheet_id
    answer = {"spreadsheetId": key, "replies": replies}
    if call.data.get("includeSpreadsheetInResponse"):
        work = emulator.books[key]
        answer["updatedSpreadsheet"] = metadata.annotate(work, work.to_json())
    return answer


def _values_batch_get(emulator: Emulator, call: _Call) -> dict:
    return {
        "spreadsheetId": call.book.spreadsheet_id,
        "valueRanges": [_read(call.book, r, call.one) for r in call.query.get("ranges", [])],
    }


def _values_batch_update(emulator: Emulator, call: _Call) -> dict:
    option = call.data.get("valueInputOption", "")
    entries = call.data.get("data") or []
    responses = emulator.commit(call.book, lambda work: [
        ranges.update_values(work, entry.get("range", ""), entry.get("values"), option,
                             entry.get("majorDimension") or "ROWS")
        for entry in entries
    ])
    key = call.book.spreadsheet_id
    updated = [r for r in responses if "updatedRange" in r]
    rows = {(r["_hit"][0], i) for r in updated for i in r["_hit"][1]}
    cols = {(r["_hit"][0], j) for r in updated for j in r["_hit"][2]}
    for r in updated:
        r.pop("_hit")
    if not updated:
        return {"spreadsheetId": key, "responses": responses}
    return {
        "spreadsheetId": key,
        "totalUpdatedRows": len(rows),
        "totalUpdatedColumns": len(cols),
        "totalUpdatedCells": sum(r["updatedCells"] for r in updated),
        "totalUpdatedSheets": len({r["updatedRange"].rpartition("!")[0] for r in updated}),
        "responses": responses,
    }


def _values_batch_clear(emulator: Emulator, call: _Call) -> dict:
    return emulator.commit(call.book, lambda work: {
        "spreadsheetId": work.spreadsheet_id,
        "clearedRanges": [ranges.clear_values(work, r) for r in call.data.get("ranges", [])],
    })


def _values_get(emulator: Emulator, call: _Call) -> dict:
    return _read(call.book, call.range_text, call.one)


def _values_put(emulator: Emulator, call: _Call) -> dict:
    _check_body_range(call.data, call.range_text)
    answer = emulator.commit(call.book, lambda work: ranges.update_values(
        work, call.range_text, call.data.get("values"), call.one.get("valueInputOption", ""),
        call.data.get("majorDimension") or "ROWS",
    ))
    answer.pop("_hit", None)
    return _with_values(emulator.books[call.book.spreadsheet_id], answer, call.one)


def _values_clear(emulator: Emulator, call: _Call) -> dict:
    return emulator.commit(call.book, lambda work: {
        "spreadsheetId": work.spreadsheet_id,
        "clearedRange": ranges.clear_values(work, call.range_text),
    })


def _values_append(emulator: Emulator, call: _Call) -> dict:
    return emulator.commit(call.book, lambda work: ranges.append_values(
        work, call.range_text, call.data.get("values") or [],
        call.one.get("valueInputOption", ""), call.one.get("insertDataOption", "OVERWRITE"),
    ))


# (method, what follows the spreadsheet id) -> route
_BOOK_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", ""): _get,
    ("POST", ":batchUpdate"): _batch_update,
    ("GET", "/values:batchGet"): _values_batch_get,
    ("POST", "/values:batchUpdate"): _values_batch_update,
    ("POST", "/values:batchClear"): _values_batch_clear,
}
# (method, action after `/values/{range}`) -> route
_RANGE_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", ""): _values_get,
    ("PUT", ""): _values_put,
    ("POST", ":clear"): _values_clear,
    ("POST", ":append"): _values_append,
}


def _check_body_range(data: dict, range_text: str) -> None:
    given = data.get("range")
    if given and given != range_text:
        raise bad(
            f"Requested writing within range [{range_text}], but the request body has "
            f"range [{given}]"
        )


def _json(body: bytes) -> dict:
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise bad(f"Invalid JSON payload received. {exc}") from exc
    if not isinstance(data, dict):
        raise bad("Invalid JSON payload received. Expected an object.")
    return data


def _get_spreadsheet(book: Spreadsheet, query: dict) -> dict:
    answer = metadata.annotate(book, book.to_json())
    with_grid = query.get("includeGridData", ["false"])[-1].lower() == "true"
    ranges = query.get("ranges", [])
    fields = query.get("fields", [""])[-1]
    if ranges:
        wanted = []
        for text in ranges:
            sheet, r0, r1, c0, c1, _ = book.resolve(text)
            wanted.append((sheet, r0, r1, c0, c1))
        ids = [s.sheet_id for s, *_ in wanted]
        answer["sheets"] = [e for e in answer["sheets"] if e["properties"]["sheetId"] in ids]
    if with_grid or "data" in fields.replace("/", "."):
        cells = metadata.wants_cells(parse_mask(fields) if fields else None)
        for entry in answer["sheets"]:
            sheet = book.by_id(entry["properties"]["sheetId"])
            spans = [w[1:] for w in (wanted if ranges else []) if w[0] is sheet] or [
                (0, sheet.row_count, 0, sheet.col_count)
            ]
            entry["data"] = [metadata.grid_data(book, sheet, *span, cells=cells) for span in spans]
    if fields:
        answer = mask(answer, parse_mask(fields))
    return answer


# -------------------------------------------------------------------- field masks


def parse_mask(text: str) -> dict:
    """`sheets(properties,data.rowData),namedRanges` -> nested dict of selected fields."""
    tree: dict = {}
    pos = 0

    def parse_list(into: dict, until: str | None) -> None:
        nonlocal pos
        while pos < len(text):
            start = pos
            while pos < len(text) and text[pos] not in ",()":
                pos += 1
            path = text[start:pos].strip().replace("/", ".")
            node = into
            for part in [p for p in path.split(".") if p]:
                node = node.setdefault(part, {})
            if pos < len(text) and text[pos] == "(":
                pos += 1
                parse_list(node, ")")
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            if pos < len(text) and text[pos] == ")":
                if until != ")":
                    raise bad(f"Invalid field selection {text}")
                pos += 1
                return
        if until == ")":
            raise bad(f"Invalid field selection {text}")

    parse_list(tree, None)
    return tree


def mask(data: object, tree: dict) -> object:
    if not tree or "*" in tree:
        return data
    if isinstance(data, list):
        return [mask(item, tree) for item in data]
    if not isinstance(data, dict):
        return data
    return {key: mask(data[key], sub) for key, sub in tree.items() if key in data}


# -------------------------------------------------------------------------- HTTP


def _handler(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, answer = emulator.handle(self.command, self.path, headers, body)
            payload = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return  # quiet: tests and the benchmark print their own figures

    return Handler
