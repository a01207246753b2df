"""FEEL values: the literals a test is written with, and cells read as numbers, instants, booleans
and text keys (through `core/coerce`, the one reader of cell types)."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core import coerce, schema
from sheetflow.core.workbook import is_blank

# Literal kinds.
NUMBER = "number"
STRING = "string"
DATE = "date"  # a calendar day: equality and comparisons look at the day of a datetime
DATETIME = "datetime"  # an instant
BOOL = "bool"
NULL = "null"  # FEEL null: an empty cell

_NUMBER_TYPES = (int, float, np.integer, np.floating)
_DATE_TYPES = (pd.Timestamp, dt.datetime, dt.date)


@dataclass(frozen=True)
class Literal:
    """One value written in a test: kind is NUMBER, STRING, DATE, DATETIME, BOOL or NULL."""

    kind: str
    value: object  # float | str | pd.Timestamp | bool | None

    def __str__(self) -> str:
        if self.kind == NUMBER:
            return format_number(self.value)  # type: ignore[arg-type]
        if self.kind == STRING:
            return f'"{self.value}"'
        if self.kind in (DATE, DATETIME):
            return format_instant(self.value)  # type: ignore[arg-type]
        if self.kind == BOOL:
            return "true" if self.value else "false"
        return "null"


def format_number(value: float) -> str:
    """5000.0 -> 5000; other floats as Python writes them."""
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}" if abs(value) >= 1e15 else repr(value)


def format_instant(stamp: pd.Timestamp) -> str:
    """A day as 2024-05-01, an instant as 2024-05-01 09:30 (seconds only when there are some)."""
    if stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%d %H:%M" if stamp.second == 0 else "%Y-%m-%d %H:%M:%S")


def cell_text(value: object) -> str:
    """A cell as a person reads it: 5000.0 -> 5000, datetimes in ISO form, blank -> ''."""
    if is_blank(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, _NUMBER_TYPES):
        return format_number(float(value))
    if isinstance(value, _DATE_TYPES):
        return format_instant(pd.Timestamp(value))
    return str(value).strip()


def text_key(text: object) -> str:
    """Strings compare trimmed, case-insensitively, full-width folded (NFKC)."""
    return schema.normalise_name(unicodedata.normalize("NFKC", str(text)))


def value_key(value: object) -> str | None:
    """The text key of a cell; None for an empty one."""
    if is_blank(value) or value is pd.NaT:
        return None
    return text_key(cell_text(value))


def enum_code(enum: schema.Enum, text: str) -> str | None:
    """The canonical code a spelling (any case, full-width too) stands for, if any."""
    return enum.lookup().get(schema.normalise_token(unicodedata.normalize("NFKC", text)))


def _folded(values: Sequence[object]) -> pd.Series:
    """Cells as a Series, strings folded to ASCII (full-width digits and signs) for coerce."""
    return pd.Series(
        [unicodedata.normalize("NFKC", v) if isinstance(v, str) else v for v in values],
        dtype=object,
    )


def read_numbers(values: Sequence[object]) -> np.ndarray:
    """Numbers of cells (numbers, numeric text); NaN for anything else, booleans included."""
    numbers, _ = coerce.to_number(_folded(values))
    return numbers.to_numpy(dtype=float)


def read_instants(values: Sequence[object]) -> np.ndarray:
    """datetime64[ns] of date cells and date text; NaT for anything else (numbers included)."""
    series = _folded(values)
    datable = np.array([isinstance(v, (str, *_DATE_TYPES)) for v in series], dtype=bool)
    stamps, _ = coerce.to_datetime(series.where(datable, None))
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[ns]")


def read_bools(values: Sequence[object]) -> np.ndarray:
    """1 true, 0 false, -1 neither (yes/no, 是/否, 1/0 and true/false all count)."""
    series = pd.Series(
        [("yes" if v else "no") if isinstance(v, (bool, np.bool_)) else v for v in values],
        dtype=object,
    )
    codes, _ = coerce.to_enum(series, schema.YES_NO)
    return np.select([codes == "yes", codes == "no"], [1, 0], -1).astype(np.int8)


def number_of(value: object) -> float:
    """One cell or literal value read as a number (NaN when it is none)."""
    return float(read_numbers([value])[0])
