"""Approval routing (SPEC §4): match every case against the Rules decision table at once, pick
the winning rule(s) by hit policy, assign an approver and hand it to the deputy of an away person.

`route` takes one `RoutingInput` and returns a `Routing`: the routes, the matches and choices
`explain` reads, and the findings (bad cells, unknown approvers, no_rule, overlapping_rules).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core import i18n
from sheetflow.core.decision.assign import Assignment, assign
from sheetflow.core.decision.overlap import overlap_problems
from sheetflow.core.decision.table import (
    LIST_SEPARATOR,
    UNIQUE,
    DecisionTable,
    Problem,
    build_decision_table,
    case_terms,
    match_matrix,
    normalise_hit_policy,
    select,
)
from sheetflow.core.findings import Findings, Join, Msg, did_you_mean
from sheetflow.core.people import PeopleIndex, delegation_table, index_people
from sheetflow.core.workbook import Table

# The routes of SPEC §8's `route` JSON, in order; the frame adds the Cases row of each.
ROUTE_COLUMNS = ("case_id", "approver_role", "approver", "delegated_from", "rule")
ROUTE_FRAME_COLUMNS = (*ROUTE_COLUMNS, "case_row")


@dataclass(frozen=True)
class RoutingInput:
    """Everything routing reads: typed frames (index = Excel row) and the settings it needs.

    case_open: True per open case (None: all open; only open cases add load). rules: the raw
    Rules table, None without a Rules sheet. language: of explain (findings are worded when read).
    """

    cases: pd.DataFrame
    people: pd.DataFrame
    rules: Table | None
    as_of: pd.Timestamp
    hit_policy: str = "FIRST"
    case_open: pd.Series | None = None
    language: str = i18n.EN


@dataclass(frozen=True)
class Routing:
    """The routes of one run (one row per case and approver) and how they were chosen."""

    input: RoutingInput
    policy: str
    table: DecisionTable | None
    matches: np.ndarray  # cases x rules
    case_pos: np.ndarray  # per route: position of its case in `input.cases`
    rule_pos: np.ndarray  # per route: position of its rule in `table.rules`
    assignment: Assignment | None
    people: PeopleIndex
    routes: pd.DataFrame  # ROUTE_FRAME_COLUMNS
    problems: tuple[Problem, ...]  # the findings routing reports, in order

    def report(self, findings: Findings) -> None:
        """Add the routing's findings to `findings`.

        Without a Cases sheet every Rules input names nothing: `missing_sheet` says it once.
        """
        no_cases = findings.book.table("Cases") is None
        for problem in self.problems:
            if no_cases and problem.sheet == "Rules" and problem.row == 1:
                continue
            problem.add_to(findings)


def empty_routes() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ROUTE_FRAME_COLUMNS})
    return frame.astype({"case_row": np.int64})


def _open_mask(cases: pd.DataFrame, case_open: pd.Series | None) -> np.ndarray:
    """case_open aligned with cases; a case it does not mention counts as open."""
    if case_open is None:
        return np.ones(len(cases), dtype=bool)
    aligned = case_open.reindex(cases.index)
    values = aligned.to_numpy(dtype=object)
    values[aligned.isna().to_numpy()] = True
    return values.astype(bool)


def _approver_problems(table: DecisionTable, index: PeopleIndex) -> list[Problem]:
    """Named approvers nobody in People is; roles nobody in People holds."""
    roles = index.roles()
    problems = []
    for rule in table.rules:
        if rule.approver is not None and index.get(rule.approver) is None:
            names = [p.name for p in index.by_key.values()]
            hint = did_you_mean(rule.approver, names)
            problems.append(
                Problem("Rules", rule.row, "approver", rule.approver, "unknown_person", hint=hint)
            )
        if rule.approver is None and rule.approver_role is not None:
            if not index.holders(rule.approver_role):
                detail = (
                    Msg("rule.unheld_role", roles=Join(tuple(roles), LIST_SEPARATOR))
                    if roles
                    else Msg("rule.no_people")
                )
                problems.append(
                    Problem(
                        "Rules", rule.row, "approver_role", rule.approver_role, "bad_value", detail
                    )
                )
    return problems


def _no_rule_problems(
    table: DecisionTable, matches: np.ndarray, cases: pd.DataFrame
) -> list[Problem]:
    """One no_rule finding per case no rule matches, naming its input values."""
    problems = []
    for pos in np.flatnonzero(~matches.any(axis=1)):
        values = case_terms(table, cases, int(pos))
        case_id = cases["case_id"].iloc[pos] if "case_id" in cases else None
        problems.append(
            Problem("Cases", int(cases.index[pos]), "case_id", case_id, "no_rule", values)
        )
    return problems


def route(inputs: RoutingInput) -> Routing:
    """Route every case through the Rules decision table (SPEC §4)."""
    cases = inputs.cases
    policy = normalise_hit_policy(inputs.hit_policy)
    index = index_people(inputs.people)
    if inputs.rules is None:
        nothing = np.zeros(0, dtype=np.int64)
        matches = np.zeros((len(cases), 0), dtype=bool)
        return Routing(
            inputs, policy, None, matches, nothing, nothing, None, index, empty_routes(), ()
        )
    table = build_decision_table(inputs.rules, cases)
    matches = match_matrix(table, cases)
    case_pos, rule_pos = select(matches, policy)
    problems = [*table.problems, *_approver_problems(table, index)]
    problems += _no_rule_problems(table, matches, cases)
    if policy == UNIQUE:
        problems += overlap_problems(table, matches, cases)
    open_cases = _open_mask(cases, inputs.case_open)
    assignment = assign(table, cases, open_cases, index, case_pos, rule_pos)
    routes = _routes_frame(inputs, table, index, case_pos, rule_pos, assignment.person)
    return Routing(
        inputs,
        policy,
        table,
        matches,
        case_pos,
        rule_pos,
        assignment,
        index,
        routes,
        tuple(problems),
    )


def _rule_roles(table: DecisionTable, index: PeopleIndex) -> list[str | None]:
    """The role each rule routes to: its approver_role, or the role of the approver it names."""
    roles = []
    for rule in table.rules:
        role = rule.approver_role
        if role is None and rule.approver is not None:
            person = index.get(rule.approver)
            role = person.role if person is not None else None
        roles.append(role)
    return roles


def _routes_frame(
    inputs: RoutingInput,
    table: DecisionTable,
    index: PeopleIndex,
    case_pos: np.ndarray,
    rule_pos: np.ndarray,
    chosen: np.ndarray,
) -> pd.DataFrame:
    if len(case_pos) == 0:
        return empty_routes()
    cases = inputs.cases
    delegation = delegation_table(inputs.people, inputs.as_of)
    codes, names = pd.factorize(chosen)
    finals = np.array([delegation.get(n, (n, None))[0] for n in names] + [None], dtype=object)
    origins = np.array([delegation.get(n, (n, None))[1] for n in names] + [None], dtype=object)
    case_ids = (
        cases["case_id"].to_numpy(dtype=object)
        if "case_id" in cases
        else np.full(len(cases), None, dtype=object)
    )
    columns = {
        "case_id": case_ids[case_pos],
        "approver_role": np.array(_rule_roles(table, index), dtype=object)[rule_pos],
        "approver": finals[codes],
        "delegated_from": origins[codes],
        "rule": np.array([r.rule_id for r in table.rules], dtype=object)[rule_pos],
    }
    # object dtype keeps None as None (pandas 3 would infer str and turn it into NaN)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    frame["case_row"] = cases.index.to_numpy()[case_pos].astype(np.int64)
    return frame
