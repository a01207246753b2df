"""Google Sheets over the local emulator: a full refresh and a sync of a large book.

For a 100-row and a 50,000-row Log: read, compute, lay out and write back the full output plan
(computed columns of Log and Cases with their fills, the five owned sheets with formats, filters
and charts), as `sheetflow refresh gsheet:KEY` does; then `sheetflow sync` of that book into a
blank spreadsheet and, after one edited cell, again. Prints seconds and HTTP requests per phase
(real gspread over HTTP on 127.0.0.1). Goal: a 50,000-row refresh under 30 s. Not a test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import sheets  # noqa: E402

from sheetflow import pipeline  # noqa: E402
from sheetflow.cli import main as cli  # noqa: E402
from sheetflow.config import load_config  # noqa: E402
from sheetflow.core.layout import build_plan  # noqa: E402
from sheetflow.emulator import Emulator  # noqa: E402
from sheetflow.emulator.values import to_serial  # noqa: E402
from sheetflow.io.gsheets import GSheetDoor  # noqa: E402

AS_OF = "2024-12-31T16:00"


def _cells(rows: list[list[object]]) -> list[list[object]]:
    out = []
    for row in rows:
        out.append([to_serial(v) if isinstance(v, dt.datetime) else
                    to_serial(dt.datetime.combine(v, dt.time())) if isinstance(v, dt.date)
                    else v for v in row])
    return out


def refresh(emulator: Emulator, key: str, log_rows: int) -> None:
    config = load_config(None, {"SHEETFLOW_SHEETS_API_URL": emulator.url,
                                "SHEETFLOW_GOOGLE_TOKEN": "bench"})
    emulator.reset_count()
    door = GSheetDoor(key, config)
    t0 = time.perf_counter()
    book = door.read()
    t1 = time.perf_counter()
    report = pipeline.compute(book, pipeline.parse_as_of(AS_OF))
    t2 = time.perf_counter()
    output = build_plan(report)
    t3 = time.perf_counter()
    reads = door.request_count
    door.write(output)
    t4 = time.perf_counter()
    cells = sum(len(c.values) for p in output.patches for c in p.columns)
    cells += sum(len(c.values) for s in output.sheets for b in s.blocks for c in b.columns)
    print(f"{log_rows:>7,} Log rows refresh: read {t1 - t0:5.2f} s ({reads} requests), "
          f"compute {t2 - t1:5.2f} s, layout {t3 - t2:5.2f} s, write {t4 - t3:5.2f} s "
          f"({door.stats['requests']} requests, {door.stats['split_extra']} from splitting "
          f"large payloads; {cells:,} cells), total {t4 - t0:5.2f} s; "
          f"emulator counted {emulator.request_count} requests")


def sync(emulator: Emulator, key: str, log_rows: int) -> None:
    blank = emulator.create_spreadsheet("copy")
    for label in ("into a blank sheet", "after one edit"):
        emulator.reset_count()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli(["sync", f"gsheet:{key}", f"gsheet:{blank}", "--force"])
        seconds = time.perf_counter() - t0
        print(f"{log_rows:>7,} Log rows sync {label}: {seconds:5.2f} s, "
              f"{emulator.request_count} requests, exit {code}")
        emulator.book(key).by_title("Log").put(5, 2, "Edited")


def main() -> None:
    with tempfile.TemporaryDirectory() as state, Emulator() as emulator:
        os.environ.update({"SHEETFLOW_SHEETS_API_URL": emulator.url,
                           "SHEETFLOW_GOOGLE_TOKEN": "bench", "SHEETFLOW_STATE_DIR": state})
        for rows in (100, 50_000):
            data = {title: _cells(r) for title, r in sheets(rows).items()}
            key = emulator.create_spreadsheet(f"bench {rows}", data)
            refresh(emulator, key, rows)
            sync(emulator, key, rows)
            emulator.reset()


if __name__ == "__main__":
    main()
