"""An owned sheet (Summary, Overdue...) as worksheet XML, from its `SheetPlan`.

Element order follows CT_Worksheet (ECMA-376 Part 1, 18.3.1.99). A block's cells are made a
column at a time and joined row by row in bulk (cells.format_rows); a row's pieces (a block's
part of the row, a single cell) are then put in column order.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sheetflow.core.plan import (
    TEXT,
    Block,
    ColourScale,
    Column,
    LabelFill,
    SheetPlan,
    cell_ref,
    column_letter,
)
from sheetflow.io.xlsx.cells import (
    Formatted,
    cell_xml,
    escape,
    format_rows,
    formatted,
    quoteattr,
)
from sheetflow.io.xlsx.package import MAIN_NS, REL_NS
from sheetflow.io.xlsx.styles import StyleBook, argb

# A row's cells in pieces: (first column, last column, the XML of its cells, in column order)
Piece = tuple[int, int, bytes]


def _style(index: int) -> str:
    return f' s="{index}"' if index else ""


def sheet_xml(
    plan: SheetPlan,
    styles: StyleBook,
    date1904: bool,
    selected: bool,
    drawing_rel: str | None,
) -> Iterator[bytes]:
    """The worksheet part, in pieces (a large Validation sheet is not joined in memory)."""
    rows: dict[int, list[Piece]] = {}
    links: list[str] = []
    merges: list[str] = []
    last_col = _single_cells(plan, styles, date1904, rows, links, merges)
    for block in plan.blocks:
        block_last, block_links = _block_pieces(block, styles, date1904, rows)
        last_col = max(last_col, block_last)
        links.extend(block_links)
    yield _head(plan, selected, max(rows, default=1), max(last_col, 1))
    yield from _sheet_data(rows, sort_cells=_overlaps(plan))
    yield _tail(plan, styles, links, merges, drawing_rel)


def _single_cells(
    plan: SheetPlan,
    styles: StyleBook,
    date1904: bool,
    rows: dict[int, list[Piece]],
    links: list[str],
    merges: list[str],
) -> int:
    """Add the plan's single cells to `rows` (and their links, merges); their last column."""
    last_col = 0
    for cell in plan.cells:
        xf = _style(styles.xf(cell.style, cell.kind))
        xml = cell_xml(cell_ref(cell.row, cell.col), xf, cell.value, date1904)
        if xml is not None:
            rows.setdefault(cell.row, []).append((cell.col, cell.col, xml.encode()))
            last_col = max(last_col, cell.col)
        if cell.link:
            ref = cell_ref(cell.row, cell.col)
            links.append(f'<hyperlink ref="{ref}" location={quoteattr(cell.link)}/>')
        if cell.merge_to and cell.merge_to > cell.col:
            merges.append(f"{cell_ref(cell.row, cell.col)}:{cell_ref(cell.row, cell.merge_to)}")
    return last_col


def _block_pieces(
    block: Block, styles: StyleBook, date1904: bool, rows: dict[int, list[Piece]]
) -> tuple[int, list[str]]:
    """Add the block's rows (a piece each) to `rows`; (its last column with a cell, links)."""
    right = block.left + len(block.columns) - 1
    last_col = 0
    if block.header_style is not None:
        xf = _style(styles.xf(block.header_style, TEXT))
        header = "".join(
            cell_xml(cell_ref(block.top, block.left + i), xf, c.header) or ""
            for i, c in enumerate(block.columns)
        )
        rows.setdefault(block.top, []).append((block.left, right, header.encode()))
        last_col = right
    height = max((len(c.values) for c in block.columns), default=0)
    numbers = np.arange(block.top + 1, block.top + 1 + height, dtype=np.int64)
    columns: list[Formatted] = []
    links: list[str] = []
    for i, column in enumerate(block.columns):
        letter = column_letter(block.left + i)
        span = range(block.top + 1, block.top + 1 + len(column.values))
        columns.append(_block_column(column, letter, span, styles, date1904).padded(height))
        if not columns[-1].missing.all():
            last_col = max(last_col, block.left + i)
        if column.links is not None:
            links.extend(
                f'<hyperlink ref="{letter}{row}" location={quoteattr(target)}/>'
                for row, target in zip(span, column.links)
                if target
            )
    joined = format_rows(numbers, columns)
    if joined is None:  # a NUL in a value: the cells one by one
        joined = [
            "".join(c.cell(i, row) for c in columns if not c.missing[i]).encode()
            for i, row in enumerate(numbers.tolist())
        ]
    for row, xml in zip(numbers.tolist(), joined):
        if xml:
            rows.setdefault(row, []).append((block.left, right, xml))
    return last_col, links


def _block_column(
    column: Column, letter: str, span: range, styles: StyleBook, date1904: bool
) -> Formatted:
    """A block column's cells: one style for all (in bulk), or a style per cell."""
    base = _style(styles.xf(column.style, column.kind))
    if column.styles is None:
        return formatted(letter, span, column.values, base, date1904)
    cells = [
        cell_xml(f"{letter}{r}", _style(styles.xf(s, column.kind)) if s else base, v, date1904)
        for r, v, s in zip(span, column.values, column.styles, strict=True)
    ]
    return Formatted.of_cells(cells)


def _overlaps(plan: SheetPlan) -> bool:
    """Whether two blocks, or a cell and a block, may share a row's columns (then each row's
    cells are sorted one by one, not piece by piece)."""
    boxes = []
    for block in plan.blocks:
        top = block.top if block.header_style is not None else block.top + 1
        boxes.append((top, block.bottom, block.left, block.left + len(block.columns) - 1))
    for i, (top, bottom, left, right) in enumerate(boxes):
        for top2, bottom2, left2, right2 in boxes[i + 1 :]:
            if top <= bottom2 and top2 <= bottom and left <= right2 and left2 <= right:
                return True
    return any(
        top <= c.row <= bottom and left <= c.col <= right
        for c in plan.cells
        for top, bottom, left, right in boxes
    )


def _head(plan: SheetPlan, selected: bool, last_row: int, last_col: int) -> bytes:
    """Everything before `<sheetData>`: properties, dimension, view, column widths."""
    tab = f'<tabColor rgb="{argb(plan.tab_colour)}"/>' if plan.tab_colour else ""
    view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if selected else "") + ">"
    view += _frozen_pane(plan.freeze) + "</sheetView>"
    cols = ""
    if plan.widths:
        cols = (
            "<cols>"
            + "".join(
                f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                for c, w in sorted(plan.widths.items())
            )
            + "</cols>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f'<sheetPr>{tab}<pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{cell_ref(last_row, last_col)}"/>'
        f"<sheetViews>{view}</sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"{cols}"
    ).encode()


def _frozen_pane(freeze: str | None) -> str:
    """The pane and selection of a view frozen above and left of `freeze` (e.g. "A2")."""
    if not freeze:
        return ""
    letters = "".join(ch for ch in freeze if ch.isalpha())
    row = int("".join(ch for ch in freeze if ch.isdigit()))
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    split = ""
    if col > 1:
        split += f' xSplit="{col - 1}"'
    if row > 1:
        split += f' ySplit="{row - 1}"'
    pane = "bottomLeft" if col == 1 else ("topRight" if row == 1 else "bottomRight")
    return (
        f'<pane{split} topLeftCell="{freeze}" activePane="{pane}" state="frozen"/>'
        f'<selection pane="{pane}" activeCell="{freeze}" sqref="{freeze}"/>'
    )


def _sheet_data(rows: dict[int, list[Piece]], sort_cells: bool) -> Iterator[bytes]:
    """`<sheetData>` in batches of rows; each row's pieces in column order."""
    yield b"<sheetData>"
    batch: list[bytes] = []
    for row in sorted(rows):
        pieces = rows[row]
        if sort_cells and len(pieces) > 1:
            pieces = _as_cells(pieces)
        if len(pieces) > 1:
            pieces.sort(key=lambda piece: piece[0])
        batch.append(b'<row r="%d">' % row + b"".join(p[2] for p in pieces) + b"</row>")
        if len(batch) >= 4096:
            yield b"".join(batch)
            batch.clear()
    yield b"".join(batch) + b"</sheetData>"


def _as_cells(pieces: list[Piece]) -> list[Piece]:
    """Pieces split into single cells (each names its column), for rows that interleave."""
    cells: list[Piece] = []
    for first, last, xml in pieces:
        if first == last:
            cells.append((first, last, xml))
            continue
        for cell in xml.split(b"<c r=")[1:]:
            ref = cell[1 : cell.index(b'"', 1)]
            col = 0
            for ch in ref.rstrip(b"0123456789"):
                col = col * 26 + ch - 64
            cells.append((col, col, b"<c r=" + cell))
    return cells


def _tail(
    plan: SheetPlan,
    styles: StyleBook,
    links: list[str],
    merges: list[str],
    drawing_rel: str | None,
) -> bytes:
    """Everything after `</sheetData>`, in CT_Worksheet order."""
    tail = []
    if plan.autofilter:
        tail.append(f'<autoFilter ref="{plan.autofilter}"/>')
    if merges:
        tail.append(
            f'<mergeCells count="{len(merges)}">'
            + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
            + "</mergeCells>"
        )
    tail.append(_conditional(plan.fills, plan.scales, styles))
    if links:
        tail.append("<hyperlinks>" + "".join(links) + "</hyperlinks>")
    tail.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        # printed one page wide, landscape: a manager prints the dashboard on one sheet of paper
        '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
    )
    if drawing_rel:
        tail.append(f'<drawing r:id="{drawing_rel}"/>')
    tail.append("</worksheet>")
    return "".join(tail).encode()


def _conditional(
    fills: tuple[LabelFill, ...], scales: tuple[ColourScale, ...], styles: StyleBook
) -> str:
    blocks: dict[str, list[str]] = {}
    priority = 0
    for fill in fills:
        priority += 1
        dxf = styles.dxf(fill.fill, fill.font, fill.bold)
        formula = escape(f'"{fill.text}"')
        blocks.setdefault(fill.ref, []).append(
            f'<cfRule type="cellIs" dxfId="{dxf}" priority="{priority}" operator="equal">'
            f"<formula>{formula}</formula></cfRule>"
        )
    for scale in scales:
        priority += 1
        blocks.setdefault(scale.ref, []).append(
            f'<cfRule type="colorScale" priority="{priority}"><colorScale>'
            '<cfvo type="min"/><cfvo type="max"/>'
            f'<color rgb="{argb(scale.low)}"/><color rgb="{argb(scale.high)}"/>'
            "</colorScale></cfRule>"
        )
    return "".join(
        f'<conditionalFormatting sqref="{ref}">{"".join(rules)}</conditionalFormatting>'
        for ref, rules in blocks.items()
    )
