"""The Summary dashboard as a manager opens it: read back from the refreshed file with openpyxl."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from sheetflow.cli import main
from sheetflow.core import i18n
from tests.helpers import AS_OF

ROOT = Path(__file__).resolve().parents[2]


def refreshed(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> tuple[Path, dict]:
    book = shutil.copy(ROOT / "workbooks" / name, tmp_path / name)
    assert main(["refresh", str(book), "--as-of", AS_OF, "--format", "json", "-q"]) == 0
    return Path(book), json.loads(capsys.readouterr().out)["kpis"]


def rows_of(ws) -> list[list[object]]:  # noqa: ANN001
    return [list(r) for r in ws.iter_rows(values_only=True)]


def section(ws, title: str) -> list[list[object]]:  # noqa: ANN001
    """The table under a section title: its header row and the rows down to the next blank."""
    rows = rows_of(ws)
    start = next(i for i, r in enumerate(rows) if r[0] == title)
    table = []
    for r in rows[start + 1 :]:
        if r[0] is None:
            break
        table.append(r)
    return table


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_book_opens_on_the_dashboard(tmp_path: Path, capsys, lang: str) -> None:
    book, _ = refreshed(tmp_path, f"complaints_{lang}.xlsx", capsys)
    wb = openpyxl.load_workbook(book)
    summary = "Summary" if lang == "en" else "汇总"
    assert wb.active.title == summary
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [summary]
    title = wb[summary]["A1"].value
    assert title == i18n.text("dash.title", lang, as_of="2024-10-09 16:00")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_manager_view_in_the_sheet_equals_the_json(tmp_path: Path, capsys, lang: str):
    book, kpis = refreshed(tmp_path, f"complaints_{lang}.xlsx", capsys)
    ws = openpyxl.load_workbook(book)["Summary" if lang == "en" else "汇总"]
    weeks = section(ws, i18n.text("view.by_week", lang))[1:]
    assert [(r[0], r[1], r[2], r[3]) for r in weeks] == [
        (w["week"], w["opened"], w["closed"], w["on_time_rate"]) for w in kpis["by_week"]
    ]
    workload = {r[0]: tuple(r[1:4]) for r in section(ws, i18n.text("view.workload", lang))[1:]}
    assert workload == {
        k: (v["open"], v["overdue"], v["at_risk"]) for k, v in kpis["workload"].items()
    }
    departments = section(ws, i18n.text("view.by_department", lang))[1:]
    assert [tuple(r[1:5]) for r in departments] == [
        (v["cases"], v["open"], v["overdue"], v["on_time_rate"])
        for v in kpis["by_department"].values()
    ]
    priorities = section(ws, i18n.text("view.by_priority", lang))[1:]
    assert [tuple(r[1:5]) for r in priorities] == [
        (v["cases"], v["open"], v["overdue"], v["on_time_rate"])
        for v in kpis["by_priority"].values()
    ]
    aging = section(ws, i18n.text("view.aging", lang))[1:]
    assert [r[1] for r in aging] == list(kpis["aging"].values())
    assert len(aging) == 4


def test_tiles_are_coloured_by_their_targets(tmp_path: Path, capsys) -> None:
    book, kpis = refreshed(tmp_path, "complaints_en.xlsx", capsys)
    ws = openpyxl.load_workbook(book)["Summary"]
    tiles = {ws.cell(4, c).value: ws.cell(5, c) for c in range(1, 7)}
    red, amber, green = "FFE53935", "FFFFC000", "FF2E7D32"
    overdue = tiles[i18n.text("dash.tile.overdue", "en")]
    assert overdue.value == kpis["overdue_open"] > 0 and overdue.fill.fgColor.rgb == red
    at_risk = tiles[i18n.text("dash.tile.at_risk", "en")]
    assert at_risk.value == kpis["at_risk_open"] > 0 and at_risk.fill.fgColor.rgb == amber
    on_time = tiles[i18n.text("dash.tile.on_time", "en")]
    # 57.1 % against a 90 % target: more than 10 points under it is red
    assert on_time.value == kpis["on_time_rate"] < kpis["on_time_target"] - 0.1
    assert on_time.fill.fgColor.rgb == red
    assert green not in {c.fill.fgColor.rgb for c in tiles.values()}


def test_a_banner_points_at_validation_when_there_are_errors(tmp_path: Path, capsys) -> None:
    book = shutil.copy(ROOT / "workbooks" / "complaints_en.xlsx", tmp_path / "bad.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["Log"]["D3"] = "not a date"
    wb.save(book)
    assert main(["refresh", str(book), "--as-of", AS_OF, "-q"]) == 1
    capsys.readouterr()
    ws = openpyxl.load_workbook(book)["Summary"]
    assert "1 validation error" in ws["A2"].value
    assert ws["A2"].hyperlink.location == "'Validation'!A1"
