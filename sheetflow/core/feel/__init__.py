"""DMN FEEL simple unary tests (SPEC §4): values, the parser, and evaluation over a column."""

from __future__ import annotations

from sheetflow.core.feel.evaluate import ColumnView, evaluate
from sheetflow.core.feel.parser import UnaryTestError, parse_unary_test, test_for_cell
from sheetflow.core.feel.unary import (
    ANY,
    AnyValue,
    Between,
    Compare,
    NoneOf,
    OneOf,
    UnaryTest,
)
from sheetflow.core.feel.values import Literal, cell_text

__all__ = [
    "ANY",
    "AnyValue",
    "Between",
    "ColumnView",
    "Compare",
    "Literal",
    "NoneOf",
    "OneOf",
    "UnaryTest",
    "UnaryTestError",
    "cell_text",
    "evaluate",
    "parse_unary_test",
    "test_for_cell",
]
