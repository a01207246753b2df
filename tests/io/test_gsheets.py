"""The Google Sheets door: real gspread over HTTP to the local Sheets API emulator."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from sheetflow import pipeline
from sheetflow.config import load_config
from sheetflow.core import plan
from sheetflow.emulator.__main__ import load_workbook
from sheetflow.errors import SheetflowError, UsageError
from sheetflow.io.gsheets import TEMP_PREFIX, GSheetDoor, RetryPolicy, quoted
from sheetflow.io.xlsx import read_workbook

WORKBOOKS = Path(__file__).resolve().parents[2] / "workbooks"
AS_OF = "2024-10-09T16:00"
FORMULA_TITLE = '=HYPERLINK("http://x","y")'


def fast(total: float = 2.0) -> RetryPolicy:
    return RetryPolicy(base=0.001, cap=0.01, total=total)


def door_for(key: str, config, **kwargs) -> GSheetDoor:
    return GSheetDoor(key, config, policy=kwargs.pop("policy", fast()), **kwargs)


@pytest.mark.parametrize("name", ["complaints_en.xlsx", "complaints_zh.xlsx"])
def test_read_gives_the_workbook_the_file_door_gives(emulator, config, name) -> None:
    key = load_workbook(emulator, WORKBOOKS / name)
    door = door_for(key, config)
    book = door.read()
    assert door.request_count == 2  # one metadata get, one values:batchGet
    from_file = read_workbook(WORKBOOKS / name)
    assert book.language == from_file.language
    assert list(book.tables) == list(from_file.tables)
    for sheet, table in from_file.tables.items():
        got = book.tables[sheet].frame
        assert list(got.columns) == list(table.frame.columns)
        for column in table.frame.columns:
            assert list(got[column]) == list(table.frame[column]), (sheet, column)
    as_of = pipeline.parse_as_of(AS_OF)
    assert pipeline.compute(book, as_of).kpis == pipeline.compute(from_file, as_of).kpis


def test_dates_are_exact_and_ids_keep_their_zeros(emulator, config) -> None:
    key = emulator.create_spreadsheet("t", {"Log": [
        ["case_id", "node", "assignee", "start", "end"],
        ["00123", "A", "Ann", 45413 + 9.5 / 24, 45413.75],
    ]})
    frame = door_for(key, config).read().tables["Log"].frame
    assert frame["case_id"].tolist() == ["00123"]
    assert frame["start"].tolist() == [dt.datetime(2024, 5, 1, 9, 30)]
    assert frame["end"].tolist() == [dt.datetime(2024, 5, 1, 18, 0)]


def sample_plan(log_title: str = "Log", rows: tuple[int, ...] = (2, 3, 4)) -> plan.OutputPlan:
    n = len(rows)
    statuses = ["overdue", "done", "on_track"] * (n // 3 + 1)
    patch = plan.Patch(
        sheet="Log", title=log_title, header_row=1, rows=rows,
        columns=(
            plan.Column("duration_h", "duration_h", [1.5 + i for i in range(n)], plan.HOURS),
            plan.Column("due", "due", [dt.datetime(2024, 5, 1, 9, 30)] * n, plan.DATETIME),
            plan.Column("status", "status", statuses[:n]),
        ),
        positions=(6, 7, 8),
        fills=(plan.LabelFill("H2:H9", "overdue", "E53935", "FFFFFF", True),),
    )
    summary = plan.SheetPlan(
        name="Summary", title="Summary",
        cells=(plan.Cell(1, 1, "Summary", style="title", merge_to=4),
               plan.Cell(2, 1, 0.75, kind=plan.RATE, link="'Log'!A1")),
        blocks=(plan.Block(4, 1, (
            plan.Column("case_id", "case", ["C1", "C2"]),
            plan.Column("title", "title", [FORMULA_TITLE, "=IMPORTXML(A1)"], width=30),
            plan.Column("age", "age", [12.25, 3.0], plan.HOURS),
        )),),
        freeze="A5", widths={1: 12},
        fills=(plan.LabelFill("C5:C6", "x", "FFEB9C", "9C5700"),),
        charts=(plan.Chart("column", "Age", "A5:A6", (plan.Series("age", "C5:C6", "1F4E78"),),
                           "F2"),),
        tab_colour="1F4E78",
    )
    return plan.OutputPlan(language="en", as_of=dt.datetime(2024, 10, 9, 16),
                           patches=(patch,), sheets=(summary,))


def small_book(emulator) -> str:
    return emulator.create_spreadsheet("t", {
        "Log": [["case_id", "node", "assignee", "start", "end"],
                ["C1", "A", "Ann", 45413.4, None], ["C2", "A", "Bob", 45413.4, 45414],
                ["C3", "B", "Cy", 45413.5, None]],
        "Notes": [["mine"]],
    })


def titles(emulator, key: str) -> list[str]:
    return [s.title for s in emulator.book(key).sheets]


def test_write_renders_the_plan_in_three_requests(emulator, config) -> None:
    key = small_book(emulator)
    door = door_for(key, config)
    door.read()
    before = door.request_count
    door.write(sample_plan())
    assert door.request_count - before == 3
    assert titles(emulator, key) == ["Log", "Notes", "Summary"]
    book = emulator.book(key)
    assert not any(s.props.get("hidden") for s in book.sheets)
    log = emulator.values(key, "Log!F1:H4")
    assert log[0] == ["duration_h", "due", "status"]
    assert [r[0] for r in log[1:]] == [1.5, 2.5, 3.5]
    assert log[1][1] == pytest.approx(45413 + 9.5 / 24)
    # user text is text, even when it looks like a formula
    got = emulator.values(key, "Summary!B5:B6", option="FORMULA")
    assert got == [[FORMULA_TITLE], ["=IMPORTXML(A1)"]]
    assert emulator.values(key, "Summary!A1:A2") == [["Summary"], [0.75]]
    summary = book.by_title("Summary")
    assert summary.props["gridProperties"]["frozenRowCount"] == 4
    assert summary.merges and summary.charts and summary.conditional
    assert summary.number_format(1, 0) == {"type": "PERCENT", "pattern": "0.0%"}
    log_id = book.by_title("Log").sheet_id
    assert summary.cell_format(1, 0)["textFormat"]["link"]["uri"] == f"#gid={log_id}&range=A1"
    log_sheet = book.by_title("Log")
    assert log_sheet.number_format(1, 6)["type"] == "DATE_TIME"
    assert len(log_sheet.conditional) == 1
    # a second run replaces its own rules and sheets, and leaves the user's alone
    door.read()
    door.write(sample_plan())
    assert len(book_sheet(emulator, key, "Log").conditional) == 1
    assert titles(emulator, key) == ["Log", "Notes", "Summary"]
    assert emulator.values(key, "Notes!A1") == [["mine"]]


def book_sheet(emulator, key, title):
    return emulator.book(key).by_title(title)


def test_rows_no_longer_computed_are_cleared(emulator, config) -> None:
    key = small_book(emulator)
    door = door_for(key, config)
    door.read()
    door.write(sample_plan())
    door.read()
    door.write(sample_plan(rows=(2,)))
    assert emulator.values(key, "Log!F2:H4") == [[1.5, pytest.approx(45413.3958333), "overdue"]]


def test_quota_and_server_errors_are_ridden_out(emulator, config) -> None:
    key = small_book(emulator)
    door = door_for(key, config)
    emulator.fail_next(429, n=2, retry_after=0.01)
    door.read()
    emulator.fail_next(500, n=1)
    emulator.fail_next(503, n=1, match="values:batchUpdate")
    door.write(sample_plan())
    assert emulator.values(key, "Log!H2") == [["overdue"]]
    assert door.request_count == 2 + 2 + 3 + 2  # each failure cost one extra request


def test_permanent_failure_is_one_line_and_leaves_nothing_behind(emulator, config) -> None:
    key = small_book(emulator)
    door = door_for(key, config, policy=fast(total=0.2))
    door.read()
    emulator.fail_next(503, n=None, match="values:batchUpdate")
    with pytest.raises(SheetflowError, match="still failing after .* tries") as caught:
        door.write(sample_plan())
    assert caught.value.exit_code == 2
    emulator.clear_faults()
    assert titles(emulator, key) == ["Log", "Notes"]
    assert emulator.values(key, "Log!F1:H4") == []
    # the swap itself refused (after the temporary sheets were filled): they are deleted
    emulator.fail_next(400, n=1, match=f"{key}:batchUpdate", skip=1)
    with pytest.raises(SheetflowError, match="refused the request"):
        door.write(sample_plan())
    emulator.clear_faults()
    assert titles(emulator, key) == ["Log", "Notes"]


def test_leftover_temporary_sheets_are_removed_by_the_next_write(emulator, config) -> None:
    key = small_book(emulator)
    book = emulator.book(key)
    from sheetflow.emulator.model import new_sheet

    stale = new_sheet(book, {"title": TEMP_PREFIX + "dead-1", "hidden": True}, emulator.ids)
    book.sheets.append(stale)
    book.reindex()
    door = door_for(key, config)
    door.read()
    door.write(sample_plan())
    assert titles(emulator, key) == ["Log", "Notes", "Summary"]


def test_large_payloads_are_split_only_on_temporary_sheets(emulator, config) -> None:
    key = small_book(emulator)
    emulator.book(key).by_title("Log").resize(300, 26)
    door = door_for(key, config, max_request_bytes=2_000)
    door.read()
    before = door.request_count
    rows = tuple(range(2, 202))
    door.write(sample_plan(rows=rows))
    assert door.stats["split_extra"] > 0
    assert door.request_count - before == 3 + door.stats["split_extra"]
    assert len(emulator.values(key, "Log!F2:F300")) == 200


def test_missing_credentials_and_keys(emulator) -> None:
    config = load_config(None, {"SHEETFLOW_SHEETS_API_URL": emulator.url})
    with pytest.raises(UsageError, match="no Google credentials"):
        GSheetDoor("abc", config)
    token = load_config(None, {"SHEETFLOW_SHEETS_API_URL": emulator.url,
                               "SHEETFLOW_GOOGLE_TOKEN": "t"})
    with pytest.raises(SheetflowError, match="no such spreadsheet"):
        GSheetDoor("nope", token, policy=fast()).read()


def test_service_account_file_works_and_loose_permissions_warn(emulator, tmp_path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": "k1",
        "private_key": pem, "client_email": "bot@p.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": f"{emulator.url}/token"}))
    os.chmod(path, 0o644)
    config = load_config(None, {"SHEETFLOW_SHEETS_API_URL": emulator.url,
                                "GOOGLE_APPLICATION_CREDENTIALS": str(path)})
    warnings: list[str] = []
    key = small_book(emulator)
    door = GSheetDoor(key, config, policy=fast(), warn=warnings.append)
    assert "Log" in door.read().tables
    assert len(warnings) == 1 and "chmod 600" in warnings[0]
    assert "PRIVATE KEY" not in warnings[0]
    os.chmod(path, 0o600)
    warnings.clear()
    GSheetDoor(key, config, policy=fast(), warn=warnings.append)
    assert warnings == []


@pytest.mark.parametrize("name", ["complaints_en.xlsx", "complaints_zh.xlsx"])
def test_the_layouts_plan_of_a_real_report_is_accepted(emulator, config, name) -> None:
    """build_plan's whole-column fills (Log!I2:I1048576) and an empty owned sheet's first row
    (Validation with no findings) lie outside the grid; Sheets refuses such ranges."""
    from sheetflow.core.layout import build_plan

    key = load_workbook(emulator, WORKBOOKS / name)
    door = door_for(key, config)
    report = pipeline.run(door, AS_OF)
    output = build_plan(report)
    door.write(output)
    log_title = report.book.title("Log")
    patch = next(p for p in output.patches if p.title == log_title)
    header = emulator.values(key, f"{quoted(log_title)}!1:1")[0]
    assert [header[p - 1] for p in patch.positions] == [c.header for c in patch.columns]
    assert {s.title for s in output.sheets} <= set(titles(emulator, key))
    again = pipeline.compute(door_for(key, config).read(), pipeline.parse_as_of(AS_OF))
    assert again.kpis == report.kpis
