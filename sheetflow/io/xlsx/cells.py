"""Cell XML for values sheetflow writes: one column at a time, text always as text.

Strings go inline (`t="inlineStr"`), so the user's shared-strings part is never touched and a
string starting with "=" stays a string; datetimes become serial numbers of the book's epoch.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def serial(value: dt.datetime | dt.date, date1904: bool = False) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    days = (value.replace(tzinfo=None) - (_EPOCH_1904 if date1904 else _EPOCH_1900)).total_seconds()
    return round(days / 86400, 10)


def text_xml(ref: str, style: str, text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def cell_xml(ref: str, style: str, value: object, date1904: bool = False) -> str | None:
    """One cell; `style` is `' s="N"'` or ''. None for an empty value with no style."""
    if value is None:
        return f'<c r="{ref}"{style}/>' if style else None
    if isinstance(value, str):
        return text_xml(ref, style, value)
    if isinstance(value, (bool, np.bool_)):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (dt.datetime, dt.date)):
        return f'<c r="{ref}"{style}><v>{serial(value, date1904)!r}</v></c>'
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            return f'<c r="{ref}"{style}/>' if style else None
        text = str(int(value)) if isinstance(value, (int, np.integer)) else repr(number)
        return f'<c r="{ref}"{style}><v>{text}</v></c>'
    return text_xml(ref, style, str(value))


def column_xml(
    letter: str,
    rows: Sequence[int],
    values: Sequence[object],
    style: str,
    date1904: bool = False,
) -> list[str | None]:
    """The XML of one column's cells, row by row; numbers and datetimes are done in bulk."""
    count = len(rows)
    if count == 0:
        return []
    array = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    kinds = {type(v) for v in array[: min(count, 64)]} | {type(array[-1])}
    if kinds <= {float, type(None)}:
        return [
            None if v is None or v != v else f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>'
            for r, v in zip(rows, array.tolist())
        ]
    if kinds <= {dt.datetime, type(None)}:
        stamps = pd.to_datetime(pd.Series(array), errors="coerce")
        epoch = np.datetime64(_EPOCH_1904 if date1904 else _EPOCH_1900, "ns")
        days = (stamps.to_numpy(dtype="datetime64[ns]") - epoch) / np.timedelta64(86400, "s")
        days = np.round(days.astype(float), 10)
        return [
            None if v != v else f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>'
            for r, v in zip(rows, days.tolist())
        ]
    if kinds <= {str, type(None)}:  # labels repeat down a column: escape each once
        done: dict[str, str] = {}
        out: list[str | None] = []
        for r, v in zip(rows, array.tolist()):
            if v is None:
                out.append(None)
                continue
            body = done.get(v)
            if body is None:
                space = ' xml:space="preserve"' if v != v.strip() or "\n" in v else ""
                body = done[v] = f' t="inlineStr"><is><t{space}>{escape(v)}</t></is></c>'
            out.append(f'<c r="{letter}{r}"{style}{body}')
        return out
    return [cell_xml(f"{letter}{r}", style, v, date1904) for r, v in zip(rows, array.tolist())]
