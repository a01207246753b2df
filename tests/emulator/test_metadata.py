"""Developer metadata in the emulator, over real HTTP, in the shapes of Google's metadata guide
(developers.google.com/workspace/sheets/api/guides/metadata)."""

from __future__ import annotations

import pytest
import requests

from sheetflow.emulator import Emulator


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as emu:
        yield emu


@pytest.fixture
def api(emulator):
    emulator.reset()
    emulator.preload_sheet_ids([0, 5])  # Data is sheet 0, as a new spreadsheet's first sheet
    session = requests.Session()
    session.headers["Authorization"] = "Bearer test"
    key = emulator.create_spreadsheet("t", {"Data": [["a", "b"], [1, 2]], "Other": [["x"]]})
    base = f"{emulator.url}/v4/spreadsheets/{key}"
    meta = session.get(base).json()
    ids = {s["properties"]["title"]: s["properties"]["sheetId"] for s in meta["sheets"]}
    return session, base, ids


def create(key: str, location: dict, value: str | None = None, **extra) -> dict:
    wanted = {"metadataKey": key, "location": location, "visibility": "DOCUMENT", **extra}
    if value is not None:
        wanted["metadataValue"] = value
    return {"createDeveloperMetadata": {"developerMetadata": wanted}}


def column(sheet_id: int, index: int) -> dict:
    return {"dimensionRange": {"sheetId": sheet_id, "dimension": "COLUMNS",
                               "startIndex": index, "endIndex": index + 1}}


def test_create_answers_with_the_id_and_location_type(api) -> None:
    session, base, ids = api
    answer = session.post(f"{base}:batchUpdate", json={"requests": [
        create("Sales", {"dimensionRange": {"sheetId": ids["Data"], "dimension": "ROWS",
                                            "startIndex": 6, "endIndex": 7}}, "2022"),
        create("tab", {"sheetId": ids["Other"]}, metadataId=77),
    ]}).json()
    row, sheet = (r["createDeveloperMetadata"]["developerMetadata"] for r in answer["replies"])
    assert row["metadataId"] > 0 and row["metadataValue"] == "2022"
    assert row["location"]["locationType"] == "ROW"
    assert row["location"]["dimensionRange"]["startIndex"] == 6
    assert sheet == {"metadataId": 77, "metadataKey": "tab",
                     "location": {"locationType": "SHEET", "sheetId": ids["Other"]},
                     "visibility": "DOCUMENT"}
    assert session.get(f"{base}/developerMetadata/77").json() == sheet
    missing = session.get(f"{base}/developerMetadata/78")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "No developer metadata with ID 78."


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        pytest.param({"metadataKey": "k", "location": {"spreadsheet": True}}, "visibility",
                     id="no-visibility"),
        pytest.param({"visibility": "DOCUMENT", "location": {"spreadsheet": True}}, "key",
                     id="no-key"),
        pytest.param({"metadataKey": "k", "visibility": "DOCUMENT",
                      "location": {"dimensionRange": {"sheetId": 0, "dimension": "COLUMNS",
                                                      "startIndex": 1, "endIndex": 3}}},
                     "single row or column", id="two-columns"),
        pytest.param({"metadataKey": "k", "visibility": "DOCUMENT",
                      "location": {"sheetId": 424242}}, "No grid with id", id="no-sheet"),
    ],
)
def test_create_refuses_what_the_api_refuses(api, wanted: dict, message: str) -> None:
    session, base, _ = api
    answer = session.post(f"{base}:batchUpdate", json={"requests": [
        {"createDeveloperMetadata": {"developerMetadata": wanted}}]})
    assert answer.status_code == 400
    assert message in answer.json()["error"]["message"]


def test_read_back_with_the_spreadsheet_and_its_column_metadata(api) -> None:
    session, base, ids = api
    session.post(f"{base}:batchUpdate", json={"requests": [
        create("_sheetflow.sheet", {"sheetId": ids["Other"]}, "Summary"),
        create("_sheetflow.column", column(ids["Data"], 1), "status"),
        create("book", {"spreadsheet": True}),
    ]}).raise_for_status()
    fields = "developerMetadata,sheets(properties.title,developerMetadata," \
             "data(columnMetadata(developerMetadata)))"
    meta = session.get(base, params={"fields": fields}).json()
    assert ids["Data"] == 0
    assert [m["metadataKey"] for m in meta["developerMetadata"]] == ["book"]
    data, other = meta["sheets"]
    assert "developerMetadata" not in data and "rowData" not in data["data"][0]
    columns = data["data"][0]["columnMetadata"]
    assert columns[0] == {} and len(columns) == 26
    (status,) = columns[1]["developerMetadata"]
    assert status["metadataValue"] == "status"
    assert status["location"] == {"locationType": "COLUMN", "dimensionRange": {
        "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2}}  # sheetId 0: left out
    assert [m["metadataValue"] for m in other["developerMetadata"]] == ["Summary"]


def test_delete_by_filter_and_with_its_sheet(api) -> None:
    session, base, ids = api
    made = session.post(f"{base}:batchUpdate", json={"requests": [
        create("k", column(ids["Data"], 0), "a"),
        create("k", column(ids["Data"], 1), "b"),
        create("k", {"sheetId": ids["Other"]}, "c"),
    ]}).json()
    first = made["replies"][0]["createDeveloperMetadata"]["developerMetadata"]["metadataId"]
    gone = session.post(f"{base}:batchUpdate", json={"requests": [
        {"deleteDeveloperMetadata": {"dataFilter": {
            "developerMetadataLookup": {"metadataId": first}}}},
        {"deleteSheet": {"sheetId": ids["Other"]}},
    ]}).json()["replies"][0]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"]
    assert [m["metadataValue"] for m in gone] == ["a"]
    found = session.post(f"{base}/developerMetadata:search", json={"dataFilters": [
        {"developerMetadataLookup": {"metadataKey": "k"}}]}).json()
    assert [m["developerMetadata"]["metadataValue"] for m in found["matchedDeveloperMetadata"]] \
        == ["b"]  # "c" went with its sheet
    assert found["matchedDeveloperMetadata"][0]["dataFilters"] == [
        {"developerMetadataLookup": {"metadataKey": "k"}}]


def test_a_failed_batch_keeps_the_metadata_it_had(api) -> None:
    session, base, ids = api
    session.post(f"{base}:batchUpdate", json={"requests": [
        create("k", {"sheetId": ids["Data"]}, "kept")]}).raise_for_status()
    answer = session.post(f"{base}:batchUpdate", json={"requests": [
        {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
            "metadataKey": "k"}}}},
        {"deleteSheet": {"sheetId": 424242}},
    ]})
    assert answer.status_code == 400
    found = session.post(f"{base}/developerMetadata:search", json={"dataFilters": [
        {"developerMetadataLookup": {"metadataKey": "k"}}]}).json()
    assert len(found["matchedDeveloperMetadata"]) == 1
