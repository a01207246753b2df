"""Timing, case state and KPIs of the conftest workbook, every number worked out by hand.

Business hours 09:00-12:00, 13:00-18:00, Sat/Sun off, National Day 2024-10-01..07 off,
as_of = Wednesday 2024-10-09 16:00.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from sheetflow.io.xlsx import read_workbook
from sheetflow.pipeline import compute
from tests.helpers import AS_OF

AS_OF_TS = pd.Timestamp(AS_OF)


@pytest.fixture
def report(book_path):
    return compute(read_workbook(book_path()), AS_OF_TS)


def row(report, excel_row: int) -> dict:
    return report.log.loc[excel_row].to_dict()


def test_done_within_limit(report):
    # C1 Receive 09:00-09:30 on Mon 30 Sep: 0.5 h of 1 h.
    r = row(report, 2)
    assert (r["duration_h"], r["sla_h"], r["status"], r["overdue_h"]) == (0.5, 1.0, "done", 0.0)
    assert r["due"] == pd.Timestamp("2024-09-30 10:00")


def test_exception_extends_limit_across_national_day(report):
    # C1 Resolve Mon 30 Sep 10:00 -> Tue 8 Oct 12:00: 7 h + holidays 0 + 3 h = 10 h;
    # limit 16 h + approved exception 8 h = 24 h; due: 7 h on 30 Sep, 8 h on 8 Oct, 8 h on
    # 9 Oct, 1 h on 10 Oct -> Thu 10 Oct 10:00.
    r = row(report, 4)
    assert r["duration_h"] == pytest.approx(10.0)
    assert r["sla_h"] == 24.0
    assert r["status"] == "done"
    assert r["due"] == pd.Timestamp("2024-10-10 10:00")


def test_priority_override_makes_open_row_overdue(report):
    # C2 (urgent) Resolve since Tue 8 Oct 10:00: 7 h on the 8th + 6 h on the 9th = 13 h;
    # urgent limit 8 h from the SLA sheet -> overdue by 5 h, due Wed 9 Oct 10:00.
    r = row(report, 7)
    assert r["duration_h"] == pytest.approx(13.0)
    assert r["sla_h"] == 8.0
    assert r["status"] == "overdue"
    assert r["overdue_h"] == pytest.approx(5.0)
    assert r["due"] == pd.Timestamp("2024-10-09 10:00")


def test_open_row_at_its_limit_is_at_risk(report):
    # C3 Classify since 14:00: 2 h of 2 h -> not over, but >= 0.8 * 2 -> at_risk.
    r = row(report, 9)
    assert (r["duration_h"], r["sla_h"], r["status"], r["overdue_h"]) == (2.0, 2.0, "at_risk", 0.0)


def test_on_track_and_done_late_and_node_warn_ratio(book_path, sheets):
    # C3 Classify started 15:00: 1 h of 2 h, below 0.8 -> on_track.
    sheets["Log"][8][3] = datetime(2024, 10, 9, 15, 0)
    # C2 Classify ended 12:30 (lunch): 9:30-12:00 = 2.5 h > 2 h -> done_late.
    sheets["Log"][5][4] = datetime(2024, 10, 8, 12, 30)
    sheets["Log"][6][3] = datetime(2024, 10, 8, 12, 30)
    # C2 Resolve (urgent, 8 h) from 8 Oct 13:00: 5 + 6 = 11 h -> overdue by 3 h.
    report = compute(read_workbook(book_path(sheets)), AS_OF_TS)
    assert row(report, 9)["status"] == "on_track"
    assert row(report, 6)["status"] == "done_late"
    assert row(report, 6)["overdue_h"] == pytest.approx(0.5)
    assert row(report, 7)["duration_h"] == pytest.approx(11.0)


def test_pending_exception_does_not_count(book_path, sheets):
    sheets["Exceptions"][1][5] = "pending"
    report = compute(read_workbook(book_path(sheets)), AS_OF_TS)
    assert row(report, 4)["sla_h"] == 16.0


def test_case_state(report):
    cases = report.cases
    # C1: all required nodes ended (Visit is not required); calendar clock from
    # 30 Sep 09:00 to the last end 8 Oct 12:00 = 8 days + 3 h = 195 h.
    assert cases.loc[2, "case_status"] == "closed"
    assert cases.loc[2, "case_elapsed_h"] == pytest.approx(195.0)
    assert cases.loc[2, "current_node"] is None
    # C2: open at Resolve, 8 Oct 09:00 -> as_of = 31 h.
    assert cases.loc[3, "case_status"] == "open"
    assert cases.loc[3, "current_node"] == "Resolve"
    assert cases.loc[3, "case_elapsed_h"] == pytest.approx(31.0)
    assert cases.loc[4, "current_node"] == "Classify"


def test_parallel_nodes_show_together_and_close_the_case(book_path, sheets):
    # Resolve and Visit both after Classify: they run in parallel.
    sheets["Process"][4][6] = "Classify"
    sheets["Process"][4][5] = "yes"
    sheets["Log"].append(["C2", "Visit", "Ann", datetime(2024, 10, 8, 11, 0), None])
    report = compute(read_workbook(book_path(sheets)), AS_OF_TS)
    assert [f.code for f in report.findings] == []
    assert report.cases.loc[3, "current_node"] == "Resolve, Visit"
    # C1 now lacks the required Visit: open; Visit is on the calendar clock (24 h).
    assert report.cases.loc[2, "case_status"] == "open"
    visit = report.log.loc[10]
    assert visit["duration_h"] == pytest.approx(29.0)  # 8 Oct 11:00 -> 9 Oct 16:00
    assert visit["status"] == "overdue"
    assert visit["due"] == pd.Timestamp("2024-10-09 11:00")


def test_kpis_worked_by_hand(report):
    k = report.kpis
    assert {key: k[key] for key in list(k) if key not in ("nodes", "satisfaction")} == {
        "cases_total": 3,
        "cases_open": 2,
        "cases_closed": 1,
        "case_elapsed_mean_h": 195.0,
        "case_elapsed_median_h": 195.0,
        "on_time_rate": 0.0,  # 195 h > case_sla_hours 72
        "on_time_target": 0.9,
        "on_time_target_met": False,
        "overdue_open": 1,  # C2 Resolve
        "overdue_rate": 0.5,  # of the 2 open rows
        "bottleneck_node": "Resolve",
    }
    assert k["satisfaction"] == {
        "very_satisfied": 0,
        "satisfied": 1,
        "neutral": 0,
        "dissatisfied": 0,
    }
    # Node time: Receive 3 x 0.5 = 1.5; Classify 0.5 + 0.5 + 2 = 3; Resolve 10 + 13 = 23;
    # total 27.5.
    assert k["nodes"] == {
        "Receive": {
            "count": 3,
            "mean_h": 0.5,
            "median_h": 0.5,
            "p90_h": 0.5,
            "sla_h": 1.0,
            "overdue": 0,
            "overdue_rate": 0.0,
            "time_share": round(1.5 / 27.5, 4),
        },
        "Classify": {
            "count": 3,
            "mean_h": 0.5,
            "median_h": 0.5,
            "p90_h": 0.5,
            "sla_h": 2.0,
            "overdue": 0,
            "overdue_rate": 0.0,
            "time_share": round(3 / 27.5, 4),
        },
        "Resolve": {
            "count": 2,
            "mean_h": 10.0,
            "median_h": 10.0,
            "p90_h": 10.0,
            "sla_h": 16.0,
            "overdue": 1,
            "overdue_rate": 0.5,
            "time_share": round(23 / 27.5, 4),
        },
        "Visit": {
            "count": 0,
            "mean_h": None,
            "median_h": None,
            "p90_h": None,
            "sla_h": 24.0,
            "overdue": 0,
            "overdue_rate": None,
            "time_share": 0.0,
        },
    }


def test_overdue_list_has_people_and_emails(report):
    items = report.overdue.to_dict("records")
    assert len(items) == 1
    item = items[0]
    assert (item["case_id"], item["node"], item["assignee"]) == ("C2", "Resolve", "Bob")
    assert (item["assignee_email"], item["manager"], item["manager_email"]) == (
        "bob@example.com",
        "Dora",
        "dora@example.com",
    )
    assert item["overdue_h"] == pytest.approx(5.0)


def test_reproducible_for_fixed_as_of(book_path):
    path = book_path()
    first = compute(read_workbook(path), AS_OF_TS)
    second = compute(read_workbook(path), AS_OF_TS)
    pd.testing.assert_frame_equal(first.log, second.log)
    assert first.kpis == second.kpis
