"""People: who is away on a date, deputy chains, loops, unknown names."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sheetflow.core.findings import Findings
from sheetflow.core.people import (
    away_mask,
    check_people,
    delegation_table,
    index_people,
    resolve_delegate,
)
from sheetflow.core.workbook import build_workbook
from tests.helpers import PEOPLE_COLUMNS, people_frame

AS_OF = pd.Timestamp("2024-05-10 09:30")


def findings_for(rows: list[dict[str, object]], language: str = "en") -> Findings:
    """Findings over a workbook whose People sheet holds `rows` (so cells resolve)."""
    sheet = "人员" if language == "zh" else "People"
    process = "流程定义" if language == "zh" else "Process"
    raw = {
        process: [["node", "seq", "role", "sla_hours"], ["a", 1, "r", 8]],
        sheet: [PEOPLE_COLUMNS] + [[row.get(c) for c in PEOPLE_COLUMNS] for row in rows],
    }
    return Findings(build_workbook(raw))


@pytest.mark.parametrize(
    ("away_from", "away_to", "expected"),
    [
        pytest.param(None, None, False, id="no-leave"),
        pytest.param("2024-05-10", "2024-05-10", True, id="one-day-inclusive"),
        pytest.param("2024-05-01", "2024-05-09", False, id="ended-yesterday"),
        pytest.param("2024-05-11", "2024-05-20", False, id="starts-tomorrow"),
        pytest.param("2024-05-01", None, True, id="until-further-notice"),
        pytest.param(None, "2024-05-10", True, id="from-always-until-today"),
        pytest.param(None, "2024-05-09", False, id="from-always-until-yesterday"),
    ],
)
def test_away_on_as_of_date(away_from: str | None, away_to: str | None, expected: bool) -> None:
    frame = people_frame([{"name": "A", "away_from": away_from, "away_to": away_to}])
    assert away_mask(frame, AS_OF).tolist() == [expected]


def test_away_mask_reads_datetime_cells_and_time_of_day() -> None:
    frame = people_frame([{"name": "A", "away_from": dt.datetime(2024, 5, 10, 18, 0)}])
    # the leave starts on the 10th (dates are days), even if the cell carried an evening time
    assert away_mask(frame, AS_OF).tolist() == [True]


def test_present_person_keeps_it() -> None:
    frame = people_frame([{"name": "A", "deputy": "B"}, {"name": "B"}])
    assert resolve_delegate("A", index_people(frame), AS_OF) == ("A", ["A"])


def test_away_person_hands_to_deputy() -> None:
    frame = people_frame(
        [
            {"name": "A", "deputy": "B", "away_from": "2024-05-01", "away_to": "2024-05-31"},
            {"name": "B"},
        ]
    )
    assert resolve_delegate("A", index_people(frame), AS_OF) == ("B", ["A", "B"])
    assert delegation_table(frame, AS_OF) == {"A": ("B", "A"), "B": ("B", None)}


def test_deputy_also_away_is_followed() -> None:
    frame = people_frame(
        [
            {"name": "A", "deputy": "B", "away_from": "2024-05-01"},
            {"name": "B", "deputy": "C", "away_from": "2024-05-10", "away_to": "2024-05-10"},
            {"name": "C"},
        ]
    )
    assert resolve_delegate("A", frame, AS_OF) == ("C", ["A", "B", "C"])
    table = delegation_table(frame, AS_OF)
    assert table["A"] == ("C", "A")  # delegated_from is the person first chosen
    assert table["B"] == ("C", "B")


def test_names_match_case_insensitively() -> None:
    frame = people_frame(
        [{"name": "Alice", "deputy": " bob ", "away_from": "2024-05-01"}, {"name": "Bob"}]
    )
    assert resolve_delegate("alice", frame, AS_OF) == ("Bob", ["Alice", "Bob"])


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            [{"name": "A", "away_from": "2024-05-01"}], ("A", ["A"]), id="away-without-deputy"
        ),
        pytest.param(
            [{"name": "A", "deputy": "Ghost", "away_from": "2024-05-01"}],
            ("A", ["A"]),
            id="deputy-not-in-people",
        ),
        pytest.param(
            [
                {"name": "A", "deputy": "B", "away_from": "2024-05-01"},
                {"name": "B", "away_from": "2024-05-01"},
            ],
            ("B", ["A", "B"]),
            id="deputy-away-without-deputy-keeps-it",
        ),
    ],
)
def test_chain_stops_sensibly(rows: list[dict[str, object]], expected: tuple) -> None:
    assert resolve_delegate("A", people_frame(rows), AS_OF) == expected


def test_unknown_name_is_returned_as_is() -> None:
    assert resolve_delegate("Nobody", people_frame([{"name": "A"}]), AS_OF) == (
        "Nobody",
        ["Nobody"],
    )


LOOP = [
    {"name": "A", "deputy": "B", "away_from": "2024-05-01"},
    {"name": "B", "deputy": "C", "away_from": "2024-05-01"},
    {"name": "C", "deputy": "A", "away_from": "2024-05-01"},
    {"name": "D", "deputy": "B", "away_from": "2024-05-01"},
    {"name": "E"},
]


def test_loop_keeps_the_original_person() -> None:
    frame = people_frame(LOOP)
    assert resolve_delegate("A", frame, AS_OF) == ("A", ["A", "B", "C", "A"])
    # D leads into the loop B -> C -> A -> B: D keeps it too
    assert resolve_delegate("D", frame, AS_OF) == ("D", ["D", "B", "C", "A", "B"])
    table = delegation_table(frame, AS_OF)
    assert table["A"] == ("A", None)
    assert table["D"] == ("D", None)
    assert table["E"] == ("E", None)


def test_loop_is_one_finding_naming_its_members() -> None:
    findings = findings_for(LOOP)
    delegation_table(people_frame(LOOP), AS_OF, findings)
    assert [(f.code, f.row, f.column, f.value) for f in findings.items] == [
        ("deputy_cycle", 2, "deputy", "B")
    ]
    assert "A -> B -> C -> A" in findings.items[0].message


def test_loop_is_reported_in_chinese_for_a_chinese_book() -> None:
    rows = [
        {"name": "张三", "deputy": "李四", "away_from": "2024-05-01"},
        {"name": "李四", "deputy": "张三", "away_from": "2024-05-01"},
    ]
    findings = findings_for(rows, "zh")
    delegation_table(people_frame(rows), AS_OF, findings)
    assert len(findings.items) == 1
    assert findings.items[0].message.startswith("休假代理人形成循环：张三 -> 李四 -> 张三")


def test_loop_of_present_people_is_no_finding() -> None:
    rows = [{"name": "A", "deputy": "B"}, {"name": "B", "deputy": "A"}]
    findings = findings_for(rows)
    delegation_table(people_frame(rows), AS_OF, findings)
    assert findings.items == []


def test_self_deputy_is_a_loop() -> None:
    rows = [{"name": "A", "deputy": "A", "away_from": "2024-05-01"}]
    findings = findings_for(rows)
    assert delegation_table(people_frame(rows), AS_OF, findings) == {"A": ("A", None)}
    assert "A -> A" in findings.items[0].message


def test_check_people_reports_unknown_manager_and_deputy() -> None:
    rows = [
        {"name": "A", "manager": "Boss", "deputy": "B"},
        {"name": "B", "manager": "a", "deputy": "Ghost"},
        {"name": "C", "manager": None, "deputy": "  "},
    ]
    findings = findings_for(rows)
    check_people(people_frame(rows), findings)
    got = sorted((f.row, f.column, f.value, f.code) for f in findings.items)
    assert got == [
        (2, "manager", "Boss", "unknown_person"),
        (3, "deputy", "Ghost", "unknown_person"),
    ]
    assert findings.items[0].cell is not None


def test_index_first_row_wins_and_roles_listed() -> None:
    frame = people_frame(
        [
            {"name": "A", "role": "经理", "department": "销售"},
            {"name": "a", "role": "总监"},
            {"name": "B", "role": " 经理 "},
            {"name": None, "role": "x"},
        ]
    )
    index = index_people(frame)
    assert index.get("A").role == "经理"  # type: ignore[union-attr]
    assert [p.name for p in index.holders("经理")] == ["A", "B"]
    assert index.roles() == ["经理"]
    assert index.canonical(" a ") == "A"
    assert index.get(np.nan) is None
