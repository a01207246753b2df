"""Timing (SPEC §2-3): per Log row duration, limit, due, status; per case state. Whole columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetflow.core.calendar import (
    WorkCalendar,
    add_calendar_hours,
    calendar_hours,
)
from sheetflow.core.settings import Settings
from sheetflow.core.validate import Checked

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
    due = add_calendar_hours(start.to_numpy(), hours)
    if business.any():
        due = due.copy()
        due[business] = cal.add_business_hours(start.to_numpy()[business], hours[business])
    return due


def limits(checked: Checked) -> pd.DataFrame:
    """Per Log row: the node's limit (priority override, plus approved extensions), clock, warn."""
    log = checked.log
    process = checked.process.dropna(subset=["node"]).drop_duplicates("node")
    keyed = pd.DataFrame(
        {"case_id": log["case_id"].to_numpy(), "node": log["node"].to_numpy()},
        index=log.index,
    )
    priority = checked.cases.dropna(subset=["case_id"]).drop_duplicates("case_id")
    keyed = keyed.merge(
        priority[["case_id", "priority"]], on="case_id", how="left"
    ).set_axis(log.index)
    keyed["priority"] = keyed["priority"].fillna("normal")
    base = process.set_index("node")
    keyed["sla_h"] = keyed["node"].map(base["sla_hours"]).astype(float)
    keyed["clock"] = keyed["node"].map(base["clock"]).astype(object).fillna("business")
    keyed["warn"] = keyed["node"].map(base["warn_ratio"]).astype(float)
    keyed["warn"] = keyed["warn"].fillna(checked.settings.warn_ratio)

    sla = checked.sla.dropna(subset=["node", "priority", "sla_hours"])
    sla = sla[sla["sla_hours"] > 0].drop_duplicates(["node", "priority"], keep="first")
    if not sla.empty:
        override = keyed.merge(
            sla[["node", "priority", "sla_hours"]], on=["node", "priority"], how="left"
        )["sla_hours"].to_numpy()
        keyed["sla_h"] = np.where(np.isnan(override), keyed["sla_h"], override)

    exc = checked.exceptions.dropna(subset=["case_id", "node", "extend_hours"])
    approved_by = exc["approved_by"].notna() if "approved_by" in exc else False
    counts = (exc["status"] == "approved") | (exc["status"].isna() & approved_by)
    exc = exc[counts.to_numpy(dtype=bool)]
    if not exc.empty:
        extra = exc.groupby(["case_id", "node"])["extend_hours"].sum().rename("extend")
        added = keyed.merge(extra, left_on=["case_id", "node"], right_index=True, how="left")
        keyed["sla_h"] = keyed["sla_h"] + added["extend"].fillna(0.0).to_numpy()
    return keyed


def log_timing(checked: Checked, cal: WorkCalendar, as_of: pd.Timestamp) -> pd.DataFrame:
    """duration_h, sla_h, due, status, overdue_h for every Log row (index = Excel row)."""
    log = checked.log
    keyed = limits(checked)
    start = log["start"]
    ended = log["end"].notna().to_numpy()
    stop = log["end"].where(log["end"].notna(), as_of)
    business = (keyed["clock"] == "business").to_numpy()
    duration = clock_hours(cal, start, stop, business)
    duration = np.where(ended, duration, np.maximum(duration, 0.0))  # not started yet: 0
    duration[ended & (duration < 0)] = np.nan  # end before start: reported, not timed
    duration = np.round(duration, 9)
    sla_h = keyed["sla_h"].to_numpy(dtype=float)
    due = clock_due(cal, start, np.where(np.isnan(sla_h), np.nan, sla_h), business)
    over = duration - sla_h
    late = over > _EPS
    warn = duration >= keyed["warn"].to_numpy() * sla_h - _EPS
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
    process = checked.process.dropna(subset=["node"]).drop_duplicates("node")
    required = process.loc[process["required"].astype(bool), "node"]
    has_start = log["start"].notna()
    ended_rows = log[log["end"].notna() & has_start]
    done_required = (
        ended_rows.loc[ended_rows["node"].isin(required), ["case_id", "node"]]
        .drop_duplicates()
        .groupby("case_id")
        .size()
    )
    logged = log.dropna(subset=["case_id"]).groupby("case_id").size()
    open_rows = log[log["end"].isna() & has_start & log["case_id"].notna() & log["node"].notna()]
    if len(required):
        closed = cases["case_id"].map(done_required).fillna(0).to_numpy() >= len(required)
    else:  # no required node: a case is closed once it has rows and none is open
        open_ids = set(open_rows["case_id"])
        closed = cases["case_id"].map(logged).fillna(0).to_numpy() > 0
        closed &= ~cases["case_id"].isin(open_ids).to_numpy()

    order = process.set_index("node")["seq"]
    current = (
        open_rows.assign(_seq=open_rows["node"].map(order))
        .sort_values(["_seq", "start"], kind="stable")
        .drop_duplicates(["case_id", "node"])
        .groupby("case_id", sort=False)["node"]
        .agg(", ".join)
    )
    last_end = log.dropna(subset=["case_id"]).groupby("case_id")["end"].max()
    case_end = pd.Series(
        last_end.reindex(cases["case_id"].to_numpy()).to_numpy(dtype="datetime64[ns]"),
        index=cases.index,
    )
    stop = case_end.where(pd.Series(closed, index=cases.index), as_of).astype("datetime64[ns]")
    business = np.full(len(cases), checked.settings.case_clock == "business")
    elapsed = clock_hours(cal, cases["opened_at"], stop, business)
    elapsed = np.round(np.where(closed, elapsed, np.maximum(elapsed, 0.0)), 9)
    return pd.DataFrame(
        {
            "case_status": np.where(closed, "closed", "open").astype(object),
            "current_node": _none_for_missing(cases["case_id"].map(current)),
            "case_elapsed_h": elapsed,
        },
        index=cases.index,
    )
