"""safety: lock files, atomic replace, and what openpyxl keeps or drops (each claim proved here).

Every fixture is a real package: written by openpyxl, then edited as a zip to add the part an
Excel user would have (a text box, a threaded comment...). Each "proof" test loads and saves the
file with openpyxl, the way the writer does, and looks at what came out.
"""

from __future__ import annotations

import base64
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import PILImage
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

from sheetflow.errors import LockedError, WorkbookError
from sheetflow.io import safety
from sheetflow.io.safety import (
    backup_path,
    check_not_locked,
    replace_atomically,
    unsupported_parts,
)

SHEET = "xl/worksheets/sheet1.xml"
SHEET_RELS = "xl/worksheets/_rels/sheet1.xml.rels"
DRAWING = "xl/drawings/drawing1.xml"
DRAWING_RELS = "xl/drawings/_rels/drawing1.xml.rels"
XDR = (
    'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
ANCHOR_FROM = (
    "<xdr:from><xdr:col>8</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>"
    "<xdr:rowOff>0</xdr:rowOff></xdr:from>"
)
TEXT_BOX = (
    f"<xdr:oneCellAnchor {XDR}>{ANCHOR_FROM}"
    '<xdr:ext cx="1000000" cy="500000"/><xdr:sp macro="" textlink=""><xdr:nvSpPr>'
    '<xdr:cNvPr id="3" name="TextBox 2"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr><xdr:spPr>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr><xdr:txBody><a:bodyPr/><a:p>'
    "<a:r><a:t>How to fill this in</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/>"
    "</xdr:oneCellAnchor>"
)
PICTURE = (
    f"<xdr:oneCellAnchor {XDR}>{ANCHOR_FROM}"
    '<xdr:ext cx="100000" cy="100000"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="4" name="Logo"/>'
    '<xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rIdLogo"/><a:stretch>'
    '<a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:prstGeom prst="rect"><a:avLst/>'
    "</a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor>"
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
X14 = 'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"'
XM = 'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"'
LIST_FROM_OTHER_SHEET = (
    f'<extLst><ext uri="{{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}}" {X14}>'
    f'<x14:dataValidations count="1" {XM}><x14:dataValidation type="list" allowBlank="1">'
    "<x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>C1:C10</xm:sqref>"
    "</x14:dataValidation></x14:dataValidations></ext></extLst>"
)
SPARKLINES = (
    f'<extLst><ext uri="{{05C60535-1F16-4FD2-B633-F4F36F0B64E0}}" {X14}>'
    f"<x14:sparklineGroups {XM}><x14:sparklineGroup><x14:sparklines><x14:sparkline>"
    "<xm:f>Data!B1:B4</xm:f><xm:sqref>C1</xm:sqref></x14:sparkline></x14:sparklines>"
    "</x14:sparklineGroup></x14:sparklineGroups></ext></extLst>"
)
THREADED = (
    '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
    'threadedcomments"><threadedComment ref="A1" dT="2024-05-01T09:00:00.00" '
    'personId="{00000000-0000-0000-0000-000000000001}" '
    'id="{00000000-0000-0000-0000-000000000002}"><text>Is this right?</text>'
    "</threadedComment></ThreadedComments>"
)
CONTROLS = (
    '<controls><control shapeId="1025" r:id="rIdCtrl" name="Button 1" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></controls>'
)


def rewrite_zip(path: Path, edit=None, extra: dict[str, bytes | str] | None = None) -> None:
    """Rewrite a package: edit(name, data) -> data for every part, then add `extra` parts."""
    with zipfile.ZipFile(path) as old:
        parts = [(name, old.read(name)) for name in old.namelist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts:
            new.writestr(name, edit(name, data) if edit else data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)


def insert(part: str, before: bytes, text: str):
    """An `edit` that puts `text` in front of `before` in one part."""

    def edit(name: str, data: bytes) -> bytes:
        return data.replace(before, text.encode() + before, 1) if name == part else data

    return edit


def add_rel(rel_type: str, target: str, rel_id: str):
    return insert(
        SHEET_RELS,
        b"</Relationships>",
        f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{target}"/>',
    )


def make_plain(path: Path) -> Path:
    """A workbook using what openpyxl does keep: chart, comment, table, validation, formatting."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["name", "count"])
    for i in range(1, 5):
        ws.append([f"n{i}", i])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=5), titles_from_data=True)
    ws.add_chart(chart, "D2")
    ws["A2"].comment = Comment("checked", "Ann")
    ws.add_table(Table(displayName="Counts", ref="A1:B5"))
    validation = DataValidation(type="list", formula1='"n1,n2"')
    validation.add("A2:A5")
    ws.add_data_validation(validation)
    red = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
    ws.conditional_formatting.add("B2:B5", CellIsRule(operator=">", formula=["3"], fill=red))
    wb.create_sheet("Lists").append(["a"])
    wb.save(path)
    return path


def round_trip(path: Path) -> tuple[Path, list[str]]:
    """Load and save with openpyxl as the writer does; return the new file and the warnings."""
    out = path.with_name("rt_" + path.name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        openpyxl.load_workbook(path, rich_text=True).save(out)
    return out, [str(w.message) for w in caught]


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


def read(path: Path, part: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(part)


def calamine_cell(path: Path, row: int, col: int) -> object:
    """A cell of sheet Data as calamine reads it (0-based), "" when empty."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python()
    return rows[row][col] if row < len(rows) and col < len(rows[row]) else ""


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return make_plain(tmp_path / "book.xlsx")


# ---------------------------------------------------------------------------------------------
# Lock files


def test_not_locked(book: Path) -> None:
    check_not_locked(book)


@pytest.mark.parametrize(
    "owner",
    [
        pytest.param("~$book.xlsx", id="excel"),
        pytest.param(".~lock.book.xlsx#", id="libreoffice"),
    ],
)
def test_locked_by_owner_file(book: Path, owner: str) -> None:
    (book.parent / owner).write_bytes(b"\x05alice")
    with pytest.raises(LockedError, match=r"book\.xlsx is open in Excel \(.*exists\); close it"):
        check_not_locked(book)


def test_owner_file_of_another_book_does_not_lock(book: Path) -> None:
    (book.parent / "~$other.xlsx").write_bytes(b"")
    check_not_locked(book)


# ---------------------------------------------------------------------------------------------
# What openpyxl keeps: nothing to report, and the proof that it survives


def test_kept_features_are_not_reported(book: Path) -> None:
    assert unsupported_parts(book) == []
    out, lost = round_trip(book)
    assert lost == []
    wb = openpyxl.load_workbook(out)
    ws = wb["Data"]
    assert len(ws._charts) == 1
    assert ws["A2"].comment.text == "checked"
    assert "Counts" in ws.tables
    assert len(ws.data_validations.dataValidation) == 1
    assert len(ws.conditional_formatting) == 1


EXTERNAL_LINK = (
    '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<externalBook r:id="rId1"><sheetNames><sheetName val="Rates"/></sheetNames>'
    '<sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1"><v>7</v></cell></row>'
    "</sheetData></sheetDataSet></externalBook></externalLink>"
)
EXTERNAL_LINK_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/externalLinkPath" Target="rates.xlsx" TargetMode="External"/></Relationships>'
)


def test_external_links_are_kept(book: Path) -> None:
    def edit(name: str, data: bytes) -> bytes:
        if name == "xl/workbook.xml":
            return data.replace(
                b"</sheets>",
                b'</sheets><externalReferences><externalReference xmlns:r="http://schemas.'
                b'openxmlformats.org/officeDocument/2006/relationships" r:id="rIdX"/>'
                b"</externalReferences>",
            )
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/externalLink" '
                b'Target="externalLinks/externalLink1.xml"/></Relationships>',
            )
        if name == "[Content_Types].xml":
            return data.replace(
                b"</Types>",
                b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="'
                b'application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/>'
                b"</Types>",
            )
        return data

    rewrite_zip(
        book,
        edit,
        {
            "xl/externalLinks/externalLink1.xml": EXTERNAL_LINK,
            "xl/externalLinks/_rels/externalLink1.xml.rels": EXTERNAL_LINK_RELS,
        },
    )
    assert unsupported_parts(book) == []
    out, _ = round_trip(book)
    assert b"rates.xlsx" in read(out, "xl/externalLinks/_rels/externalLink1.xml.rels")


def test_formula_results_are_dropped_by_openpyxl(book: Path) -> None:
    """Not a part, but worth knowing: openpyxl saves formulas without their cached results,
    so a reader that does not calculate (calamine, pandas) sees an empty cell until Excel
    has opened and saved the file. The writer's fast path keeps Log and Cases rows intact."""
    wb = openpyxl.load_workbook(book)
    wb["Data"]["C2"] = "=B2*2"
    wb.save(book)
    rewrite_zip(
        book, lambda n, d: re.sub(rb"<f>B2\*2</f><v\s*(?:/>|></v>)", b"<f>B2*2</f><v>2</v>", d)
    )
    assert calamine_cell(book, 1, 2) == 2
    out, _ = round_trip(book)
    assert openpyxl.load_workbook(out)["Data"]["C2"].value == "=B2*2"
    assert calamine_cell(out, 1, 2) == ""


# ---------------------------------------------------------------------------------------------
# What openpyxl drops: reported, and the proof that it is lost


def test_shapes_reported_and_lost(book: Path) -> None:
    rewrite_zip(book, insert(DRAWING, b"</wsDr>", TEXT_BOX))
    assert unsupported_parts(book) == [safety.SHAPES]
    out, lost = round_trip(book)
    assert lost == []  # silently
    drawing = read(out, DRAWING)
    assert b"TextBox" not in drawing and b"How to fill" not in drawing
    assert len(openpyxl.load_workbook(out)["Data"]._charts) == 1  # the chart beside it stays


def test_pictures_without_pillow_reported_and_lost(book: Path) -> None:
    rewrite_zip(
        book,
        lambda n, d: (
            insert(DRAWING, b"</wsDr>", PICTURE)(n, d)
            if n == DRAWING
            else insert(
                DRAWING_RELS,
                b"</Relationships>",
                '<Relationship Id="rIdLogo" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/image" Target="/xl/media/image1.png"/>',
            )(n, d)
            if n == DRAWING_RELS
            else insert(
                "[Content_Types].xml",
                b"</Types>",
                '<Default Extension="png" ContentType="image/png"/>',
            )(n, d)
        ),
        {"xl/media/image1.png": PNG},
    )
    out, lost = round_trip(book)
    if PILImage:
        assert unsupported_parts(book) == []
        assert "xl/media/image1.png" in names(out)
    else:
        assert unsupported_parts(book) == [safety.PICTURES]
        assert lost == []  # silently
        assert not [n for n in names(out) if n.startswith("xl/media/")]
        assert b"Logo" not in read(out, DRAWING)


def test_threaded_comments_reported_and_lost(book: Path) -> None:
    rewrite_zip(
        book,
        add_rel(
            "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
            "../threadedComments/threadedComment1.xml",
            "rIdThread",
        ),
        {"xl/threadedComments/threadedComment1.xml": THREADED},
    )
    assert unsupported_parts(book) == [safety.THREADED_COMMENTS]
    out, _ = round_trip(book)
    assert not [n for n in names(out) if "threaded" in n.lower()]
    assert openpyxl.load_workbook(out)["Data"]["A2"].comment.text == "checked"  # notes stay


@pytest.mark.parametrize(
    ("ext", "label", "warning"),
    [
        pytest.param(
            LIST_FROM_OTHER_SHEET,
            "drop-down lists from other sheets (Excel 2010)",
            "Data Validation extension is not supported and will be removed",
            id="x14-data-validation",
        ),
        pytest.param(
            SPARKLINES,
            "sparklines",
            "Sparkline Group extension is not supported and will be removed",
            id="sparklines",
        ),
    ],
)
def test_sheet_extensions_reported_and_lost(book: Path, ext: str, label: str, warning: str) -> None:
    rewrite_zip(book, insert(SHEET, b"</worksheet>", ext))
    assert unsupported_parts(book) == [label]
    out, lost = round_trip(book)
    assert lost == [warning]
    assert b"extLst" not in read(out, SHEET)


def test_form_controls_reported_and_lost(book: Path) -> None:
    rewrite_zip(
        book,
        insert(SHEET, b"</worksheet>", CONTROLS),
        {"xl/ctrlProps/ctrlProp1.xml": '<formControlPr objectType="Button"/>'},
    )
    assert unsupported_parts(book) == [safety.FORM_CONTROLS]
    out, _ = round_trip(book)
    assert b"<controls" not in read(out, SHEET)
    assert not [n for n in names(out) if n.startswith("xl/ctrlProps/")]


@pytest.mark.parametrize(
    ("part", "label"),
    [
        pytest.param("xl/pivotTables/pivotTable1.xml", safety.PIVOT_TABLES, id="pivot-table"),
        pytest.param(
            "xl/pivotCache/pivotCacheDefinition1.xml", safety.PIVOT_TABLES, id="pivot-cache"
        ),
        pytest.param("xl/slicers/slicer1.xml", safety.SLICERS, id="slicer"),
        pytest.param("xl/timelines/timeline1.xml", safety.TIMELINES, id="timeline"),
        pytest.param("xl/activeX/activeX1.xml", safety.ACTIVEX, id="activex"),
        pytest.param("xl/embeddings/oleObject1.bin", safety.EMBEDDED, id="ole"),
        pytest.param("xl/connections.xml", safety.CONNECTIONS, id="connections"),
        pytest.param("xl/model/item.data", safety.DATA_MODEL, id="data-model"),
        pytest.param("xl/richData/rdrichvalue.xml", safety.CELL_PICTURES, id="rich-data"),
        pytest.param("xl/charts/chartEx1.xml", safety.NEW_CHARTS, id="chartex"),
        pytest.param("xl/macrosheets/sheet1.xml", safety.MACRO_SHEETS, id="xlm-macros"),
    ],
)
def test_parts_reported_by_name(book: Path, part: str, label: str) -> None:
    # Presence is enough: openpyxl reads none of these parts back in a form it can rewrite
    # (pivot tables it rebuilds from its own model, losing their Excel 2010+ extensions).
    rewrite_zip(book, extra={part: b"<x/>"})
    assert unsupported_parts(book) == [label]


def test_several_reported_once_each_sorted(book: Path) -> None:
    rewrite_zip(
        book,
        insert(DRAWING, b"</wsDr>", TEXT_BOX + TEXT_BOX),
        {"xl/pivotTables/pivotTable1.xml": b"<x/>", "xl/pivotTables/pivotTable2.xml": b"<x/>"},
    )
    assert unsupported_parts(book) == [safety.PIVOT_TABLES, safety.SHAPES]


def test_not_a_workbook(tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_text("hello")
    with pytest.raises(WorkbookError, match="junk.xlsx: not a readable"):
        unsupported_parts(junk)


# ---------------------------------------------------------------------------------------------
# Atomic replace


def test_backup_path() -> None:
    assert backup_path(Path("/d/book.xlsx")) == Path("/d/book.bak.xlsx")
    assert backup_path(Path("/d/Book.v2.xlsm")) == Path("/d/Book.v2.bak.xlsm")


def test_replace_keeps_one_backup(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"v1")
    replace_atomically(target, lambda p: p.write_bytes(b"v2"), backup=True)
    replace_atomically(target, lambda p: p.write_bytes(b"v3"), backup=True)
    assert target.read_bytes() == b"v3"
    assert backup_path(target).read_bytes() == b"v2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.bak.xlsx", "book.xlsx"]


def test_new_file_takes_permissions_of_like(tmp_path: Path) -> None:
    source = tmp_path / "book.xlsx"
    source.write_bytes(b"v1")
    source.chmod(0o640)
    out = replace_atomically(tmp_path / "new.xlsx", lambda p: p.write_bytes(b"x"), like=source)
    assert out.stat().st_mode & 0o777 == 0o640


def _fail(path: Path) -> None:
    path.write_bytes(b"half")
    raise ValueError("boom")


def test_failed_write_leaves_target(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"v1")
    with pytest.raises(WorkbookError, match="could not write .*book.xlsx: boom"):
        replace_atomically(target, _fail, backup=True)
    assert target.read_bytes() == b"v1"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_failed_verify_leaves_target(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"v1")

    def verify(path: Path) -> None:
        raise WorkbookError(f"{path.name} is wrong")

    with pytest.raises(WorkbookError, match=r"^\.~sheetflow-.*\.xlsx is wrong$"):
        replace_atomically(target, lambda p: p.write_bytes(b"v2"), verify, backup=True)
    assert target.read_bytes() == b"v1"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="cannot write in"):
        replace_atomically(tmp_path / "nope" / "b.xlsx", lambda p: p.write_bytes(b""))
