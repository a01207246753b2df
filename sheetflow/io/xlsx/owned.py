"""An owned sheet (Summary, Overdue...) as worksheet XML, from its `SheetPlan`.

Element order follows CT_Worksheet (ECMA-376 Part 1, 18.3.1.99). Cells of a block are made a
column at a time (cells.column_xml) and joined row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from xml.sax.saxutils import escape, quoteattr

from sheetflow.core.plan import (
    TEXT,
    Block,
    ColourScale,
    LabelFill,
    SheetPlan,
    cell_ref,
    column_letter,
)
from sheetflow.io.xlsx.cells import cell_xml, column_xml
from sheetflow.io.xlsx.package import MAIN_NS, REL_NS
from sheetflow.io.xlsx.styles import StyleBook, argb

XfOf = Callable[[str | None, str], int]


def _style(index: int) -> str:
    return f' s="{index}"' if index else ""


def _block_rows(
    block: Block, styles: StyleBook, date1904: bool
) -> tuple[dict[int, list[tuple[int, str]]], dict[int, list[tuple[int, str]]], list[str]]:
    """(header cells by row, data cells by row, hyperlink elements) of a block."""
    header: dict[int, list[tuple[int, str]]] = {}
    data: dict[int, list[tuple[int, str]]] = {}
    links: list[str] = []
    if block.header_style is not None:
        xf = _style(styles.xf(block.header_style, TEXT))
        header[block.top] = [
            (block.left + i, cell_xml(cell_ref(block.top, block.left + i), xf, c.header) or "")
            for i, c in enumerate(block.columns)
        ]
    for i, column in enumerate(block.columns):
        col = block.left + i
        letter = column_letter(col)
        rows = range(block.top + 1, block.top + 1 + len(column.values))
        base = _style(styles.xf(column.style, column.kind))
        if column.styles is None:
            xml = column_xml(letter, rows, column.values, base, date1904)
        else:
            xml = [
                cell_xml(
                    f"{letter}{r}",
                    _style(styles.xf(s, column.kind)) if s else base,
                    v,
                    date1904,
                )
                for r, v, s in zip(rows, column.values, column.styles, strict=True)
            ]
        for row, cell in zip(rows, xml):
            if cell is not None:
                data.setdefault(row, []).append((col, cell))
        if column.links is not None:
            for row, target in zip(rows, column.links):
                if target:
                    links.append(f'<hyperlink ref="{letter}{row}" location={quoteattr(target)}/>')
    return header, data, links


def sheet_xml(
    plan: SheetPlan,
    styles: StyleBook,
    date1904: bool,
    selected: bool,
    drawing_rel: str | None,
) -> Iterator[bytes]:
    """The worksheet part, in pieces (a large Validation sheet is not joined in memory)."""
    rows: dict[int, list[tuple[int, str]]] = {}
    links: list[str] = []
    merges: list[str] = []
    for cell in plan.cells:
        xf = _style(styles.xf(cell.style, cell.kind))
        xml = cell_xml(cell_ref(cell.row, cell.col), xf, cell.value, date1904)
        if xml is not None:
            rows.setdefault(cell.row, []).append((cell.col, xml))
        if cell.link:
            links.append(
                f'<hyperlink ref="{cell_ref(cell.row, cell.col)}" location={quoteattr(cell.link)}/>'
            )
        if cell.merge_to and cell.merge_to > cell.col:
            merges.append(f"{cell_ref(cell.row, cell.col)}:{cell_ref(cell.row, cell.merge_to)}")
    for block in plan.blocks:
        header, data, block_links = _block_rows(block, styles, date1904)
        for source in (header, data):
            for row, cells in source.items():
                rows.setdefault(row, []).extend(cells)
        links.extend(block_links)
    last_row = max(rows, default=1)
    last_col = max((c for cells in rows.values() for c, _ in cells), default=1)

    tab = f'<tabColor rgb="{argb(plan.tab_colour)}"/>' if plan.tab_colour else ""
    view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if selected else "") + ">"
    if plan.freeze:
        letters = "".join(ch for ch in plan.freeze if ch.isalpha())
        row = int("".join(ch for ch in plan.freeze if ch.isdigit()))
        col = 0
        for ch in letters:
            col = col * 26 + ord(ch) - 64
        split = ""
        if col > 1:
            split += f' xSplit="{col - 1}"'
        if row > 1:
            split += f' ySplit="{row - 1}"'
        pane = "bottomLeft" if col == 1 else ("topRight" if row == 1 else "bottomRight")
        view += (
            f'<pane{split} topLeftCell="{plan.freeze}" activePane="{pane}" state="frozen"/>'
            f'<selection pane="{pane}" activeCell="{plan.freeze}" sqref="{plan.freeze}"/>'
        )
    view += "</sheetView>"
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f'<sheetPr>{tab}<pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{cell_ref(last_row, last_col)}"/>'
        f"<sheetViews>{view}</sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
    ).encode()
    if plan.widths:
        yield (
            "<cols>"
            + "".join(
                f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                for c, w in sorted(plan.widths.items())
            )
            + "</cols>"
        ).encode()
    yield b"<sheetData>"
    batch: list[str] = []
    for row in sorted(rows):
        cells = rows[row]
        cells.sort(key=lambda item: item[0])
        batch.append(f'<row r="{row}">' + "".join(xml for _, xml in cells) + "</row>")
        if len(batch) >= 4096:
            yield "".join(batch).encode()
            batch.clear()
    yield ("".join(batch) + "</sheetData>").encode()
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
    yield "".join(tail).encode()


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
