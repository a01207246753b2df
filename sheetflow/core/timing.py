"""Timing (SPEC §2-3): per Log row duration, limit, due, status; per case state. Whole columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetflow.core.calendar import (
    WorkCalendar,
    add_calendar_hours,
    calendar_hours,
)
from sheetflow.core.schema import MAX_HOURS, PRIORITY
from sheetflow.core.settings import Settings
from sheetflow.core.validate import Checked, Keys

_EPS = 1e-9  # float noise in business-hour sums must not flip a status


def build_calendar(settings: Settings, calendar_frame: pd.DataFrame) -> WorkCalendar:
    """The working calendar from Settings and the Calendar sheet's holidays / make-up days."""
    days = calendar_frame.dropna(subset=["date", "kind"])
    dates = days["date"].dt.date
    return WorkCalendar(
        windows=settings.work_hours,
        weekend=settings.weekend,
        holidays=frozenset(dates[days["kind"] == "holiday"]),
        workdays=frozenset(dates[days["kind"] == "workday"]),
    )


def clock_hours(
    cal: WorkCalendar, start: pd.Series, end: pd.Series, business: np.ndarray
) -> np.ndarray:
    """Hours from start to end on each row's clock (business where `business`, else calendar)."""
    hours = calendar_hours(start.to_numpy(), end.to_numpy())
    if business.any():
        hours = hours.copy()
        hours[business] = cal.business_hours(start.to_numpy()[business], end.to_numpy()[business])
    return hours


def clock_due(
    cal: WorkCalendar, start: pd.Series, hours: np.ndarray, business: np.ndarray
) -> np.ndarray:
    """When each row's clock reaches `hours`; NaT where a limit is missing or out of range."""
    begin = start.to_numpy(dtype="datetime64[ns]")
    due = np.full(len(begin), np.datetime64("NaT"), dtype="datetime64[ns]")
    # validation bounds limits; this keeps a due time inside what datetime64 can hold
    ok = (
        np.isfinite(hours)
        & (hours >= 0)
        & (hours <= MAX_HOURS * 2)
        & ~np.isnat(begin)
        & (begin < np.datetime64("2200-01-01"))
    )
    calendar = ok & ~business
    if calendar.any():
        due[calendar] = add_calendar_hours(begin[calendar], hours[calendar])
    working = ok & business
    if working.any():
        due[working] = cal.add_business_hours(begin[working], hours[working])
    return due


def keys(checked: Checked) -> Keys:
    """The integer keys of a checked workbook (computed once per run, then reused)."""
    return checked.keys


def per_node(checked: Checked, column: str) -> pd.Series:
    """A Process column for each node of `keys(checked).nodes` (first row of a repeated node)."""
    process = checked.process.dropna(subset=["node"]).drop_duplicates("node")
    return process.set_index("node")[column].reindex(keys(checked).nodes)


def _take(table: np.ndarray, index: np.ndarray, missing: object) -> np.ndarray:
    """table[index] where index >= 0, else `missing`."""
    safe = np.where(index >= 0, index, 0)
    taken = table[safe] if len(table) else np.full(len(index), missing, dtype=table.dtype)
    return np.where(index >= 0, taken, missing)


def limits(checked: Checked) -> pd.DataFrame:
    """Per Log row: the node's limit (priority override, plus approved extensions), clock, warn."""
    k = keys(checked)
    n_nodes = len(k.nodes)
    priorities = list(PRIORITY.codes)
    first = checked.cases.iloc[np.unique(k.case_pos[k.case_pos >= 0], return_index=True)[1]]
    case_priority = (
        first["priority"].map({code: i for i, code in enumerate(priorities)}).fillna(0)
    ).to_numpy(dtype=np.int64)
    row_priority = _take(case_priority, k.log_case, 0).astype(np.int64)

    sla_h = _take(per_node(checked, "sla_hours").to_numpy(dtype=float), k.log_node, np.nan)
    clock = per_node(checked, "clock").fillna("business").to_numpy(dtype=object)
    business = _take((clock == "business"), k.log_node, True).astype(bool)
    warn = _take(per_node(checked, "warn_ratio").to_numpy(dtype=float), k.log_node, np.nan)
    warn = np.where(np.isnan(warn), checked.settings.warn_ratio, warn)

    sla = checked.sla.dropna(subset=["node", "priority", "sla_hours"])
    sla = sla[sla["sla_hours"] > 0].drop_duplicates(["node", "priority"], keep="first")
    sla_node = k.nodes.get_indexer(sla["node"].astype(object))
    if (sla_node >= 0).any():
        table = np.full((n_nodes, len(priorities)), np.nan)
        sla_priority = sla["priority"].map({c: i for i, c in enumerate(priorities)})
        ok = sla_node >= 0
        table[sla_node[ok], sla_priority.to_numpy()[ok].astype(int)] = sla["sla_hours"].to_numpy()[
            ok
        ]
        safe_node = np.where(k.log_node >= 0, k.log_node, 0)
        override = np.where(k.log_node >= 0, table[safe_node, row_priority], np.nan)
        sla_h = np.where(np.isnan(override), sla_h, override)

    exc = checked.exceptions.dropna(subset=["case_id", "node", "extend_hours"])
    approved_by = exc["approved_by"].notna() if "approved_by" in exc else False
    counts = (exc["status"] == "approved") | (exc["status"].isna() & approved_by)
    exc = exc[counts.to_numpy(dtype=bool)]
    if not exc.empty:
        exc_case = k.case_ids.get_indexer(exc["case_id"].astype(object))
        exc_node = k.nodes.get_indexer(exc["node"].astype(object))
        ok = (exc_case >= 0) & (exc_node >= 0)
        extra = (
            pd.Series(exc["extend_hours"].to_numpy()[ok])
            .groupby(exc_case[ok] * n_nodes + exc_node[ok])
            .sum()
        )
        row_key = np.where(
            (k.log_case >= 0) & (k.log_node >= 0), k.log_case * n_nodes + k.log_node, -1
        )
        sla_h = sla_h + extra.reindex(row_key).fillna(0.0).to_numpy()
    return pd.DataFrame(
        {"sla_h": sla_h, "business": business, "warn": warn}, index=checked.log.index
    )


def log_timing(checked: Checked, cal: WorkCalendar, as_of: pd.Timestamp) -> pd.DataFrame:
    """duration_h, sla_h, due, status, overdue_h for every Log row (index = Excel row)."""
    log = checked.log
    keyed = limits(checked)
    start = log["start"]
    ended = log["end"].notna().to_numpy()
    stop = log["end"].where(log["end"].notna(), as_of)
    business = keyed["business"].to_numpy()
    duration = clock_hours(cal, start, stop, business)
    duration = np.where(ended, duration, np.maximum(duration, 0.0))  # not started yet: 0
    duration[ended & (duration < 0)] = np.nan  # end before start: reported, not timed
    duration = np.round(duration, 9)
    sla_h = keyed["sla_h"].to_numpy(dtype=float)
    due = clock_due(cal, start, np.where(np.isnan(sla_h), np.nan, sla_h), business)
    over = duration - sla_h
    late = over > _EPS
    warn = duration >= keyed["warn"].to_numpy() * sla_h - _EPS
    # an end or start that could not be read (#REF!, a typo) is not "still in progress"
    unreadable = checked.unreadable_mask("Log", "end", len(log)) | checked.unreadable_mask(
        "Log", "start", len(log)
    )
    duration[unreadable] = np.nan
    known = ~np.isnan(duration) & ~np.isnan(sla_h)
    status = np.select(
        [~known, ended & ~late, ended & late, late, warn],
        [None, "done", "done_late", "overdue", "at_risk"],
        default="on_track",
    ).astype(object)
    status[~known] = None
    return pd.DataFrame(
        {
            "duration_h": duration,
            "sla_h": sla_h,
            "due": pd.to_datetime(due),
            "status": status,
            "overdue_h": np.where(known, np.maximum(over, 0.0), np.nan),
        },
        index=log.index,
    )


def _none_for_missing(series: pd.Series) -> pd.Series:
    series = series.astype(object)
    return series.where(series.notna(), None)


def case_state(
    checked: Checked, timing: pd.DataFrame, cal: WorkCalendar, as_of: pd.Timestamp
) -> pd.DataFrame:
    """case_status, current_node, case_elapsed_h for every Cases row (index = Excel row)."""
    cases = checked.cases
    log = checked.log
    k = keys(checked)
    n_cases, n_nodes = len(k.case_ids), max(len(k.nodes), 1)
    required = per_node(checked, "required").fillna(True).to_numpy(dtype=bool)
    known = (k.log_case >= 0) & (k.log_node >= 0)
    started = log["start"].notna().to_numpy()
    ended = log["end"].notna().to_numpy() & started & known
    is_open = ~log["end"].notna().to_numpy() & started & known
    is_open &= ~checked.unreadable_mask("Log", "end", len(log))  # unknown end: not open either

    if required.any():
        done = ended & _take(required, k.log_node, False).astype(bool)
        pairs = np.unique(k.log_case[done] * n_nodes + k.log_node[done])
        done_count = np.bincount(pairs // n_nodes, minlength=n_cases)
        closed_case = done_count >= required.sum()
    else:  # no required node: a case is closed once it has rows and none is open
        has_rows = np.bincount(k.log_case[known], minlength=n_cases) > 0
        closed_case = has_rows & ~(np.bincount(k.log_case[is_open], minlength=n_cases) > 0)
    closed = _take(closed_case, k.case_pos, False).astype(bool)

    end_ns = log["end"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    with_end = ended
    last_end = np.full(n_cases, np.iinfo(np.int64).min)
    np.maximum.at(last_end, k.log_case[with_end], end_ns[with_end])
    case_end = _take(last_end, k.case_pos, np.iinfo(np.int64).min).view("datetime64[ns]")
    stop = np.where(closed, case_end, np.datetime64(as_of, "ns"))
    business = np.full(len(cases), checked.settings.case_clock == "business")
    elapsed = clock_hours(cal, cases["opened_at"], pd.Series(stop, index=cases.index), business)
    elapsed = np.round(np.where(closed, elapsed, np.maximum(elapsed, 0.0)), 9)

    seq = per_node(checked, "seq").to_numpy(dtype=float)
    running = pd.DataFrame(
        {
            "case": k.log_case[is_open],
            "seq": seq[k.log_node[is_open]],
            "start": log["start"].to_numpy()[is_open],
            "node": log["node"].to_numpy(dtype=object)[is_open],
        }
    )
    current = (
        running.sort_values(["seq", "start"], kind="stable")
        .drop_duplicates(["case", "node"])
        .groupby("case", sort=False)["node"]
        .agg(", ".join)
    )
    return pd.DataFrame(
        {
            "case_status": np.where(closed, "closed", "open").astype(object),
            "current_node": _none_for_missing(current.reindex(k.case_pos).set_axis(cases.index)),
            "case_elapsed_h": elapsed,
        },
        index=cases.index,
    )
