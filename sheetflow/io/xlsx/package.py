"""An xlsx/xlsm package as parts: the zip's entries, the workbook's sheets, rels, content types.

Small XML parts (workbook.xml, rels, [Content_Types].xml, styles.xml) are edited with lxml,
which keeps every namespace declaration, `mc:Ignorable` and extension element as it found them;
sheet XML, which grows with the rows, is never parsed into a tree (see sheetxml.py).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from sheetflow.errors import WorkbookError

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_REL = REL_NS + "/worksheet"
DRAWING_REL = REL_NS + "/drawing"
CHART_REL = REL_NS + "/chart"
OFFICE_DOCUMENT = REL_NS + "/officeDocument"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse(data: bytes) -> etree._Element:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise WorkbookError(f"the workbook has a damaged part ({exc})") from exc


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def resolve(base_part: str, target: str) -> str:
    """A relationship target, relative to the part holding the rels, as a zip entry name."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def relative(base_part: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(base_part) or ".")


def rels_part(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


@dataclass
class Rels:
    """One .rels part: Id -> (Type, Target, TargetMode)."""

    part: str  # the part these relationships belong to
    root: etree._Element

    @classmethod
    def load(cls, parts: dict[str, bytes], part: str) -> Rels:
        name = rels_part(part)
        data = parts.get(name)
        if data is None:
            root = etree.Element(f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS})
        else:
            root = parse(data)
        return cls(part, root)

    def items(self) -> list[etree._Element]:
        return [el for el in self.root if etree.QName(el).localname == "Relationship"]

    def target(self, rel_id: str) -> tuple[str, str] | None:
        for el in self.items():
            if el.get("Id") == rel_id:
                if el.get("TargetMode") == "External":
                    return el.get("Type", ""), el.get("Target", "")
                return el.get("Type", ""), resolve(self.part, el.get("Target", ""))
        return None

    def of_type(self, kind: str) -> list[tuple[str, str]]:
        return [
            (el.get("Id", ""), resolve(self.part, el.get("Target", "")))
            for el in self.items()
            if el.get("Type") == kind and el.get("TargetMode") != "External"
        ]

    def add(self, kind: str, part: str) -> str:
        taken = {el.get("Id") for el in self.items()}
        number = len(taken) + 1
        while f"rId{number}" in taken:
            number += 1
        rel_id = f"rId{number}"
        el = etree.SubElement(self.root, f"{{{PKG_REL_NS}}}Relationship")
        el.set("Id", rel_id)
        el.set("Type", kind)
        el.set("Target", relative(self.part, part))
        return rel_id

    def remove(self, rel_id: str) -> None:
        for el in self.items():
            if el.get("Id") == rel_id:
                self.root.remove(el)

    def to_bytes(self) -> bytes:
        return serialise(self.root)


@dataclass
class SheetEntry:
    title: str
    part: str
    rel_id: str
    element: etree._Element  # the <sheet> element of workbook.xml
    worksheet: bool


@dataclass
class Package:
    """The parts of a workbook file in memory, compressed entries kept as they are."""

    archive: zipfile.ZipFile
    names: list[str]
    workbook_part: str
    workbook: etree._Element
    workbook_rels: Rels
    content_types: etree._Element
    sheets: list[SheetEntry] = field(default_factory=list)
    date1904: bool = False

    @classmethod
    def open(cls, archive: zipfile.ZipFile) -> Package:
        names = archive.namelist()
        present = set(names)
        try:
            root_rels = parse(archive.read("_rels/.rels"))
            workbook_part = next(
                resolve("", el.get("Target", ""))
                for el in root_rels
                if el.get("Type") == OFFICE_DOCUMENT
            )
            workbook = parse(archive.read(workbook_part))
            content_types = parse(archive.read("[Content_Types].xml"))
        except (KeyError, StopIteration) as exc:
            raise WorkbookError("the workbook's package is incomplete (no workbook part)") from exc
        if etree.QName(workbook).namespace == STRICT_NS:
            raise WorkbookError(
                "the workbook is saved as Strict Open XML; save it as an ordinary Excel "
                "Workbook (.xlsx) first"
            )
        small = {rels_part(workbook_part): archive.read(rels_part(workbook_part))}
        workbook_rels = Rels.load(small, workbook_part)
        package = cls(archive, names, workbook_part, workbook, workbook_rels, content_types)
        pr = workbook.find(f"{{{MAIN_NS}}}workbookPr")
        package.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        sheets = workbook.find(f"{{{MAIN_NS}}}sheets")
        for el in sheets if sheets is not None else []:
            rel_id = el.get(f"{{{REL_NS}}}id", "")
            found = workbook_rels.target(rel_id)
            if found is None or found[1] not in present:
                continue
            package.sheets.append(
                SheetEntry(el.get("name", ""), found[1], rel_id, el, found[0] == WORKSHEET_REL)
            )
        return package

    def read(self, name: str) -> bytes:
        return self.archive.read(name)

    def sheet(self, title: str) -> SheetEntry | None:
        return next((s for s in self.sheets if s.title == title), None)

    def free_name(self, pattern: str, taken: set[str]) -> str:
        """The first `pattern % n` (n = 1, 2...) that is no entry of the package or `taken`."""
        present = set(self.names) | taken
        number = 1
        while pattern % number in present:
            number += 1
        name = pattern % number
        taken.add(name)
        return name

    # content types -------------------------------------------------------------------------

    def set_override(self, part: str, content_type: str) -> None:
        name = "/" + part
        for el in self.content_types:
            if etree.QName(el).localname == "Override" and el.get("PartName") == name:
                el.set("ContentType", content_type)
                return
        el = etree.SubElement(self.content_types, f"{{{CT_NS}}}Override")
        el.set("PartName", name)
        el.set("ContentType", content_type)

    def drop_override(self, part: str) -> None:
        name = "/" + part
        for el in list(self.content_types):
            if etree.QName(el).localname == "Override" and el.get("PartName") == name:
                self.content_types.remove(el)


_ROW_TAG = re.compile(rb"<row\b")
