"""The Rules decision table: hit policies, UNIQUE overlap, role lookup, routing, explain."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings

from sheetflow.core import schema
from sheetflow.core.decision import (
    DecisionTable,
    InputColumn,
    Routing,
    RoutingInput,
    Rule,
    build_decision_table,
    normalise_hit_policy,
    route,
    static_overlap,
)
from sheetflow.core.decision import explain as explain_routing
from sheetflow.core.feel import parse_unary_test
from sheetflow.core.findings import Findings
from sheetflow.core.workbook import Table, build_workbook
from tests.core.test_feel import GRID, _scalar, numeric_tests
from tests.helpers import CASE_COLUMNS, PEOPLE_COLUMNS, cases_frame, people_frame

AS_OF = pd.Timestamp("2024-05-10 09:30")


# --------------------------------------------------------------------------- helpers


def workbook(
    rules: list[list[object]],
    people: list[dict[str, object]] | None = None,
    cases_header: list[str] | None = None,
    language: str = "en",
):
    """A real Workbook from plain rows, so the Rules headers go through header matching."""
    zh = language == "zh"
    raw = {
        "流程定义" if zh else "Process": [["node", "seq", "role", "sla_hours"], ["a", 1, "r", 8]],
        "工单" if zh else "Cases": [cases_header or CASE_COLUMNS],
        "审批规则" if zh else "Rules": rules,
        "人员" if zh else "People": [PEOPLE_COLUMNS]
        + [[p.get(c) for c in PEOPLE_COLUMNS] for p in people or []],
    }
    return build_workbook(raw)


def rules_table(rules: list[list[object]], **kwargs: object) -> tuple[Table, Findings]:
    book = workbook(rules, **kwargs)  # type: ignore[arg-type]
    table = book.table("Rules")
    assert table is not None
    return table, Findings(book)


def routing_of(
    cases: pd.DataFrame,
    table: Table | None,
    people: list[dict[str, object]],
    hit_policy: str = "FIRST",
    case_open: pd.Series | None = None,
    language: str = "en",
) -> Routing:
    inputs = RoutingInput(
        cases, people_frame(people), table, AS_OF, hit_policy, case_open, language
    )
    return route(inputs)


def routes_of(
    cases: pd.DataFrame,
    table: Table | None,
    people: list[dict[str, object]],
    findings: Findings | None,
    hit_policy: str = "FIRST",
) -> pd.DataFrame:
    """The routes, the routing's findings added to `findings`."""
    language = findings.book.language if findings is not None else "en"
    routing = routing_of(cases, table, people, hit_policy, language=language)
    if findings is not None:
        routing.report(findings)
    return routing.routes


def decide(table: Table, cases: pd.DataFrame, findings: Findings) -> DecisionTable:
    decision = build_decision_table(table, cases, findings.book.language)
    for problem in decision.problems:
        problem.add_to(findings)
    return decision


def run(
    rules: list[list[object]],
    cases: pd.DataFrame,
    people: list[dict[str, object]],
    hit_policy: str = "FIRST",
    case_open: pd.Series | None = None,
    language: str = "en",
) -> tuple[pd.DataFrame, Findings]:
    table, findings = rules_table(rules, people=people, language=language)
    routing = routing_of(cases, table, people, hit_policy, case_open, language)
    routing.report(findings)
    return routing.routes, findings


def codes(findings: Findings) -> list[tuple[str, str, int | None, str | None]]:
    return [(f.code, f.sheet, f.row, f.column) for f in findings.items]


def approvers(routes: pd.DataFrame) -> list[tuple[object, ...]]:
    return list(routes[["case_id", "approver", "rule"]].itertuples(index=False, name=None))


@settings(max_examples=200, deadline=None)
@given(numeric_tests(), numeric_tests())
def test_static_overlap_agrees_with_brute_force(text_a: str, text_b: str) -> None:
    column = InputColumn("amount", "amount", "amount", None, schema.NUMBER)
    rules = tuple(
        Rule(2 + i, f"R{i + 1}", (parse_unary_test(t),), (t,), "r", None)
        for i, t in enumerate((text_a, text_b))
    )
    table = DecisionTable((column,), rules)
    example = static_overlap(table, 0, 1)
    both = [_scalar(text_a, v) and _scalar(text_b, v) for v in GRID]
    assert (example is not None) == any(both)
    if example is not None:
        shown = example.split("=", 1)[1]
        value = None if shown == "(empty)" else float(shown)
        assert _scalar(text_a, value) and _scalar(text_b, value)


# --------------------------------------------------------------------------- decision table

PEOPLE = [
    {"name": "Dora", "role": "director", "department": "Sales"},
    {"name": "Mia", "role": "manager", "department": "Sales"},
    {"name": "Gus", "role": "general manager"},
    {"name": "Tess", "role": "tech reviewer"},
    {"name": "Lee", "role": "legal reviewer"},
]


def test_header_matching_uses_cases_names_aliases_and_extras() -> None:
    rules = [
        ["rule", " AMOUNT ", "紧急程度", "客户等级", "approver_role"],
        ["R1", ">= 5000", "紧急", "VIP", "director"],
    ]
    table, findings = rules_table(rules)
    cases = cases_frame([{"amount": 6000, "priority": "urgent", "客户等级": "vip"}], ("客户等级",))
    decision = decide(table, cases, findings)
    assert [(c.key, c.case_column) for c in decision.inputs] == [
        ("AMOUNT", "amount"),
        ("紧急程度", "priority"),
        ("客户等级", "客户等级"),
    ]
    routes = routes_of(cases, table, PEOPLE, findings)
    assert approvers(routes) == [("C1", "Dora", "R1")]
    assert findings.items == []


def test_input_column_naming_no_cases_column_is_reported() -> None:
    rules = [["rule", "colour", "approver_role"], ["R1", "red", "director"], ["R2", "-", "manager"]]
    table, findings = rules_table(rules)
    routes = routes_of(cases_frame([{}]), table, PEOPLE, findings)
    assert codes(findings) == [("bad_value", "Rules", 1, "colour")]
    assert "case_id, opened_at" in findings.items[0].message
    # the unknown column reads as empty: "red" fails, "-" passes
    assert approvers(routes) == [("C1", "Mia", "R2")]


def test_numeric_bool_and_date_cells_from_the_reader() -> None:
    rules = [
        ["rule", "amount", "opened_at", "vip", "approver_role"],
        [1.0, 5000.0, dt.datetime(2024, 5, 1), True, "director"],
        [2.0, None, None, None, "manager"],
    ]
    table, findings = rules_table(rules)
    cases = cases_frame([{"amount": 5000, "vip": True}, {"amount": 5000, "vip": False}], ("vip",))
    routes = routes_of(cases, table, PEOPLE, findings)
    assert approvers(routes) == [("C1", "Dora", "1"), ("C2", "Mia", "2")]


def test_bad_cell_is_a_finding_and_the_rule_never_matches() -> None:
    rules = [
        ["rule", "amount", "approver_role"],
        ["R1", "[5000..", "director"],
        ["R2", "", "manager"],
    ]
    table, findings = rules_table(rules)
    routes = routes_of(cases_frame([{"amount": 6000}]), table, PEOPLE, findings)
    assert codes(findings) == [("bad_value", "Rules", 2, "amount")]
    assert findings.items[0].cell == "Rules!B2"
    assert "missing" in findings.items[0].message
    assert approvers(routes) == [("C1", "Mia", "R2")]


@pytest.mark.parametrize(
    ("header", "cell"),
    [
        pytest.param("priority", "紧急x", id="unknown-enum-label"),
        pytest.param("priority", "> 1", id="enum-compared"),
        pytest.param("amount", "abc", id="text-on-number"),
        pytest.param("opened_at", ">= 5000", id="number-on-date"),
    ],
)
def test_test_that_cannot_fit_a_typed_column(header: str, cell: str) -> None:
    table, findings = rules_table([["rule", header, "approver_role"], ["R1", cell, "director"]])
    decision = decide(table, cases_frame([{}]), findings)
    assert codes(findings) == [("bad_value", "Rules", 2, header)]
    assert not decision.rules[0].usable


def test_enum_finding_lists_labels_in_book_language() -> None:
    table, findings = rules_table(
        [["rule", "紧急程度", "审批岗位"], ["R1", "很急", "director"]], language="zh"
    )
    decide(table, cases_frame([{}]), findings)
    assert findings.items[0].message == "不是允许的值，可选：普通, 紧急, 特急"


def test_heading_rows_are_not_rules() -> None:
    rules = [
        ["rule", "amount", "approver_role", "note"],
        [None, None, None, "--- purchases ---"],
        [None, ">= 0", "manager", None],
    ]
    table, findings = rules_table(rules)
    decision = decide(table, cases_frame([{}]), findings)
    assert [(r.rule_id, r.row) for r in decision.rules] == [("R3", 3)]


def test_unknown_approver_and_unheld_role() -> None:
    rules = [
        ["rule", "amount", "approver_role", "approver"],
        ["R1", "> 100", None, "Ghost"],
        ["R2", "-", "auditor", None],
        ["R3", "-", "auditor", "Dora"],
    ]
    routes, findings = run(rules, cases_frame([{"amount": 50}]), PEOPLE)
    assert codes(findings) == [
        ("unknown_person", "Rules", 2, "approver"),
        ("bad_value", "Rules", 3, "approver_role"),
    ]
    assert "nobody in People holds this one" in findings.items[1].message
    assert "director" in findings.items[1].message
    assert routes[["approver_role", "approver"]].values.tolist() == [["auditor", None]]


def test_no_rule_is_one_finding_per_case_with_its_values() -> None:
    rules = [["rule", "amount", "priority", "approver_role"], ["R1", ">= 5000", "-", "director"]]
    cases = cases_frame([{"amount": 6000}, {"amount": 100, "priority": "urgent"}, {}])
    routes, findings = run(rules, cases, PEOPLE)
    assert codes(findings) == [
        ("no_rule", "Cases", 3, "case_id"),
        ("no_rule", "Cases", 4, "case_id"),
    ]
    assert findings.items[0].value == "C2"
    assert "amount=100, priority=urgent" in findings.items[0].message
    assert "amount=(empty)" in findings.items[1].message
    assert approvers(routes) == [("C1", "Dora", "R1")]


def test_no_rule_detail_in_chinese() -> None:
    rules = [["规则", "金额", "紧急程度", "审批岗位"], ["R1", ">= 5000", "-", "director"]]
    routes, findings = run(
        rules, cases_frame([{"amount": 10, "priority": "urgent"}]), PEOPLE, language="zh"
    )
    assert findings.items[0].message == (
        "没有审批规则匹配此工单（金额=10、紧急程度=紧急），请添加规则或兜底行"
    )


def test_no_rules_sheet_gives_empty_routes() -> None:
    routes = routes_of(cases_frame([{}]), None, PEOPLE, None)
    assert routes.empty
    assert list(routes.columns) == [
        "case_id",
        "approver_role",
        "approver",
        "delegated_from",
        "rule",
        "case_row",
    ]


# --------------------------------------------------------------------------- hit policies

POLICY_RULES = [
    ["rule", "amount", "approver_role"],
    ["R1", ">= 5000", "director"],
    ["R2", ">= 1000", "manager"],
    ["R3", "-", "general manager"],
]

# COLLECT and RULE ORDER: every matching rule, cases in row order, rules in table order
EVERY_MATCH = [
    ("C1", "Dora", "R1"),
    ("C1", "Mia", "R2"),
    ("C1", "Gus", "R3"),
    ("C2", "Mia", "R2"),
    ("C2", "Gus", "R3"),
    ("C3", "Gus", "R3"),
]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(
            "FIRST",
            [("C1", "Dora", "R1"), ("C2", "Mia", "R2"), ("C3", "Gus", "R3")],
            id="first",
        ),
        pytest.param(
            "COLLECT",
            EVERY_MATCH,
            id="collect",
        ),
        pytest.param(
            "RULE ORDER",
            EVERY_MATCH,
            id="rule-order",
        ),
        pytest.param(
            "UNIQUE",
            [("C1", "Dora", "R1"), ("C2", "Mia", "R2"), ("C3", "Gus", "R3")],
            id="unique-overlap-uses-first",
        ),
    ],
)
def test_hit_policies(policy: str, expected: list[tuple[str, str, str]]) -> None:
    cases = cases_frame([{"amount": 6000}, {"amount": 2000}, {"amount": 10}])
    routes, _ = run(POLICY_RULES, cases, PEOPLE, hit_policy=policy)
    assert approvers(routes) == expected
    assert routes["case_row"].tolist() == [int(c[1:]) + 1 for c, _, _ in expected]


@pytest.mark.parametrize(
    ("text", "policy"),
    [("first", "FIRST"), ("Rule Order", "RULE ORDER"), ("rule_order", "RULE ORDER"),
     ("C", "COLLECT"), ("会签", "COLLECT"), ("唯一", "UNIQUE"), ("", "FIRST"), ("???", "FIRST")],
)  # fmt: skip
def test_hit_policy_spellings(text: str, policy: str) -> None:
    assert normalise_hit_policy(text) == policy


# --------------------------------------------------------------------------- overlap (UNIQUE)


def overlaps(rules: list[list[object]], cases: pd.DataFrame | None = None, language: str = "en"):
    _, findings = run(
        rules, cases if cases is not None else cases_frame([]), PEOPLE, "UNIQUE", language=language
    )
    return [f for f in findings.items if f.code == "overlapping_rules"]


def test_unique_reports_overlapping_rules_with_an_example() -> None:
    found = overlaps(
        [
            ["rule", "amount", "priority", "approver_role"],
            ["R1", "< 5000", "-", "manager"],
            ["R2", "[5000..50000]", "urgent", "director"],
            ["R3", "> 3000", "not(normal)", "director"],
        ]
    )
    # each pair is reported on the later rule's row
    assert [(f.row, f.column, f.value) for f in found] == [(4, "rule", "R3"), (4, "rule", "R3")]
    # R1 & R3 on (3000, 5000) with priority not normal; R2 & R3 on [5000..50000] urgent
    assert found[0].message.startswith("rules R1 and R3 overlap, e.g. amount=3001, priority=")
    assert "rules R2 and R3 overlap, e.g. amount=5000, priority=urgent" in found[1].message


@pytest.mark.parametrize(
    ("cell_a", "cell_b"),
    [
        pytest.param("< 5000", ">= 5000", id="adjacent-ranges"),
        pytest.param("[0..5000)", "[5000..10000]", id="half-open-ranges"),
        pytest.param("]0..5000]", "]5000..10000[", id="iso-ranges"),
        pytest.param("<= 50000", "> 50000", id="seed-thresholds"),
        pytest.param("1000, 2000", "[3000..4000]", id="list-vs-range"),
        pytest.param("not(null)", "null", id="filled-vs-empty"),
        pytest.param("5000", "not(5000, null)", id="value-vs-not"),
    ],
)
def test_disjoint_numeric_rules_do_not_overlap(cell_a: str, cell_b: str) -> None:
    rules = [
        ["rule", "amount", "approver_role"],
        ["A", cell_a, "manager"],
        ["B", cell_b, "manager"],
    ]
    assert overlaps(rules) == []


@pytest.mark.parametrize(
    ("header", "cell_a", "cell_b", "expect"),
    [
        pytest.param("type", "投诉, 咨询", "投诉", "type=投诉", id="lists-share"),
        pytest.param("type", "投诉", "咨询", None, id="different-strings"),
        pytest.param("type", "not(投诉)", "投诉", None, id="not-excludes"),
        pytest.param("type", "not(投诉)", "not(咨询)", "type=(any other value)", id="two-nots"),
        pytest.param("type", "投诉", "-", "type=投诉", id="catch-all"),
        pytest.param("type", "null", "not(投诉)", "type=(empty)", id="empty-in-both"),
        pytest.param("priority", "not(紧急, 特急)", "normal", "priority=normal", id="enum"),
        pytest.param("priority", "not(普通)", "not(urgent, critical)", None, id="enum-complement"),
        pytest.param("priority", "null", "-", None, id="priority-is-never-empty"),
        pytest.param(
            "satisfaction", "not(满意)", "not(不满意)", "satisfaction=neutral", id="enum-nots"
        ),
        pytest.param(
            "satisfaction",
            "not(满意, 非常满意, 一般, 不满意)",
            "not(满意)",
            "satisfaction=(empty)",
            id="enum-only-empty-left",
        ),
        pytest.param("opened_at", "< 2024-05-01", ">= 2024-05-01", None, id="dates-adjacent"),
        pytest.param(
            "opened_at",
            "<= 2024-05-01",
            "[2024-05-01..2024-06-01]",
            "opened_at=2024-05-01",
            id="dates-share-a-day",
        ),
        pytest.param("vip", "true", "false", None, id="booleans"),
    ],
)
def test_overlap_by_kind_of_column(
    header: str, cell_a: str, cell_b: str, expect: str | None
) -> None:
    rules = [["rule", header, "approver_role"], ["A", cell_a, "manager"], ["B", cell_b, "manager"]]
    found = overlaps(rules)
    if expect is None:
        assert found == []
    else:
        assert len(found) == 1 and f"e.g. {expect};" in found[0].message


def test_catch_all_pair_says_so() -> None:
    rules = [["rule", "amount", "approver_role"], ["A", "-", "manager"], ["B", "", "director"]]
    assert "both match every case" in overlaps(rules)[0].message


def test_overlap_the_analysis_cannot_settle_is_found_on_cases() -> None:
    # a mixed column (text vs number tests) is beyond the static check; the cases show it
    rules = [
        ["rule", "code", "approver_role"],
        ["A", "not(x)", "manager"],
        ["B", "> 10", "manager"],
    ]
    cases = cases_frame([{"code": "x"}, {"code": 20.0}], ("code",))
    found = overlaps(rules, cases)
    assert len(found) == 1
    assert "case C2: code=20" in found[0].message


def test_overlap_message_in_chinese() -> None:
    rules = [
        ["规则", "金额", "审批岗位"],
        ["R1", ">= 5000", "manager"],
        ["R2", "> 100", "director"],
    ]
    found = overlaps(rules, language="zh")
    assert found[0].message.startswith("规则 R1 与 R2 重叠，例如 金额=5000；命中策略为 UNIQUE")


def test_no_overlap_check_outside_unique() -> None:
    _, findings = run(POLICY_RULES, cases_frame([{"amount": 6000}]), PEOPLE, "FIRST")
    assert findings.items == []


# --------------------------------------------------------------------------- role lookup


def test_department_first_then_anyone_with_the_role() -> None:
    people = [
        {"name": "Ann", "role": "manager", "department": "Sales"},
        {"name": "Bob", "role": "manager", "department": "Ops"},
        {"name": "Cid", "role": "manager"},
    ]
    rules = [["rule", "approver_role"], ["R1", "manager"]]
    cases = cases_frame([{"department": "ops"}, {"department": "Sales"}, {"department": "Legal"}])
    routes, _ = run(rules, cases, people)
    # Legal: nobody there holds the role, so the least loaded of everyone (ties by name)
    assert routes["approver"].tolist() == ["Bob", "Ann", "Cid"]


def test_fewest_open_cases_ties_by_name() -> None:
    people = [{"name": n, "role": "manager"} for n in ("Cy", "Al", "Bo")]
    rules = [["rule", "approver_role"], ["R1", "manager"]]
    routes, _ = run(rules, cases_frame([{}] * 7), people)
    assert routes["approver"].tolist() == ["Al", "Bo", "Cy", "Al", "Bo", "Cy", "Al"]


def test_closed_cases_get_an_approver_but_add_no_load() -> None:
    people = [{"name": n, "role": "manager"} for n in ("Al", "Bo")]
    rules = [["rule", "approver_role"], ["R1", "manager"]]
    cases = cases_frame([{}] * 4)
    case_open = pd.Series([False, True, False, True], index=cases.index)
    routes, _ = run(rules, cases, people, case_open=case_open)
    assert routes["approver"].tolist() == ["Al", "Al", "Bo", "Bo"]


def test_load_follows_opened_at_not_row_order() -> None:
    people = [{"name": n, "role": "manager"} for n in ("Al", "Bo")]
    rules = [["rule", "approver_role"], ["R1", "manager"]]
    cases = cases_frame(
        [
            {"opened_at": pd.Timestamp("2024-05-03")},
            {"opened_at": pd.Timestamp("2024-05-01")},
            {"opened_at": pd.Timestamp("2024-05-02")},
        ]
    )
    routes, _ = run(rules, cases, people)
    assert routes["approver"].tolist() == ["Al", "Al", "Bo"]  # processed C2, C3, C1


def test_named_approver_counts_toward_load() -> None:
    people = [{"name": n, "role": "manager"} for n in ("Al", "Bo")]
    rules = [
        ["rule", "type", "approver_role", "approver"],
        ["R1", "vip", "manager", "al"],
        ["R2", "-", "manager", None],
    ]
    cases = cases_frame([{"type": "vip"}, {}, {}, {}])
    routes, _ = run(rules, cases, people)
    # R1 names Al (spelled "al"), so the next case goes to Bo
    assert routes["approver"].tolist() == ["Al", "Bo", "Al", "Bo"]


# --------------------------------------------------------------------------- seed rules


def test_seed_complaint_of_5000_or_more_needs_the_director() -> None:
    rules = [
        ["rule", "type", "amount", "approver_role", "note"],
        ["R1", "投诉", ">= 5000", "director", "complaint amount >= 5000: director"],
        ["R2", "-", "-", "manager", "otherwise the manager"],
    ]
    cases = cases_frame(
        [
            {"type": "投诉", "amount": 5000},
            {"type": "投诉", "amount": 4999.99},
            {"type": "咨询", "amount": 9000},
        ]
    )
    routes, findings = run(rules, cases, PEOPLE)
    assert approvers(routes) == [("C1", "Dora", "R1"), ("C2", "Mia", "R2"), ("C3", "Mia", "R2")]
    assert findings.items == []


def test_seed_manager_up_to_50000_general_manager_above() -> None:
    rules = [
        ["规则", "金额", "审批岗位"],
        ["R1", "<= 50,000", "manager"],
        ["R2", "> 50000", "general manager"],
    ]
    cases = cases_frame([{"amount": 50000}, {"amount": 50000.01}, {"amount": 10}])
    routes, findings = run(rules, cases, PEOPLE, hit_policy="UNIQUE")
    assert approvers(routes) == [("C1", "Mia", "R1"), ("C2", "Gus", "R2"), ("C3", "Mia", "R1")]
    assert findings.items == []  # no overlap between <= 50000 and > 50000


def test_seed_technical_and_legal_review_in_parallel() -> None:
    rules = [
        ["rule", "type", "approver_role"],
        ["TECH", "合同", "tech reviewer"],
        ["LEGAL", "合同", "legal reviewer"],
        ["R3", "not(合同)", "manager"],
    ]
    cases = cases_frame([{"type": "合同"}, {"type": "采购"}])
    routes, findings = run(rules, cases, PEOPLE, hit_policy="COLLECT")
    assert approvers(routes) == [
        ("C1", "Tess", "TECH"),
        ("C1", "Lee", "LEGAL"),
        ("C2", "Mia", "R3"),
    ]
    assert findings.items == []


def test_seed_deputy_approves_when_the_manager_is_on_leave() -> None:
    people = [
        {"name": "Mia", "role": "manager", "deputy": "Dan", "away_from": "2024-05-06",
         "away_to": "2024-05-10"},
        {"name": "Dan", "role": "deputy manager"},
    ]  # fmt: skip
    rules = [["rule", "approver_role"], ["R1", "manager"]]
    routes, _ = run(rules, cases_frame([{}]), people)
    assert routes[["approver_role", "approver", "delegated_from"]].values.tolist() == [
        ["manager", "Dan", "Mia"]
    ]


def test_delegation_chain_and_loop_in_routes() -> None:
    people = [
        {"name": "Al", "role": "manager", "deputy": "Bo", "away_from": "2024-05-01"},
        {"name": "Bo", "role": "x", "deputy": "Cy", "away_to": "2024-05-31"},
        {"name": "Cy", "role": "y"},
        {"name": "Dee", "role": "auditor", "deputy": "Eve", "away_from": "2024-05-01"},
        {"name": "Eve", "role": "z", "deputy": "Dee", "away_from": "2024-05-01"},
    ]
    rules = [["rule", "approver_role"], ["R1", "manager"], ["R2", "auditor"]]
    routes, findings = run(rules, cases_frame([{}]), people, hit_policy="COLLECT")
    assert routes[["approver", "delegated_from"]].values.tolist() == [["Cy", "Al"], ["Dee", None]]
    # deputy loops are validation's to report (people.delegation_table with findings)
    assert [f.code for f in findings.items] == []


def test_route_result_keeps_matches() -> None:
    table, findings = rules_table(POLICY_RULES)
    cases = cases_frame([{"amount": 6000}, {"amount": 10}])
    result = routing_of(cases, table, PEOPLE)
    assert result.matches.tolist() == [[True, True, True], [False, False, True]]


# --------------------------------------------------------------------------- explain

EXPLAIN_PEOPLE = [
    {"name": "Mia", "role": "manager", "department": "Sales", "deputy": "Dan",
     "away_from": "2024-05-01"},
    {"name": "Max", "role": "manager", "department": "Sales"},
    {"name": "Dan", "role": "deputy"},
]  # fmt: skip
EXPLAIN_RULES = [
    ["rule", "type", "amount", "approver_role"],
    ["R1", "投诉", ">= 5000", "director"],
    ["R2", "-", "< 5000", "manager"],
]


def explain(case_id: str, language: str = "en") -> list[str]:
    table, _ = rules_table(EXPLAIN_RULES, people=EXPLAIN_PEOPLE, language=language)
    cases = cases_frame(
        [{"type": "投诉", "amount": 100, "department": "Sales"}] * 2 + [{"amount": 1}]
    )
    routing = routing_of(cases, table, EXPLAIN_PEOPLE, "FIRST", language=language)
    return explain_routing(routing, case_id)


def test_explain_in_english() -> None:
    assert explain("C1") == [
        "case C1 (Cases row 2), hit policy FIRST",
        "rule R1 (Rules row 2): not matched",
        "  type: 投诉 on 投诉 -> passed",
        "  amount: >= 5000 on 100 -> failed",
        "rule R2 (Rules row 3): matched",
        "  amount: < 5000 on 100 -> passed",
        "FIRST: the first matching rule wins: R2",
        "R2: role manager -> Max (department Sales; fewest open cases so far, ties by name: "
        "Max 0, Mia 0)",
        # ties by name: Max before Mia; Max is present
    ]
    lines = explain("C2")
    assert lines[-2].startswith("R2: role manager -> Mia (department Sales; fewest open cases")
    assert lines[-1] == "Mia is away on 2024-05-10: delegated Mia -> Dan; Dan approves"


def test_explain_in_chinese() -> None:
    lines = explain("C2", "zh")
    assert lines[0] == "工单 C2（工单表第3行），命中策略 FIRST"
    assert "  amount：条件 >= 5000，工单值 100 → 不通过" in lines
    assert lines[-1] == "Mia 在 2024-05-10 休假：委托 Mia -> Dan；由 Dan 审批"


def test_explain_unknown_case_and_no_rule() -> None:
    assert explain("C99") == ["no case C99 in Cases"]
    table, _ = rules_table([["rule", "amount", "approver_role"], ["R1", "> 5", "manager"]])
    routing = routing_of(cases_frame([{"amount": 1}]), table, PEOPLE, "FIRST", language="en")
    lines = explain_routing(routing, "C1")
    assert lines[-1].startswith("no rule matches this case")


def test_explain_other_choices() -> None:
    people = [
        {"name": "Al", "role": "auditor", "deputy": "Bo", "away_from": "2024-05-01"},
        {"name": "Bo", "role": "x", "deputy": "Al", "away_from": "2024-05-01"},
        {"name": "Cy", "role": "manager", "department": "Ops", "away_from": "2024-05-01"},
        {"name": "Dee", "role": "manager", "department": "HR"},
    ]
    rules = [
        ["rule", "amount", "approver_role", "approver"],
        ["FIX", "-", None, "al"],
        ["ROLE", "-", "manager", None],
        ["NONE", "-", "auditor general", None],
        ["BAD", "[1..", "manager", None],
        ["ALL", "", "auditor", None],
    ]
    table, _ = rules_table(rules, people=people)
    cases = cases_frame([{"amount": 5, "department": "Sales"}])
    lines = explain_routing(routing_of(cases, table, people, "COLLECT", language="en"), "C1")
    assert (
        "  amount: cannot be read (a value is missing at position 5); the rule never matches"
        in (lines)
    )
    assert "  no conditions: matches every case" in lines
    assert "COLLECT: every matching rule adds an approver: FIX, ROLE, NONE, ALL" in lines
    assert "FIX: approver named in the rule: Al" in lines
    assert "Al is away on 2024-05-10; deputies loop (Al -> Bo -> Al), so Al keeps it" in lines
    assert (
        "ROLE: role manager -> Cy (nobody in department Sales holds it, so any department; "
        "fewest open cases so far, ties by name: Cy 0, Dee 0)"
    ) in lines
    assert "Cy is away on 2024-05-10 but has no deputy in People, so keeps it" in lines
    assert "NONE: nobody in People holds role auditor general: no approver" in lines


def test_explain_unique_with_overlap() -> None:
    table, _ = rules_table(POLICY_RULES)
    cases = cases_frame([{"amount": 6000}])
    lines = explain_routing(routing_of(cases, table, PEOPLE, "UNIQUE", language="zh"), "C1")
    assert "UNIQUE：规则 R1、R2、R3 同时命中（规则重叠）；暂按 R1 分派" in lines


def test_empty_priority_reads_as_normal() -> None:
    rules = [["rule", "priority", "approver_role"], ["R1", "普通", "manager"]]
    routes, findings = run(rules, cases_frame([{"priority": None}]), PEOPLE)
    assert approvers(routes) == [("C1", "Mia", "R1")]


def test_rules_sheet_without_rows_and_cases_without_rows() -> None:
    routes, findings = run([["rule", "amount", "approver_role"]], cases_frame([{}]), PEOPLE)
    assert routes.empty and codes(findings) == [("no_rule", "Cases", 2, "case_id")]
    routes, findings = run(POLICY_RULES, cases_frame([]), PEOPLE, hit_policy="COLLECT")
    assert routes.empty and findings.items == []
