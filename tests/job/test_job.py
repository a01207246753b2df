"""The scheduled job driven by an injected clock (no sleeping) over two workbooks, one broken:
schedule's own timing, the run history, digests, the weekly review and the monthly report."""

from __future__ import annotations

import copy
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sheetflow.config import load_config
from sheetflow.errors import UsageError
from sheetflow.io.xlsx import read_workbook
from sheetflow.job import Job, parse_every
from tests.notify.servers import EN, start_smtp, write_book

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]


class ReaderDoor:
    """A read-only door on the real file reader (refresh is off in these configs)."""

    def __init__(self, spec: str, config=None, out=None) -> None:  # noqa: ANN001
        self.path = Path(spec)

    @property
    def name(self) -> str:
        return str(self.path)

    def read(self):  # noqa: ANN201
        return read_workbook(self.path)

    def write(self, plan) -> str:  # noqa: ANN001
        raise AssertionError("refresh = false: nothing is written")


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


def job_book(path: Path) -> Path:
    sheets = copy.deepcopy(EN)
    sheets["Cases"] = [
        ["case_id", "opened_at", "title", "department"],
        ["C1", dt.datetime(2024, 9, 30, 10), "Late parcel", "Sales"],
        ["C4", dt.datetime(2024, 9, 30, 9), "Done in September", "Sales"],
    ]
    sheets["Log"] = [
        ["case_id", "node", "assignee", "start", "end"],
        ["C1", "Handle", "Ann", dt.datetime(2024, 9, 30, 10), None],
        ["C4", "Handle", "Cai", dt.datetime(2024, 9, 30, 9), dt.datetime(2024, 9, 30, 10)],
    ]
    return write_book(path, sheets)


@pytest.fixture
def smtp():
    server = start_smtp()
    yield server
    server.controller.stop()


def config_file(tmp_path: Path, smtp_url: str, every: str = "daily 09:00") -> Path:
    good = job_book(tmp_path / "good.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a workbook")
    path = tmp_path / "sheetflow.toml"
    path.write_text(
        f'[smtp]\nurl = "{smtp_url}"\nfrom = "robot@example.com"\n'
        f'[state]\ndir = "state"\n'
        f'[schedule]\ntimezone = "Asia/Shanghai"\n'
        f'[notify]\nweekly = "mon 09:00"\nmonthly = "1 09:00"\n'
        f'[[workbook]]\nsource = "{broken.name}"\nrefresh = false\nevery = "{every}"\n'
        f'[[workbook]]\nsource = "{good.name}"\nrefresh = false\nevery = "{every}"\n',
        encoding="utf-8",
    )
    return path


def runs(tmp_path: Path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "state" / "state.sqlite") as db:
        return db.execute(
            "SELECT source, started_at, ok, error IS NOT NULL, emails, reports FROM job_runs "
            "ORDER BY id"
        ).fetchall()


def subjects(smtp, start: int = 0) -> list[str]:
    return [r.message["Subject"] for r in smtp.received[start:]]


def test_cycles_by_the_clock_across_a_good_and_a_broken_workbook(tmp_path, smtp):
    clock = Clock(dt.datetime(2024, 10, 1, 8, 0, tzinfo=SHANGHAI))  # Tuesday, 1 October
    job = Job(load_config(config_file(tmp_path, smtp.url), environ={}), clock=clock,
              open_door=ReaderDoor)
    scheduler = job.build_scheduler()
    job.run_pending(scheduler)
    assert smtp.received == [] and not (tmp_path / "state" / "state.sqlite").exists()

    clock.now = dt.datetime(2024, 10, 1, 9, 0, 1, tzinfo=SHANGHAI)
    job.run_pending(scheduler)
    history = runs(tmp_path)
    # each workbook ran (the monthly and weekly jobs at 09:00 found nothing new to do)
    assert [(r[0], r[2], r[3]) for r in history][:2] == [("broken", 0, 1), ("good", 1, 0)]
    got = subjects(smtp)
    assert "good: 1 overdue, 0 at risk for Ann" in got
    assert "good: monthly report 2024-09" in got
    assert "good: weekly review 2024-W40 for Mia" in got  # due since Monday, sent once
    assert "good: weekly review 2024-W40 for Zed" in got
    monthly = next(r for r in smtp.received if "monthly" in r.message["Subject"])
    assert monthly.message["To"] == "zed@example.com"
    text = monthly.part("plain")
    assert "Opened this month" in text and "Closed this month" in text
    closed_row = next(line for line in text.splitlines() if line.startswith("Closed this month"))
    assert closed_row.split()[-1] == "1"
    attachment = next(monthly.message.iter_attachments())
    assert attachment.get_filename() == "good.xlsx"
    assert attachment.get_content() == (tmp_path / "good.xlsx").read_bytes()
    first_count = len(smtp.received)
    runs_after_first = len(history)

    # the same day at 10:00 nothing is due; the next day at 09:00 only the daily job runs
    clock.now = dt.datetime(2024, 10, 1, 10, 0, tzinfo=SHANGHAI)
    job.run_pending(scheduler)
    assert len(runs(tmp_path)) == runs_after_first
    clock.now = dt.datetime(2024, 10, 2, 9, 0, 1, tzinfo=SHANGHAI)
    job.run_pending(scheduler)
    # Ann's C1 is news on a new day, and now 43 h over: escalated to Zed
    assert subjects(smtp, first_count) == ["[Escalated] good: 1 overdue, 0 at risk for Ann"]
    assert "zed@example.com" in smtp.received[-1].message["Cc"]

    # Monday 7 October: the daily digest, and the weekly review of W41
    count = len(smtp.received)
    clock.now = dt.datetime(2024, 10, 7, 9, 0, 1, tzinfo=SHANGHAI)
    job.run_pending(scheduler)
    new = subjects(smtp, count)
    assert "[Escalated] good: 1 overdue, 0 at risk for Ann" in new
    assert "good: weekly review 2024-W41 for Mia" in new
    assert not any("monthly" in s for s in new)
    weekly = next(r for r in smtp.received[count:] if "W41 for Mia" in r.message["Subject"])
    assert "C1" in weekly.part("plain") and "Late parcel" in weekly.part("html")

    history = runs(tmp_path)
    assert {r[0] for r in history} == {"broken", "good"}
    assert all(r[2] == 0 for r in history if r[0] == "broken")
    assert all(r[2] == 1 for r in history if r[0] == "good")
    assert any(r[5] and "monthly 2024-09" in r[5] for r in history)


def test_interval_cadence_skips_outside_working_hours(tmp_path, smtp):
    clock = Clock(dt.datetime(2024, 10, 8, 17, 0, tzinfo=SHANGHAI))  # Tuesday
    config = load_config(config_file(tmp_path, smtp.url, every="30m"), environ={})
    job = Job(config, clock=clock, open_door=ReaderDoor)
    scheduler = job.build_scheduler()
    clock.now = dt.datetime(2024, 10, 8, 17, 30, 1, tzinfo=SHANGHAI)
    job.run_pending(scheduler)
    assert len([r for r in runs(tmp_path) if r[0] == "good"]) == 1  # first run: reads
    clock.now = dt.datetime(2024, 10, 8, 18, 0, 2, tzinfo=SHANGHAI)  # after 18:00
    job.run_pending(scheduler)
    assert len([r for r in runs(tmp_path) if r[0] == "good"]) == 1


@pytest.mark.parametrize(
    "text, kind",
    [
        pytest.param("30m", "interval", id="minutes"),
        pytest.param("2h", "interval", id="hours"),
        pytest.param("daily 09:00", "daily", id="daily"),
        pytest.param("weekly Mon 9:30", "weekly", id="weekly"),
        pytest.param("monthly 1 09:00", "monthly", id="monthly"),
        pytest.param("monthly 31 09:00", None, id="day-31"),
        pytest.param("hourly", None, id="unknown"),
    ],
)
def test_every_texts(text, kind):
    cadence = parse_every(text)
    assert (cadence.kind if cadence else None) == kind


def test_bad_every_is_a_usage_error(tmp_path, smtp):
    config = load_config(config_file(tmp_path, smtp.url, every="sometimes"), environ={})
    with pytest.raises(UsageError, match="every = 'sometimes'"):
        Job(config)


def test_sigterm_stops_the_loop_cleanly(tmp_path, smtp):
    config = config_file(tmp_path, smtp.url, every="daily 03:00")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "sheetflow", "schedule", "--config", str(config)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait for the started line, then stop it
        line = process.stderr.readline()
        if "stop with Ctrl-C" in line:
            break
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopping after the current run" in err
    assert "Traceback" not in err


