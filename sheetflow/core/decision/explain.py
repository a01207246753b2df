"""`route --explain`: why a case goes where it goes, read from the `Routing` of the run.

Each rule's input tests (passed / failed), the hit policy's choice, the role -> person choice
and the delegation chain, in the routing's language.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sheetflow.core import i18n
from sheetflow.core.decision.assign import FIXED, NOBODY, UNASSIGNED, department
from sheetflow.core.decision.routing import Routing
from sheetflow.core.decision.table import (
    FIRST,
    UNIQUE,
    DecisionTable,
    Rule,
    column_views,
    read_cell,
    show_value,
)
from sheetflow.core.feel.unary import AnyValue
from sheetflow.core.feel.values import cell_text
from sheetflow.core.findings import text_of
from sheetflow.core.people import as_of_day, is_loop, resolve_delegate


def explain(routing: Routing, case_id: str) -> list[str]:
    """Lines saying why `case_id` goes to its approver(s), in the routing's language."""
    lang = routing.input.language
    cases = routing.input.cases
    wanted = str(case_id).strip()
    ids = cases["case_id"] if "case_id" in cases else pd.Series(dtype=object)
    found = np.flatnonzero([cell_text(v) == wanted for v in ids.to_numpy(dtype=object)])
    if len(found) == 0:
        return [i18n.text("explain.no_case", lang, case_id=wanted)]
    pos = int(found[0])
    row = int(cases.index[pos])
    lines = [
        i18n.text("explain.case", lang, case_id=wanted, row=row, policy=routing.policy),
    ]
    if routing.table is None:
        return [*lines, i18n.text("explain.no_rules_sheet", lang)]
    for j, rule in enumerate(routing.table.rules):
        lines.extend(_explain_rule(routing, routing.table, pos, j, rule))
    return lines + _explain_winners(routing, routing.table, pos)


def _explain_rule(
    routing: Routing, table: DecisionTable, pos: int, j: int, rule: Rule
) -> list[str]:
    """The rule's verdict on the case, each of its conditions, or why it can never match."""
    lang = routing.input.language
    one = routing.input.cases.iloc[[pos]]
    status = "explain.matched" if routing.matches[pos, j] else "explain.not_matched"
    lines = [
        i18n.text(
            "explain.rule", lang, rule=rule.rule_id, row=rule.row, status=i18n.text(status, lang)
        )
    ]
    for column, value in zip(table.inputs, rule.cells, strict=True):
        _, problem = read_cell(column, value)
        if problem is not None:
            reason = text_of(problem.reason, lang)
            lines.append(
                "  " + i18n.text("explain.unreadable", lang, column=column.header, reason=reason)
            )
    conditions = 0
    views = column_views(table, one)
    for column, view, test, text in zip(table.inputs, views, rule.tests, rule.texts, strict=True):
        if isinstance(test, AnyValue):
            continue
        conditions += 1
        value = one[column.case_column].iloc[0] if column.case_column is not None else None
        verdict = "explain.passed" if view.mask(test)[0] else "explain.failed"
        line = i18n.text(
            "explain.condition",
            lang,
            column=column.header,
            test=text,
            value=show_value(value, column, lang),
            verdict=i18n.text(verdict, lang),
        )
        lines.append("  " + line)
    if not conditions and rule.usable:
        lines.append("  " + i18n.text("explain.no_conditions", lang))
    return lines


def _policy_line(routing: Routing, table: DecisionTable, pos: int, won: list[int]) -> str:
    lang = routing.input.language
    sep = i18n.text("list_separator", lang)
    ids = sep.join(table.rules[j].rule_id for j in won)
    matched = [table.rules[j].rule_id for j in np.flatnonzero(routing.matches[pos])]
    if routing.policy == FIRST:
        return i18n.text("explain.first", lang, rules=ids)
    if routing.policy == UNIQUE and len(matched) > 1:
        return i18n.text("explain.unique_overlap", lang, matched=sep.join(matched), rules=ids)
    if routing.policy == UNIQUE:
        return i18n.text("explain.unique", lang, rules=ids)
    return i18n.text("explain.collect", lang, policy=routing.policy, rules=ids)


def _explain_winners(routing: Routing, table: DecisionTable, pos: int) -> list[str]:
    mine = np.flatnonzero(routing.case_pos == pos)
    won = [int(routing.rule_pos[k]) for k in mine]
    if not won:
        return [i18n.text("explain.no_rule", routing.input.language)]
    lines = [_policy_line(routing, table, pos, won)]
    for k, j in zip(mine.tolist(), won, strict=True):
        route_row = routing.routes.iloc[k]
        lines.extend(_explain_choice(routing, table.rules[j], k, pos))
        lines.extend(_explain_delegation(routing, route_row))
    return lines


def _explain_choice(routing: Routing, rule: Rule, k: int, pos: int) -> list[str]:
    """How pair `k` (of the case at `pos`) got its approver before delegation."""
    lang = routing.input.language
    assignment = routing.assignment
    assert assignment is not None
    kind = assignment.kind[k]
    rid, role = rule.rule_id, rule.approver_role or ""
    if kind == UNASSIGNED:
        return [i18n.text("explain.unassigned", lang, rule=rid)]
    if kind == NOBODY:
        return [i18n.text("explain.nobody", lang, rule=rid, role=role)]
    if kind == FIXED:
        return [i18n.text("explain.fixed", lang, rule=rid, person=assignment.person[k])]
    if len(assignment.names(k)) == 1:
        why = i18n.text("explain.only_holder", lang)
    else:
        loads = ", ".join(f"{n} {c}" for n, c in assignment.loads(k))
        why = i18n.text("explain.fewest_open", lang, loads=loads)
    dept = cell_text(department(routing.input.cases).iloc[pos]) or None
    where = ""
    if dept and assignment.fallback(k):
        where = i18n.text("explain.department_fallback", lang, department=dept)
    elif dept:
        where = i18n.text("explain.department", lang, department=dept)
    person = assignment.person[k]
    return [
        i18n.text("explain.role", lang, rule=rid, role=role, person=person, where=where, why=why)
    ]


def _explain_delegation(routing: Routing, route_row: pd.Series) -> list[str]:
    """Whether the approver chosen is away on the as-of day, and who takes it then."""
    lang = routing.input.language
    original = route_row["delegated_from"] or route_row["approver"]
    if original is None:
        return []
    person = routing.people.get(original)
    day = as_of_day(routing.input.as_of)
    if person is None or not person.away_on(day):
        return []
    final, chain = resolve_delegate(original, routing.people, routing.input.as_of)
    params = {"person": original, "day": day.strftime("%Y-%m-%d"), "path": " -> ".join(chain)}
    if is_loop(chain):
        return [i18n.text("explain.deputy_loop", lang, **params)]
    if final == original:
        return [i18n.text("explain.no_deputy", lang, **params)]
    return [i18n.text("explain.delegated", lang, deputy=final, **params)]
