"""`sheetflow calendar` and `init --calendar` as a user runs them: real processes and real files,
read back with calamine (an independent reader)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from sheetflow import holidays
from sheetflow.core import schema
from tests.cli.test_cli import assert_one_line_error, sheetflow
from tests.helpers import clean_sheets, write_book


def _rows(path: Path, title: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(title).to_python()


def _as_date(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


# errors: one line, exit 2, the book untouched ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        pytest.param(
            ["--years", "2099"], "no official holiday calendar for CN in 2099", id="future-year"
        ),
        pytest.param(["--years", "2025", "--country", "XX"], "country 'XX'", id="unknown-country"),
        pytest.param(["--years", "twenty"], "invalid int value", id="not-a-number"),
        pytest.param([], "--years", id="no-years"),
    ],
)
def test_calendar_errors_are_one_line_and_leave_the_book_alone(tmp_path, args, fragment):
    path = write_book(tmp_path / "book.xlsx", clean_sheets())
    before = path.read_bytes()
    result = sheetflow("calendar", str(path), *args)
    assert_one_line_error(result, 2, fragment)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


# init --calendar ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_init_with_calendar_fills_this_and_next_year(tmp_path, lang):
    path = tmp_path / "book.xlsx"
    result = sheetflow("init", str(path), "--lang", lang, "--calendar", "CN")
    assert result.returncode == 0, result.stderr
    this_year = dt.date.today().year
    known, unknown = holidays.split_known_years([this_year, this_year + 1], "CN")
    for year in unknown:  # not published yet: said so, with the command for later
        assert f"sheetflow calendar BOOK --years {year}" in result.stdout
    rows = _rows(path, schema.CALENDAR.label(lang))[1:]
    have = {(_as_date(r[0]), r[1], r[2]) for r in rows}
    label = {k: schema.DAY_KIND.label(k, lang) for k in ("holiday", "workday")}
    for d in holidays.official_days([2024, *known], "CN", lang):
        assert (d.date, label[d.kind], d.name) in have
    assert len(rows) == len({_as_date(r[0]) for r in rows})


def test_init_with_an_unknown_country_is_one_line(tmp_path):
    result = sheetflow("init", str(tmp_path / "book.xlsx"), "--calendar", "XX")
    assert_one_line_error(result, 2, "country 'XX'")
    assert not (tmp_path / "book.xlsx").exists()


# filling a real workbook ----------------------------------------------------------------------

SPRING = {
    dt.date(2025, 1, 26): "workday",
    **{dt.date(2025, 1, d): "holiday" for d in (28, 29, 30, 31)},
    dt.date(2025, 2, 3): "holiday",
    dt.date(2025, 2, 4): "holiday",
    dt.date(2025, 2, 8): "workday",
}
NATIONAL = {
    dt.date(2025, 9, 28): "workday",
    **{dt.date(2025, 10, d): "holiday" for d in (1, 2, 3, 6, 7, 8)},
    dt.date(2025, 10, 11): "workday",
}


def _zh_sheets() -> dict[str, list[list[object]]]:
    sheets = clean_sheets()
    zh_kind = {"holiday": "休息", "workday": "上班"}
    own = [[day, zh_kind[kind], name] for day, kind, name in sheets.pop("Calendar")[1:]]
    sheets["工作日历"] = [
        ["日期", "类型", "名称"],
        *own,
        [dt.datetime(2025, 3, 14), "休息", "公司日"],
    ]
    sheets["Settings"].append(["language", "zh"])
    return sheets


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fill_2025_in_a_real_workbook_twice(tmp_path, lang):
    sheets = clean_sheets() if lang == "en" else _zh_sheets()
    if lang == "en":
        sheets["Calendar"].append([dt.datetime(2025, 3, 14), "holiday", "Company day"])
    path = write_book(tmp_path / "book.xlsx", sheets)
    title = schema.CALENDAR.label(lang)
    user_rows = _rows(path, title)
    first = sheetflow("calendar", str(path), "--years", "2025")
    assert first.returncode == 0, first.stderr
    assert "2025" in first.stdout
    rows = _rows(path, title)
    assert rows[: len(user_rows)] == user_rows  # the user's rows are where they were
    label = {k: schema.DAY_KIND.label(k, lang) for k in ("holiday", "workday")}
    by_date = {_as_date(r[0]): r[1] for r in rows[1:]}
    for day, kind in {**SPRING, **NATIONAL}.items():
        assert by_date[day] == label[kind], day
    second = sheetflow("calendar", str(path), "--years", "2025")
    assert second.returncode == 0, second.stderr
    assert _rows(path, title) == rows  # nothing added, nothing duplicated
    dates = [_as_date(r[0]) for r in rows[1:]]
    assert len(dates) == len(set(dates))
    validate = sheetflow("validate", str(path), "--as-of", "2025-12-31T18:00")
    assert "calendar_gap" not in validate.stdout


def test_fill_a_book_without_a_calendar_sheet_into_a_new_file(tmp_path):
    sheets = clean_sheets()
    del sheets["Calendar"]
    source = write_book(tmp_path / "book.xlsx", sheets)
    before = source.read_bytes()
    out = tmp_path / "filled.xlsx"
    result = sheetflow("calendar", str(source), "--years", "2025", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert source.read_bytes() == before
    rows = _rows(out, "Calendar")
    assert rows[0] == ["date", "kind", "name"]
    assert {_as_date(r[0]): r[1] for r in rows[1:]} == {
        d.date: d.kind for d in holidays.official_days([2025], "CN", "en")
    }
