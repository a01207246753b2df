"""The job through the real doors: `refresh = true` writes a file back (read again with
calamine), and a `gsheet:KEY` source is read, refreshed and mailed over the local Sheets API
emulator with real gspread."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from python_calamine import CalamineWorkbook

from sheetflow.config import load_config
from sheetflow.emulator import Emulator
from sheetflow.emulator.__main__ import load_workbook
from sheetflow.job import Job
from tests.job.test_job import Clock, job_book
from tests.notify.servers import start_smtp

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY_9AM = dt.datetime(2024, 10, 1, 9, 0, 1, tzinfo=SHANGHAI)  # C1 is 19 working h over


@pytest.fixture
def smtp():
    server = start_smtp()
    yield server
    server.controller.stop()


def write_config(tmp_path: Path, smtp_url: str, source: str) -> Path:
    path = tmp_path / "sheetflow.toml"
    path.write_text(
        f'[smtp]\nurl = "{smtp_url}"\nfrom = "robot@example.com"\n'
        f'[state]\ndir = "state"\n'
        f'[schedule]\ntimezone = "Asia/Shanghai"\n'
        f'[[workbook]]\nsource = "{source}"\nrefresh = true\nevery = "daily 09:00"\n',
        encoding="utf-8",
    )
    return path


def sheet(book: CalamineWorkbook, title: str) -> list[list[object]]:
    return book.get_sheet_by_name(title).to_python()


def column(rows: list[list[object]], name: str) -> list[object]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


def test_refresh_writes_the_file_back_and_a_second_cycle_sends_nothing(tmp_path, smtp):
    book = job_book(tmp_path / "good.xlsx")
    config = load_config(write_config(tmp_path, smtp.url, book.name), environ={})
    job = Job(config, clock=Clock(TUESDAY_9AM))

    (result,) = job.cycle()
    assert result.ok, result.error
    assert result.wrote == str(book)

    refreshed = CalamineWorkbook.from_path(str(book))
    assert {"Log", "Summary", "Overdue"} <= set(refreshed.sheet_names)
    log = sheet(refreshed, "Log")
    assert rows_of(log, "case_id", "Status", "Overdue (h)") == [
        ("C1", "Overdue", 19.0),
        ("C4", "Done", 0.0),
    ]
    assert column(log, "Due")[0] == dt.datetime(2024, 9, 30, 14, 0)
    summary = {row[0]: row[1] for row in sheet(refreshed, "Summary") if row and row[0]}
    assert summary["Cases total"] == 2 and summary["Open cases"] == 1
    # through the door's safe writer: the workbook as it was is kept beside it
    backup = CalamineWorkbook.from_path(str(tmp_path / "good.bak.xlsx"))
    assert "Summary" not in backup.sheet_names

    subjects = [r.message["Subject"] for r in smtp.received]
    assert "good: 1 overdue for Ann" in subjects
    # the monthly report carries the refreshed workbook, as written to disk
    monthly = next(r for r in smtp.received if "monthly report" in r.message["Subject"])
    attachment = next(monthly.message.iter_attachments()).get_content()
    assert attachment == book.read_bytes()
    assert "Summary" in CalamineWorkbook.from_filelike(io.BytesIO(attachment)).sheet_names

    count = len(smtp.received)
    (again,) = job.cycle()  # reads the refreshed file (computed columns present) again
    assert again.ok and again.emails == 0 and len(smtp.received) == count
    assert again.overdue == 1
    assert rows_of(sheet(CalamineWorkbook.from_path(str(book)), "Log"), "case_id", "Status") == [
        ("C1", "Overdue"),
        ("C4", "Done"),
    ]
    with sqlite3.connect(tmp_path / "state" / "state.sqlite") as db:
        history = db.execute("SELECT ok, emails, wrote FROM job_runs ORDER BY id").fetchall()
    assert history == [(1, count, str(book)), (1, 0, str(book))]


def rows_of(rows: list[list[object]], *names: str) -> list[tuple]:
    return list(zip(*(column(rows, name) for name in names)))


def test_gsheet_source_is_read_refreshed_and_mailed(tmp_path, smtp):
    with Emulator() as emulator:
        key = load_workbook(emulator, job_book(tmp_path / "good.xlsx"))
        environ = {"SHEETFLOW_SHEETS_API_URL": emulator.url, "SHEETFLOW_GOOGLE_TOKEN": "t"}
        config = load_config(write_config(tmp_path, smtp.url, f"gsheet:{key}"), environ=environ)
        job = Job(config, clock=Clock(TUESDAY_9AM))

        (result,) = job.cycle()
        assert result.ok, result.error
        assert (result.cases, result.overdue) == (2, 1)

        titles = [s.title for s in emulator.book(key).sheets]
        assert {"Log", "Summary", "Overdue"} <= set(titles)
        log = emulator.values(key, "Log!A1:J3")
        assert rows_of(log, "case_id", "Status", "Overdue (h)") == [
            ("C1", "Overdue", 19),
            ("C4", "Done", 0),
        ]
        summary = {r[0]: r[1] for r in emulator.values(key, "Summary!A1:B30") if len(r) > 1}
        assert summary["Cases total"] == 2

    digest = next(r for r in smtp.received if r.message["To"] == "ann@example.com")
    assert digest.message["Subject"] == "good: 1 overdue for Ann"  # the title
    assert "Late parcel" in digest.part("plain") and "Late parcel" in digest.part("html")
    # a Google Sheet has no file to attach: the monthly report goes without one
    monthly = next(r for r in smtp.received if "monthly report" in r.message["Subject"])
    assert list(monthly.message.iter_attachments()) == []
