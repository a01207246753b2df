"""Turn raw cell columns (whatever a reader gives: str, float, bool, datetime, None) into typed
columns, a whole column at a time, with a mask of the cells that could not be read."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sheetflow.core import schema
from sheetflow.core.workbook import blank_mask

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_MAX_SERIAL = 2958465.0  # 9999-12-31
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
        out[is_str] = pd.Series(values[is_str], dtype=object).str.strip().to_numpy(dtype=object)
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


def to_datetime(series: pd.Series, date_only: bool = False) -> tuple[pd.Series, np.ndarray]:
    """datetime64[ns] column from Excel dates, ISO text or Excel serials; mask of bad cells."""
    values = series.to_numpy(dtype=object)
    blank = blank_mask(series)
    is_num, is_str, is_dt = _kinds(values)
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    if is_dt.any():
        out.iloc[np.flatnonzero(is_dt)] = pd.to_datetime(
            pd.Series(values[is_dt]), errors="coerce"
        ).to_numpy(dtype="datetime64[ns]")
    if is_num.any():
        serial = values[is_num].astype(float)
        ok = (serial >= 1) & (serial <= _MAX_SERIAL)
        stamps = EXCEL_EPOCH + pd.to_timedelta(np.where(ok, serial, np.nan), unit="D")
        out.iloc[np.flatnonzero(is_num)] = stamps.round("s").to_numpy(dtype="datetime64[ns]")
    if is_str.any():
        text = pd.Series(values[is_str], dtype=object).str.strip()
        text = text.str.replace("/", "-", regex=False).str.replace("T", " ", regex=False)
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        missing = parsed.isna().to_numpy()
        if missing.any():  # rare odd spellings: let pandas try harder on the few left
            retry = pd.to_datetime(
                _cn_dates(text[missing]), errors="coerce", format="mixed", dayfirst=False
            )
            parsed[missing] = retry
        out.iloc[np.flatnonzero(is_str)] = parsed.to_numpy(dtype="datetime64[ns]")
    if date_only:
        out = out.dt.normalize()
    bad = ~blank & out.isna().to_numpy()
    return out, bad


def _cn_dates(text: pd.Series) -> pd.Series:
    """2024年5月1日 9时30分 -> 2024-5-1 9:30."""
    return (
        text.str.replace(r"(\d+)年(\d+)月(\d+)日", r"\1-\2-\3", regex=True)
        .str.replace(r"(\d+)[时点](\d+)分?", r"\1:\2", regex=True)
        .str.replace("：", ":", regex=False)
    )


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
