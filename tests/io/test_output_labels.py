"""Every cell sheetflow writes reads in the workbook's language (issue #11): English workbooks show
display labels, never a SPEC code like `duration_h` or `done_late`; Chinese ones show no English
word of sheetflow's. The refreshed example books are read back with calamine, cell by cell: every
owned sheet whole, and the computed columns of Log and Cases. Data the user typed (names, titles,
emails, cell values quoted in a finding) is theirs and is set aside; so is Validation's `code`
column, which names SPEC §7's finding codes on purpose (they are what the README documents)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from sheetflow.cli import main
from sheetflow.core import i18n, schema
from tests.helpers import AS_OF

ROOT = Path(__file__).resolve().parents[2]
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _rows(book: CalamineWorkbook, title: str) -> list[list[object]]:
    return book.get_sheet_by_name(title).to_python(skip_empty_area=False)


def _user_texts(path: Path) -> set[str]:
    """Every text the user typed in the input sheets, and its words."""
    book = CalamineWorkbook.from_path(str(path))
    texts: set[str] = set()
    for title in book.sheet_names:
        for row in _rows(book, title):
            for value in row:
                if isinstance(value, str) and value.strip():
                    texts.add(value.strip())
                    texts.update(re.findall(r"[\w.@-]+", value))
    return texts


def output_cells(path: Path, lang: str):
    """(sheet, row, column, text) of every text cell sheetflow wrote."""
    book = CalamineWorkbook.from_path(str(path))
    owned = {schema.OUTPUT_SHEETS[n] if lang == "zh" else n for n in schema.OUTPUT_SHEETS}
    for title in book.sheet_names:
        rows = _rows(book, title)
        if title in owned:
            header = list(rows[0]) if rows else []
            validation = title in ("Validation", "校验结果")
            code = i18n.text("label.code", lang)
            code_col = header.index(code) if validation and code in header else -1
            for r, row in enumerate(rows, 1):
                for c, value in enumerate(row):
                    if isinstance(value, str) and not (r > 1 and c == code_col):
                        yield title, r, c + 1, value
            continue
        sheet = schema.sheet_for_title(title)
        if sheet is None or not sheet.outputs or not rows:
            continue
        headers = {col.label(lang) for col in sheet.outputs}
        for c, header in enumerate(rows[0]):
            if header in headers:
                for r, row in enumerate(rows, 1):
                    if c < len(row) and isinstance(row[c], str):
                        yield title, r, c + 1, row[c]


def _foreign(text: str, lang: str, user: set[str]) -> list[str]:
    if text.strip() in user:
        return []
    if lang == "en":
        found = SNAKE.findall(text) + CJK.findall(text)
    else:
        found = LATIN_WORD.findall(text)
    return [word for word in found if word not in user and not any(word in u for u in user)]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("process", ["complaints", "purchase", "contract"])
def test_every_output_cell_is_in_the_workbooks_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], process: str, lang: str
) -> None:
    source = ROOT / "workbooks" / f"{process}_{lang}.xlsx"
    book = Path(shutil.copy(source, tmp_path / source.name))
    assert main(["refresh", str(book), "--as-of", AS_OF, "-q"]) in (0, 1)
    capsys.readouterr()
    user = _user_texts(source)
    cells = list(output_cells(book, lang))
    assert len(cells) > 100  # the scan reached the owned sheets and the computed columns
    wrong = [(s, r, c, t) for s, r, c, t in cells if _foreign(t, lang, user)]
    assert wrong == []


def test_the_scan_catches_a_code_left_in_an_english_book(tmp_path: Path, capsys) -> None:
    """The check above can fail: a status written as its code is flagged."""
    book = Path(shutil.copy(ROOT / "workbooks" / "complaints_en.xlsx", tmp_path / "b.xlsx"))
    assert main(["refresh", str(book), "--as-of", AS_OF, "-q"]) in (0, 1)
    assert _foreign("done_late", "en", set()) == ["done_late"]
    assert _foreign("超时", "en", set()) == ["超时"]
    assert _foreign("At risk", "zh", set()) == ["At", "risk"]
    statuses = [t for s, _, _, t in output_cells(book, "en") if s == "Log"]
    assert {"Status", "Done late", "On track"} <= set(statuses)
