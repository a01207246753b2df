"""UNIQUE hit policy: which pairs of rules can match the same case, with an example (a witness).

Each test is turned into the set of values it accepts in its column's domain (intervals of
numbers or instants; finite or co-finite sets of text, enum codes or booleans); two rules overlap
when every input column's sets intersect. Pairs this cannot settle are looked for on the cases.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from sheetflow.core import i18n, schema
from sheetflow.core.decision.table import (
    LIST_SEPARATOR,
    OTHER,
    DecisionTable,
    InputColumn,
    Problem,
    case_terms,
    value_term,
)
from sheetflow.core.feel import values
from sheetflow.core.feel.unary import ORDERED, AnyValue, Between, NoneOf, OneOf, UnaryTest, literals
from sheetflow.core.feel.values import Literal
from sheetflow.core.findings import Join, Msg

_DAY_NS = 86_400 * 10**9
_INF = math.inf
_ENUM = "enum"
_FULL = ((-_INF, False, _INF, False),)

Part = tuple[float, bool, float, bool]  # (low, low closed, high, high closed)


@dataclass(frozen=True)
class _Intervals:
    parts: tuple[Part, ...]
    blank: bool


@dataclass(frozen=True)
class _Items:
    items: frozenset[object]
    cofinite: bool  # True: every value except `items`
    blank: bool


_Region = _Intervals | _Items


# --------------------------------------------------------------------------- intervals


def _nonempty(lo: float, lc: bool, hi: float, hc: bool) -> bool:
    return lo < hi or (lo == hi and lc and hc)


def _cut(a: Part, b: Part) -> Part | None:
    lo, lc = (a[0], a[1]) if a[0] > b[0] else (b[0], b[1]) if b[0] > a[0] else (a[0], a[1] and b[1])
    hi, hc = (a[2], a[3]) if a[2] < b[2] else (b[2], b[3]) if b[2] < a[2] else (a[2], a[3] and b[3])
    return (lo, lc, hi, hc) if _nonempty(lo, lc, hi, hc) else None


def _cut_all(a: Iterable[Part], b: Iterable[Part]) -> tuple[Part, ...]:
    b = list(b)
    return tuple(part for x in a for y in b if (part := _cut(x, y)) is not None)


def _complement_parts(parts: tuple[Part, ...]) -> tuple[Part, ...]:
    out: tuple[Part, ...] = _FULL
    for lo, lc, hi, hc in parts:
        outside = []
        if lo > -_INF:
            outside.append((-_INF, False, lo, not lc))
        if hi < _INF:
            outside.append((hi, not hc, _INF, False))
        out = _cut_all(out, outside)
    return out


def _point(literal: Literal, domain: str) -> Part | None:
    """The set a literal stands for as an interval: a point, or a whole day of instants."""
    if domain == values.NUMBER:
        value = literal.value if literal.kind == values.NUMBER else None
        if literal.kind == values.STRING:
            number = values.number_of(literal.value)
            value = None if math.isnan(number) else number
        return None if value is None else (value, True, value, True)  # type: ignore[return-value]
    if literal.kind == values.DATE:
        start = pd.Timestamp(literal.value).value  # type: ignore[arg-type]
        return (start, True, start + _DAY_NS, False)
    if literal.kind == values.DATETIME:
        stamp = pd.Timestamp(literal.value).value  # type: ignore[arg-type]
        return (stamp, True, stamp, True)
    return None


def _compare_parts(op: str, cell: Part) -> tuple[Part, ...]:
    lo, lc, hi, hc = cell
    below = (-_INF, False, lo, not lc)
    above = (hi, not hc, _INF, False)
    parts = {
        "=": (cell,),
        "<": (below,),
        "<=": ((-_INF, False, hi, hc),),
        ">": (above,),
        ">=": ((lo, lc, _INF, False),),
        "!=": (below, above),
    }[op]
    return tuple(p for p in parts if _nonempty(*p))


def _interval_region(test: UnaryTest, domain: str) -> _Intervals | None:
    if isinstance(test, AnyValue):
        return _Intervals(_FULL, True)
    if isinstance(test, (OneOf, NoneOf)):
        parts: tuple[Part, ...] = ()
        blank = False
        for t in test.tests:
            region = _interval_region(t, domain)
            if region is None:
                return None
            parts += region.parts
            blank = blank or region.blank
        if isinstance(test, NoneOf):
            return _Intervals(_complement_parts(parts), not blank)
        return _Intervals(parts, blank)
    if isinstance(test, Between):
        low, high = _point(test.low, domain), _point(test.high, domain)
        if low is None or high is None:
            return _Intervals((), False)
        lower = _compare_parts(">=" if test.low_closed else ">", low)
        upper = _compare_parts("<=" if test.high_closed else "<", high)
        return _Intervals(_cut_all(lower, upper), False)
    if test.literal.kind == values.NULL:
        return _Intervals((), True) if test.op == "=" else _Intervals(_FULL, False)
    cell = _point(test.literal, domain)
    if cell is None:
        return _Intervals(_FULL if test.op == "!=" else (), False)
    return _Intervals(_compare_parts(test.op, cell), False)


# --------------------------------------------------------------------------- sets of items


def _item_key(literal: Literal, domain: str, column: InputColumn) -> object:
    if domain == values.BOOL:
        if literal.kind == values.BOOL:
            return bool(literal.value)
        return bool(values.read_bools([literal.value])[0] == 1)
    text = values.text_key(
        literal.value if literal.kind == values.STRING else values.cell_text(literal.value)
    )
    if domain == _ENUM and column.enum is not None:
        return values.enum_code(column.enum, text) or text
    return text


def _universe(domain: str, column: InputColumn) -> frozenset[object] | None:
    if domain == values.BOOL:
        return frozenset({True, False})
    if domain == _ENUM and column.enum is not None:
        return frozenset(column.enum.codes)
    return None


def _finite(region: _Items, universe: frozenset[object] | None) -> _Items:
    if universe is not None and region.cofinite:
        return _Items(universe - region.items, False, region.blank)
    return region


def _union(a: _Items, b: _Items) -> _Items:
    blank = a.blank or b.blank
    if not a.cofinite and not b.cofinite:
        return _Items(a.items | b.items, False, blank)
    if a.cofinite and b.cofinite:
        return _Items(a.items & b.items, True, blank)
    finite, cofinite = (a, b) if not a.cofinite else (b, a)
    return _Items(cofinite.items - finite.items, True, blank)


def _item_region(test: UnaryTest, domain: str, column: InputColumn) -> _Items | None:
    universe = _universe(domain, column)
    if isinstance(test, AnyValue):
        return _finite(_Items(frozenset(), True, True), universe)
    if isinstance(test, (OneOf, NoneOf)):
        region = _Items(frozenset(), False, False)
        for t in test.tests:
            part = _item_region(t, domain, column)
            if part is None:
                return None
            region = _union(region, part)
        if isinstance(test, NoneOf):
            region = _Items(region.items, not region.cofinite, not region.blank)
        return _finite(region, universe)
    if isinstance(test, Between) or test.op in ORDERED:
        return None
    if test.literal.kind == values.NULL:
        region = _Items(frozenset(), test.op == "!=", test.op == "=")
    else:
        key = frozenset({_item_key(test.literal, domain, column)})
        region = _Items(key, test.op == "!=", False)
    return _finite(region, universe)


# --------------------------------------------------------------------------- witnesses


@lru_cache(maxsize=4096)
def _region(test: UnaryTest, domain: str, column: InputColumn) -> _Region | None:
    """What a test accepts in one domain; None when this analysis cannot tell."""
    if domain in (values.NUMBER, values.DATETIME):
        return _interval_region(test, domain)
    region = _item_region(test, domain, column)
    if region is not None and column.default is not None:
        # empty cells read as the default value, so no case is ever empty here
        region = _Items(region.items, region.cofinite, False)
    return region


def _domain(column: InputColumn, tests: Iterable[UnaryTest]) -> str | None:
    if column.enum is not None:
        return _ENUM
    if column.kind == schema.NUMBER:
        return values.NUMBER
    if column.kind in (schema.DATETIME, schema.DATE):
        return values.DATETIME
    kinds = {lit.kind for t in tests for lit in literals(t)} - {values.NULL}
    if kinds <= {values.NUMBER}:
        return values.NUMBER
    if kinds <= {values.DATE, values.DATETIME}:
        return values.DATETIME
    if kinds <= {values.BOOL}:
        return values.BOOL
    if kinds <= {values.STRING, values.NUMBER}:
        return values.STRING
    return None


def _pick(lo: float, lc: bool, hi: float, hc: bool, domain: str) -> float:
    """A readable value inside a non-empty interval (a round number, a whole day)."""
    step = _DAY_NS if domain == values.DATETIME else 1
    if lc and lo > -_INF:
        return lo
    if lo > -_INF:
        candidate = (math.floor(lo) if domain == values.NUMBER else lo) + step
        if candidate < hi or (candidate == hi and hc):
            return candidate
        return lo + (hi - lo) / 2 if domain == values.NUMBER else lo + (hi - lo) // 2
    if hi < _INF:
        return hi if hc else (math.ceil(hi) if domain == values.NUMBER else hi) - step
    return 0 if domain == values.NUMBER else pd.Timestamp("2000-01-01").value


def _witness(a: _Region, b: _Region, domain: str) -> tuple[bool, object]:
    """(overlap, an example value: None for empty, OTHER for any unnamed value)."""
    if isinstance(a, _Intervals) and isinstance(b, _Intervals):
        common = _cut_all(a.parts, b.parts)
        if common:
            value = _pick(*common[0], domain)
            return True, pd.Timestamp(int(value)) if domain == values.DATETIME else float(value)
        return (a.blank and b.blank), None
    assert isinstance(a, _Items) and isinstance(b, _Items)
    if not a.cofinite and not b.cofinite:
        common = a.items & b.items
    elif a.cofinite and b.cofinite:
        return True, OTHER
    else:
        finite, cofinite = (a, b) if not a.cofinite else (b, a)
        common = finite.items - cofinite.items
    if common:
        return True, sorted(common, key=str)[0]
    return (a.blank and b.blank), None


def _display_text(key: str, tests: Iterable[UnaryTest]) -> str:
    """The spelling a rule used for a text key (its case, its width)."""
    for test in tests:
        for lit in literals(test):
            text = lit.value if lit.kind == values.STRING else values.cell_text(lit.value)
            if values.text_key(text) == key:
                return str(text).strip()
    return key


def static_overlap(table: DecisionTable, a: int, b: int, lang: str = i18n.EN) -> str | None:
    """An example input both rules a and b match ("amount=6000, priority=urgent"), or None when
    they cannot both match or this analysis cannot tell; in `lang`."""
    example = overlap_example(table, a, b)
    return None if example is None else example.text(lang)


def overlap_example(table: DecisionTable, a: int, b: int) -> Join | None:
    """`static_overlap`'s example, worded when read."""
    example: list[object] = []
    unsure = False
    pairs = zip(table.inputs, table.rules[a].tests, table.rules[b].tests, strict=True)
    for column, test_a, test_b in pairs:
        if isinstance(test_a, AnyValue) and isinstance(test_b, AnyValue):
            continue
        domain = _domain(column, (test_a, test_b))
        region_a = _region(test_a, domain, column) if domain else None
        region_b = _region(test_b, domain, column) if domain else None
        if region_a is None or region_b is None:
            unsure = True
            continue
        overlap, value = _witness(region_a, region_b, domain)  # type: ignore[arg-type]
        if not overlap:
            return None
        if domain == values.STRING and isinstance(value, str):
            value = _display_text(value, (test_a, test_b))
        example.append((f"{column.header}=", value_term(value, column)))
    if unsure:
        return None
    return Join(tuple(example), LIST_SEPARATOR)


def _co_matching(matches: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of rules (a < b) that match at least one case together."""
    packed = np.ascontiguousarray(np.packbits(matches, axis=0).T)  # rules x bytes of cases
    pairs = []
    for a in range(len(packed) - 1):
        shared = (packed[a] & packed[a + 1 :]).any(axis=1)
        pairs.extend((a, a + 1 + int(b)) for b in np.flatnonzero(shared))
    return pairs


def _examples_on_cases(
    table: DecisionTable, matches: np.ndarray, cases: pd.DataFrame, known: set
) -> dict[tuple[int, int], Msg]:
    """Overlaps the static analysis could not settle, shown by the first case both match."""
    examples: dict[tuple[int, int], Msg] = {}
    several = np.flatnonzero(matches.sum(axis=1) > 1)
    if not len(several):
        return examples
    for a, b in _co_matching(matches[several]):
        if (a, b) in known:
            continue
        first = several[np.argmax(matches[several, a] & matches[several, b])]
        case_id = values.cell_text(cases["case_id"].iloc[first]) if "case_id" in cases else ""
        shown = case_terms(table, cases, first)
        examples[(int(a), int(b))] = Msg("rule.overlap_case", case_id=case_id, values=shown)
    return examples


def overlap_problems(
    table: DecisionTable, matches: np.ndarray, cases: pd.DataFrame
) -> list[Problem]:
    """One overlapping_rules finding per pair of rules that can match one case (UNIQUE)."""
    usable = [j for j, rule in enumerate(table.rules) if rule.usable]
    examples: dict[tuple[int, int], Join | Msg] = {}
    for a, b in itertools.combinations(usable, 2):
        example = overlap_example(table, a, b)
        if example is not None:
            examples[(a, b)] = example
    examples.update(_examples_on_cases(table, matches, cases, set(examples)))
    column = "rule" if table.has_rule_column else None
    problems = []
    for (a, b), example in sorted(examples.items()):
        rule = table.rules[b]
        everywhere = isinstance(example, Join) and not example.items  # no condition at all
        detail = Msg(
            "rule.overlap",
            a=table.rules[a].rule_id,
            b=rule.rule_id,
            example=Msg("rule.overlap_everywhere") if everywhere else example,
        )
        problems.append(
            Problem("Rules", rule.row, column, rule.rule_id, "overlapping_rules", detail)
        )
    return problems
