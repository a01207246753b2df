"""The `Workbook` value: every sheet read once into a frame with canonical column names.

Adapters (xlsx file, live Excel, Google Sheets) only produce a mapping of sheet title -> rows
(lists of cell values, anchored at A1); `build_workbook` turns that into a `Workbook` here, in the
pure core, the way gspread's `get_all_records` ends in the pure `utils.to_records`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sheetflow.core import i18n, schema

EXCEL_FIRST_DATA_ROW = 2  # row 1 is the header (when no title rows stand above it)
HEADER_SEARCH_ROWS = 10  # the header row is looked for within the first rows of a sheet


class CellProblem(str):
    """A cell whose value cannot be known: it reads as its text, never as empty.

    Doors put these in the rows they hand to `build_workbook`; validation reports each one.
    """

    __slots__ = ()


class CellError(CellProblem):
    """An Excel error value (`#REF!`, `#VALUE!`, `#DIV/0!`, `#N/A`...): the text is the error."""

    __slots__ = ()


class UncalculatedFormula(CellProblem):
    """A formula that was never calculated (no cached value): the text is the formula."""

    __slots__ = ()


@dataclass(frozen=True)
class ColumnRef:
    """Where a column sits in the file: its header text and 0-based position."""

    header: str
    index: int


@dataclass(frozen=True)
class Ownership:
    """What earlier runs of sheetflow wrote, as the file records it (hidden defined names).

    recorded: the file carries sheetflow's records; without them (a file from an older version,
        Google Sheets, the open workbook) ownership is judged from the content instead.
    sheets: canonical owned sheet (Summary...) -> its title now (the user may have renamed it).
    columns: sheet title -> 1-based columns sheetflow wrote there.
    """

    recorded: bool = False
    sheets: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, frozenset[int]] = field(default_factory=dict)


Merge = tuple[int, int, int, int]  # a merged range: first row, first col, last row, last col


@dataclass
class Table:
    """One sheet: input columns by canonical name (extras by their header), index = Excel row."""

    sheet: schema.Sheet
    title: str
    frame: pd.DataFrame
    columns: dict[str, ColumnRef]
    outputs: dict[str, ColumnRef] = field(default_factory=dict)  # computed columns found
    width: int = 0  # header cells in the file, computed columns included
    # user columns whose header is a computed column's name: kept, never written over
    taken: list[ColumnRef] = field(default_factory=list)
    header_row: int = 1  # Excel row of the header (title rows may stand above it)
    # 0-based columns a merged range covers on the header row: a header written there is hidden
    merged: frozenset[int] = frozenset()

    def has(self, name: str) -> bool:
        return name in self.columns

    def ref(self, name: str) -> ColumnRef | None:
        return self.columns.get(name) or self.outputs.get(name)


@dataclass
class Workbook:
    tables: dict[str, Table]  # canonical sheet name -> table, for the input sheets present
    titles: list[str]  # every sheet title in file order
    language: str
    source: str = ""
    # canonical Settings key -> (Excel row, raw cell), read once for every user of it
    settings_rows: dict[str, tuple[int, object]] = field(default_factory=dict)
    owned_sheets: dict[str, str] = field(default_factory=dict)  # canonical -> title
    # the user's own sheets named like an owned sheet: kept, never replaced
    taken_titles: tuple[str, ...] = ()
    # whether any cell is a `CellProblem`; None = unknown (validation then looks at every cell)
    cell_problems: bool | None = None

    def setting(self, key: str) -> object:
        """The raw Settings cell for a canonical key, None when absent."""
        return self.settings_rows.get(key, (0, None))[1]

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def output_titles(self) -> dict[str, tuple[str, str | None]]:
        """Owned sheet -> (its title for this run, the title it has now when that differs).

        A sheet of an earlier run keeps its title (the user may have renamed it) unless it only
        carries the other language's name; a new one gets the language's name, or a free
        variant (`Summary (sheetflow)`) when a sheet of the user's already has it.
        """
        taken = {title.casefold() for title in self.titles}
        others = [lang for lang in i18n.LANGUAGES if lang != self.language]
        titles: dict[str, tuple[str, str | None]] = {}
        for name in schema.OUTPUT_SHEETS:
            default = owned_title(name, self.language)
            previous = self.owned_sheets.get(name)
            if previous is not None:
                switched = previous in [owned_title(name, lang) for lang in others]
                if switched and default.casefold() not in taken:
                    titles[name] = (default, previous)
                    taken.add(default.casefold())
                else:
                    titles[name] = (previous, None)
                continue
            title, number = default, 1
            while title.casefold() in taken:
                title = f"{default} (sheetflow{'' if number == 1 else f' {number}'})"
                number += 1
            taken.add(title.casefold())
            titles[name] = (title, None)
        return titles

    def frame(self, name: str) -> pd.DataFrame:
        """The sheet's frame, or an empty one with its canonical columns when it is absent."""
        table = self.tables.get(name)
        if table is not None:
            return table.frame
        sheet = schema.SHEETS_BY_NAME[name]
        return pd.DataFrame({col.name: pd.Series(dtype=object) for col in sheet.columns})

    def title(self, name: str) -> str:
        table = self.tables.get(name)
        if table is not None:
            return table.title
        sheet = schema.SHEETS_BY_NAME.get(name)
        if sheet is not None:
            return sheet.label(self.language)
        return owned_title(name, self.language)


def owned_title(name: str, lang: str) -> str:
    """Title of a sheet sheetflow owns (Validation, Overdue...) in `lang`, from the catalog."""
    return i18n.text(f"core.owned_sheet.{name}", lang)


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def blank_mask(series: pd.Series) -> np.ndarray:
    """True where a cell is empty (None, NaN, or only spaces), for a whole column at once."""
    blank = series.isna().to_numpy(dtype=bool, copy=True)
    if series.dtype != object:
        return blank
    values = series.to_numpy(dtype=object)
    # plain Python over the values: pandas' string methods cost a call per value and more
    is_text = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
    if is_text.any():
        texts = values[is_text]
        # `not t.strip()` is exactly "empty or only whitespace"
        blank[is_text] = np.fromiter(
            (not t or t.isspace() for t in texts), dtype=bool, count=len(texts)
        )
    return blank


def _owned_output(
    index: int, owned: frozenset[int] | None, header_outputs: set[str], sheet: schema.Sheet
) -> bool:
    """Whether a header naming a computed column is sheetflow's own column.

    owned: the columns the file records as sheetflow's (None: no record, an older file); then
    only a complete set of computed headers counts as ours, not a lone `Status` of the user's.
    """
    if owned is not None:
        return index + 1 in owned
    return header_outputs >= {col.name for col in sheet.outputs}


def find_header_row(sheet: schema.Sheet, rows: Sequence[Sequence[object]]) -> int:
    """0-based index of the header row: the first of the first rows naming every required column.

    When no row names them all, the row naming most of the sheet's columns (the first of
    equals); when no row names any, row 1 (validation then reports the missing columns there).
    """
    lookup = schema.column_lookup(sheet)
    required = {col.name for col in sheet.columns if col.required}
    best, best_count = 0, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = set()
        for cell in row:
            if isinstance(cell, str) and not isinstance(cell, CellProblem) and cell.strip():
                col = lookup.get(schema.normalise_name(cell))
                if col is not None:
                    found.add(col.name)
        if found and required <= found:
            return index
        if len(found) > best_count:
            best, best_count = index, len(found)
    return best


def _table(
    sheet: schema.Sheet,
    title: str,
    rows: Sequence[Sequence[object]],
    owned: frozenset[int] | None = None,
    merges: Sequence[Merge] = (),
) -> Table:
    top = find_header_row(sheet, rows)
    header = list(rows[top]) if rows else []
    lookup = schema.column_lookup(sheet)
    columns: dict[str, ColumnRef] = {}
    outputs: dict[str, ColumnRef] = {}
    taken: list[ColumnRef] = []
    output_names = {col.name for col in sheet.outputs}
    named = {
        lookup[key].name
        for key in (schema.normalise_name(c) for c in header if not is_blank(c))
        if key in lookup and lookup[key].name in output_names
    }
    keep: list[tuple[int, str]] = []
    for index, cell in enumerate(header):
        if is_blank(cell):
            continue
        text = str(cell).strip()
        col = lookup.get(schema.normalise_name(text))
        if col is not None and col.name in output_names:
            if _owned_output(index, owned, named, sheet) and col.name not in outputs:
                outputs[col.name] = ColumnRef(text, index)
                continue
            taken.append(ColumnRef(text, index))
            col = None  # the user's column: kept under its own header
        name = col.name if col is not None else text
        if name in columns:
            continue  # a repeated header: the first one wins
        columns[name] = ColumnRef(text, index)
        keep.append((index, name))
    width = len(header)
    body = rows[top + 1 :]
    first_data_row = top + 2  # Excel rows are 1-based; data starts below the header
    if keep and body:
        data = {
            name: [row[index] if index < len(row) else None for row in body] for index, name in keep
        }
        frame = pd.DataFrame(data, dtype=object)
        frame.index = pd.RangeIndex(first_data_row, first_data_row + len(body))
        blank = np.ones(len(frame), dtype=bool)
        for name in frame.columns:
            blank &= blank_mask(frame[name])
        frame = frame.loc[~blank]
    else:
        frame = pd.DataFrame({name: pd.Series(dtype=object) for _, name in keep})
    frame.index.name = "row"
    merged = frozenset(c for r0, c0, r1, c1 in merges if r0 <= top <= r1 for c in range(c0, c1 + 1))
    return Table(
        sheet, title, frame, columns, outputs, width, taken, header_row=top + 1, merged=merged
    )


def _settings(table: Table | None) -> dict[str, tuple[int, object]]:
    """Canonical key -> (Excel row, raw value) of the first Settings row naming that key."""
    if table is None or not table.has("key") or not table.has("value"):
        return {}
    lookup = schema.setting_lookup()
    found: dict[str, tuple[int, object]] = {}
    for row, key, value in zip(table.frame.index, table.frame["key"], table.frame["value"]):
        if is_blank(key):
            continue
        setting = lookup.get(schema.normalise_name(key))
        if setting is not None and setting.name not in found:
            found[setting.name] = (int(row), value)
    return found


def language_code(value: object) -> str | None:
    """en / zh from a Settings `language` cell (en, English, 英文, zh, 中文, cn...), else None."""
    if is_blank(value):
        return None
    code = schema.normalise_token(value)
    if code in ("zh", "cn", "zh_cn", "中文", "chinese"):
        return schema.ZH
    if code in ("en", "english", "英文"):
        return schema.EN
    return None


def detect_language(
    tables: Mapping[str, Table], settings_rows: Mapping[str, tuple[int, object]]
) -> str:
    """Settings `language` if valid, else the language of the Process sheet's name."""
    wanted = language_code(settings_rows.get("language", (0, None))[1])
    if wanted is not None:
        return wanted
    for name in ("Process", "Cases", "Log"):
        table = tables.get(name)
        if table is not None:
            zh = schema.normalise_name(table.sheet.zh)
            return schema.ZH if schema.normalise_name(table.title) == zh else schema.EN
    return schema.EN


# The first header of each owned sheet as sheetflow writes it (en, zh): how a sheet of an older
# version (no ownership record) is told from a user's own sheet of the same name.
OWNED_FIRST_HEADERS: dict[str, tuple[str, ...]] = {
    # the dashboard's title line (this version), or the indicator table (earlier ones)
    "Summary": ("Process summary · as of ", "流程汇总 · 统计时点 ", "Indicator", "指标"),
    # the display label (this version: "Sheet", "Case"), or the SPEC code (earlier ones)
    "Validation": ("Sheet", "sheet", "工作表"),
    "Overdue": ("Case", "case_id", "编号"),
    "Routing": ("Case", "case_id", "编号"),
    "NodeStats": ("Node", "node", "节点"),
}


def _owned_sheets(
    raw: Mapping[str, Sequence[Sequence[object]]], ownership: Ownership
) -> tuple[dict[str, str], tuple[str, ...]]:
    """(canonical -> title of sheetflow's own sheets, titles of the user's look-alikes)."""
    owned: dict[str, str] = {}
    if ownership.recorded:
        owned = {name: title for name, title in ownership.sheets.items() if title in raw}
    mine = {title.casefold() for title in owned.values()}
    taken: list[str] = []
    for title, rows in raw.items():
        name = schema.output_sheet_for_title(title)
        if name is None or title.casefold() in mine:
            continue
        first = rows[0][0] if rows and rows[0] else None
        # an empty sheet (or one a door did not read) loses nothing when replaced: ours
        unread = first is None and not any(any(not is_blank(c) for c in r) for r in rows)
        text = str(first).strip()
        known = OWNED_FIRST_HEADERS[name]
        looks_ours = text in known or any(k.endswith(" ") and text.startswith(k) for k in known)
        legacy = not ownership.recorded and (unread or looks_ours)
        if legacy and name not in owned:
            owned[name] = title
        else:
            taken.append(title)
    return owned, tuple(taken)


def build_workbook(
    raw: Mapping[str, Sequence[Sequence[object]]],
    source: str = "",
    ownership: Ownership | None = None,
    cell_problems: bool | None = None,
    merges: Mapping[str, Sequence[Merge]] | None = None,
) -> Workbook:
    """Turn sheet title -> rows (anchored at A1) into a `Workbook`.

    raw: every sheet of the file in order; cells as read (str, float, int, bool, datetime, None,
    or a `CellProblem`).
    ownership: what the file records of sheetflow's earlier output (None: nothing recorded).
    cell_problems: whether the door put any `CellProblem` in (None: unknown).
    merges: title -> merged ranges (first row, first column, last row, last column; 0-based),
    where the door can tell; computed headers are placed clear of those on the header row.
    """
    ownership = ownership or Ownership()
    tables: dict[str, Table] = {}
    for title, rows in raw.items():
        sheet = schema.sheet_for_title(title)
        if sheet is None or sheet.name in tables:
            continue
        owned = ownership.columns.get(title, frozenset()) if ownership.recorded else None
        tables[sheet.name] = _table(sheet, title, rows, owned, (merges or {}).get(title, ()))
    settings_rows = _settings(tables.get("Settings"))
    language = detect_language(tables, settings_rows)
    owned_sheets, taken_titles = _owned_sheets(raw, ownership)
    return Workbook(
        tables,
        list(raw.keys()),
        language,
        source,
        settings_rows,
        owned_sheets,
        taken_titles,
        cell_problems,
    )


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
