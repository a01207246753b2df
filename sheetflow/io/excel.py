"""The Excel door: the workbook open in Excel, through xlwings (the ribbon add-in, SPEC §9).

Reads every sheet in one bulk read each into the same `Workbook` the file door gives, and
renders an `OutputPlan` with bulk writes: one write per block of adjacent computed columns of
a user sheet and one per owned sheet, then formats per column, never per row. Both xlwings
engines run this code: the desktop one (COM / AppleScript, `RunPython`) and the remote one
(`xw.Book(json=...)`, xlwings Server), which does not see its own writes within a call, so
every range is sized from the data and from what `read()` saw, never by reading back.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence

import numpy as np

from sheetflow.core import plan as P
from sheetflow.core.workbook import Workbook, build_workbook
from sheetflow.errors import WorkbookError

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
    """A plan value as xlwings writes it."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted integers as (first, last) runs of consecutive values."""
    runs: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


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
        except Exception as exc:  # COM / AppleScript / payload errors, one line for the user
            raise WorkbookError(f"cannot read the workbook {self.name}: {exc}") from exc
        return build_workbook(raw, source=self.name)

    # -- writing ----------------------------------------------------------------------------

    def write(self, plan: P.OutputPlan) -> str:
        """Render `plan` into the open workbook; returns the book's name."""
        if not self._size:
            self.read_rows()
        for patch in plan.patches:
            self._patch(patch)
        titles = self._titles()
        for title in plan.retired:
            if title in titles:
                self.book.sheets[title].delete()
                self.actions += 1
        for sheet_plan in plan.sheets:
            self._owned_sheet(sheet_plan)
        if plan.active and plan.active in self._titles():
            self.book.sheets[plan.active].activate()
            self.actions += 1
        return self.name

    def _titles(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def _style(self, rng, name: str | None) -> None:  # noqa: ANN001 - an xlwings Range
        if name is None:
            return
        style = P.STYLES[name]
        if style.fill:
            rng.color = _hex(style.fill)
            self.actions += 1
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
        blocks = _runs(patch.positions[i] for i in order)
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
                spans = _runs(int(r) for r in rows)
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
            if patch.fills and patch.clear_other_rows:
                sheet.range((first, left), (last, right)).conditional_formats.clear()
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
        for cell in sp.cells:
            rng = sheet.range((cell.row, cell.col), (cell.row, cell.merge_to or cell.col))
            if cell.merge_to:
                rng.merge()
                self.actions += 1
            self._number_format(rng, cell.kind)
            self._style(rng, cell.style)
        for block in sp.blocks:
            right = block.left + len(block.columns) - 1
            self._style(
                sheet.range((block.top, block.left), (block.top, right)), block.header_style
            )
            if block.height < 2:
                continue
            for j, column in enumerate(block.columns):
                col = block.left + j
                rng = sheet.range((block.top + 1, col), (block.bottom, col))
                self._number_format(rng, column.kind)
                self._style(rng, column.style)
                if column.styles is not None:
                    self._row_fills(sheet, block.top + 1, col, column.styles)
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

    def _row_fills(self, sheet, top: int, col: int, styles: Sequence[str | None]) -> None:  # noqa: ANN001
        """Per-row fills of one column: one set_colors call per 10,000 rows."""
        fills = [P.STYLES[s].fill if s else None for s in styles]
        if not any(fills):
            return
        for start in range(0, len(fills), SET_COLORS_LIMIT):
            chunk = fills[start : start + SET_COLORS_LIMIT]
            rng = sheet.range((top + start, col), (top + start + len(chunk) - 1, col))
            rng.set_colors([[_hex(f) if f else ...] for f in chunk])
            self.actions += 1

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
        self.actions += 1
