"""Example workbooks for `sheetflow init`, kept as data files in this package.

Pure data, no openpyxl: `build_template(name, lang)` gives the sheet titles, the header (schema
labels in the book's language) and the rows; `sheetflow.io.template_writer` makes the .xlsx file.

Files: `<template>/<Sheet>.csv` (one per input sheet; the Calendar is China's official
calendar of the example years, from `sheetflow.holidays`), `<template>/template.toml` (title,
summary) and
`guide.en.md` / `guide.zh.md` (the "How to use" sheet). A CSV header names a schema column
(`node`), or an extra column by its labels (`channel|渠道`); `:en` / `:zh` mark a column whose
values differ by language, otherwise the value is the same in both (enum columns hold codes).
Columns named `expect_*` are not written: they hold each example row's expected outcome at
EXAMPLE_AS_OF (and `expect_why`, the hand-worked reasoning), for the tests.

The examples are built around EXAMPLE_AS_OF, Wednesday 9 Oct 2024 16:00, the day after the 2024
National Day holiday, with business hours 09:00-12:00,13:00-18:00 (8 h a working day).
"""

from __future__ import annotations

import csv
import functools
import io
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import NamedTuple

from sheetflow.core import i18n, schema

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TEMPLATES: tuple[str, ...] = ("complaints", "purchase", "contract")
LANGUAGES: tuple[str, ...] = schema.LANGUAGES

# The fixed "now" the example rows are built around (the demo runs with --as-of 2024-10-09T16:00).
EXAMPLE_AS_OF = datetime(2024, 10, 9, 16, 0)
EXAMPLE_AS_OF_TEXT = "2024-10-09T16:00"

EXPECT = "expect_"  # columns of expected outcomes, read by the tests, never written


@dataclass(frozen=True)
class TemplateSheet:
    """One sheet of a template book, ready to write.

    columns: the schema column of each header cell, None for an extra column (e.g. `channel`,
    a Rules input, the Settings description); the writer picks formats and drop-downs from it.
    """

    sheet: schema.Sheet
    title: str
    header: tuple[str, ...]
    columns: tuple[schema.Column | None, ...]
    rows: tuple[tuple[object, ...], ...]


PARAGRAPH = "paragraph"  # text across the whole width
HEADING = "heading"  # the header row of a two-column table
ENTRY = "entry"  # a row of such a table: a name and what it means
COMMAND = "command"  # a row whose text is a command line


class GuideLine(NamedTuple):
    """One line of the guide sheet: PARAGRAPH, HEADING, ENTRY or COMMAND, its key, its text."""

    kind: str
    key: str
    text: str


@dataclass(frozen=True)
class Template:
    name: str
    lang: str
    title: str  # workbook title (document properties)
    sheets: tuple[TemplateSheet, ...]  # the input sheets of SPEC §1, in SPEC order
    guide_title: str  # the "How to use" sheet
    guide: tuple[GuideLine, ...]  # its rows, top to bottom


_INPUT_SHEETS = (
    schema.PROCESS,
    schema.CASES,
    schema.LOG,
    schema.PEOPLE,
    schema.RULES,
    schema.CALENDAR,
    schema.SLA,
    schema.EXCEPTIONS,
    schema.SETTINGS,
)
_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+\.\d*(?:e-?\d+)?|-?\d+e-?\d+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _value(text: str) -> object:
    """A CSV cell as the value the workbook holds: None, int, float, date, datetime or text."""
    if text == "":
        return None
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _DAY.fullmatch(text):
        return date.fromisoformat(text)
    if _INSTANT.fullmatch(text):
        return datetime.strptime(text, "%Y-%m-%d %H:%M")
    return text


def _file(*parts: str) -> str:
    entry = resources.files(__name__)
    for part in parts:
        entry = entry / part
    return entry.read_text(encoding="utf-8")


@functools.cache
def _records(template: str, sheet: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The CSV header and rows of one sheet of a template, as text."""
    if sheet == "Calendar":
        return _calendar_records(template)
    header, *rows = csv.reader(io.StringIO(_file(template, sheet + ".csv")))
    return tuple(header), tuple(tuple(r) for r in rows)


def _calendar_records(
    template: str,
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """China's official calendar (sheetflow.holidays) for every year the example Log is in."""
    from sheetflow.holidays import template_rows

    _, log = _records(template, "Log")
    years = sorted({int(t[:4]) for row in log for t in row if _INSTANT.fullmatch(t)})
    en, zh = template_rows(years, "en"), template_rows(years, "zh")
    rows = tuple(
        (day.isoformat(), kind, name_en, name_zh)
        for (day, kind, name_en), (_, _, name_zh) in zip(en, zh, strict=True)
    )
    return ("date", "kind", "name:en", "name:zh"), rows


@dataclass(frozen=True)
class _Column:
    key: str  # a schema column name or "en label|zh label"
    column: schema.Column | None
    positions: dict[str, int]  # language -> CSV position ("" when the same in both)

    def label(self, lang: str) -> str:
        if self.column is not None:
            return self.column.label(lang)
        return dict(zip(LANGUAGES, self.key.split("|"), strict=True))[lang]

    def cell(self, row: tuple[str, ...], lang: str) -> object:
        value = _value(row[self.positions.get(lang, self.positions.get("", -1))])
        enum = self.column.enum if self.column is not None else None
        if enum is not None and "" in self.positions and isinstance(value, str):
            return enum.label(value, lang)
        return value


def _columns(sheet: schema.Sheet, header: tuple[str, ...]) -> list[_Column]:
    """The sheet's columns, in order, from a CSV header (`key`, `key:en` / `key:zh`)."""
    columns: dict[str, _Column] = {}
    for position, name in enumerate(header):
        if name.startswith(EXPECT):
            continue
        key, _, lang = name.partition(":")
        if key not in columns:
            column = None if "|" in key else sheet.column(key)
            columns[key] = _Column(key, column, {})
        columns[key].positions[lang] = position
    return list(columns.values())


def _sheet(template: str, sheet: schema.Sheet, lang: str) -> TemplateSheet:
    header, rows = _records(template, sheet.name)
    columns = _columns(sheet, header)
    return TemplateSheet(
        sheet,
        sheet.label(lang),
        tuple(c.label(lang) for c in columns),
        tuple(c.column for c in columns),
        tuple(tuple(c.cell(row, lang) for c in columns) for row in rows),
    )


def expected(template: str, sheet: str) -> list[dict[str, object]]:
    """The `expect_*` columns of a template's sheet, one dict per example row (keys without
    the prefix): e.g. Log's status and overdue_h at EXAMPLE_AS_OF, Cases' outcome."""
    header, rows = _records(template, sheet)
    wanted = [(i, name[len(EXPECT) :]) for i, name in enumerate(header) if name.startswith(EXPECT)]
    return [{key: _value(row[i]) for i, key in wanted} for row in rows]


# --------------------------------------------------------------------------- the guide


def _guide_values(template: str, lang: str) -> dict[str, str]:
    """What the guide's `{placeholders}` stand for in `lang`."""
    sep = i18n.text("list_separator", lang)
    about = tomllib.loads(_file(template, "template.toml"))
    values = {sheet.name: sheet.label(lang) for sheet in _INPUT_SHEETS}
    values.update(
        summary=about["summary"][lang],
        as_of=EXAMPLE_AS_OF_TEXT,
        log_outputs=sep.join(col.label(lang) for col in schema.LOG.outputs),
        cases_outputs=sep.join(col.label(lang) for col in schema.CASES.outputs),
        output_sheets=sep.join(
            dict(zip(LANGUAGES, names, strict=True))[lang] for names in schema.OUTPUT_SHEETS.items()
        ),
    )
    return values


def _guide_block(block: list[str], values: dict[str, str]) -> list[GuideLine]:
    """A paragraph, or a two-column table: its header row, entries, and `command` rows."""
    if not block[0].startswith("|"):
        return [GuideLine(PARAGRAPH, "", " ".join(block).format_map(values))]
    lines = []
    for number, row in enumerate(block):
        if number == 1:
            continue  # | --- | --- |
        key, text = (cell.strip().format_map(values) for cell in row.strip().strip("|").split("|"))
        if number == 0:
            lines.append(GuideLine(HEADING, key, text))
        elif text.startswith("`") and text.endswith("`"):
            lines.append(GuideLine(COMMAND, key, text[1:-1]))
        else:
            lines.append(GuideLine(ENTRY, key, text))
    return lines


def _guide(template: str, lang: str) -> tuple[str, tuple[GuideLine, ...]]:
    """The guide's title and its lines, from `guide.<lang>.md`."""
    title, *body = _file(f"guide.{lang}.md").splitlines()
    values = _guide_values(template, lang)
    lines: list[GuideLine] = []
    block: list[str] = []
    for text in [*body, ""]:
        if text.strip():
            block.append(text)
        elif block:
            lines += _guide_block(block, values)
            block = []
    return title.lstrip("# ").strip(), tuple(lines)


def build_template(name: str, lang: str) -> Template:
    """The example workbook `name` in language `lang`, as plain values.

    name: one of TEMPLATES; lang: "en" or "zh". Raises ValueError for anything else.
    """
    if name not in TEMPLATES:
        raise ValueError(f"unknown template {name!r}; choose one of: {', '.join(TEMPLATES)}")
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}")
    about = tomllib.loads(_file(name, "template.toml"))
    sheets = tuple(_sheet(name, sheet, lang) for sheet in _INPUT_SHEETS)
    guide_title, guide = _guide(name, lang)
    return Template(name, lang, f"{about['title'][lang]} — sheetflow", sheets, guide_title, guide)
