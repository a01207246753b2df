"""Cell XML for values sheetflow writes: one column at a time, text always as text.

Strings go inline (`t="inlineStr"`), so the user's shared-strings part is never touched and a
string starting with "=" stays a string; datetimes become serial numbers of the book's epoch.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core.plan import column_letter

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def escape(text: str) -> str:
    """XML character data: &, < and > escaped, as `xml.sax.saxutils.escape` does (which is not
    imported: it brings urllib.request, http.client and email into every start-up)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(text: str) -> str:
    """An attribute value with its quotes, as `xml.sax.saxutils.quoteattr` makes it."""
    text = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"{}"'.format(text.replace('"', "&quot;"))


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


# ---------------------------------------------------------------------------------------------
# The new cells of a user's sheet (Log, Cases), a batch of rows at a time


@dataclass(frozen=True)
class NewColumn:
    """One owned column of a user's sheet.

    column: its 1-based position; style: `' s="N"'` or ''; values: one per data row of the
    table (in the table's row order); header: the header cell's XML (None: no header cell).
    """

    column: int
    style: str
    values: Sequence[object]
    header: str | None = None


@dataclass(frozen=True)
class Formatted:
    """A column's cells, ready for `%`: `fmt` takes (row, value) or (the cell's XML)."""

    fmt: str
    takes_row: bool
    values: np.ndarray  # object array, one argument per row
    missing: np.ndarray  # bool: no cell in this row

    @classmethod
    def of_cells(cls, cells: Sequence[str | None]) -> Formatted:
        """Cells made one by one (XML or None)."""
        values = np.empty(len(cells), dtype=object)
        values[:] = cells
        return cls("%s", False, values, np.array([c is None for c in cells], dtype=bool))

    def padded(self, count: int) -> Formatted:
        """The same cells, with no cell in the rows after them up to `count` rows."""
        extra = count - len(self.values)
        if extra <= 0:
            return self
        values = np.concatenate([self.values, np.full(extra, None, dtype=object)])
        missing = np.concatenate([self.missing, np.ones(extra, dtype=bool)])
        return Formatted(self.fmt, self.takes_row, values, missing)

    def cell(self, at: int, row: int) -> str:
        """The XML of the cell at position `at` (in Excel row `row`)."""
        value = self.values[at]
        return self.fmt % ((row, value) if self.takes_row else (value,))


def formatted(
    letter: str, rows: Sequence[int], values: Sequence[object], style: str, date1904: bool
) -> Formatted:
    """The same cells as `column_xml`, as a `%` template and its arguments."""
    if not len(values):
        return Formatted.of_cells([])
    array = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    kinds = {type(v) for v in array[: min(len(array), 64)]} | {type(array[-1])}
    number = f'<c r="{letter}%d"{style}><v>%r</v></c>'
    if kinds <= {float, type(None)}:
        try:  # None -> nan; anything else not a number goes the general way
            missing = np.isnan(np.asarray(array, dtype=float))
        except (TypeError, ValueError):
            missing = None
        if missing is not None:
            return Formatted(number, True, array, missing)
    elif kinds <= {dt.datetime, type(None)}:
        days = _serials(array, date1904)
        return Formatted(number, True, days.astype(object), np.isnan(days))
    elif kinds <= {str, type(None)}:
        bodies, missing = _text_bodies(array.tolist())
        if bodies is not None:
            return Formatted(f'<c r="{letter}%d"{style}%s', True, bodies, missing)
    return Formatted.of_cells(column_xml(letter, rows, array, style, date1904))


def _serials(array: np.ndarray, date1904: bool) -> np.ndarray:
    stamps = pd.to_datetime(pd.Series(array), errors="coerce")
    epoch = np.datetime64(_EPOCH_1904 if date1904 else _EPOCH_1900, "ns")
    days = (stamps.to_numpy(dtype="datetime64[ns]") - epoch) / np.timedelta64(86400, "s")
    return np.round(days.astype(float), 10)


def _text_bodies(values: list[object]) -> tuple[np.ndarray | None, np.ndarray]:
    """What follows `<c r=".." s=".."` for each text (escaped once per distinct text)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    missing = codes < 0
    if not all(isinstance(v, str) for v in uniques) or not all(
        values[i] is None for i in np.flatnonzero(missing).tolist()
    ):
        return None, missing  # not text, or a NaN among the texts: the general way
    bodies = np.empty(len(uniques) + 1, dtype=object)
    for i, v in enumerate(uniques):
        space = ' xml:space="preserve"' if v != v.strip() or "\n" in v else ""
        bodies[i] = f' t="inlineStr"><is><t{space}>{escape(v)}</t></is></c>'
    return bodies[codes], missing  # code -1 (None): the spare last entry, never formatted


def format_rows(rows: np.ndarray, columns: Sequence[Formatted]) -> list[bytes] | None:
    """Each row's cells joined in column order, formatted in bulk (one `%` per shape of row).

    Rows that lack the same cells share a template; None when a value holds a NUL (the
    caller then joins the cells one by one).
    """
    count = len(rows)
    if not count:
        return []
    codes = np.zeros(count, dtype=np.int64)
    for k, column in enumerate(columns):
        codes |= column.missing.astype(np.int64) << k
    shapes = np.unique(codes) if codes.any() else np.zeros(1, dtype=np.int64)
    out: list[bytes] = [b""] * count
    for code in shapes.tolist():
        where = None if len(shapes) == 1 else np.flatnonzero(codes == code)
        present = [c for k, c in enumerate(columns) if not code >> k & 1]
        width = sum(2 if c.takes_row else 1 for c in present)
        size = count if where is None else len(where)
        numbers = (rows if where is None else rows[where]).tolist()
        args: list[object] = [None] * (size * width)
        at = 0
        for column in present:
            values = column.values if where is None else column.values[where]
            if column.takes_row:
                args[at::width] = numbers
                at += 1
            args[at::width] = values.tolist()
            at += 1
        template = "".join(c.fmt for c in present) + "\0"
        parts = ((template * size) % tuple(args)).encode().split(b"\0")
        if len(parts) != size + 1:
            return None
        if where is None:
            return parts[:-1]
        for i, part in zip(where.tolist(), parts):
            out[i] = part
    return out


class CellTable:
    """New cells of a sheet by row, made a batch of rows at a time as the merger reaches them.

    rows: the Excel rows with new cells, ascending (the header row first when the columns have
    header cells); columns: in column order, values aligned with the data rows. Only one batch
    of XML is held at a time, so memory does not grow with the rows beyond the values.
    """

    BATCH = 4096

    def __init__(
        self,
        rows: Sequence[int],
        columns: Sequence[NewColumn],
        date1904: bool = False,
        prefix: bytes = b"",
    ) -> None:
        self.rows = list(rows)
        self.columns = list(columns)
        self.date1904 = date1904
        self.prefix = prefix
        self.position = {row: i for i, row in enumerate(self.rows)}
        self.shift = 1 if self.columns and self.columns[0].header is not None else 0
        self._row_array = np.asarray(self.rows[self.shift :], dtype=np.int64)
        self._letters = [column_letter(c.column) for c in self.columns]
        self._start = self._end = 0
        self._joined: list[bytes] = []
        self._cells: list[list[str | None]] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def prefixed(self, prefix: bytes) -> CellTable:
        return self if not prefix else CellTable(self.rows, self.columns, self.date1904, prefix)

    def _tag(self, xml: str) -> str:
        """Our cells in a sheet whose elements carry a prefix (`<x:c>`): the same prefix."""
        p = self.prefix.decode()
        return _OUR_TAGS.sub(lambda m: f"<{m.group(1)}{p}{m.group(2)}", xml)

    def _header(self) -> list[str | None]:
        return [c.header for c in self.columns]

    def _load(self, position: int) -> None:
        start = position - position % self.BATCH
        end = min(start + self.BATCH, len(self.rows))
        self._start, self._end, self._cells = start, end, None
        lo, hi = max(start - self.shift, 0), end - self.shift
        joined: list[bytes] | None = None
        if hi > lo and not self.prefix:
            columns = [
                formatted(letter, self._row_array[lo:hi], c.values[lo:hi], c.style, self.date1904)
                for letter, c in zip(self._letters, self.columns)
            ]
            joined = format_rows(self._row_array[lo:hi], columns)
        if joined is None:  # a prefixed sheet, or a NUL in a value: one row at a time
            self._joined = ["".join(filter(None, row)).encode() for row in zip(*self._batch())]
            return
        if self.shift and start == 0:
            joined = ["".join(filter(None, self._header())).encode(), *joined]
        self._joined = joined

    def _batch(self) -> list[list[str | None]]:
        """Each column's cells (XML or None) for the batch, as `column_xml` makes them."""
        if self._cells is None:
            lo, hi = max(self._start - self.shift, 0), self._end - self.shift
            rows = self.rows[self.shift :][lo:hi] if hi > lo else []
            cells = []
            for k, (letter, column) in enumerate(zip(self._letters, self.columns)):
                xml = column_xml(letter, rows, column.values[lo:hi], column.style, self.date1904)
                if self.shift and self._start == 0:
                    xml = [self._header()[k], *xml]
                cells.append([self._tag(x) if x and self.prefix else x for x in xml])
            self._cells = cells
        return self._cells

    def joined(self, position: int) -> bytes:
        """The row's new cells, joined in column order."""
        if not self._start <= position < self._end:
            self._load(position)
        return self._joined[position - self._start]

    def joined_range(self, start: int, end: int) -> list[bytes]:
        """`joined` of positions [start, end)."""
        out: list[bytes] = []
        while start < end:
            if not self._start <= start < self._end:
                self._load(start)
            stop = min(end, self._end)
            out.extend(self._joined[start - self._start : stop - self._start])
            start = stop
        return out

    def cells(self, position: int) -> list[tuple[int, str]]:
        """The row's new cells as (column, XML)."""
        if not self._start <= position < self._end:
            self._load(position)
        at = position - self._start
        return [
            (column.column, xml[at])
            for column, xml in zip(self.columns, self._batch(), strict=True)
            if xml[at] is not None
        ]


_OUR_TAGS = re.compile(r"<(/?)(c|v|is|t)(?=[\s>/])")
