"""The Google door knows what it wrote: developer metadata on its sheets and columns, written in
the swap's batchUpdate (no request of its own). Real gspread over HTTP to the emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import requests

from sheetflow import pipeline
from sheetflow.emulator import Emulator
from sheetflow.emulator.__main__ import load_workbook
from sheetflow.io.doors import open_book
from sheetflow.io.gsheets import GSheetDoor, RetryPolicy
from tests.helpers import add_users_status_column

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-10-09T16:00"
CODES = ["duration_h", "sla_h", "due", "status", "overdue_h"]  # what the records name
OUTPUTS = ["Duration (h)", "SLA (h)", "Due", "Status", "Overdue (h)"]  # English display labels


@pytest.fixture
def users_book(tmp_path: Path) -> Path:
    """The English template with the user's own `Summary` sheet and a Log column `status`."""
    path = tmp_path / "book.xlsx"
    shutil.copy(ROOT / "workbooks" / "complaints_en.xlsx", path)
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Summary", 1)["A1"] = "My own summary"
    wb.save(path)
    add_users_status_column(path)
    return path


def refresh(key: str, config) -> tuple[GSheetDoor, list]:  # noqa: ANN001
    door = GSheetDoor(key, config, policy=RetryPolicy(base=0.001, cap=0.01, total=2))
    report, _ = pipeline.refresh(door, AS_OF)
    return door, report.findings


def titles(emulator: Emulator, key: str) -> list[str]:
    return [s.title for s in emulator.book(key).sheets]


def taken(findings: list) -> set[tuple[str, object]]:
    return {(f.sheet, f.value) for f in findings if f.code == "name_taken"}


def records(emulator: Emulator, key: str) -> list[tuple[str, str, str]]:
    """(key, value, where) of every developer metadata, through the API's search."""
    found = requests.post(
        f"{emulator.url}/v4/spreadsheets/{key}/developerMetadata:search",
        headers={"Authorization": "Bearer t"},
        json={"dataFilters": [{"developerMetadataLookup": {"visibility": "DOCUMENT"}}]},
    ).json().get("matchedDeveloperMetadata", [])
    book = emulator.book(key)
    out = []
    for match in found:
        meta = match["developerMetadata"]
        location = meta["location"]
        if "sheetId" in location:
            where = book.by_id(location["sheetId"]).title
        else:
            span = location["dimensionRange"]
            where = f"{book.by_id(span.get('sheetId', 0)).title}:{span['startIndex'] + 1}"
        out.append((meta["metadataKey"], meta["metadataValue"], where))
    return sorted(out)


def log_header(emulator: Emulator, key: str) -> list[object]:
    return emulator.values(key, "Log!1:1")[0]


def test_users_summary_and_status_column_are_kept_outputs_go_beside(
    emulator, config, users_book: Path
) -> None:
    key = load_workbook(emulator, users_book)
    door, findings = refresh(key, config)
    assert door.request_count == 5  # read: metadata, values; write: setup, fill, swap
    assert "Summary" in titles(emulator, key) and "Summary (sheetflow)" in titles(emulator, key)
    assert emulator.values(key, "Summary!A1:C3") == [["My own summary"]]
    assert emulator.values(key, "'Summary (sheetflow)'!A1")[0][0].startswith("Process summary")
    assert log_header(emulator, key)[6:] == ["status", *OUTPUTS]
    assert emulator.values(key, "Log!G2:G3") == [["checked 2"], ["checked 3"]]
    assert taken(findings) == {("Summary", "Summary"), ("Log", "status")}
    recorded = records(emulator, key)
    assert ("_sheetflow.sheet", "Summary", "Summary (sheetflow)") in recorded
    assert [r for r in recorded if r[2].startswith("Log:")] == sorted(
        ("_sheetflow.column", name, f"Log:{8 + i}") for i, name in enumerate(CODES)
    )


def test_a_second_refresh_rewrites_its_own_outputs_in_place(
    emulator, config, users_book: Path
) -> None:
    key = load_workbook(emulator, users_book)
    refresh(key, config)
    before, first = titles(emulator, key), records(emulator, key)
    door, findings = refresh(key, config)
    assert door.request_count == 5
    assert titles(emulator, key) == before
    assert log_header(emulator, key)[6:] == ["status", *OUTPUTS]
    assert emulator.values(key, "Log!G2") == [["checked 2"]]
    assert taken(findings) == {("Summary", "Summary"), ("Log", "status")}
    assert records(emulator, key) == first  # replaced, not piled up


def test_a_file_door_book_uploaded_is_recognised_then_recorded(
    emulator, config, tmp_path: Path
) -> None:
    path = tmp_path / "book.xlsx"
    shutil.copy(ROOT / "workbooks" / "complaints_en.xlsx", path)
    pipeline.refresh(open_book(str(path)), AS_OF)  # the file door's outputs and names
    by_file = openpyxl.load_workbook(path)
    key = load_workbook(emulator, path)  # an upload: values only, the names stay behind
    assert records(emulator, key) == []
    _, findings = refresh(key, config)  # judged by content: the file door's sheets are ours
    assert titles(emulator, key) == by_file.sheetnames
    assert log_header(emulator, key) == [c.value for c in by_file["Log"][1]]
    assert taken(findings) == set()
    assert len(records(emulator, key)) == 5 + 5 + 7  # owned sheets, Log's and Cases' columns
    refresh(key, config)  # and by its records from then on
    assert titles(emulator, key) == by_file.sheetnames


def test_unread_sheet_named_like_an_output_is_no_longer_replaced(emulator, config) -> None:
    """Before the records, the door did not read a sheet named `Summary` and replaced it."""
    key = load_workbook(emulator, ROOT / "workbooks" / "complaints_en.xlsx")
    requests.post(  # the user adds their own Summary
        f"{emulator.url}/v4/spreadsheets/{key}:batchUpdate",
        headers={"Authorization": "Bearer t"},
        json={"requests": [{"addSheet": {"properties": {"title": "Summary"}}}]},
    ).raise_for_status()
    requests.put(
        f"{emulator.url}/v4/spreadsheets/{key}/values/Summary!A1?valueInputOption=RAW",
        headers={"Authorization": "Bearer t"}, json={"values": [["mine"]]},
    ).raise_for_status()
    refresh(key, config)
    assert emulator.values(key, "Summary!A1") == [["mine"]]
    assert "Summary (sheetflow)" in titles(emulator, key)


def test_computed_headers_go_past_a_merge_on_the_header_row(emulator, config, tmp_path) -> None:
    """A merge the user made over H1:J1 of Log (read from the sheet's `merges`, in the same
    metadata request): the computed columns start at K, on a second refresh too."""
    path = Path(shutil.copy(ROOT / "workbooks" / "complaints_en.xlsx", tmp_path / "m.xlsx"))
    key = load_workbook(emulator, path)
    log_id = next(s.sheet_id for s in emulator.book(key).sheets if s.title == "Log")
    answer = requests.post(
        f"{emulator.url}/v4/spreadsheets/{key}:batchUpdate",
        headers={"Authorization": "Bearer t"},
        json={"requests": [
            {"updateCells": {"rows": [{"values": [{"userEnteredValue": {"stringValue": "Team"}}]}],
                             "fields": "userEnteredValue",
                             "start": {"sheetId": log_id, "rowIndex": 0, "columnIndex": 7}}},
            {"mergeCells": {"mergeType": "MERGE_ALL", "range": {
                "sheetId": log_id, "startRowIndex": 0, "endRowIndex": 1,
                "startColumnIndex": 7, "endColumnIndex": 10}}},
        ]},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    for _ in range(2):
        door, _ = refresh(key, config)
        assert door.request_count == 5
        header = emulator.values(key, "Log!A1:O1")[0]
        assert header[7:] == ["Team", "", "", *OUTPUTS]
