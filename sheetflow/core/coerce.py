"""Turn raw cell columns (whatever a reader gives: str, float, bool, datetime, None) into typed
columns, a whole column at a time, with a mask of the cells that could not be read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core import schema
from sheetflow.core.workbook import blank_mask

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_NUMBER_TYPES = (int, float, np.integer, np.floating)


_DATE_TYPES = (dt.datetime, dt.date, pd.Timestamp)


def _kinds(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks of numbers (not bools), strings, and date/datetime objects."""
    types = pd.Series(values, dtype=object).map(type, na_action="ignore")
    kinds = np.zeros(len(values), dtype=np.int8)
    for seen in types.dropna().unique():
        mask = (types == seen).to_numpy(dtype=bool)
        if issubclass(seen, str):
            kinds[mask] = 1
        elif issubclass(seen, _DATE_TYPES) or issubclass(seen, np.datetime64):
            kinds[mask] = 2
        elif issubclass(seen, _NUMBER_TYPES) and not issubclass(seen, (bool, np.bool_)):
            kinds[mask] = 3
    return kinds == 3, kinds == 1, kinds == 2


def to_text(series: pd.Series) -> pd.Series:
    """Text cells trimmed; whole numbers without '.0' (so 1001.0 and "1001" are the same id)."""
    values = series.to_numpy(dtype=object)
    blank = blank_mask(series)
    is_num, is_str, is_dt = _kinds(values)
    out = np.full(len(values), None, dtype=object)
    if is_str.any():
        stripped = np.empty(int(is_str.sum()), dtype=object)
        stripped[:] = [v.strip() for v in values[is_str]]
        out[is_str] = stripped
    if is_num.any():  # ids typed as numbers are the bulk: whole numbers in one array operation
        numbers = values[is_num]
        as_float = numbers.astype(float)
        whole = np.isfinite(as_float) & (np.abs(as_float) < 1e15)
        whole[whole] = as_float[whole] % 1 == 0
        text = np.empty(len(numbers), dtype=object)
        text[whole] = as_float[whole].astype(np.int64).astype(str)
        text[~whole] = [str(int(v)) if float(v).is_integer() else str(v) for v in numbers[~whole]]
        out[is_num] = text
    other = ~(blank | is_str | is_num)
    if other.any():
        out[other] = [
            v.isoformat(sep=" ") if isinstance(v, dt.datetime) else str(v) for v in values[other]
        ]
    out[blank] = None
    return pd.Series(out, index=series.index, dtype=object)


def to_number(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """float64 column and the mask of non-blank cells that are not numbers."""
    values = series.to_numpy(dtype=object)
    blank = blank_mask(series)
    is_num, is_str, _ = _kinds(values)
    out = np.full(len(values), np.nan)
    if is_num.any():
        out[is_num] = values[is_num].astype(float)
    if is_str.any():
        text = pd.Series(values[is_str], dtype=object).str.strip()
        text = text.str.replace(r"[,，\s]", "", regex=True).str.replace("％", "%")
        percent = text.str.endswith("%").to_numpy(dtype=bool)
        text = text.str.rstrip("%")
        parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        parsed = np.where(percent, parsed / 100.0, parsed)
        out[is_str] = parsed
    bad = ~blank & ~np.isfinite(out)
    out[bad] = np.nan
    return pd.Series(out, index=series.index), bad


# Dates outside these are typos (3024 for 2024), and beyond 2262 datetime64[ns] would wrap.
DATE_MIN = pd.Timestamp("1900-01-01")
DATE_MAX = pd.Timestamp("2201-01-01")  # exclusive: any time on 2200-12-31 is fine
_SERIAL_MIN = (DATE_MIN - EXCEL_EPOCH) / pd.Timedelta(days=1)
_SERIAL_MAX = (DATE_MAX - EXCEL_EPOCH) / pd.Timedelta(days=1)

# Why a date cell could not be read (besides "not a date"): `reason.<key>` entries of
# messages/findings.toml.
OUT_OF_RANGE = "date_out_of_range"
AMBIGUOUS = "date_ambiguous"
RELATIVE = "date_relative"

# Year first, with - / . between parts, an optional time and an optional UTC offset.
_ISO = (
    r"^(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?)?"
    r"\s*(?P<offset>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
# 2024年9月5日 14时30分(05秒), 2024年9月5日 14:30, 2024年9月5日
_CN_DATE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
_CN_TIME = r"\s*(\d{1,2})\s*[时点:]\s*(?:(\d{1,2})\s*分?)?\s*(?:(\d{1,2})\s*秒)?\s*$"
_DAY_MONTH_FIRST = r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}\b"
_NO_DATE = (
    r"^(?:\d{1,2}\s*[:：]\s*\d{2}(?:\s*[:：]\s*\d{2})?\s*(?:[ap]\.?m\.?)?"
    r"|\d{1,2}\s*[时点](?:\s*\d{1,2}\s*分?)?"
    r"|(?:today|now|yesterday|tomorrow|tonight|noon|midnight|今天|今日|现在|昨天|明天|当前|此刻)"
    r".*)$"
)
_FAST_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
_MONTH_NAME = r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"


@dataclass(frozen=True)
class DateColumn:
    """A typed date column, the mask of cells that are not a date, and why (None: not a date)."""

    values: pd.Series
    bad: np.ndarray
    reason: np.ndarray  # object: a `reason.<key>` of messages/findings.toml, or None, for each cell


def to_datetime(
    series: pd.Series, date_only: bool = False, timezone: str | None = None
) -> tuple[pd.Series, np.ndarray]:
    """datetime64[ns] column from Excel dates, ISO text or Excel serials; mask of bad cells."""
    column = parse_datetimes(series, date_only, timezone)
    return column.values, column.bad


def parse_datetimes(
    series: pd.Series, date_only: bool = False, timezone: str | None = None
) -> DateColumn:
    """Read a date column: Excel dates, Excel serials, and text written year first.

    Text may carry a UTC offset (`2024-09-12 10:00+08:00`), converted to `timezone` (the
    workbook's) and kept as naive local time. Dates outside 1900–2200, day/month-first text
    (`05/09/2024`) and text without a date (`11:30`, `today`) are bad, with their reason.
    """
    values = series.to_numpy(dtype=object)
    blank = blank_mask(series)
    is_num, is_str, is_dt = _kinds(values)
    n = len(values)
    stamps = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    reason = np.full(n, None, dtype=object)
    if is_dt.any():
        found, why = _from_objects(values[is_dt])
        stamps[is_dt], reason[is_dt] = found, why
    if is_num.any():
        serial = values[is_num].astype(float)
        ok = (serial >= _SERIAL_MIN) & (serial < _SERIAL_MAX)
        days = pd.to_timedelta(np.where(ok, serial, np.nan), unit="D")
        stamps[is_num] = (EXCEL_EPOCH + days).round("s").to_numpy(dtype="datetime64[ns]")
        reason[np.flatnonzero(is_num)[~ok & np.isfinite(serial)]] = OUT_OF_RANGE
    if is_str.any():
        found, why = _from_text(pd.Series(values[is_str], dtype=object), timezone)
        stamps[is_str], reason[is_str] = found, why
    other = ~(blank | is_num | is_str | is_dt)
    if other.any():  # a time of day alone (an Excel time cell) says nothing about the date
        times = np.array([isinstance(v, dt.time) for v in values[other]], dtype=bool)
        reason[np.flatnonzero(other)[times]] = RELATIVE
    out = pd.Series(stamps, index=series.index, dtype="datetime64[ns]")
    if date_only:
        out = out.dt.normalize()
    bad = ~blank & out.isna().to_numpy()
    reason[~bad] = None
    return DateColumn(out, bad, reason)


def _in_range(stamps: np.ndarray) -> np.ndarray:
    """datetime64 values (any unit) inside 1900–2200, compared before any cast to ns."""
    low, high = np.datetime64("1900-01-01", "s"), np.datetime64("2201-01-01", "s")
    return ~np.isnat(stamps) & (stamps >= low) & (stamps < high)


def _from_objects(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """date/datetime/Timestamp/datetime64 cells -> ns stamps (NaT where bad), reasons."""
    stamps = np.full(len(objects), np.datetime64("NaT"), dtype="datetime64[ns]")
    reason = np.full(len(objects), None, dtype=object)
    parsed = pd.to_datetime(pd.Series(objects, dtype=object), errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    native = parsed.to_numpy()  # in its own unit: nothing wraps before the range check
    ok = _in_range(native)
    stamps[ok] = native[ok].astype("datetime64[ns]")
    for i in np.flatnonzero(~ok):  # the few bad ones: say why when the year is the problem
        year = getattr(objects[i], "year", None)
        if year is None and isinstance(objects[i], np.datetime64):
            year = int(objects[i].astype("datetime64[Y]").astype(int)) + 1970
        if year is not None and not 1900 <= year <= 2200:
            reason[i] = OUT_OF_RANGE
    return stamps, reason


def _from_text(text: pd.Series, timezone: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Text cells -> ns stamps (NaT where bad) and reasons, a regex over the column at once."""
    stamps = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    reason = np.full(len(text), None, dtype=object)
    text = text.str.strip()
    # the bulk is written one way: exact formats parse it in C; the regex takes the rest
    plain = text.str.replace("/", "-", regex=False).str.replace("T", " ", regex=False)
    # pandas reads "now" and "today" whatever the format: a date takes 8 characters at least
    todo = (text.str.len() >= 8).to_numpy(dtype=bool, copy=True)
    for form in _FAST_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(plain[todo], format=form, errors="coerce").to_numpy()
        ok = _in_range(parsed)
        where = np.flatnonzero(todo)[ok]
        stamps[where] = parsed[ok].astype("datetime64[ns]")
        todo[where] = False
    slow = np.flatnonzero(np.isnat(stamps))
    if not len(slow):
        return stamps, reason
    found, why = _from_free_text(text.iloc[slow], timezone)
    stamps[slow], reason[slow] = found, why
    return stamps, reason


def _from_free_text(text: pd.Series, timezone: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Text the exact formats did not take: offsets, Chinese dates, bad text with its reason."""
    text = _cn_dates(text.str.replace("：", ":", regex=False))
    parts = text.str.extract(_ISO)
    matched = parts["year"].notna().to_numpy()
    stamps = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    reason = np.full(len(text), None, dtype=object)
    if matched.any():
        stamps[matched], reason[matched] = _from_parts(parts[matched], timezone)
    rest = ~matched
    if rest.any():
        other = text[rest]
        why = np.full(len(other), None, dtype=object)
        why[other.str.contains(_DAY_MONTH_FIRST, regex=True).to_numpy(dtype=bool)] = AMBIGUOUS
        no_date = other.str.casefold().str.contains(_NO_DATE, regex=True).to_numpy(dtype=bool)
        why[no_date] = RELATIVE
        named = (
            other.str.contains(_MONTH_NAME, regex=True).to_numpy(dtype=bool)
            & other.str.contains(r"\b\d{4}\b", regex=True).to_numpy(dtype=bool)
            & ~no_date
        )
        found = np.full(len(other), np.datetime64("NaT"), dtype="datetime64[ns]")
        if named.any():  # "1 May 2024", "May 1, 2024": a month name leaves no doubt
            parsed = pd.to_datetime(other[named], errors="coerce", format="mixed")
            if getattr(parsed.dt, "tz", None) is not None:
                parsed = parsed.dt.tz_localize(None)
            as_ns = parsed.to_numpy(dtype="datetime64[ns]")
            ok = _in_range(as_ns)
            found[np.flatnonzero(named)[ok]] = as_ns[ok]
        stamps[rest], reason[rest] = found, why
    return stamps, reason


def _from_parts(parts: pd.DataFrame, timezone: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Year-first text split by `_ISO` -> ns stamps; offsets converted to `timezone`."""
    numbers = {
        name: pd.to_numeric(parts[name], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        for name in ("year", "month", "day", "hour", "minute", "second")
    }
    year = numbers["year"]
    ok = (year >= 1900) & (year <= 2200)
    fraction = parts["fraction"].fillna("").str.ljust(9, "0").str[:9]
    nanos = pd.to_numeric(fraction, errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "year": np.where(ok, year, 2000),
            "month": numbers["month"],
            "day": numbers["day"],
            "hour": numbers["hour"],
            "minute": numbers["minute"],
            "second": numbers["second"],
        }
    )
    valid = ((frame["hour"] < 24) & (frame["minute"] < 60) & (frame["second"] < 60)).to_numpy()
    frame = frame.astype(float)
    frame.loc[~valid, "year"] = np.nan
    local = pd.to_datetime(frame, errors="coerce")
    stamps = local.to_numpy(dtype="datetime64[ns]") + nanos.astype("timedelta64[ns]")
    stamps[~ok | ~valid] = np.datetime64("NaT")
    reason = np.full(len(parts), None, dtype=object)
    reason[~ok] = OUT_OF_RANGE
    offset = parts["offset"]
    has_offset = offset.notna().to_numpy()
    if has_offset.any():
        stamps[has_offset] = _to_zone(stamps[has_offset], offset[has_offset], timezone)
    return stamps, reason


def _to_zone(stamps: np.ndarray, offsets: pd.Series, timezone: str | None) -> np.ndarray:
    """Wall times written with UTC offsets -> naive wall times of `timezone` (UTC when None)."""
    text = offsets.str.upper().str.replace(":", "", regex=False)
    zulu = (text == "Z").to_numpy()
    text = text.where(~zulu, "+0000").str.ljust(5, "0")
    sign = np.where(text.str[0] == "-", -1, 1)
    minutes = sign * (
        text.str[1:3].astype(int).to_numpy() * 60 + text.str[3:5].astype(int).to_numpy()
    )
    utc = stamps - (minutes * 60).astype("timedelta64[s]").astype("timedelta64[ns]")
    index = pd.DatetimeIndex(utc).tz_localize("UTC")
    if timezone:
        index = index.tz_convert(timezone)
    return index.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _cn_dates(text: pd.Series) -> pd.Series:
    """2024年5月1日 9时30分 -> 2024-5-1 9:30 (other text unchanged)."""
    dates = text.str.extract(f"^{_CN_DATE}(?P<rest>.*)$")
    is_cn = dates[0].notna().to_numpy()
    if not is_cn.any():
        return text
    head = dates[0] + "-" + dates[1] + "-" + dates[2]
    rest = dates["rest"].fillna("")
    times = rest.str.extract(f"^{_CN_TIME}")
    clock = (
        times[0]
        + ":"
        + times[1].fillna("0").str.zfill(2)
        + (":" + times[2].str.zfill(2)).fillna("")
    )
    blank_rest = (rest.str.strip() == "").to_numpy()
    joined = np.where(
        blank_rest, head, np.where(times[0].notna(), head + " " + clock.fillna(""), None)
    )
    out = text.copy()
    out[is_cn] = pd.Series(joined, index=text.index)[is_cn].fillna("unreadable")
    return out


def to_enum(series: pd.Series, enum: schema.Enum) -> tuple[pd.Series, np.ndarray]:
    """Canonical codes (None for blank) and the mask of cells that are no allowed value."""
    lookup = enum.lookup()
    text = to_text(series)
    codes = text.map(lambda v: None if v is None else lookup.get(schema.normalise_token(v), ""))
    bad = (codes == "").to_numpy(dtype=bool)
    codes = codes.where(~bad, None)
    return codes.astype(object), bad


def to_bool_yes(series: pd.Series, default: bool) -> tuple[pd.Series, np.ndarray]:
    """yes/no column (bool cells accepted) as booleans, blank -> default."""
    values = series.to_numpy(dtype=object)
    as_text = pd.Series(
        [("yes" if v else "no") if isinstance(v, (bool, np.bool_)) else v for v in values],
        index=series.index,
        dtype=object,
    )
    codes, bad = to_enum(as_text, schema.YES_NO)
    flags = codes.map(lambda c: default if c is None else c == "yes").astype(bool)
    return flags, bad
