"""Parse a Rules cell into a FEEL simple unary test (SPEC §4); errors say why in en or zh."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import numpy as np
import pandas as pd

from sheetflow.core import i18n
from sheetflow.core.feel.unary import (
    ANY,
    ORDERED,
    Between,
    Compare,
    NoneOf,
    OneOf,
    UnaryTest,
)
from sheetflow.core.feel.values import BOOL, DATE, DATETIME, NULL, NUMBER, STRING, Literal
from sheetflow.core.workbook import is_blank


class UnaryTestError(ValueError):
    """A cell that is not a FEEL simple unary test; `reason(lang)` says why."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.reason(i18n.EN))

    def reason(self, lang: str) -> str:
        return i18n.text(f"feel.{self.key}", lang, **self.params)


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
            if op in ORDERED and literal.kind not in (NUMBER, DATE, DATETIME):
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


test_for_cell.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported
