"""The Rules sheet as a DMN decision table (SPEC §4): hit policies, UNIQUE overlap witnesses,
approver assignment, routing and its explanation."""

from __future__ import annotations

from sheetflow.core.decision.assign import Assignment
from sheetflow.core.decision.explain import explain
from sheetflow.core.decision.overlap import static_overlap
from sheetflow.core.decision.routing import (
    ROUTE_COLUMNS,
    ROUTE_FRAME_COLUMNS,
    Routing,
    RoutingInput,
    route,
)
from sheetflow.core.decision.table import (
    COLLECT,
    FIRST,
    RULE_ORDER,
    UNIQUE,
    DecisionTable,
    InputColumn,
    Rule,
    build_decision_table,
    match_matrix,
    normalise_hit_policy,
    select,
)

__all__ = [
    "COLLECT",
    "FIRST",
    "ROUTE_COLUMNS",
    "ROUTE_FRAME_COLUMNS",
    "RULE_ORDER",
    "UNIQUE",
    "Assignment",
    "DecisionTable",
    "InputColumn",
    "Routing",
    "RoutingInput",
    "Rule",
    "build_decision_table",
    "explain",
    "match_matrix",
    "normalise_hit_policy",
    "route",
    "select",
    "static_overlap",
]
