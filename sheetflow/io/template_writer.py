"""Write the example workbooks of `sheetflow init` as real Excel files (openpyxl).

The rows come from `sheetflow.templates` (pure data); this module adds what makes a sheet pleasant
in Excel: styled, frozen header rows with filters, fitted column widths (CJK characters count
double), date/time and number formats, drop-down lists for enumerated and reference columns, and
a first "How to use" sheet.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sheetflow import holidays
from sheetflow.core import i18n, schema
from sheetflow.errors import WorkbookError
from sheetflow.io.safety import replace_atomically
from sheetflow.templates import (
    COMMAND,
    HEADING,
    LANGUAGES,
    PARAGRAPH,
    TEMPLATES,
    Template,
    TemplateSheet,
    build_template,
)

LAST_ROW = 5000  # drop-downs and formats reach this row, so rows typed later get them too
PROCESS_NODES_LAST_ROW = 200
PEOPLE_LAST_ROW = 500

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
HOURS_FORMAT = "0.0#"
AMOUNT_FORMAT = "#,##0.00"
RATIO_FORMAT = "0%"
INT_FORMAT = "0"

_REQUIRED_FILL = PatternFill("solid", fgColor="9BC2E6")
_OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
_EXTRA_FILL = PatternFill("solid", fgColor="E7E6E6")
_SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_FONT = Font(bold=True)
_HEADER_BORDER = Border(bottom=Side(style="thin", color="808080"))
_TOP_WRAP = Alignment(vertical="top", wrap_text=True)
_CODE_FONT = Font(name="Consolas")
# Dates centred and numbers kept off the right edge, so neither runs into the next column's text.
_DATE_ALIGN = Alignment(horizontal="center")
_NUMBER_ALIGN = Alignment(horizontal="right", indent=1)
_LEFT = Alignment(horizontal="left")

_MIN_WIDTH = 6
_MAX_WIDTH = 60
_FILTER_BUTTON = 3  # characters the header's filter arrow takes

# Where to find the values a reference column must name: (sheet, column) per (sheet, column).
_REFERENCES: dict[tuple[str, str], tuple[str, str, int]] = {
    ("Log", "node"): ("Process", "node", PROCESS_NODES_LAST_ROW),
    ("SLA", "node"): ("Process", "node", PROCESS_NODES_LAST_ROW),
    ("Exceptions", "node"): ("Process", "node", PROCESS_NODES_LAST_ROW),
    ("Log", "assignee"): ("People", "name", PEOPLE_LAST_ROW),
    ("People", "manager"): ("People", "name", PEOPLE_LAST_ROW),
    ("People", "deputy"): ("People", "name", PEOPLE_LAST_ROW),
    ("Exceptions", "approved_by"): ("People", "name", PEOPLE_LAST_ROW),
    ("Rules", "approver"): ("People", "name", PEOPLE_LAST_ROW),
}


def write_template(
    path: Path,
    template: str,
    lang: str,
    overwrite: bool = False,
    calendar_years: Sequence[int] = (),
    calendar_country: str = "CN",
) -> None:
    """Write the example workbook `template` in language `lang` to `path` (an .xlsx file).

    path: the new file; its folder is created if missing. Written to a temporary file beside it,
    then moved into place, so a failure never leaves half a file.
    template: "complaints", "purchase" or "contract"; lang: "en" or "zh" (ValueError otherwise).
    overwrite: replace an existing file; without it an existing file raises FileExistsError.
    calendar_years, calendar_country: also fill the Calendar sheet with these years' official
    holidays and make-up workdays (`init --calendar CN`), besides the example data's year.
    """
    book = build_template(template, lang)
    if calendar_years:
        book = with_official_calendar(book, calendar_years, calendar_country)
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: the template is an Excel workbook; give a name ending in .xlsx")
    if path.is_dir():
        raise FileExistsError(f"{path} is a folder; give the path of the new .xlsx file")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; choose another name or remove it first")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkbookError(
            f"cannot create the folder {path.parent}: {exc.strerror or exc}"
        ) from exc
    workbook = build_workbook(book)
    replace_atomically(path, workbook.save)


def with_official_calendar(book: Template, years: Sequence[int], country: str) -> Template:
    """The template with `years` of `country`'s official calendar added to its Calendar rows."""
    sheets = []
    for sheet in book.sheets:
        if sheet.sheet.name == "Calendar":
            have = [row[0] for row in sheet.rows]
            official = holidays.official_days(years, country, book.lang)
            fill = holidays.merge(official, have, years, book.lang)
            added = tuple(
                (day.date, schema.DAY_KIND.label(day.kind, book.lang), day.name)
                for day in fill.rows
            )
            sheet = replace(sheet, rows=tuple(sorted(sheet.rows + added, key=lambda r: r[0])))
        sheets.append(sheet)
    return replace(book, sheets=tuple(sheets))


def committed_name(template: str, lang: str) -> str:
    """File name of a committed template workbook: complaints_zh.xlsx."""
    return f"{template}_{lang}.xlsx"


def regenerate_committed(folder: Path | str) -> list[Path]:
    """Write every template in every language into `folder` (replacing), for `make templates`."""
    folder = Path(folder)
    written = []
    for template in TEMPLATES:
        for lang in LANGUAGES:
            target = folder / committed_name(template, lang)
            write_template(target, template, lang, overwrite=True)
            written.append(target)
    return written


# ----------------------------------------------------------------------------------------------
# Building the openpyxl workbook


def build_workbook(book: Template) -> Workbook:
    """The openpyxl workbook for a template: the guide sheet, then the input sheets."""
    wb = Workbook()
    guide = wb.active
    guide.title = book.guide_title
    _write_guide(guide, book)
    positions = {sheet.sheet.name: sheet for sheet in book.sheets}
    for sheet in book.sheets:
        ws = wb.create_sheet(sheet.title)
        _write_sheet(ws, sheet, book.lang, positions)
    wb.active = 0
    wb.properties.title = book.title
    wb.properties.creator = "sheetflow"
    wb.properties.subject = book.title
    wb.properties.language = _DOCUMENT_LANGUAGE.get(book.lang, "en")
    return wb


def display_width(value: object, number_format: str | None = None) -> int:
    """Characters a cell's text takes on screen; wide (CJK) characters count double.

    number_format: the cell's format, for numbers shown with decimals or thousands separators.
    """
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len("2024-10-09 16:00")
    if isinstance(value, date):
        return len("2024-10-09")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if number_format == AMOUNT_FORMAT:
            text = f"{value:,.2f}"
        elif number_format == RATIO_FORMAT:
            text = f"{value:.0%}"
        elif number_format == HOURS_FORMAT:
            text = f"{value:.2f}"
        else:
            text = f"{value:,}"
        return len(text) + 2  # the indent that keeps numbers off the next column
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(value))


def _number_format(column: schema.Column | None) -> str | None:
    if column is None:
        return None
    if column.kind == schema.DATETIME:
        return DATETIME_FORMAT
    if column.kind == schema.DATE:
        return DATE_FORMAT
    if column.kind == schema.INT:
        return INT_FORMAT
    if column.name == "amount":
        return AMOUNT_FORMAT
    if column.name == "warn_ratio":
        return RATIO_FORMAT
    if column.kind == schema.NUMBER:
        return HOURS_FORMAT  # sla_hours, extend_hours
    return None


def _header_fill(column: schema.Column | None) -> PatternFill:
    if column is None:
        return _EXTRA_FILL
    return _REQUIRED_FILL if column.required else _OPTIONAL_FILL


def _write_sheet(
    ws: Worksheet, sheet: TemplateSheet, lang: str, sheets: dict[str, TemplateSheet]
) -> None:
    ws.append(list(sheet.header))
    for row in sheet.rows:
        ws.append(list(row))
    last = len(sheet.rows) + 1
    line_height = _line_height(lang)
    row_lines = [1] * (last + 1)  # wrapped lines per Excel row (index = row number)
    for index, (label, column) in enumerate(zip(sheet.header, sheet.columns, strict=True), start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index)
        cell.font = _HEADER_FONT
        cell.fill = _header_fill(column)
        cell.border = _HEADER_BORDER
        cell.alignment = Alignment(vertical="center")
        fmt = _number_format(column)
        align = _column_alignment(sheet, column, fmt)
        if fmt is not None:
            ws.column_dimensions[letter].number_format = fmt  # the column's style: rows typed later
        if align is not None:
            ws.column_dimensions[letter].alignment = align
        for (data_cell,) in ws.iter_rows(min_row=2, max_row=last, min_col=index, max_col=index):
            if fmt is not None:
                data_cell.number_format = fmt
            if align is not None:
                data_cell.alignment = align
        widths = [display_width(row[index - 1], fmt) for row in sheet.rows]
        widest = max([display_width(label) + _FILTER_BUTTON, *widths])
        width = min(_MAX_WIDTH, max(_MIN_WIDTH, widest + 2))
        ws.column_dimensions[letter].width = width
        if widest + 2 > _MAX_WIDTH:  # long notes wrap instead of running off the sheet
            for number, row in enumerate(sheet.rows, start=2):
                ws.cell(row=number, column=index).alignment = _TOP_WRAP
                text = "" if row[index - 1] is None else str(row[index - 1])
                row_lines[number] = max(row_lines[number], _lines_needed(text, width))
    for number in range(2, last + 1):
        if row_lines[number] > 1:  # Excel does not grow a row for wrapped text by itself
            ws.row_dimensions[number].height = line_height * row_lines[number] + 3
            for cell in ws[number]:  # the whole row reads from the top, like the wrapped note
                old = cell.alignment
                cell.alignment = Alignment(
                    horizontal=old.horizontal,
                    indent=old.indent,
                    wrap_text=old.wrap_text,
                    vertical="top",
                )
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.header))}{last}"
    for validation in _validations(sheet, lang, sheets):
        ws.add_data_validation(validation)
    _print_setup(ws)


def _column_alignment(
    sheet: TemplateSheet, column: schema.Column | None, fmt: str | None
) -> Alignment | None:
    if sheet.sheet.name == "Settings" and column is not None and column.name == "value":
        return _LEFT  # a mix of words and numbers: all read from the left
    if fmt in (DATETIME_FORMAT, DATE_FORMAT):
        return _DATE_ALIGN
    if fmt is not None and fmt != INT_FORMAT:
        return _NUMBER_ALIGN
    return None


# the workbook's language property, per language of its words
_DOCUMENT_LANGUAGE = {schema.EN: "en", schema.ZH: "zh-CN"}
# points per line of 11-point text; CJK glyphs need a little more
_LINE_HEIGHTS = {schema.EN: 15, schema.ZH: 17}


def _line_height(lang: str) -> float:
    """Points per line of 11-point text in a book of `lang`."""
    return _LINE_HEIGHTS.get(lang, _LINE_HEIGHTS[schema.EN])


def _list_validation(formula: str, choices: str, lang: str) -> DataValidation:
    # A warning, not a stop: the reader also accepts other spellings (yes/y, English in a
    # Chinese book), so a user may keep one after being told.
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=i18n.text("template.validation.not_in_list", lang),
        error=i18n.text("template.validation.pick_one", lang, choices=choices),
    )


def _choices_validation(labels: Sequence[str], lang: str) -> DataValidation:
    """A drop-down of `labels`, listed in the error message in the reader's language."""
    listed = i18n.text("list_separator", lang).join(labels)
    return _list_validation('"' + ",".join(labels) + '"', listed, lang)


def _column_range(index: int, last_row: int = LAST_ROW) -> str:
    letter = get_column_letter(index)
    return f"{letter}2:{letter}{last_row}"


def _validations(
    sheet: TemplateSheet, lang: str, sheets: dict[str, TemplateSheet]
) -> list[DataValidation]:
    found: list[DataValidation] = []
    for index, column in enumerate(sheet.columns, start=1):
        if column is None:
            continue
        if column.enum is not None:
            labels = [column.enum.label(code, lang) for code in column.enum.codes]
            validation = _choices_validation(labels, lang)
        elif (sheet.sheet.name, column.name) in _REFERENCES:
            target_name, target_column, last_row = _REFERENCES[(sheet.sheet.name, column.name)]
            target = sheets[target_name]
            position = [c.name if c else None for c in target.columns].index(target_column)
            letter = get_column_letter(position + 1)
            source = f"{_quoted_sheet(target.title)}!${letter}$2:${letter}${last_row}"
            label = target.header[position]
            choices = i18n.text(
                "template.validation.from_sheet", lang, label=label, sheet=target.title
            )
            validation = _list_validation(source, choices, lang)
        elif column.name in ("sla_hours", "warn_ratio"):
            validation = _number_validation(column.name, lang)
        else:
            continue
        validation.add(_column_range(index))
        found.append(validation)
    if sheet.sheet.name == "Settings":
        found += _settings_validations(sheet, lang)
    return found


def _quoted_sheet(title: str) -> str:
    """A sheet name for a formula, always in quotes (CJK and spaces are then safe)."""
    quoted = quote_sheetname(title)
    return quoted if quoted.startswith("'") else f"'{title}'"


def _number_validation(name: str, lang: str) -> DataValidation:
    if name == "warn_ratio":
        validation = DataValidation(
            type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True
        )
        message = i18n.text("template.validation.share", lang)
    else:
        validation = DataValidation(
            type="decimal", operator="greaterThan", formula1="0", allow_blank=True
        )
        message = i18n.text("template.validation.hours", lang)
    validation.showErrorMessage = True
    validation.errorStyle = "stop"
    validation.errorTitle = i18n.text("template.validation.not_a_number", lang)
    validation.error = message
    return validation


def _settings_validations(sheet: TemplateSheet, lang: str) -> list[DataValidation]:
    """Drop-downs on the Settings value cells that take one of a few words."""
    choices = {
        "case_clock": [schema.CLOCK.label(code, lang) for code in schema.CLOCK.codes],
        "hit_policy": list(schema.HIT_POLICY.codes),
        "language": list(LANGUAGES),
    }
    lookup = schema.setting_lookup()
    found = []
    for row_number, row in enumerate(sheet.rows, start=2):
        setting = lookup.get(schema.normalise_name(row[0]))
        if setting is None or setting.name not in choices:
            continue
        validation = _choices_validation(choices[setting.name], lang)
        validation.add(f"B{row_number}")
        found.append(validation)
    return found


# ----------------------------------------------------------------------------------------------
# The "How to use" sheet

_GUIDE_KEY_WIDTH = 24
_GUIDE_TEXT_WIDTH = 90


def _lines_needed(text: str, width: int) -> int:
    """Wrapped lines a text needs in a column `width` characters wide (a generous estimate:
    fonts differ, and a cut-off line is worse than a little space)."""
    usable = max(1, int((width - 2) * 0.85))
    return sum(max(1, -(-display_width(part) // usable)) for part in text.split("\n"))


def _write_guide(ws: Worksheet, book: Template) -> None:
    ws.column_dimensions["A"].width = _GUIDE_KEY_WIDTH
    ws.column_dimensions["B"].width = _GUIDE_TEXT_WIDTH
    line_height = _line_height(book.lang)
    title = ws.cell(row=1, column=1, value=book.title)
    title.font = Font(bold=True, size=14)
    ws.row_dimensions[1].height = 24
    row = 2
    previous = PARAGRAPH
    for line in book.guide:
        row += 1
        if line.kind == PARAGRAPH and previous != PARAGRAPH:
            row += 1  # a blank line after a table
        previous = line.kind
        if line.kind == PARAGRAPH:
            # Merged cells are never auto-fitted by Excel: the row height is set below.
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
            cell = ws.cell(row=row, column=1, value=line.text)
            cell.alignment = _TOP_WRAP
            lines = _lines_needed(line.text, _GUIDE_KEY_WIDTH + _GUIDE_TEXT_WIDTH)
        elif line.kind == HEADING:
            row += 1  # a blank line before each table
            for column, value in ((1, line.key), (2, line.text)):
                cell = ws.cell(row=row, column=column, value=value)
                cell.font = _HEADER_FONT
                cell.fill = _SECTION_FILL
                cell.border = _HEADER_BORDER
            lines = 1
        else:
            key = ws.cell(row=row, column=1, value=line.key)
            key.alignment = _TOP_WRAP
            key.font = _HEADER_FONT
            text = ws.cell(row=row, column=2, value=line.text)
            text.alignment = _TOP_WRAP
            if line.kind == COMMAND:
                text.font = _CODE_FONT
            lines = max(
                _lines_needed(line.key, _GUIDE_KEY_WIDTH),
                _lines_needed(line.text, _GUIDE_TEXT_WIDTH),
            )
        ws.row_dimensions[row].height = line_height * lines + 3
    _print_setup(ws, landscape=False)


def _print_setup(ws: Worksheet, landscape: bool = True) -> None:
    """Print one page wide (as many pages long as needed), header row on every page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if landscape:
        ws.print_title_rows = "1:1"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m sheetflow.io.template_writer [FOLDER]`: regenerate the committed templates."""
    args = list(sys.argv[1:] if argv is None else argv)
    folder = Path(args[0]) if args else Path("workbooks")
    for path in regenerate_committed(folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
