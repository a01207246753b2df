"""A user's sheet (Log, Cases) streamed row by row with sheetflow's own cells merged in.

The sheet part is read from the zip in pieces and written into the new zip in pieces: no tree
of a large sheet is built and memory does not grow with the rows beyond the new cells. Every
row, cell, formula, style id and element of the user's stays byte for byte as it was; only
cells of the owned columns are replaced or added (in column order), `<dimension>` and `<cols>`
are updated, an `<autoFilter>` over the table is widened, and the conditional formats of the
status column are replaced by this run's.
"""

from __future__ import annotations

import operator
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import IO

from sheetflow.core.plan import column_letter
from sheetflow.errors import WorkbookError
from sheetflow.io.xlsx import deflate
from sheetflow.io.xlsx.cells import CellTable, escape

_CHUNK = 1 << 20
_FLUSH = 1 << 20
_CELL_REF = re.compile(rb'\br="\$?([A-Z]{1,3})\$?(\d+)"')
_LETTERS = re.compile(r"([A-Z]{1,3})")


_COLUMN_NUMBERS: dict[bytes | str, int] = {}


def column_number(letters: bytes | str) -> int:
    """A → 1, AA → 27 (bytes or text), cached: the same few letters come back every row."""
    number = _COLUMN_NUMBERS.get(letters)
    if number is None:
        text = letters.decode() if isinstance(letters, bytes) else letters
        number = 0
        for ch in text:
            number = number * 26 + ord(ch) - 64
        _COLUMN_NUMBERS[letters] = number
    return number


@dataclass
class SheetEdit:
    """What to do to one user sheet.

    cells: the new cells (values and header cells) by row.
    owned: the owned columns; their old cells go from every row when `clear` is set, and
        from the rows that get new cells otherwise.
    keep_upto: rows up to this one that get no new cells keep their owned cells even when
        `clear` is set (a header the plan does not write).
    head / tail: functions editing the XML before and after `<sheetData>`.
    """

    cells: CellTable
    owned: set[int]
    clear: bool
    keep_upto: int = 0
    head: Callable[[bytes], bytes] = lambda xml: xml
    tail: Callable[[bytes], bytes] = lambda xml: xml


_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData\b[^>]*?(/?)>")
_SPANS = re.compile(rb'\sspans="[^"]*"')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def patch_sheet(archive: zipfile.ZipFile, part: str, out: zipfile.ZipFile, edit: SheetEdit) -> None:
    """Copy the sheet `part` of `archive` into `out` with `edit` applied, streaming."""
    with deflate.open_read(archive, part) as source:
        pieces = _chunks(source)
        buffer = b""
        found = None
        for chunk in pieces:
            buffer += chunk
            found = _SHEET_DATA.search(buffer)
            if found is not None:
                break
        if found is None:
            raise WorkbookError(f"the sheet part {part} has no cell data (sheetData)")
        prefix = found.group(1) or b""
        head = edit.head(buffer[: found.start()])
        size = archive.getinfo(part).file_size
        bound = size + 200 * len(edit.cells) * max(len(edit.cells.columns), 1) + 65536
        zip64 = bound > zipfile.ZIP64_LIMIT * 0.9
        dimension = _DIMENSION.search(buffer, 0, found.start())
        extent = last_cell(dimension.group(2))[0] if dimension else 1 << 30
        with deflate.open_write(out, part, zip64) as sink:
            merger = _RowMerger(edit, prefix, sink, extent)
            merger.emit(head)
            if found.group(2) and not len(edit.cells):  # <sheetData/> and nothing to add
                merger.emit(found.group(0))
                rest = buffer[found.end() :] + b"".join(pieces)
            elif found.group(2):  # <sheetData/>: no rows yet
                merger.emit(found.group(0)[:-2].rstrip() + b">")
                merger.finish()
                merger.emit(b"</" + prefix + b"sheetData>")
                rest = buffer[found.end() :] + b"".join(pieces)
            else:
                merger.emit(found.group(0))
                rest = merger.stream(buffer[found.end() :], pieces)
            merger.emit(edit.tail(rest))
            merger.flush()


class _RowMerger:
    """Rows in, rows out: each row copied as it is unless it gets or loses owned cells."""

    def __init__(
        self, edit: SheetEdit, prefix: bytes, sink: IO[bytes], user_columns_end: int = 1 << 30
    ) -> None:
        """user_columns_end: the last column the sheet's `<dimension>` covers (None: unknown)."""
        self.table = edit.cells.prefixed(prefix)
        self.clear = edit.clear
        self.keep_upto = edit.keep_upto
        self.owned = edit.owned
        self.prefix = prefix
        self.sink = sink
        self.out: list[bytes] = []
        self.size = 0
        self.next_new = 0
        self.last_number = 0
        self.lo = min(edit.owned, default=1 << 30)
        self.hi = max(edit.owned, default=0)
        # owned columns side by side: a row's owned cells are then its last ones, cut in one go
        self.contiguous = bool(edit.owned) and len(edit.owned) == self.hi - self.lo + 1
        self.cell_ref_start = b"<" + prefix + b'c r="'
        self.first_owned_ref = (
            b"<" + prefix + b'c r="' + column_letter(self.lo).encode() if edit.owned else b""
        )
        p = re.escape(prefix)
        # the row's number is taken in the same pass as its tag
        self.row_start = re.compile(rb"<" + p + rb'row\b((?:[^>]*?\br="(\d+)")?[^>]*?)(/?)>')
        self.user_columns_end = user_columns_end
        self.plain_append = user_columns_end < self.lo  # no user cell at or right of ours
        self.cell_start = b"<" + prefix + b"c "
        self.cell = re.compile(rb"<" + p + rb"c\b([^>]*?)(/?)>")
        self.cell_end = b"</" + prefix + b"c>"
        self.row_open = b"<" + prefix + b"row"
        self.row_close = b"</" + prefix + b"row>"
        self.bulk = _BulkRows(prefix, edit.owned) if edit.owned else None

    def emit(self, data: bytes) -> None:
        self.out.append(data)
        self.size += len(data)
        if self.size >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.out:
            self.sink.write(b"".join(self.out))
            self.out.clear()
            self.size = 0

    def stream(self, buffer: bytes, pieces: Iterator[bytes]) -> bytes:
        """Merge every row; return what follows `</sheetData>` (and everything after it)."""
        end_tag = b"</" + self.prefix + b"sheetData>"
        for chunk in pieces:
            buffer += chunk
            close = buffer.find(end_tag)
            if close >= 0:
                break
            cut = buffer.rfind(self.row_open)
            if cut > 0:
                self._rows(buffer[:cut])
                buffer = buffer[cut:]
        else:
            close = buffer.find(end_tag)
        if close < 0:
            raise WorkbookError("a sheet's XML ends inside its cell data (damaged file)")
        self._rows(buffer[:close])
        self.finish()
        return buffer[close:] + b"".join(pieces)  # the tail: usually a few KB

    def finish(self) -> None:
        """Rows with new cells after the last row of the sheet."""
        rows = self.table.rows
        while self.next_new < len(rows):
            self.emit(self._new_row(self.next_new))
            self.next_new += 1

    def _new_row(self, position: int) -> bytes:
        number = self.table.rows[position]
        attrs = b' r="%d"' % number
        return self.row_open + attrs + b">" + self.table.joined(position) + self.row_close

    def _rows(self, data: bytes) -> None:
        """Copy the complete rows of `data` with their new cells: in bulk when it can."""
        if self.bulk is not None and data:
            merged = self.bulk.merge(data, self)
            if merged is not None:
                self.size += len(merged)
                self.out.append(merged)
                if self.size >= _FLUSH:
                    self.flush()
                return
        self._rows_one_by_one(data)

    def _rows_one_by_one(self, data: bytes) -> None:
        out: list[bytes] = []
        append = out.append
        position = 0
        table = self.table
        where = table.position
        joined = table.joined
        new_rows = table.rows
        clear = self.clear
        row_close = self.row_close
        close_len = len(row_close)
        row_open = self.row_open
        spans = _SPANS
        plain_append = self.plain_append
        for match in self.row_start.finditer(data):
            start = match.start()
            if start < position:
                continue  # a match inside a row already copied (cannot happen in valid XML)
            append(data[position:start])
            number_text = match.group(2)
            number = int(number_text) if number_text else self.last_number + 1
            self.last_number = number
            if match.group(3):  # <row .../>
                end = match.end()
                inner = None
            else:
                close = data.find(row_close, match.end())
                if close < 0:
                    raise WorkbookError("a row of a sheet is not closed (damaged file)")
                end = close + close_len
                inner = data[match.end() : close]
            position = end
            if self.next_new < len(new_rows) and new_rows[self.next_new] < number:
                while self.next_new < len(new_rows) and new_rows[self.next_new] < number:
                    append(self._new_row(self.next_new))
                    self.next_new += 1
            at = where.get(number)
            if at is None:
                if not clear or inner is None or number <= self.keep_upto:
                    append(data[start:end])
                else:
                    append(self._merge(match.group(1), inner, None, number_text or b""))
                continue
            self.next_new = max(self.next_new, at + 1)
            if inner and (plain_append or self._last_column(inner) < self.lo):
                # the usual first run: our cells go after the user's
                attrs = match.group(1)
                if b"spans" in attrs:
                    attrs = spans.sub(b"", attrs)
                append(row_open + attrs + b">" + inner + joined(at) + row_close)
            else:
                append(self._merge(match.group(1), inner, at, number_text or b""))
        append(data[position:])
        chunk = b"".join(out)
        self.size += len(chunk)
        self.out.append(chunk)
        if self.size >= _FLUSH:
            self.flush()

    def _last_column(self, inner: bytes) -> int:
        """The column of the row's last cell, read straight after its `r="` (else: unknown)."""
        at = inner.rfind(self.cell_ref_start)
        if at < 0 or not inner.endswith((self.cell_end, b"/>")):
            return 1 << 30
        start = end = at + len(self.cell_ref_start)
        while 65 <= inner[end] <= 90:  # A-Z
            end += 1
        return column_number(inner[start:end]) if end > start else 1 << 30

    def _column_at(self, inner: bytes, at: int) -> int:
        close = inner.find(b">", at)
        found = _CELL_REF.search(inner, at, close + 1)
        return column_number(found.group(1)) if found else 1 << 30

    def _merge(
        self, attrs: bytes, inner: bytes | None, at: int | None, number: bytes = b""
    ) -> bytes:
        news = self.table.joined(at) if at is not None else b""
        if news and b"spans" in attrs:
            attrs = _SPANS.sub(b"", attrs)  # a hint our cells would falsify
        if inner:
            cut = self._owned_tail(inner, number) if self.contiguous or not self.owned else None
            if cut is not None:
                body = inner[:cut] + news
            else:
                cells = self.table.cells(at) if at is not None else []
                body = self._merge_cells(inner, cells)
        else:
            body = news
        if not body:
            return self.row_open + attrs + b"/>"
        return self.row_open + attrs + b">" + body + self.row_close

    def _owned_tail(self, inner: bytes, number: bytes = b"") -> int | None:
        """Where the row's owned cells start when they are its last cells (else None)."""
        if not (inner.endswith(self.cell_end) or inner.endswith(b"/>")):
            return None  # something after the cells (a row extLst): merge cell by cell
        if number:  # the usual later run: our first cell is where the last run put it
            at = inner.find(self.first_owned_ref + number + b'"')
            if at >= 0:
                last = inner.rfind(self.cell_start)
                close = inner.find(b">", last)
                found = _CELL_REF.search(inner, last, close + 1)
                if found is not None and column_number(found.group(1)) <= self.hi:
                    before = inner.rfind(self.cell_start, 0, at)
                    if before < 0 or self._column_at(inner, before) < self.lo:
                        return at
        cut = len(inner)
        start = self.cell_start
        while True:
            at = inner.rfind(start, 0, cut)
            if at < 0:
                return 0 if cut == 0 or not inner[:cut].strip() else None
            close = inner.find(b">", at)
            found = _CELL_REF.search(inner, at, close + 1)
            if found is None:
                return None
            column = column_number(found.group(1))
            if column < self.lo:
                return cut
            if column > self.hi:
                return None  # a user's cell right of ours
            cut = at

    def _merge_cells(self, inner: bytes, news: Sequence[tuple[int, str]]) -> bytes:
        drop = self.owned if self.clear else {c for c, _ in news}
        pieces: list[tuple[int, int, bytes]] = []  # (column, order, xml)
        position = 0
        column = 0
        head = b""
        for order, match in enumerate(self.cell.finditer(inner)):
            if order == 0:
                head = inner[: match.start()]
            if match.group(2):
                end = match.end()
            else:
                close = inner.find(self.cell_end, match.end())
                end = close + len(self.cell_end) if close >= 0 else len(inner)
            ref = _CELL_REF.search(match.group(1))
            column = column_number(ref.group(1)) if ref else column + 1
            if column not in drop:
                pieces.append((column, order, inner[match.start() : end]))
            position = end
        tail = inner[position:]  # e.g. extLst after the cells
        pieces.extend((c, 1 << 30, xml.encode()) for c, xml in news)
        pieces.sort(key=lambda piece: (piece[0], piece[1]))
        return head + b"".join(xml for _, _, xml in pieces) + tail


class _BulkRows:
    """The usual chunk of rows merged with a few calls over the whole chunk, not row by row.

    Usual: every row is a row of the table in the same order (no row missing, none extra),
    each row ends with a cell, and no cell of the user's is at or right of the first owned
    column once the owned cells (a previous run's) are cut out — known from `<dimension>` as
    the row-by-row merger knows it, else checked (every cell then must name its column first).
    Anything else: `merge` says None and the rows go one by one.
    """

    def __init__(self, prefix: bytes, owned: set[int]) -> None:
        p = re.escape(prefix)
        letters = b"|".join(column_letter(c).encode() for c in sorted(owned))
        first = _letters_from(column_letter(min(owned)))
        self.row_close = b"</" + prefix + b"row>"
        self.ends = (b"</" + prefix + b"c>", b"/>")
        self.number = re.compile(rb"<" + p + rb'row\b[^>]*?\br="(\d+)"')
        self.spans = re.compile(rb"<" + p + rb'row\b[^>]*?(\sspans="[^"]*")')
        self.odd_cell = re.compile(rb"<" + p + rb'c(?! r=")[\s/>]')  # no r="..." first
        self.at_or_right = re.compile(rb"<" + p + rb'c r="\$?(?:' + first + rb")\$?\d")
        self.owned_cell = re.compile(
            rb"<" + p + rb'c r="\$?(?:' + letters + rb')\$?\d+"(?:[^>]*?/>|[^>]*>.*?</'
            + p
            + rb"c>)",
            re.S,
        )

    def merge(self, data: bytes, merger: _RowMerger) -> bytes | None:
        """`data` (whole rows) with the table's new cells, or None if it is not the usual."""
        if not merger.plain_append and self.odd_cell.search(data) is not None:
            return None
        start = merger.next_new
        numbers = self.number.findall(data)
        expected = merger.table.rows[start : start + len(numbers)]
        if not numbers or [int(n) for n in numbers] != expected:
            return None
        if expected[0] <= merger.last_number:
            return None
        news = merger.table.joined_range(start, start + len(numbers))
        if merger.plain_append or self.at_or_right.search(data) is None:
            merged = self._appended(data, news)  # a first run: no cells of ours yet
        elif merger.clear and b"" not in news:  # a later run: the last run's cells go
            merged = self._unchanged(data, news)
            if merged is None:
                merged = self._replaced(data, news)
        else:
            merged = None
        if merged is not None:
            merger.next_new = start + len(numbers)
            merger.last_number = expected[-1]
        return merged

    def _appended(self, data: bytes, news: list[bytes]) -> bytes | None:
        """Each row's new cells added after its last cell."""
        if b"spans" in data:
            data = self._without_spans(data)
            if data is None:
                return None
        pieces = data.split(self.row_close)
        if len(pieces) != len(news) + 1:
            return None  # a row with no end tag, or one without its number
        if not all(map(bytes.endswith, pieces[:-1], repeat(self.ends))):
            return None  # an empty row, or something after a row's cells (its extLst)
        out: list[bytes] = [self.row_close] * (3 * len(news))
        out[0::3] = pieces[:-1]
        out[1::3] = news
        return b"".join(out) + pieces[-1]

    def _unchanged(self, data: bytes, news: list[bytes]) -> bytes | None:
        """The rows as they are, when each already ends with exactly its new cells (the same
        values as the last run's) and has no other cell at or right of the owned columns."""
        pieces = data.split(self.row_close)
        if len(pieces) != len(news) + 1 or not all(map(bytes.endswith, pieces, news)):
            return None
        cuts = map(slice, map(operator.sub, map(len, pieces), map(len, news)))
        if self.at_or_right.search(b"\0".join(map(bytes.__getitem__, pieces, cuts))):
            return None  # e.g. a cell of an owned column whose value is now empty
        return self._without_spans(data) if b"spans" in data else data

    def _replaced(self, data: bytes, news: list[bytes]) -> bytes | None:
        """The last run's cells cut out, the new ones added."""
        data = self.owned_cell.sub(b"", data)
        if self.at_or_right.search(data) is not None:
            return None  # a user's cell right of the owned columns
        return self._appended(data, news)

    def _without_spans(self, data: bytes) -> bytes | None:
        """The rows' `spans` hints dropped (our cells would falsify them); None if unsure."""
        found = self.spans.findall(data)
        for attr in set(found):
            if data.count(attr) != found.count(attr):
                return None  # the same text outside a row's tag
            data = data.replace(attr, b"")
        return data


def _letters_from(first: str) -> bytes:
    """A regex alternation of the column letters at or after `first` (e.g. G -> [G-Z]|[A-Z]{2,})."""
    size = len(first)
    options = [b"[A-Z]{%d,}" % (size + 1)]
    for i, ch in enumerate(first):
        tail = b"[A-Z]{%d}" % (size - i - 1) if i < size - 1 else b""
        if ch != "Z":
            options.append(first[:i].encode() + b"[" + chr(ord(ch) + 1).encode() + b"-Z]" + tail)
    options.append(first.encode())
    return b"|".join(options)


# ---------------------------------------------------------------------------------------------
# head and tail edits


_DIMENSION = re.compile(rb'<((?:[A-Za-z_][\w.-]*:)?)dimension\b[^>]*?\bref="([^"]*)"[^>]*/>')
_COLS = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)cols\b[^>]*>(.*?)</\1cols>", re.S)
_COL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?col\b([^>]*?)/>")
_MIN_MAX = re.compile(rb'\bmin="(\d+)"[^>]*?\bmax="(\d+)"|\bmax="(\d+)"[^>]*?\bmin="(\d+)"')
_BEFORE_COLS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData\b")


def last_cell(ref: bytes) -> tuple[int, int]:
    """(column, row) of the last cell of an A1 range such as `A1:K100`."""
    end = ref.split(b":")[-1].replace(b"$", b"")
    letters = re.match(rb"([A-Z]*)(\d*)", end)
    column = column_number(letters.group(1)) if letters and letters.group(1) else 1
    row = int(letters.group(2)) if letters and letters.group(2) else 1
    return column, row


def edit_head(head: bytes, max_column: int, max_row: int, widths: dict[int, float]) -> bytes:
    """Widen `<dimension>` to the owned cells; add `<col>` widths for owned columns."""
    found = _DIMENSION.search(head)
    if found is not None:
        old_col, old_row = last_cell(found.group(2))
        start = found.group(2).split(b":")[0]
        ref = f"{start.decode()}:{column_letter(max(old_col, max_column))}{max(old_row, max_row)}"
        new = f'<{found.group(1).decode()}dimension ref="{ref}"/>'.encode()
        head = head[: found.start()] + new + head[found.end() :]
    if not widths:
        return head
    cols = _COLS.search(head)
    prefix = b""
    existing: list[tuple[int, int, bytes]] = []
    if cols is not None:
        prefix = cols.group(1)
        for col in _COL.finditer(cols.group(2)):
            mm = _MIN_MAX.search(col.group(1))
            if mm is None:
                continue
            lo = int(mm.group(1) or mm.group(4))
            hi = int(mm.group(2) or mm.group(3))
            existing.append((lo, hi, col.group(0)))
    covered = [(lo, hi) for lo, hi, _ in existing]
    added = []
    for column, width in sorted(widths.items()):
        if any(lo <= column <= hi for lo, hi in covered):
            continue  # the user's own width (or a whole-sheet default) stays
        tag = (
            f'<{prefix.decode()}col min="{column}" max="{column}" width="{width}" customWidth="1"/>'
        )
        added.append((column, column, tag.encode()))
    if not added:
        return head
    items = sorted(existing + added, key=lambda item: item[0])
    body = b"".join(xml for _, _, xml in items)
    if cols is not None:
        open_tag = b"<" + prefix + b"cols>"
        close_tag = b"</" + prefix + b"cols>"
        return head[: cols.start()] + open_tag + body + close_tag + head[cols.end() :]
    # no <cols> yet: it goes right before <sheetData> (the head ends there)
    sheet_prefix = _sheet_prefix(head)
    body = body.replace(b"<col ", b"<" + sheet_prefix + b"col ")
    return head + b"<" + sheet_prefix + b"cols>" + body + b"</" + sheet_prefix + b"cols>"


def _sheet_prefix(head: bytes) -> bytes:
    found = re.search(rb"<([A-Za-z_][\w.-]*:)?worksheet\b", head)
    return found.group(1) or b"" if found else b""


_AFTER_CF = (
    "dataValidations hyperlinks printOptions pageMargins pageSetup headerFooter rowBreaks "
    "colBreaks customProperties cellWatches ignoredErrors smartTags drawing legacyDrawing "
    "legacyDrawingHF drawingHF picture oleObjects controls webPublishItems tableParts extLst"
).split()
_PRIORITY = re.compile(rb'\bpriority="(\d+)"')


def _cf_pattern(prefix: bytes) -> re.Pattern[bytes]:
    p = re.escape(prefix)
    return re.compile(
        rb"<" + p + rb"conditionalFormatting\b([^>]*)>(.*?)</" + p + rb"conditionalFormatting>",
        re.S,
    )


def _is_ours(attrs: bytes, body: bytes, refs: set[bytes], formulas: set[bytes]) -> bool:
    sqref = re.search(rb'\bsqref="([^"]*)"', attrs)
    if sqref is None or sqref.group(1) not in refs:
        return False
    rules = re.findall(rb"<(?:\w+:)?cfRule\b([^>]*)>(.*?)</(?:\w+:)?cfRule>", body, re.S)
    if not rules:
        return False
    for rule_attrs, rule_body in rules:
        if b'type="cellIs"' not in rule_attrs or b'operator="equal"' not in rule_attrs:
            return False
        found = re.findall(rb"<(?:\w+:)?formula>(.*?)</(?:\w+:)?formula>", rule_body, re.S)
        if len(found) != 1 or found[0] not in formulas:
            return False
    return True


def edit_tail(
    tail: bytes,
    prefix: bytes,
    rules: Sequence[tuple[str, str, int]],
    our_refs: set[str],
    our_texts: set[str],
    filter_to: tuple[int, int] | None = None,
) -> bytes:
    """Replace sheetflow's conditional formats (status colours) with this run's `rules`.

    rules: (sqref, text, dxf id) — cells equal to text get the dxf.
    our_refs / our_texts: what a previous run's rules look like, to recognise them.
    filter_to: (last column, last row) an `<autoFilter>` starting on the header is widened to.
    """
    pattern = _cf_pattern(prefix)
    refs = {r.encode() for r in our_refs}
    formulas = {escape(f'"{t}"').encode() for t in our_texts}
    tail = pattern.sub(
        lambda m: b"" if _is_ours(m.group(1), m.group(2), refs, formulas) else m.group(0), tail
    )
    if filter_to is not None:
        tail = _widen_filter(tail, prefix, filter_to)
    if not rules:
        return tail
    priority = max((int(n) for n in _PRIORITY.findall(tail)), default=0)
    p = prefix.decode()
    blocks: dict[str, list[str]] = {}
    for sqref, text, dxf in rules:
        priority += 1
        formula = escape(f'"{text}"')
        blocks.setdefault(sqref, []).append(
            f'<{p}cfRule type="cellIs" dxfId="{dxf}" priority="{priority}" operator="equal">'
            f"<{p}formula>{formula}</{p}formula></{p}cfRule>"
        )
    xml = "".join(
        f'<{p}conditionalFormatting sqref="{sqref}">{"".join(items)}</{p}conditionalFormatting>'
        for sqref, items in blocks.items()
    ).encode()
    at = _insertion_point(tail, prefix, set(_AFTER_CF))
    return tail[:at] + xml + tail[at:]


_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)\b[^>]*?(/?)>")


def _insertion_point(tail: bytes, prefix: bytes, before: set[str]) -> int:
    """Where an element goes among the worksheet's top-level elements (CT_Worksheet order).

    Only children of <worksheet> count: a data bar's cfRule holds an <extLst> of its own.
    """
    depth = 0
    for match in _TAG.finditer(tail):
        closing, tag_prefix, name, empty = match.groups()
        if closing:
            if depth == 0 and name == b"worksheet":
                return match.start()
            depth = max(depth - 1, 0)  # the tail starts with </sheetData>
            continue
        if depth == 0 and (tag_prefix or b"") == prefix and name.decode() in before:
            return match.start()
        if not empty:
            depth += 1
    raise WorkbookError("a sheet's XML has no end (damaged file)")


def _widen_filter(tail: bytes, prefix: bytes, to: tuple[int, int]) -> bytes:
    found = re.search(rb"<" + re.escape(prefix) + rb'autoFilter\b[^>]*?\bref="([^"]+)"', tail)
    if found is None:
        return tail
    start = found.group(1).split(b":")[0]
    old_col, old_row = last_cell(found.group(1))
    ref = f"{start.decode()}:{column_letter(max(old_col, to[0]))}{max(old_row, to[1])}".encode()
    return tail[: found.start(1)] + ref + tail[found.end(1) :]
