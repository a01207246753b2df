"""A local Google Sheets API v4 emulator (HTTP on 127.0.0.1, state in memory).

For the tests, and for a user who wants to try `gsheet:` books and `sheetflow sync` without
a Google account: `python -m sheetflow.emulator --port 8089`, then
`SHEETFLOW_SHEETS_API_URL=http://127.0.0.1:8089 SHEETFLOW_GOOGLE_TOKEN=x sheetflow ...`.
What it does not implement answers 501 UNIMPLEMENTED, never a made-up success.
"""

from __future__ import annotations

from sheetflow.emulator.server import Emulator

__all__ = ["Emulator"]
