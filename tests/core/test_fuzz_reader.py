"""Random cell values thrown at the reader and validator: they never raise, they report."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ERROR_CODES

from sheetflow.core import schema
from sheetflow.core.validate import check
from sheetflow.core.workbook import (
    CellError,
    CellProblem,
    UncalculatedFormula,
    build_workbook,
    column_letter,
)
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
    # far years (typos like 3024) and offsets: read, reported, never wrapped or crashed on
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.builds(
        "{:%Y-%m-%d %H:%M}{}{:02d}:{:02d}".format,
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
        st.sampled_from(["+", "-"]),
        st.integers(min_value=0, max_value=14),
        st.sampled_from([0, 30, 45]),
    ),
    st.sampled_from(
        [
            "2024-09-12 10:00:00+08:00",
            "2024-09-12T02:00Z",
            "05/09/2024",
            "today",
            "11:30",
            "2024年9月5日14时30分",
            "3024-05-01 09:00",
            "=D2+1",
            "=TODAY()",
            "#NULL!",
            "#NAME?",
            "#NUM!",
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

# What a door hands the pure core for error values and formulas never calculated.
problems = st.one_of(
    st.sampled_from(["#REF!", "#VALUE!", "#DIV/0!", "#N/A", "#NAME?"]).map(CellError),
    st.sampled_from(["=A1+1", "=NOW()", "=VLOOKUP(A2,People!A:B,2,0)"]).map(UncalculatedFormula),
)
core_cells = st.one_of(
    cells,
    problems,
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)

# Which sheet and which cell of the conftest workbook to overwrite with a random value.
BAD_CODES = ("bad_value", "bad_date", "bad_number")
SHEET_NAMES = ["Process", "Cases", "Log", "People", "Calendar", "SLA", "Exceptions", "Settings"]
places = (
    st.sampled_from([*SHEET_NAMES, "Rules"]),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=8),
)
targets = st.tuples(*places, cells)


core_targets = st.tuples(*places, core_cells)


def _strange(value: object, in_file: bool) -> str | None:
    """Why a cell can never be read as a value ("problem", "date"), None when it may be."""
    if isinstance(value, CellProblem):
        return "problem"
    if (
        in_file
        and isinstance(value, str)
        and (value in ERROR_CODES or (value.startswith("=") and len(value) > 1))
    ):  # openpyxl writes these as error cells / formulas without a cached value
        return "problem"
    if isinstance(value, (dt.datetime, dt.date)) and not 1900 <= value.year <= 2200:
        return "date"
    return None


def _must_be_reported(edits, in_file: bool) -> set[str]:
    """Cells of typed columns holding an error, an uncalculated formula or a far date."""
    final = {(sheet, row, col): value for sheet, row, col, value in edits}
    header_edited = {(sheet, col) for sheet, row, col in final if row == 0}
    wanted = set()
    for (sheet, row, col), value in final.items():
        why = _strange(value, in_file)
        header = clean_sheets()[sheet][0]
        if why is None or row == 0 or col >= len(header) or (sheet, col) in header_edited:
            continue
        spec = schema.SHEETS_BY_NAME[sheet]
        column = schema.column_lookup(spec).get(schema.normalise_name(header[col]))
        if sheet == "Settings" or column is None:
            continue
        if sheet == "Rules" and column.name in ("rule", "approver_role", "approver", "note"):
            continue
        if why == "date" and column.kind not in (schema.DATE, schema.DATETIME):
            continue
        wanted.add(f"{sheet}!{column_letter(col)}{row + 1}")
    return wanted


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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(core_targets, min_size=1, max_size=12))
def test_pure_core_never_silently_empties(edits):
    report = compute(build_workbook(_mutated(edits)), AS_OF_TS)
    reported = {f.cell for f in report.findings if f.code in BAD_CODES}
    assert _must_be_reported(edits, in_file=False) <= reported


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
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas warning leaks to the user's terminal
        book = read_workbook(path)
        checked = check(book, AS_OF_TS)
        for finding in checked.findings.items:
            assert finding.row is None or finding.row >= 1
        report = compute(book, AS_OF_TS)
    reported = {f.cell for f in report.findings if f.code in BAD_CODES}
    assert _must_be_reported(edits, in_file=True) <= reported
