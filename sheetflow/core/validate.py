"""Validation (SPEC §7): type every input sheet and collect every finding, as data.

`check` returns typed frames (index = Excel row) that timing, routing and the summary compute on.
Every check is a column operation; findings are built only for the rows that fail.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from sheetflow.core import coerce, people, schema
from sheetflow.core.findings import Findings, Label, Msg, did_you_mean, enum_labels
from sheetflow.core.settings import Settings, read_settings
from sheetflow.core.workbook import (
    CellError,
    Table,
    UncalculatedFormula,
    Workbook,
    blank_mask,
)

_LIST_SPLIT = re.compile(r"[,，、;；]")
_SUGGEST_AT_MOST = 50  # distinct unknown values looked up (each one scans every known value)
_ROWS_LISTED = 5


@dataclass(frozen=True)
class Keys:
    """Cases and nodes as integer positions, factorised once: the joins below are array lookups."""

    case_ids: pd.Index  # unique case ids, in Cases order
    nodes: pd.Index  # unique Process nodes, in Process order
    log_case: np.ndarray  # per Log row: position in case_ids, -1 when unknown
    log_node: np.ndarray  # per Log row: position in nodes, -1 when unknown
    case_pos: np.ndarray  # per Cases row: position in case_ids, -1 without an id


@dataclass(frozen=True)
class Checked:
    """Typed input tables (index = Excel row) plus the findings so far."""

    process: pd.DataFrame
    cases: pd.DataFrame
    log: pd.DataFrame
    people: pd.DataFrame
    calendar: pd.DataFrame
    sla: pd.DataFrame
    exceptions: pd.DataFrame
    rules: Table | None  # raw: the decision table parses it
    settings: Settings
    findings: Findings
    edges: pd.DataFrame  # process precedence: columns node, pred

    @cached_property
    def keys(self) -> Keys:
        """The integer keys of the checked workbook (computed once, on first use)."""
        case_ids = pd.Index(self.cases["case_id"].dropna().drop_duplicates(), dtype=object)
        nodes = pd.Index(self.process["node"].dropna().drop_duplicates(), dtype=object)
        return Keys(
            case_ids=case_ids,
            nodes=nodes,
            log_case=case_ids.get_indexer(self.log["case_id"].astype(object)),
            log_node=nodes.get_indexer(self.log["node"].astype(object)),
            case_pos=case_ids.get_indexer(self.cases["case_id"].astype(object)),
        )

    # (sheet, column) -> mask of cells that hold something unreadable (never taken as empty)
    unreadable: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def unreadable_mask(self, sheet: str, column: str, length: int) -> np.ndarray:
        """True where a cell of that column holds a value that could not be read."""
        mask = self.unreadable.get((sheet, column))
        return mask if mask is not None else np.zeros(length, dtype=bool)


def _fmt(value: float) -> str:
    return f"{value:g}"


def _problem_code(kind: str) -> str:
    if kind in (schema.DATETIME, schema.DATE):
        return "bad_date"
    if kind in (schema.NUMBER, schema.INT):
        return "bad_number"
    return "bad_value"


def problem_cells(book: Workbook, raw: pd.Series) -> np.ndarray:
    """True where a cell is a `CellProblem` (an error value or an uncalculated formula)."""
    if book.cell_problems is False or raw.dtype != object:
        return np.zeros(len(raw), dtype=bool)
    types = raw.map(type, na_action="ignore")
    return types.isin([CellError, UncalculatedFormula]).to_numpy(dtype=bool)


# Free text sheetflow only carries along: an unreadable cell there is a warning, not an error.
FREE_TEXT = {("Log", "note"), ("Cases", "title"), ("Exceptions", "reason"), ("Calendar", "name")}


def report_problems(
    findings: Findings, sheet: str, column: str, raw: pd.Series, mask: np.ndarray, code: str
) -> None:
    """One finding per error value / uncalculated formula, with the cell's text."""
    severity = "warning" if (sheet, column) in FREE_TEXT else None
    for row, value in raw[mask].items():
        reason = "cell_error" if isinstance(value, CellError) else "formula_uncalculated"
        findings.add(sheet, int(row), column, str(value), code, str(value), severity, reason=reason)


def _absent_column(index: pd.Index, col: schema.Column) -> pd.Series:
    """The empty column of its type standing in for a column the sheet does not have."""
    if col.kind in (schema.DATETIME, schema.DATE):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if col.kind in (schema.NUMBER, schema.INT):
        return pd.Series(np.nan, index=index, dtype=float)
    return pd.Series(None, index=index, dtype=object)


def _type_column(
    book: Workbook,
    sheet: str,
    col: schema.Column,
    raw: pd.Series,
    findings: Findings,
    timezone: str | None,
) -> tuple[pd.Series, np.ndarray]:
    """One present column coerced to its type, its bad cells reported: (values, unreadable)."""
    problem = problem_cells(book, raw)
    if problem.any():  # an error value or uncalculated formula is never read as empty
        report_problems(findings, sheet, col.name, raw, problem, _problem_code(col.kind))
        raw = raw.where(~problem, None)
    blank = blank_mask(raw) & ~problem
    if col.required and blank.any():
        findings.add_rows(sheet, col.name, raw[blank], "required")
    if col.kind in (schema.NUMBER, schema.INT):
        values, bad = coerce.to_number(raw)
        if col.kind == schema.INT:
            frac = ~bad & values.notna().to_numpy() & (values % 1 != 0).to_numpy()
            bad = bad | frac
            values = values.where(~frac)
        detail = Msg("core.whole_number") if col.kind == schema.INT else ""
        if bad.any():
            findings.add_rows(sheet, col.name, raw[bad], "bad_number", detail)
        return values, bad | problem
    if col.kind in (schema.DATETIME, schema.DATE):
        dates = coerce.parse_datetimes(raw, col.kind == schema.DATE, timezone)
        _report_dates(findings, sheet, col.name, raw, dates)
        return dates.values, dates.bad | problem
    if col.kind == schema.ENUM and col.enum is not None:
        codes, bad = coerce.to_enum(raw, col.enum)
        if bad.any():
            findings.add_rows(sheet, col.name, raw[bad], "bad_value", enum_labels(col.enum))
        return codes, bad | problem
    return coerce.to_text(raw), problem


def type_sheet(
    book: Workbook,
    sheet: schema.Sheet,
    findings: Findings,
    timezone: str | None = None,
    unreadable: dict[tuple[str, str], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Coerce each known column of a sheet to its type; report missing/blank/bad cells.

    timezone: the workbook's, for times written with a UTC offset. unreadable: filled with
    (sheet, column) -> mask of the cells that were not blank but could not be read.
    """
    table = book.table(sheet.name)
    frame = book.frame(sheet.name)
    header_row = table.header_row if table is not None else 1
    out: dict[str, pd.Series] = {}
    for col in sheet.columns:
        if col.name not in frame.columns:
            if table is not None and col.required:
                findings.add(sheet.name, header_row, None, None, "missing_column", Label(col))
            out[col.name] = _absent_column(frame.index, col)
            continue
        raw = frame[col.name]
        out[col.name], bad = _type_column(book, sheet.name, col, raw, findings, timezone)
        if unreadable is not None and bad.any():
            unreadable[(sheet.name, col.name)] = bad
    typed = pd.DataFrame(out, index=frame.index)
    for extra in frame.columns:
        if extra not in typed.columns:
            typed[extra] = frame[extra]
    return typed


def _report_dates(
    findings: Findings, sheet: str, column: str, raw: pd.Series, dates: coerce.DateColumn
) -> None:
    """bad_date for each unreadable date cell, saying why when the reason is known."""
    if not dates.bad.any():
        return
    reasons = pd.Series(dates.reason, index=raw.index)[dates.bad]
    for reason, rows in reasons.groupby(reasons.fillna(""), sort=False).groups.items():
        cells = raw.loc[rows]
        if not reason:
            findings.add_rows(sheet, column, cells, "bad_date")
            continue
        for row, value in cells.items():
            text = _cell_text(value)
            findings.add(sheet, int(row), column, value, "bad_date", text, reason=reason)


def _cell_text(value: object) -> str:
    """A cell as the user typed it, for a message."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _range_check(
    findings: Findings,
    sheet: str,
    column: str,
    raw: pd.DataFrame,
    values: pd.Series,
    bad: np.ndarray,
    detail: str,
) -> pd.Series:
    if bad.any() and column in raw.columns:
        findings.add_rows(sheet, column, raw.loc[bad, column], "bad_number", detail)
    return values.where(~bad)


def _bounded(
    findings: Findings,
    book: Workbook,
    sheet: str,
    typed: pd.DataFrame,
    column: str,
    positive: bool,
) -> pd.Series:
    """Hours within (0 or above) .. MAX_HOURS; others reported as bad_number and dropped."""
    values = typed[column]
    low = (values <= 0) if positive else (values < 0)
    bad = (low | (values > schema.MAX_HOURS)).to_numpy()
    lower = "0 <" if positive else "0 ≤"
    detail = f" ({lower} x ≤ {schema.MAX_HOURS})"
    return _range_check(findings, sheet, column, book.frame(sheet), values, bad, detail)


def _duplicates(
    findings: Findings, sheet: str, column: str, frame: pd.DataFrame, keys: list[str], label: str
) -> None:
    """Report every repeat of `keys` after its first row, naming the first row.

    label: a key under `core.duplicate_label.` naming the key columns to the reader.
    """
    valid = frame[keys].notna().all(axis=1)
    sub = frame.loc[valid, keys]
    repeated = sub.duplicated(keep="first")
    if not repeated.any():
        return
    first_row = sub.reset_index().groupby(keys, sort=False)["row"].transform("first")
    first_row.index = sub.index
    name = Msg(f"core.duplicate_label.{label}")
    for row in sub.index[repeated.to_numpy()]:
        text = " / ".join(str(sub.at[row, key]) for key in keys)
        detail = Msg("core.duplicate", label=name, value=text, row=int(first_row.at[row]))
        findings.add(sheet, int(row), column, frame.at[row, column], "duplicate", detail)


def _split_list(value: object) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in _LIST_SPLIT.split(str(value)) if part.strip()]


def process_edges(process: pd.DataFrame) -> pd.DataFrame:
    """Precedence pairs (node, pred): `after` when given, else the node(s) of the previous seq."""
    nodes = process.dropna(subset=["node"]).drop_duplicates("node")
    seqs = np.sort(nodes["seq"].dropna().unique())
    pairs: list[tuple[str, str]] = []
    for node, seq, after in zip(nodes["node"], nodes["seq"], nodes["after"]):
        listed = _split_list(after)
        if listed:
            pairs.extend((node, pred) for pred in listed)
        elif not pd.isna(seq):
            earlier = seqs[seqs < seq]
            if len(earlier):
                prev = nodes.loc[nodes["seq"] == earlier[-1], "node"]
                pairs.extend((node, pred) for pred in prev)
    return pd.DataFrame(pairs, columns=["node", "pred"], dtype=object)


def ancestors(edges: pd.DataFrame) -> pd.DataFrame:
    """Transitive closure of the precedence graph: pairs (node, ancestor), loop-safe."""
    closure = edges.drop_duplicates()
    while True:
        step = closure.merge(edges, left_on="pred", right_on="node", suffixes=("", "_next"))
        step = step[["node", "pred_next"]].rename(columns={"pred_next": "pred"})
        grown = pd.concat([closure, step]).drop_duplicates()
        if len(grown) == len(closure):
            return closure.reset_index(drop=True)
        closure = grown


def _check_process(findings: Findings, book: Workbook, process: pd.DataFrame) -> pd.DataFrame:
    raw = book.frame("Process")
    process["sla_hours"] = _bounded(findings, book, "Process", process, "sla_hours", positive=True)
    ratio = process["warn_ratio"]
    bad = ((ratio < 0) | (ratio > 1)).to_numpy()
    process["warn_ratio"] = _range_check(findings, "Process", "warn_ratio", raw, ratio, bad, " 0–1")
    process["clock"] = process["clock"].fillna("business")
    if "required" in raw.columns:
        flags, _ = coerce.to_bool_yes(raw["required"], default=True)
        process["required"] = flags
    else:
        process["required"] = True
    _duplicates(findings, "Process", "node", process, ["node"], "node")
    known = set(process["node"].dropna())
    options = ", ".join(process["node"].dropna().drop_duplicates())
    for row, after in process["after"].dropna().items():
        for pred in _split_list(after):
            if pred == process.at[row, "node"]:
                findings.add(
                    "Process", int(row), "after", after, "bad_value", pred, reason="after_itself"
                )
            elif pred not in known:
                findings.add("Process", int(row), "after", pred, "unknown_node", options)
    return process


def _rows_text(rows: list[int]) -> str:
    listed = ", ".join(str(r) for r in rows[:_ROWS_LISTED])
    return listed + (", …" if len(rows) > _ROWS_LISTED else "")


def add_grouped(
    findings: Findings,
    sheet: str,
    column: str,
    values: pd.Series,
    code: str,
    detail: object = "",
    known: pd.Series | None = None,
    severity: str | None = None,
) -> None:
    """One finding per distinct bad value, on its first row, naming the other rows with it.

    A wrong id or name typed (or filled down) on many rows is one slip: reporting it once, with
    the rows and the nearest known value, says what to fix without burying other findings.
    """
    candidates = [] if known is None else [str(v) for v in pd.unique(known.dropna())]
    groups = pd.Series(values.index, index=values.to_numpy()).groupby(level=0, sort=False)
    for i, (value, rows) in enumerate(groups):
        rows = [int(r) for r in rows]
        hints: list[Msg | None] = []
        if candidates and i < _SUGGEST_AT_MOST:
            hints.append(did_you_mean(value, candidates))
        if len(rows) > 1:
            more = rows[1:]
            hints.append(Msg("hint.same_rows", n=len(more), rows=_rows_text(more)))
        findings.add(
            sheet,
            rows[0],
            column,
            values.loc[rows[0]],
            code,
            detail,
            severity=severity,
            hint=tuple(h for h in hints if h),
        )


def _check_rule_inputs(findings: Findings, book: Workbook) -> None:
    """Error values in the Cases columns that Rules reads (extra columns are typed nowhere)."""
    cases, rules = book.table("Cases"), book.table("Rules")
    if cases is None or rules is None or book.cell_problems is False:
        return
    named = {schema.normalise_name(ref.header) for ref in rules.columns.values()}
    known = {col.name for col in schema.CASES.columns}
    for name, ref in cases.columns.items():
        if name in known or schema.normalise_name(ref.header) not in named:
            continue
        raw = cases.frame[name]
        mask = problem_cells(book, raw)
        if mask.any():
            report_problems(findings, "Cases", name, raw, mask, "bad_value")


def _check_references(
    findings: Findings,
    sheet: str,
    frame: pd.DataFrame,
    column: str,
    known: pd.Series,
    code: str,
    detail: object = "",
) -> None:
    values = frame[column]
    unknown = values.notna() & ~values.isin(known)
    if unknown.any():
        add_grouped(findings, sheet, column, values[unknown], code, detail, known)


def _check_log(
    findings: Findings,
    log: pd.DataFrame,
    cases: pd.DataFrame,
    process: pd.DataFrame,
    people_frame: pd.DataFrame,
    has_people: bool,
    edges: pd.DataFrame,
    as_of: pd.Timestamp,
) -> None:
    book = findings.book
    options = ", ".join(process["node"].dropna().drop_duplicates())
    if book.table("Cases") is not None:  # a missing sheet is one finding, not one per row
        _check_references(
            findings, "Log", log, "case_id", cases["case_id"].dropna(), "unknown_case"
        )
    if book.table("Process") is not None:
        _check_references(
            findings, "Log", log, "node", process["node"].dropna(), "unknown_node", options
        )
    if has_people:
        names = people_frame["name"].dropna()
        unknown = log["assignee"].notna() & ~log["assignee"].isin(names)
        if unknown.any():
            add_grouped(
                findings,
                "Log",
                "assignee",
                log.loc[unknown, "assignee"],
                "unknown_person",
                known=names,
                severity="warning",
            )
    backwards = (log["end"] < log["start"]).to_numpy()
    if backwards.any():
        detail = log.loc[backwards, "start"].dt.strftime("%Y-%m-%d %H:%M")
        detail = detail.map(lambda time: Msg("core.start_at", time=time))
        findings.add_rows(
            "Log", "end", book.frame("Log").loc[backwards, "end"], "end_before_start", detail
        )
    stamp = as_of.strftime("%Y-%m-%d %H:%M")
    for column in ("start", "end"):
        future = (log[column] > as_of).to_numpy()
        if future.any():
            findings.add_rows(
                "Log", column, book.frame("Log").loc[future, column], "future_time", stamp
            )
    open_rows = log[log["end"].isna() & log["start"].notna()]
    _duplicates(
        findings,
        "Log",
        "node",
        open_rows,
        ["case_id", "node"],
        "open_case_node",
    )
    _check_order(findings, log, edges)


def _check_order(findings: Findings, log: pd.DataFrame, edges: pd.DataFrame) -> None:
    """out_of_order: a row started before a predecessor's first end (or while it is still open)."""
    if edges.empty or log.empty:
        return
    rows = log[["case_id", "node", "start"]].dropna().reset_index()
    pred_rows = log[["case_id", "node", "end"]].dropna(subset=["case_id", "node"])
    first_end = pred_rows.groupby(["case_id", "node"], sort=False)["end"].min().rename("pred_end")
    linked = rows.merge(edges, on="node").merge(
        first_end, left_on=["case_id", "pred"], right_index=True
    )
    still_open = linked["pred_end"].isna()  # predecessor logged but never ended
    early = still_open | (linked["start"] < linked["pred_end"])
    for rec in linked[early].drop_duplicates("row").itertuples(index=False):
        findings.add("Log", int(rec.row), "start", rec.start, "out_of_order", f"“{rec.pred}”")


def _explained_by_a_wrong_reference(
    log: pd.DataFrame, cases: pd.DataFrame, process: pd.DataFrame, missing: pd.DataFrame
) -> np.ndarray:
    """Which (case_id, pred) gaps follow from an unknown_case / unknown_node already reported.

    A Log row whose case id is wrong leaves its case without that node, and a row whose node is
    misspelt leaves its case without the node meant: the root cause is reported once, so the gap
    it causes is not reported again. Gaps of cases that are not in Cases are folded the same way.
    """
    known_cases = set(cases["case_id"].dropna())
    known_nodes = set(process["node"].dropna())
    stray_case = log["case_id"].notna() & ~log["case_id"].isin(known_cases)
    stray_node = log["node"].notna() & ~log["node"].isin(known_nodes)
    nodes_on_stray_rows = set(log.loc[stray_case, "node"].dropna())
    cases_with_stray_node = set(log.loc[stray_node, "case_id"].dropna())
    return (
        ~missing["case_id"].isin(known_cases)
        | missing["pred"].isin(nodes_on_stray_rows)
        | missing["case_id"].isin(cases_with_stray_node)
    ).to_numpy()


def _check_skipped(
    findings: Findings,
    log: pd.DataFrame,
    cases: pd.DataFrame,
    process: pd.DataFrame,
    edges: pd.DataFrame,
) -> None:
    """skipped_required: a node ended while a required ancestor of it has no ended row."""
    required = set(process.loc[process["required"].astype(bool), "node"].dropna())
    if not required or edges.empty:
        return
    closure = ancestors(edges)
    closure = closure[closure["pred"].isin(required)]
    ended = log.loc[log["end"].notna(), ["case_id", "node"]].dropna().drop_duplicates()
    need = ended.merge(closure, on="node")[["case_id", "pred"]].drop_duplicates()
    have = ended.rename(columns={"node": "pred"}).assign(done=True)
    missing = need.merge(have, on=["case_id", "pred"], how="left")
    missing = missing[missing["done"].isna()]
    missing = missing[~_explained_by_a_wrong_reference(log, cases, process, missing)]
    if missing.empty:
        return
    case_rows = pd.Series(cases.index, index=cases["case_id"]).groupby(level=0).first()
    log_rows = pd.Series(log.index, index=log["case_id"]).groupby(level=0).first()
    for rec in missing.itertuples(index=False):
        if rec.case_id in case_rows.index:
            findings.add(
                "Cases",
                int(case_rows[rec.case_id]),
                "case_id",
                rec.case_id,
                "skipped_required",
                rec.pred,
            )
        else:
            findings.add(
                "Log",
                int(log_rows[rec.case_id]),
                "case_id",
                rec.case_id,
                "skipped_required",
                rec.pred,
            )


def _check_calendar_years(
    findings: Findings, log: pd.DataFrame, calendar: pd.DataFrame, as_of: pd.Timestamp
) -> None:
    """calendar_gap: a year Log times fall in has no Calendar row while other years have some.

    Years after as_of's are left out: those times are already `future_time` (typos, mostly).
    """
    covered = calendar["date"].dropna().dt.year.unique()
    if covered.size == 0:
        return
    times = pd.concat([log["start"], log["end"]]).dropna()
    years = np.unique(times.dt.year.to_numpy())
    missing = years[~np.isin(years, covered) & (years <= as_of.year)]
    for year in missing:
        findings.add("Calendar", None, None, int(year), "calendar_gap", str(int(year)))


def _names_taken(book: Workbook, findings: Findings) -> None:
    """The user's own columns and sheets named like sheetflow's outputs: kept, and said so."""
    titles = book.output_titles()
    for title in book.taken_titles:
        name = schema.output_sheet_for_title(title)
        ours = titles[name][0] if name in titles else ""
        findings.add(title, None, None, title, "name_taken", Msg("taken.sheet", ours=ours))
    for name in ("Log", "Cases"):
        table = book.table(name)
        if table is None:
            continue
        for ref in table.taken:
            detail = Msg("taken.column", header=ref.header)
            findings.add(name, 1, ref.header, ref.header, "name_taken", detail)


def _check_sheets_present(book: Workbook, findings: Findings) -> None:
    """missing_sheet for each required input sheet the book does not have."""
    for sheet in schema.INPUT_SHEETS:
        if sheet.required and book.table(sheet.name) is None:
            title = sheet.label(book.language)  # where it belongs: the book's name for it
            findings.add(title, None, None, None, "missing_sheet", Label(sheet))


def _check_people(findings: Findings, people_frame: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """Repeated names, managers and deputies naming nobody, deputy loops (SPEC §7)."""
    _duplicates(findings, "People", "name", people_frame, ["name"], "name")
    people.check_people(people_frame, findings)
    people.delegation_table(people_frame, as_of, findings)


def _check_sla_and_exceptions(
    findings: Findings, typed: dict[str, pd.DataFrame], process: pd.DataFrame
) -> None:
    """Nodes and cases SLA / Exceptions name, and their hours within bounds (typed in place)."""
    book = findings.book
    nodes = process["node"].dropna()
    options = ", ".join(nodes.drop_duplicates())
    for name in ("SLA", "Exceptions"):
        if book.table(name) is not None and book.table("Process") is not None:
            _check_references(findings, name, typed[name], "node", nodes, "unknown_node", options)
    exceptions = typed["Exceptions"]
    if book.table("SLA") is not None:
        typed["SLA"]["sla_hours"] = _bounded(findings, book, "SLA", typed["SLA"], "sla_hours", True)
    if book.table("Exceptions") is not None:
        exceptions["extend_hours"] = _bounded(
            findings, book, "Exceptions", exceptions, "extend_hours", positive=False
        )
    if book.table("Exceptions") is not None and book.table("Cases") is not None:
        known = typed["Cases"]["case_id"].dropna()
        _check_references(findings, "Exceptions", exceptions, "case_id", known, "unknown_case")


def check(book: Workbook, as_of: pd.Timestamp) -> Checked:
    """Type every sheet and run every check of SPEC §7 except the routing ones."""
    findings = Findings(book)
    _check_sheets_present(book, findings)
    _names_taken(book, findings)
    settings = read_settings(book, findings)
    unreadable: dict[tuple[str, str], np.ndarray] = {}
    typed = {
        sheet.name: type_sheet(book, sheet, findings, settings.timezone, unreadable)
        for sheet in schema.INPUT_SHEETS
        if sheet.name not in ("Rules", "Settings")
    }
    _check_rule_inputs(findings, book)
    process = _check_process(findings, book, typed["Process"])
    cases = typed["Cases"]
    cases["priority"] = cases["priority"].fillna("normal")
    _duplicates(findings, "Cases", "case_id", cases, ["case_id"], "case_id")
    edges = process_edges(process)
    people_frame = typed["People"]
    has_people = book.table("People") is not None
    _check_log(findings, typed["Log"], cases, process, people_frame, has_people, edges, as_of)
    _check_skipped(findings, typed["Log"], cases, process, edges)
    _check_calendar_years(findings, typed["Log"], typed["Calendar"], as_of)
    if has_people:
        _check_people(findings, people_frame, as_of)
    _check_sla_and_exceptions(findings, typed, process)
    exceptions = typed["Exceptions"]
    return Checked(
        process=process,
        cases=cases,
        log=typed["Log"],
        people=people_frame,
        calendar=typed["Calendar"],
        sla=typed["SLA"],
        exceptions=exceptions,
        rules=book.table("Rules"),
        settings=settings,
        findings=findings,
        edges=edges,
        unreadable=unreadable,
    )
