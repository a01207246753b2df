"""Manager views (SPEC §10): trend by week, workload, department, priority, aging. Whole columns.

Each view is a JSON-ready dict or list computed from the checked inputs, the Log timing and the
case state; `manager_views` gathers them under the keys `refresh --format json` puts in `kpis`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetflow.core import schema
from sheetflow.core.timing import keys
from sheetflow.core.validate import Checked

OPEN_STATUSES = ("overdue", "at_risk", "on_track")
AGING_BUCKETS = ("<24h", "24-72h", "72h-7d", ">7d")
AGING_LABEL_KEYS = (
    "view.aging_lt_24h",
    "view.aging_24_72h",
    "view.aging_72h_7d",
    "view.aging_gt_7d",
)
AGING_EDGES = (24.0, 72.0, 168.0)  # lower bounds of the 2nd..4th buckets, inclusive
VIEW_KEYS = ("at_risk_open", "by_week", "workload", "by_department", "by_priority", "aging")
_EPS = 1e-9  # same tolerance as the on-time KPI of SPEC §6


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def _case_frame(checked: Checked, state: pd.DataFrame) -> pd.DataFrame:
    """One row per Cases row with an id: department, priority, open, on time, overdue rows."""
    k = keys(checked)
    cases = checked.cases
    has_id = cases["case_id"].notna().to_numpy()
    closed = (state["case_status"] == "closed").to_numpy()
    elapsed = state["case_elapsed_h"].to_numpy(dtype=float)
    on_time = closed & (elapsed <= checked.settings.case_sla_hours + _EPS)
    department = cases["department"].astype(object).where(cases["department"].notna(), "")
    frame = pd.DataFrame(
        {
            "pos": k.case_pos,
            "department": department.map(str).to_numpy(dtype=object),
            "priority": cases["priority"].fillna("normal").to_numpy(dtype=object),
            "open": ~closed,
            "closed": closed,
            "on_time": on_time,
            "elapsed": elapsed,
            "opened_at": cases["opened_at"].to_numpy(dtype="datetime64[ns]"),
        },
        index=cases.index,
    )
    return frame[has_id]


def _overdue_per_case(checked: Checked, timing: pd.DataFrame) -> np.ndarray:
    """Open overdue Log rows per case position (`keys(checked).case_ids`)."""
    k = keys(checked)
    late = (timing["status"] == "overdue").to_numpy() & (k.log_case >= 0)
    return np.bincount(k.log_case[late], minlength=len(k.case_ids))


def _group_view(cases: pd.DataFrame, overdue: np.ndarray, by: str) -> dict[str, dict]:
    """{cases, open, overdue, on_time_rate} per value of the column `by`."""
    rows = cases.assign(overdue=np.where(cases["pos"] >= 0, overdue[cases["pos"].clip(0)], 0))
    sums = rows.groupby(by, sort=False)[["open", "closed", "on_time", "overdue"]].sum()
    sizes = rows.groupby(by, sort=False).size()
    return {
        str(value): {
            "cases": int(sizes[value]),
            "open": int(sums.at[value, "open"]),
            "overdue": int(sums.at[value, "overdue"]),
            "on_time_rate": _rate(int(sums.at[value, "on_time"]), int(sums.at[value, "closed"])),
        }
        for value in sizes.index
    }


def by_department(cases: pd.DataFrame, overdue: np.ndarray) -> dict[str, dict]:
    """department -> {cases, open, overdue, on_time_rate}; cases without one under "" (last)."""
    view = _group_view(cases, overdue, "department")
    return {name: view[name] for name in sorted(view, key=lambda n: (n == "", n))}


def by_priority(cases: pd.DataFrame, overdue: np.ndarray) -> dict[str, dict]:
    """priority code -> {cases, open, overdue, on_time_rate}, every code, in schema order."""
    view = _group_view(cases, overdue, "priority")
    empty = {"cases": 0, "open": 0, "overdue": 0, "on_time_rate": None}
    return {code: view.get(code, dict(empty)) for code in schema.PRIORITY.codes}


def aging(cases: pd.DataFrame) -> dict[str, int]:
    """Open cases by case_elapsed_h: <24h, 24-72h, 72h-7d, >7d (lower bounds inclusive)."""
    elapsed = cases.loc[cases["open"], "elapsed"].to_numpy(dtype=float)
    elapsed = elapsed[~np.isnan(elapsed)]
    bucket = np.searchsorted(np.array(AGING_EDGES), elapsed, side="right")
    counts = np.bincount(bucket, minlength=len(AGING_BUCKETS))
    return {name: int(n) for name, n in zip(AGING_BUCKETS, counts)}


def workload(checked: Checked, timing: pd.DataFrame) -> dict[str, dict[str, int]]:
    """assignee -> {open, overdue, at_risk} over open Log rows; most overdue first."""
    status = timing["status"]
    open_rows = status.isin(OPEN_STATUSES).to_numpy()
    assignee = checked.log["assignee"].astype(object)
    frame = pd.DataFrame(
        {
            "assignee": assignee.where(assignee.notna(), "").map(str).to_numpy()[open_rows],
            "open": 1,
            "overdue": (status == "overdue").to_numpy()[open_rows],
            "at_risk": (status == "at_risk").to_numpy()[open_rows],
        }
    )
    sums = frame.groupby("assignee", sort=False)[["open", "overdue", "at_risk"]].sum()
    sums = sums.reset_index().sort_values(
        ["overdue", "at_risk", "open", "assignee"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    return {
        str(rec.assignee): {
            "open": int(rec.open),
            "overdue": int(rec.overdue),
            "at_risk": int(rec.at_risk),
        }
        for rec in sums.itertuples(index=False)
    }


def _closed_at(checked: Checked, cases: pd.DataFrame) -> np.ndarray:
    """The instant each closed case closed (its last `end`), NaT for open ones."""
    k = keys(checked)
    end = checked.log["end"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    ok = (k.log_case >= 0) & (end != np.iinfo(np.int64).min)
    last = np.full(len(k.case_ids), np.iinfo(np.int64).min)
    np.maximum.at(last, k.log_case[ok], end[ok])
    pos = cases["pos"].to_numpy()
    taken = np.where(pos >= 0, last[np.clip(pos, 0, None)] if len(last) else 0, 0)
    closed_at = np.where(cases["closed"].to_numpy(), taken, np.iinfo(np.int64).min)
    return closed_at.view("datetime64[ns]")


def _week_label(monday: pd.Timestamp) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def by_week(checked: Checked, cases: pd.DataFrame, as_of: pd.Timestamp) -> list[dict]:
    """One entry per ISO week from the first case opened to as_of: opened, closed, on-time rate."""
    opened = pd.Series(cases["opened_at"].to_numpy(dtype="datetime64[ns]"))
    if opened.notna().sum() == 0:
        return []
    first = opened.min()
    if first > as_of:
        return []

    def monday(values: pd.Series) -> pd.Series:
        day = values.dt.normalize()
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")

    weeks = pd.date_range(monday(pd.Series([first]))[0], as_of, freq="7D")
    closed_at = pd.Series(_closed_at(checked, cases))
    on_time = cases["on_time"].to_numpy()
    opened_n = monday(opened).value_counts()
    closed_week = monday(closed_at)
    closed_n = closed_week.value_counts()
    on_time_n = closed_week[on_time].value_counts()
    return [
        {
            "week": _week_label(week),
            "opened": int(opened_n.get(week, 0)),
            "closed": int(closed_n.get(week, 0)),
            "on_time_rate": _rate(int(on_time_n.get(week, 0)), int(closed_n.get(week, 0))),
        }
        for week in weeks
    ]


def manager_views(
    checked: Checked, timing: pd.DataFrame, state: pd.DataFrame, as_of: pd.Timestamp
) -> dict[str, object]:
    """The six views of SPEC §10, JSON-ready, keyed as in `kpis`."""
    cases = _case_frame(checked, state)
    overdue = _overdue_per_case(checked, timing)
    return {
        "at_risk_open": int((timing["status"] == "at_risk").sum()),
        "by_week": by_week(checked, cases, as_of),
        "workload": workload(checked, timing),
        "by_department": by_department(cases, overdue),
        "by_priority": by_priority(cases, overdue),
        "aging": aging(cases),
    }
