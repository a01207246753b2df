"""`sheetflow calendar BOOK --years Y [Y ...] [--country CN] [--out PATH]` (SPEC §8).

Fills the Calendar sheet with the official holidays and make-up workdays of the given years,
through whichever door the book names (a file or `gsheet:KEY`), keeping the user's own rows.
"""

from __future__ import annotations

import argparse
import datetime as dt

from sheetflow import holidays
from sheetflow.commands import Argument, add_command
from sheetflow.core import i18n
from sheetflow.io.doors import open_book

ARGUMENTS: tuple[Argument, ...] = (
    (("book",), {"help": "path to .xlsx/.xlsm, or gsheet:KEY"}),
    (("--years",), {
        "nargs": "+", "type": int, "required": True, "metavar": "Y", "help": "e.g. 2025 2026"
    }),
    (("--country",), {"default": holidays.CHINA, "help": "ISO country code (default CN: China)"}),
    (("--out",), {"help": "write to this file instead of in place"}),
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `calendar` sub-command."""
    return add_command(
        subparsers,
        "calendar",
        run,
        ARGUMENTS,
        help="fill the Calendar sheet with official holidays and make-up workdays",
        description=(
            "Add every official holiday that falls on a working day (kind holiday) and every "
            "make-up working day on a weekend (kind workday) of the given years to the Calendar "
            "sheet. Rows you typed yourself are kept and no date is added twice. China (CN) "
            "comes from the chinese-calendar package, other countries from holidays."
        ),
    )


def run(args: argparse.Namespace, now: dt.datetime | None = None) -> int:
    """Read the book, add the missing official days, write them back; returns the exit code."""
    holidays.check_years(args.years, args.country)  # fail before touching the book
    door = open_book(args.book, out=_out(args))
    book = door.read()
    fill = holidays.calendar_fill(book, args.years, args.country)
    for line in holidays.report_lines(fill):
        print(line)
    if not fill.rows and args.out is None:
        print(i18n.text("calendar.unchanged", book.language, book=door.name))
        return 0
    stamp = now or dt.datetime.now().replace(microsecond=0)
    where = door.write(holidays.calendar_plan(book, fill, stamp))
    print(i18n.text("calendar.wrote", book.language, where=where))
    return 0


def _out(args: argparse.Namespace) -> str | None:
    """--out, or None when it names the book itself (then the book is written in place)."""
    if args.out is None or args.book.startswith("gsheet:"):
        return args.out
    from pathlib import Path

    same = Path(args.out).resolve() == Path(args.book).resolve()
    return None if same else args.out
