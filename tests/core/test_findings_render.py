"""Findings of real workbooks re-rendered in the other language: every word of a rendering comes
from the workbook (names, cell texts) or from the catalog text of that language, never from the
other language's catalog (a finding keeps references, not words, until it is read)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sheetflow.core import i18n, schema
from sheetflow.core.findings import EnumLabel, Finding, Join, Label, Msg, render
from sheetflow.core.workbook import Workbook, build_workbook
from sheetflow.io.xlsx import read_workbook
from sheetflow.pipeline import compute
from tests.core.test_validate import MUTATIONS, to_zh
from tests.helpers import AS_OF, clean_sheets

AS_OF_TS = pd.Timestamp(AS_OF)
TEMPLATES = Path(__file__).resolve().parents[2] / "workbooks"

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u3400-\u9fff]")


def _walk(value: object, keys: set[str], leaves: set[str]) -> None:
    """The catalog keys a finding's parameters reference, and their plain data (the leaves)."""
    if isinstance(value, Msg):
        keys.add(value.key)
        for param in value.params.values():
            _walk(param, keys, leaves)
    elif isinstance(value, Join):
        _walk(value.separator, keys, leaves)
        _walk(value.items, keys, leaves)
    elif isinstance(value, tuple):
        for part in value:
            _walk(part, keys, leaves)
    elif isinstance(value, (Label, EnumLabel)):
        return  # a schema name, worded in the reader's language by construction
    elif value is not None:
        leaves.add(str(value))


def references(finding: Finding) -> tuple[set[str], set[str]]:
    keys, leaves = {finding.key}, set()
    if finding.hints:
        keys.add("core.separator")
    _walk(tuple(finding.params.values()), keys, leaves)
    _walk(finding.hints, keys, leaves)
    return keys, leaves


def book_words(book: Workbook) -> tuple[set[str], set[str]]:
    """Latin words and Chinese characters written in the input sheets (titles, headers, cells)."""
    text = []
    for table in book.tables.values():
        text.append(table.title)
        text.extend(ref.header for ref in table.columns.values())
        text.extend(str(v) for v in table.frame.to_numpy(dtype=object).ravel() if v is not None)
    joined = "\n".join(text)
    return set(LATIN_WORD.findall(joined)), set(CJK.findall(joined))


def foreign(text: str, lang: str) -> set[str]:
    """Words of the other language: Latin words in Chinese, Chinese characters in English."""
    return set(LATIN_WORD.findall(text)) if lang == i18n.ZH else set(CJK.findall(text))


def assert_worded_in(finding: Finding, lang: str, book: Workbook) -> None:
    """Every foreign word of the rendering is book data or in the catalog's own `lang` text."""
    keys, leaves = references(finding)
    latin, chinese = book_words(book)
    for leaf in leaves:  # plain parameters are data from the book, not pre-rendered catalog text
        stray = set(LATIN_WORD.findall(leaf)) - latin | set(CJK.findall(leaf)) - chinese
        assert not stray, f"{finding.code}: parameter {leaf!r} is not workbook data ({stray})"
    text = render(finding, lang)
    for data in sorted(leaves | {str(finding.value)}, key=len, reverse=True):
        text = text.replace(data, " ")
    catalog = set().union(*(foreign(i18n.catalog()[key][lang], lang) for key in keys))
    left = foreign(text, lang) - catalog
    assert not left, f"{finding.code} in {lang}: {left} in {render(finding, lang)!r}"


def findings_of_sheets(sheets: dict[str, list[list[object]]]) -> tuple[Workbook, list[Finding]]:
    book = build_workbook(sheets)
    return book, compute(book, AS_OF_TS).findings


@pytest.mark.parametrize(("mutate", "expected"), MUTATIONS)
@pytest.mark.parametrize("book_lang", [schema.EN, schema.ZH])
def test_each_finding_of_a_mutated_book_renders_in_both_languages(mutate, expected, book_lang):
    sheets = clean_sheets()
    mutate(sheets)
    book, found = findings_of_sheets(sheets if book_lang == schema.EN else to_zh(sheets))
    assert book.language == book_lang
    assert [f.code for f in found] == [code for code, _, _ in expected]
    for finding in found:
        assert render(finding, book_lang) == finding.message  # the book's words, as before
        assert finding.to_json()["message"] == finding.message
        for lang in i18n.LANGUAGES:
            assert_worded_in(finding, lang, book)
        assert render(finding, schema.EN) != render(finding, schema.ZH)


def _edit(sheet, column: str, row: int, value: object) -> None:
    """Set a cell of an openpyxl sheet by header name and Excel row."""
    headers = [cell.value for cell in sheet[1]]
    sheet.cell(row=row, column=headers.index(column) + 1, value=value)


def test_findings_of_a_template_workbook_render_in_zh_and_en(tmp_path):
    """The complaints template with typical slips: each finding worded in both languages."""
    path = shutil.copy(TEMPLATES / "complaints_en.xlsx", tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    _edit(wb["Log"], "node", 3, "Clasify and grade")  # misspelt: did you mean
    _edit(wb["Log"], "start", 4, "yesterday")
    _edit(wb["Log"], "case_id", 5, "CP-999")
    _edit(wb["Cases"], "priority", 2, "very urgent")
    _edit(wb["Cases"], "amount", 3, "a lot")
    _edit(wb["People"], "manager", 2, "Liu Yng")
    _edit(wb["Process"], "sla_hours", 3, -1)
    _edit(wb["Rules"], "amount", 3, "> 5000 and more")  # not a FEEL test
    _edit(wb["Rules"], "approver", 2, "Sun Lee")
    keys = [row[0].value for row in wb["Settings"].iter_rows()]
    wb["Settings"].cell(
        row=keys.index("weekend") + 1, column=2, value="Mon,Tue,Wed,Thu,Fri,Sat,Sun"
    )
    wb.save(path)
    book = read_workbook(path)
    found = compute(book, AS_OF_TS).findings
    codes = {f.code for f in found}
    assert {"unknown_node", "bad_date", "unknown_case", "bad_value", "bad_number"} <= codes
    assert "unknown_person" in codes
    assert any(f.cell == "Settings!B3" for f in found)  # no working day left
    assert any(f.hints for f in found)  # a "did you mean" is among them
    for finding in found:
        for lang in i18n.LANGUAGES:
            assert_worded_in(finding, lang, book)
    zh = [render(f, schema.ZH) for f in found]
    assert any("是否应为“Classify and grade”" in text for text in zh)
    assert any("不是允许的值，可选：普通, 紧急, 特急" == text for text in zh)
