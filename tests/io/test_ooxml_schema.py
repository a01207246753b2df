"""Every sheet, drawing, chart and styles part sheetflow writes is valid ECMA-376 Transitional.

First the validator is shown to work: the parts XlsxWriter, openpyxl, LibreOffice and Excel
wrote in the corpus pass, and deliberately broken parts fail. Then the parts of each refreshed
corpus workbook that sheetflow owns are validated.
"""

from __future__ import annotations

import pytest

from tests.io import ooxml_schema
from tests.io.conftest import Corpus, corpus_params, has_inputs
from tests.io.package import Package, parts_owned
from tests.io.test_preservation import refreshed_ok

CORPUS = corpus_params()
# Root elements of the parts sheetflow writes: worksheet, styles, drawing, chart.
WRITTEN_ROOTS = {
    (ooxml_schema.SML, "worksheet"),
    (ooxml_schema.SML, "styleSheet"),
    (ooxml_schema.XDR, "wsDr"),
    (ooxml_schema.CHART, "chartSpace"),
}


def schema_parts(parts: dict[str, bytes], names: set[str] | None = None) -> dict[str, bytes]:
    """The worksheet, styles, drawing and chart parts among `names` (default: all)."""
    from lxml import etree

    found = {}
    for name, data in parts.items():
        if (names is not None and name not in names) or not name.endswith(".xml"):
            continue
        root = etree.fromstring(data)
        qname = etree.QName(root)
        if (qname.namespace, qname.localname) in WRITTEN_ROOTS:
            found[name] = data
    return found


def invalid(parts: dict[str, bytes]) -> dict[str, list[str]]:
    return {n: v[:5] for n, d in parts.items() if (v := ooxml_schema.violations(d))}


@pytest.mark.parametrize("name", CORPUS)
def test_the_corpus_parts_are_valid_as_their_producers_wrote_them(
    corpus: Corpus, name: str
) -> None:
    parts = schema_parts(Package.open(corpus.original(name)).parts)
    assert any(n.startswith("xl/worksheets/") for n in parts)
    assert invalid(parts) == {}


WORKSHEET = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    ' xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"{root}>'
    '<dimension ref="A1:B2"/>{before}<sheetData>'
    '<row r="1"{row}><c r="A1" t="inlineStr"><is><t xml:space="preserve"> id </t></is></c>'
    '<c r="B1"{cell}><v>1.5</v></c></row></sheetData>{after}</worksheet>'
)


def worksheet(
    root: str = "", before: str = "", row: str = "", cell: str = "", after: str = ""
) -> bytes:
    return WORKSHEET.format(root=root, before=before, row=row, cell=cell, after=after).encode()


IGNORABLE = ' mc:Ignorable="x14ac"'
ALTERNATE = (
    '<mc:AlternateContent><mc:Choice Requires="x14ac">{choice}</mc:Choice>'
    "<mc:Fallback>{fallback}</mc:Fallback></mc:AlternateContent>"
)
GOOD_COLS = '<cols><col min="1" max="1" width="12" customWidth="1"/></cols>'
BAD_COLS = '<cols><col min="1" max="1" width="wide"/></cols>'


@pytest.mark.parametrize(
    ("part", "valid"),
    [
        pytest.param(worksheet(), True, id="plain-sheet"),
        pytest.param(worksheet(after=GOOD_COLS), False, id="cols-after-sheetData"),
        pytest.param(worksheet(cell=' t="q"'), False, id="unknown-cell-type"),
        pytest.param(worksheet(before="<sheetPr/>"), False, id="sheetPr-after-dimension"),
        pytest.param(worksheet(after="<bogus/>"), False, id="unknown-element"),
        pytest.param(
            worksheet(row=' x14ac:dyDescent="0.25"'), False, id="extension-attr-undeclared"
        ),
        pytest.param(
            worksheet(root=IGNORABLE, row=' x14ac:dyDescent="0.25"'),
            True,
            id="extension-attr-ignorable",
        ),
        pytest.param(
            worksheet(root=IGNORABLE, before=ALTERNATE.format(choice=BAD_COLS, fallback=GOOD_COLS)),
            True,
            id="alternate-content-good-fallback",
        ),
        pytest.param(
            worksheet(root=IGNORABLE, before=ALTERNATE.format(choice=GOOD_COLS, fallback=BAD_COLS)),
            False,
            id="alternate-content-bad-fallback",
        ),
    ],
)
def test_the_validator_tells_valid_from_invalid_worksheets(part: bytes, valid: bool) -> None:
    assert (ooxml_schema.violations(part) == []) is valid


@pytest.mark.parametrize(
    ("part", "old", "new"),
    [
        pytest.param("xl/styles.xml", b"<fonts", b"<bogus/><fonts", id="styles-unknown-element"),
        pytest.param("xl/styles.xml", b'<cellXfs count="', b'<cellXfs count="-', id="styles-count"),
        pytest.param(
            "xl/drawings/drawing1.xml",
            b"<xdr:col>7<",
            b"<xdr:col>-7<",
            id="drawing-negative-column",
        ),
        pytest.param(
            "xl/charts/chart1.xml",
            b'<c:barDir val="col"/>',
            b'<c:barDir val="up"/>',
            id="chart-bar-direction",
        ),
        pytest.param(
            "xl/worksheets/sheet3.xml", b"<sheetData>", b"<sheetData><c/>", id="cell-outside-row"
        ),
    ],
)
def test_broken_parts_of_a_real_book_fail(
    corpus: Corpus, part: str, old: bytes, new: bytes
) -> None:
    data = Package.open(corpus.original("xlsxwriter-en.xlsx")).parts[part]
    assert old in data and ooxml_schema.violations(data) == []
    with pytest.raises(ooxml_schema.SchemaError, match=part):
        ooxml_schema.assert_valid(part, data.replace(old, new, 1))


@pytest.mark.parametrize("name", CORPUS)
def test_every_part_sheetflow_writes_is_valid(corpus: Corpus, name: str) -> None:
    before = Package.open(corpus.original(name))
    after = Package.open(refreshed_ok(corpus, name))
    written = schema_parts(after.parts, parts_owned(before, after))
    kinds = {n.split("/")[1] for n in written}
    expected = {"worksheets", "styles.xml"} | (
        {"drawings", "charts"} if has_inputs(name) else set()
    )
    assert expected <= kinds, sorted(written)  # Summary charts need data
    assert invalid(written) == {}
