"""The Excel door: the workbook open in Excel, through xlwings (the ribbon add-in, SPEC §9).

Reads every sheet in one bulk read each into the same `Workbook` the file door gives, and
renders an `OutputPlan` with bulk writes: one write per block of adjacent computed columns of
a user sheet and one per owned sheet, then formats per column, never per row. Both xlwings
engines run this code: the desktop one (COM / AppleScript, `RunPython`) and the remote one
(`xw.Book(json=...)`, xlwings Server), which does not see its own writes within a call, so
every range is sized from the data and from what `read()` saw, never by reading back.

Rendered: values, number formats, fills, bold/italic/colour/size, alignment, wrap, merges,
widths, freeze, per-row styles, label and colour-scale conditional formats, charts (type,
source, title, legend, value axis, series colours). Not rendered, because xlwings (0.37) has no
call for it on either engine: an autofilter without criteria (`SheetPlan.autofilter`,
`Patch.autofilter`), the tab colour, pie slice colours and percent labels, underlined links.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

from sheetflow.core import plan as P
from sheetflow.core.workbook import Ownership, Workbook, build_workbook
from sheetflow.errors import WorkbookError
from sheetflow.io import ownership

SET_COLORS_LIMIT = 10_000  # xlwings' Range.set_colors takes at most this many cells a call
_CHART_TYPES = {"column": "column_clustered", "bar": "bar_clustered", "line": "line", "pie": "pie"}
POINTS_PER_CHARACTER = 5.6  # the remote engine sizes columns in points, the desktop in chars


def _cell_value(value: object) -> object:
    """A cell as the core expects it: None for empty, datetimes naive."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _out_value(value: object) -> object:
    """A plan value as xlwings writes it: numpy scalars unwrapped, NaN as an empty cell."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def _hex(colour: str | None) -> str | None:
    return None if colour is None else "#" + colour.lower()


def hyperlink_formula(target: str, text: object) -> str:
    """A link inside the book as a formula, so it travels in the bulk write of its sheet."""
    shown = "" if text is None else str(text).replace('"', '""')
    return f'=HYPERLINK("#{target.replace(chr(34), chr(34) * 2)}","{shown}")'


class ExcelDoor:
    """An `xw.Book` (desktop or remote engine) as a door."""

    def __init__(self, book) -> None:  # noqa: ANN001 - an xlwings Book
        self.book = book
        self._size: dict[str, tuple[int, int]] = {}  # sheet title -> (rows, columns) at read
        self.raw: dict[str, list[list[object]]] = {}  # what read() saw, by sheet title
        self.actions = 0  # operations issued by write(), for the tests and the status bar

    @property
    def name(self) -> str:
        return self.book.name

    @property
    def remote(self) -> bool:
        return self.book.app.engine.name == "remote"

    # -- reading ----------------------------------------------------------------------------

    def read_rows(self) -> dict[str, list[list[object]]]:
        """Every sheet: title -> rows anchored at A1, one bulk read per sheet."""
        raw: dict[str, list[list[object]]] = {}
        for sheet in self.book.sheets:
            used = sheet.used_range
            last = used.last_cell
            rows, cols = last.row, last.column
            values = sheet.range((1, 1), (rows, cols)).options(ndim=2).value or [[]]
            raw[sheet.name] = [[_cell_value(v) for v in row] for row in values]
            if rows == 1 and cols == 1 and raw[sheet.name] == [[None]]:
                rows = cols = 0
                raw[sheet.name] = []
            self._size[sheet.name] = (rows, cols)
        self.raw = raw
        return raw

    def read(self) -> Workbook:
        try:
            raw = self.read_rows()
            owned = self.ownership()
        except Exception as exc:  # COM / AppleScript / payload errors, one line for the user
            raise WorkbookError(f"cannot read the workbook {self.name}: {exc}") from exc
        return build_workbook(raw, source=self.name, ownership=owned)

    # -- ownership: the file door's hidden `_sheetflow.` defined names --------------------------

    def _owned_names(self) -> list[tuple[object, str, str | None, str | None]]:
        """sheetflow's defined names: (xlwings Name, name, local sheet title, reference)."""
        found = []
        for name in self.book.names:
            if self.remote:
                entry = name.api  # the client's JSON: scope and reference as separate keys
                bare = str(entry["name"]).rsplit("!", 1)[-1]
                if not bare.startswith(ownership.OWNED_NAME_PREFIX):
                    continue
                local = None if entry.get("book_scope") else entry.get("scope_sheet_name")
                if entry.get("refers_to") is None:
                    # clients send the address alone ("H:L", or "H:L,N:N" for several areas);
                    # Name.delete() needs the whole reference, which xlwings cannot build for
                    # several areas: the door builds it and keeps it in the entry
                    entry["refers_to"] = self._reference(entry)
                found.append((name, bare, local, entry["refers_to"]))
                continue
            full = name.name  # "Log!_sheetflow.columns" for a name local to a sheet
            local, _, bare = full.rpartition("!")
            if bare.startswith(ownership.OWNED_NAME_PREFIX):
                local = local.strip("'").replace("''", "'") or None
                found.append((name, bare, local, name.refers_to))
        return found

    def _reference(self, entry: dict) -> str | None:
        index, address = entry.get("sheet_index"), entry.get("address")
        if index is None or not address:
            return None
        title = P.quote_title(self.book.sheets[index].name)
        return "=" + ",".join(f"{title}!{part.strip()}" for part in str(address).split(","))

    def ownership(self) -> Ownership:
        """What the book records of sheetflow's earlier outputs (see `io.ownership`)."""
        return ownership.ownership_from_names(
            (bare, local, reference) for _, bare, local, reference in self._owned_names()
        )

    def _forget(self) -> None:
        """Delete the `_sheetflow.` names, before the sheets they name change."""
        for name, *_ in self._owned_names():
            name.delete()
            self.actions += 1

    def _record(self, records: ownership.Records) -> None:
        """This plan's `_sheetflow.` names, once its sheets exist."""
        for name, local, reference in ownership.defined_names(records):
            names = self.book.sheets[local].names if local else self.book.names
            self._hide(names.add(name, reference))
            self.actions += 1

    def _hide(self, name) -> None:  # noqa: ANN001 - an xlwings Name
        """Hidden like the file door's names, where the engine can: the remote engine (Office.js
        through xlwings Server) has no call for a name's visibility."""
        if self.remote:
            return
        api = name.api
        if hasattr(api, "Visible"):  # Windows: the COM Name object
            api.Visible = False
        elif hasattr(api, "visible"):  # macOS: the AppleScript reference
            api.visible.set(False)

    # -- writing ----------------------------------------------------------------------------

    def write(self, plan: P.OutputPlan) -> str:
        """Render `plan` into the open workbook; returns the book's name."""
        if not self._size:
            self.read_rows()
        # the names are replaced as the file door replaces them; a plan of the user's content
        # (sync, calendar) owns nothing and leaves earlier names be
        records = ownership.plan_records(plan)
        if records is not None:
            self._forget()
        for patch in plan.patches:
            self._patch(patch)
        titles = self._titles()
        for title in plan.retired:
            if title in titles:
                self.book.sheets[title].delete()
                self.actions += 1
        for sheet_plan in plan.sheets:
            self._owned_sheet(sheet_plan)
        if records is not None:
            self._record(records)
        if plan.active and plan.active in self._titles():
            self.book.sheets[plan.active].activate()
            self.actions += 1
        return self.name

    def _titles(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def _style(self, rng, name: str | None) -> None:  # noqa: ANN001 - an xlwings Range
        if name is not None:
            self._look(rng, P.STYLES[name])

    def _look(self, rng, style: P.Style) -> None:  # noqa: ANN001
        if style.fill:
            rng.color = _hex(style.fill)
            self.actions += 1
        self._font(rng, style)
        if style.align:
            try:
                rng.horizontal_alignment = style.align
                self.actions += 1
            except NotImplementedError:  # a remote client other than Office.js
                pass
        if style.wrap:
            rng.wrap_text = True
            self.actions += 1

    def _font(self, rng, style: P.Style) -> None:  # noqa: ANN001
        """Bold, italic, colour and size (xlwings has no underline: links stay blue only)."""
        font = rng.font
        if style.bold:
            font.bold = True
            self.actions += 1
        if style.italic:
            font.italic = True
            self.actions += 1
        if style.font:
            font.color = _hex(style.font)
            self.actions += 1
        if style.size:
            font.size = style.size
            self.actions += 1

    def _number_format(self, rng, kind: str) -> None:  # noqa: ANN001
        if kind != P.TEXT:
            rng.number_format = P.NUMBER_FORMATS[kind]
            self.actions += 1

    def _label_fills(self, sheet, fills: Sequence[P.LabelFill]) -> None:  # noqa: ANN001
        for fill in fills:
            rng = sheet.range(fill.ref)
            first = fill.ref.split(":")[0].replace("$", "")
            text = fill.text.replace('"', '""')
            rng.conditional_formats.add_custom(
                f'={first}="{text}"',
                fill_color=_hex(fill.fill),
                font_color=_hex(fill.font),
                font_bold=fill.bold or None,
            )
            self.actions += 1

    def _patch(self, patch: P.Patch) -> None:
        try:
            sheet = self.book.sheets[patch.title]
        except Exception as exc:
            raise WorkbookError(f"the workbook has no sheet {patch.title!r}") from exc
        used_rows = self._size.get(patch.title, (0, 0))[0]
        rows = np.asarray(patch.rows, dtype=np.int64)
        first = patch.header_row + 1
        last = int(rows.max()) if len(rows) else patch.header_row
        if patch.clear_other_rows:
            last = max(last, used_rows)
        order = sorted(range(len(patch.columns)), key=lambda i: patch.positions[i])
        blocks = P.runs(patch.positions[i] for i in order)
        by_position = {patch.positions[i]: patch.columns[i] for i in order}
        for left, right in blocks:
            columns = [by_position[p] for p in range(left, right + 1)]
            if patch.header_style is not None:
                header = sheet.range((patch.header_row, left), (patch.header_row, right))
                header.value = [[c.header for c in columns]]
                self.actions += 1
                self._style(header, patch.header_style)
            if last < first:
                continue
            if patch.clear_other_rows:
                spans = [(first, last)]
            else:  # appended rows: write exactly them, leave every other row alone
                spans = P.runs(int(r) for r in rows)
            for top, bottom in spans:
                matrix = np.full((bottom - top + 1, len(columns)), None, dtype=object)
                inside = (rows >= top) & (rows <= bottom)
                for j, column in enumerate(columns):
                    values = np.asarray([_out_value(v) for v in column.values], dtype=object)
                    matrix[rows[inside] - top, j] = values[inside]
                sheet.range((top, left), (bottom, right)).value = matrix.tolist()
                self.actions += 1
            data_bottom = max(bottom for _, bottom in spans)
            data_top = min(top for top, _ in spans)
            for offset, column in enumerate(columns):
                rng = sheet.range((data_top, left + offset), (data_bottom, left + offset))
                self._number_format(rng, column.kind)
        if patch.clear_other_rows:  # the last run's rules sit where this run's go
            for ref in dict.fromkeys(fill.ref for fill in patch.fills):
                sheet.range(ref).conditional_formats.clear()
                self.actions += 1
        self._label_fills(sheet, patch.fills)

    def _owned_sheet(self, sp: P.SheetPlan) -> None:
        titles = self._titles()
        if sp.title in titles:
            sheet = self.book.sheets[sp.title]
            for chart in list(sheet.charts):
                chart.delete()
                self.actions += 1
            sheet.clear()
            sheet.cells.conditional_formats.clear()
            self.actions += 2
        else:
            sheet = self.book.sheets.add(sp.title, after=self.book.sheets[len(titles) - 1])
            self.actions += 1
        last_row = sp.last_row
        last_col = max(
            [c.col if c.merge_to is None else c.merge_to for c in sp.cells]
            + [b.left + len(b.columns) - 1 for b in sp.blocks],
            default=0,
        )
        if last_row and last_col:
            matrix = np.full((last_row, last_col), None, dtype=object)
            for cell in sp.cells:
                value = _out_value(cell.value)
                if cell.link:
                    value = hyperlink_formula(cell.link, value)
                matrix[cell.row - 1, cell.col - 1] = value
            for block in sp.blocks:
                for j, column in enumerate(block.columns):
                    col = block.left + j - 1
                    if block.header_style is not None:  # else row `top` belongs to `cells`
                        matrix[block.top - 1, col] = column.header
                    values = [_out_value(v) for v in column.values]
                    if column.links is not None:
                        values = [
                            v if link is None else hyperlink_formula(link, v)
                            for v, link in zip(values, column.links)
                        ]
                    matrix[block.top : block.top + len(values), col] = values
            sheet.range((1, 1), (last_row, last_col)).value = matrix.tolist()  # one write
            self.actions += 1
        self._sheet_formats(sheet, sp)

    def _sheet_formats(self, sheet, sp: P.SheetPlan) -> None:  # noqa: ANN001
        """Formats by ranges, never by cell: blocks per column span, cells as rectangles."""
        for (kind, style), spans in _column_spans(sp.blocks).items():
            for col, top, bottom in spans:
                rng = sheet.range((top, col), (bottom, col))
                self._number_format(rng, kind)
                self._style(rng, style)
        for block in sp.blocks:
            right = block.left + len(block.columns) - 1
            self._style(
                sheet.range((block.top, block.left), (block.top, right)), block.header_style
            )
            self._row_styles(sheet, block)
        for cell in sp.cells:
            if cell.merge_to and cell.merge_to > cell.col:
                sheet.range((cell.row, cell.col), (cell.row, cell.merge_to)).merge()
                self.actions += 1
        # cells after blocks: a group line between two blocks keeps its own look
        kinds = {(c.row, c.col): c.kind for c in sp.cells if c.kind != P.TEXT}
        for kind, top, left, bottom, right in _rectangles(kinds):
            self._number_format(sheet.range((top, left), (bottom, right)), kind)
        styles = {(c.row, c.col): c.style for c in sp.cells if c.style is not None}
        for style, top, left, bottom, right in _rectangles(styles):
            self._style(sheet.range((top, left), (bottom, right)), style)
        width = POINTS_PER_CHARACTER if self.remote else 1.0
        for col, chars in sorted(sp.widths.items()):
            sheet.range((1, col)).column_width = round(chars * width, 2)
            self.actions += 1
        self._label_fills(sheet, sp.fills)
        for scale in sp.scales:
            sheet.range(scale.ref).conditional_formats.add_color_scale(
                [_hex(scale.low), _hex(scale.high)]
            )
            self.actions += 1
        if sp.freeze:
            sheet.activate()
            sheet.freeze_panes.freeze_at(sp.freeze)
            self.actions += 2
        for chart in sp.charts:
            self._chart(sheet, chart)

    def _row_styles(self, sheet, block: P.Block) -> None:  # noqa: ANN001
        """Per-row styles of a block (NodeStats' bottleneck line): every fill in one set_colors
        call per 10,000 cells, the rest of each style per rectangle of cells that have it."""
        styled = [
            (block.left + j, column.styles)
            for j, column in enumerate(block.columns)
            if column.styles is not None and any(column.styles)
        ]
        if not styled:
            return
        top = block.top + 1
        left, right = styled[0][0], styled[-1][0]
        cells: dict[tuple[int, int], str] = {}
        for col, styles in styled:
            cells.update({(top + i, col): s for i, s in enumerate(styles) if s is not None})
        height = max(len(styles) for _, styles in styled)
        step = max(SET_COLORS_LIMIT // (right - left + 1), 1)
        for first in range(top, top + height, step):
            last = min(first + step, top + height) - 1
            fills = [
                [
                    _hex(P.STYLES[cells[(r, c)]].fill) if (r, c) in cells else ...
                    for c in range(left, right + 1)
                ]
                for r in range(first, last + 1)
            ]
            fills = [[f if f is not None else ... for f in row] for row in fills]
            if any(f is not ... for row in fills for f in row):
                sheet.range((first, left), (last, right)).set_colors(fills)
                self.actions += 1
        for name, r1, c1, r2, c2 in _rectangles(cells):
            rng = sheet.range((r1, c1), (r2, c2))
            self._look(rng, dataclasses.replace(P.STYLES[name], fill=None))

    def _chart(self, sheet, chart: P.Chart) -> None:  # noqa: ANN001
        refs = [chart.categories, *(s.values for s in chart.series)]
        rows, cols = [], []
        for ref in refs:
            rng = sheet.range(ref)
            rows += [rng.row, rng.last_cell.row]
            cols += [rng.column, rng.last_cell.column]
        top = max(min(rows) - 1, 1)  # the header row above the data names the series
        source = sheet.range((top, min(cols)), (max(rows), max(cols)))
        xl_chart = sheet.charts.add(
            width=chart.width_cm * 28.35,
            height=chart.height_cm * 28.35,
            chart_type=_CHART_TYPES.get(chart.kind, "column_clustered"),
            anchor=sheet.range(chart.anchor),
        )
        xl_chart.set_source_data(source)
        xl_chart.title = chart.title
        xl_chart.legend.position = "right" if chart.kind == "pie" else "bottom"
        self.actions += 3
        if chart.kind != "pie" and (chart.y_title or chart.y_format):
            axis = {"title": chart.y_title, "number_format": chart.y_format}
            xl_chart.value_axis.set(**{k: v for k, v in axis.items() if v is not None})
            self.actions += 1
        # pie slices (Series.point_colours) and percent labels: xlwings has no call for them
        if chart.kind == "pie":
            return
        for series, plan_series in zip(self._series(xl_chart, len(chart.series)), chart.series):
            if plan_series.colour:
                colour = _hex(plan_series.colour)
                if chart.kind == "line":
                    series.set(line_color=colour)
                else:
                    series.set(fill_color=colour)
                self.actions += 1

    def _series(self, xl_chart, count: int) -> list:  # noqa: ANN001
        """The chart's first `count` series.

        The remote engine only knows how many series a chart has after a round trip
        (`await chart.get_series()`, xlwings Lite); the door made the chart from its own
        source range, so it tells the collection the count instead.
        """
        collection = xl_chart.series
        if self.remote:
            impl = type(collection.impl)(xl_chart.impl, count=count)
            collection = type(collection)(impl=impl)
        return [collection[i] for i in range(count)]


def _rectangles(cells: dict[tuple[int, int], object]) -> list[tuple[object, int, int, int, int]]:
    """(key, top, left, bottom, right): cells of equal key as runs along each row, stacked
    where consecutive rows have the same run."""
    runs: list[list] = []  # [key, row, left, right]
    for (row, col), key in sorted(cells.items()):
        last = runs[-1] if runs else None
        if last and last[0] == key and last[1] == row and last[3] == col - 1:
            last[3] = col
        else:
            runs.append([key, row, col, col])
    rects: list[list] = []  # [key, top, left, bottom, right]
    open_at: dict[tuple[object, int, int], int] = {}
    for key, row, left, right in runs:
        at = open_at.get((key, left, right))
        if at is not None and rects[at][3] == row - 1:
            rects[at][3] = row
        else:
            open_at[(key, left, right)] = len(rects)
            rects.append([key, row, left, row, right])
    return [tuple(r) for r in rects]


def _column_spans(
    blocks: Sequence[P.Block],
) -> dict[tuple[str, str | None], list[tuple[int, int, int]]]:
    """(kind, style) -> [(column, top, bottom)]: the data rows of every block column.

    Blocks stacked one under the other with the same format in a column (Routing's one block
    per approver) get one span over all of them, so the count does not grow with the blocks;
    the group lines between them are cells, formatted afterwards, and a style with a fill is
    never stretched over the blank lines.
    """
    spans: dict[tuple[str, str | None], list[list[int]]] = {}
    last: dict[int, tuple[tuple[str, str | None], list[int] | None]] = {}
    for block in sorted(blocks, key=lambda b: b.top):
        for j, column in enumerate(block.columns):
            # an empty list still formats the line under its header: same cost either way
            col, top, bottom = block.left + j, block.top + 1, max(block.bottom, block.top + 1)
            key = (column.kind, column.style)
            plain = column.kind == P.TEXT and column.style is None
            stretch = column.style is None or P.STYLES[column.style].fill is None
            before = last.get(col)
            if before is not None and before[0] == key and before[1] is not None and stretch:
                before[1][2] = bottom
                continue
            span = None if plain else [col, top, bottom]
            if span is not None:
                spans.setdefault(key, []).append(span)
            last[col] = (key, span)
    return {key: [tuple(s) for s in value] for key, value in spans.items()}
