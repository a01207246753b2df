"""Run notify over a real workbook file with real senders (no CLI), for the service tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sheetflow import pipeline
from sheetflow.io.xlsx import read_workbook
from sheetflow.notify.deliver import ChatSender, SmtpSender, parse_smtp_url
from sheetflow.notify.ledger import Ledger
from sheetflow.notify.options import NotifyOptions
from sheetflow.notify.service import Outcome, notify_report
from sheetflow.state import open_state


def notify_once(
    book: Path,
    as_of: str,
    state: Path,
    smtp_url: str,
    options: NotifyOptions | None = None,
    dry_run: bool = False,
) -> Outcome:
    report = pipeline.compute(read_workbook(book), pd.Timestamp(as_of))
    options = options or NotifyOptions()
    mailer = SmtpSender(parse_smtp_url(smtp_url), "sheetflow@example.com", timeout=5)
    db = open_state(state)
    try:
        return notify_report(
            report, book=book.stem, options=options, ledger=Ledger(db, str(book)),
            mailer=mailer, poster=ChatSender(options.hooks) if options.hooks else None,
            sender="sheetflow@example.com", dry_run=dry_run,
        )
    finally:
        mailer.close()
        db.close()
