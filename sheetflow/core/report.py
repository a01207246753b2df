"""The result of one run over a workbook: everything the doors (file, Excel, Sheets) write back."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sheetflow.core.decision.routing import Routing
from sheetflow.core.findings import Finding
from sheetflow.core.workbook import Workbook


@dataclass
class Report:
    """Computed outputs of SPEC §5, keyed so a writer can put them in place.

    log:       index = Excel row of the Log sheet; columns duration_h, sla_h, due, status, overdue_h
               (status as canonical code: done, done_late, overdue, at_risk, on_track).
    cases:     index = Excel row of the Cases sheet; columns case_status (open/closed),
               current_node, case_elapsed_h, approver_role, approver, delegated_from, route_rule.
    overdue:   one row per overdue open log row, worst first; columns of SPEC §8's overdue items
               (case_id, node, assignee, assignee_email, manager, manager_email, start, due,
               duration_h, sla_h, overdue_h).
    routes:    one row per (case, approver); columns case_id, approver_role, approver,
               delegated_from, rule, plus amount, priority, age_h for the Routing sheet.
    kpis:      SPEC §6's dict (JSON-ready: plain floats/ints/str/None).
    node_stats: one row per node in Process order; columns node, count, mean_h, median_h, p90_h,
               sla_h, overdue, overdue_rate, time_share.
    routing:   how the routes were chosen (matches, hit policy, assignment), for `explain`.
    """

    book: Workbook
    as_of: pd.Timestamp
    findings: list[Finding]
    log: pd.DataFrame = field(default_factory=pd.DataFrame)
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)
    overdue: pd.DataFrame = field(default_factory=pd.DataFrame)
    routes: pd.DataFrame = field(default_factory=pd.DataFrame)
    kpis: dict[str, object] = field(default_factory=dict)
    node_stats: pd.DataFrame = field(default_factory=pd.DataFrame)
    routing: Routing | None = None

    @property
    def language(self) -> str:
        return self.book.language

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")
