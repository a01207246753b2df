"""Synthetic complaint workbooks of any size, for the benchmarks (cached in benchmarks/data/)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import openpyxl

DATA = Path(__file__).parent / "data"
NODES = [  # node, seq, role, sla_hours, clock, required
    ("Receive", 1, "Agent", 0.5, "business", "yes"),
    ("Classify", 2, "Agent", 0.5, "business", "yes"),
    ("Assign", 3, "Dispatcher", 2, "business", "yes"),
    ("Resolve", 4, "Engineer", 48, "calendar", "yes"),
    ("Feedback", 5, "Agent", 8, "business", "yes"),
    ("Visit", 6, "Agent", 24, "calendar", "no"),
]
AS_OF = dt.datetime(2024, 12, 31, 16, 0)


def sheets(log_rows: int, seed: int = 7) -> dict[str, list[list[object]]]:
    """A valid workbook whose Log has about `log_rows` rows (whole cases of up to 6 nodes)."""
    rng = np.random.default_rng(seed)
    n_cases = max(1, log_rows // len(NODES))
    opened = np.datetime64("2023-01-02T09:00") + rng.integers(0, 700 * 24 * 60, n_cases).astype(
        "timedelta64[m]"
    )
    opened = np.minimum(opened, np.datetime64(AS_OF) - np.timedelta64(60 * 24 * 20, "m"))
    people = [f"P{i:03d}" for i in range(60)]
    roles = ["Agent", "Dispatcher", "Engineer", "Manager", "Director"]
    departments = ["Sales", "Service", "Logistics"]
    cases = [
        [
            "case_id",
            "opened_at",
            "title",
            "type",
            "priority",
            "amount",
            "department",
            "satisfaction",
        ]
    ]
    log = [["case_id", "node", "assignee", "start", "end", "note"]]
    priority = rng.choice(["normal", "urgent", "critical"], n_cases, p=[0.8, 0.15, 0.05])
    amount = np.round(rng.lognormal(8, 1.5, n_cases), 2)
    dept = rng.choice(departments, n_cases)
    steps = rng.exponential(1.0, (n_cases, len(NODES))) * np.array([0.4, 0.4, 1.5, 30, 6, 20])
    gaps = rng.exponential(0.5, (n_cases, len(NODES)))
    last = len(NODES) - (rng.random(n_cases) < 0.1).astype(int)  # 10% stop before the end
    assignees = rng.choice(people, (n_cases, len(NODES)))
    satisfaction = rng.choice(["very_satisfied", "satisfied", "neutral", "dissatisfied"], n_cases)
    for i in range(n_cases):
        case_id = f"C{i + 1:07d}"
        start = opened[i].astype(dt.datetime)
        cases.append(
            [
                case_id,
                start,
                f"Complaint {i + 1}",
                "delivery",
                str(priority[i]),
                float(amount[i]),
                str(dept[i]),
                str(satisfaction[i]),
            ]
        )
        for j in range(last[i]):
            begin = start + dt.timedelta(hours=float(gaps[i, j]))
            end = begin + dt.timedelta(hours=float(steps[i, j]))
            log.append(
                [
                    case_id,
                    NODES[j][0],
                    str(assignees[i, j]),
                    begin.replace(microsecond=0),
                    end.replace(microsecond=0) if end < AS_OF else None,
                    None,
                ]
            )
            start = end
            if end >= AS_OF:
                break
    return {
        "Process": [["node", "seq", "role", "sla_hours", "clock", "required"]]
        + [list(node) for node in NODES],
        "Cases": cases,
        "Log": log,
        "People": [["name", "role", "email", "manager", "deputy", "department"]]
        + [
            [
                p,
                roles[i % len(roles)],
                f"{p.lower()}@example.com",
                "P000" if i else None,
                people[(i + 1) % len(people)],
                departments[i % 3],
            ]
            for i, p in enumerate(people)
        ],
        "Rules": [
            ["rule", "amount", "priority", "approver_role"],
            ["R1", ">= 50000", "-", "Director"],
            ["R2", "[5000..50000)", "-", "Manager"],
            ["R3", "< 5000", "-", "Agent"],
        ],
        "Calendar": [["date", "kind", "name"]]
        + [[dt.date(2024, 10, d), "holiday", "National Day"] for d in range(1, 8)]
        + [
            [dt.date(2024, 9, 29), "workday", "Make-up"],
            [dt.date(2024, 10, 12), "workday", "Make-up"],
        ],
        "SLA": [
            ["node", "priority", "sla_hours"],
            ["Resolve", "urgent", 24],
            ["Resolve", "critical", 8],
        ],
        "Settings": [["key", "value"], ["case_sla_hours", 96]],
    }


def workbook(log_rows: int) -> Path:
    """Path of a cached synthetic workbook with about `log_rows` Log rows (written if missing)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"log_{log_rows}.xlsx"
    if path.exists():
        return path
    wb = openpyxl.Workbook(write_only=True)
    for title, rows in sheets(log_rows).items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.replace(path)
    return path


if __name__ == "__main__":
    for size in sys.argv[1:] or ["10000"]:
        print(workbook(int(size)))
