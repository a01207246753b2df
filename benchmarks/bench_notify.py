"""Compose and deliver overdue digests: 1,000 overdue items across 200 people, sent to a real
SMTP server (aiosmtpd) on 127.0.0.1. Goal: < 10 s. Prints figures; not a test.

    .venv/bin/python benchmarks/bench_notify.py [--items 1000] [--people 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import pandas as pd
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sheetflow import pipeline  # noqa: E402
from sheetflow.io.xlsx import read_workbook  # noqa: E402
from sheetflow.notify.deliver import SmtpSender, parse_smtp_url  # noqa: E402
from sheetflow.notify.ledger import Ledger  # noqa: E402
from sheetflow.notify.options import NotifyOptions  # noqa: E402
from sheetflow.notify.service import notify_report, plan_digests  # noqa: E402
from sheetflow.state import open_state  # noqa: E402

AS_OF = pd.Timestamp("2024-10-09T16:00")


class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        self.count += 1
        self.bytes += len(envelope.content)
        return "250 OK"


def make_book(path: Path, items: int, people: int) -> Path:
    managers = max(1, people // 10)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    process = wb.create_sheet("Process")
    process.append(["node", "seq", "role", "sla_hours", "clock"])
    process.append(["Handle", 1, "Agent", 4, "calendar"])
    cases = wb.create_sheet("Cases")
    cases.append(["case_id", "opened_at", "title", "department"])
    log = wb.create_sheet("Log")
    log.append(["case_id", "node", "assignee", "start", "end"])
    start = dt.datetime(2024, 10, 8, 9)
    for i in range(items):
        when = start + dt.timedelta(minutes=i % 600)
        cases.append([f"C{i:05d}", when, f"Complaint number {i} <about> delivery", f"D{i % 7}"])
        log.append([f"C{i:05d}", "Handle", f"P{i % people:03d}", when, None])
    staff = wb.create_sheet("People")
    staff.append(["name", "role", "email", "manager", "department"])
    for p in range(people):
        staff.append([f"P{p:03d}", "Agent", f"p{p:03d}@example.com", f"M{p % managers:02d}", "D"])
    for m in range(managers):
        staff.append([f"M{m:02d}", "Lead", f"m{m:02d}@example.com", "Boss", "D"])
    staff.append(["Boss", "Director", "boss@example.com", None, None])
    wb.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--people", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book = make_book(folder / "bench.xlsx", args.items, args.people)
        t = time.perf_counter()
        report = pipeline.compute(read_workbook(book), AS_OF)
        read_s = time.perf_counter() - t
        overdue = int((report.log["status"] == "overdue").sum())

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            db = open_state(folder / "state")
            ledger = Ledger(db, str(book))
            t = time.perf_counter()
            plan = plan_digests(report, book="bench", options=NotifyOptions(), ledger=ledger)
            compose_s = time.perf_counter() - t
            mailer = SmtpSender(parse_smtp_url(f"smtp://127.0.0.1:{port}"), "bench@example.com")
            t = time.perf_counter()
            outcome = notify_report(
                report, book="bench", options=NotifyOptions(), ledger=ledger, mailer=mailer,
                poster=None, sender="bench@example.com",
            )
            total_s = time.perf_counter() - t
            mailer.close()
            t = time.perf_counter()
            again = notify_report(
                report, book="bench", options=NotifyOptions(), ledger=ledger, mailer=mailer,
                poster=None, sender="bench@example.com",
            )
            again_s = time.perf_counter() - t
            db.close()
        finally:
            controller.stop()
    print(f"workbook: {args.items} open rows, {overdue} overdue, {args.people} people")
    print(f"read + compute (not part of the goal):   {read_s:6.2f} s")
    print(f"compose {len(plan.messages)} digests:                {compose_s:6.2f} s")
    print(
        f"compose + deliver + record (goal < 10 s): {total_s:6.2f} s  "
        f"({outcome.emails} emails, {sink.count} received, {sink.bytes / 1e6:.1f} MB, "
        f"{outcome.failed} failed)"
    )
    print(f"second run, nothing new:                 {again_s:6.2f} s  ({again.emails} emails)")


if __name__ == "__main__":
    main()
