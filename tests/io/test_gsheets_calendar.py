"""`sheetflow calendar gsheet:KEY`: the same fill through the Google Sheets door, real gspread over
HTTP to the local Sheets API emulator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sheetflow import holidays
from sheetflow.cli import main
from sheetflow.config import load_config
from sheetflow.core import schema
from sheetflow.emulator import Emulator
from sheetflow.emulator.__main__ import load_workbook
from sheetflow.io.gsheets import GSheetDoor

WORKBOOKS = Path(__file__).resolve().parents[2] / "workbooks"


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as emu:
        yield emu


def _day(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_calendar_fills_a_google_sheet_once(emulator, monkeypatch, capsys, lang):
    monkeypatch.setenv("SHEETFLOW_SHEETS_API_URL", emulator.url)
    monkeypatch.setenv("SHEETFLOW_GOOGLE_TOKEN", "test-token")
    key = load_workbook(emulator, WORKBOOKS / f"complaints_{lang}.xlsx")
    config = load_config(None)
    before = GSheetDoor(key, config).read()
    assert main(["calendar", f"gsheet:{key}", "--years", "2025"]) == 0
    assert "2025" in capsys.readouterr().out
    after = GSheetDoor(key, config).read()
    frame = after.tables["Calendar"].frame
    old = before.tables["Calendar"].frame
    assert frame.loc[old.index].equals(old)  # the template's rows are untouched
    added = frame.drop(index=old.index)
    label = {k: schema.DAY_KIND.label(k, lang) for k in ("holiday", "workday")}
    expected = [(d.date, label[d.kind], d.name) for d in holidays.official_days([2025], "CN", lang)]
    got = [(_day(v), k, n) for v, k, n in added[["date", "kind", "name"]].itertuples(index=False)]
    assert got == expected
    assert main(["calendar", f"gsheet:{key}", "--years", "2025"]) == 0
    second = capsys.readouterr().out
    assert ("nothing to add" if lang == "en" else "无需新增") in second
    again = GSheetDoor(key, config).read().tables["Calendar"].frame
    assert again.equals(frame)
