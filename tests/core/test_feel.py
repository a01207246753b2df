"""FEEL simple unary tests: the parser, its messages, and evaluation over a whole column."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetflow.core import schema
from sheetflow.core.feel import (
    ANY,
    Between,
    Compare,
    Literal,
    NoneOf,
    OneOf,
    UnaryTestError,
    evaluate,
    parse_unary_test,
)

NUMBERS = pd.Series([1000.0, 5000.0, 50000.0, 60000.0, np.nan])
TEXTS = pd.Series(["物流延迟", " 质量问题 ", "A", "b", None, "5000"], dtype=object)
DATES = pd.Series(pd.to_datetime(["2024-04-30 23:59", "2024-05-01 00:00", "2024-05-01 18:00",
                                  "2024-05-02 08:00", None]))  # fmt: skip


# --------------------------------------------------------------------------- parser & evaluate


@pytest.mark.parametrize(
    ("cell", "values", "expected"),
    [
        pytest.param("", NUMBERS, [1, 1, 1, 1, 1], id="empty-is-anything"),
        pytest.param("-", TEXTS, [1, 1, 1, 1, 1, 1], id="dash-is-anything"),
        pytest.param("  －  ", NUMBERS, [1, 1, 1, 1, 1], id="fullwidth-dash"),
        pytest.param("5000", NUMBERS, [0, 1, 0, 0, 0], id="number"),
        pytest.param("5000.0", NUMBERS, [0, 1, 0, 0, 0], id="number-decimal"),
        pytest.param("50,000", NUMBERS, [0, 0, 1, 0, 0], id="number-thousands"),
        pytest.param("物流延迟", TEXTS, [1, 0, 0, 0, 0, 0], id="unquoted-string"),
        pytest.param('"物流延迟"', TEXTS, [1, 0, 0, 0, 0, 0], id="quoted-string"),
        pytest.param("“物流延迟”", TEXTS, [1, 0, 0, 0, 0, 0], id="chinese-quotes"),
        pytest.param("质量问题", TEXTS, [0, 1, 0, 0, 0, 0], id="value-trimmed"),
        pytest.param("a", TEXTS, [0, 0, 1, 0, 0, 0], id="case-insensitive"),
        pytest.param("2024-05-01", DATES, [0, 1, 1, 0, 0], id="date-is-the-whole-day"),
        pytest.param('date("2024-05-01")', DATES, [0, 1, 1, 0, 0], id="date-function"),
        pytest.param("2024/5/1", DATES, [0, 1, 1, 0, 0], id="date-slashes"),
        pytest.param(
            'date and time("2024-05-01T18:00:00")', DATES, [0, 0, 1, 0, 0], id="date-and-time"
        ),
        pytest.param("< 5000", NUMBERS, [1, 0, 0, 0, 0], id="less"),
        pytest.param("<=5000", NUMBERS, [1, 1, 0, 0, 0], id="less-equal"),
        pytest.param("> 50000", NUMBERS, [0, 0, 0, 1, 0], id="greater"),
        pytest.param(">= 5000", NUMBERS, [0, 1, 1, 1, 0], id="greater-equal"),
        pytest.param("＞＝５０００", NUMBERS, [0, 1, 1, 1, 0], id="fullwidth-compare"),
        pytest.param("≥ 5000", NUMBERS, [0, 1, 1, 1, 0], id="math-sign"),
        pytest.param("<= 50,000", NUMBERS, [1, 1, 1, 0, 0], id="compare-thousands"),
        pytest.param("< 2024-05-01", DATES, [1, 0, 0, 0, 0], id="before-day"),
        pytest.param("<= 2024-05-01", DATES, [1, 1, 1, 0, 0], id="up-to-end-of-day"),
        pytest.param("> 2024-05-01", DATES, [0, 0, 0, 1, 0], id="after-day"),
        pytest.param("[5000..50000]", NUMBERS, [0, 1, 1, 0, 0], id="range-closed"),
        pytest.param("(5000..50000]", NUMBERS, [0, 0, 1, 0, 0], id="range-open-low"),
        pytest.param("[5000..50000)", NUMBERS, [0, 1, 0, 0, 0], id="range-open-high"),
        pytest.param("]5000..50000[", NUMBERS, [0, 0, 0, 0, 0], id="range-open-iso"),
        pytest.param("]1000..50000]", NUMBERS, [0, 1, 1, 0, 0], id="range-iso-open-low"),
        pytest.param("[1000..50000[", NUMBERS, [1, 1, 0, 0, 0], id="range-iso-open-high"),
        pytest.param("（1000..5000］", NUMBERS, [0, 1, 0, 0, 0], id="range-fullwidth"),
        pytest.param("[2024-05-01..2024-05-01]", DATES, [0, 1, 1, 0, 0], id="range-of-days"),
        pytest.param('"A","b"', TEXTS, [0, 0, 1, 1, 0, 0], id="list-quoted"),
        pytest.param("物流延迟, A", TEXTS, [1, 0, 1, 0, 0, 0], id="list-unquoted"),
        pytest.param("物流延迟，A", TEXTS, [1, 0, 1, 0, 0, 0], id="list-fullwidth-comma"),
        pytest.param("物流延迟、A", TEXTS, [1, 0, 1, 0, 0, 0], id="list-chinese-comma"),
        pytest.param("<= 1000, > 50000", NUMBERS, [1, 0, 0, 1, 0], id="list-of-comparisons"),
        pytest.param("1000, [50000..60000]", NUMBERS, [1, 0, 1, 1, 0], id="list-with-range"),
        pytest.param("not(A, b)", TEXTS, [1, 1, 0, 0, 1, 1], id="not-list-matches-empty"),
        pytest.param("not（A）", TEXTS, [1, 1, 0, 1, 1, 1], id="not-fullwidth"),
        pytest.param("not([1000..5000])", NUMBERS, [0, 0, 1, 1, 1], id="not-range"),
        pytest.param("not(null)", NUMBERS, [1, 1, 1, 1, 0], id="not-null-is-filled"),
        pytest.param("null", NUMBERS, [0, 0, 0, 0, 1], id="null-is-empty"),
        pytest.param("!= 5000", NUMBERS, [1, 0, 1, 1, 0], id="not-equal"),
        pytest.param("5000", TEXTS, [0, 0, 0, 0, 0, 1], id="number-on-text"),
        pytest.param('"5000"', NUMBERS, [0, 1, 0, 0, 0], id="quoted-number-on-number"),
    ],
)
def test_cell_matches(cell: str, values: pd.Series, expected: list[int]) -> None:
    assert evaluate(parse_unary_test(cell), values).tolist() == [bool(x) for x in expected]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        pytest.param("[5000..", "missing", id="range-unfinished"),
        pytest.param("[5000 50000]", r"needs \"\.\.\"", id="range-no-dots"),
        pytest.param("[5000..50000", "not closed", id="range-no-closer"),
        pytest.param("[50000..5000]", "starts above", id="range-reversed"),
        pytest.param("[a..b]", "numbers, or both dates", id="range-strings"),
        pytest.param("[1..2024-05-01]", "numbers, or both dates", id="range-mixed"),
        pytest.param("< abc", "needs a number or a date", id="compare-string"),
        pytest.param('"abc', "quote", id="unclosed-quote"),
        pytest.param("not(a", "closing", id="not-unclosed"),
        pytest.param("not(a) x", "unexpected", id="not-trailing"),
        pytest.param("a, not(b)", "whole cell", id="not-nested"),
        pytest.param("not()", "missing", id="not-empty"),
        pytest.param("a,,b", "missing", id="empty-list-item"),
        pytest.param("a,", "missing", id="trailing-comma"),
        pytest.param("a, -", "alone", id="dash-in-list"),
        pytest.param("2024-02-30", "not a valid date", id="bad-date"),
        pytest.param('date("someday")', "not a valid date", id="bad-date-function"),
        pytest.param('"a" b', "unexpected", id="junk-after-quote"),
        pytest.param("<", "missing", id="operator-alone"),
    ],
)
def test_bad_cells_raise(cell: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_unary_test(cell)


def test_parse_error_speaks_chinese() -> None:
    with pytest.raises(UnaryTestError) as info:
        parse_unary_test('"abc')
    assert info.value.reason("zh") == "引号未闭合"


def test_parser_builds_the_ast() -> None:
    assert parse_unary_test("") is ANY
    assert parse_unary_test("not(A, >= 5)") == NoneOf(
        (Compare("=", Literal("string", "A")), Compare(">=", Literal("number", 5.0)))
    )
    assert parse_unary_test("]1..2]") == Between(
        Literal("number", 1.0), Literal("number", 2.0), False, True
    )
    assert parse_unary_test("true, false") == OneOf(
        (Compare("=", Literal("bool", True)), Compare("=", Literal("bool", False)))
    )
    assert str(parse_unary_test("(1..2]")) == "(1..2]"
    assert parse_unary_test("100, 200") == OneOf(
        (Compare("=", Literal("number", 100.0)), Compare("=", Literal("number", 200.0)))
    )


@pytest.mark.parametrize(
    ("cell", "numbers", "strings", "dates", "empty"),
    [
        pytest.param("5000", [0, 1, 0], [0, 1, 1], [0, 0, 0], [0], id="number"),
        pytest.param(">= 5000", [0, 1, 1], [0, 1, 1], [0, 0, 0], [0], id="compare"),
        pytest.param("abc", [0, 0, 0], [1, 0, 0], [0, 0, 0], [0], id="string"),
        pytest.param("2024-05-01", [0, 0, 0], [0, 0, 0], [1, 0, 0], [0], id="date"),
        pytest.param("-", [1, 1, 1], [1, 1, 1], [1, 1, 1], [1], id="anything"),
        pytest.param("not(5000)", [1, 0, 1], [1, 0, 0], [1, 1, 1], [1], id="not"),
        pytest.param("true", [0, 0, 0], [0, 0, 0], [0, 0, 0], [0], id="bool"),
    ],
)
def test_same_cell_on_each_kind_of_column(
    cell: str, numbers: list[int], strings: list[int], dates: list[int], empty: list[int]
) -> None:
    test = parse_unary_test(cell)
    columns = {
        "numbers": (pd.Series([10.0, 5000.0, 9000.0]), numbers),
        "strings": (pd.Series(["ABC", "5000", "5,000"], dtype=object), strings),
        "dates": (
            pd.Series(pd.to_datetime(["2024-05-01 10:00", "2024-05-02 00:00", "2023-01-01 00:00"])),
            dates,
        ),
        "empty": (pd.Series([None], dtype=object), empty),
    }
    for name, (values, expected) in columns.items():
        assert evaluate(test, values).tolist() == [bool(x) for x in expected], name


def test_raw_extra_column_values() -> None:
    # an extra Cases column keeps raw cells: floats, bools, datetimes and text mixed
    values = pd.Series(
        [5000.0, "5000", True, dt.datetime(2024, 5, 1, 9), "是", None, "  "], dtype=object
    )
    assert evaluate("5000", values).tolist() == [1, 1, 0, 0, 0, 0, 0]
    assert evaluate("true", values).tolist() == [0, 0, 1, 0, 1, 0, 0]
    assert evaluate("2024-05-01", values).tolist() == [0, 0, 0, 1, 0, 0, 0]
    assert evaluate("not(5000)", values).tolist() == [0, 0, 1, 1, 1, 1, 1]


def test_enum_column_compares_codes() -> None:
    priority = pd.Series(["urgent", "normal", "critical"], dtype=object)
    assert evaluate("紧急", priority, schema.PRIORITY).tolist() == [True, False, False]
    assert evaluate("URGENT", priority, schema.PRIORITY).tolist() == [True, False, False]
    assert evaluate("紧急, 特急", priority, schema.PRIORITY).tolist() == [True, False, True]
    assert evaluate("not(普通)", priority, schema.PRIORITY).tolist() == [True, False, True]
    satisfaction = pd.Series(["dissatisfied", None, "satisfied"], dtype=object)
    assert evaluate("不满意", satisfaction, schema.SATISFACTION).tolist() == [1, 0, 0]
    assert evaluate("not(满意)", satisfaction, schema.SATISFACTION).tolist() == [1, 1, 0]


def test_pandas_string_dtype_column() -> None:
    values = pd.Series(["A", None, "B"], dtype="str")
    assert evaluate("A, B", values).tolist() == [True, False, True]
    assert evaluate("not(A)", values).tolist() == [False, True, True]


# property: the mask of a numeric test agrees with a scalar reading of FEEL, value by value

_EDGE = st.integers(min_value=0, max_value=10)


@st.composite
def numeric_tests(draw: st.DrawFn) -> str:
    def one() -> str:
        kind = draw(st.sampled_from(["eq", "cmp", "range"]))
        if kind == "eq":
            return str(draw(_EDGE))
        if kind == "cmp":
            return f"{draw(st.sampled_from(['<', '<=', '>', '>=']))} {draw(_EDGE)}"
        low, high = sorted((draw(_EDGE), draw(_EDGE)))
        return f"{draw(st.sampled_from('[(]'))}{low}..{high}{draw(st.sampled_from('])['))}"

    items = ", ".join(one() for _ in range(draw(st.integers(1, 3))))
    return f"not({items})" if draw(st.booleans()) else items


def _scalar(text: str, value: float | None) -> bool:
    """A slow, obvious reading of the numeric tests generated above."""
    negate = text.startswith("not(")
    body = text[4:-1] if negate else text
    hit = False
    for item in body.split(", "):
        if value is None:
            continue
        if item[0] in "[(]":
            low, high = (float(x) for x in item[1:-1].split(".."))
            ok_low = value >= low if item[0] == "[" else value > low
            ok_high = value <= high if item[-1] == "]" else value < high
            hit |= ok_low and ok_high
        elif item[0] in "<>":
            op, number = item.split(" ")
            hit |= {"<": value < float(number), "<=": value <= float(number),
                    ">": value > float(number), ">=": value >= float(number)}[op]  # fmt: skip
        else:
            hit |= value == float(item)
    return not hit if negate else hit


GRID = [x / 2 for x in range(-2, 24)] + [None]


@settings(max_examples=200, deadline=None)
@given(numeric_tests())
def test_numeric_mask_matches_scalar_reading(text: str) -> None:
    values = pd.Series([np.nan if v is None else v for v in GRID])
    expected = [_scalar(text, v) for v in GRID]
    assert evaluate(text, values).tolist() == expected
