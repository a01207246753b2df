"""Apply FEEL unary tests to a whole Cases column at once: one boolean mask per test."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import cached_property

import numpy as np
import pandas as pd

from sheetflow.core import schema
from sheetflow.core.feel.parser import parse_unary_test
from sheetflow.core.feel.unary import AnyValue, Between, Compare, NoneOf, OneOf, UnaryTest
from sheetflow.core.feel.values import (
    BOOL,
    DATE,
    DATETIME,
    NULL,
    NUMBER,
    STRING,
    Literal,
    cell_text,
    enum_code,
    number_of,
    read_bools,
    read_instants,
    read_numbers,
    text_key,
    value_key,
)

_NAT = np.datetime64("NaT", "ns")


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
        self, read: Callable[[list[object]], np.ndarray], dtype: object, missing: object
    ) -> np.ndarray:
        codes, uniques = self._factors
        table = np.concatenate([np.asarray(read(uniques), dtype=dtype), [missing]]).astype(dtype)
        return table[codes]  # code -1 (missing) picks the appended last entry

    @cached_property
    def blank(self) -> np.ndarray:
        if self._numeric:
            return np.isnan(self.numbers)
        if self._datetime:
            return np.isnat(self.instants)
        return self._per_unique(lambda us: [value_key(u) is None for u in us], bool, True)

    @cached_property
    def numbers(self) -> np.ndarray:
        if self._numeric:
            return self.series.to_numpy(dtype=float, na_value=np.nan)
        if self._datetime:
            return np.full(self.size, np.nan)
        return self._per_unique(read_numbers, float, np.nan)

    @cached_property
    def instants(self) -> np.ndarray:
        if self._datetime:
            values = self.series
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                values = values.dt.tz_localize(None)
            return values.to_numpy(dtype="datetime64[ns]")
        if self._numeric:
            return np.full(self.size, _NAT)
        return self._per_unique(read_instants, "datetime64[ns]", _NAT)

    @cached_property
    def days(self) -> np.ndarray:
        return self.instants.astype("datetime64[D]")

    @cached_property
    def bools(self) -> np.ndarray:
        return self._per_unique(read_bools, np.int8, -1)

    @cached_property
    def _keys(self) -> list[str | None]:
        """Per unique value: its enum code (enum columns) or its normalised text."""
        _, uniques = self._factors
        texts = [value_key(u) for u in uniques]
        if self.enum is None:
            return texts
        return [None if t is None else enum_code(self.enum, t) or t for t in texts]

    def _key_of(self, literal: Literal) -> str:
        text = text_key(cell_text(literal.value) if literal.kind != STRING else literal.value)
        if self.enum is None:
            return text
        return enum_code(self.enum, text) or text

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

    def _is_lookup(self, test: Compare | Between) -> bool:
        return isinstance(test, Compare) and test.op == "=" and self._by_key(test.literal)

    def _any(self, tests: tuple[Compare | Between, ...]) -> np.ndarray:
        # Text equalities of a list are one set lookup rather than one pass each.
        texts = [t.literal for t in tests if self._is_lookup(t)]  # type: ignore[union-attr]
        out = self._in(texts) if texts else np.zeros(self.size, dtype=bool)
        for t in tests:
            if not self._is_lookup(t):
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
        number = number_of(literal.value)
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
        sides = self._sides(literal)
        if sides is None:
            return self._none()
        left, right = sides
        if op == "=":
            return left == right
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right

    def _sides(self, literal: Literal) -> tuple[np.ndarray, object] | None:
        """The column and the literal as comparable arrays: numbers, days or instants."""
        if literal.kind == NUMBER:
            return self.numbers, float(literal.value)  # type: ignore[arg-type]
        if literal.kind == DATE:
            return self.days, np.datetime64(pd.Timestamp(literal.value).date(), "D")  # type: ignore[arg-type]
        if literal.kind == DATETIME:
            return self.instants, pd.Timestamp(literal.value).to_datetime64()  # type: ignore[arg-type]
        return None

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
