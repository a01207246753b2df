"""`python -m sheetflow.emulator [--port 8089] [--load BOOK.xlsx ...]`: run the emulator."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from sheetflow.emulator.server import Emulator
from sheetflow.emulator.sheet import Layer
from sheetflow.emulator.values import to_serial


def load_workbook(emulator: Emulator, path: Path) -> str:
    """Copy every sheet of an .xlsx file into a new spreadsheet (dates as dates); its key."""
    from sheetflow.io.xlsx import read_rows

    raw = read_rows(path)
    sheets: dict[str, list[list[object]]] = {}
    dates: list[tuple[str, int, int, str]] = []
    for title, rows in raw.items():
        out = []
        for r, row in enumerate(rows):
            cells = []
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    dates.append((title, r, c, "DATE_TIME"))
                    value = to_serial(value)
                elif isinstance(value, dt.date):
                    dates.append((title, r, c, "DATE"))
                    value = to_serial(dt.datetime.combine(value, dt.time()))
                elif value == "":
                    value = None
                cells.append(value)
            out.append(cells)
        sheets[title] = out
    key = emulator.create_spreadsheet(path.stem, sheets)
    book = emulator.book(key)
    patterns = {"DATE": "yyyy-mm-dd", "DATE_TIME": "yyyy-mm-dd hh:mm"}
    for title, r, c, kind in dates:
        sheet = book.by_title(title)
        fmt = {"numberFormat": {"type": kind, "pattern": patterns[kind]}}
        sheet.layers.append(Layer(r, r + 1, c, c + 1, fmt, ("numberFormat",)))
    return key


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sheetflow.emulator",
        description="A local Google Sheets API v4 emulator (state in memory, 127.0.0.1).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument(
        "--load", nargs="*", default=[], metavar="BOOK", help=".xlsx files to serve as sheets"
    )
    args = parser.parse_args(argv)
    try:
        emulator = Emulator(args.host, args.port)
    except OSError as exc:
        print(f"emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"Sheets API emulator at {emulator.url}", flush=True)
    print(f"  export SHEETFLOW_SHEETS_API_URL={emulator.url} SHEETFLOW_GOOGLE_TOKEN=local")
    for name in args.load:
        key = load_workbook(emulator, Path(name))
        print(f"  {name} -> gsheet:{key}", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
