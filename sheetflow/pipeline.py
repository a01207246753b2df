"""read -> validate -> compute -> route -> summarise; the doors pass a `Workbook` in."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from sheetflow import terminal
from sheetflow.core import coerce, summary, timing, validate
from sheetflow.core.decision import ROUTE_COLUMNS, Routing, RoutingInput, route  # noqa: F401 (cli)
from sheetflow.core.decision import explain as explain_routing
from sheetflow.core.layout import build_plan
from sheetflow.core.report import Report
from sheetflow.core.settings import DEFAULTS
from sheetflow.core.workbook import Workbook, is_blank
from sheetflow.errors import UsageError

_AS_OF_FORMS = "use ISO form like 2024-05-01T09:30 (a date from 1900 to 2200)"


def parse_as_of(text: str, timezone: str | None = None) -> pd.Timestamp:
    """An ISO datetime (or date) given by the user, as a naive timestamp.

    Read like a date cell: year first, 1900–2200, a UTC offset converted to `timezone`;
    empty text, `today` or a time alone is a usage error (exit 2), not "now".
    """
    shown = str(text)
    if not shown.strip():
        raise UsageError(f"--as-of: empty; {_AS_OF_FORMS}, or leave the option out for now")
    column = coerce.parse_datetimes(pd.Series([shown], dtype=object), timezone=timezone)
    stamp = column.values.iloc[0]
    if pd.isna(stamp):
        why = {
            coerce.OUT_OF_RANGE: "outside 1900–2200",
            coerce.AMBIGUOUS: "day and month could be either way round",
            coerce.RELATIVE: "no date in it",
        }.get(column.reason[0], "not a date")
        raise UsageError(f"--as-of: cannot read {shown!r} ({why}); {_AS_OF_FORMS}")
    return pd.Timestamp(stamp)


def _zone_name(book: Workbook) -> str:
    zone_name = book.setting("timezone")
    zone_name = DEFAULTS["timezone"] if is_blank(zone_name) else str(zone_name).strip()
    try:
        ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULTS["timezone"]
    return zone_name


def resolve_as_of(book: Workbook, text: str | None, now: dt.datetime | None = None) -> pd.Timestamp:
    """`--as-of` if given, else now in the workbook's Settings timezone (naive local time)."""
    zone_name = _zone_name(book)
    if text is not None:
        return parse_as_of(text, zone_name)
    current = now or dt.datetime.now(tz=dt.timezone.utc)
    return pd.Timestamp(current.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)).floor("s")


def _case_routing(cases: pd.DataFrame, routes: pd.DataFrame) -> pd.DataFrame:
    """Cases' routing columns: one value per case, several approvers comma-joined (COLLECT)."""
    columns = ["approver_role", "approver", "delegated_from", "route_rule"]
    out = pd.DataFrame({c: pd.Series(None, index=cases.index, dtype=object) for c in columns})
    if routes.empty:
        return out
    routes = routes.rename(columns={"rule": "route_rule"})
    several = routes["case_row"].duplicated(keep=False).to_numpy()
    single = routes[~several].set_index("case_row")
    for column in columns:
        out.loc[single.index, column] = single[column].to_numpy(dtype=object)
    if several.any():  # countersign: few cases, join their approvers in rule order
        joined = (
            routes[several]
            .groupby("case_row", sort=False)[columns]
            .agg(
                lambda values: ", ".join(str(v) for v in values if isinstance(v, str) and v) or None
            )
        )
        for column in columns:
            out.loc[joined.index, column] = joined[column].to_numpy(dtype=object)
    return out.where(out.notna(), None)


def _timed(
    book: Workbook, as_of: pd.Timestamp
) -> tuple[validate.Checked, pd.DataFrame, pd.DataFrame]:
    """Validate, then time every Log row and every case."""
    terminal.set_language(book.language)
    terminal.step("progress.checking")
    checked = validate.check(book, as_of)
    terminal.step("progress.timing")
    cal = timing.build_calendar(checked.settings, checked.calendar)
    log_timing = timing.log_timing(checked, cal, as_of)
    return checked, log_timing, timing.case_state(checked, log_timing, cal, as_of)


def route_checked(checked: validate.Checked, case_open: pd.Series, as_of: pd.Timestamp) -> Routing:
    """Route the checked workbook's cases (SPEC §4); its findings are not added yet."""
    return route(
        RoutingInput(
            cases=checked.cases,
            people=checked.people,
            rules=checked.rules,
            as_of=as_of,
            hit_policy=checked.settings.hit_policy,
            case_open=case_open,
            language=checked.findings.book.language,
        )
    )


def compute(book: Workbook, as_of: pd.Timestamp) -> Report:
    """Everything SPEC §2-§7 asks of one workbook at one instant, as a `Report`."""
    checked, log_timing, state = _timed(book, as_of)
    terminal.step("progress.routing")
    routing = route_checked(checked, state["case_status"] == "open", as_of)
    routing.report(checked.findings)
    routes = routing.routes
    cases_out = pd.concat([state, _case_routing(checked.cases, routes)], axis=1)
    if not routes.empty:
        by_row = checked.cases.loc[routes["case_row"].to_numpy()]
        routes = routes.assign(
            amount=by_row["amount"].to_numpy(),
            priority=by_row["priority"].to_numpy(),
            age_h=np.round(
                state.loc[routes["case_row"].to_numpy(), "case_elapsed_h"].to_numpy(), 2
            ),
        )
    terminal.step("progress.summarising")
    stats = summary.node_stats(checked, log_timing)
    return Report(
        book=book,
        as_of=as_of,
        findings=checked.findings.sorted(),
        log=log_timing,
        cases=cases_out,
        overdue=summary.overdue_list(checked, log_timing, as_of),
        at_risk=summary.at_risk_list(checked, log_timing, as_of),
        routes=routes,
        kpis=summary.kpis(checked, log_timing, state, stats, as_of),
        node_stats=stats,
        routing=routing,
    )


def explain(book: Workbook, as_of: pd.Timestamp, case_id: str) -> list[str]:
    """The routing of one case, rule by rule, for `route --explain` (read from the run's Report)."""
    routing = compute(book, as_of).routing
    assert routing is not None  # compute always routes
    if case_id.strip() not in set(routing.input.cases["case_id"].dropna()):
        raise UsageError(f"--explain: no case {case_id!r} in the {book.title('Cases')} sheet")
    return explain_routing(routing, case_id)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector runs less often while a workbook is processed.

    A run makes millions of small objects (cells, values, XML pieces) that nearly all live to
    its end; the collector would walk them again and again for nothing (~5 % of a refresh's
    CPU at 100,000 rows). The modules' objects are set aside (`gc.freeze`) and young objects
    are collected every 10,000 allocations instead of 700. Both are undone afterwards.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 10, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def refresh(door, as_of: str | None = None, now: dt.datetime | None = None) -> tuple[Report, str]:  # noqa: ANN001, E501
    """Read, compute and write the outputs back through the door, holding its write lock.

    Returns the report and where the outputs went (for the user).
    """
    exclusive = getattr(door, "exclusive", contextlib.nullcontext)
    with exclusive(), fewer_collections():
        report = run(door, as_of, now)
        target = getattr(door, "out", None) or door.name
        terminal.step("progress.writing", name=os.path.basename(str(target)))
        written = door.write(build_plan(report))
    return report, written


def run(door, as_of: str | None = None, now: dt.datetime | None = None) -> Report:  # noqa: ANN001
    """Read the door's workbook once and compute everything at `as_of` (default: now).

    door: any `sheetflow.io.doors.Door`; now: the clock, injected by the job and the tests.
    """
    terminal.step("progress.reading", name=os.path.basename(str(door.name)))
    book = door.read()
    return compute(book, resolve_as_of(book, as_of, now))
