"""Tests for the working calendar: settings parsing, hand-worked tables and random properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetflow.core.calendar import (
    WorkCalendar,
    add_calendar_hours,
    calendar_hours,
    parse_weekend,
    parse_work_hours,
)

STANDARD_HOURS = ((540, 720), (780, 1080))
NATIONAL_DAY = frozenset(dt.date(2024, 10, day) for day in range(1, 8))
HOLIDAYS = NATIONAL_DAY | {dt.date(2025, 1, 1)}
MAKE_UP_DAYS = frozenset({dt.date(2024, 9, 29), dt.date(2024, 10, 12)})  # a Sunday, a Saturday


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    """09:00-12:00,13:00-18:00, Sat/Sun off, the 2024 National Day and 2025 New Year."""
    return WorkCalendar(
        windows=parse_work_hours("09:00-12:00,13:00-18:00"),
        weekend=parse_weekend("Sat,Sun"),
        holidays=HOLIDAYS,
        workdays=MAKE_UP_DAYS,
    )


def ts(text: str) -> np.datetime64:
    """An instant from ISO text."""
    return np.datetime64(text, "ns")


# ---------------------------------------------------------------------------------------------
# parse_work_hours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("09:00-12:00,13:00-18:00", STANDARD_HOURS, id="default"),
        pytest.param("09：00－12：00，13：00－18：00", STANDARD_HOURS, id="full-width"),
        pytest.param("09:00～12:00，13:00~18:00", STANDARD_HOURS, id="tildes"),
        pytest.param(" 9:00 - 12:00 , 13:00 - 18:00 ", STANDARD_HOURS, id="spaces-one-digit"),
        pytest.param("13:00-18:00,09:00-12:00", STANDARD_HOURS, id="out-of-order"),
        pytest.param("09:00-12:00,13:00-18:00,", STANDARD_HOURS, id="trailing-comma"),
        pytest.param("０９:００-１８:００", ((540, 1080),), id="full-width-digits"),
        pytest.param("22:00-24:00", ((1320, 1440),), id="ends-at-midnight"),
        pytest.param("00:00-24:00", ((0, 1440),), id="whole-day"),
        pytest.param("08:00-12:00,12:00-16:00", ((480, 720), (720, 960)), id="touching"),
        pytest.param("08:30-11:45", ((510, 705),), id="odd-minutes"),
    ],
)
def test_parse_work_hours_accepts(text: str, expected: tuple[tuple[int, int], ...]) -> None:
    assert parse_work_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("  , ", "empty", id="only-separators"),
        pytest.param("9-12", "not a time window", id="no-minutes"),
        pytest.param("09:00-12:00;lunch", "not a time window", id="garbage"),
        pytest.param("09:00", "not a time window", id="no-end"),
        pytest.param("12:00-09:00", "must end after it starts", id="end-before-start"),
        pytest.param("09:00-09:00", "must end after it starts", id="empty-window"),
        pytest.param("09:00-12:00,11:00-13:00", "overlap", id="overlap"),
        pytest.param("13:00-18:00,08:00-14:00", "overlap", id="overlap-out-of-order"),
        pytest.param("23:00-24:30", "not a time of day", id="beyond-midnight"),
        pytest.param("25:00-26:00", "not a time of day", id="hour-25"),
        pytest.param("09:60-10:00", "not a time of day", id="minute-60"),
    ],
)
def test_parse_work_hours_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_work_hours(text)


def test_parse_work_hours_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="must be text"):
        parse_work_hours(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# parse_weekend


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Sat,Sun", {5, 6}, id="default"),
        pytest.param("saturday, SUNDAY", {5, 6}, id="long-any-case"),
        pytest.param("Fri;Sat", {4, 5}, id="semicolon"),
        pytest.param("Sat；Sun", {5, 6}, id="full-width-semicolon"),
        pytest.param("sat sun", {5, 6}, id="spaces"),
        pytest.param("Sun", {6}, id="one-day"),
        pytest.param("Thurs, Tues", {1, 3}, id="long-abbreviations"),
        pytest.param("周六,周日", {5, 6}, id="zhou"),
        pytest.param("周六，周天", {5, 6}, id="zhou-tian-full-width-comma"),
        pytest.param("星期六、星期日", {5, 6}, id="xingqi-dunhao"),
        pytest.param("星期天", {6}, id="xingqitian"),
        pytest.param("六 日", {5, 6}, id="bare-numerals"),
        pytest.param("天", {6}, id="bare-tian"),
        pytest.param("周六周日", {5, 6}, id="run-together"),
        pytest.param("周五,Sat", {4, 5}, id="mixed-languages"),
        pytest.param("", set(), id="empty"),
        pytest.param("  ", set(), id="blank"),
        pytest.param("none", set(), id="none"),
        pytest.param("None", set(), id="none-capital"),
        pytest.param("无", set(), id="wu"),
    ],
)
def test_parse_weekend_accepts(text: str, expected: set[int]) -> None:
    assert parse_weekend(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Sat,Funday", id="unknown-english"),
        pytest.param("sa", id="too-short"),
        pytest.param("周八", id="unknown-chinese"),
        pytest.param("6,7", id="numbers"),
        pytest.param("none,Sat", id="none-with-days"),
    ],
)
def test_parse_weekend_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="unknown day"):
        parse_weekend(text)


# ---------------------------------------------------------------------------------------------
# WorkCalendar construction and working days


@pytest.mark.parametrize(
    ("windows", "weekend", "message"),
    [
        pytest.param(((540, 720), (700, 800)), frozenset(), "overlap", id="overlap"),
        pytest.param(((540, 1500),), frozenset(), "within 00:00-24:00", id="beyond-day"),
        pytest.param(((600, 540),), frozenset(), "end after", id="reversed"),
        pytest.param(STANDARD_HOURS, frozenset({7}), "0 \\(Monday\\)", id="weekday-7"),
    ],
)
def test_calendar_rejects_bad_settings(
    windows: tuple[tuple[int, int], ...], weekend: frozenset[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar(windows, weekend)


def test_calendar_sorts_windows() -> None:
    calendar = WorkCalendar(((780, 1080), (540, 720)), frozenset({5, 6}))
    assert calendar.windows == STANDARD_HOURS


def test_calendar_takes_plain_sets_is_hashable_and_compares_by_settings() -> None:
    holiday = dt.date(2024, 10, 1)
    first = WorkCalendar(STANDARD_HOURS, {5, 6}, {holiday})  # type: ignore[arg-type]
    second = WorkCalendar(STANDARD_HOURS, frozenset({5, 6}), frozenset({holiday}))
    assert isinstance(first.holidays, frozenset)
    assert first == second
    assert hash(first) == hash(second)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param("2024-09-27", True, id="friday"),
        pytest.param("2024-09-28", False, id="saturday"),
        pytest.param("2024-09-29", True, id="make-up-sunday"),
        pytest.param("2024-10-01", False, id="holiday-tuesday"),
        pytest.param("2024-10-05", False, id="holiday-on-saturday"),
        pytest.param("2024-10-08", True, id="back-to-work"),
        pytest.param("2024-10-12", True, id="make-up-saturday"),
        pytest.param("2024-10-13", False, id="sunday"),
        pytest.param("2025-01-01", False, id="new-year"),
        pytest.param("NaT", False, id="nat"),
    ],
)
def test_is_working_day(cal: WorkCalendar, day: str, working: bool) -> None:
    result = cal.is_working_day(np.array([day], dtype="datetime64[D]"))
    assert result.dtype == bool
    assert result.tolist() == [working]


def test_is_working_day_accepts_dates_and_holiday_beats_workday() -> None:
    both = dt.date(2024, 10, 5)
    cal = WorkCalendar(STANDARD_HOURS, frozenset({5, 6}), frozenset({both}), frozenset({both}))
    days = [dt.date(2024, 10, 4), both, pd.Timestamp("2024-10-06")]
    assert cal.is_working_day(np.array(days, dtype=object)).tolist() == [True, False, False]


# ---------------------------------------------------------------------------------------------
# business_hours, worked by hand on the standard calendar


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        pytest.param("2024-05-17T17:30", "2024-05-20T09:30", 1.0, id="friday-evening-to-monday"),
        pytest.param("2024-05-15T12:10", "2024-05-15T12:50", 0.0, id="inside-lunch"),
        pytest.param("2024-05-15T12:00", "2024-05-15T13:00", 0.0, id="exactly-lunch"),
        pytest.param("2024-05-15T08:00", "2024-05-15T20:00", 8.0, id="whole-weekday"),
        pytest.param("2024-05-15T10:30", "2024-05-15T14:15", 2.75, id="across-lunch"),
        pytest.param("2024-05-15T19:00", "2024-05-15T23:00", 0.0, id="evening"),
        pytest.param("2024-05-17T10:00", "2024-05-21T10:00", 16.0, id="across-weekend"),
        pytest.param("2024-05-18T00:00", "2024-05-20T00:00", 0.0, id="whole-weekend"),
        pytest.param("2024-05-13T00:00", "2024-05-20T00:00", 40.0, id="whole-week"),
        pytest.param("2024-09-27T17:00", "2024-10-08T10:00", 18.0, id="national-day"),
        pytest.param("2024-09-29T00:00", "2024-09-30T00:00", 8.0, id="make-up-sunday"),
        pytest.param("2024-10-12T08:00", "2024-10-12T20:00", 8.0, id="make-up-saturday"),
        pytest.param("2024-10-19T08:00", "2024-10-19T20:00", 0.0, id="ordinary-saturday"),
        pytest.param("2024-10-02T08:00", "2024-10-02T20:00", 0.0, id="holiday-on-weekday"),
        pytest.param("2024-12-31T17:00", "2025-01-02T10:00", 2.0, id="year-end"),
        pytest.param("2024-05-15T09:00:00", "2024-05-15T09:00:30", 30 / 3600, id="seconds"),
        pytest.param("2024-05-15T11:00", "2024-05-15T11:00", 0.0, id="same-instant"),
        pytest.param("2024-05-20T09:30", "2024-05-17T17:30", -1.0, id="end-before-start"),
        pytest.param("2024-10-08T10:00", "2024-09-27T17:00", -18.0, id="negative-national-day"),
    ],
)
def test_business_hours_by_hand(cal: WorkCalendar, start: str, end: str, hours: float) -> None:
    result = cal.business_hours(np.array([ts(start)]), np.array([ts(end)]))
    assert result.dtype == np.float64
    assert result.tolist() == pytest.approx([hours], abs=1e-12)


def test_business_hours_propagates_nat(cal: WorkCalendar) -> None:
    start = np.array([ts("2024-05-17T17:30"), "NaT", ts("2024-05-15T08:00")], "datetime64[ns]")
    end = np.array([ts("2024-05-20T09:30"), ts("2024-05-20T09:30"), "NaT"], "datetime64[ns]")
    result = cal.business_hours(start, end)
    assert result[0] == 1.0
    assert np.isnan(result[1:]).all()


def test_business_hours_all_nat_and_empty(cal: WorkCalendar) -> None:
    nat = np.array(["NaT", "NaT"], dtype="datetime64[ns]")
    assert np.isnan(cal.business_hours(nat, nat)).all()
    assert cal.business_hours(nat[:0], nat[:0]).shape == (0,)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(
            pd.Series(pd.to_datetime(["2024-05-17 17:30", None])),
            pd.Series(pd.to_datetime(["2024-05-20 09:30", "2024-05-20 09:30"])),
            id="series-with-nat",
        ),
        pytest.param(
            pd.DatetimeIndex(["2024-05-17 17:30", "NaT"]),
            pd.DatetimeIndex(["2024-05-20 09:30", "2024-05-20 09:30"]),
            id="datetime-index",
        ),
        pytest.param(
            np.array(["2024-05-17T17:30", "NaT"], dtype="datetime64[us]"),
            np.array(["2024-05-20T09:30", "2024-05-20T09:30"], dtype="datetime64[us]"),
            id="microsecond-unit",
        ),
        pytest.param(
            [dt.datetime(2024, 5, 17, 17, 30), None],
            [pd.Timestamp("2024-05-20 09:30"), "2024-05-20 09:30"],
            id="python-objects-and-text",
        ),
        pytest.param(
            np.array(["2024-05-17T17:30", "NaT"], dtype="datetime64[ns]"),
            ts("2024-05-20T09:30"),
            id="scalar-end-broadcast",
        ),
    ],
)
def test_business_hours_accepts_array_likes(cal: WorkCalendar, start: object, end: object) -> None:
    result = cal.business_hours(start, end)
    assert result.shape == (2,)
    assert result[0] == 1.0
    assert np.isnan(result[1])


def test_business_hours_of_scalars_is_zero_dimensional(cal: WorkCalendar) -> None:
    result = cal.business_hours(ts("2024-09-27T17:00"), ts("2024-10-08T10:00"))
    assert result.shape == ()
    assert float(result) == 18.0


def test_business_hours_rejects_timezone_aware(cal: WorkCalendar) -> None:
    aware = pd.Series(pd.to_datetime(["2024-05-17 17:30"]).tz_localize("Asia/Shanghai"))
    with pytest.raises(ValueError, match="naive"):
        cal.business_hours(aware, aware)


def test_business_hours_rejects_numbers(cal: WorkCalendar) -> None:
    with pytest.raises(TypeError, match="expected datetimes"):
        cal.business_hours(np.array([45000.5]), np.array([45001.5]))


def test_business_hours_without_working_time_is_zero() -> None:
    idle = WorkCalendar(STANDARD_HOURS, frozenset(range(7)))
    result = idle.business_hours(np.array([ts("2024-01-01")]), np.array([ts("2024-12-31")]))
    assert result.tolist() == [0.0]


# ---------------------------------------------------------------------------------------------
# add_business_hours, worked by hand on the standard calendar


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        pytest.param("2024-05-17T17:00", 2, "2024-05-20T10:00", id="friday-plus-2h"),
        pytest.param("2024-05-15T11:30", 1, "2024-05-15T13:30", id="skips-lunch"),
        pytest.param("2024-05-15T17:00", 1, "2024-05-15T18:00", id="ends-at-window-end"),
        pytest.param("2024-05-15T09:00", 3, "2024-05-15T12:00", id="ends-at-morning-end"),
        pytest.param("2024-05-15T09:00", 8, "2024-05-15T18:00", id="whole-day"),
        pytest.param("2024-05-15T17:00", 0, "2024-05-15T17:00", id="zero"),
        pytest.param("2024-05-18T10:00", 0, "2024-05-18T10:00", id="zero-on-saturday"),
        pytest.param("2024-05-18T10:00", 1, "2024-05-20T10:00", id="from-saturday"),
        pytest.param("2024-05-18T10:00", 8, "2024-05-20T18:00", id="saturday-plus-day"),
        pytest.param("2024-05-15T12:00", 1, "2024-05-15T14:00", id="from-lunch"),
        pytest.param("2024-05-15T07:00", 0.5, "2024-05-15T09:30", id="before-opening"),
        pytest.param("2024-05-15T20:00", 0.25, "2024-05-16T09:15", id="after-closing"),
        pytest.param("2024-05-15T09:00", 1 / 3600, "2024-05-15T09:00:01", id="one-second"),
        pytest.param("2024-05-13T09:00", 40, "2024-05-17T18:00", id="whole-week"),
        pytest.param("2024-09-30T17:00", 2, "2024-10-08T10:00", id="through-national-day"),
        pytest.param("2024-09-27T17:00", 18, "2024-10-08T10:00", id="national-day-make-up"),
        pytest.param("2024-09-27T17:00", 2, "2024-09-29T10:00", id="make-up-sunday"),
        pytest.param("2024-10-11T17:00", 2, "2024-10-12T10:00", id="make-up-saturday"),
        pytest.param("2024-12-31T17:00", 2, "2025-01-02T10:00", id="year-end"),
        pytest.param("2024-05-15T09:00", 2 / 3 / 3600, "2024-05-15T09:00:01", id="rounds-up"),
        pytest.param("2024-05-15T09:00", 0.4 / 3600, "2024-05-15T09:00", id="rounds-down"),
        pytest.param("2024-05-20T09:30", -1, "2024-05-17T17:30", id="back-to-friday"),
        pytest.param("2024-05-20T10:00", -1, "2024-05-20T09:00", id="back-to-opening"),
        pytest.param("2024-05-20T09:00", -8, "2024-05-17T09:00", id="back-whole-day"),
        pytest.param("2024-10-08T10:00", -18, "2024-09-27T17:00", id="back-national-day"),
    ],
)
def test_add_business_hours_by_hand(cal: WorkCalendar, start: str, hours: float, due: str) -> None:
    result = cal.add_business_hours(np.array([ts(start)]), hours)
    assert result.dtype == np.dtype("datetime64[ns]")
    assert result.tolist() == np.array([ts(due)]).tolist()


def test_add_business_hours_nat_and_nan(cal: WorkCalendar) -> None:
    start = pd.Series(pd.to_datetime(["2024-05-17 17:00", None, "2024-05-17 17:00"]))
    hours = pd.Series([2.0, 2.0, None])
    result = cal.add_business_hours(start, hours)
    assert result[0] == ts("2024-05-20T10:00")
    assert np.isnat(result[1:]).all()


def test_add_business_hours_broadcasts_scalar_start(cal: WorkCalendar) -> None:
    result = cal.add_business_hours(ts("2024-05-15T11:30"), [0, 1, 3.5, np.nan])
    expected = ["2024-05-15T11:30", "2024-05-15T13:30", "2024-05-15T16:00", "NaT"]
    assert result.tolist() == np.array(expected, dtype="datetime64[ns]").tolist()


def test_add_business_hours_keeps_start_for_zero_hours_to_the_nanosecond(
    cal: WorkCalendar,
) -> None:
    start = np.array(["2024-05-18T10:00:00.123456789"], dtype="datetime64[ns]")
    assert cal.add_business_hours(start, 0.0).tolist() == start.tolist()


@pytest.mark.parametrize(
    "calendar",
    [
        pytest.param(WorkCalendar(STANDARD_HOURS, frozenset(range(7))), id="every-day-weekend"),
        pytest.param(WorkCalendar((), frozenset()), id="no-windows"),
        pytest.param(
            WorkCalendar(STANDARD_HOURS, frozenset(range(7)), workdays=MAKE_UP_DAYS),
            id="make-up-days-passed",
        ),
    ],
)
def test_add_business_hours_without_working_time_raises(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="no working time"):
        calendar.add_business_hours(np.array([ts("2024-11-01T09:00")]), 1)
    with pytest.raises(ValueError, match="no working time"):
        calendar.add_business_hours(np.array([ts("2024-09-01T09:00")]), -1)


def test_add_business_hours_on_make_up_days_only() -> None:
    only = WorkCalendar(STANDARD_HOURS, frozenset(range(7)), workdays=MAKE_UP_DAYS)
    start = np.array([ts("2024-09-01T09:00")])
    assert only.add_business_hours(start, 10).tolist() == [ts("2024-10-12T11:00").item()]
    back = only.add_business_hours(np.array([ts("2024-11-01T09:00")]), -10)
    assert back.tolist() == [ts("2024-09-29T16:00").item()]


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        pytest.param(np.inf, "finite", id="infinite"),
        pytest.param(1e9, "beyond", id="past-2262"),
    ],
)
def test_add_business_hours_rejects_unreachable_hours(
    cal: WorkCalendar, hours: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cal.add_business_hours(np.array([ts("2024-05-15T09:00")]), hours)


# ---------------------------------------------------------------------------------------------
# calendar clock


def test_calendar_hours() -> None:
    start = np.array(["2024-05-17T17:30", "NaT", "2024-05-20T09:30"], dtype="datetime64[ns]")
    end = np.array(["2024-05-20T09:30", "2024-05-20T09:30", "2024-05-20T09:00"], "datetime64[ns]")
    result = calendar_hours(start, end)
    assert result[0] == 64.0
    assert np.isnan(result[1])
    assert result[2] == -0.5


def test_add_calendar_hours() -> None:
    start = pd.Series(
        pd.to_datetime(["2024-05-17 17:30", None, "2024-05-17 17:30", "2024-05-17 00:00"])
    )
    result = add_calendar_hours(start, pd.Series([64.0, 1.0, None, 1 / 7200]))
    expected = ["2024-05-20T09:30", "NaT", "NaT", "2024-05-17T00:00:01"]
    assert result.tolist() == np.array(expected, dtype="datetime64[ns]").tolist()


# ---------------------------------------------------------------------------------------------
# Properties on random calendars and intervals

EPOCH = np.datetime64("2023-01-01T00:00", "ns")
DAYS = (dt.date(2027, 1, 1) - dt.date(2023, 1, 1)).days  # 2023-2026
NS_PER_SECOND = 1_000_000_000
ONE_SECOND = np.timedelta64(1, "s")

dates = st.integers(0, DAYS - 1).map(lambda day: dt.date(2023, 1, 1) + dt.timedelta(days=day))


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    """A random valid calendar with some working time every week."""
    count = draw(st.integers(1, 4))
    bounds = sorted(draw(st.sets(st.integers(0, 1440), min_size=2 * count, max_size=2 * count)))
    windows = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    shuffled = draw(st.permutations(windows))
    text = ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in shuffled)
    assert parse_work_hours(text) == tuple(windows)  # any order of the text gives sorted windows
    return WorkCalendar(
        windows=parse_work_hours(text),
        weekend=frozenset(draw(st.sets(st.integers(0, 6), max_size=6))),
        holidays=frozenset(draw(st.sets(dates, max_size=40))),
        workdays=frozenset(draw(st.sets(dates, max_size=40))),
    )


@st.composite
def minutes(draw: st.DrawFn, calendar: WorkCalendar) -> int:
    """Minutes since EPOCH, often on or next to a window boundary of the calendar."""
    day = draw(st.integers(0, DAYS - 1))
    boundaries = [edge for window in calendar.windows for edge in window] + [0]
    near_edge = st.sampled_from(boundaries).flatmap(
        lambda edge: st.integers(max(edge - 1, 0), min(edge + 1, 1439))
    )
    return day * 1440 + draw(st.one_of(near_edge, st.integers(0, 1439)))


@st.composite
def calendar_and_instants(draw: st.DrawFn, count: int, max_size: int = 12) -> tuple:
    """A calendar and `count` arrays of random whole-minute instants in 2023-2026."""
    calendar = draw(calendars())
    size = draw(st.integers(1, max_size))
    arrays = [
        EPOCH + np.array(draw(st.lists(minutes(calendar), min_size=size, max_size=size)), "m8[m]")
        for _ in range(count)
    ]
    return calendar, *arrays


# whole seconds, minutes and half hours, up to ~2000 hours
business_seconds = st.one_of(
    st.integers(1, 7_200_000),
    st.integers(1, 120_000).map(lambda m: m * 60),
    st.integers(1, 4000).map(lambda h: h * 1800),
)


def draw_hours(data: st.DataObject, calendar: WorkCalendar, size: int) -> np.ndarray:
    """Whole-second business hours, at most 20 years of the calendar's work (so within 2262)."""
    per_week = (
        sum(end - start for start, end in calendar.windows) * 60 * (7 - len(calendar.weekend))
    )
    seconds = data.draw(st.lists(business_seconds, min_size=size, max_size=size))
    return np.minimum(np.array(seconds), per_week * 52 * 20) / 3600


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def reference_business_seconds(calendar: WorkCalendar, start: dt.datetime, end: dt.datetime) -> int:
    """Working seconds from start to end, walking day by day with Python datetimes."""
    if end < start:
        return -reference_business_seconds(calendar, end, start)
    total = 0
    day = start.date()
    while day <= end.date():
        working = day.weekday() not in calendar.weekend or day in calendar.workdays
        if working and day not in calendar.holidays:
            midnight = dt.datetime.combine(day, dt.time())
            for first, last in calendar.windows:
                lo = max(start, midnight + dt.timedelta(minutes=first))
                hi = min(end, midnight + dt.timedelta(minutes=last))
                total += max(0, int((hi - lo).total_seconds()))
        day += dt.timedelta(days=1)
    return total


@PROPERTY_SETTINGS
@given(data=calendar_and_instants(1, max_size=5), offsets=st.data())
def test_business_hours_match_day_by_day_reference(data: tuple, offsets: st.DataObject) -> None:
    calendar, start = data
    shift = offsets.draw(
        st.lists(st.integers(-60 * 1440, 60 * 1440), min_size=start.size, max_size=start.size)
    )
    end = start + np.array(shift, dtype="m8[m]")
    result = calendar.business_hours(start, end)
    for i in range(start.size):
        expected = reference_business_seconds(
            calendar, pd.Timestamp(start[i]).to_pydatetime(), pd.Timestamp(end[i]).to_pydatetime()
        )
        assert result[i] == pytest.approx(expected / 3600, abs=1e-9)


@PROPERTY_SETTINGS
@given(data=calendar_and_instants(2))
def test_business_hours_within_calendar_hours(data: tuple) -> None:
    calendar, a, b = data
    start, end = np.minimum(a, b), np.maximum(a, b)
    business = calendar.business_hours(start, end)
    assert (business >= 0).all()
    assert (business <= calendar_hours(start, end) + 1e-9).all()
    assert calendar.business_hours(end, start) == pytest.approx(-business, abs=1e-9)


@PROPERTY_SETTINGS
@given(data=calendar_and_instants(3))
def test_business_hours_additive_over_split_point(data: tuple) -> None:
    calendar, a, b, c = data
    a, b, c = np.sort(np.stack([a, b, c]), axis=0)
    whole = calendar.business_hours(a, c)
    parts = calendar.business_hours(a, b) + calendar.business_hours(b, c)
    assert whole == pytest.approx(parts, abs=1e-9)


@PROPERTY_SETTINGS
@given(data=calendar_and_instants(1), seconds=st.data())
def test_add_business_hours_inverts_and_is_minimal(data: tuple, seconds: st.DataObject) -> None:
    calendar, start = data
    hours = draw_hours(seconds, calendar, start.size)
    due = calendar.add_business_hours(start, hours)
    assert (due > start).all()
    assert calendar.business_hours(start, due) == pytest.approx(hours, abs=1e-6)
    assert (calendar.business_hours(start, due - ONE_SECOND) < hours - 1e-9).all()


@PROPERTY_SETTINGS
@given(data=calendar_and_instants(1), seconds=st.data())
def test_add_negative_business_hours_counts_back_to_latest(
    data: tuple, seconds: st.DataObject
) -> None:
    calendar, start = data
    back = draw_hours(seconds, calendar, start.size)
    due = calendar.add_business_hours(start, -back)
    assert (due < start).all()
    assert calendar.business_hours(due, start) == pytest.approx(back, abs=1e-6)
    assert (calendar.business_hours(due + ONE_SECOND, start) < back - 1e-9).all()


@PROPERTY_SETTINGS
@given(data=calendar_and_instants(2), seconds=st.data())
def test_vectorised_calls_equal_scalar_calls(data: tuple, seconds: st.DataObject) -> None:
    calendar, start, end = data
    hours = draw_hours(seconds, calendar, start.size)
    hours[::3] *= -1
    business = calendar.business_hours(start, end)
    due = calendar.add_business_hours(start, hours)
    for i in range(start.size):
        assert calendar.business_hours(start[i], end[i]) == business[i]
        assert calendar.add_business_hours(start[i], hours[i]) == due[i]
