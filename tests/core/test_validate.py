"""Every finding code of SPEC §7 triggered by a real workbook file, and a clean one with none."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from sheetflow.core import schema
from sheetflow.core.validate import check
from sheetflow.io.xlsx import read_workbook
from sheetflow.pipeline import compute
from tests.helpers import AS_OF

AS_OF_TS = pd.Timestamp(AS_OF)


def findings_of(path) -> list:
    """What `sheetflow validate` reports: the checks plus the routing ones (no_rule, overlaps)."""
    return compute(read_workbook(path), AS_OF_TS).findings


def codes(findings) -> list[tuple[str, str | None, str]]:
    return [(f.code, f.cell, f.severity) for f in findings]


def test_clean_workbook_has_no_findings(book_path):
    assert findings_of(book_path()) == []


def _col(rows: list[list[object]], name: str) -> int:
    return rows[0].index(name)


def _set(sheets, sheet: str, row: int, column: str, value: object) -> None:
    """Set a cell by Excel row number (header = 1) and header name."""
    rows = sheets[sheet]
    rows[row - 1][_col(rows, column)] = value


def _drop_column(sheets, sheet: str, column: str) -> None:
    index = _col(sheets[sheet], column)
    for row in sheets[sheet]:
        del row[index]


MUTATIONS = [
    pytest.param(lambda s: s.pop("Log"), [("missing_sheet", None, "error")], id="missing-sheet"),
    pytest.param(
        lambda s: _drop_column(s, "Process", "role"),
        [("missing_column", "Process!A1", "error")],
        id="missing-column",
    ),
    pytest.param(
        lambda s: _set(s, "Log", 3, "assignee", "  "),
        [("required", "Log!C3", "error")],
        id="required-blank",
    ),
    pytest.param(
        lambda s: _set(s, "Process", 3, "sla_hours", "two"),
        [("bad_number", "Process!D3", "error")],
        id="bad-number-text",
    ),
    pytest.param(
        lambda s: _set(s, "Process", 3, "sla_hours", -2),
        [("bad_number", "Process!D3", "error")],
        id="bad-number-not-positive",
    ),
    pytest.param(
        lambda s: _set(s, "Process", 3, "seq", 1.5),
        [("bad_number", "Process!B3", "error")],
        id="bad-number-seq-fraction",
    ),
    pytest.param(
        lambda s: _set(s, "Log", 8, "start", "2024-13-45 10:00"),
        [("bad_date", "Log!D8", "error")],
        id="bad-date",
    ),
    pytest.param(
        lambda s: _set(s, "Cases", 3, "priority", "very urgent"),
        [("bad_value", "Cases!D3", "error")],
        id="bad-value-enum",
    ),
    pytest.param(
        lambda s: _set(s, "SLA", 2, "sla_hours", 2_081_919),
        [("bad_number", "SLA!C2", "error")],
        id="bad-number-limit-beyond-any-calendar",
    ),
    pytest.param(
        lambda s: _set(s, "Exceptions", 2, "extend_hours", -8),
        [("bad_number", "Exceptions!C2", "error")],
        id="bad-number-negative-extension",
    ),
    pytest.param(
        lambda s: s["Settings"].append(["weekend", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"]),
        [("bad_value", "Settings!B3", "error")],
        id="bad-value-no-working-day",
    ),
    pytest.param(
        lambda s: s["Settings"].append(["timezone", "Asia/Shangai"]),
        [("bad_value", "Settings!B3", "error")],
        id="bad-value-timezone",
    ),
    pytest.param(
        lambda s: s["Settings"].append(["language", "fr"]),
        [("bad_value", "Settings!B3", "error")],
        id="bad-value-language",
    ),
    pytest.param(
        lambda s: _set(s, "Settings", 2, "value", "soon"),
        [("bad_value", "Settings!B2", "error")],
        id="bad-value-setting",
    ),
    pytest.param(
        lambda s: _set(s, "Cases", 4, "case_id", "C2"),
        [
            ("duplicate", "Cases!A4", "error"),
            ("unknown_case", "Log!A8", "error"),
            ("unknown_case", "Log!A9", "error"),
        ],
        id="duplicate-case",
    ),
    pytest.param(
        lambda s: s["Process"].append(["Visit", 5, "Agent", 1, None, None, None, None]),
        [("duplicate", "Process!A6", "error")],
        id="duplicate-node",
    ),
    pytest.param(
        lambda s: s["People"].append(["Ann", "Agent", None, None, None, None, None, None]),
        [("duplicate", "People!A7", "error")],
        id="duplicate-person",
    ),
    pytest.param(
        lambda s: s["Log"].append(["C2", "Resolve", "Bob", datetime(2024, 10, 9, 9), None]),
        [("duplicate", "Log!B10", "error")],
        id="duplicate-open-log-row",
    ),
    pytest.param(
        lambda s: _set(s, "Log", 9, "case_id", "C9"),
        [("unknown_case", "Log!A9", "error")],
        id="unknown-case",
    ),
    pytest.param(
        lambda s: _set(s, "Log", 9, "node", "Escalate"),
        [("unknown_node", "Log!B9", "error")],
        id="unknown-node",
    ),
    pytest.param(
        lambda s: _set(s, "People", 2, "manager", "Zed"),
        [("unknown_person", "People!D2", "error")],
        id="unknown-manager",
    ),
    pytest.param(
        lambda s: _set(s, "Log", 2, "end", datetime(2024, 9, 30, 8, 0)),
        [("end_before_start", "Log!E2", "error")],
        id="end-before-start",
    ),
    pytest.param(
        lambda s: _set(s, "Log", 9, "start", datetime(2024, 10, 9, 17, 0)),
        [("future_time", "Log!D9", "warning")],
        id="future-time",
    ),
    pytest.param(
        lambda s: _set(s, "Log", 9, "start", datetime(2024, 10, 9, 9, 10)),
        [("out_of_order", "Log!D9", "warning")],
        id="out-of-order",
    ),
    pytest.param(
        lambda s: s["Log"].pop(2),
        [("skipped_required", "Cases!A2", "error")],
        id="skipped-required",
    ),
    pytest.param(
        lambda s: _set(s, "Rules", 3, "amount", "[5000..50000]"),
        [("no_rule", "Cases!A4", "error")],  # C3's 60,000 matches no rule
        id="no-rule",
    ),
    pytest.param(
        lambda s: (
            s["Settings"].append(["hit_policy", "UNIQUE"]),
            _set(s, "Rules", 3, "amount", ">= 500"),
        ),
        [("overlapping_rules", None, "error")],  # 800 matches both R1 and R2
        id="overlapping-rules",
    ),
    pytest.param(
        lambda s: (
            _set(s, "People", 6, "away_from", date(2024, 10, 1)),
            _set(s, "People", 6, "away_to", date(2024, 10, 31)),
            _set(s, "People", 6, "deputy", "Dora"),
        ),
        [("deputy_cycle", None, "error")],
        id="deputy-cycle",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), MUTATIONS)
def test_each_finding_code(book_path, sheets, mutate, expected):
    mutate(sheets)
    found = codes(findings_of(book_path(sheets)))
    assert [(code, sev) for code, _, sev in found] == [(code, sev) for code, _, sev in expected]
    for (_, cell, _), (_, wanted, _) in zip(found, expected):
        if wanted is not None:
            assert cell == wanted


def test_finding_text_names_cell_value_and_fix(book_path, sheets):
    _set(sheets, "Log", 8, "start", "2024-13-45 10:00")
    (finding,) = findings_of(book_path(sheets))
    assert finding.sheet == "Log" and finding.row == 8 and finding.column == "start"
    assert finding.value == "2024-13-45 10:00"
    assert "2024-05-01 09:30" in finding.message  # says what a good value looks like


def to_zh(sheets: dict[str, list[list[object]]]) -> dict[str, list[list[object]]]:
    """The same workbook with Chinese sheet names and headers."""
    out = {}
    for title, rows in sheets.items():
        sheet = schema.SHEETS_BY_NAME[title]
        lookup = {c.name: c.zh for c in sheet.columns}
        out[sheet.zh] = [[lookup.get(h, h) for h in rows[0]], *rows[1:]]
    return out


def test_chinese_workbook_gets_chinese_messages(book_path, sheets):
    _set(sheets, "Log", 8, "start", "不是日期")
    _set(sheets, "Log", 9, "node", "升级")
    zh = to_zh(sheets)
    found = findings_of(book_path(zh))
    assert [(f.code, f.cell) for f in found] == [
        ("bad_date", "执行记录!D8"),
        ("unknown_node", "执行记录!B9"),
    ]
    assert found[0].sheet == "执行记录" and found[0].column == "开始时间"
    assert "请填写" in found[0].message
    assert "Receive" in found[1].message  # lists the nodes that exist


def test_headers_match_case_space_and_mixed_language(book_path, sheets):
    sheets["Log"][0] = ["  CASE_ID ", "节点", "Assignee", "start", " END", "Note", "extra col"]
    for row in sheets["Log"][1:]:
        row.extend([None] * (6 - len(row)))
        row.append("kept")
    book = read_workbook(book_path(sheets))
    log = book.frame("Log")
    assert list(log.columns) == ["case_id", "node", "assignee", "start", "end", "note", "extra col"]
    assert (log["extra col"] == "kept").all()
    assert check(book, AS_OF_TS).findings.items == []


def test_empty_rows_are_skipped_and_rows_keep_excel_numbers(book_path, sheets):
    sheets["Log"].insert(3, [None, None, None, None, None, None])
    sheets["Log"].insert(3, ["", "  ", None, None, None, None])
    sheets["Log"][8][1] = "Escalate"  # was Excel row 7, now row 9
    found = findings_of(book_path(sheets))
    assert [(f.code, f.cell) for f in found] == [("unknown_node", "Log!B9")]


def test_times_as_iso_text_and_excel_serials(book_path, sheets):
    sheets["Log"][1][3] = "2024-09-30 09:00"
    sheets["Log"][1][4] = 45565.395833333336  # 2024-09-30 09:30 as an Excel serial
    sheets["Log"][2][3] = "2024/09/30 09:30"
    book = read_workbook(book_path(sheets))
    typed = check(book, AS_OF_TS)
    assert typed.findings.items == []
    assert typed.log.loc[2, "start"] == pd.Timestamp("2024-09-30 09:00")
    assert typed.log.loc[2, "end"] == pd.Timestamp("2024-09-30 09:30")
    assert typed.log.loc[3, "start"] == pd.Timestamp("2024-09-30 09:30")
