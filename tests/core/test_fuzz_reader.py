"""Random cell values thrown at the reader and validator: they never raise, they report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetflow.core.validate import check
from sheetflow.core.workbook import build_workbook
from sheetflow.io.xlsx import read_workbook
from sheetflow.pipeline import compute
from tests.helpers import AS_OF, clean_sheets, write_book

AS_OF_TS = pd.Timestamp(AS_OF)

cells = st.one_of(
    st.none(),
    st.just(""),
    st.just("   "),
    st.text(max_size=20),
    st.text(min_size=2000, max_size=5000, alphabet="ab中文 "),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.times(),
    st.sampled_from(
        [
            "#N/A",
            "#DIV/0!",
            "#VALUE!",
            "#REF!",
            "=1/0",
            "=NA()",
            "2024-13-01",
            "2024-05-01 09:30",
            "紧急",
            "urgent",
            "是",
            "否",
            "45500.5",
            "1e400",
            "Receive",
            "C1",
            "Ann",
        ]
    ),
)

# Which sheet and which cell of the conftest workbook to overwrite with a random value.
targets = st.tuples(
    st.sampled_from(
        ["Process", "Cases", "Log", "People", "Calendar", "SLA", "Exceptions", "Settings", "Rules"]
    ),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=8),
    cells,
)


def _mutated(edits) -> dict[str, list[list[object]]]:
    sheets = clean_sheets()
    for sheet, row, col, value in edits:
        rows = sheets[sheet]
        while len(rows) <= row:
            rows.append([None] * len(rows[0]))
        line = rows[row]
        while len(line) <= col:
            line.append(None)
        line[col] = value
    return sheets


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(targets, min_size=1, max_size=12))
def test_pure_core_never_raises(edits):
    book = build_workbook(_mutated(edits))
    report = compute(book, AS_OF_TS)
    for finding in report.findings:
        assert finding.code and finding.message and finding.severity in ("error", "warning")
    assert set(report.log.index) <= set(book.frame("Log").index)


def _excel_safe(value: object) -> object:
    """openpyxl refuses control characters and infinities; Excel cannot hold them either."""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch.isprintable() or ch == " ")
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return str(value)
    return value


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(targets, min_size=1, max_size=12))
def test_real_files_never_raise(tmp_path: Path, edits):
    edits = [(s, r, c, _excel_safe(v)) for s, r, c, v in edits]
    path = write_book(tmp_path / "fuzz.xlsx", _mutated(edits))
    book = read_workbook(path)
    checked = check(book, AS_OF_TS)
    for finding in checked.findings.items:
        assert finding.row is None or finding.row >= 1
    compute(book, AS_OF_TS)
