"""Cell values for the output plan, a whole column at a time: clean text, rounded hours, naive
datetimes, labels in the book's language, and the widths a column needs to show them."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sheetflow.core import i18n, schema
from sheetflow.core.plan import AMOUNT, DATETIME, HOURS, INT, RATE, Column

EXCEL_MAX_ROW = 1_048_576


EXCEL_MAX_TEXT = 32_767


# characters no XML 1.0 document may hold (Excel refuses them too)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def owned_title(name: str, lang: str) -> str:
    """Title of an owned sheet (Validation, Overdue...) in the book's language."""
    return i18n.text(f"core.owned_sheet.{name}", lang)


def label(name: str, lang: str) -> str:
    return i18n.text(f"label.{name}", lang)


def clean_text(value: object) -> str | None:
    text = _ILLEGAL.sub("", value if isinstance(value, str) else str(value))[:EXCEL_MAX_TEXT]
    return text if text.strip() else None


def column_values(series: pd.Series | Sequence[object], kind: str) -> list[object]:
    """Cells of one column as plain Python values: hours rounded, naive datetimes, clean text."""
    series = series if isinstance(series, pd.Series) else pd.Series(list(series), dtype=object)
    if kind in (HOURS, AMOUNT, RATE, INT):
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        if kind == HOURS:
            numbers = np.round(numbers, 2)
        finite = np.isfinite(numbers)
        out = numbers.astype(object)
        if kind == INT:
            whole = finite & (numbers == np.floor(numbers))
            out[whole] = numbers[whole].astype(np.int64).astype(object)
        out[~finite] = None
        return out.tolist()
    if kind == DATETIME:
        stamps = pd.to_datetime(series, errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)
        missing = stamps.isna().to_numpy()
        out = np.array(stamps.dt.to_pydatetime(), dtype=object)
        out[missing] = None
        return out.tolist()
    return _text_values(series.tolist())


def _text_values(values: list[object]) -> list[object]:
    """Text cells, cleaned; a column of plain short strings (and blanks) in one pass."""
    if all(v is None or type(v) is str for v in values):
        texts = [v for v in values if v is not None]
        longest = max(map(len, texts), default=0)
        if longest <= EXCEL_MAX_TEXT and not _ILLEGAL.search("".join(texts)):
            return [v if v is not None and v.strip() else None for v in values]
    return _each(values, _text_cell)


def _text_cell(value: object) -> object:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (bool, int)):
        return value
    return clean_text(value)


def _each(values: list[object], convert) -> list[object]:  # noqa: ANN001
    """`convert` applied once per distinct value (labels repeat down a column)."""
    try:
        done = {(type(v), v): convert(v) for v in values}
    except TypeError:  # an unhashable value
        return [convert(v) for v in values]
    return [done[(type(v), v)] for v in values]


def enum_labels(
    values: list[object], enum: schema.Enum, lang: str, display: str = ""
) -> list[object]:
    """Codes (or any accepted spelling) as the labels people read; `display` names a catalog
    prefix (`priority` -> `priority.urgent`, "Urgent") for enums whose English is a code."""
    labels = {
        code: i18n.text(f"{display}.{code}", lang)
        if display and i18n.has(f"{display}.{code}")
        else enum.label(code, lang)
        for code in enum.codes
    }
    lookup = enum.lookup()

    def one(value: object) -> object:
        if value is None:
            return None
        code = lookup.get(schema.normalise_token(value), str(value))
        return labels.get(code, str(value))

    return _each(values, one)


def display_width(text: str) -> int:
    """Width of text in Excel's character units: CJK and other wide characters count double."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def values_width(values: Iterable[object], kind: str) -> float:
    if kind == DATETIME:
        return 16
    if kind == RATE:
        return 7
    if kind in (HOURS, AMOUNT, INT):
        numbers = [v for v in values if v is not None]
        try:  # the numbers column_values gives (or None), in C
            top = max(max(numbers), -min(numbers)) if numbers else None
        except TypeError:  # anything else mixed in
            top = max((abs(v) for v in numbers if isinstance(v, (int, float))), default=None)
        if top is None:
            return 0
        if kind == INT:
            return len(str(int(top))) + 1
        return len(f"{top:,.2f}" if kind == AMOUNT else f"{top:.2f}") + 1
    widest = 0
    for text in {v if isinstance(v, str) else str(v) for v in values if v is not None}:
        widest = max(widest, display_width(text))
    return widest


def column_width(header: str, values: Sequence[object], kind: str, cap: float = 60) -> float:
    """Characters a column needs: its header (bold, a filter button) or its widest value."""
    width = max(display_width(header) * 1.1 + 2, values_width(values, kind))
    return round(min(max(width + 2, 6), cap), 1)


def table_columns(
    frame: pd.DataFrame, spec: Sequence[tuple[str, str]], lang: str
) -> tuple[Column, ...]:
    columns = []
    for key, kind in spec:
        values = column_values(frame[key], kind) if key in frame.columns else [None] * len(frame)
        if key == "priority":
            values = enum_labels(values, schema.PRIORITY, lang, display="priority")
        header = label(key, lang)
        style = "center" if key in ("row", "priority") else None
        columns.append(
            Column(key, header, values, kind, column_width(header, values, kind), style=style)
        )
    return tuple(columns)


def lateness(days: object, hours: object, lang: str) -> str | None:
    """Working time past due as people read it: "2 d 3 h", or "3 h" under a day; None if unknown."""
    if days is None and hours is None:
        return None
    whole = int(days or 0)
    rest = f"{float(hours or 0):g}"
    if whole:
        return i18n.text("view.late_value", lang, days=whole, hours=rest)
    return i18n.text("view.late_hours_only", lang, hours=rest)
