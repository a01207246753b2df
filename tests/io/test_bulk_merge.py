"""The bulk paths of the writer give the bytes of the cell-by-cell and row-by-row paths.

`cells.format_rows` (one `%` per shape of row) against `cells.column_xml` joined row by row;
`sheetxml._BulkRows` (a chunk of rows merged in a few calls) against `_RowMerger` row by row,
on random sheets: rows missing or extra, spans, self-closing and empty rows, cells without
`r`, a previous run's cells, a user's cell right of the owned columns, a prefix.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetflow.core.plan import SheetPlan
from sheetflow.io.xlsx import owned, sheetxml
from sheetflow.io.xlsx.cells import CellTable, NewColumn, column_xml, format_rows, formatted
from sheetflow.io.xlsx.styles import StyleBook

PART = "xl/worksheets/sheet1.xml"
OWNED = (7, 8, 9)  # G, H, I

values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.sampled_from(["done", "late", " spaced ", "a&b<c>", "multi\nline", "=1+1", "中文"]),
)
dates = st.one_of(st.none(), st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2090, 1, 1)))


@st.composite
def column_values(draw: st.DrawFn, count: int) -> list[object]:
    kind = draw(st.sampled_from(["float", "text", "date", "mixed"]))
    if kind == "float":
        return draw(
            st.lists(st.one_of(st.none(), st.floats(width=32)), min_size=count, max_size=count)
        )
    if kind == "text":
        texts = st.one_of(st.none(), st.text(max_size=6).filter(lambda t: "\0" not in t))
        return draw(st.lists(texts, min_size=count, max_size=count))
    if kind == "date":
        return draw(st.lists(dates, min_size=count, max_size=count))
    return draw(st.lists(values, min_size=count, max_size=count))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), count=st.integers(1, 40))
def test_format_rows_joins_the_cells_column_xml_makes(data: st.DataObject, count: int) -> None:
    rows = np.arange(5, 5 + count, dtype=np.int64)
    columns = [data.draw(column_values(count)) for _ in range(data.draw(st.integers(0, 4)))]
    styles = [data.draw(st.sampled_from(["", ' s="3"'])) for _ in columns]
    letters = ["G", "H", "AA", "XFD"][: len(columns)]
    bulk = format_rows(
        rows, [formatted(x, rows, v, s, False) for x, v, s in zip(letters, columns, styles)]
    )
    cells = [column_xml(x, rows, v, s) for x, v, s in zip(letters, columns, styles)]
    one_by_one = ["".join(c or "" for c in row).encode() for row in zip(*cells, strict=True)] or [
        b""
    ] * count
    assert bulk == one_by_one


@st.composite
def sheets(draw: st.DrawFn) -> tuple[bytes, list[int], list[list[object]], bool, bytes]:
    """(sheet XML, the table's rows, its columns' values, clear, prefix)."""
    prefix = draw(st.sampled_from([b"", b"x:"]))
    numbers = sorted(draw(st.sets(st.integers(1, 30), min_size=1, max_size=20)))
    table_rows = numbers  # the usual: every row of the sheet gets cells, no other row
    if draw(st.booleans()):
        table_rows = sorted(
            set(draw(st.lists(st.sampled_from(numbers), max_size=len(numbers))))
            | draw(st.sets(st.integers(1, 34), max_size=4))
        )
    columns = [draw(column_values(len(table_rows))) for _ in OWNED]
    odds = ["self-closing", "empty", "no-r", "cell-no-r", "right"]
    odd = draw(st.sampled_from(["none"] * 4 + odds))
    old_cells = draw(st.booleans())
    spans = draw(st.booleans())
    p = prefix.decode()
    out = []
    for i, number in enumerate(numbers):
        attrs = f' r="{number}"' + (' spans="1:9"' if spans else "")
        if odd == "no-r" and i == 1:
            attrs = ""
        cells = [f'<{p}c r="{x}{number}" t="n"><{p}v>{number}</{p}v></{p}c>' for x in "AC"]
        if odd == "cell-no-r" and i == 1:
            cells.append(f'<{p}c t="n"><{p}v>1</{p}v></{p}c>')
        if old_cells and i % 2 == 0:
            cells += [f'<{p}c r="{x}{number}" s="2"><{p}v>9</{p}v></{p}c>' for x in "GI"]
        if odd == "right" and i == 2:
            cells.append(f'<{p}c r="K{number}"><{p}v>7</{p}v></{p}c>')
        if odd == "self-closing" and i == 1:
            out.append(f"<{p}row{attrs}/>")
        elif odd == "empty" and i == 1:
            out.append(f"<{p}row{attrs}></{p}row>")
        else:
            out.append(f"<{p}row{attrs}>{''.join(cells)}</{p}row>")
    ns = ' xmlns:x="urn:main"' if prefix else ' xmlns="urn:main"'
    dimension = draw(
        st.sampled_from(["", f'<{p}dimension ref="A1:C30"/>', f'<{p}dimension ref="A1:I30"/>'])
    )
    xml = (
        f"<{p}worksheet{ns}>{dimension}<{p}sheetData>{''.join(out)}</{p}sheetData>"
        f"<{p}pageMargins/></{p}worksheet>"
    )
    return xml.encode(), table_rows, columns, draw(st.booleans()), prefix


def _patch(sheet: bytes, rows: list[int], columns: list[list[object]], clear: bool) -> bytes:
    source = io.BytesIO()
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr(PART, sheet)
    table = CellTable(
        rows, [NewColumn(c, ' s="5"' if c == 8 else "", v) for c, v in zip(OWNED, columns)]
    )
    edit = sheetxml.SheetEdit(cells=table, owned=set(OWNED), clear=clear)
    target = io.BytesIO()
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        sheetxml.patch_sheet(archive, PART, out, edit)
    with zipfile.ZipFile(target) as written:
        return written.read(PART)


@settings(max_examples=150, deadline=None)
@given(case=sheets(), chunk=st.sampled_from([7, 64, 1 << 20]), batch=st.sampled_from([2, 4096]))
def test_bulk_merge_gives_the_row_by_row_bytes(
    case: tuple[bytes, list[int], list[list[object]], bool, bytes], chunk: int, batch: int
) -> None:
    sheet, rows, columns, clear, _ = case
    with mock.patch.object(sheetxml, "_CHUNK", chunk), mock.patch.object(CellTable, "BATCH", batch):
        bulk = _patch(sheet, rows, columns, clear)
        with mock.patch.object(sheetxml._BulkRows, "merge", lambda *args: None):
            one_by_one = _patch(sheet, rows, columns, clear)
    assert bulk == one_by_one


@settings(max_examples=80, deadline=None)
@given(case=sheets(), data=st.data())
def test_bulk_merge_of_a_second_run_gives_the_row_by_row_bytes(
    case: tuple[bytes, list[int], list[list[object]], bool, bytes], data: st.DataObject
) -> None:
    """Over a sheet a first run wrote: the same values again (rows kept as they are), or some
    new ones (the last run's cells replaced)."""
    sheet, rows, columns, clear, _ = case
    first = _patch(sheet, rows, columns, clear).replace(b'ref="A1:C30"', b'ref="A1:I30"')
    again = [list(c) for c in columns]
    for column in again if rows else []:
        for i in data.draw(st.lists(st.integers(0, len(rows) - 1), max_size=3)):
            column[i] = data.draw(values)
    bulk = _patch(first, rows, again, clear)
    with mock.patch.object(sheetxml._BulkRows, "merge", lambda *args: None):
        assert bulk == _patch(first, rows, again, clear)


def test_bulk_merge_is_taken_for_the_usual_sheet() -> None:
    """A first run and a second run over plain rows both go through the bulk merge."""
    rows = list(range(1, 101))
    sheet = (
        '<worksheet xmlns="urn:main"><dimension ref="A1:C100"/><sheetData>'
        + "".join(f'<row r="{r}" spans="1:3"><c r="A{r}"><v>{r}</v></c></row>' for r in rows)
        + "</sheetData></worksheet>"
    ).encode()
    columns = [[float(r) for r in rows], ["done"] * 100, [None] * 100]
    calls: list[bool] = []
    merge = sheetxml._BulkRows.merge

    def counted(self: sheetxml._BulkRows, data: bytes, merger: object) -> bytes | None:
        result = merge(self, data, merger)
        calls.append(result is not None)
        return result

    with mock.patch.object(sheetxml._BulkRows, "merge", counted):
        first = _patch(sheet, rows, columns, True).replace(b"A1:C100", b"A1:I100")
        second = _patch(first, rows, columns, True)  # the same values: rows kept as they are
        emptied = [[None, *columns[0][1:]], columns[1], columns[2]]
        third = _patch(first, rows, emptied, True)  # G1 empty now: its old cell goes
    assert calls and all(calls)
    assert second == first
    assert b"spans" not in first and first.count(b'<c r="G') == 100
    assert b'r="G1"' not in third and third.count(b'<c r="G') == 99
    with mock.patch.object(sheetxml._BulkRows, "merge", lambda *args: None):
        assert third == _patch(first, rows, emptied, True)


def test_owned_sheet_cells_sharing_a_blocks_row_are_sorted_by_column() -> None:
    """A single cell inside a block's columns goes between the block's cells, as before."""
    from sheetflow.core.plan import Block, Cell, Column

    columns = (Column("a", "A", [1.0, 2.0]), Column("b", "B", [None, 3.0]), Column("c", "C", [4.0]))
    plan = SheetPlan("Summary", "Summary", cells=(Cell(2, 2, "x"),), blocks=(Block(1, 1, columns),))
    xml = b"".join(owned.sheet_xml(plan, StyleBook(None), False, False, None))
    start = xml.index(b'<row r="2">')
    row = xml[start : xml.index(b"</row>", start)]
    assert [row.index(b'r="%s2"' % x) for x in (b"A", b"B", b"C")] == sorted(
        row.index(b'r="%s2"' % x) for x in (b"A", b"B", b"C")
    )
    assert b'<row r="3"><c r="A3"' in xml and b'r="C3"' not in xml


@given(st.text(alphabet=st.sampled_from(list("a&<>\"' \n\r\t中"))))
def test_escape_and_quoteattr_are_the_standard_librarys(text: str) -> None:
    """cells.escape / quoteattr stand in for xml.sax.saxutils' (not imported at start-up)."""
    from xml.sax.saxutils import escape as sax_escape
    from xml.sax.saxutils import quoteattr as sax_quoteattr

    from sheetflow.io.xlsx.cells import escape, quoteattr

    assert escape(text) == sax_escape(text)
    assert quoteattr(text) == sax_quoteattr(text)
