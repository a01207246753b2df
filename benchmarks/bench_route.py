"""Routing speed: 100,000 cases against a 50-rule decision table with role lookup and deputies.

Run: .venv/bin/python benchmarks/bench_route.py [n_cases]. Prints seconds; target < 2 s.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from sheetflow.core.decision import RoutingInput, build_decision_table, match_matrix, route
from sheetflow.core.findings import Findings
from sheetflow.core.workbook import build_workbook

TYPES = ["投诉", "咨询", "采购", "合同", "退款", "维修"]
DEPARTMENTS = ["Sales", "Ops", "Finance", "HR", "IT"]
ROLES = ["manager", "director", "reviewer", "general manager"]
PRIORITY_TESTS = ["-", "紧急, 特急", "not(普通)", "normal", "-"]
AS_OF = pd.Timestamp("2024-06-15 10:00")


def rules_rows(rng: np.random.Generator) -> list[list[object]]:
    """49 specific rules (amount band, type list, department list, priority) and a catch-all."""
    rows: list[list[object]] = [
        ["rule", "type", "department", "amount", "priority", "approver_role", "approver"]
    ]
    bands = ["< 1000", "[1000..5000)", "[5000..20000)", "[20,000..50,000]", "> 50000"]
    for i in range(49):
        types = rng.choice(TYPES, size=2, replace=False)
        departments = rng.choice(DEPARTMENTS, size=int(rng.integers(1, 4)), replace=False)
        fixed = "Person 3" if i % 10 == 9 else None
        rows.append(
            [
                f"R{i + 1}",
                ", ".join(types) if i % 7 else f'not("{types[0]}")',
                "，".join(departments),
                bands[i % len(bands)],
                PRIORITY_TESTS[i % len(PRIORITY_TESTS)],
                ROLES[i % len(ROLES)],
                fixed,
            ]
        )
    rows.append(["R50", "-", "-", "-", "-", "manager", None])
    return rows


def people_frame() -> pd.DataFrame:
    """Three holders of each role per department plus department-less general managers."""
    records = []
    n = 0
    for department in DEPARTMENTS:
        for role in ROLES[:3]:
            for _ in range(3):
                records.append({"name": f"Person {n}", "role": role, "department": department})
                n += 1
    for _ in range(3):
        records.append({"name": f"Person {n}", "role": "general manager", "department": None})
        n += 1
    frame = pd.DataFrame(records)
    frame["email"] = None
    frame["manager"] = None
    frame["deputy"] = [f"Person {(i + 1) % n}" for i in range(n)]
    away = np.zeros(n, dtype=bool)
    away[::7] = True  # some people on leave, their deputies take over
    frame["away_from"] = pd.to_datetime(np.where(away, "2024-06-01", None))
    frame["away_to"] = pd.to_datetime(np.where(away, "2024-06-30", None))
    frame.index = pd.RangeIndex(2, 2 + n, name="row")
    return frame


def cases_frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "case_id": [f"C{i:06d}" for i in range(n)],
            "opened_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 150 * 24 * 60, n), unit="min"),
            "title": None,
            "type": rng.choice(TYPES, n).astype(object),
            "priority": rng.choice(["normal", "urgent", "critical"], n, p=[0.7, 0.2, 0.1]).astype(
                object
            ),
            "amount": np.round(rng.lognormal(8.5, 1.5, n), 2),
            "department": rng.choice(DEPARTMENTS + [None], n).astype(object),
            "satisfaction": None,
        }
    )
    frame.index = pd.RangeIndex(2, 2 + n, name="row")
    return frame


def main(n_cases: int = 100_000) -> None:
    rng = np.random.default_rng(7)
    book = build_workbook(
        {
            "Process": [["node", "seq", "role", "sla_hours"], ["a", 1, "r", 8]],
            "Cases": [["case_id", "opened_at"]],
            "Rules": rules_rows(rng),
            "People": [["name", "role"]],
        }
    )
    rules = book.table("Rules")
    assert rules is not None
    cases = cases_frame(n_cases, rng)
    people = people_frame()
    case_open = pd.Series(rng.random(n_cases) < 0.6, index=cases.index)

    start = time.perf_counter()
    table = build_decision_table(rules, cases)
    parse_s = time.perf_counter() - start

    start = time.perf_counter()
    matches = match_matrix(table, cases)
    match_s = time.perf_counter() - start

    timings = {}
    for policy in ("FIRST", "COLLECT", "UNIQUE"):
        findings = Findings(book)
        start = time.perf_counter()
        routing = route(RoutingInput(cases, people, rules, AS_OF, policy, case_open))
        routing.report(findings)
        routes = routing.routes
        timings[policy] = (time.perf_counter() - start, len(routes), len(findings.items))

    print(f"{n_cases} cases x {len(table.rules)} rules, {len(people)} people")
    print(f"parse      {parse_s:8.3f} s")
    print(f"match      {match_s:8.3f} s  ({int(matches.sum())} rule hits)")
    for policy, (seconds, n_routes, n_findings) in timings.items():
        print(f"route {policy:<8} {seconds:6.3f} s  ({n_routes} routes, {n_findings} findings)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
