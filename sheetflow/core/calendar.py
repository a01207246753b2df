"""Working calendar and vectorised business-hours arithmetic (SPEC §2).

Business time is a cumulative clock B(t): the working nanoseconds from the first day of a per-day
table up to the instant t. The table holds each day's working time and its running total, so B for
a million instants is one gather plus one clip per working window, business hours are a difference
of two clocks, and a due time is the clock inverted with `np.searchsorted`. No walk over rows or
days in Python. All clock values are int64 nanoseconds, so results are exact; due times are
rounded to the nearest second.
"""

from __future__ import annotations

import datetime
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR
MINUTES_PER_DAY = 24 * 60

_NAT = np.iinfo(np.int64).min  # the int64 view of NaT
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
# whole days datetime64[ns] can hold (1677-09-22 .. 2262-04-10), so a table never overflows
_FIRST_DAY = -(np.iinfo(np.int64).max // NS_PER_DAY) + 1
_LAST_DAY = np.iinfo(np.int64).max // NS_PER_DAY - 1

# ---------------------------------------------------------------------------------------------
# Settings text


_WINDOW_PUNCTUATION = str.maketrans({"~": "-", "〜": "-", "–": "-", "—": "-", ";": ",", "、": ","})
_WINDOW = re.compile(r"([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})")


def parse_work_hours(text: str) -> tuple[tuple[int, int], ...]:
    """Parse `work_hours` ("09:00-12:00,13:00-18:00") into sorted (start, end) minutes.

    Full-width punctuation (，：－～), `~` as a dash, spaces and one-digit hours are accepted;
    empty pieces between commas are ignored. Raises ValueError on anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f"work_hours must be text like '09:00-12:00,13:00-18:00', got {text!r}")
    # NFKC folds full-width forms (，：－～ and digits) to ASCII
    normal = unicodedata.normalize("NFKC", text).translate(_WINDOW_PUNCTUATION)
    pieces = [piece for piece in re.sub(r"\s+", "", normal).split(",") if piece]
    if not pieces:
        raise ValueError("work_hours is empty: expected windows like '09:00-12:00,13:00-18:00'")
    windows = []
    for piece in pieces:
        match = _WINDOW.fullmatch(piece)
        if match is None:
            raise ValueError(
                f"work_hours: {piece!r} is not a time window like '09:00-12:00' (in {text!r})"
            )
        start = _minute_of_day(match[1], match[2], piece)
        end = _minute_of_day(match[3], match[4], piece)
        windows.append((start, end))
    windows.sort()
    _check_windows(windows)
    return tuple(windows)


def _minute_of_day(hours: str, minutes: str, piece: str) -> int:
    """Minutes from midnight of "HH:MM", at most 24:00."""
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"work_hours: {hours}:{minutes} in {piece!r} is not a time of day")
    return value


def _format_window(window: tuple[int, int]) -> str:
    """A window in minutes as text, e.g. 09:00-12:00."""
    (start, end) = window
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _check_windows(windows: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> None:
    """Raise ValueError unless sorted windows are non-empty, within a day and do not overlap."""
    for start, end in windows:
        if not (0 <= start < end <= MINUTES_PER_DAY):
            if 0 <= start <= MINUTES_PER_DAY and 0 <= end <= MINUTES_PER_DAY:
                reason = "must end after it starts"
            else:
                reason = "must lie within 00:00-24:00"
            raise ValueError(f"work_hours: window {_format_window((start, end))} {reason}")
    for before, after in itertools.pairwise(windows):
        if after[0] < before[1]:
            raise ValueError(
                f"work_hours: windows {_format_window(before)} and {_format_window(after)} overlap"
            )


_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CHINESE_DAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DAY_BY_NAME: dict[str, int] = {
    **{name: day for day, name in enumerate(_WEEKDAY_NAMES)},
    **{name[:3]: day for day, name in enumerate(_WEEKDAY_NAMES)},
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_CHINESE_DAYS = re.compile(r"(?:(?:周|星期|礼拜)?[一二三四五六日天])+")
_CHINESE_DAY_TOKEN = re.compile(r"(?:周|星期|礼拜)?([一二三四五六日天])")
_NO_WEEKEND = {"none", "无"}


def parse_weekend(text: str) -> frozenset[int]:
    """Parse `weekend` ("Sat,Sun", "周六、周日") into weekday numbers, Monday = 0.

    English short or long names in any case, Chinese 周六/星期六/六 (日 or 天 for Sunday);
    separators , ， ; ； 、 / or spaces; Chinese names may also run together ("周六周日").
    Empty text, "none" or "无" mean no weekend. Raises ValueError on an unknown name.
    """
    if not isinstance(text, str):
        raise ValueError(f"weekend must be text like 'Sat,Sun', got {text!r}")
    normal = unicodedata.normalize("NFKC", text).strip().lower()
    if normal in _NO_WEEKEND:
        return frozenset()
    days: set[int] = set()
    for token in re.split(r"[\s,;、/]+", normal):
        token = token.rstrip(".")
        if not token:
            continue
        if token in _DAY_BY_NAME:
            days.add(_DAY_BY_NAME[token])
        elif _CHINESE_DAYS.fullmatch(token):
            days.update(_CHINESE_DAY[name] for name in _CHINESE_DAY_TOKEN.findall(token))
        else:
            raise ValueError(
                f"weekend: unknown day {token!r} in {text!r} (write e.g. 'Sat,Sun' or '周六,周日')"
            )
    return frozenset(days)


# ---------------------------------------------------------------------------------------------
# Array helpers


def _as_datetime64(values: Any) -> np.ndarray:
    """Naive datetimes (numpy, pandas, Python, ISO text; NaT/None allowed) as datetime64[ns]."""
    array = np.asarray(values)
    if array.dtype.kind == "M":
        return array.astype("datetime64[ns]")
    if array.dtype.kind not in "OUS":
        raise TypeError(f"expected datetimes, got an array of {array.dtype}")
    converted = pd.DatetimeIndex(pd.to_datetime(array.ravel(), format="ISO8601"))
    if converted.tz is not None:
        raise ValueError("expected naive local datetimes, got timezone-aware ones")
    return converted.to_numpy(dtype="datetime64[ns]").reshape(array.shape)


def _as_hours(values: Any) -> np.ndarray:
    """Hours as float64, missing values (None, NaN, pd.NA) as NaN."""
    if isinstance(values, (pd.Series, pd.Index)):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(values, dtype=np.float64)


def _round_to_second(ns: np.ndarray) -> np.ndarray:
    """Round int64 nanoseconds to the nearest whole second (halves up)."""
    return (ns + NS_PER_SECOND // 2) // NS_PER_SECOND * NS_PER_SECOND


def _check_in_range(start_ns: np.ndarray, delta_ns: np.ndarray) -> None:
    """Raise ValueError when start + delta would fall outside what datetime64[ns] can hold."""
    if start_ns.size == 0:
        return
    if not np.isfinite(delta_ns).all():
        raise ValueError("hours must be finite numbers")
    reach = start_ns.astype(np.float64) + delta_ns
    if reach.min() < _FIRST_DAY * NS_PER_DAY or reach.max() > (_LAST_DAY + 1) * NS_PER_DAY:
        raise ValueError("hours reach beyond the dates a datetime can hold (1677-2262)")


def calendar_hours(start: Any, end: Any) -> np.ndarray:
    """Hours from start to end on the calendar clock, float64, NaN where either is NaT."""
    start_dt, end_dt = np.broadcast_arrays(_as_datetime64(start), _as_datetime64(end))
    return (end_dt - start_dt) / np.timedelta64(1, "h")


def add_calendar_hours(start: Any, hours: Any) -> np.ndarray:
    """The instant `hours` calendar hours after start, to the second; NaT for NaT or NaN hours."""
    start_dt, hours_f = np.broadcast_arrays(_as_datetime64(start), _as_hours(hours))
    start_ns = start_dt.view(np.int64)
    valid = (start_ns != _NAT) & ~np.isnan(hours_f)
    delta = hours_f[valid] * NS_PER_HOUR
    _check_in_range(start_ns[valid], delta)
    moved = _round_to_second(start_ns[valid] + np.round(delta).astype(np.int64))
    result = np.full(start_ns.shape, _NAT, dtype=np.int64)
    result[valid] = np.where(hours_f[valid] == 0, start_ns[valid], moved)
    return result.view("datetime64[ns]")


# ---------------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True)
class _Arrays:
    """The calendar as arrays, built once per WorkCalendar."""

    window_start: np.ndarray  # int64 ns from midnight, per window
    window_length: np.ndarray  # int64 ns, per window
    window_done: np.ndarray  # int64 ns of work done by the end of each window
    day_ns: int  # working ns of a working day
    weekend_mask: np.ndarray  # bool[7], Monday = 0
    holiday_days: np.ndarray  # int64 day numbers since 1970-01-01, sorted
    workday_days: np.ndarray  # int64 day numbers since 1970-01-01, sorted


def _day_numbers(dates: frozenset[datetime.date]) -> np.ndarray:
    """Sorted int64 day numbers (days since 1970-01-01) of dates."""
    if not dates:
        return np.empty(0, dtype=np.int64)
    stamps = pd.to_datetime(sorted(pd.Timestamp(date) for date in dates))
    return np.unique(stamps.to_numpy().astype("datetime64[D]").view(np.int64))


@dataclass(frozen=True)
class WorkCalendar:
    """Working windows, weekend and the Calendar sheet's holidays and make-up workdays.

    A working day is a day not in `weekend`, or a date in `workdays`, and not a date in `holidays`
    (a date listed as both is a holiday).
    """

    windows: tuple[tuple[int, int], ...]
    weekend: frozenset[int]
    holidays: frozenset[datetime.date] = frozenset()
    workdays: frozenset[datetime.date] = frozenset()
    _arrays: _Arrays = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        windows = tuple(sorted((int(start), int(end)) for start, end in self.windows))
        _check_windows(windows)
        weekend = frozenset(int(day) for day in self.weekend)
        if not weekend <= set(range(7)):
            raise ValueError(
                f"weekend days must be 0 (Monday) to 6 (Sunday), not {sorted(weekend)}"
            )
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "weekend", weekend)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        starts = np.array([start for start, _ in windows], dtype=np.int64) * NS_PER_MINUTE
        lengths = np.array([end - start for start, end in windows], dtype=np.int64) * NS_PER_MINUTE
        weekend_mask = np.zeros(7, dtype=bool)
        weekend_mask[list(weekend)] = True
        arrays = _Arrays(
            window_start=starts,
            window_length=lengths,
            window_done=np.cumsum(lengths),
            day_ns=int(lengths.sum()),
            weekend_mask=weekend_mask,
            holiday_days=_day_numbers(self.holidays),
            workday_days=_day_numbers(self.workdays),
        )
        object.__setattr__(self, "_arrays", arrays)

    # -- days ----------------------------------------------------------------------------------

    def is_working_day(self, days: Any) -> np.ndarray:
        """Whether each day (datetime64[D] or anything date-like) is a working day; NaT -> False."""
        array = np.asarray(days)
        if array.dtype.kind != "M":
            array = _as_datetime64(array)
        numbers = array.astype("datetime64[D]").view(np.int64)
        return self._working(numbers) & (numbers != _NAT)

    def _working(self, days: np.ndarray) -> np.ndarray:
        """Whether each int64 day number is a working day."""
        arrays = self._arrays
        working = ~arrays.weekend_mask[(days + _EPOCH_WEEKDAY) % 7]
        if arrays.workday_days.size:
            working |= np.isin(days, arrays.workday_days)
        if arrays.holiday_days.size:
            working &= ~np.isin(days, arrays.holiday_days)
        return working

    def _work_per_day(self, first: int, last: int) -> np.ndarray:
        """Working ns of each day from day number first to last, inclusive."""
        days = np.arange(first, last + 1, dtype=np.int64)
        return np.where(self._working(days), self._arrays.day_ns, 0).astype(np.int64)

    # -- the cumulative clock ------------------------------------------------------------------

    def _clock(self, ns: np.ndarray, first: int, work: np.ndarray, done: np.ndarray) -> np.ndarray:
        """B(t): working ns from the start of day `first` to each instant (int64 ns, no NaT)."""
        day = ns // NS_PER_DAY
        time_of_day = ns - day * NS_PER_DAY
        row = day - first
        arrays = self._arrays
        inside = np.zeros(ns.shape, dtype=np.int64)
        for start, length in zip(arrays.window_start, arrays.window_length, strict=True):
            inside += np.clip(time_of_day - start, 0, length)
        return done[row] + inside * (work[row] > 0)

    def _table(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """Working ns per day from first to last, and the work done before each day (n + 1)."""
        work = self._work_per_day(first, last)
        done = np.zeros(work.size + 1, dtype=np.int64)
        np.cumsum(work, out=done[1:])
        return work, done

    def business_hours(self, start: Any, end: Any) -> np.ndarray:
        """Working hours in [start, end] as float64; NaN for NaT, negative when end < start."""
        start_dt, end_dt = np.broadcast_arrays(_as_datetime64(start), _as_datetime64(end))
        start_ns = start_dt.view(np.int64).ravel()
        end_ns = end_dt.view(np.int64).ravel()
        result = np.full(start_ns.shape, np.nan)
        valid = (start_ns != _NAT) & (end_ns != _NAT)
        if not valid.all():
            start_ns, end_ns = start_ns[valid], end_ns[valid]
        if start_ns.size:
            first = int(min(start_ns.min(), end_ns.min()) // NS_PER_DAY)
            last = int(max(start_ns.max(), end_ns.max()) // NS_PER_DAY)
            work, done = self._table(first, last)
            spent = self._clock(end_ns, first, work, done)
            spent -= self._clock(start_ns, first, work, done)
            result[valid] = spent / NS_PER_HOUR
        return result.reshape(start_dt.shape)

    def add_business_hours(self, start: Any, hours: Any) -> np.ndarray:
        """The earliest instant at which the business clock from start reaches hours.

        datetime64[ns], rounded to the second; start itself for 0 hours, the window's end (not
        the next morning) when the hours run out exactly there; NaT where start is NaT or hours
        NaN. Negative hours count back: the latest t <= start with business_hours(t, start) equal
        to -hours. Raises ValueError when the calendar has no working time to reach the target.
        """
        start_dt, hours_f = np.broadcast_arrays(_as_datetime64(start), _as_hours(hours))
        start_all = start_dt.view(np.int64).ravel()
        hours_all = hours_f.ravel()
        result = np.full(start_all.shape, _NAT, dtype=np.int64)
        valid = (start_all != _NAT) & ~np.isnan(hours_all)
        moving = valid & (hours_all != 0)
        result[valid & ~moving] = start_all[valid & ~moving]
        if moving.any():
            start_ns = start_all[moving]
            delta = hours_all[moving] * NS_PER_HOUR
            _check_in_range(start_ns, delta)
            result[moving] = self._invert(start_ns, np.round(delta).astype(np.int64))
        return result.view("datetime64[ns]").reshape(start_dt.shape)

    def _invert(self, start_ns: np.ndarray, delta_ns: np.ndarray) -> np.ndarray:
        """Instants t with B(t) = B(start) + delta, the earliest going forward, latest going back.

        Returns int64 ns rounded to the second.
        """
        first = int(start_ns.min() // NS_PER_DAY)
        last = int(start_ns.max() // NS_PER_DAY)
        work, done = self._table(first, last)
        # targets measured from the start of day `first`
        target = self._clock(start_ns, first, work, done) + delta_ns
        last = self._reach_forward(last, int(done[-1]), int(target.max()))
        first, before = self._reach_backward(first, int(target.min()))
        work, done = self._table(first, last)
        target += before
        # Going forward the earliest instant lies in the working day with
        # done[day] < target <= done[day + 1]; going back the latest in the one with
        # done[day] <= target < done[day + 1]. On int64, searching target + 1 on the left side is
        # searching target on the right side, so one searchsorted serves both directions.
        backward = (delta_ns < 0).astype(np.int64)
        day = np.searchsorted(done, target + backward, side="left") - 1
        into_day = target - done[day]
        arrays = self._arrays
        window = np.searchsorted(arrays.window_done, into_day + backward, side="left")
        into_window = into_day - (arrays.window_done - arrays.window_length)[window]
        due = (first + day) * NS_PER_DAY + arrays.window_start[window] + into_window
        return _round_to_second(due)

    def _reach_forward(self, last: int, done: int, target: int) -> int:
        """A last table day by which the work done (`done` up to day `last`) reaches target."""
        if target <= done:
            return last
        arrays = self._arrays
        per_week = arrays.day_ns * int((~arrays.weekend_mask).sum())
        if per_week == 0:
            # only make-up workdays give working time, and there are finitely many
            later = arrays.workday_days[arrays.workday_days > last]
            if arrays.day_ns and later.size:
                reach = int(later[-1])
                if done + int(self._work_per_day(last + 1, reach).sum()) >= target:
                    return reach
            raise ValueError("the calendar has no working time to reach the due time")
        span = (target - done) // per_week * 7 + 14
        while True:
            reach = min(last + span, _LAST_DAY)
            if done + int(self._work_per_day(last + 1, reach).sum()) >= target:
                return reach
            if reach == _LAST_DAY:
                raise ValueError("the due time lies beyond the dates a datetime can hold (2262)")
            span *= 2

    def _reach_backward(self, first: int, target: int) -> tuple[int, int]:
        """A first table day, and the work from it up to day `first`, that covers -target."""
        if target >= 0:
            return first, 0
        arrays = self._arrays
        per_week = arrays.day_ns * int((~arrays.weekend_mask).sum())
        if per_week == 0:
            earlier = arrays.workday_days[arrays.workday_days < first]
            if arrays.day_ns and earlier.size:
                reach = int(earlier[0])
                before = int(self._work_per_day(reach, first - 1).sum())
                if target + before >= 0:
                    return reach, before
            raise ValueError("the calendar has no working time to reach the time counted back")
        span = -target // per_week * 7 + 14
        while True:
            reach = max(first - span, _FIRST_DAY)
            before = int(self._work_per_day(reach, first - 1).sum())
            if target + before >= 0:
                return reach, before
            if reach == _FIRST_DAY:
                raise ValueError("the time counted back lies before the dates a datetime can hold")
            span *= 2
