"""Official holiday calendars (sheetflow.holidays): the rows, the merge with the user's rows, the
output plan, and what the business clock makes of a filled Calendar sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import chinese_calendar
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sheetflow import holidays, pipeline
from sheetflow.core import plan, schema, timing, validate
from sheetflow.core.workbook import build_workbook
from sheetflow.errors import SheetflowError

D = dt.date
AS_OF = dt.datetime(2025, 12, 31, 18, 0)

SPRING_HOLIDAYS = [D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31)] + [
    D(2025, 2, 3),
    D(2025, 2, 4),
]
SPRING_WORKDAYS = [D(2025, 1, 26), D(2025, 2, 8)]  # Sun, Sat
NATIONAL_HOLIDAYS = [D(2025, 10, d) for d in (1, 2, 3, 6, 7, 8)]  # 4, 5 are Sat, Sun
NATIONAL_WORKDAYS = [D(2025, 9, 28), D(2025, 10, 11)]  # Sun, Sat


def _between(days: Sequence[holidays.OfficialDay], first: D, last: D) -> dict[D, tuple[str, str]]:
    return {d.date: (d.kind, d.name) for d in days if first <= d.date <= last}


# (a) the rows of a year ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "spring", "national", "mid_autumn", "spring_make_up", "national_make_up"),
    [
        pytest.param(
            "en",
            "Spring Festival",
            "National Day",
            "Mid-Autumn Festival",
            "Spring Festival make-up workday",
            "National Day make-up workday",
            id="en",
        ),
        pytest.param("zh", "春节", "国庆节", "中秋节", "春节调休上班", "国庆节调休上班", id="zh"),
    ],
)
def test_2025_spring_festival_and_national_day(
    lang, spring, national, mid_autumn, spring_make_up, national_make_up
):
    days = holidays.official_days([2025], "CN", lang)
    assert _between(days, D(2025, 1, 20), D(2025, 2, 15)) == {
        **{day: ("holiday", spring) for day in SPRING_HOLIDAYS},
        **{day: ("workday", spring_make_up) for day in SPRING_WORKDAYS},
    }
    expected = {day: ("holiday", national) for day in NATIONAL_HOLIDAYS}
    expected[D(2025, 10, 6)] = ("holiday", mid_autumn)  # the two festivals ran together in 2025
    expected.update({day: ("workday", national_make_up) for day in NATIONAL_WORKDAYS})
    assert _between(days, D(2025, 9, 20), D(2025, 10, 20)) == expected


def test_only_days_that_change_the_clock_become_rows():
    days = holidays.official_days(range(2004, 2027), "CN", "en")
    assert all(d.date.weekday() < 5 for d in days if d.kind == "holiday")
    assert all(d.date.weekday() >= 5 for d in days if d.kind == "workday")
    assert len({d.date for d in days}) == len(days)
    assert list(days) == sorted(days)


def test_weekend_setting_decides_which_days_matter():
    sunday_only = frozenset({6})
    days = {d.date: d.kind for d in holidays.official_days([2025], "CN", "en", sunday_only)}
    assert days[D(2025, 2, 1)] == "holiday"  # Saturday off during the festival: a working day now
    assert D(2025, 2, 8) not in days  # Saturday make-up day: already a working day
    assert days[D(2025, 1, 26)] == "workday"


def test_other_countries_come_from_the_holidays_package_in_the_books_language():
    en = holidays.official_days([2025], "de", "en")
    assert (D(2025, 12, 25), "holiday") in {(d.date, d.kind) for d in en}
    assert {d.kind for d in en} == {"holiday"}  # no make-up days
    assert next(d.name for d in en if d.date == D(2025, 12, 25)) == "Christmas Day"
    # 2025-11-27 Thanksgiving; 2026-07-04 is a Saturday, observed Friday 07-03
    us = {d.date for d in holidays.official_days([2026], "US", "en")}
    assert D(2026, 7, 3) in us and D(2026, 7, 4) not in us


@pytest.mark.parametrize(
    ("years", "country", "match"),
    [
        pytest.param(
            [2025, 2099], "CN", r"CN in 2099 yet: chinese-calendar .* 2004–", id="cn-future"
        ),
        pytest.param([1999], "CN", r"in 1999 yet", id="cn-past"),
        pytest.param([2025], "XX", r"no holiday calendar for country 'XX'", id="unknown-country"),
        pytest.param([20251], "CN", r"20251 is not a year", id="not-a-year"),
    ],
)
def test_a_year_or_country_the_source_does_not_know_is_one_clear_error(years, country, match):
    with pytest.raises(SheetflowError, match=match) as caught:
        holidays.check_years(years, country)
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)


def test_unknown_year_message_in_chinese():
    with pytest.raises(SheetflowError, match="2099 年的官方节假日尚未收录"):
        holidays.official_days([2099], "CN", "zh")


# (b) merging with the user's rows ------------------------------------------------------------


def _book(calendar_rows: list[list[object]] | None, lang: str = "en", weekend: str | None = None):
    """A small workbook value: a Calendar sheet (or none) and a Settings sheet."""
    raw: dict[str, list[list[object]]] = {
        "Process" if lang == "en" else "流程定义": [["node", "seq", "role", "sla_hours"]],
    }
    if calendar_rows is not None:
        title = "Calendar" if lang == "en" else "工作日历"
        raw[title] = calendar_rows
    if weekend is not None:
        raw["Settings"] = [["key", "value"], ["weekend", weekend]]
    return build_workbook(raw)


def test_users_rows_are_kept_and_no_date_is_added_twice():
    user = [
        ["date", "kind", "name"],
        [dt.datetime(2025, 1, 31), "workday", "Our year-end stock-take"],  # an official holiday
        [dt.datetime(2025, 3, 14), "holiday", "Company day"],  # not official at all
    ]
    fill = holidays.calendar_fill(_book(user), [2025])
    dates = [row.date for row in fill.rows]
    assert D(2025, 1, 31) not in dates and D(2025, 3, 14) not in dates
    assert len(dates) == len(set(dates))
    (report,) = fill.years
    assert (report.year, report.holidays, report.workdays, report.kept) == (2025, 17, 5, 1)
    assert holidays.report_lines(fill) == [
        "2025: added 22 rows (17 holidays on working days, 5 make-up workdays); "
        "1 of its dates already had a row of yours, kept as it is"
    ]


def _apply(rows: list[list[object]], patch: plan.Patch) -> list[list[object]]:
    """The sheet's rows with the patch's cells put in (what a door renders), for pure tests."""
    grid = [list(r) for r in rows]
    for offset, row in enumerate(patch.rows):
        while len(grid) < row:
            grid.append([])
        cells = grid[row - 1]
        for column, position in zip(patch.columns, patch.positions):
            while len(cells) < position:
                cells.append(None)
            cells[position - 1] = column.values[offset]
    return grid


def test_a_second_run_adds_nothing_and_keeps_the_users_row():
    rows = [["date", "kind", "name"], [dt.datetime(2025, 5, 2), "workday", "Ours"]]
    first = holidays.calendar_fill(_book(rows), [2025])
    patch = holidays.calendar_plan(_book(rows), first, AS_OF).patch("Calendar")
    filled = _apply(rows, patch)
    second = holidays.calendar_fill(_book(filled), [2025])
    assert second.rows == ()
    assert holidays.report_lines(second) == [
        "2025: nothing to add; 23 of its dates already had a row of yours, kept as it is"
    ]
    assert filled[1] == [dt.datetime(2025, 5, 2), "workday", "Ours"]
    dates = [r[0] for r in filled[1:]]
    assert len(dates) == len(set(dates))


def test_report_per_year_in_chinese():
    fill = holidays.calendar_fill(_book([["日期", "类型", "名称"]], "zh"), [2024, 2025])
    lines = holidays.report_lines(fill)
    assert lines[0].startswith("2024 年：新增 ")
    assert lines[1] == "2025 年：新增 23 行（工作日放假 18 天，周末调休上班 5 天）"


# (c) the output plan -------------------------------------------------------------------------


def test_plan_appends_below_the_last_used_row_in_the_users_columns():
    rows = [
        ["名称", "note", "日期", "类型"],  # the user's own column order and an extra column
        ["公司年会", "all hands", dt.datetime(2025, 1, 10), "休息"],
        [None, None, None, None],
        [None, "kept", dt.datetime(2025, 3, 14), "休息"],
        [None, None, None, None],  # trailing empty row
    ]
    book = _book(rows, "zh")
    fill = holidays.calendar_fill(book, [2025])
    out = holidays.calendar_plan(book, fill, AS_OF)
    assert out.sheets == () and out.language == "zh"
    patch = out.patch("Calendar")
    assert patch.title == "工作日历"
    assert patch.clear_other_rows is False and patch.header_style is None
    assert patch.rows == tuple(range(5, 5 + len(fill.rows)))  # row 4 is the last used one
    assert [c.key for c in patch.columns] == ["date", "kind", "name"]
    assert patch.positions == (3, 4, 1)
    assert [c.header for c in patch.columns] == ["日期", "类型", "名称"]
    date, kind, name = patch.columns
    assert date.kind == plan.DATE
    first = fill.rows.index(next(r for r in fill.rows if r.date == D(2025, 1, 26)))
    assert date.values[first] == dt.datetime(2025, 1, 26)
    assert (kind.values[first], name.values[first]) == ("上班", "春节调休上班")
    assert set(kind.values) == {"休息", "上班"}


def test_plan_without_a_name_column_fills_date_and_kind():
    book = _book([["date", "kind"]])
    patch = holidays.calendar_plan(book, holidays.calendar_fill(book, [2025]), AS_OF).patches[0]
    assert [c.key for c in patch.columns] == ["date", "kind"] and patch.positions == (1, 2)
    assert patch.rows[0] == 2


def test_plan_refuses_a_calendar_sheet_without_its_kind_column():
    book = _book([["date", "name"]])
    with pytest.raises(SheetflowError, match="no 'kind' column"):
        holidays.calendar_plan(book, holidays.calendar_fill(book, [2025]), AS_OF)


def test_plan_for_a_book_without_a_calendar_sheet_makes_one():
    book = _book(None, "zh")
    fill = holidays.calendar_fill(book, [2025])
    out = holidays.calendar_plan(book, fill, AS_OF)
    assert out.patches == ()
    (sheet,) = out.sheets
    assert (sheet.name, sheet.title, sheet.freeze) == ("Calendar", "工作日历", "A2")
    (block,) = sheet.blocks
    assert (block.top, block.left) == (1, 1)
    assert [c.header for c in block.columns] == ["日期", "类型", "名称"]
    assert block.bottom == 1 + len(fill.rows) == 24
    assert sheet.autofilter == "A1:C24"


# (d) what the business clock makes of it ----------------------------------------------------


def _filled_calendar(years: Sequence[int], lang: str = "en", weekend: str | None = None):
    """The WorkCalendar sheetflow builds from a Calendar sheet filled by the plan."""
    header = [["date", "kind", "name"] if lang == "en" else ["日期", "类型", "名称"]]
    book = _book(header, lang, weekend)
    filled = _apply(
        header, holidays.calendar_plan(book, holidays.calendar_fill(book, years), AS_OF).patches[0]
    )
    checked = validate.check(_book(filled, lang, weekend), pd.Timestamp(AS_OF))
    calendar_title = "Calendar" if lang == "en" else "工作日历"
    assert [f for f in checked.findings.items if f.sheet == calendar_title] == []
    return timing.build_calendar(checked.settings, checked.calendar)


@settings(max_examples=8, deadline=None)
@given(
    year=st.integers(min_value=2004, max_value=holidays.source_years("CN")[1]),
    lang=st.sampled_from(["en", "zh"]),
)
@example(year=2025, lang="zh")
@example(year=2015, lang="en")  # the one-off 70th-anniversary Victory Day holiday
def test_a_filled_year_works_exactly_when_chinese_calendar_says(year, lang):
    cal = _filled_calendar([year], lang)
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    ours = cal.is_working_day(days.to_numpy())
    theirs = np.array([chinese_calendar.is_workday(day.date()) for day in days])
    mismatches = [str(day.date()) for day in days[ours != theirs]]
    assert mismatches == []


def _spring_festival_log() -> dict[str, list[list[object]]]:
    at = dt.datetime
    return {
        "Process": [["node", "seq", "role", "sla_hours"], ["Plan", 1, "Agent", 16]],
        "Cases": [["case_id", "opened_at"]] + [[f"C{i}", at(2025, 1, 20)] for i in range(1, 6)],
        "Log": [
            ["case_id", "node", "assignee", "start", "end"],
            # Fri 01-24 17-18 (1) + Sun 01-26 make-up (8) + Mon 01-27 09-10 (1) = 10 h
            ["C1", "Plan", "Ann", at(2025, 1, 24, 17), at(2025, 1, 27, 10)],
            # Mon 01-27 from 09:00 (8); 01-28..02-04 off; Wed 02-05 09:00-10:00 (1) = 9 h
            ["C2", "Plan", "Ann", at(2025, 1, 27, 9), at(2025, 2, 5, 10)],
            # the row: Mon 01-27 14:21 -> 18:00 = 3 h 39 min, then nothing until 02-05
            ["C3", "Plan", "Ann", at(2025, 1, 27, 14, 21), at(2025, 2, 5, 9)],
            # Sat 02-08 make-up 13:30-18:00 (4.5) + Sun off + Mon 02-10 09:00-09:30 (0.5) = 5 h
            ["C4", "Plan", "Ann", at(2025, 2, 8, 13, 30), at(2025, 2, 10, 9, 30)],
            # inside the holiday: 0 h
            ["C5", "Plan", "Ann", at(2025, 1, 29, 10), at(2025, 2, 2, 16)],
        ],
        "Calendar": [["date", "kind", "name"], [at(2024, 10, 1), "holiday", "National Day"]],
    }


def test_durations_across_the_2025_spring_festival_equal_hand_worked_values():
    raw = _spring_festival_log()
    before = pipeline.compute(build_workbook(raw), pd.Timestamp(AS_OF))
    assert [f.code for f in before.findings] == ["calendar_gap"]
    book = build_workbook(raw)
    out = holidays.calendar_plan(book, holidays.calendar_fill(book, [2025]), AS_OF)
    raw["Calendar"] = _apply(raw["Calendar"], out.patches[0])
    report = pipeline.compute(build_workbook(raw), pd.Timestamp(AS_OF))
    assert report.findings == []
    assert report.log["duration_h"].round(2).tolist() == [10.0, 9.0, 3.65, 5.0, 0.0]
    assert report.log["status"].tolist() == ["done", "done", "done", "done", "done"]
    # without the 2025 rows the clock counted the festival as working time
    assert before.log["duration_h"].round(2).tolist() == [2.0, 57.0, 51.65, 0.5, 23.0]


# (e) templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_rows_are_the_official_calendar_of_the_example_year(lang):
    from sheetflow.templates import build_template

    sheet = next(s for s in build_template("complaints", lang).sheets if s.sheet.name == "Calendar")
    official = holidays.official_days([2024], "CN", lang)
    kind = {
        "holiday": schema.DAY_KIND.label("holiday", lang),
        "workday": schema.DAY_KIND.label("workday", lang),
    }
    assert list(sheet.rows) == [(d.date, kind[d.kind], d.name) for d in official]
    by_date = {row[0]: row[1] for row in sheet.rows}
    # the example data's own holidays: Mid-Autumn and National Day 2024
    assert by_date[D(2024, 9, 14)] == kind["workday"] and by_date[D(2024, 9, 29)] == kind["workday"]
    assert by_date[D(2024, 10, 12)] == kind["workday"]
    assert all(by_date[D(2024, 10, d)] == kind["holiday"] for d in (1, 2, 3, 4, 7))
