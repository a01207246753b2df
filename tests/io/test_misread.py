"""No silent misread (issue 14, items 7-12): every strange cell is reported with its address and
its text, on real files written by xlsxwriter / openpyxl, through `sheetflow.cli.main`."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from sheetflow.cli import main
from sheetflow.core.validate import check
from sheetflow.io.xlsx import read_workbook
from tests.helpers import AS_OF, clean_sheets, write_book
from tests.io.misread_books import (
    Formula,
    libreoffice,
    recalculate_with_libreoffice,
    write_with_xlsxwriter,
)

# Log columns of the conftest book: A case_id, B node, C assignee, D start, E end, F note.
# Row 4 is C1 Resolve, ended 2024-10-08 12:00; row 7 is C2 Resolve, still open.


def run(capsys, *args: str) -> tuple[int, str, str]:
    """`sheetflow ARGS` in this process, with warnings turned into errors (none may leak)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def findings(capsys, path: Path, *extra: str) -> tuple[int, list[dict], str]:
    code, out, err = run(
        capsys, "validate", str(path), "--as-of", AS_OF, "--format", "json", *extra
    )
    return code, json.loads(out)["findings"] if out else [], err


def at(found: list[dict], cell: str) -> list[dict]:
    return [f for f in found if f["cell"] == cell]


def overdue_rows(capsys, path: Path) -> list[tuple[str, str]]:
    _, out, _ = run(capsys, "overdue", str(path), "--as-of", AS_OF, "--format", "json")
    return [(item["case_id"], item["node"]) for item in json.loads(out)["items"]]


# ---- 7. error values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sheet", "row", "col", "formula", "error", "cell", "code"),
    [
        pytest.param("Log", 3, 4, "=#REF!", "#REF!", "Log!E4", "bad_date", id="ref-in-end"),
        pytest.param("Log", 6, 3, "=1/0", "#DIV/0!", "Log!D7", "bad_date", id="div0-in-start"),
        pytest.param("Log", 2, 2, "=NA()", "#N/A", "Log!C3", "bad_value", id="na-in-assignee"),
        pytest.param("Cases", 1, 4, '="a"+1', "#VALUE!", "Cases!E2", "bad_number", id="value-num"),
        pytest.param("Process", 2, 3, "=#REF!", "#REF!", "Process!D3", "bad_number", id="sla"),
    ],
)
def test_error_values_are_reported_never_empty(
    tmp_path, capsys, sheet, row, col, formula, error, cell, code
):
    sheets = clean_sheets()
    sheets[sheet][row][col] = Formula(formula, error)
    path = write_with_xlsxwriter(tmp_path / "errors.xlsx", sheets)
    exit_code, found, err = findings(capsys, path)
    assert exit_code == 1
    assert err == ""
    hits = at(found, cell)
    assert len(hits) == 1, found
    assert hits[0]["code"] == code
    assert hits[0]["value"] == error
    assert error in hits[0]["message"]
    assert not any(f["code"] == "required" and f["cell"] == cell for f in found)


def test_ref_in_end_does_not_make_a_finished_step_overdue(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Log"][3][4] = Formula("=#REF!", "#REF!")  # C1 Resolve: finished, end unreadable
    path = write_with_xlsxwriter(tmp_path / "ref.xlsx", sheets)
    assert ("C1", "Resolve") not in overdue_rows(capsys, path)
    code, out, err = run(capsys, "refresh", str(path), "--as-of", AS_OF, "--format", "json")
    assert code == 1, err  # written, and the error makes the exit code say so
    assert json.loads(out)["errors"] == 1


def test_error_value_in_rules_and_settings(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Rules"][1][1] = Formula("=#REF!", "#REF!")
    sheets["Settings"].append(["timezone", Formula("=NA()", "#N/A")])
    path = write_with_xlsxwriter(tmp_path / "rules.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert code == 1
    assert at(found, "Rules!B2")[0]["value"] == "#REF!"
    assert at(found, "Settings!B3")[0]["value"] == "#N/A"


# ---- 8. formulas never calculated -------------------------------------------------------------


def test_openpyxl_formula_without_cached_value(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Log"][3][4] = "=D4+1"  # openpyxl writes the formula and no value
    path = write_book(tmp_path / "script.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert code == 1
    hit = at(found, "Log!E4")[0]
    assert (hit["code"], hit["value"]) == ("bad_date", "=D4+1")
    assert "formula not calculated" in hit["message"]
    assert "open and save it in Excel" in hit["message"]
    assert ("C1", "Resolve") not in overdue_rows(capsys, path)


def test_uncalculated_formula_in_a_note_is_a_warning(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Log"][3].append('=A4&" / "&B4')  # a note (column F) sheetflow only carries
    path = write_book(tmp_path / "note.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert code == 0
    hit = at(found, "Log!F4")[0]
    assert (hit["severity"], hit["code"], hit["value"]) == ("warning", "bad_value", hit["value"])
    assert hit["value"].startswith("=A4") and "formula not calculated" in hit["message"]


def test_xlsxwriter_formula_with_its_default_zero_is_not_midnight(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Log"][3][4] = Formula("=D4+1")  # xlsxwriter caches 0 -> calamine reads 00:00:00
    sheets["Cases"][1][4] = Formula("=100*8")  # an amount of 0 would be a silent misread too
    path = write_with_xlsxwriter(tmp_path / "script.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert code == 1
    assert at(found, "Log!E4")[0]["value"] == "=D4+1"
    assert "formula not calculated" in at(found, "Log!E4")[0]["message"]
    assert at(found, "Cases!E2")[0]["code"] == "bad_number"


def test_formula_with_a_cached_value_is_read(tmp_path, capsys):
    sheets = clean_sheets()
    end = dt.datetime(2024, 10, 8, 12, 0)
    serial = (end - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)
    sheets["Log"][3][4] = Formula("=D4+8", serial)
    path = write_with_xlsxwriter(tmp_path / "cached.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert (code, found) == (0, [])


@pytest.mark.skipif(libreoffice() is None, reason="LibreOffice is not installed")
def test_libreoffice_calculates_what_a_script_left_uncalculated(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Log"][3][4] = "=D4+1"
    script = write_book(tmp_path / "script.xlsx", sheets)
    saved = recalculate_with_libreoffice(script, tmp_path / "lo")
    _, found, _ = findings(capsys, saved)
    assert not at(found, "Log!E4") or at(found, "Log!E4")[0]["code"] != "bad_date"


# ---- 9. dates outside 1900-2200 ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(dt.datetime(3024, 10, 8, 9, 0), "3024", id="date-cell-3024"),
        pytest.param("1850-10-08 09:00", "1850-10-08 09:00", id="text-1850"),
        pytest.param("3024-10-08 09:00", "3024-10-08 09:00", id="text-3024"),
        pytest.param(10_000_000, "10000000", id="serial-huge"),
    ],
)
def test_dates_outside_1900_2200_are_bad_date_without_warnings(tmp_path, capsys, value, shown):
    sheets = clean_sheets()
    sheets["Log"][6][3] = value
    path = write_with_xlsxwriter(tmp_path / "far.xlsx", sheets)
    code, found, err = findings(capsys, path)
    assert code == 1
    assert err == ""  # no pandas UserWarning on stderr
    hit = at(found, "Log!D7")[0]
    assert hit["code"] == "bad_date"
    assert "outside 1900–2200" in hit["message"] and shown in hit["message"]
    assert ("C2", "Resolve") not in overdue_rows(capsys, path)


@pytest.mark.parametrize(
    "as_of",
    [
        pytest.param("9999-12-31T23:59", id="year-9999"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="spaces"),
        pytest.param("today", id="today"),
        pytest.param("11:30", id="time-alone"),
        pytest.param("05/09/2024", id="day-month-first"),
        pytest.param("1800-01-01", id="year-1800"),
        pytest.param("2024-13-01", id="month-13"),
    ],
)
def test_bad_as_of_is_exit_2_with_one_line(tmp_path, capsys, as_of):
    path = write_book(tmp_path / "book.xlsx", clean_sheets())
    code, out, err = run(capsys, "validate", str(path), "--as-of", as_of)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("sheetflow: --as-of")


# ---- 10. offsets, ambiguous and clock-relative text --------------------------------------------


def test_offsets_convert_to_the_books_timezone_and_may_mix(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Settings"].append(["timezone", "Asia/Shanghai"])
    sheets["Log"][6][3] = "2024-10-08 10:00:00+08:00"  # Shanghai: 10:00
    sheets["Log"][8][3] = "2024-10-09T06:00:00Z"  # 14:00 in Shanghai
    sheets["Log"][5][3] = "2024-10-07 21:30-05:00"  # 10:30 next day in Shanghai
    path = write_book(tmp_path / "offsets.xlsx", sheets)
    book = read_workbook(path)
    log = check(book, pd.Timestamp(AS_OF)).log
    assert log.at[7, "start"] == pd.Timestamp("2024-10-08 10:00")
    assert log.at[9, "start"] == pd.Timestamp("2024-10-09 14:00")
    assert log.at[6, "start"] == pd.Timestamp("2024-10-08 10:30")
    code, found, err = findings(capsys, path)
    assert err == ""
    assert not [f for f in found if f["column"] == "start" and f["code"] == "bad_date"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("05/09/2024", "year first", id="day-month"),
        pytest.param("9.5.2024", "year first", id="dotted-day-month"),
        pytest.param("today", "no date", id="today"),
        pytest.param("11:30", "no date", id="time-alone"),
        pytest.param("今天", "no date", id="zh-today"),
    ],
)
def test_ambiguous_and_clock_relative_text_is_bad_date(tmp_path, capsys, text, words):
    sheets = clean_sheets()
    sheets["Log"][6][3] = text
    path = write_book(tmp_path / "text.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert code == 1
    hit = at(found, "Log!D7")[0]
    assert (hit["code"], hit["value"]) == ("bad_date", text)
    assert words in hit["message"] and "2024-" in hit["message"]  # names the accepted forms


def test_chinese_date_with_time_is_accepted(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Log"][6][3] = "2024年10月8日10时0分"
    sheets["Log"][8][3] = "2024年10月9日 14时"
    path = write_book(tmp_path / "zh.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert (code, found) == (0, [])


# ---- 11. structure: title rows, Table totals rows ----------------------------------------------


def _with_title(rows: list[list[object]], title: str) -> list[list[object]]:
    return [[title], *rows]


def test_header_below_a_title_row(tmp_path, capsys):
    sheets = clean_sheets()
    for name in ("Process", "Cases", "Log", "Rules"):
        sheets[name] = _with_title(sheets[name], f"{name} — team complaints 2024")
    sheets["Log"][8][2] = "Nobody"  # Excel row 9 now (title row 1, header row 2)
    path = write_book(tmp_path / "titled.xlsx", sheets)
    book = read_workbook(path)
    assert book.table("Log").header_row == 2
    assert book.table("Log").frame.index[0] == 3  # frame index = Excel row
    assert book.table("People").header_row == 1
    code, found, _ = findings(capsys, path)
    assert [(f["cell"], f["code"], f["value"]) for f in found] == [
        ("Log!C9", "unknown_person", "Nobody")
    ]
    code, out, err = run(capsys, "route", str(path), "--as-of", AS_OF, "--format", "json")
    assert code == 0, err
    assert {r["case_id"] for r in json.loads(out)["routes"]} == {"C1", "C2", "C3"}


def test_refresh_writes_computed_headers_on_the_header_row(tmp_path, capsys):
    import openpyxl

    sheets = clean_sheets()
    for name in ("Cases", "Log"):
        sheets[name] = _with_title(sheets[name], f"{name} title")
    path = write_book(tmp_path / "titled.xlsx", sheets)
    out = tmp_path / "out.xlsx"
    code, _, err = run(capsys, "refresh", str(path), "--as-of", AS_OF, "--out", str(out))
    assert code == 0, err
    log = openpyxl.load_workbook(out)["Log"]
    assert log["A1"].value == "Log title" and log["G1"].value is None
    headers = ["Duration (h)", "SLA (h)", "Due", "Status", "Overdue (h)"]
    assert [c.value for c in log[2]][6:11] == headers
    assert (log["A3"].value, log["J3"].value) == ("C1", "Done")  # Excel row 3: C1 Receive


@pytest.mark.parametrize(("merge", "start"), [("H1:J1", "K"), ("G1:I2", "J")])
def test_computed_headers_go_past_a_merged_range_on_the_header_row(tmp_path, capsys, merge, start):
    """A merge over the header row where the computed headers would go hides all but its first
    cell: the headers go right of it, on a second run too, and the merge stays as it was."""
    import openpyxl
    from openpyxl.utils import column_index_from_string

    path = write_book(tmp_path / "merged.xlsx", clean_sheets())
    wb = openpyxl.load_workbook(path)
    log = wb["Log"]
    first = merge.split(":")[0]
    log[first] = "Team notes"
    log.merge_cells(merge)
    wb.save(path)
    headers = ["Duration (h)", "SLA (h)", "Due", "Status", "Overdue (h)"]
    at = column_index_from_string(start)
    for _ in range(2):
        code, _, err = run(capsys, "refresh", str(path), "--as-of", AS_OF)
        assert code == 0, err
        log = openpyxl.load_workbook(path)["Log"]
        assert [str(r) for r in log.merged_cells.ranges] == [merge]
        assert log[first].value == "Team notes"
        assert [log.cell(1, c).value for c in range(at, at + 5)] == headers
        assert [c.value for c in log[1]][6 : at - 1] == ["Team notes" if c == first[0] else None
                                                          for c in "GHIJ"[: at - 7]]  # fmt: skip
        assert (log["A2"].value, log.cell(2, at + 3).value) == ("C1", "Done")


def test_missing_column_is_reported_on_the_header_row(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Log"] = _with_title(sheets["Log"], "Log")
    for row in sheets["Log"][1:]:
        del row[2]  # no assignee column
    path = write_book(tmp_path / "noassignee.xlsx", sheets)
    _, found, _ = findings(capsys, path)
    assert [(f["code"], f["row"]) for f in found if f["code"] == "missing_column"] == [
        ("missing_column", 2)
    ]


def test_excel_table_totals_row_is_not_data(tmp_path, capsys):
    sheets = clean_sheets()
    total = {"total_row": True}
    columns = [{"header": h} for h in sheets["Cases"][0]]
    columns[0]["total_string"] = "Total"
    columns[4]["total_function"] = "sum"
    sheets["Cases"] = [[str(h) for h in sheets["Cases"][0]], *sheets["Cases"][1:]]
    path = write_with_xlsxwriter(
        tmp_path / "table.xlsx", sheets, tables={"Cases": {**total, "columns": columns}}
    )
    book = read_workbook(path)
    assert list(book.table("Cases").frame["case_id"]) == ["C1", "C2", "C3"]
    code, found, _ = findings(capsys, path)
    assert (code, found) == (0, [])


# ---- 12. small ones ---------------------------------------------------------------------------


def test_after_naming_the_node_itself(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["Process"][2][6] = "Classify"  # row 3 is Classify
    path = write_book(tmp_path / "self.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert code == 1
    hit = at(found, "Process!G3")[0]
    assert (hit["code"], hit["value"]) == ("bad_value", "Classify")
    assert "after itself" in hit["message"]


def test_away_to_before_away_from(tmp_path, capsys):
    sheets = clean_sheets()
    sheets["People"][4][5] = dt.date(2024, 10, 10)
    sheets["People"][4][6] = dt.date(2024, 10, 8)
    path = write_book(tmp_path / "away.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert code == 1
    hit = at(found, "People!G5")[0]
    assert hit["code"] == "bad_date"
    assert "2024-10-10 > 2024-10-08" in hit["message"]


def test_xls_renamed_xlsx_is_not_called_encrypted(tmp_path, capsys):
    import xlwt

    legacy = xlwt.Workbook()
    legacy.add_sheet("Process").write(0, 0, "node")
    path = tmp_path / "old.xlsx"
    legacy.save(str(path))
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2
    assert "legacy .xls" in err and "password" not in err
    assert len(err.strip().splitlines()) == 1


def test_permission_error_says_so(tmp_path, sheets):
    path = write_book(tmp_path / "locked.xlsx", sheets)
    path.chmod(0)
    command = [sys.executable, "-m", "sheetflow", "validate", str(path), "--as-of", AS_OF]
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot take read permission away")
        drop = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "permission denied" in result.stderr and "internal error" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_cases_sheet_is_one_finding(tmp_path, capsys):
    sheets = clean_sheets()
    del sheets["Cases"]
    path = write_book(tmp_path / "nocases.xlsx", sheets)
    code, found, _ = findings(capsys, path)
    assert code == 1
    assert [f for f in found if f["sheet"] == "Rules"] == []
    assert [f["code"] for f in found if f["code"] == "missing_sheet"] == ["missing_sheet"]
