"""`sheetflow refresh` end to end on real files, read back with independent readers."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tests.helpers import AS_OF, assert_one_line_error, calamine_rows, write_book
from tests.helpers import run_cli as sheetflow


def test_refresh_writes_computed_columns_and_sheets(tmp_path, sheets):
    book = write_book(tmp_path / "book.xlsx", sheets)
    out = tmp_path / "out.xlsx"
    result = sheetflow(
        "refresh", str(book), "--as-of", AS_OF, "--out", str(out), "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == "2024-10-09T16:00:00"
    assert (data["errors"], data["warnings"]) == (0, 0)
    assert data["kpis"]["overdue_open"] == 1 and data["kpis"]["bottleneck_node"] == "Resolve"

    log = calamine_rows(out, "Log")
    assert log[0] == [
        "case_id",
        "node",
        "assignee",
        "start",
        "end",
        "note",
        "Duration (h)",
        "SLA (h)",
        "Due",
        "Status",
        "Overdue (h)",
    ]
    # Row 7: C2 Resolve, urgent, 13 business hours of 8 (worked by hand in tests/core).
    assert log[6][:3] == ["C2", "Resolve", "Bob"]
    assert log[6][6:] == [13.0, 8.0, dt.datetime(2024, 10, 9, 10, 0), "Overdue", 5.0]
    assert log[8][9] == "At risk"
    cases = calamine_rows(out, "Cases")
    assert cases[0][-7:] == [
        "Case status",
        "Current node",
        "Case elapsed (h)",
        "Approver role",
        "Approver",
        "Delegated from",
        "Route rule",
    ]
    assert cases[2][-7:] == ["Open", "Resolve", 31.0, "Manager", "Eve", "Dora", "R2"]
    titles = CalamineWorkbook.from_path(str(out)).sheet_names
    assert titles[-5:] == ["Summary", "Overdue", "Routing", "NodeStats", "Validation"]
    # The source is untouched when --out is given.
    assert calamine_rows(book, "Log")[0] == sheets["Log"][0]


def test_refresh_in_place_twice_is_idempotent_and_keeps_a_backup(tmp_path, sheets):
    book = write_book(tmp_path / "book.xlsx", sheets)
    original = book.read_bytes()
    assert sheetflow("refresh", str(book), "--as-of", AS_OF).returncode == 0
    backup = tmp_path / "book.bak.xlsx"
    assert backup.read_bytes() == original
    once = {
        name: calamine_rows(book, name)
        for name in CalamineWorkbook.from_path(str(book)).sheet_names
    }
    first_wb = openpyxl.load_workbook(book)
    assert sheetflow("refresh", str(book), "--as-of", AS_OF).returncode == 0
    twice = {
        name: calamine_rows(book, name)
        for name in CalamineWorkbook.from_path(str(book)).sheet_names
    }
    assert once == twice
    second_wb = openpyxl.load_workbook(book)
    for ws in second_wb.worksheets:
        before = first_wb[ws.title]
        assert len(ws.conditional_formatting) == len(before.conditional_formatting), ws.title
        assert len(ws._charts) == len(before._charts)


def test_refresh_zh_workbook_uses_chinese_labels(tmp_path):
    template = tmp_path / "zh.xlsx"
    assert sheetflow("init", str(template), "--lang", "zh").returncode == 0
    out = tmp_path / "zh_out.xlsx"
    result = sheetflow("refresh", str(template), "--as-of", AS_OF, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "已写入" in result.stdout
    titles = CalamineWorkbook.from_path(str(out)).sheet_names
    assert titles[-5:] == ["汇总", "超时清单", "审批分派", "节点统计", "校验结果"]
    log = calamine_rows(out, "执行记录")
    assert log[0][-5:] == ["耗时(小时)", "时限(小时)", "截止时间", "状态", "超时(小时)"]
    assert {row[-2] for row in log[1:]} <= {"已完成", "超时完成", "超时", "预警", "正常"}
    assert "超时" in {row[-2] for row in log[1:]}


def test_refresh_refuses_when_excel_has_the_file_open(tmp_path, sheets):
    book = write_book(tmp_path / "book.xlsx", sheets)
    (tmp_path / "~$book.xlsx").write_bytes(b"owner")
    before = book.read_bytes()
    assert_one_line_error(sheetflow("refresh", str(book), "--as-of", AS_OF), 2, "open")
    assert book.read_bytes() == before
    assert not (tmp_path / "book.bak.xlsx").exists()


def test_refresh_with_errors_still_writes_and_exits_1(tmp_path, sheets):
    sheets["Log"][3][3] = "not a date"
    book = write_book(tmp_path / "book.xlsx", sheets)
    out = tmp_path / "out.xlsx"
    result = sheetflow("refresh", str(book), "--as-of", AS_OF, "--out", str(out))
    assert result.returncode == 1
    validation = calamine_rows(out, "Validation")
    assert any("bad_date" in row for row in validation[1:])


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_refreshed_workbook_converts_to_pdf(tmp_path, sheets):
    import subprocess

    book = write_book(tmp_path / "book.xlsx", sheets)
    out = tmp_path / "out.xlsx"
    assert sheetflow("refresh", str(book), "--as-of", AS_OF, "--out", str(out)).returncode == 0
    done = subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "out.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
