"""KPIs and node statistics (SPEC §6), and the overdue list (SPEC §8), from computed frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sheetflow.core import schema
from sheetflow.core.timing import keys, per_node
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
    checked: Checked, timing: pd.DataFrame, state: pd.DataFrame, stats: pd.DataFrame
) -> dict[str, object]:
    """The `kpis` object of SPEC §6 / §8, JSON-ready."""
    settings = checked.settings
    has_id = checked.cases["case_id"].notna().to_numpy()
    state = state[has_id]
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
    return {
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


def overdue_list(checked: Checked, timing: pd.DataFrame) -> pd.DataFrame:
    """Open rows over their limit, worst first, with assignee and manager and their emails."""
    late = timing["status"] == "overdue"
    log = checked.log.loc[late, ["case_id", "node", "assignee", "start"]]
    items = pd.concat([log, timing.loc[late, ["due", "duration_h", "sla_h", "overdue_h"]]], axis=1)
    people = checked.people.dropna(subset=["name"]).drop_duplicates("name").set_index("name")
    items["assignee_email"] = items["assignee"].map(people["email"])
    items["manager"] = items["assignee"].map(people["manager"])
    items["manager_email"] = items["manager"].map(people["email"])
    items = items.sort_values(["overdue_h", "start"], ascending=[False, True], kind="stable")
    items = items.astype({c: object for c in ("assignee_email", "manager", "manager_email")})
    return items[OVERDUE_COLUMNS].where(items[OVERDUE_COLUMNS].notna(), None)
