"""Read an .xlsx package as parts and work out, independently of sheetflow, which parts it owns.

SPEC §5: sheetflow owns the sheets Validation, Overdue, Routing, Summary, NodeStats (zh
校验结果, 超时清单, 审批分派, 汇总, 节点统计) as whole parts, patches computed columns into
`Log` / `Cases` (执行记录 / 工单), and keeps the package's directory parts in step
(workbook.xml and its rels, [Content_Types].xml, docProps, styles.xml). Every other part is the
user's and must come out of a refresh byte for byte.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SML_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STYLES_REL = R_NS + "/styles"

# Canonical name -> titles in both languages (SPEC §5), compared after trim + casefold.
OWNED_SHEETS = {
    "Validation": ("Validation", "校验结果"),
    "Overdue": ("Overdue", "超时清单"),
    "Routing": ("Routing", "审批分派"),
    "Summary": ("Summary", "汇总"),
    "NodeStats": ("NodeStats", "节点统计"),
}
PATCHED_SHEETS = {"Log": ("Log", "执行记录"), "Cases": ("Cases", "工单")}

# Headers of the computed columns sheetflow appends (SPEC §5), both languages.
COMPUTED_COLUMNS = {
    "Log": {
        "duration_h": "耗时(小时)",
        "sla_h": "时限(小时)",
        "due": "截止时间",
        "status": "状态",
        "overdue_h": "超时(小时)",
    },
    "Cases": {
        "case_status": "工单状态",
        "current_node": "当前节点",
        "case_elapsed_h": "总耗时(小时)",
        "approver_role": "审批岗位",
        "approver": "审批人",
        "delegated_from": "委托自",
        "route_rule": "命中规则",
    },
}
# The English display labels written since the codes gave way to them (README "Display labels").
COMPUTED_DISPLAY = {
    "Log": ("Duration (h)", "SLA (h)", "Due", "Status", "Overdue (h)"),
    "Cases": (
        "Case status",
        "Current node",
        "Case elapsed (h)",
        "Approver role",
        "Approver",
        "Delegated from",
        "Route rule",
    ),
}
DIRECTORY_PARTS = ("[Content_Types].xml", "docProps/app.xml", "docProps/core.xml")
TIMESTAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?")


def fold(title: str) -> str:
    return title.strip().casefold()


def owned_kind(title: str) -> str | None:
    """The canonical owned sheet a title names, or None."""
    for name, titles in OWNED_SHEETS.items():
        if fold(title) in {fold(t) for t in titles}:
            return name
    return None


def patched_kind(title: str) -> str | None:
    """'Log' or 'Cases' when the title names one of the sheets sheetflow patches."""
    for name, titles in PATCHED_SHEETS.items():
        if fold(title) in {fold(t) for t in titles}:
            return name
    return None


def computed_header(header: object) -> bool:
    """Whether a header cell names one of sheetflow's computed columns (either language)."""
    if not isinstance(header, str):
        return False
    labels = {fold(k) for cols in COMPUTED_COLUMNS.values() for k in cols}
    labels |= {fold(v) for cols in COMPUTED_COLUMNS.values() for v in cols.values()}
    labels |= {fold(v) for cols in COMPUTED_DISPLAY.values() for v in cols}
    return fold(header) in labels


def read_parts(path: Path) -> dict[str, bytes]:
    """Every part of the package by name (directories left out)."""
    with zipfile.ZipFile(path) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}


def rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def relationships(parts: dict[str, bytes], part: str) -> list[tuple[str, str, bool]]:
    """(type, resolved target, external) of each relationship of `part` ('' = the package)."""
    name = "_rels/.rels" if part == "" else rels_name(part)
    if name not in parts:
        return []
    base = posixpath.dirname(part)
    found = []
    for rel in etree.fromstring(parts[name]).iter(f"{{{REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        external = rel.get("TargetMode") == "External"
        if not external:
            target = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(base, target))
            )
        found.append((rel.get("Type", ""), target, external))
    return found


@dataclass(frozen=True)
class Package:
    parts: dict[str, bytes]

    @classmethod
    def open(cls, path: Path) -> Package:
        return cls(read_parts(path))

    @property
    def workbook(self) -> str:
        for kind, target, _ in relationships(self.parts, ""):
            if kind.endswith("/officeDocument"):
                return target
        raise AssertionError("package has no officeDocument relationship")

    def sheets(self) -> list[tuple[str, str]]:
        """(title, part name) of each sheet in workbook order."""
        targets = {}
        name = rels_name(self.workbook)
        for rel in etree.fromstring(self.parts[name]).iter(f"{{{REL_NS}}}Relationship"):
            base = posixpath.dirname(self.workbook)
            target = rel.get("Target", "")
            targets[rel.get("Id")] = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(base, target))
            )
        root = etree.fromstring(self.parts[self.workbook])
        return [
            (sheet.get("name"), targets[sheet.get(f"{{{R_NS}}}id")])
            for sheet in root.iter(f"{{{SML_NS}}}sheet")
        ]

    def reachable(self, part: str) -> set[str]:
        """`part`, its rels and every internal part reachable from it through rels."""
        seen: set[str] = set()
        todo = [part]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.parts:
                continue
            seen.add(current)
            if rels_name(current) in self.parts:
                seen.add(rels_name(current))
            todo.extend(t for _, t, external in relationships(self.parts, current) if not external)
        return seen

    def owned_parts(self) -> set[str]:
        """Parts sheetflow may write in this package (see the module docstring)."""
        owned = set(DIRECTORY_PARTS)
        owned |= {self.workbook, rels_name(self.workbook)}
        for kind, target, _ in relationships(self.parts, self.workbook):
            if kind == STYLES_REL:
                owned.add(target)
        for title, part in self.sheets():
            if owned_kind(title):
                owned |= self.reachable(part)
            elif patched_kind(title):
                owned.add(part)
        return owned

    def sheet_part(self, kind: str) -> str | None:
        """Part name of the owned or patched sheet of this canonical kind, if present."""
        for title, part in self.sheets():
            if owned_kind(title) == kind or patched_kind(title) == kind:
                return part
        return None


def parts_owned(before: Package, after: Package) -> set[str]:
    """What a refresh may have written: owned in either package, plus custom XML it added."""
    owned = before.owned_parts() | after.owned_parts()
    owned |= {n for n in after.parts if n.startswith("customXml/") and n not in before.parts}
    return owned


def without_timestamps(name: str, data: bytes) -> bytes:
    """docProps parts with their ISO timestamps blanked, other parts as they are."""
    return TIMESTAMP.sub(b"<timestamp>", data) if name.startswith("docProps/") else data


def _column_number(ref: str) -> int:
    number = 0
    for char in ref:
        if not char.isalpha():
            break
        number = number * 26 + ord(char.upper()) - 64
    return number


def _sqref_columns(sqref: str) -> set[int]:
    columns: set[int] = set()
    for area in sqref.split():
        ends = [_column_number(end) for end in area.split(":")]
        columns |= set(range(ends[0], ends[-1] + 1))
    return columns


def user_sheet_xml(data: bytes, computed: set[int]) -> list[bytes]:
    """A patched sheet's XML with what sheetflow may write taken out, as canonical XML of
    each top-level element: cells, `<col>`s and conditional formats of the computed columns
    (1-based numbers), `<dimension>`, row `spans` (a hint) and the autofilter's `ref` (the
    writer extends it over the computed columns). What is left is the user's and must not
    change: every other cell with its style and formula, row attributes, merges, validations,
    hyperlinks, drawings, notes, protection, extensions."""
    root = etree.fromstring(data)
    ns = f"{{{SML_NS}}}"
    for element in list(root):
        tag = element.tag
        if tag == ns + "dimension":
            root.remove(element)
        elif tag == ns + "autoFilter":
            element.attrib.pop("ref", None)
        elif tag == ns + "cols":
            for col in list(element):
                if int(col.get("min", "0")) in computed:
                    element.remove(col)
            if len(element) == 0:
                root.remove(element)
        elif tag == ns + "conditionalFormatting":
            if _sqref_columns(element.get("sqref", "")) <= computed:
                root.remove(element)
        elif tag == ns + "sheetData":
            for row in list(element):
                row.attrib.pop("spans", None)
                for cell in list(row):
                    if _column_number(cell.get("r", "")) in computed:
                        row.remove(cell)
                if len(row) == 0 and set(row.attrib) <= {"r"}:
                    element.remove(row)
    return [etree.tostring(element, method="c14n") for element in root]


# Collections of styles.xml that cells, conditional formats and tables refer to by position.
STYLE_LISTS = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
)


def style_entries(data: bytes) -> dict[str, list[bytes]]:
    """Each indexed collection of styles.xml -> canonical XML of its entries, in order."""
    root = etree.fromstring(data)
    return {
        name: [etree.tostring(e, method="c14n") for e in root.iterfind(f"{{{SML_NS}}}{name}/*")]
        for name in STYLE_LISTS
    }
