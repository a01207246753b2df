"""The Rules sheet as a DMN decision table: input columns, rules, the match matrix, hit policies.

Every cell is parsed once (`build_decision_table`); what cannot be used is kept once, as the
findings the table reports (`DecisionTable.problems`), and the rule never matches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core import i18n, schema, workbook
from sheetflow.core.feel.evaluate import ColumnView
from sheetflow.core.feel.parser import UnaryTestError, test_for_cell
from sheetflow.core.feel.unary import ANY, AnyValue, UnaryTest, is_ordered, literals, positives
from sheetflow.core.feel.values import (
    DATE,
    DATETIME,
    NULL,
    NUMBER,
    STRING,
    cell_text,
    enum_code,
    number_of,
)
from sheetflow.core.findings import EnumLabel, Findings, Join, Label, Msg, enum_labels, text_of
from sheetflow.core.workbook import Table, is_blank

FIRST = "FIRST"
UNIQUE = "UNIQUE"
COLLECT = "COLLECT"
RULE_ORDER = "RULE ORDER"

RULE_COLUMNS = ("rule", "approver_role", "approver", "note")
_DEFAULTS = {"priority": "normal"}  # what an empty Cases cell reads as (SPEC §1)
_EXAMPLES = Msg("core.allowed.feel")
_CANONICAL_CASES = frozenset(c.name for c in schema.CASES.columns)


@dataclass(frozen=True)
class Problem:
    """A finding of routing, as the arguments of `Findings.add` (words as catalog references)."""

    sheet: str
    row: int | None
    column: str | None
    value: object
    code: str
    detail: object = ""  # data or a `Msg` / `Join`, worded when the finding is read
    hint: Msg | None = None  # "did you mean …"
    reason: str | None = None  # a `reason.<key>` of messages/findings.toml replacing the message

    def add_to(self, findings: Findings) -> None:
        findings.add(
            self.sheet,
            self.row,
            self.column,
            self.value,
            self.code,
            self.detail,
            hint=self.hint,
            reason=self.reason,
        )


@dataclass(frozen=True)
class InputColumn:
    """A Rules input column and the Cases column it names (None when it names none)."""

    key: str  # name in Rules `table.columns` (its header text)
    header: str
    case_column: str | None
    enum: schema.Enum | None
    kind: str | None  # schema kind of a canonical Cases column; None for extra columns
    default: str | None = None  # what an empty cell reads as (priority: normal, SPEC §1)


@dataclass(frozen=True)
class Rule:
    row: int  # Excel row in Rules
    rule_id: str
    tests: tuple[UnaryTest, ...]  # one per input column
    cells: tuple[object, ...]  # the cells as read
    approver_role: str | None
    approver: str | None
    usable: bool = True  # False: a cell cannot be read or can never fit (see the findings)

    @property
    def texts(self) -> tuple[str, ...]:
        """The cells as a person reads them."""
        return tuple(cell_text(v) for v in self.cells)


@dataclass(frozen=True)
class DecisionTable:
    inputs: tuple[InputColumn, ...]
    rules: tuple[Rule, ...]
    has_rule_column: bool = True
    problems: tuple[Problem, ...] = ()  # unknown input columns, unreadable or unfit cells


@dataclass(frozen=True)
class CellProblem:
    """Why a Rules cell cannot be used: the finding's detail and the reason explain shows
    (catalog references, worded by `text_of` in the reader's language)."""

    detail: object
    reason: object


# A list of choices in a rule's message: `, ` in English, `、` in Chinese.
LIST_SEPARATOR = Msg("list_separator")


def _kind_hint(test: UnaryTest, column: InputColumn) -> object | None:
    """What a typed Cases column (enum, number, date) accepts, when `test` can never fit it."""
    values = [lit for lit in literals(test) if lit.kind != NULL]
    if column.enum is not None:
        unknown = [
            lit
            for lit in values
            if enum_code(column.enum, lit.value if lit.kind == STRING else cell_text(lit.value))
            is None
        ]
        if any(is_ordered(t) for t in positives(test)) or unknown:
            return enum_labels(column.enum)
        return None
    if column.kind == schema.NUMBER:
        if all(
            lit.kind == NUMBER or (lit.kind == STRING and not math.isnan(number_of(lit.value)))
            for lit in values
        ):
            return None
        return Msg("rule.number_expected")
    if column.kind in (schema.DATETIME, schema.DATE):
        if all(lit.kind in (DATE, DATETIME) for lit in values):
            return None
        return Msg("rule.date_expected")
    return None


def read_cell(column: InputColumn, value: object) -> tuple[UnaryTest, CellProblem | None]:
    """A Rules input cell -> its test (ANY when unreadable) and why it cannot be used, if so."""
    try:
        test = test_for_cell(value)
    except UnaryTestError as exc:
        reason = Msg(f"feel.{exc.key}", **exc.params)
        detail = Msg("rule.feel_expected", examples=_EXAMPLES, reason=reason)
        return ANY, CellProblem(detail, reason)
    hint = _kind_hint(test, column)
    if hint is None:
        return test, None
    return test, CellProblem(hint, Msg("rule.use_one_of", values=hint))


def _case_columns(cases: pd.DataFrame) -> dict[str, str]:
    """Normalised Cases header (canonical, zh alias or extra header) -> Cases frame column."""
    found: dict[str, str] = {}
    for name in map(str, cases.columns):
        found.setdefault(schema.normalise_name(name), name)
        if name in _CANONICAL_CASES:
            found.setdefault(schema.normalise_name(schema.CASES.column(name).zh), name)
    return found


def _input_columns(rules: Table, cases: pd.DataFrame) -> tuple[list[InputColumn], list[Problem]]:
    """The input columns of Rules, and a finding for each that names no Cases column."""
    lookup = _case_columns(cases)
    inputs: list[InputColumn] = []
    problems: list[Problem] = []
    for key, ref in sorted(rules.columns.items(), key=lambda item: item[1].index):
        if key in RULE_COLUMNS:
            continue
        case_column = lookup.get(schema.normalise_name(ref.header)) or lookup.get(
            schema.normalise_name(key)
        )
        canonical = schema.CASES.column(case_column) if case_column in _CANONICAL_CASES else None
        inputs.append(
            InputColumn(
                key,
                ref.header,
                case_column,
                canonical.enum if canonical is not None else None,
                canonical.kind if canonical is not None else None,
                _DEFAULTS.get(case_column or ""),
            )
        )
        if case_column is None:
            names = tuple(
                Label(schema.CASES.column(c)) if c in _CANONICAL_CASES else c
                for c in map(str, cases.columns)
            )
            detail = Msg("rule.unknown_column", names=Join(names, LIST_SEPARATOR))
            problems.append(Problem("Rules", 1, key, ref.header, "bad_value", detail))
    return inputs, problems


def _optional_text(values: np.ndarray | None, i: int) -> str | None:
    if values is None or is_blank(values[i]):
        return None
    return cell_text(values[i])


def _read_rules(frame: pd.DataFrame, inputs: list[InputColumn]) -> tuple[list[Rule], list[Problem]]:
    """Every rule row parsed; a row with no approver, role or condition (a heading) is none."""
    columns = {c.key: frame[c.key].to_numpy(dtype=object) for c in inputs}
    extras = {
        name: frame[name].to_numpy(dtype=object) if name in frame.columns else None
        for name in ("rule", "approver_role", "approver")
    }
    rules: list[Rule] = []
    problems: list[Problem] = []
    for i, row in enumerate(frame.index):
        role = _optional_text(extras["approver_role"], i)
        approver = _optional_text(extras["approver"], i)
        cells = tuple(columns[c.key][i] for c in inputs)
        if role is None and approver is None and all(is_blank(v) for v in cells):
            continue
        tests: list[UnaryTest] = []
        usable = True
        for column, value in zip(inputs, cells, strict=True):
            if isinstance(value, workbook.CellProblem):  # #REF! or an uncalculated formula
                tests.append(ANY)
                usable = False
                reason = (
                    "cell_error"
                    if isinstance(value, workbook.CellError)
                    else ("formula_uncalculated")
                )
                problems.append(
                    Problem(
                        "Rules",
                        int(row),
                        column.key,
                        str(value),
                        "bad_value",
                        str(value),
                        reason=reason,
                    )
                )
                continue
            test, problem = read_cell(column, value)
            tests.append(test)
            if problem is not None:
                usable = False
                problems.append(
                    Problem("Rules", int(row), column.key, value, "bad_value", problem.detail)
                )
        rule_id = _optional_text(extras["rule"], i) or f"R{row}"
        rules.append(Rule(int(row), rule_id, tuple(tests), cells, role, approver, usable))
    return rules, problems


def build_decision_table(rules: Table, cases: pd.DataFrame, lang: str = i18n.EN) -> DecisionTable:
    """Parse every Rules cell once; unreadable cells and unknown input columns become problems.

    rules: the raw Rules table. cases: the typed Cases frame (for its column names).
    lang: unused (the problems are worded when read); kept for callers that pass it.
    """
    inputs, column_problems = _input_columns(rules, cases)
    parsed, cell_problems = _read_rules(rules.frame, inputs)
    return DecisionTable(
        tuple(inputs), tuple(parsed), rules.has("rule"), tuple(column_problems + cell_problems)
    )


def column_views(table: DecisionTable, cases: pd.DataFrame) -> list[ColumnView]:
    """One view per input column over `cases`; a column naming no Cases column reads as empty."""
    empty = pd.Series(None, index=cases.index, dtype=object)
    views = []
    for column in table.inputs:
        values = cases[column.case_column] if column.case_column is not None else empty
        if column.default is not None:
            values = values.astype(object).where(values.notna(), column.default)
        views.append(ColumnView(values, column.enum))
    return views


def match_matrix(table: DecisionTable, cases: pd.DataFrame) -> np.ndarray:
    """Bool matrix (cases x rules): rule j matches case i. An input naming no Cases column reads
    as empty for every case; an unusable rule matches nothing."""
    views = column_views(table, cases)
    matrix = np.zeros((len(cases), len(table.rules)), dtype=bool, order="F")
    for j, rule in enumerate(table.rules):
        if not rule.usable:
            continue
        hit = np.ones(len(cases), dtype=bool)
        for view, test in zip(views, rule.tests, strict=True):
            if not isinstance(test, AnyValue):
                hit &= view.mask(test)
        matrix[:, j] = hit
    return matrix


def normalise_hit_policy(text: object) -> str:
    """FIRST, UNIQUE, COLLECT or RULE ORDER from a setting (DMN letters and zh names too)."""
    if is_blank(text):
        return FIRST
    return schema.HIT_POLICY.lookup().get(schema.normalise_token(text), FIRST)


def select(matches: np.ndarray, policy: str) -> tuple[np.ndarray, np.ndarray]:
    """(case positions, rule positions) of the winning rules, in case order then rule order.

    UNIQUE with several matches (an error reported as overlapping_rules) uses the first.
    """
    if policy in (COLLECT, RULE_ORDER):
        case_pos, rule_pos = np.nonzero(np.ascontiguousarray(matches))
        return case_pos, rule_pos
    if matches.shape[1] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    case_pos = np.flatnonzero(matches.any(axis=1))
    return case_pos, matches.argmax(axis=1)[case_pos]


# A value that stands for every value but the ones named (two not(...) tests share it).
OTHER = object()


def value_term(value: object, column: InputColumn | None) -> object:
    """A case's value as a person reads it, worded later: enum labels, (empty) for a blank."""
    if value is None or (not isinstance(value, str) and value is not OTHER and pd.isna(value)):
        return Msg("rule.value_empty")
    if value is OTHER:
        return Msg("rule.value_other")
    if column is not None and column.enum is not None and isinstance(value, str):
        return EnumLabel(column.enum, enum_code(column.enum, value) or value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return cell_text(value)


def show_value(value: object, column: InputColumn | None, lang: str) -> str:
    """A case's value as a person reads it in `lang`: enum labels, (empty) for a blank."""
    return str(text_of(value_term(value, column), lang))


def case_terms(table: DecisionTable, cases: pd.DataFrame, pos: int) -> Join:
    """`amount=100, priority=urgent`: the inputs of the case at position `pos`, worded later."""
    parts = []
    for column in table.inputs:
        value = cases[column.case_column].iloc[pos] if column.case_column is not None else None
        parts.append((f"{column.header}=", value_term(value, column)))
    return Join(tuple(parts), LIST_SEPARATOR)


def case_values(table: DecisionTable, cases: pd.DataFrame, pos: int, lang: str) -> str:
    """`amount=100, priority=urgent`: the inputs of the case at position `pos`, in `lang`."""
    return case_terms(table, cases, pos).text(lang)
