"""The weekly review to managers and the monthly report (pure: a `Report` in, messages out).

The weekly review shows a manager the SPEC §10 views that exist in `report.kpis` (by_week,
workload of their team, by_department, aging; a view that is not there is left out) and the open
overdue / at-risk work of their direct reports. The monthly report, sent in the first days of a
month, gives the previous month's figures (opened, closed, on-time rate of the cases closed in
it, nodes finished late in it) and today's. Both can carry the refreshed workbook as attachment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from sheetflow.core import coerce, i18n, schema
from sheetflow.core.report import Report
from sheetflow.notify import compose
from sheetflow.notify.compose import Attachment, Body, Item, Message, Person

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"


def workbook_attachment(name: str, content: bytes) -> Attachment:
    mimetype = XLSM if name.lower().endswith(".xlsm") else XLSX
    return Attachment(name, content, mimetype)


def iso_week(stamp: pd.Timestamp) -> str:
    year, week, _ = stamp.isocalendar()
    return f"{year}-W{week:02d}"


def previous_month(stamp: pd.Timestamp) -> pd.Period:
    return stamp.to_period("M") - 1


def _pct(value: object) -> str:
    return "-" if value is None else f"{float(value) * 100:.1f}%"


def _num(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _kpi_rows(kpis: Mapping[str, object], lang: str) -> list[list[str]]:
    rows = []
    for key in ("cases_total", "cases_open", "cases_closed", "overdue_open", "at_risk_open"):
        if key in kpis:
            rows.append([i18n.text(f"notify.kpi.{key}", lang), _num(kpis[key])])
    if "on_time_rate" in kpis:
        rows.append([i18n.text("notify.kpi.on_time_rate", lang), _pct(kpis["on_time_rate"])])
    if kpis.get("bottleneck_node"):
        rows.append([i18n.text("notify.kpi.bottleneck_node", lang), str(kpis["bottleneck_node"])])
    return rows


def _views(body: Body, kpis: Mapping[str, object], lang: str, team: Sequence[str] | None) -> None:
    """The §10 views present in `kpis`; `team` limits `workload` to those people."""
    col = lambda key: i18n.text(f"notify.col.{key}", lang)  # noqa: E731
    by_week = kpis.get("by_week")
    if isinstance(by_week, list) and by_week:
        body.heading(i18n.text("notify.heading.by_week", lang))
        body.table(
            [col("week"), col("opened"), col("closed"), col("on_time_rate")],
            [
                [
                    str(w.get("week")),
                    _num(w.get("opened")),
                    _num(w.get("closed")),
                    _pct(w.get("on_time_rate")),
                ]
                for w in by_week[-4:]
                if isinstance(w, Mapping)
            ],
        )
    workload = kpis.get("workload")
    if isinstance(workload, Mapping) and workload:
        keys = None if team is None else {schema.normalise_name(n) for n in team}
        rows = [
            [str(name), _num(v.get("open")), _num(v.get("overdue")), _num(v.get("at_risk"))]
            for name, v in workload.items()
            if isinstance(v, Mapping) and (keys is None or schema.normalise_name(name) in keys)
        ]
        if rows:
            body.heading(i18n.text("notify.heading.workload", lang))
            body.table([col("person"), col("open"), col("overdue"), col("at_risk")], rows)
    departments = kpis.get("by_department")
    if isinstance(departments, Mapping) and departments:
        body.heading(i18n.text("notify.heading.by_department", lang))
        body.table(
            [col("department"), col("cases"), col("open"), col("overdue"), col("on_time_rate")],
            [
                [
                    str(name) or "-",
                    _num(v.get("cases")),
                    _num(v.get("open")),
                    _num(v.get("overdue")),
                    _pct(v.get("on_time_rate")),
                ]
                for name, v in departments.items()
                if isinstance(v, Mapping)
            ],
        )
    aging = kpis.get("aging")
    if isinstance(aging, Mapping) and aging:
        body.heading(i18n.text("notify.heading.aging", lang))
        body.table([col("age"), col("cases")], [[str(k), _num(v)] for k, v in aging.items()])


def compose_weekly(
    report: Report,
    items: Sequence[Item],
    people: Mapping[str, Person],
    *,
    book: str,
    lang: str,
    attachment: Attachment | None = None,
) -> list[Message]:
    """One weekly review per manager (someone's `manager` in People) who has an email."""
    week = iso_week(report.as_of)
    directory = compose.Directory(people)
    messages = []
    for manager, reports in compose.team_members(people).items():
        boss = directory.get(manager)
        if boss is None or not boss.email:
            continue
        keys = {schema.normalise_name(n) for n in reports}
        own = [i for i in items if schema.normalise_name(i.assignee) in keys]
        subject = i18n.text("notify.subject.weekly", lang, book=book, week=week, name=boss.name)
        body = Body()
        body.para(i18n.text("notify.greeting", lang, name=boss.name))
        body.heading(i18n.text("notify.heading.kpis", lang))
        body.table(
            [i18n.text("notify.col.figure", lang), i18n.text("notify.col.value", lang)],
            _kpi_rows(report.kpis, lang),
        )
        _views(body, report.kpis, lang, reports)
        if own:
            body.heading(i18n.text("notify.heading.team_items", lang))
            compose.item_tables(body, own, lang, with_assignee=True, level=4)
        if attachment is not None:
            body.para(i18n.text("notify.heading.attachment", lang))
        messages.append(
            compose.summary_message(
                "weekly", boss.name, boss.email, subject, body, lang, week, attachment
            )
        )
    return messages


def month_figures(report: Report, month: pd.Period) -> dict[str, object]:
    """Cases opened and closed in `month`, the on-time rate of those closed, late nodes."""
    book = report.book
    settings = compose.notify_settings(report)
    start, end = month.start_time, (month + 1).start_time
    cases = book.frame("Cases")
    opened = 0
    if "opened_at" in cases.columns:
        stamps, _ = coerce.to_datetime(cases["opened_at"])
        opened = int(((stamps >= start) & (stamps < end)).sum())
    log = book.frame("Log")
    closed = on_time = late = 0
    if {"case_id", "end"} <= set(log.columns) and not report.cases.empty:
        ends, _ = coerce.to_datetime(log["end"])
        ids = coerce.to_text(log["case_id"])
        last_end = ends.groupby(ids).max()
        state = report.cases
        case_ids = coerce.to_text(cases["case_id"]) if "case_id" in cases.columns else None
        if case_ids is not None:
            frame = pd.DataFrame(
                {
                    "case_id": case_ids.reindex(state.index),
                    "status": state["case_status"],
                    "elapsed": pd.to_numeric(state["case_elapsed_h"], errors="coerce"),
                }
            )
            frame["closed_at"] = frame["case_id"].map(last_end)
            in_month = (
                (frame["status"] == "closed")
                & (frame["closed_at"] >= start)
                & (frame["closed_at"] < end)
            )
            closed = int(in_month.sum())
            on_time = int((frame.loc[in_month, "elapsed"] <= settings.case_sla_hours + 1e-9).sum())
        if "status" in report.log.columns:
            done_late = (report.log["status"] == "done_late").reindex(log.index, fill_value=False)
            late = int((done_late & (ends >= start) & (ends < end)).sum())
    return {
        "opened_in_month": opened,
        "closed_in_month": closed,
        "on_time_in_month": None if not closed else round(on_time / closed, 4),
        "late_in_month": late,
    }


def monthly_recipients(
    people: Mapping[str, Person], reports_to: Sequence[str]
) -> list[tuple[str, str]]:
    """(name, email): the configured addresses, else the people at the top of the chain."""
    if reports_to:
        return [(address, address) for address in reports_to]
    teams = compose.team_members(people)
    directory = compose.Directory(people)
    top = []
    for name in teams:
        person = directory.get(name)
        if person is not None and person.email and directory.get(person.manager) is None:
            top.append((person.name, person.email))
    return top


def compose_monthly(
    report: Report,
    people: Mapping[str, Person],
    *,
    book: str,
    lang: str,
    reports_to: Sequence[str] = (),
    attachment: Attachment | None = None,
) -> list[Message]:
    """The previous month's report, one message per recipient."""
    month = previous_month(report.as_of)
    figures = month_figures(report, month)
    label = f"{month.year}-{month.month:02d}"
    messages = []
    for name, address in monthly_recipients(people, reports_to):
        subject = i18n.text("notify.subject.monthly", lang, book=book, month=label)
        body = Body()
        body.para(i18n.text("notify.greeting", lang, name=name))
        body.heading(f"{i18n.text('notify.heading.kpis', lang)} ({label})")
        rows = [
            [
                i18n.text(f"notify.kpi.{key}", lang),
                _pct(value) if key == "on_time_in_month" else _num(value),
            ]
            for key, value in figures.items()
        ]
        body.table(
            [i18n.text("notify.col.figure", lang), i18n.text("notify.col.value", lang)], rows
        )
        body.heading(f"{i18n.text('notify.heading.kpis', lang)} ({report.as_of:%Y-%m-%d})")
        body.table(
            [i18n.text("notify.col.figure", lang), i18n.text("notify.col.value", lang)],
            _kpi_rows(report.kpis, lang),
        )
        _views(body, report.kpis, lang, None)
        if attachment is not None:
            body.para(i18n.text("notify.heading.attachment", lang))
        messages.append(
            compose.summary_message(
                "monthly", name, address, subject, body, lang, label, attachment, key=address
            )
        )
    return messages
