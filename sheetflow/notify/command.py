"""`sheetflow notify BOOK [--as-of T] [--dry-run] [--config FILE]` (SPEC §8)."""

from __future__ import annotations

import argparse
import sys
from contextlib import closing
from pathlib import Path

from sheetflow import pipeline
from sheetflow.commands import Argument, add_command, config_file, dry_run
from sheetflow.config import load_config
from sheetflow.core import i18n
from sheetflow.io.doors import GSHEET_PREFIX, open_book
from sheetflow.notify.deliver import ChatSender, OutboxSender
from sheetflow.notify.ledger import Ledger
from sheetflow.notify.options import mailer_for, notify_options
from sheetflow.notify.service import Outcome, as_of_text, book_key, notify_report
from sheetflow.state import open_state

ARGUMENTS: tuple[Argument, ...] = (
    (("book",), {"help": "path to .xlsx/.xlsm, or gsheet:KEY"}),
    (("--as-of",), {"dest": "as_of", "help": "'now' as ISO datetime, e.g. 2024-10-09T16:00"}),
    dry_run("print who would get what; send nothing"),
    config_file("the TOML config (SMTP, chat robots, state folder)"),
)


HELP = "email (and post to group chats) the overdue and at-risk work"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    return add_command(subparsers, "notify", run, ARGUMENTS, help=HELP)


def display_name(spec: str, door: object = None) -> str:
    """How subjects name the workbook: a file's stem; a Google Sheet's title once its door has
    read it (else `gsheet:KEY`)."""
    if spec.startswith(GSHEET_PREFIX):
        return str(getattr(door, "title", "") or "").strip() or spec
    return Path(spec).stem


def report_outcome(outcome: Outcome, *, as_of: str, where: str, outbox: bool) -> None:
    """Print what was done (stdout) and what went wrong (stderr), in the outcome's language."""
    lang = outcome.lang
    for warning in outcome.warnings:
        print(f"sheetflow: {warning}", file=sys.stderr)
    if outcome.planned:
        for line in outcome.planned:
            print(line)
    if outcome.resent:
        print(i18n.text("notify.cli.resending", lang, count=outcome.resent))
    if outcome.emails:
        key = "notify.cli.outbox" if outbox else "notify.cli.sent"
        print(i18n.text(key, lang, count=outcome.emails, server=where, folder=where))
    if outcome.posts:
        print(i18n.text("notify.cli.posted", lang, count=outcome.posts))
    if not (outcome.planned or outcome.emails or outcome.posts or outcome.failures):
        print(i18n.text("notify.cli.nothing", lang, as_of=as_of))
    if outcome.failures:
        reason = outcome.failures[0]
        print(
            "sheetflow: "
            + i18n.text("notify.cli.failed", lang, count=outcome.failed, reason=reason),
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    options = notify_options(config)
    door = open_book(args.book, config)
    report = pipeline.run(door, args.as_of)
    mailer = mailer_for(config)
    poster = ChatSender(options.hooks) if options.hooks else None
    with closing(open_state(config.state_dir)) as db:
        ledger = Ledger(db, book_key(args.book))
        try:
            outcome = notify_report(
                report,
                book=display_name(args.book, door),
                options=options,
                ledger=ledger,
                mailer=mailer,
                poster=poster,
                sender=config.smtp_from,
                dry_run=args.dry_run,
            )
        finally:
            mailer.close()
    report_outcome(
        outcome,
        as_of=as_of_text(report.as_of),
        where=mailer.where,
        outbox=isinstance(mailer, OutboxSender),
    )
    if outcome.failures:
        return 2
    if report.errors:
        print(f"sheetflow: {i18n.text('notify.cli.has_errors', outcome.lang)}", file=sys.stderr)
        return 1
    return 0
