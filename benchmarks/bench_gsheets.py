"""Google Sheets door over the local emulator: read, compute and write back a large book.

Prints seconds and HTTP requests per phase for a 100-row and a 50,000-row Log. The write uses
the computed Log columns as the output plan's patch (the full layout comes with
`sheetflow.core.layout`); goal: a 50,000-row refresh under 30 s. Not a test.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import sheets  # noqa: E402

from sheetflow import pipeline  # noqa: E402
from sheetflow.config import load_config  # noqa: E402
from sheetflow.core import plan  # noqa: E402
from sheetflow.emulator import Emulator  # noqa: E402
from sheetflow.emulator.values import to_serial  # noqa: E402
from sheetflow.io.gsheets import GSheetDoor  # noqa: E402

AS_OF = "2024-10-09T16:00"
KINDS = {"duration_h": plan.HOURS, "sla_h": plan.HOURS, "due": plan.DATETIME,
         "status": plan.TEXT, "overdue_h": plan.HOURS}


def _cells(rows: list[list[object]]) -> list[list[object]]:
    out = []
    for row in rows:
        out.append([to_serial(v) if isinstance(v, dt.datetime) else
                    to_serial(dt.datetime.combine(v, dt.time())) if isinstance(v, dt.date)
                    else v for v in row])
    return out


def log_patch(report, book) -> plan.Patch:  # noqa: ANN001
    table = book.tables["Log"]
    frame = report.log
    columns = []
    for name, kind in KINDS.items():
        values = [None if v != v else (v.to_pydatetime() if hasattr(v, "to_pydatetime") else v)
                  for v in frame[name].tolist()]
        columns.append(plan.Column(name, name, values, kind))
    first = table.width + 1
    return plan.Patch("Log", table.title, 1, tuple(int(r) for r in frame.index),
                      tuple(columns), tuple(range(first, first + len(columns))))


def run(emulator: Emulator, log_rows: int) -> None:
    data = {title: _cells(rows) for title, rows in sheets(log_rows).items()}
    key = emulator.create_spreadsheet(f"bench {log_rows}", data)
    config = load_config(None, {"SHEETFLOW_SHEETS_API_URL": emulator.url,
                                "SHEETFLOW_GOOGLE_TOKEN": "bench"})
    door = GSheetDoor(key, config)
    t0 = time.perf_counter()
    book = door.read()
    t1 = time.perf_counter()
    report = pipeline.compute(book, pipeline.parse_as_of(AS_OF))
    t2 = time.perf_counter()
    reads = door.request_count
    output = plan.OutputPlan(language=book.language, as_of=report.as_of.to_pydatetime(),
                             patches=(log_patch(report, book),))
    door.write(output)
    t3 = time.perf_counter()
    print(f"{log_rows:>7,} Log rows: read {t1 - t0:5.2f} s ({reads} requests), "
          f"compute {t2 - t1:5.2f} s, write {t3 - t2:5.2f} s "
          f"({door.stats['requests']} requests, {door.stats['split_extra']} from splitting "
          f"payloads > 2 MB), total {t3 - t0:5.2f} s")


def main() -> None:
    with Emulator() as emulator:
        for rows in (100, 50_000):
            run(emulator, rows)


if __name__ == "__main__":
    main()
