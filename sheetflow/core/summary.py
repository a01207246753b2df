"""KPIs and node statistics (SPEC §6), manager views (§10), overdue and at-risk lists (§8)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sheetflow.core import schema, views
from sheetflow.core.calendar import WorkCalendar
from sheetflow.core.timing import build_calendar, keys, per_node
from sheetflow.core.validate import Checked

OVER_LIMIT = ("overdue", "done_late")
OPEN_STATUSES = ("overdue", "at_risk", "on_track")


def hours(value: float | None) -> float | None:
    """Hours as SPEC §8 wants them in JSON: rounded to 2 decimals, None for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 2)


def _ratio(part: float, whole: float) -> float | None:
    return None if not whole else round(float(part) / float(whole), 4)


def node_stats(checked: Checked, timing: pd.DataFrame) -> pd.DataFrame:
    """One row per Process node, in seq order: count, mean/median/p90 of ended rows, overdue..."""
    k = keys(checked)
    duration = timing["duration_h"].to_numpy(dtype=float)
    rows = (k.log_node >= 0) & ~np.isnan(duration)
    node = k.log_node[rows]
    duration = duration[rows]
    ended = checked.log["end"].notna().to_numpy()[rows]
    late = timing["status"].isin(OVER_LIMIT).to_numpy()[rows]
    n = len(k.nodes)
    by_node = pd.Series(duration[ended]).groupby(node[ended])
    stats = pd.DataFrame(
        {
            "node": k.nodes.to_numpy(dtype=object),
            "count": np.bincount(node, minlength=n),
            "mean_h": by_node.mean().reindex(range(n)).to_numpy(),
            "median_h": by_node.median().reindex(range(n)).to_numpy(),
            "p90_h": by_node.quantile(0.9).reindex(range(n)).to_numpy(),
            "sla_h": per_node(checked, "sla_hours").to_numpy(dtype=float),
            "overdue": np.bincount(node[late], minlength=n),
        }
    )
    total = np.bincount(node, weights=duration, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        stats["overdue_rate"] = np.where(
            stats["count"] > 0, stats["overdue"] / stats["count"], np.nan
        )
        stats["time_share"] = total / total.sum() if total.sum() > 0 else np.nan
    seq = per_node(checked, "seq").to_numpy(dtype=float)
    return stats.iloc[np.argsort(seq, kind="stable")].reset_index(drop=True)


def kpis(
    checked: Checked,
    timing: pd.DataFrame,
    state: pd.DataFrame,
    stats: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
) -> dict[str, object]:
    """The `kpis` object of SPEC §6 / §8, JSON-ready; with `as_of`, also the views of §10."""
    settings = checked.settings
    has_id = checked.cases["case_id"].notna().to_numpy()
    every_case, state = state, state[has_id]
    closed = state["case_status"] == "closed"
    elapsed = state.loc[closed, "case_elapsed_h"].dropna()
    on_time = (elapsed <= settings.case_sla_hours + 1e-9).mean() if len(elapsed) else None
    open_rows = timing["status"].isin(OPEN_STATUSES)
    overdue_open = int((timing["status"] == "overdue").sum())
    satisfaction = checked.cases.loc[has_id, "satisfaction"].value_counts()
    shares = stats.dropna(subset=["time_share"])
    shares = shares[shares["time_share"] > 0]
    bottleneck = None if shares.empty else str(shares.loc[shares["time_share"].idxmax(), "node"])
    nodes = {
        str(rec.node): {
            "count": int(rec.count),
            "mean_h": hours(rec.mean_h),
            "median_h": hours(rec.median_h),
            "p90_h": hours(rec.p90_h),
            "sla_h": hours(rec.sla_h),
            "overdue": int(rec.overdue),
            "overdue_rate": None
            if pd.isna(rec.overdue_rate)
            else round(float(rec.overdue_rate), 4),
            "time_share": None if pd.isna(rec.time_share) else round(float(rec.time_share), 4),
        }
        for rec in stats.itertuples(index=False)
    }
    result = {
        "cases_total": int(len(state)),
        "cases_open": int((~closed).sum()),
        "cases_closed": int(closed.sum()),
        "case_elapsed_mean_h": hours(elapsed.mean()) if len(elapsed) else None,
        "case_elapsed_median_h": hours(elapsed.median()) if len(elapsed) else None,
        "on_time_rate": None if on_time is None else round(float(on_time), 4),
        "on_time_target": settings.on_time_target,
        "on_time_target_met": None if on_time is None else bool(on_time >= settings.on_time_target),
        "overdue_open": overdue_open,
        "overdue_rate": _ratio(overdue_open, int(open_rows.sum())),
        "satisfaction": {
            code: int(satisfaction.get(code, 0)) for code in schema.SATISFACTION.codes
        },
        "bottleneck_node": bottleneck,
        "nodes": nodes,
    }
    if as_of is not None:
        result.update(views.manager_views(checked, timing, every_case, as_of))
    return result


OVERDUE_COLUMNS = [
    "case_id",
    "node",
    "assignee",
    "assignee_email",
    "manager",
    "manager_email",
    "start",
    "due",
    "duration_h",
    "sla_h",
    "overdue_h",
]
# After SPEC §8's keys: what a manager needs to act on an item without opening Cases. Lateness
# (overdue rows) and time left (at-risk rows) are working time on the business calendar, as
# total hours and as whole working days plus the hours left over.
WORK_ITEM_EXTRAS = [
    "title",
    "priority",
    "department",
    "late_working_h",
    "late_days",
    "late_hours",
    "left_working_h",
]
WORK_ITEM_COLUMNS = OVERDUE_COLUMNS + WORK_ITEM_EXTRAS


def working_day_hours(cal: WorkCalendar) -> float:
    """Hours of one full working day (the sum of the `work_hours` windows)."""
    return sum(end - start for start, end in cal.windows) / 60.0


def _work_items(
    checked: Checked,
    timing: pd.DataFrame,
    as_of: pd.Timestamp | None,
    status: str,
    cal: WorkCalendar | None,
) -> pd.DataFrame:
    """Open Log rows of one status with people, case details and working-time lateness."""
    rows = (timing["status"] == status).to_numpy()
    log = checked.log.loc[rows, ["case_id", "node", "assignee", "start"]]
    items = pd.concat([log, timing.loc[rows, ["due", "duration_h", "sla_h", "overdue_h"]]], axis=1)
    people = checked.people.dropna(subset=["name"]).drop_duplicates("name").set_index("name")
    items["assignee_email"] = items["assignee"].map(people["email"])
    items["manager"] = items["assignee"].map(people["manager"])
    items["manager_email"] = items["manager"].map(people["email"])
    cases = checked.cases.dropna(subset=["case_id"]).drop_duplicates("case_id").set_index("case_id")
    for column in ("title", "priority", "department"):
        items[column] = items["case_id"].map(cases[column]) if len(cases) else None
    late = np.zeros(len(items))
    left = np.zeros(len(items))
    if len(items) and as_of is not None:
        cal = cal or build_calendar(checked.settings, checked.calendar)
        due = items["due"].to_numpy(dtype="datetime64[ns]")
        now = np.full(len(items), np.datetime64(as_of, "ns"))
        if status == "overdue":
            late = np.nan_to_num(np.maximum(cal.business_hours(due, now), 0.0))
        else:
            left = np.nan_to_num(np.maximum(cal.business_hours(now, due), 0.0))
        day = working_day_hours(cal)
        days = np.floor((late + 1e-9) / day) if day > 0 else np.zeros(len(items))
        items["late_days"] = days.astype(np.int64)
        items["late_hours"] = np.round(np.maximum(late - days * day, 0.0), 2)
    else:
        items["late_days"] = np.zeros(len(items), dtype=np.int64)
        items["late_hours"] = 0.0
    items["late_working_h"] = np.round(late, 2)
    items["left_working_h"] = np.round(left, 2)
    if status == "overdue":
        order, ascending = ["overdue_h", "start"], [False, True]
    else:
        order, ascending = ["left_working_h", "due", "start"], [True, True, True]
    items = items.sort_values(order, ascending=ascending, kind="stable")
    text = ("assignee_email", "manager", "manager_email", "title", "priority", "department")
    items = items.astype({c: object for c in text})
    items = items[WORK_ITEM_COLUMNS]
    return items.where(items.notna(), None)


def overdue_list(
    checked: Checked,
    timing: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    cal: WorkCalendar | None = None,
) -> pd.DataFrame:
    """Open rows over their limit, worst first: SPEC §8's columns, then `WORK_ITEM_EXTRAS`."""
    return _work_items(checked, timing, as_of, "overdue", cal)


def at_risk_list(
    checked: Checked,
    timing: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    cal: WorkCalendar | None = None,
) -> pd.DataFrame:
    """Open rows past their warning point, least working time left first; same columns."""
    return _work_items(checked, timing, as_of, "at_risk", cal)
