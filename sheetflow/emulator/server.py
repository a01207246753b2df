"""The emulator's HTTP side: the Sheets API v4 routes on 127.0.0.1, Google's error bodies,
injected failures and a request counter. `Emulator` is the in-process handle tests use."""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from sheetflow.emulator import metadata, model
from sheetflow.emulator.model import ApiError, Spreadsheet, bad
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
                    book.update_values(model.a1.quote_title(name) + "!A1", rows, "RAW")
            return book.spreadsheet_id

    def book(self, key: str) -> Spreadsheet:
        return self.books[key]

    def values(self, key: str, range_text: str, option: str = "UNFORMATTED_VALUE") -> list:
        """The values of a range as the API would return them (for assertions)."""
        with self._lock:
            return self.books[key].get_values(range_text, value_option=option).get("values", [])

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
        if status not in model.STATUS:
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
        one = {k: v[-1] for k, v in query.items()}
        if rest == "" and method == "GET":
            return _get_spreadsheet(book, query)
        if rest == ":batchUpdate" and method == "POST":
            return self._batch_update(book, data)
        if rest.startswith("/developerMetadata"):
            return metadata.route(book, method, rest, data)
        if rest == "/values:batchGet" and method == "GET":
            ranges = query.get("ranges", [])
            return {
                "spreadsheetId": key,
                "valueRanges": [
                    book.get_values(
                        r,
                        one.get("majorDimension", "ROWS"),
                        one.get("valueRenderOption", "FORMATTED_VALUE"),
                        one.get("dateTimeRenderOption", "SERIAL_NUMBER"),
                    )
                    for r in ranges
                ],
            }
        if rest == "/values:batchUpdate" and method == "POST":
            return self._values_batch_update(book, data)
        if rest == "/values:batchClear" and method == "POST":
            work = book.clone()
            cleared = [work.clear_values(r) for r in data.get("ranges", [])]
            self.books[key] = work
            return {"spreadsheetId": key, "clearedRanges": cleared}
        match = re.fullmatch(r"/values/(.+?)(:append|:clear)?", rest)
        if not match:
            raise Unsupported(f"{method} {path}")
        range_text, action = unquote(match.group(1)), match.group(2)
        if action is None and method == "GET":
            return book.get_values(
                range_text,
                one.get("majorDimension", "ROWS"),
                one.get("valueRenderOption", "FORMATTED_VALUE"),
                one.get("dateTimeRenderOption", "SERIAL_NUMBER"),
            )
        if action is None and method == "PUT":
            _check_body_range(data, range_text)
            work = book.clone()
            answer = work.update_values(
                range_text, data.get("values"), one.get("valueInputOption", ""),
                data.get("majorDimension") or "ROWS",
            )
            answer.pop("_hit", None)
            self.books[key] = work
            return self._with_values(work, answer, one)
        if action == ":clear" and method == "POST":
            work = book.clone()
            cleared = work.clear_values(range_text)
            self.books[key] = work
            return {"spreadsheetId": key, "clearedRange": cleared}
        if action == ":append" and method == "POST":
            work = book.clone()
            answer = work.append_values(
                range_text, data.get("values") or [], one.get("valueInputOption", ""),
                one.get("insertDataOption", "OVERWRITE"),
            )
            self.books[key] = work
            return answer
        raise Unsupported(f"{method} {path}")

    def _with_values(self, book: Spreadsheet, answer: dict, options: dict) -> dict:
        wanted = options.get("includeValuesInResponse", "").lower() == "true"
        if wanted and "updatedRange" in answer:
            answer["updatedData"] = book.get_values(
                answer["updatedRange"], "ROWS",
                options.get("responseValueRenderOption", "FORMATTED_VALUE"),
                options.get("responseDateTimeRenderOption", "SERIAL_NUMBER"),
            )
        return answer

    def _batch_update(self, book: Spreadsheet, data: dict) -> dict:
        requests = data.get("requests")
        if not isinstance(requests, list) or not requests:
            raise bad("Must specify at least one request.")
        work = book.clone()  # atomic: the copy replaces the book only when every request worked
        preloaded = list(self.ids.preloaded)
        try:
            replies = model.batch_update(work, requests, self.ids)
        except (ApiError, Unsupported):
            self.ids.preloaded[:] = preloaded
            raise
        self.books[book.spreadsheet_id] = work
        answer = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
        if data.get("includeSpreadsheetInResponse"):
            answer["updatedSpreadsheet"] = metadata.annotate(work, work.to_json())
        return answer

    def _values_batch_update(self, book: Spreadsheet, data: dict) -> dict:
        option = data.get("valueInputOption", "")
        work = book.clone()
        responses = []
        for entry in data.get("data") or []:
            responses.append(
                work.update_values(
                    entry.get("range", ""), entry.get("values"), option,
                    entry.get("majorDimension") or "ROWS",
                )
            )
        self.books[book.spreadsheet_id] = work
        updated = [r for r in responses if "updatedRange" in r]
        rows = {(r["_hit"][0], i) for r in updated for i in r["_hit"][1]}
        cols = {(r["_hit"][0], j) for r in updated for j in r["_hit"][2]}
        for r in updated:
            r.pop("_hit")
        answer = {
            "spreadsheetId": book.spreadsheet_id,
            "totalUpdatedRows": len(rows),
            "totalUpdatedColumns": len(cols),
            "totalUpdatedCells": sum(r["updatedCells"] for r in updated),
            "totalUpdatedSheets": len({r["updatedRange"].rpartition("!")[0] for r in updated}),
            "responses": responses,
        }
        if not updated:
            answer = {"spreadsheetId": book.spreadsheet_id, "responses": responses}
        return answer


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
