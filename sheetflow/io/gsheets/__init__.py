"""The Google Sheets door: `gsheet:KEY` read into a `Workbook` and an `OutputPlan` written back.

Real gspread talks to the Sheets API; its HTTP session is injected so that every request goes
to `config.sheets_api_url` (Google, or the local emulator). A refresh costs a fixed number of
requests whatever the row count: one metadata get and one `values:batchGet` to read; to write,
one `spreadsheets:batchUpdate` that adds hidden temporary sheets with their formats, one
`values:batchUpdate` (RAW) that fills them, and one atomic `spreadsheets:batchUpdate` that swaps
them in. Payloads above `max_request_bytes` (8 MB by default: Google answers 400 above 10 MiB and
only advises 2 MB for speed) are split, which adds requests on the temporary sheets only;
nothing the user sees changes before the last, atomic request. On failure the temporary sheets
are deleted (and any left by a crashed run are deleted by the next one).
"""

from sheetflow.io.gsheets.door import MAX_REQUEST_BYTES, GSheetDoor, open_gsheet
from sheetflow.io.gsheets.render import TEMP_PREFIX, quoted
from sheetflow.io.gsheets.transport import (
    GaveUp,
    RedirectingSession,
    RetryingHTTPClient,
    RetryPolicy,
    credentials,
)

__all__ = [
    "MAX_REQUEST_BYTES",
    "TEMP_PREFIX",
    "GSheetDoor",
    "GaveUp",
    "RedirectingSession",
    "RetryPolicy",
    "RetryingHTTPClient",
    "credentials",
    "open_gsheet",
    "quoted",
]
