"""`make demo`: the main job on the shipped example workbook, as a user would run it."""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import os
import shutil
import sys
from pathlib import Path

import openpyxl

from sheetflow.cli import main as sheetflow
from sheetflow.core import schema


def with_typos(book: Path, target: Path) -> Path:
    """A copy of `book` with three slips people make, to show what validate says about them."""
    shutil.copyfile(book, target)
    wb = openpyxl.load_workbook(target)
    log = next(ws for ws in wb.worksheets if schema.sheet_for_title(ws.title) is schema.LOG)
    header = [schema.normalise_name(c.value) for c in log[1]]
    start = header.index(schema.normalise_name(schema.LOG.column("start").label("en")))
    end = header.index(schema.normalise_name(schema.LOG.column("end").label("en")))
    node = header.index(schema.normalise_name(schema.LOG.column("node").label("en")))
    log.cell(3, node + 1).value = f"{log.cell(3, node + 1).value}s"  # a typo in a node name
    log.cell(4, end + 1).value = log.cell(4, start + 1).value - dt.timedelta(hours=2)
    log.cell(5, start + 1).value = "2024-13-05 09:00"  # no 13th month
    wb.save(target)
    return target


def show_notify(book: Path, as_of: str, build: Path) -> int:
    """`sheetflow notify` with no SMTP server: the digests land as .eml files in build/."""
    state = build / "demo_state"
    shutil.rmtree(state, ignore_errors=True)  # a fresh ledger: every run of the demo mails
    config = build / "demo_notify.toml"
    config.write_text(
        "# no [smtp] section: sheetflow writes the emails as .eml files to <state>/outbox/\n"
        '[state]\ndir = "demo_state"\n',
        encoding="utf-8",
    )
    for name in [n for n in os.environ if n.startswith("SHEETFLOW_SMTP_")] + [
        "SHEETFLOW_STATE_DIR"
    ]:
        os.environ.pop(name, None)  # the demo never mails anyone, whatever the shell says
    argv = ["notify", str(book), "--as-of", as_of, "--config", str(config)]
    print(f"\n$ sheetflow {' '.join(argv)}", flush=True)
    code = sheetflow(argv)
    sys.stdout.flush()
    files = sorted((state / "outbox").glob("*.eml"))
    if code == 2 or not files:
        return code
    shown = max(files, key=_rows_in)  # the fullest digest shows the most
    message = _message(shown)
    print(f"\nOne of the {len(files)} emails, {shown}:")
    for header in ("To", "Cc", "Subject"):
        if message[header]:
            print(f"  {header + ':':9}{message[header]}")
    print("  " + message.get_body(("plain",)).get_content().strip().replace("\n", "\n  "))
    print(
        '\nTo mail them for real, give the config an [smtp] section (url = "smtp://host:587",'
        " from = ...) or set SHEETFLOW_SMTP_URL; `--dry-run` lists who would get what."
    )
    return code


def _rows_in(path: Path) -> tuple[int, int]:
    text = _message(path).get_body(("plain",)).get_content()
    return text.count("!A"), len(text)  # workbook rows listed (Log!A12 ...), then length


def _message(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def run(book: Path, as_of: str, out: Path) -> int:
    """Create the example if missing, validate, refresh into `out`, show overdue and routes,
    then the reminder emails `notify` would send (as .eml files: no SMTP server here)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if not book.exists():
        if sheetflow(["init", str(book), "--template", "complaints", "--lang", "en"]) != 0:
            return 2
    typos = with_typos(book, out.parent / "demo_with_typos.xlsx")
    steps = [
        ["validate", str(book), "--as-of", as_of],
        ["validate", str(typos), "--as-of", as_of],
        ["refresh", str(book), "--as-of", as_of, "--out", str(out)],
        ["overdue", str(out), "--as-of", as_of],
        ["route", str(out), "--as-of", as_of],
    ]
    for argv in steps:
        print(f"\n$ sheetflow {' '.join(argv)}", flush=True)
        code = sheetflow(argv)
        sys.stdout.flush()
        if code == 2:
            return 2
    if show_notify(book, as_of, out.parent) == 2:
        return 2
    print(f"\nOpen {out} to see the computed columns, Overdue, Routing, Summary and NodeStats.")
    print(f"Open the .eml files in {out.parent / 'demo_state' / 'outbox'} with a mail program.")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m sheetflow.demo")
    parser.add_argument("book", type=Path)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sys.exit(run(args.book, args.as_of, args.out))
