"""The emulator's own switches and the Google behaviour sheetflow relies on, over real HTTP."""

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
    session = requests.Session()
    session.headers["Authorization"] = "Bearer test"
    key = emulator.create_spreadsheet("t", {"Data": [["a", "b"], [1, 2]]})
    base = f"{emulator.url}/v4/spreadsheets/{key}"
    return session, base, key


def test_raw_text_starting_with_equals_stays_text(api) -> None:
    session, base, _ = api
    text = '=HYPERLINK("http://x","y")'
    session.put(f"{base}/values/Data!A3?valueInputOption=RAW", json={"values": [[text]]})
    got = session.get(f"{base}/values/Data!A3", params={"valueRenderOption": "FORMULA"}).json()
    assert got["values"] == [[text]]
    # USER_ENTERED makes it a formula the emulator cannot compute: an honest 501
    session.put(f"{base}/values/Data!A4?valueInputOption=USER_ENTERED", json={"values": [[text]]})
    answer = session.get(f"{base}/values/Data!A4")
    assert answer.status_code == 501
    assert answer.json()["error"]["status"] == "UNIMPLEMENTED"


def test_serial_dates_and_trimming(api) -> None:
    session, base, _ = api
    session.put(f"{base}/values/Data!A3:C3?valueInputOption=USER_ENTERED",
                json={"values": [["2024-05-01 09:30", "0042", ""]]})
    got = session.get(f"{base}/values/Data!A1:E9", params={
        "valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}).json()
    assert got["range"] == "Data!A1:E9"
    assert got["values"][2] == [pytest.approx(45413 + 9.5 / 24), 42]
    empty = session.get(f"{base}/values/Data!H1:H5").json()
    assert "values" not in empty


def test_injected_failures_and_count(emulator, api) -> None:
    session, base, _ = api
    emulator.reset_count()
    emulator.fail_next(429, n=2, retry_after=3)
    first = session.get(base)
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert first.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert session.get(base).status_code == 429
    assert session.get(base).status_code == 200
    emulator.fail_next(503, n=None, match=":batchUpdate")
    assert session.get(base).status_code == 200
    assert session.post(f"{base}:batchUpdate", json={"requests": []}).status_code == 503
    emulator.clear_faults()
    assert emulator.request_count == 5


def test_batch_update_is_atomic_and_unknown_kinds_are_501(api, emulator) -> None:
    session, base, key = api
    answer = session.post(f"{base}:batchUpdate", json={"requests": [
        {"addSheet": {"properties": {"title": "New"}}},
        {"addSheet": {"properties": {"title": "New"}}},  # a duplicate: the whole batch fails
    ]})
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert [s.title for s in emulator.book(key).sheets] == ["Data"]
    answer = session.post(f"{base}:batchUpdate", json={"requests": [
        {"addSheet": {"properties": {"title": "New"}}}, {"sortRange": {}}]})
    assert answer.status_code == 501
    assert [s.title for s in emulator.book(key).sheets] == ["Data"]


def test_errors_have_googles_shape(api, emulator) -> None:
    session, base, _ = api
    missing = session.get(f"{emulator.url}/v4/spreadsheets/nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": 404, "message": "Requested entity was not found.",
                                        "status": "NOT_FOUND"}}
    assert requests.get(base).status_code == 401  # no credentials
    assert session.get(f"{base}/values/Data!A1:A2000").status_code == 400  # beyond the grid
    assert session.get(f"{emulator.url}/v4/other").status_code == 501


def test_create_spreadsheet_like_the_api(emulator) -> None:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer test"
    made = session.post(f"{emulator.url}/v4/spreadsheets",
                        json={"properties": {"title": "Mine"}}).json()
    assert made["properties"]["title"] == "Mine"
    assert made["sheets"][0]["properties"]["title"] == "Sheet1"
    assert made["spreadsheetId"] in emulator.books
