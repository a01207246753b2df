"""The scheduled job: `sheetflow schedule --config FILE [--once] [--as-of T]` (SPEC §8, §9).

For each `[[workbook]]` of the config, at its `every` times (built on the `schedule` library):
read it through its door, refresh it (write the outputs back, when `refresh = true`), send the
overdue digests and chat posts, and, when due, the weekly review to managers and the monthly
report. One failing workbook never stops the others; each run logs one line per workbook and
keeps a row of run history in the state store.

The clock, the doors and the senders are passed in, so tests drive whole cycles without waiting.
`schedule` reads `datetime.datetime.now()`; while our scheduler works, its module sees a stand-in
`datetime` whose `now()` is our clock (local time of `[schedule] timezone`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import schedule

from sheetflow import pipeline
from sheetflow.commands import Argument, add_command, config_file
from sheetflow.config import Config, WorkbookEntry, load_config
from sheetflow.core import coerce, i18n, schema
from sheetflow.core.calendar import WorkCalendar
from sheetflow.core.findings import Findings
from sheetflow.core.report import Report
from sheetflow.core.settings import read_settings
from sheetflow.core.workbook import Workbook
from sheetflow.errors import SheetflowError, UsageError
from sheetflow.io.doors import Door, open_book
from sheetflow.notify import compose, reports
from sheetflow.notify.command import display_name
from sheetflow.notify.deliver import ChatSender
from sheetflow.notify.ledger import Ledger
from sheetflow.notify.options import NotifyOptions, mailer_for, notify_options
from sheetflow.notify.service import Mailer, Outcome, Poster, book_key, notify_report, send_messages
from sheetflow.state import open_state

LOG = logging.getLogger("sheetflow.job")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS job_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    as_of TEXT,
    seconds REAL NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT,
    cases INTEGER, overdue INTEGER, at_risk INTEGER,
    emails INTEGER, posts INTEGER, failed INTEGER,
    wrote TEXT,
    reports TEXT                 -- weekly / monthly messages sent in this run
)
"""


# ----------------------------------------------------------------------------------------------
# When


@dataclass(frozen=True)
class Cadence:
    """`30m` / `2h` (during working hours), `daily 09:00`, `weekly mon 09:00`, `monthly 1 09:00`."""

    kind: str  # interval | daily | weekly | monthly
    minutes: int = 0
    at: str = "09:00"
    weekday: int = 0
    day: int = 1


_INTERVAL = re.compile(r"(\d+)\s*(m|min|minutes?|h|hours?)")
_AT = r"([01]?\d|2[0-3]):([0-5]\d)"


def parse_every(text: str) -> Cadence | None:
    """The cadence of a `every` text, None when it cannot be read."""
    words = " ".join(str(text).lower().split())
    if match := _INTERVAL.fullmatch(words):
        minutes = int(match[1]) * (60 if match[2].startswith("h") else 1)
        return Cadence("interval", minutes=minutes) if minutes > 0 else None
    if match := re.fullmatch(rf"daily {_AT}", words):
        return Cadence("daily", at=f"{int(match[1]):02d}:{match[2]}")
    if match := re.fullmatch(rf"weekly ({'|'.join(WEEKDAYS)})\w* {_AT}", words):
        return Cadence(
            "weekly", weekday=WEEKDAYS.index(match[1]), at=f"{int(match[2]):02d}:{match[3]}"
        )
    if match := re.fullmatch(rf"monthly (\d{{1,2}}) {_AT}", words):
        day = int(match[1])
        if 1 <= day <= 28:
            return Cadence("monthly", day=day, at=f"{int(match[2]):02d}:{match[3]}")
    return None


def _at_minutes(at: str) -> int:
    hours, minutes = at.split(":")
    return int(hours) * 60 + int(minutes)


def weekly_due(as_of: pd.Timestamp, when: str) -> bool:
    """The weekly review is due from its weekday and time on, within the ISO week."""
    cadence = parse_every(f"weekly {when}")
    if cadence is None:
        return False
    now = (as_of.weekday(), as_of.hour * 60 + as_of.minute)
    return now >= (cadence.weekday, _at_minutes(cadence.at))


def monthly_due(as_of: pd.Timestamp, when: str) -> bool:
    """The monthly report (of the previous month) is due from its day and time on."""
    cadence = parse_every(f"monthly {when}")
    if cadence is None:
        return False
    return (as_of.day, as_of.hour * 60 + as_of.minute) >= (cadence.day, _at_minutes(cadence.at))


def working_calendar(book: Workbook) -> WorkCalendar:
    """The workbook's working windows, weekend, holidays and make-up days."""
    settings = read_settings(book, Findings(book))
    frame = book.frame("Calendar")
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    if {"date", "kind"} <= set(frame.columns) and not frame.empty:
        dates, _ = coerce.to_datetime(frame["date"], date_only=True)
        kinds, _ = coerce.to_enum(frame["kind"], schema.DAY_KIND)
        for day, kind in zip(dates, kinds):
            if pd.isna(day):
                continue
            (holidays if kind == "holiday" else workdays if kind == "workday" else set()).add(
                day.date()
            )
    return WorkCalendar(
        windows=settings.work_hours,
        weekend=settings.weekend,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
    )


def in_working_hours(calendar: WorkCalendar, moment: pd.Timestamp) -> bool:
    day = np.datetime64(moment.normalize().to_datetime64(), "D")
    if not bool(calendar.is_working_day(np.array([day]))[0]):
        return False
    minute = moment.hour * 60 + moment.minute
    return any(start <= minute < end for start, end in calendar.windows)


# ----------------------------------------------------------------------------------------------
# One run of one workbook


@dataclass
class RunResult:
    source: str
    ok: bool
    seconds: float
    as_of: str | None = None
    error: str | None = None
    cases: int = 0
    overdue: int = 0
    at_risk: int = 0
    emails: int = 0
    posts: int = 0
    failed: int = 0
    wrote: str | None = None
    reports: list[str] = field(default_factory=list)
    lang: str = "en"

    def line(self) -> str:
        seconds = f"{self.seconds:.2f}"
        if not self.ok:
            return i18n.text(
                "job.line_failed",
                self.lang,
                source=self.source,
                seconds=seconds,
                error=self.error or "",
            )
        wrote = i18n.text("job.wrote", self.lang, where=self.wrote) if self.wrote else ""
        return i18n.text(
            "job.line_ok",
            self.lang,
            source=self.source,
            seconds=seconds,
            cases=self.cases,
            overdue=self.overdue,
            at_risk=self.at_risk,
            emails=self.emails,
            posts=self.posts,
            failed=self.failed,
            wrote=wrote,
        )


Clock = Callable[[], dt.datetime]
DoorOpener = Callable[..., Door]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Job:
    """The workbooks of one config, their schedule, and what each run did."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock = system_clock,
        open_door: DoorOpener = open_book,
        mailer: Callable[[Config], Mailer] = mailer_for,
        poster: Callable[[NotifyOptions], Poster | None] | None = None,
        options: NotifyOptions | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.open_door = open_door
        self.make_mailer = mailer
        self.options = options if options is not None else notify_options(config)
        self.make_poster = poster or (lambda opts: ChatSender(opts.hooks) if opts.hooks else None)
        self.zone = _zone(config)
        self._calendars: dict[str, WorkCalendar] = {}
        self._due: dict[str, WorkbookEntry] = {}
        self.cadences: dict[str, Cadence] = {}
        for entry in config.workbooks:
            cadence = parse_every(entry.every)
            if cadence is None:
                raise UsageError(
                    i18n.text("job.bad_every", "en", source=entry.source, every=entry.every)
                )
            self.cadences[entry.source] = cadence

    # -- one workbook ---------------------------------------------------------------------------

    def local_now(self) -> dt.datetime:
        """The clock as naive local time of `[schedule] timezone` (what `every` times mean)."""
        now = self.clock()
        if now.tzinfo is None:
            return now
        return now.astimezone(self.zone).replace(tzinfo=None)

    def run_workbook(self, entry: WorkbookEntry, as_of: str | None = None) -> RunResult:
        """Read, refresh, notify one workbook; every error ends up in the result, not raised."""
        started = self.clock()
        t0 = time.perf_counter()
        result = RunResult(source=display_name(entry.source), ok=False, seconds=0.0)
        try:
            self._run(entry, as_of, started, result)
            result.ok = result.failed == 0
            if not result.ok:
                result.error = f"{result.failed} message(s) not sent"
        except SheetflowError as exc:
            result.error = str(exc)
        except Exception as exc:  # a bug must not stop the other workbooks
            LOG.debug("workbook %s", entry.source, exc_info=True)
            result.error = f"internal error ({type(exc).__name__}: {exc})"
        result.seconds = time.perf_counter() - t0
        self._record(started, result)
        (LOG.info if result.ok else LOG.error)(result.line())
        return result

    def _run(
        self, entry: WorkbookEntry, as_of: str | None, started: dt.datetime, result: RunResult
    ) -> None:
        door = self.open_door(entry.source, self.config, out=entry.out)
        report = pipeline.run(door, as_of, now=started)
        self._calendars[entry.source] = working_calendar(report.book)
        result.as_of = report.as_of.isoformat()
        result.lang = report.language
        result.cases = int(report.kpis.get("cases_total", 0) or 0)
        statuses = report.log["status"] if "status" in report.log.columns else pd.Series()
        result.overdue = int((statuses == "overdue").sum())
        result.at_risk = int((statuses == "at_risk").sum())
        if entry.refresh:
            from sheetflow.core.layout import build_plan  # the output plan of a Report

            result.wrote = door.write(build_plan(report))
        if not entry.notify:
            return
        with contextlib.closing(open_state(self.config.state_dir)) as db:
            ledger = Ledger(db, book_key(entry.source))
            mailer = self.make_mailer(self.config)
            try:
                outcome = notify_report(
                    report,
                    book=display_name(entry.source, door),
                    options=self.options,
                    ledger=ledger,
                    mailer=mailer,
                    poster=self.make_poster(self.options),
                    sender=self.config.smtp_from,
                )
                self._periodic(entry, report, ledger, mailer, outcome, result, door)
            finally:
                mailer.close()
        result.emails, result.posts, result.failed = outcome.emails, outcome.posts, outcome.failed
        for warning in outcome.warnings:
            LOG.warning("%s: %s", result.source, warning)
        for failure in outcome.failures:
            LOG.warning("%s: %s", result.source, failure)

    def _periodic(
        self,
        entry: WorkbookEntry,
        report: Report,
        ledger: Ledger,
        mailer: Mailer,
        outcome: Outcome,
        result: RunResult,
        door: Door,
    ) -> None:
        """The weekly review and the monthly report, when due and not sent yet."""
        opts = self.options
        settings = compose.notify_settings(report)
        lang = compose.language_for(report, settings)
        people = compose.people_directory(report)
        book = display_name(entry.source, door)
        messages = []
        if opts.weekly and weekly_due(report.as_of, opts.weekly):
            items = compose.collect_items(report, settings.escalate_after_h)
            weekly = reports.compose_weekly(report, items, people, book=book, lang=lang)
            messages += [m for m in weekly if ledger.news(m.channel, m.period, m.notices)]
        if opts.monthly and monthly_due(report.as_of, opts.monthly):
            monthly = reports.compose_monthly(
                report, people, book=book, lang=lang, reports_to=opts.reports_to
            )
            messages += [m for m in monthly if ledger.news(m.channel, m.period, m.notices)]
        if not messages:
            return
        attachment = self._attachment(entry, result) if opts.attach_workbook else None
        if attachment is not None:
            messages = [_with(m, attachment) for m in messages]
        before = outcome.emails
        send_messages(
            messages, ledger=ledger, mailer=mailer, sender=self.config.smtp_from, outcome=outcome
        )
        if outcome.emails > before:
            result.reports = sorted({f"{m.kind} {m.period}" for m in messages})

    def _attachment(self, entry: WorkbookEntry, result: RunResult) -> compose.Attachment | None:
        """The refreshed workbook file (or the source file when not refreshed)."""
        if entry.source.startswith("gsheet:"):
            return None
        path = Path(result.wrote) if result.wrote else Path(entry.source)
        try:
            return reports.workbook_attachment(path.name, path.read_bytes())
        except OSError:
            return None

    def _record(self, started: dt.datetime, result: RunResult) -> None:
        try:
            with contextlib.closing(open_state(self.config.state_dir)) as db, db:
                db.execute(RUNS_SCHEMA)
                db.execute(
                    "INSERT INTO job_runs (source, started_at, as_of, seconds, ok, error, cases,"
                    " overdue, at_risk, emails, posts, failed, wrote, reports)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        result.source,
                        started.isoformat(timespec="seconds"),
                        result.as_of,
                        round(result.seconds, 3),
                        int(result.ok),
                        result.error,
                        result.cases,
                        result.overdue,
                        result.at_risk,
                        result.emails,
                        result.posts,
                        result.failed,
                        result.wrote,
                        ", ".join(result.reports) or None,
                    ),
                )
        except (SheetflowError, OSError) as exc:  # history is a record, not a reason to fail
            LOG.warning("run history not saved: %s", exc)

    # -- the cycle and the schedule --------------------------------------------------------------

    def cycle(self, as_of: str | None = None) -> list[RunResult]:
        """Every workbook once, one after the other (`--once`)."""
        return [self.run_workbook(entry, as_of) for entry in self.config.workbooks]

    def _scheduled(self, entry: WorkbookEntry, cadence: Cadence) -> None:
        """A schedule job fired: note the workbook as due (several jobs firing together for
        one workbook, e.g. daily and monthly at 09:00, make one run)."""
        if cadence.kind == "monthly" and self.local_now().day != cadence.day:
            return
        if cadence.kind == "interval":
            calendar = self._calendars.get(entry.source)
            moment = pd.Timestamp(self.local_now())
            if calendar is not None and not in_working_hours(calendar, moment):
                LOG.info(i18n.text("job.skipped_hours", "en", source=display_name(entry.source)))
                return
        self._due.setdefault(entry.source, entry)

    def build_scheduler(self) -> schedule.Scheduler:
        """A `schedule.Scheduler` with one job per workbook, plus the weekly / monthly times."""
        scheduler = schedule.Scheduler()
        with self.clocked():
            for entry in self.config.workbooks:
                cadence = self.cadences[entry.source]
                self._every(scheduler, cadence).do(self._scheduled, entry, cadence)
                if entry.notify and self.options.weekly:
                    weekly = parse_every(f"weekly {self.options.weekly}")
                    if weekly is not None and weekly != cadence:
                        self._every(scheduler, weekly).do(self._scheduled, entry, weekly)
                if entry.notify and self.options.monthly:
                    monthly = parse_every(f"monthly {self.options.monthly}")
                    if monthly is not None and monthly != cadence:
                        self._every(scheduler, monthly).do(self._scheduled, entry, monthly)
        return scheduler

    @staticmethod
    def _every(scheduler: schedule.Scheduler, cadence: Cadence) -> schedule.Job:
        if cadence.kind == "interval":
            return scheduler.every(cadence.minutes).minutes
        if cadence.kind == "weekly":
            return getattr(scheduler.every(), _DAY_NAMES[cadence.weekday]).at(cadence.at)
        return scheduler.every().day.at(cadence.at)  # daily; monthly checks the day when run

    def run_pending(self, scheduler: schedule.Scheduler) -> list[RunResult]:
        """Run the workbooks whose times have come, each once, in config order."""
        self._due = {}
        with self.clocked():
            scheduler.run_pending()
        due, self._due = self._due, {}
        return [self.run_workbook(e) for e in self.config.workbooks if e.source in due]

    def idle_seconds(self, scheduler: schedule.Scheduler) -> float:
        with self.clocked():
            idle = scheduler.idle_seconds
        return 60.0 if idle is None else max(0.0, idle)

    @contextlib.contextmanager
    def clocked(self) -> Iterator[None]:
        """While inside, `schedule` reads `self.local_now()` as the current time."""
        real = schedule.datetime
        schedule.datetime = _ClockedDatetimeModule(self.local_now)
        try:
            yield
        finally:
            schedule.datetime = real

    def serve(self, stop: threading.Event, max_wait: float = 60.0) -> None:
        """Run scheduled cycles until `stop` is set (checked between runs)."""
        scheduler = self.build_scheduler()
        while not stop.is_set():
            self.run_pending(scheduler)
            if stop.is_set():
                break
            stop.wait(timeout=min(max(self.idle_seconds(scheduler), 1.0), max_wait))


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class _ClockedDatetimeModule:
    """Stands in for the `datetime` module inside `schedule`: `datetime.now()` is our clock."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        class ClockedDatetime(dt.datetime):
            @classmethod
            def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
                local = now()
                return local if tz is None else local.astimezone(tz)

        self.datetime = ClockedDatetime

    def __getattr__(self, name: str) -> object:
        return getattr(dt, name)


def _with(message: compose.Message, attachment: compose.Attachment) -> compose.Message:
    from dataclasses import replace

    return replace(message, attachments=(attachment,))


def _zone(config: Config) -> dt.tzinfo | None:
    name = config.section("schedule").get("timezone")
    if not name:
        return None  # astimezone(None): the machine's local time
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"--config: [schedule] timezone {name!r} is not a known time zone"
        ) from exc


# ----------------------------------------------------------------------------------------------
# Command line


ARGUMENTS: tuple[Argument, ...] = (
    config_file("the TOML config with [[workbook]] entries", required=True),
    (("--once",), {"action": "store_true", "help": "run every workbook once and exit"}),
    (("--as-of",), {
        "dest": "as_of", "help": "with --once: 'now' as ISO datetime, e.g. 2024-10-09T16:00"
    }),
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    return add_command(
        subparsers, "schedule", run, ARGUMENTS,
        help="run the configured workbooks on their schedule (refresh, notify)",
    )


def _logging() -> None:
    if not LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
        LOG.propagate = False


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if not config.workbooks:
        raise UsageError(i18n.text("job.no_workbooks", "en"))
    if args.as_of is not None and not args.once:
        raise UsageError("--as-of only goes with --once")
    if args.as_of is not None:  # '' too: an empty --as-of is an error, not "now"
        pipeline.parse_as_of(args.as_of)  # a bad value is a usage error before anything runs
    job = Job(config)
    _logging()
    if args.once:
        results = job.cycle(args.as_of)
        return 0 if all(r.ok for r in results) else 2  # a workbook could not run
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:  # noqa: ARG001
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        LOG.info(i18n.text("job.stopping", "en"))
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        LOG.info(i18n.text("job.started", "en", count=len(config.workbooks)))
        job.serve(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
