"""Manager views (SPEC §10) and the richer overdue / at-risk lists, checked against numbers
worked out by hand for a small workbook written to a real file and read back by the CLI."""

from __future__ import annotations

import json
from datetime import datetime

from tests.cli.test_cli import sheetflow
from tests.helpers import write_book

AS_OF = "2024-10-16T12:00"  # a Wednesday; ISO week 2024-W42 starts Monday 14 October


def views_sheets() -> dict[str, list[list[object]]]:
    """One node `Do` (8 h, calendar clock, warn 0.8 -> at risk from 6.4 h); cases of 48 h.

    K1-K3 are closed, K4-K8 open with case_elapsed_h at the aging boundaries 24, 72, 168 and
    just below two of them (23, 167).
    """

    def d(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
        return datetime(2024, month, day, hour, minute)

    cases = ["case_id", "opened_at", "title", "priority", "department"]
    return {
        "Process": [
            ["node", "seq", "role", "sla_hours", "clock"],
            ["Do", 1, "Agent", 8, "calendar"],
        ],
        "Cases": [
            cases,
            ["K1", d(30, 9, month=9), "Dent", "normal", "Sales"],  # W40, closed W40 after 24 h
            ["K2", d(2, 10), "Scratch", "urgent", "Sales"],  # W40, closed W41 after 144 h
            ["K3", d(9, 12), "Refund", "critical", None],  # W41, closed W41 after 24 h
            ["K4", d(15, 12), "Noise", "normal", "Service"],  # W42, open 24 h
            ["K5", d(13, 12), "Leak", "urgent", "Service"],  # Sunday: W41, open 72 h
            ["K6", d(9, 12), "Parcel lost", "normal", "Sales"],  # W41, open 168 h
            ["K7", d(15, 13), "Invoice", "critical", None],  # W42, open 23 h, no Log row
            ["K8", d(9, 13), "Wrong size", "normal", "Service"],  # W41, open 167 h
        ],
        "Log": [
            ["case_id", "node", "assignee", "start", "end"],
            ["K1", "Do", "Ann", d(30, 9, month=9), d(1, 9)],
            ["K2", "Do", "Ann", d(2, 10), d(8, 10)],
            ["K3", "Do", "Bob", d(9, 12), d(10, 12)],
            ["K4", "Do", "Cai", d(16, 4), None],  # 8 h of 8: at the limit -> at_risk
            ["K5", "Do", "Cai", d(16, 10), None],  # 2 h -> on_track
            ["K6", "Do", "Ann", d(14, 12), None],  # 48 h of 8 -> overdue by 40 h
            ["K8", "Do", "Bob", d(16, 5, 30), None],  # 6.5 h >= 6.4 -> at_risk
        ],
        "People": [
            ["name", "role", "email", "manager"],
            ["Ann", "Agent", "ann@example.com", "Dora"],
            ["Bob", "Agent", "bob@example.com", "Dora"],
            ["Cai", "Agent", "cai@example.com", "Eve"],
            ["Dora", "Manager", "dora@example.com", None],
            ["Eve", "Manager", "eve@example.com", None],
        ],
        "Settings": [["key", "value"], ["case_sla_hours", 48]],
    }


def test_refresh_json_has_the_manager_views_worked_out_by_hand(tmp_path):
    path = write_book(tmp_path / "views.xlsx", views_sheets())
    result = sheetflow(
        "refresh",
        str(path),
        "--as-of",
        AS_OF,
        "--out",
        str(tmp_path / "out.xlsx"),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    kpis = json.loads(result.stdout)["kpis"]
    assert list(kpis)[-6:] == [
        "at_risk_open",
        "by_week",
        "workload",
        "by_department",
        "by_priority",
        "aging",
    ]
    assert kpis["at_risk_open"] == 2  # K4, K8
    assert kpis["by_week"] == [
        # opened K1, K2; closed K1 (on time)
        {"week": "2024-W40", "opened": 2, "closed": 1, "on_time_rate": 1.0},
        # opened K3, K5, K6, K8; closed K2 (144 h: late), K3 (24 h)
        {"week": "2024-W41", "opened": 4, "closed": 2, "on_time_rate": 0.5},
        {"week": "2024-W42", "opened": 2, "closed": 0, "on_time_rate": None},
    ]
    assert kpis["workload"] == {
        "Ann": {"open": 1, "overdue": 1, "at_risk": 0},
        "Bob": {"open": 1, "overdue": 0, "at_risk": 1},
        "Cai": {"open": 2, "overdue": 0, "at_risk": 1},
    }
    # most overdue first, then most at risk, then most open
    assert list(kpis["workload"]) == ["Ann", "Cai", "Bob"]
    assert kpis["by_department"] == {
        "Sales": {"cases": 3, "open": 1, "overdue": 1, "on_time_rate": 0.5},
        "Service": {"cases": 3, "open": 3, "overdue": 0, "on_time_rate": None},
        "": {"cases": 2, "open": 1, "overdue": 0, "on_time_rate": 1.0},
    }
    assert kpis["by_priority"] == {
        "normal": {"cases": 4, "open": 3, "overdue": 1, "on_time_rate": 1.0},
        "urgent": {"cases": 2, "open": 1, "overdue": 0, "on_time_rate": 0.0},
        "critical": {"cases": 2, "open": 1, "overdue": 0, "on_time_rate": 1.0},
    }
    # open: K7 23 h | K4 24 h | K5 72 h, K8 167 h | K6 168 h
    assert kpis["aging"] == {"<24h": 1, "24-72h": 1, "72h-7d": 2, ">7d": 1}


def test_aging_lists_every_bucket_even_when_nothing_is_open(tmp_path):
    sheets = views_sheets()
    sheets["Cases"] = sheets["Cases"][:4]
    sheets["Log"] = sheets["Log"][:4]
    path = write_book(tmp_path / "closed.xlsx", sheets)
    result = sheetflow(
        "refresh",
        str(path),
        "--as-of",
        AS_OF,
        "--out",
        str(tmp_path / "out.xlsx"),
        "--format",
        "json",
    )
    kpis = json.loads(result.stdout)["kpis"]
    assert kpis["aging"] == {"<24h": 0, "24-72h": 0, "72h-7d": 0, ">7d": 0}
    assert kpis["workload"] == {} and kpis["at_risk_open"] == 0
    assert kpis["by_priority"]["urgent"] == {
        "cases": 1,
        "open": 0,
        "overdue": 0,
        "on_time_rate": 0.0,
    }


def test_overdue_json_keeps_spec_keys_first_then_case_details_and_working_lateness(tmp_path):
    path = write_book(tmp_path / "views.xlsx", views_sheets())
    result = sheetflow("overdue", str(path), "--as-of", AS_OF, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    spec_keys = [
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
    (item,) = data["items"]
    assert list(item)[: len(spec_keys)] == spec_keys
    # K6 due Mon 14 Oct 20:00; working time to Wed 12:00 = Tue 8 h + Wed 09-12 3 h = 11 h,
    # one working day (8 h) and 3 h.
    assert item == {
        "case_id": "K6",
        "node": "Do",
        "assignee": "Ann",
        "assignee_email": "ann@example.com",
        "manager": "Dora",
        "manager_email": "dora@example.com",
        "start": "2024-10-14T12:00:00",
        "due": "2024-10-14T20:00:00",
        "duration_h": 48.0,
        "sla_h": 8.0,
        "overdue_h": 40.0,
        "title": "Parcel lost",
        "priority": "normal",
        "department": "Sales",
        "late_working_h": 11.0,
        "late_days": 1,
        "late_hours": 3.0,
        "left_working_h": 0.0,
    }
    # at risk: K4 due now (0 h left), K8 due 13:30 -> 13:00-13:30 after lunch = 0.5 h left
    assert [
        (r["case_id"], r["assignee"], r["manager"], r["left_working_h"]) for r in data["at_risk"]
    ] == [("K4", "Cai", "Eve", 0.0), ("K8", "Bob", "Dora", 0.5)]
