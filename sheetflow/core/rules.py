"""Approval routing (SPEC §4): FEEL simple unary tests, the Rules decision table, hit policies.

A Rules cell is parsed once into a small AST (`parse_unary_test`); `evaluate` applies it to a
whole Cases column and returns a boolean mask. `route` matches every case against every rule at
once, picks the winning rule(s) by hit policy, looks the approver up by role (department first,
then the fewest open cases so far) and hands it to the deputy of an away person.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from sheetflow.core import schema
from sheetflow.core.findings import Findings
from sheetflow.core.people import (
    PeopleIndex,
    as_of_day,
    delegation_table,
    index_people,
    is_loop,
    resolve_delegate,
)
from sheetflow.core.workbook import CellError, CellProblem, Table, is_blank

# Literal kinds.
NUMBER = "number"
STRING = "string"
DATE = "date"  # a calendar day: equality and comparisons look at the day of a datetime
DATETIME = "datetime"  # an instant
BOOL = "bool"
NULL = "null"  # FEEL null: an empty cell

FIRST = "FIRST"
UNIQUE = "UNIQUE"
COLLECT = "COLLECT"
RULE_ORDER = "RULE ORDER"

RULE_COLUMNS = ("rule", "approver_role", "approver", "note")
ROUTE_COLUMNS = ["case_id", "approver_role", "approver", "delegated_from", "rule", "case_row"]

_DAY_NS = 86_400 * 10**9
_ORDERED = ("<", "<=", ">", ">=")


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Literal:
    """One value written in a test: kind is NUMBER, STRING, DATE, DATETIME, BOOL or NULL."""

    kind: str
    value: object  # float | str | pd.Timestamp | bool | None

    def __str__(self) -> str:
        if self.kind == NUMBER:
            return _fmt_number(self.value)  # type: ignore[arg-type]
        if self.kind == STRING:
            return f'"{self.value}"'
        if self.kind in (DATE, DATETIME):
            return _fmt_instant(self.value)  # type: ignore[arg-type]
        if self.kind == BOOL:
            return "true" if self.value else "false"
        return "null"


@dataclass(frozen=True)
class AnyValue:
    """Empty cell or `-`: matches every value, empty ones too."""

    def __str__(self) -> str:
        return "-"


@dataclass(frozen=True)
class Compare:
    """`op literal`; a bare literal is `=`. `!=` (also `<>`, `≠`) is accepted as a courtesy."""

    op: str
    literal: Literal

    def __str__(self) -> str:
        return str(self.literal) if self.op == "=" else f"{self.op} {self.literal}"


@dataclass(frozen=True)
class Between:
    """`[low..high]` with each end inclusive or not."""

    low: Literal
    high: Literal
    low_closed: bool
    high_closed: bool

    def __str__(self) -> str:
        opener = "[" if self.low_closed else "("
        closer = "]" if self.high_closed else ")"
        return f"{opener}{self.low}..{self.high}{closer}"


@dataclass(frozen=True)
class OneOf:
    """A list: matches when any of its tests does."""

    tests: tuple[Compare | Between, ...]

    def __str__(self) -> str:
        return ", ".join(str(t) for t in self.tests)


@dataclass(frozen=True)
class NoneOf:
    """`not(...)`: matches when none of its tests does (empty values included)."""

    tests: tuple[Compare | Between, ...]

    def __str__(self) -> str:
        return f"not({', '.join(str(t) for t in self.tests)})"


UnaryTest = AnyValue | Compare | Between | OneOf | NoneOf
ANY = AnyValue()


# --------------------------------------------------------------------------- parser

_PARSE_ERRORS: dict[str, tuple[str, str]] = {
    "unexpected": ('unexpected "{char}" at position {pos}', "第{pos}个字符“{char}”无法识别"),
    "unclosed_quote": ("a quote is not closed", "引号未闭合"),
    "missing_value": ("a value is missing at position {pos}", "第{pos}个字符处缺少值"),
    "range_dots": (
        'a range needs ".." between its ends, like [5000..50000]',
        "范围两端之间需要“..”，如 [5000..50000]",
    ),
    "range_close": ("the range is not closed with ], ) or [", "范围缺少结尾的 ]、) 或 ["),
    "range_kind": (
        "both ends of a range must be numbers, or both dates",
        "范围两端必须都是数字或都是日期",
    ),
    "range_order": (
        "the range starts above its end ({low} > {high})",
        "范围起点大于终点（{low} > {high}）",
    ),
    "compare_kind": (
        '"{op}" needs a number or a date, not {value}',
        "“{op}”后面必须是数字或日期，而不是 {value}",
    ),
    "bad_date": ("{value} is not a valid date", "{value} 不是有效日期"),
    "not_close": ('not(...) is missing its closing ")"', "not(...) 缺少右括号"),
    "not_nested": ("not(...) must wrap the whole cell", "not(...) 必须包住整个单元格"),
    "dash_alone": ('"-" (anything) must be alone in its cell', "“-”（任意值）必须单独填写"),
}


class UnaryTestError(ValueError):
    """A cell that is not a FEEL simple unary test; `reason(lang)` says why."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.reason(schema.EN))

    def reason(self, lang: str) -> str:
        en, zh = _PARSE_ERRORS[self.key]
        return (zh if lang == schema.ZH else en).format(**self.params)


_QUOTES = frozenset('"“”＂')
# Punctuation a Chinese keyboard types; full-width ASCII (U+FF01-FF5E) is folded separately.
_PUNCTUATION = {
    "、": ",",
    "【": "[",
    "】": "]",
    "〔": "[",
    "〕": "]",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "…": "..",
    "\u3000": " ",
}
_DASHES = frozenset({"-", "－", "—", "–", "−"})
_NOT = re.compile(r"\s*not\s*\(", re.IGNORECASE)
_OP = re.compile(r"<=|>=|!=|<>|<|>|=")
_FUNC = re.compile(r"(date\s+and\s+time|date)\s*\(", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?|[+-]?\.\d+")
_THOUSANDS_HEAD = re.compile(r"[+-]?\d{1,3}(?:,\d{3})*")
_DATE = re.compile(
    r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


def _syntax_text(text: str) -> str:
    """Fold full-width and Chinese punctuation to ASCII outside quotes; quotes become `"`."""
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _QUOTES:
            out.append('"')
            quoted = not quoted
        elif quoted:
            out.append(ch)
        elif text.startswith("。。", i):
            out.append("..")
            i += 1
        elif ch in _PUNCTUATION:
            out.append(_PUNCTUATION[ch])
        elif "\uff01" <= ch <= "\uff5e":
            out.append(chr(ord(ch) - 0xFEE0))
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _date_parts(text: str) -> tuple[pd.Timestamp, bool] | None:
    """An ISO-like date or date-time text -> (timestamp, has a time); None when not one."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups()
    try:
        stamp = pd.Timestamp(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    return stamp, hour is not None


def _classify(raw: str) -> Literal:
    """An unquoted token -> number, date, boolean, null or (otherwise) string literal."""
    text = unicodedata.normalize("NFKC", raw).strip()
    lower = text.lower()
    if text in _DASHES:
        raise UnaryTestError("dash_alone")
    if lower in ("true", "false"):
        return Literal(BOOL, lower == "true")
    if lower == "null":
        return Literal(NULL, None)
    if _NUMBER.fullmatch(text):
        return Literal(NUMBER, float(text.replace(",", "")))
    if _DATE.fullmatch(text):
        parts = _date_parts(text)
        if parts is None:
            raise UnaryTestError("bad_date", value=raw)
        stamp, has_time = parts
        return Literal(DATETIME if has_time else DATE, stamp)
    return Literal(STRING, raw.strip())


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _at_end(self) -> bool:
        self._skip()
        return self.pos >= len(self.text)

    def _unexpected(self) -> UnaryTestError:
        return UnaryTestError("unexpected", char=self.text[self.pos], pos=self.pos + 1)

    def parse(self) -> UnaryTest:
        if self.text.strip() in _DASHES or not self.text.strip():
            return ANY
        match = _NOT.match(self.text)
        if match:
            self.pos = match.end()
            tests = self._tests(")")
            self._skip()
            if self.text[self.pos : self.pos + 1] != ")":
                raise UnaryTestError("not_close")
            self.pos += 1
            if not self._at_end():
                raise self._unexpected()
            return NoneOf(tests)
        tests = self._tests("")
        if not self._at_end():
            raise self._unexpected()
        return tests[0] if len(tests) == 1 else OneOf(tests)

    def _tests(self, closing: str) -> tuple[Compare | Between, ...]:
        items = [self._positive(closing)]
        while True:
            self._skip()
            if self.text[self.pos : self.pos + 1] != ",":
                return tuple(items)
            self.pos += 1
            items.append(self._positive(closing))

    def _positive(self, closing: str) -> Compare | Between:
        self._skip()
        if self.pos >= len(self.text) or self.text[self.pos] in "," + closing:
            raise UnaryTestError("missing_value", pos=self.pos + 1)
        if _NOT.match(self.text, self.pos):
            raise UnaryTestError("not_nested")
        match = _OP.match(self.text, self.pos)
        if match:
            op = "!=" if match.group() == "<>" else match.group()
            self.pos = match.end()
            literal = self._literal(self._list_stops(closing))
            if op in _ORDERED and literal.kind not in (NUMBER, DATE, DATETIME):
                raise UnaryTestError("compare_kind", op=op, value=str(literal))
            return Compare(op, literal)
        if self.text[self.pos] in "[(]":
            return self._range()
        return Compare("=", self._literal(self._list_stops(closing)))

    @staticmethod
    def _list_stops(closing: str) -> tuple[str, ...]:
        return (",", closing) if closing else (",",)

    def _range(self) -> Between:
        opener = self.text[self.pos]
        self.pos += 1
        low = self._literal(("..",))
        self._skip()
        if not self.text.startswith("..", self.pos):
            raise UnaryTestError("range_dots")
        self.pos += 2
        high = self._literal(("]", ")", "["))
        self._skip()
        closer = self.text[self.pos : self.pos + 1]
        if closer not in ("]", ")", "["):
            raise UnaryTestError("range_close")
        self.pos += 1
        kinds = {low.kind, high.kind}
        if not (kinds == {NUMBER} or kinds <= {DATE, DATETIME}):
            raise UnaryTestError("range_kind")
        if low.value > high.value:  # type: ignore[operator]
            raise UnaryTestError("range_order", low=str(low), high=str(high))
        return Between(low, high, opener == "[", closer == "]")

    def _quoted(self) -> str:
        end = self.text.find('"', self.pos + 1)
        if end < 0:
            raise UnaryTestError("unclosed_quote")
        value = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return value

    def _literal(self, stops: tuple[str, ...]) -> Literal:
        """A value; an unquoted one runs up to the first stop (a comma, `..`, a bracket)."""
        self._skip()
        if self.pos >= len(self.text):
            raise UnaryTestError("missing_value", pos=self.pos + 1)
        if self.text[self.pos] == '"':
            return Literal(STRING, self._quoted())
        match = _FUNC.match(self.text, self.pos)
        if match:
            return self._date_function(match)
        start = self.pos
        while self.pos < len(self.text):
            if any(self.text.startswith(s, self.pos) for s in stops):
                if self.text[self.pos] == "," and self._thousands(start):
                    self.pos += 1
                    continue
                break
            self.pos += 1
        raw = self.text[start : self.pos]
        if not raw.strip():
            raise UnaryTestError("missing_value", pos=start + 1)
        return _classify(raw)

    def _thousands(self, start: int) -> bool:
        """A comma inside 50,000 (no space, then exactly three digits) is not a list separator."""
        head = self.text[start : self.pos].strip()
        tail = self.text[self.pos + 1 : self.pos + 5]
        return bool(
            _THOUSANDS_HEAD.fullmatch(head)
            and re.match(r"\d{3}(?!\d)", tail)
            and not self.text[self.pos - 1].isspace()
        )

    def _expect(self, char: str) -> None:
        self._skip()
        if self.text[self.pos : self.pos + 1] == char:
            return
        if self.pos < len(self.text):
            raise self._unexpected()
        raise UnaryTestError("missing_value", pos=self.pos + 1)

    def _date_function(self, match: re.Match[str]) -> Literal:
        self.pos = match.end()
        self._expect('"')
        raw = self._quoted()
        self._expect(")")
        self.pos += 1
        parts = _date_parts(unicodedata.normalize("NFKC", raw))
        if parts is None:
            raise UnaryTestError("bad_date", value=raw)
        stamp, has_time = parts
        with_time = has_time or " and " in match.group(1).lower()
        return Literal(DATETIME if with_time else DATE, stamp)


def parse_unary_test(text: str) -> UnaryTest:
    """Parse one FEEL simple unary test (SPEC §4); raises `UnaryTestError` (a ValueError).

    text: the cell text; full-width punctuation and Chinese quotes are accepted.
    """
    return _Parser(_syntax_text(str(text))).parse()


def test_for_cell(value: object) -> UnaryTest:
    """A Rules input cell as read (str, number, bool, datetime, None) -> its test."""
    if is_blank(value):
        return ANY
    if isinstance(value, (bool, np.bool_)):
        return Compare("=", Literal(BOOL, bool(value)))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return Compare("=", Literal(NUMBER, float(value)))
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        stamp = pd.Timestamp(value)
        midnight = stamp == stamp.normalize()
        return Compare("=", Literal(DATE if midnight else DATETIME, stamp))
    return parse_unary_test(str(value))


def cell_text(value: object) -> str:
    """A cell as a person reads it: 5000.0 -> 5000, datetimes in ISO form, blank -> ''."""
    if is_blank(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _fmt_number(float(value))
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return _fmt_instant(pd.Timestamp(value))
    return str(value).strip()


# --------------------------------------------------------------------------- evaluation


def _fmt_number(value: float) -> str:
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}" if abs(value) >= 1e15 else repr(value)


def _fmt_instant(stamp: pd.Timestamp) -> str:
    if stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%d %H:%M" if stamp.second == 0 else "%Y-%m-%d %H:%M:%S")


def _norm_text(text: object) -> str:
    """Strings compare trimmed, case-insensitively, full-width folded (NFKC)."""
    return schema.normalise_name(unicodedata.normalize("NFKC", str(text)))


def _value_text(value: object) -> str | None:
    if is_blank(value) or value is pd.NaT:
        return None
    return _norm_text(cell_text(value))


def _value_number(value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or is_blank(value):
        return math.nan
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if _NUMBER.fullmatch(text):
            return float(text.replace(",", ""))
    return math.nan


def _value_instant(value: object) -> np.datetime64:
    nat = np.datetime64("NaT", "ns")
    if value is pd.NaT or is_blank(value):
        return nat
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)
        return stamp.to_datetime64().astype("datetime64[ns]")
    if isinstance(value, str):
        parts = _date_parts(unicodedata.normalize("NFKC", value))
        if parts is not None:
            return parts[0].to_datetime64().astype("datetime64[ns]")
    return nat


_YES_NO = schema.YES_NO.lookup()


def _enum_code(enum: schema.Enum, text: str) -> str | None:
    """The canonical code a spelling (any case, full-width too) stands for, if any."""
    return enum.lookup().get(schema.normalise_token(unicodedata.normalize("NFKC", text)))


def _value_bool(value: object) -> int:
    """1 true, 0 false, -1 neither (yes/no, 是/否, 1/0 and true/false all count)."""
    if isinstance(value, (bool, np.bool_)):
        return int(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return int(value)
    if isinstance(value, str):
        code = _YES_NO.get(schema.normalise_token(value))
        if code is not None:
            return int(code == "yes")
    return -1


class ColumnView:
    """One Cases column made ready for tests: conversions are computed once, on unique values."""

    def __init__(self, values: pd.Series, enum: schema.Enum | None = None) -> None:
        self.series = values
        self.enum = enum
        self.size = len(values)
        self._cache: dict[UnaryTest, np.ndarray] = {}
        dtype = values.dtype
        self._datetime = pd.api.types.is_datetime64_any_dtype(dtype)
        self._numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
            dtype
        )

    @cached_property
    def _factors(self) -> tuple[np.ndarray, list[object]]:
        if self._numeric:
            codes, uniques = pd.factorize(self.series.to_numpy(dtype=float, na_value=np.nan))
        else:
            codes, uniques = pd.factorize(self.series.to_numpy(dtype=object))
        return codes, list(uniques)

    def _per_unique(
        self, convert: Callable[[object], object], dtype: object, missing: object
    ) -> np.ndarray:
        codes, uniques = self._factors
        table = np.array([convert(u) for u in uniques] + [missing], dtype=dtype)
        return table[codes]  # code -1 (missing) picks the appended last entry

    @cached_property
    def blank(self) -> np.ndarray:
        if self._numeric:
            return np.isnan(self.numbers)
        if self._datetime:
            return np.isnat(self.instants)
        return self._per_unique(lambda v: _value_text(v) is None, bool, True)

    @cached_property
    def numbers(self) -> np.ndarray:
        if self._numeric:
            return self.series.to_numpy(dtype=float, na_value=np.nan)
        if self._datetime:
            return np.full(self.size, np.nan)
        return self._per_unique(_value_number, float, np.nan)

    @cached_property
    def instants(self) -> np.ndarray:
        if self._datetime:
            values = self.series
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                values = values.dt.tz_localize(None)
            return values.to_numpy(dtype="datetime64[ns]")
        if self._numeric:
            return np.full(self.size, np.datetime64("NaT", "ns"))
        return self._per_unique(_value_instant, "datetime64[ns]", np.datetime64("NaT", "ns"))

    @cached_property
    def days(self) -> np.ndarray:
        return self.instants.astype("datetime64[D]")

    @cached_property
    def bools(self) -> np.ndarray:
        return self._per_unique(_value_bool, np.int8, -1)

    @cached_property
    def _keys(self) -> list[str | None]:
        """Per unique value: its enum code (enum columns) or its normalised text."""
        _, uniques = self._factors
        texts = [_value_text(u) for u in uniques]
        if self.enum is None:
            return texts
        return [None if t is None else _enum_code(self.enum, t) or t for t in texts]

    def _key_of(self, literal: Literal) -> str:
        text = _norm_text(cell_text(literal.value) if literal.kind != STRING else literal.value)
        if self.enum is None:
            return text
        return _enum_code(self.enum, text) or text

    def _in(self, literals: Iterable[Literal]) -> np.ndarray:
        wanted = {self._key_of(lit) for lit in literals}
        codes, _ = self._factors
        hits = np.array([k in wanted for k in self._keys] + [False], dtype=bool)
        return hits[codes]

    def mask(self, test: UnaryTest) -> np.ndarray:
        """Boolean mask of the values `test` accepts (cached per test)."""
        hit = self._cache.get(test)
        if hit is None:
            hit = self._mask(test)
            self._cache[test] = hit
        return hit

    def _mask(self, test: UnaryTest) -> np.ndarray:
        if isinstance(test, AnyValue):
            return np.ones(self.size, dtype=bool)
        if isinstance(test, NoneOf):
            return ~self._any(test.tests)
        if isinstance(test, OneOf):
            return self._any(test.tests)
        if isinstance(test, Between):
            low = self._compare(">=" if test.low_closed else ">", test.low)
            return low & self._compare("<=" if test.high_closed else "<", test.high)
        return self._compare(test.op, test.literal)

    def _any(self, tests: tuple[Compare | Between, ...]) -> np.ndarray:
        # Text equalities of a list are one set lookup rather than one pass each.
        texts = [
            t.literal
            for t in tests
            if isinstance(t, Compare) and t.op == "=" and self._by_key(t.literal)
        ]
        out = self._in(texts) if texts else np.zeros(self.size, dtype=bool)
        for t in tests:
            if not (isinstance(t, Compare) and t.op == "=" and self._by_key(t.literal)):
                out |= self.mask(t)
        return out

    def _by_key(self, literal: Literal) -> bool:
        """Whether equality with this literal is a lookup of text (or enum code) keys."""
        if literal.kind == NULL:
            return False
        if self.enum is not None:
            return True
        return literal.kind == STRING and not (self._numeric and self._as_number(literal))

    @staticmethod
    def _as_number(literal: Literal) -> Literal | None:
        number = _value_number(literal.value)
        return None if math.isnan(number) else Literal(NUMBER, number)

    def _compare(self, op: str, literal: Literal) -> np.ndarray:
        if literal.kind == STRING and self._numeric and self.enum is None:
            # "5000" against a number column compares as the number
            literal = self._as_number(literal) or literal
        if literal.kind == NULL:
            return self.blank.copy() if op == "=" else ~self.blank
        if op == "!=":
            return ~self._compare("=", literal) & ~self.blank
        if op == "=" and self._by_key(literal):
            return self._in([literal])
        if literal.kind == BOOL:
            return self.bools == int(bool(literal.value)) if op == "=" else self._none()
        if literal.kind == NUMBER:
            left, right = self.numbers, float(literal.value)  # type: ignore[arg-type]
        elif literal.kind == DATE:
            left = self.days
            right = np.datetime64(pd.Timestamp(literal.value).date(), "D")  # type: ignore[arg-type]
        elif literal.kind == DATETIME:
            left = self.instants
            right = pd.Timestamp(literal.value).to_datetime64()  # type: ignore[arg-type]
        else:
            return self._none()
        if op == "=":
            return left == right
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right

    def _none(self) -> np.ndarray:
        return np.zeros(self.size, dtype=bool)


def evaluate(
    test: UnaryTest | str, values: pd.Series, enum: schema.Enum | None = None
) -> np.ndarray:
    """Boolean mask of the `values` a unary test matches, for the whole column at once.

    test: a parsed test or a cell text. enum: the column's Enum, so that labels match codes.
    """
    parsed = parse_unary_test(test) if isinstance(test, str) else test
    return ColumnView(values, enum).mask(parsed)


# --------------------------------------------------------------------------- decision table


def _t(lang: str, en: str, zh: str) -> str:
    return zh if lang == schema.ZH else en


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
class Problem:
    """Why a rule cannot be used: the column and the reason in both languages."""

    column: str
    en: str
    zh: str


@dataclass(frozen=True)
class Rule:
    row: int  # Excel row in Rules
    rule_id: str
    tests: tuple[UnaryTest, ...]  # one per input column
    texts: tuple[str, ...]  # the cells as written
    approver_role: str | None
    approver: str | None
    problems: tuple[Problem, ...] = ()

    @property
    def usable(self) -> bool:
        return not self.problems


@dataclass
class DecisionTable:
    inputs: tuple[InputColumn, ...]
    rules: tuple[Rule, ...]
    has_rule_column: bool = True


_DEFAULTS = {"priority": "normal"}
_EXAMPLES = '-, 5000, 物流延迟, "A","B", >= 5000, [5000..50000), not("A")'


def _case_columns(cases: pd.DataFrame) -> dict[str, str]:
    """Normalised Cases header (canonical, zh alias or extra header) -> Cases frame column."""
    canonical = {col.name for col in schema.CASES.columns}
    found: dict[str, str] = {}
    for name in cases.columns:
        name = str(name)
        found.setdefault(schema.normalise_name(name), name)
        if name in canonical:
            found.setdefault(schema.normalise_name(schema.CASES.column(name).zh), name)
    return found


def _literals(test: UnaryTest) -> list[Literal]:
    if isinstance(test, (OneOf, NoneOf)):
        return [lit for t in test.tests for lit in _literals(t)]
    if isinstance(test, Compare):
        return [test.literal]
    if isinstance(test, Between):
        return [test.low, test.high]
    return []


def _kind_problem(test: UnaryTest, column: InputColumn) -> tuple[str, str] | None:
    """(en, zh) detail when a test can never fit a typed Cases column (enum, number, date)."""
    literals = [lit for lit in _literals(test) if lit.kind != NULL]
    if column.enum is not None:
        ranged = any(
            isinstance(t, Between) or (isinstance(t, Compare) and t.op in _ORDERED)
            for t in ([test] if not isinstance(test, (OneOf, NoneOf)) else test.tests)
        )
        unknown = [
            lit
            for lit in literals
            if _enum_code(column.enum, lit.value if lit.kind == STRING else cell_text(lit.value))
            is None
        ]
        if ranged or unknown:
            return ", ".join(column.enum.codes), ", ".join(zh for _, zh in column.enum.labels)
        return None
    if column.kind == schema.NUMBER:
        if all(
            lit.kind == NUMBER or (lit.kind == STRING and not math.isnan(_value_number(lit.value)))
            for lit in literals
        ):
            return None
        return (
            "a number, a comparison or a range, e.g. 5000, >= 5000, [5000..50000)",
            "数字、比较或范围，如 5000、>= 5000、[5000..50000)",
        )
    if column.kind in (schema.DATETIME, schema.DATE):
        if all(lit.kind in (DATE, DATETIME) for lit in literals):
            return None
        return (
            "a date, a comparison or a range of dates, e.g. 2024-05-01, >= 2024-05-01",
            "日期、日期比较或日期范围，如 2024-05-01、>= 2024-05-01",
        )
    return None


def build_decision_table(
    rules: Table, cases: pd.DataFrame, findings: Findings | None = None
) -> DecisionTable:
    """Parse every Rules cell once; report unreadable cells and unknown input columns.

    rules: the raw Rules table. cases: the typed Cases frame (for its column names).
    A rule with an unreadable cell never matches. A row with no approver, no role and no
    condition (a heading or a note line) is not a rule.
    """
    lang = findings.book.language if findings is not None else schema.EN
    frame = rules.frame
    lookup = _case_columns(cases)
    inputs: list[InputColumn] = []
    for key, ref in sorted(rules.columns.items(), key=lambda item: item[1].index):
        if key in RULE_COLUMNS:
            continue
        case_column = lookup.get(schema.normalise_name(ref.header)) or lookup.get(
            schema.normalise_name(key)
        )
        canonical = None
        if case_column is not None and case_column in {c.name for c in schema.CASES.columns}:
            canonical = schema.CASES.column(case_column)
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
        # without a Cases sheet every input would name nothing: missing_sheet says it once
        if (
            case_column is None
            and findings is not None
            and findings.book.table("Cases") is not None
        ):
            names = [
                schema.CASES.column(c).label(lang)
                if c in {col.name for col in schema.CASES.columns}
                else c
                for c in map(str, cases.columns)
            ]
            detail = _t(
                lang,
                f"{', '.join(names)} (the Cases columns; an input column of Rules must name one)",
                f"{'、'.join(names)}（工单表的列；审批规则的条件列必须是其中之一）",
            )
            findings.add("Rules", 1, key, ref.header, "bad_value", detail)

    parsed: list[Rule] = []
    columns = {c.key: frame[c.key].to_numpy(dtype=object) for c in inputs}
    extras = {
        name: frame[name].to_numpy(dtype=object) if name in frame.columns else None
        for name in ("rule", "approver_role", "approver")
    }
    for i, row in enumerate(frame.index):
        role = _optional_text(extras["approver_role"], i)
        approver = _optional_text(extras["approver"], i)
        cells = [columns[c.key][i] for c in inputs]
        if role is None and approver is None and all(is_blank(v) for v in cells):
            continue
        rule_id = _optional_text(extras["rule"], i) or f"R{row}"
        tests: list[UnaryTest] = []
        problems: list[Problem] = []
        for column, value in zip(inputs, cells, strict=True):
            if isinstance(value, CellProblem):  # #REF! or an uncalculated formula: no test
                tests.append(ANY)
                problems.append(Problem(column.header, str(value), str(value)))
                if findings is not None:
                    uncalculated = not isinstance(value, CellError)
                    reason = "formula_uncalculated" if uncalculated else "cell_error"
                    findings.add(
                        "Rules",
                        int(row),
                        column.key,
                        str(value),
                        "bad_value",
                        str(value),
                        reason=reason,
                    )
                continue
            try:
                test = test_for_cell(value)
            except UnaryTestError as exc:
                test = ANY
                en = f"a FEEL test such as {_EXAMPLES} (this cell: {exc.reason(schema.EN)})"
                zh = f"FEEL 条件，如 {_EXAMPLES}（此单元格：{exc.reason(schema.ZH)}）"
                problems.append(
                    Problem(column.header, exc.reason(schema.EN), exc.reason(schema.ZH))
                )
                if findings is not None:
                    findings.add(
                        "Rules", int(row), column.key, value, "bad_value", _t(lang, en, zh)
                    )
            else:
                kind = _kind_problem(test, column)
                if kind is not None:
                    problems.append(
                        Problem(column.header, f"use one of: {kind[0]}", f"可选：{kind[1]}")
                    )
                    if findings is not None:
                        findings.add(
                            "Rules", int(row), column.key, value, "bad_value", _t(lang, *kind)
                        )
            tests.append(test)
        parsed.append(
            Rule(
                int(row),
                rule_id,
                tuple(tests),
                tuple(cell_text(v) for v in cells),
                role,
                approver,
                tuple(problems),
            )
        )
    return DecisionTable(tuple(inputs), tuple(parsed), rules.has("rule"))


def _optional_text(values: np.ndarray | None, i: int) -> str | None:
    if values is None or is_blank(values[i]):
        return None
    return cell_text(values[i])


def _views(table: DecisionTable, cases: pd.DataFrame) -> list[ColumnView]:
    empty = pd.Series(None, index=cases.index, dtype=object)
    views = []
    for column in table.inputs:
        values = cases[column.case_column] if column.case_column is not None else empty
        if column.default is not None:
            values = values.astype(object).where(values.notna(), column.default)
        views.append(ColumnView(values, column.enum))
    return views


def match_matrix(
    table: DecisionTable, cases: pd.DataFrame, views: list[ColumnView] | None = None
) -> np.ndarray:
    """Bool matrix (cases x rules): rule j matches case i. An input naming no Cases column reads
    as empty for every case; an unusable rule matches nothing."""
    views = views if views is not None else _views(table, cases)
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


# --------------------------------------------------------------------------- overlap (UNIQUE)

_BLANK = object()
_OTHER = object()
_INF = math.inf


@dataclass(frozen=True)
class _Intervals:
    parts: tuple[tuple[float, bool, float, bool], ...]  # (lo, lo closed, hi, hi closed)
    blank: bool


@dataclass(frozen=True)
class _Items:
    items: frozenset[object]
    cofinite: bool  # True: every value except `items`
    blank: bool


_Region = _Intervals | _Items


def _nonempty(lo: float, lc: bool, hi: float, hc: bool) -> bool:
    return lo < hi or (lo == hi and lc and hc)


def _cut(a: tuple, b: tuple) -> tuple | None:
    lo, lc = (a[0], a[1]) if a[0] > b[0] else (b[0], b[1]) if b[0] > a[0] else (a[0], a[1] and b[1])
    hi, hc = (a[2], a[3]) if a[2] < b[2] else (b[2], b[3]) if b[2] < a[2] else (a[2], a[3] and b[3])
    return (lo, lc, hi, hc) if _nonempty(lo, lc, hi, hc) else None


def _cut_all(a: Iterable[tuple], b: Iterable[tuple]) -> tuple[tuple, ...]:
    b = list(b)
    return tuple(part for x in a for y in b if (part := _cut(x, y)) is not None)


def _complement_parts(parts: tuple[tuple, ...]) -> tuple[tuple, ...]:
    out: tuple[tuple, ...] = ((-_INF, False, _INF, False),)
    for lo, lc, hi, hc in parts:
        outside = []
        if lo > -_INF:
            outside.append((-_INF, False, lo, not lc))
        if hi < _INF:
            outside.append((hi, not hc, _INF, False))
        out = _cut_all(out, outside)
    return out


def _point(literal: Literal, domain: str) -> tuple | None:
    """The set a literal stands for as an interval: a point, or a whole day of instants."""
    if domain == NUMBER:
        value = literal.value if literal.kind == NUMBER else None
        if literal.kind == STRING:
            number = _value_number(literal.value)
            value = None if math.isnan(number) else number
        return None if value is None else (value, True, value, True)
    if literal.kind == DATE:
        start = pd.Timestamp(literal.value).value  # type: ignore[arg-type]
        return (start, True, start + _DAY_NS, False)
    if literal.kind == DATETIME:
        stamp = pd.Timestamp(literal.value).value  # type: ignore[arg-type]
        return (stamp, True, stamp, True)
    return None


def _compare_parts(op: str, cell: tuple) -> tuple[tuple, ...]:
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


@lru_cache(maxsize=4096)
def _region(test: UnaryTest, domain: str, column: InputColumn) -> _Region | None:
    """What a test accepts in one domain; None when this analysis cannot tell."""
    if domain in (NUMBER, DATETIME):
        return _interval_region(test, domain)
    region = _item_region(test, domain, column)
    if region is not None and column.default is not None:
        # empty cells read as the default value, so no case is ever empty here
        region = _Items(region.items, region.cofinite, False)
    return region


def _interval_region(test: UnaryTest, domain: str) -> _Intervals | None:
    if isinstance(test, AnyValue):
        return _Intervals(((-_INF, False, _INF, False),), True)
    if isinstance(test, (OneOf, NoneOf)):
        parts: tuple[tuple, ...] = ()
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
    if test.literal.kind == NULL:
        full = ((-_INF, False, _INF, False),)
        return _Intervals((), True) if test.op == "=" else _Intervals(full, False)
    cell = _point(test.literal, domain)
    if cell is None:
        full = ((-_INF, False, _INF, False),)
        return _Intervals(full if test.op == "!=" else (), False)
    return _Intervals(_compare_parts(test.op, cell), False)


def _item_key(literal: Literal, domain: str, column: InputColumn) -> object:
    if domain == BOOL:
        return bool(literal.value) if literal.kind == BOOL else _value_bool(literal.value) == 1
    text = _norm_text(literal.value if literal.kind == STRING else cell_text(literal.value))
    if domain == "enum" and column.enum is not None:
        return _enum_code(column.enum, text) or text
    return text


def _universe(domain: str, column: InputColumn) -> frozenset[object] | None:
    if domain == BOOL:
        return frozenset({True, False})
    if domain == "enum" and column.enum is not None:
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
    if isinstance(test, Between) or test.op in _ORDERED:
        return None
    if test.literal.kind == NULL:
        region = _Items(frozenset(), test.op == "!=", test.op == "=")
    else:
        key = frozenset({_item_key(test.literal, domain, column)})
        region = _Items(key, test.op == "!=", False)
    return _finite(region, universe)


def _domain(column: InputColumn, tests: Iterable[UnaryTest]) -> str | None:
    if column.enum is not None:
        return "enum"
    if column.kind == schema.NUMBER:
        return NUMBER
    if column.kind in (schema.DATETIME, schema.DATE):
        return DATETIME
    kinds = {lit.kind for t in tests for lit in _literals(t)} - {NULL}
    if kinds <= {NUMBER}:
        return NUMBER
    if kinds <= {DATE, DATETIME}:
        return DATETIME
    if kinds <= {BOOL}:
        return BOOL
    if kinds <= {STRING, NUMBER}:
        return STRING
    return None


def _pick(lo: float, lc: bool, hi: float, hc: bool, domain: str) -> float:
    """A readable value inside a non-empty interval (a round number, a whole day)."""
    step = _DAY_NS if domain == DATETIME else 1
    if lc and lo > -_INF:
        return lo
    if lo > -_INF:
        candidate = (math.floor(lo) if domain == NUMBER else lo) + step
        if candidate < hi or (candidate == hi and hc):
            return candidate
        return lo + (hi - lo) / 2 if domain == NUMBER else lo + (hi - lo) // 2
    if hi < _INF:
        return hi if hc else (math.ceil(hi) if domain == NUMBER else hi) - step
    return 0 if domain == NUMBER else pd.Timestamp("2000-01-01").value


def _witness(a: _Region, b: _Region, domain: str) -> tuple[bool, object]:
    """(overlap, an example value) for two regions of the same domain."""
    if isinstance(a, _Intervals) and isinstance(b, _Intervals):
        common = _cut_all(a.parts, b.parts)
        if common:
            value = _pick(*common[0], domain)
            return True, pd.Timestamp(int(value)) if domain == DATETIME else float(value)
        return (True, _BLANK) if a.blank and b.blank else (False, None)
    assert isinstance(a, _Items) and isinstance(b, _Items)
    if not a.cofinite and not b.cofinite:
        common = a.items & b.items
    elif a.cofinite and b.cofinite:
        return True, _OTHER
    else:
        finite, cofinite = (a, b) if not a.cofinite else (b, a)
        common = finite.items - cofinite.items
    if common:
        return True, sorted(common, key=str)[0]
    return (True, _BLANK) if a.blank and b.blank else (False, None)


def _show(value: object, column: InputColumn | None, lang: str) -> str:
    if value is _BLANK or value is None or (not isinstance(value, str) and pd.isna(value)):
        return _t(lang, "(empty)", "（空）")
    if value is _OTHER:
        return _t(lang, "(any other value)", "（其他值）")
    if column is not None and column.enum is not None and isinstance(value, str):
        return column.enum.label(_enum_code(column.enum, value) or value, lang)
    if isinstance(value, bool):
        return "true" if value else "false"
    return cell_text(value)


def static_overlap(table: DecisionTable, a: int, b: int, lang: str = schema.EN) -> str | None:
    """An example input both rules a and b match ("amount=6000, priority=urgent"), or None when
    they cannot both match or this analysis cannot tell."""
    rule_a, rule_b = table.rules[a], table.rules[b]
    example: list[str] = []
    unsure = False
    for column, test_a, test_b in zip(table.inputs, rule_a.tests, rule_b.tests, strict=True):
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
        if value is not _OTHER and domain == STRING and isinstance(value, str):
            value = _display_text(value, (test_a, test_b))
        example.append(f"{column.header}={_show(value, column, lang)}")
    if unsure:
        return None
    return ", ".join(example) if lang != schema.ZH else "、".join(example)


def _display_text(key: str, tests: Iterable[UnaryTest]) -> str:
    for test in tests:
        for lit in _literals(test):
            text = lit.value if lit.kind == STRING else cell_text(lit.value)
            if _norm_text(text) == key:
                return str(text).strip()
    return key


def _case_values(table: DecisionTable, cases: pd.DataFrame, pos: int, lang: str) -> str:
    parts = []
    for column in table.inputs:
        value = cases[column.case_column].iloc[pos] if column.case_column is not None else None
        parts.append(f"{column.header}={_show(value, column, lang)}")
    return (", " if lang != schema.ZH else "、").join(parts)


def _co_matching(matches: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of rules (a < b) that match at least one case together."""
    packed = np.ascontiguousarray(np.packbits(matches, axis=0).T)  # rules x bytes of cases
    pairs = []
    for a in range(len(packed) - 1):
        shared = (packed[a] & packed[a + 1 :]).any(axis=1)
        pairs.extend((a, a + 1 + int(b)) for b in np.flatnonzero(shared))
    return pairs


def _report_overlaps(
    table: DecisionTable,
    matches: np.ndarray,
    cases: pd.DataFrame,
    findings: Findings,
) -> None:
    lang = findings.book.language
    usable = [j for j, rule in enumerate(table.rules) if rule.usable]
    examples: dict[tuple[int, int], str] = {}
    for a, b in itertools.combinations(usable, 2):
        example = static_overlap(table, a, b, lang)
        if example is not None:
            examples[(a, b)] = example
    # Pairs the static analysis could not settle still show up on the cases themselves.
    several = np.flatnonzero(matches.sum(axis=1) > 1)
    if len(several):
        for a, b in _co_matching(matches[several]):
            if (a, b) in examples:
                continue
            first = several[np.argmax(matches[several, a] & matches[several, b])]
            case_id = cell_text(cases["case_id"].iloc[first]) if "case_id" in cases else ""
            values = _case_values(table, cases, first, lang)
            examples[(int(a), int(b))] = _t(
                lang, f"case {case_id}: {values}", f"工单 {case_id}：{values}"
            )
    for (a, b), example in sorted(examples.items()):
        id_a, id_b = table.rules[a].rule_id, table.rules[b].rule_id
        every = _t(lang, "both match every case", "二者匹配所有工单")
        detail = _t(
            lang,
            f"rules {id_a} and {id_b} overlap, e.g. {example or every}; with hit policy UNIQUE "
            "only one rule may match a case: narrow one of them, or set hit_policy to FIRST or "
            "COLLECT",
            f"规则 {id_a} 与 {id_b} 重叠，例如 {example or every}；命中策略为 UNIQUE 时每个工单"
            "只能命中一条规则：请收窄其中一条，或把命中策略改为 FIRST 或 COLLECT",
        )
        rule = table.rules[b]
        column = "rule" if table.has_rule_column else None
        findings.add("Rules", rule.row, column, rule.rule_id, "overlapping_rules", detail)


def _report_no_rule(
    table: DecisionTable, matches: np.ndarray, cases: pd.DataFrame, findings: Findings
) -> None:
    lang = findings.book.language
    for pos in np.flatnonzero(~matches.any(axis=1)):
        values = _case_values(table, cases, int(pos), lang)
        case_id = cases["case_id"].iloc[pos] if "case_id" in cases else None
        findings.add("Cases", int(cases.index[pos]), "case_id", case_id, "no_rule", values)


def _report_approvers(table: DecisionTable, index: PeopleIndex, findings: Findings) -> None:
    lang = findings.book.language
    roles = index.roles()
    for rule in table.rules:
        if rule.approver is not None and index.get(rule.approver) is None:
            findings.add("Rules", rule.row, "approver", rule.approver, "unknown_person")
        if rule.approver is None and rule.approver_role is not None:
            if not index.holders(rule.approver_role):
                held = (", " if lang != schema.ZH else "、").join(roles)
                detail = _t(
                    lang,
                    f"{held} (the roles in People; nobody in People holds this one)"
                    if roles
                    else "a role held by someone in People (the People sheet lists nobody)",
                    f"{held}（人员表中的岗位；没有人担任此岗位）"
                    if roles
                    else "人员表中某人的岗位（人员表为空）",
                )
                findings.add(
                    "Rules", rule.row, "approver_role", rule.approver_role, "bad_value", detail
                )


# --------------------------------------------------------------------------- assignment


@dataclass
class _Choice:
    """How one (case, rule) pair got its approver, kept for `explain`."""

    kind: str  # "fixed" | "role" | "nobody" | "unassigned"
    candidates: list[tuple[str, int | None]] = field(default_factory=list)  # name, open load
    department: str | None = None
    fallback: bool = False  # nobody in the case's department holds the role


def _text_codes(values: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    """Factorised normalised text: codes per row and key per code (None for blank)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    keys = [None if is_blank(u) else schema.normalise_name(cell_text(u)) for u in uniques]
    return codes, keys


def _processing_rank(cases: pd.DataFrame) -> np.ndarray:
    """Rank of each case in (opened_at, case_id) order; empty opened_at goes last."""
    n = len(cases)
    if "opened_at" in cases:
        opened = pd.to_datetime(cases["opened_at"], errors="coerce").to_numpy("datetime64[ns]")
    else:
        opened = np.full(n, np.datetime64("NaT", "ns"))
    times = opened.view(np.int64).copy()
    times[np.isnat(opened)] = np.iinfo(np.int64).max
    ids = cases["case_id"] if "case_id" in cases else pd.Series("", index=cases.index)
    text = ids.astype(object).where(ids.notna(), "").astype(str).to_numpy(dtype=object)
    id_codes, _ = pd.factorize(text, sort=True)
    order = np.lexsort((np.arange(n), id_codes, times))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def _assign(
    table: DecisionTable,
    cases: pd.DataFrame,
    open_cases: np.ndarray,
    index: PeopleIndex,
    case_pos: np.ndarray,
    rule_pos: np.ndarray,
    trace: int | None = None,
) -> tuple[np.ndarray, dict[int, _Choice]]:
    """The person chosen for each (case, rule) pair before delegation, and the trace of one case.

    A rule's `approver` is fixed; otherwise the role's holders in the case's department (all
    holders when none there) compete, fewest open cases routed to them so far first, ties by
    name. Load counts every open pair, fixed ones too, on the person chosen (before delegation:
    an away person's share goes on to their deputy instead of all of the role's work).
    """
    n_pairs = len(case_pos)
    chosen = np.full(n_pairs, None, dtype=object)
    traced: dict[int, _Choice] = {}
    if n_pairs == 0:
        return chosen, traced
    rank = _processing_rank(cases)
    pair_order = np.lexsort((rule_pos, rank[case_pos]))
    pair_rank = np.empty(n_pairs, dtype=np.int64)
    pair_rank[pair_order] = np.arange(n_pairs)
    pair_open = open_cases[case_pos]

    fixed = np.array(
        [index.canonical(r.approver) or r.approver for r in table.rules] + [None], dtype=object
    )
    roles = [r.approver_role if r.approver is None else None for r in table.rules]
    dept_series = cases["department"] if "department" in cases else pd.Series(None, cases.index)
    dept_codes, dept_keys = _text_codes(dept_series)
    pair_dept = dept_codes[case_pos]

    # Candidate holders per (rule, department) key, computed once per distinct key.
    n_dept = len(dept_keys) + 1
    pair_key = rule_pos.astype(np.int64) * n_dept + (pair_dept + 1)
    keys, key_of_pair = np.unique(pair_key, return_inverse=True)
    key_candidates: list[tuple[str, ...]] = []
    key_fallback: list[bool] = []
    for key in keys:
        j, d = divmod(int(key), n_dept)
        holders = index.holders(roles[j]) if roles[j] is not None else []
        dept = dept_keys[d - 1] if d > 0 else None
        same = [
            p.name
            for p in holders
            if dept and p.department and schema.normalise_name(p.department) == dept
        ]
        key_candidates.append(tuple(same) if same else tuple(p.name for p in holders))
        key_fallback.append(bool(dept) and not same and bool(holders))
    n_candidates = np.array([len(c) for c in key_candidates])[key_of_pair]
    is_fixed = np.array([r.approver is not None for r in table.rules])[rule_pos]

    chosen[is_fixed] = fixed[rule_pos[is_fixed]]
    single = ~is_fixed & (n_candidates == 1)
    if single.any():
        first = np.array([c[0] if c else None for c in key_candidates], dtype=object)
        chosen[single] = first[key_of_pair[single]]

    # Load from pairs settled without a choice, as sorted pair ranks per person.
    settled_mask = (is_fixed | single) & pair_open & pd.notna(chosen)
    settled: dict[str, np.ndarray] = {
        name: np.sort(group.to_numpy())
        for name, group in pd.Series(pair_rank[settled_mask]).groupby(
            pd.Series(chosen[settled_mask], dtype=object)
        )
    }

    # the traced case's department as written, for explain
    department = cell_text(dept_series.iloc[trace]) or None if trace is not None else None
    load: dict[str, int] = {}
    contested = np.flatnonzero(~is_fixed & (n_candidates > 1))
    contested = contested[np.argsort(pair_rank[contested], kind="stable")]
    for k, key, r, is_open, pos in zip(
        contested.tolist(),
        key_of_pair[contested].tolist(),
        pair_rank[contested].tolist(),
        pair_open[contested].tolist(),
        case_pos[contested].tolist(),
        strict=True,
    ):
        best = None
        best_load = 0
        loads: list[tuple[str, int | None]] = []
        for name in key_candidates[key]:
            earlier = settled.get(name)
            current = load.get(name, 0)
            if earlier is not None:
                current += int(np.searchsorted(earlier, r))
            if best is None or current < best_load:
                best, best_load = name, current
            if pos == trace:
                loads.append((name, current))
        chosen[k] = best
        if is_open:
            load[best] = load.get(best, 0) + 1  # type: ignore[index]
        if pos == trace:
            traced[int(rule_pos[k])] = _Choice("role", loads, department, key_fallback[key])
    if trace is not None:
        for k in np.flatnonzero(case_pos == trace):
            j = int(rule_pos[k])
            if j in traced:
                continue
            names = key_candidates[key_of_pair[k]]
            if is_fixed[k]:
                traced[j] = _Choice("fixed", [(chosen[k], None)])
            elif roles[j] is None:
                traced[j] = _Choice("unassigned")
            elif not names:
                traced[j] = _Choice("nobody", department=department)
            else:
                traced[j] = _Choice(
                    "role", [(names[0], None)], department, key_fallback[key_of_pair[k]]
                )
    return chosen, traced


# --------------------------------------------------------------------------- routing


def _empty_routes() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ROUTE_COLUMNS})
    return frame.astype({"case_row": np.int64})


@dataclass
class RouteResult:
    """Routes of one run (one row per case and approver) and what `explain` needs."""

    routes: pd.DataFrame
    matches: np.ndarray  # cases x rules
    table: DecisionTable | None
    policy: str
    language: str
    cases: pd.DataFrame
    open_cases: np.ndarray
    people: PeopleIndex
    as_of: pd.Timestamp
    case_pos: np.ndarray
    rule_pos: np.ndarray

    def explain(self, case_id: str) -> list[str]:
        """Why a case goes where it goes: each rule's tests, the winner(s), the person chosen."""
        return _explain(self, case_id)


def _open_mask(cases: pd.DataFrame, case_open: pd.Series | None) -> np.ndarray:
    """case_open aligned with cases; a case it does not mention counts as open."""
    if case_open is None:
        return np.ones(len(cases), dtype=bool)
    aligned = case_open.reindex(cases.index)
    values = aligned.to_numpy(dtype=object)
    values[aligned.isna().to_numpy()] = True
    return values.astype(bool)


def route(
    cases: pd.DataFrame,
    case_open: pd.Series | None,
    rules: Table | None,
    people: pd.DataFrame,
    hit_policy: str,
    as_of: pd.Timestamp,
    findings: Findings | None = None,
    language: str | None = None,
) -> RouteResult:
    """Route every case through the Rules decision table (SPEC §4).

    cases/people: typed frames (index = Excel row). case_open: True per open case (None: all
    open). rules: the raw Rules table or None. findings: where bad cells, unknown approvers,
    no_rule and (UNIQUE) overlapping_rules go; None to only compute.
    """
    lang = language or (findings.book.language if findings is not None else schema.EN)
    policy = normalise_hit_policy(hit_policy)
    open_cases = _open_mask(cases, case_open)
    index = index_people(people)
    stamp = pd.Timestamp(as_of)
    nothing = np.zeros(0, dtype=np.int64)
    if rules is None:
        return RouteResult(
            _empty_routes(),
            np.zeros((len(cases), 0), dtype=bool),
            None,
            policy,
            lang,
            cases,
            open_cases,
            index,
            stamp,
            nothing,
            nothing,
        )
    table = build_decision_table(rules, cases, findings)
    matches = match_matrix(table, cases)
    case_pos, rule_pos = select(matches, policy)
    if findings is not None:
        _report_approvers(table, index, findings)
        _report_no_rule(table, matches, cases, findings)
        if policy == UNIQUE:
            _report_overlaps(table, matches, cases, findings)
    chosen, _ = _assign(table, cases, open_cases, index, case_pos, rule_pos)
    routes = _routes_frame(table, cases, index, people, stamp, case_pos, rule_pos, chosen)
    return RouteResult(
        routes, matches, table, policy, lang, cases, open_cases, index, stamp, case_pos, rule_pos
    )


def _routes_frame(
    table: DecisionTable,
    cases: pd.DataFrame,
    index: PeopleIndex,
    people: pd.DataFrame,
    as_of: pd.Timestamp,
    case_pos: np.ndarray,
    rule_pos: np.ndarray,
    chosen: np.ndarray,
) -> pd.DataFrame:
    if len(case_pos) == 0:
        return _empty_routes()
    delegation = delegation_table(people, as_of)
    codes, names = pd.factorize(chosen)
    finals = np.array([delegation.get(n, (n, None))[0] for n in names] + [None], dtype=object)
    origins = np.array([delegation.get(n, (n, None))[1] for n in names] + [None], dtype=object)
    role_of_rule = []
    for rule in table.rules:
        role = rule.approver_role
        if role is None and rule.approver is not None:
            person = index.get(rule.approver)
            role = person.role if person is not None else None
        role_of_rule.append(role)
    case_ids = (
        cases["case_id"].to_numpy(dtype=object)
        if "case_id" in cases
        else np.full(len(cases), None, dtype=object)
    )
    columns = {
        "case_id": case_ids[case_pos],
        "approver_role": np.array(role_of_rule, dtype=object)[rule_pos],
        "approver": finals[codes],
        "delegated_from": origins[codes],
        "rule": np.array([r.rule_id for r in table.rules], dtype=object)[rule_pos],
    }
    # object dtype keeps None as None (pandas 3 would infer str and turn it into NaN)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    frame["case_row"] = cases.index.to_numpy()[case_pos].astype(np.int64)
    return frame


def route_cases(
    cases: pd.DataFrame,
    case_open: pd.Series | None,
    rules: Table | None,
    people: pd.DataFrame,
    hit_policy: str,
    as_of: pd.Timestamp,
    findings: Findings | None,
) -> pd.DataFrame:
    """The routes frame: case_id, approver_role, approver, delegated_from, rule, case_row.

    One row per (case, approver), in Cases row order then rule order; empty (with those
    columns) when there is no Rules sheet. Findings as in `route`.
    """
    return route(cases, case_open, rules, people, hit_policy, as_of, findings).routes


def explain_case(
    case_id: str,
    cases: pd.DataFrame,
    case_open: pd.Series | None,
    rules: Table | None,
    people: pd.DataFrame,
    hit_policy: str,
    as_of: pd.Timestamp,
    language: str,
) -> list[str]:
    """Lines saying why `case_id` goes to its approver(s), in `language` (en or zh)."""
    result = route(cases, case_open, rules, people, hit_policy, as_of, language=language)
    return result.explain(case_id)


# --------------------------------------------------------------------------- explain


def _explain(result: RouteResult, case_id: str) -> list[str]:
    lang = result.language
    cases = result.cases
    wanted = str(case_id).strip()
    ids = cases["case_id"] if "case_id" in cases else pd.Series(dtype=object)
    found = np.flatnonzero([cell_text(v) == wanted for v in ids.to_numpy(dtype=object)])
    if len(found) == 0:
        return [_t(lang, f"no case {wanted} in Cases", f"工单表中没有编号为 {wanted} 的工单")]
    pos = int(found[0])
    row = int(cases.index[pos])
    lines = [
        _t(
            lang,
            f"case {wanted} (Cases row {row}), hit policy {result.policy}",
            f"工单 {wanted}（工单表第{row}行），命中策略 {result.policy}",
        )
    ]
    table = result.table
    if table is None:
        lines.append(_t(lang, "no Rules sheet: nothing to route", "没有审批规则表，无需分派"))
        return lines
    one = cases.iloc[[pos]]
    views = _views(table, one)
    for j, rule in enumerate(table.rules):
        matched = bool(result.matches[pos, j])
        status = _t(lang, "matched" if matched else "not matched", "命中" if matched else "未命中")
        lines.append(
            _t(
                lang,
                f"rule {rule.rule_id} (Rules row {rule.row}): {status}",
                f"规则 {rule.rule_id}（审批规则表第{rule.row}行）：{status}",
            )
        )
        for problem in rule.problems:
            lines.append(
                _t(
                    lang,
                    f"  {problem.column}: cannot be read ({problem.en}); the rule never matches",
                    f"  {problem.column}：无法识别（{problem.zh}），此规则不会命中",
                )
            )
        conditions = 0
        for column, view, test, text in zip(
            table.inputs, views, rule.tests, rule.texts, strict=True
        ):
            if isinstance(test, AnyValue):
                continue
            conditions += 1
            value = one[column.case_column].iloc[0] if column.case_column is not None else None
            shown = _show(value, column, lang)
            passed = bool(view.mask(test)[0])
            verdict = _t(lang, "passed" if passed else "failed", "通过" if passed else "不通过")
            lines.append(
                _t(
                    lang,
                    f"  {column.header}: {text} on {shown} -> {verdict}",
                    f"  {column.header}：条件 {text}，工单值 {shown} → {verdict}",
                )
            )
        if not conditions and rule.usable:
            lines.append(_t(lang, "  no conditions: matches every case", "  无条件：匹配所有工单"))
    lines.extend(_explain_winners(result, pos))
    return lines


def _explain_winners(result: RouteResult, pos: int) -> list[str]:
    lang = result.language
    table = result.table
    assert table is not None
    matched = [table.rules[j].rule_id for j in np.flatnonzero(result.matches[pos])]
    mine = np.flatnonzero(result.case_pos == pos)
    won = [int(result.rule_pos[k]) for k in mine]
    sep = ", " if lang != schema.ZH else "、"
    if not won:
        return [
            _t(
                lang,
                "no rule matches this case (no_rule): add a rule or a catch-all row",
                "没有规则匹配此工单（no_rule）：请添加规则或兜底行",
            )
        ]
    ids = sep.join(table.rules[j].rule_id for j in won)
    policy = result.policy
    if policy == FIRST:
        lines = [
            _t(
                lang,
                f"FIRST: the first matching rule wins: {ids}",
                f"FIRST：第一条命中的规则生效：{ids}",
            )
        ]
    elif policy == UNIQUE and len(matched) > 1:
        both = sep.join(matched)
        lines = [
            _t(
                lang,
                f"UNIQUE: rules {both} all match (overlapping_rules); {ids} is used",
                f"UNIQUE：规则 {both} 同时命中（规则重叠）；暂按 {ids} 分派",
            )
        ]
    elif policy == UNIQUE:
        lines = [_t(lang, f"UNIQUE: only {ids} matches", f"UNIQUE：仅 {ids} 命中")]
    else:
        lines = [
            _t(
                lang,
                f"{policy}: every matching rule adds an approver: {ids}",
                f"{policy}：每条命中的规则各分派一名审批人（会签）：{ids}",
            )
        ]
    _, traced = _assign(
        table, result.cases, result.open_cases, result.people, result.case_pos, result.rule_pos, pos
    )
    routes = result.routes.iloc[mine]
    for j, (_, route_row) in zip(won, routes.iterrows(), strict=True):
        lines.extend(_explain_choice(result, table.rules[j], traced.get(j), route_row))
    return lines


def _explain_choice(
    result: RouteResult, rule: Rule, choice: _Choice | None, route_row: pd.Series
) -> list[str]:
    lang = result.language
    rid = rule.rule_id
    role = rule.approver_role or ""
    if choice is None or choice.kind == "unassigned":
        return [
            _t(
                lang,
                f"{rid}: no approver or role in the rule",
                f"{rid}：规则未填写审批人或审批岗位",
            )
        ]
    if choice.kind == "nobody":
        return [
            _t(
                lang,
                f"{rid}: nobody in People holds role {role}: no approver",
                f"{rid}：人员表中没有人担任岗位 {role}，无审批人",
            )
        ]
    first = choice.candidates[0][0]
    if choice.kind == "fixed":
        lines = [
            _t(
                lang,
                f"{rid}: approver named in the rule: {first}",
                f"{rid}：规则指定审批人 {first}",
            )
        ]
    else:
        picked = route_row["delegated_from"] or route_row["approver"]
        if len(choice.candidates) == 1:
            why = _t(lang, "the only holder", "唯一担任者")
        else:
            loads = ", ".join(f"{n} {c}" for n, c in choice.candidates)
            why = _t(
                lang,
                f"fewest open cases so far, ties by name: {loads}",
                f"当前未结工单最少者优先，相同按姓名：{loads}",
            )
        if choice.department and choice.fallback:
            where = _t(
                lang,
                f"nobody in department {choice.department} holds it, so any department; ",
                f"部门 {choice.department} 无人担任此岗位，改为全部门；",
            )
        elif choice.department:
            where = _t(lang, f"department {choice.department}; ", f"部门 {choice.department}；")
        else:
            where = ""
        lines = [
            _t(
                lang,
                f"{rid}: role {role} -> {picked} ({where}{why})",
                f"{rid}：岗位 {role} → {picked}（{where}{why}）",
            )
        ]
    original = route_row["delegated_from"] or route_row["approver"]
    if original is None:
        return lines
    person = result.people.get(original)
    day = as_of_day(result.as_of).strftime("%Y-%m-%d")
    if person is None or not person.away_on(as_of_day(result.as_of)):
        return lines
    final, chain = resolve_delegate(original, result.people, result.as_of)
    path = " -> ".join(chain)
    if is_loop(chain):
        lines.append(
            _t(
                lang,
                f"{original} is away on {day}; deputies loop ({path}), so {original} keeps it",
                f"{original} 在 {day} 休假；代理人形成循环（{path}），仍由 {original} 审批",
            )
        )
    elif final == original:
        lines.append(
            _t(
                lang,
                f"{original} is away on {day} but has no deputy in People, so keeps it",
                f"{original} 在 {day} 休假，但人员表中没有其代理人，仍由其审批",
            )
        )
    else:
        lines.append(
            _t(
                lang,
                f"{original} is away on {day}: delegated {path}; {final} approves",
                f"{original} 在 {day} 休假：委托 {path}；由 {final} 审批",
            )
        )
    return lines
