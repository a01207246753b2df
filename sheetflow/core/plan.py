"""The output plan: everything sheetflow writes (SPEC §5, §10), as one pure value.

`layout.build_plan(report)` decides every label, value, colour and position once; each door
(the xlsx package writer, the open workbook through xlwings, Google Sheets) only renders this
value, the way XlsxWriter keeps typed cells in `Worksheet.table` apart from the XML that
`_write_sheet_data` and the `Packager` produce. No door decides layout.

Conventions: rows and columns are 1-based Excel positions; ranges are A1 text on the sheet
that holds them (`"B2:B9"`); colours are RGB hex without `#` (`"E53935"`); values are plain
Python values (str, int, float, bool, `datetime.datetime`, None), already rounded and already
in the workbook's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Number formats by kind: every door maps a kind to its own notation (Excel's codes here).
TEXT = "text"
INT = "int"
HOURS = "hours"
DATETIME = "datetime"
DATE = "date"
RATE = "rate"
AMOUNT = "amount"
NUMBER_FORMATS: dict[str, str] = {
    TEXT: "General",
    INT: "0",
    HOURS: "0.00",
    DATETIME: "yyyy-mm-dd hh:mm",
    DATE: "yyyy-mm-dd",
    RATE: "0.0%",
    AMOUNT: "#,##0.00",
}
KINDS = tuple(NUMBER_FORMATS)


@dataclass(frozen=True)
class Style:
    """A cell style by meaning; `STYLES` gives each name its look."""

    bold: bool = False
    italic: bool = False
    size: float | None = None  # points; None = the sheet's default
    font: str | None = None  # font colour
    fill: str | None = None  # solid background colour
    align: str | None = None  # left / center / right
    wrap: bool = False
    underline: bool = False


STYLES: dict[str, Style] = {
    "header": Style(bold=True, font="FFFFFF", fill="1F4E78", align="center"),
    "computed_header": Style(bold=True, font="1F4E78", fill="DDEBF7", align="center"),
    "title": Style(bold=True, size=16, font="1F4E78"),
    "subtitle": Style(italic=True, font="595959"),
    "section": Style(bold=True, size=12, font="1F4E78"),
    "group": Style(bold=True, font="1F4E78", fill="DDEBF7"),
    "link": Style(font="0563C1", underline=True),
    "highlight": Style(bold=True, font="9C5700", fill="FFEB9C"),
    "good": Style(bold=True, font="FFFFFF", fill="2E7D32", align="center"),
    "warn": Style(bold=True, font="000000", fill="FFC000", align="center"),
    "bad": Style(bold=True, font="FFFFFF", fill="E53935", align="center"),
    "neutral": Style(bold=True, font="000000", fill="E7E6E6", align="center"),
    "tile_label": Style(font="595959", align="center", wrap=True),
    "banner": Style(bold=True, font="9C0006", fill="FFC7CE"),
    "right": Style(align="right"),
    "center": Style(align="center"),
}


@dataclass(frozen=True)
class Column:
    """One column of values going down from a first row.

    values: one per row (already in the workbook's language, None = empty cell).
    links: per row, None or an internal target such as `"'Log'!D8"` (a link within the book).
    styles: per row, None or a `STYLES` name overriding `style`.
    """

    key: str  # what it is (a SPEC code such as "duration_h"); never shown
    header: str  # shown
    values: Sequence[object]
    kind: str = TEXT
    width: float | None = None  # in characters; None = from the values
    style: str | None = None
    links: Sequence[str | None] | None = None
    styles: Sequence[str | None] | None = None


@dataclass(frozen=True)
class LabelFill:
    """A conditional format: cells of `ref` whose text equals `text` get these colours."""

    ref: str
    text: str
    fill: str
    font: str
    bold: bool = False


@dataclass(frozen=True)
class ColourScale:
    """A two-colour scale over `ref` (low -> high)."""

    ref: str
    low: str
    high: str


@dataclass(frozen=True)
class Patch:
    """Columns sheetflow owns inside a user's sheet (the computed columns of Log and Cases).

    rows: the Excel rows that get a value (aligned with each column's values); other rows
    keep nothing in the owned columns (a previous run's value there is cleared).
    positions: 1-based column of each `columns` entry, chosen by layout (where the last run
    put it, else right of the user's last column).
    """

    sheet: str  # canonical name: "Log" / "Cases"
    title: str  # the sheet's title in the book
    header_row: int
    rows: Sequence[int]
    columns: tuple[Column, ...]
    positions: tuple[int, ...]
    fills: tuple[LabelFill, ...] = ()
    # the user's autofilter is widened to cover the owned columns (A1 range), None = leave it
    autofilter: str | None = None
    # True for computed columns (a row no longer computed loses its old value); False for rows
    # appended to a user's sheet (`sheetflow calendar`), which must leave every other row alone
    clear_other_rows: bool = True
    header_style: str | None = "computed_header"  # None: write no header cell (it exists)


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    value: object
    kind: str = TEXT
    style: str | None = None
    link: str | None = None
    merge_to: int | None = None  # last column of a merged range on this row


@dataclass(frozen=True)
class Block:
    """A table on an owned sheet: a header row at `top`, values below, from column `left`.

    header_style None: the block writes no header cells (row `top` is left to `cells`, e.g. a
    group title line); the values still start at `top + 1`.
    """

    top: int
    left: int
    columns: tuple[Column, ...]
    header_style: str | None = "header"

    @property
    def height(self) -> int:
        return 1 + max((len(c.values) for c in self.columns), default=0)

    @property
    def bottom(self) -> int:
        return self.top + self.height - 1


@dataclass(frozen=True)
class Series:
    name: str
    values: str  # A1 range on the chart's sheet
    colour: str | None = None
    point_colours: tuple[str, ...] = ()  # pie slices / bars one by one


@dataclass(frozen=True)
class Chart:
    kind: str  # "column", "bar" (horizontal), "line", "pie"
    title: str
    categories: str  # A1 range on the chart's sheet
    series: tuple[Series, ...]
    anchor: str  # top-left cell
    width_cm: float = 16.0
    height_cm: float = 8.0
    y_title: str | None = None
    y_format: str | None = None  # number format of the value axis
    show_percent: bool = False  # pie labels


@dataclass(frozen=True)
class SheetPlan:
    """An owned sheet, replaced whole on every run."""

    name: str  # canonical: Summary, Validation, Overdue, Routing, NodeStats
    title: str  # in the book's language
    cells: tuple[Cell, ...] = ()
    blocks: tuple[Block, ...] = ()
    widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> characters
    freeze: str | None = None  # top-left unfrozen cell, e.g. "A2"
    autofilter: str | None = None
    fills: tuple[LabelFill, ...] = ()
    scales: tuple[ColourScale, ...] = ()
    charts: tuple[Chart, ...] = ()
    tab_colour: str | None = None
    previous: str | None = None  # the title a previous run's sheet has now, when it differs

    @property
    def last_row(self) -> int:
        rows = [c.row for c in self.cells] + [b.bottom for b in self.blocks]
        return max(rows, default=0)


@dataclass(frozen=True)
class OutputPlan:
    """Everything one run writes: the patches of user sheets and the owned sheets, in order."""

    language: str
    as_of: dt.datetime
    patches: tuple[Patch, ...] = ()
    sheets: tuple[SheetPlan, ...] = ()
    active: str | None = None  # title of the sheet the workbook opens on
    # titles of sheets a previous run owned that this run does not write (to remove)
    retired: tuple[str, ...] = ()

    def sheet(self, name: str) -> SheetPlan | None:
        return next((s for s in self.sheets if s.name == name), None)

    def patch(self, name: str) -> Patch | None:
        return next((p for p in self.patches if p.sheet == name), None)


def runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Integers (rows, columns) as (first, last) runs of consecutive values, in order."""
    found: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if found and n == found[-1][1] + 1:
            found[-1] = (found[-1][0], n)
        elif not found or n != found[-1][1]:
            found.append((n, n))
    return found


def column_letter(col: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


def quote_title(title: str) -> str:
    """A sheet title as it appears in a formula or link: `'My sheet'`, quotes doubled."""
    return "'" + title.replace("'", "''") + "'"
