"""What calamine does not tell: error values, uncalculated formulas and Excel Table totals rows.

calamine reads an error cell (`#REF!`) and a formula without a cached value as an empty string,
which would make a finished step look "in progress". This module reads the sheet XML of the
input sheets once more, looking only for those cells, and marks them in the rows calamine gave
(`CellError`, `UncalculatedFormula`); it also blanks the totals rows of Excel Tables, which are
sums and labels, not data. The search is byte search over the decompressed XML, so a sheet
without formulas or errors costs one decompression pass.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator, MutableMapping
from html import unescape

from defusedxml import ElementTree

from sheetflow.core import schema
from sheetflow.core.workbook import CellError, CellProblem, UncalculatedFormula
from sheetflow.io.xlsx import deflate

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CHUNK = 8 << 20  # bytes of sheet XML searched at a time
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")

Rows = list[list[object]]


def cell_position(ref: str) -> tuple[int, int] | None:
    """Cell address -> 0-based (row, column): "D5" -> (4, 3); None when it is not one."""
    match = _REF.match(ref.strip())
    if match is None:
        return None
    col = 0
    for letter in match.group(1).upper():
        col = col * 26 + ord(letter) - 64
    return int(match.group(2)) - 1, col - 1


def _part(base: str, target: str) -> str:
    """A relationship target resolved against the folder of the part that names it."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part) of a part; {} when it has none."""
    path = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    try:
        root = ElementTree.fromstring(archive.read(path))
    except KeyError:
        return {}
    found = {}
    for rel in root.iter(f"{_PKG_REL}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        found[rel.get("Id", "")] = (rel.get("Type", ""), _part(part, rel.get("Target", "")))
    return found


def sheet_parts(archive: zipfile.ZipFile) -> tuple[dict[str, str], bool]:
    """Sheet title -> worksheet part, and whether the book asks for a full calculation on load.

    `fullCalcOnLoad` is what xlsxwriter and openpyxl write: their cached formula values (0, or
    none) were never calculated. Excel drops the flag when it saves the book.
    """
    book = "xl/workbook.xml"
    root = ElementTree.fromstring(archive.read(book))
    rels = _rels(archive, book)
    parts = {}
    for sheet in root.iter(f"{_MAIN}sheet"):
        rel = rels.get(sheet.get(f"{_REL}id", ""))
        if rel is not None:
            parts[sheet.get("name", "")] = rel[1]
    calc = root.find(f"{_MAIN}calcPr")
    full_calc = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
    return parts, full_calc


def totals_rows(archive: zipfile.ZipFile, sheet_part: str) -> list[tuple[int, int, int, int]]:
    """The totals rows of the sheet's Excel Tables: (first row, last row, first col, last col).

    0-based and inclusive; a table's totals rows are the last `totalsRowCount` rows of its ref.
    """
    found = []
    for kind, target in _rels(archive, sheet_part).values():
        if not kind.endswith("/table"):
            continue
        try:
            table = ElementTree.fromstring(archive.read(target))
        except KeyError:
            continue
        count = int(table.get("totalsRowCount", "0") or 0)
        first, _, last = table.get("ref", "").partition(":")
        top, bottom = cell_position(first), cell_position(last or first)
        if count > 0 and top is not None and bottom is not None:
            found.append((bottom[0] - count + 1, bottom[0], top[1], bottom[1]))
    return found


def _chunks(archive: zipfile.ZipFile, part: str, row_end: bytes) -> Iterator[bytes]:
    """The part's bytes in pieces that each end after a whole row."""
    rest = b""
    with deflate.open_read(archive, part) as stream:
        while True:
            block = stream.read(_CHUNK)
            if not block:
                break
            buffer = rest + block
            cut = buffer.rfind(row_end)
            if cut < 0:
                rest = buffer
                continue
            cut += len(row_end)
            rest = buffer[cut:]
            yield buffer[:cut]
    if rest:
        yield rest


def _hits(chunk: bytes, needles: tuple[bytes, ...]) -> Iterator[int]:
    """Positions of every needle in the chunk, in order (bytes.find: no regex over the bulk)."""
    positions = []
    for needle in needles:
        at = chunk.find(needle)
        while at >= 0:
            positions.append(at)
            at = chunk.find(needle, at + 1)
    return iter(sorted(positions))


def _inner(body: bytes, prefix: bytes, tag: bytes) -> tuple[bool, bytes | None, dict]:
    """(present, text or None when self-closing, attributes) of the first `<tag>` in a cell."""
    open_tag = b"<" + prefix + tag
    at = body.find(open_tag)
    while at >= 0 and body[at + len(open_tag) : at + len(open_tag) + 1] not in (
        b" ",
        b">",
        b"/",
        b"\t",
        b"\n",
        b"\r",
    ):
        at = body.find(open_tag, at + 1)
    if at < 0:
        return False, None, {}
    close = body.find(b">", at)
    head = body[at + len(open_tag) : close]
    attrs = {k.split(b":")[-1]: v for k, v in _ATTR.findall(head)}
    if head.rstrip().endswith(b"/"):
        return True, None, attrs
    end = body.find(b"</" + prefix + tag + b">", close)
    return True, body[close + 1 : end if end >= 0 else len(body)], attrs


def problem_cells(
    archive: zipfile.ZipFile, part: str, full_calc: bool
) -> Iterator[tuple[int, int, CellProblem]]:
    """(row, col, problem) of each error cell and uncalculated formula of a worksheet part."""
    with archive.open(part) as stream:
        start = stream.read(4096)
    match = re.search(rb"<(\w+:)?worksheet\b", start)
    prefix = (match.group(1) or b"") if match else b""
    # `<f` finds `<f>` and `<f ` (and a rich text's `<family`, which the cell's parse drops):
    # one pass over the sheet fewer than a needle each
    needles = (b' t="e"', b"<" + prefix + b"f")
    cell_open, cell_close = b"<" + prefix + b"c ", b"</" + prefix + b"c>"
    shared: dict[bytes, str] = {}  # si -> text of a shared formula's master cell
    for chunk in _chunks(archive, part, b"</" + prefix + b"row>"):
        done = -1
        for hit in _hits(chunk, needles):
            if hit < done:
                continue  # a second needle inside a cell already read
            begin = chunk.rfind(cell_open, 0, hit + 1)
            head_end = chunk.find(b">", begin)
            if begin < 0 or head_end < 0:
                continue
            attrs = dict(_ATTR.findall(chunk[begin:head_end]))
            if chunk[head_end - 1 : head_end] == b"/":
                done = head_end
                body = b""
            else:
                end = chunk.find(cell_close, head_end)
                done = end if end >= 0 else len(chunk)
                body = chunk[head_end + 1 : done]
            where = cell_position(attrs.get(b"r", b"").decode("ascii", "replace"))
            if where is None:
                continue
            problem = _cell_problem(attrs.get(b"t"), body, prefix, full_calc, shared)
            if problem is not None:
                yield where[0], where[1], problem


def _cell_problem(
    kind: bytes | None, body: bytes, prefix: bytes, full_calc: bool, shared: dict[bytes, str]
) -> CellProblem | None:
    has_value, value, _ = _inner(body, prefix, b"v")
    if kind == b"e":
        text = unescape((value or b"").decode("utf-8", "replace")).strip()
        return CellError(text or "#ERROR")
    has_formula, formula, f_attrs = _inner(body, prefix, b"f")
    if not has_formula:
        return None
    text = unescape((formula or b"").decode("utf-8", "replace")).strip()
    if f_attrs.get(b"t") == b"shared" and b"si" in f_attrs:
        if text:
            shared[f_attrs[b"si"]] = text
        else:
            text = shared.get(f_attrs[b"si"], "")
    blank = not has_value or not (value or b"").strip()
    if blank and kind in (None, b"n", b"d", b"b"):
        return UncalculatedFormula("=" + text)
    # xlsxwriter stores 0 as every formula's result and asks Excel to calculate on load
    if full_calc and kind in (None, b"n") and (value or b"").strip() in (b"0", b"0.0"):
        return UncalculatedFormula("=" + text)
    return None


def mark_cells(archive: zipfile.ZipFile, raw: MutableMapping[str, Rows]) -> bool:
    """Mark error cells and uncalculated formulas, blank Table totals rows, in the input sheets.

    raw: title -> rows as calamine read them (changed in place). Returns whether any cell was
    marked as a problem.
    """
    parts, full_calc = sheet_parts(archive)
    marked = False
    for title, rows in raw.items():
        part = parts.get(title)
        if part is None or schema.sheet_for_title(title) is None or part not in archive.NameToInfo:
            continue
        for row, col, problem in problem_cells(archive, part, full_calc):
            _put(rows, row, col, problem)
            marked = True
        for first, last, left, right in totals_rows(archive, part):
            for row in range(max(first, 0), min(last + 1, len(rows))):
                cells = rows[row]
                for col in range(left, min(right + 1, len(cells))):
                    cells[col] = None
    return marked


def _put(rows: Rows, row: int, col: int, value: object) -> None:
    """rows[row][col] = value, growing the rows (calamine may stop before an empty-looking cell)."""
    width = max((len(r) for r in rows[:1]), default=0)
    while len(rows) <= row:
        rows.append([None] * width)
    cells = rows[row]
    if len(cells) <= col:
        cells.extend([None] * (col + 1 - len(cells)))
    cells[col] = value
