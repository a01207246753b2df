"""`write_plan`: render an `OutputPlan` into an xlsx/xlsm package by editing its parts.

Only what sheetflow owns changes: the owned columns of the patched sheets (streamed),
the owned sheets with their drawings and charts (written whole), and the small parts that list
them (workbook.xml and its rels, [Content_Types].xml, styles.xml with formats appended once).
Every other part — VBA, pivot tables, slicers, pictures, comments, other sheets — is copied
with its content unchanged byte for byte (zipfile has no raw copy, so it is inflated and
deflated again: same bytes inside, possibly other compressed bytes).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import numpy as np
from lxml import etree

from sheetflow.core import schema
from sheetflow.core.plan import (
    TEXT,
    OutputPlan,
    Patch,
    SheetPlan,
    column_letter,
    quote_title,
    runs,
)
from sheetflow.errors import LockedError, UsageError, WorkbookError
from sheetflow.io import safety
from sheetflow.io.xlsx import charts, deflate, owned
from sheetflow.io.xlsx.cells import CellTable, NewColumn, cell_xml
from sheetflow.io.xlsx.package import (
    CHART_REL,
    CHART_TYPE,
    DRAWING_REL,
    DRAWING_TYPE,
    MAIN_NS,
    REL_NS,
    WORKSHEET_REL,
    WORKSHEET_TYPE,
    Package,
    Rels,
    parse,
    rels_part,
    resolve,
    serialise,
)
from sheetflow.io.xlsx.reader import Snapshot
from sheetflow.io.xlsx.sheetxml import (
    SheetEdit,
    column_number,
    edit_head,
    edit_tail,
    patch_sheet,
)
from sheetflow.io.xlsx.styles import StyleBook

_STYLES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
_STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_SELECTED = re.compile(rb'(<(?:[A-Za-z_][\w.-]*:)?sheetView\b[^>]*?)\s+tabSelected="(?:1|true)"')
# the status texts a run's colour rules test, in every language, and the bare codes that
# English workbooks showed before their display labels ("done_late"), to replace those too
_STATUS_TEXTS = {
    schema.LOG_STATUS.label(code, lang)
    for code in schema.LOG_STATUS.codes
    for lang in schema.LANGUAGES
} | set(schema.LOG_STATUS.codes)


def write_plan(snapshot: Snapshot, plan: OutputPlan, out: Path | str | None = None) -> Path:
    """Write `plan` into the workbook read as `snapshot`; returns the file written.

    out: a new file; None (or the source itself) replaces the source in place, keeping
    BOOK.bak.xlsx, after checking nobody changed the file since it was read.
    Raises `LockedError` when Excel has the file open, `WorkbookError` when it cannot be written.
    """
    source = snapshot.path
    target = Path(out) if out is not None else source
    in_place = out is None or _same_file(source, target)
    if in_place:
        target = source
    if target.suffix.lower() != source.suffix.lower():
        raise UsageError(
            f"--out {target.name}: use the extension of {source.name} ({source.suffix})"
        )
    safety.check_not_locked(target)
    if in_place and target.is_symlink():
        target = target.resolve()  # update the file the link points to, keep the link

    def write(path: Path) -> None:
        render(snapshot.data, plan, path)

    def verify(path: Path) -> None:
        check_written(path, written_parts(path, snapshot.data), big=CHECK_LIMIT)
        if in_place:
            why = snapshot.changed()
            if why is not None:
                raise LockedError(
                    f"{source} changed while sheetflow was working ({why}); nothing was "
                    "written: run the command again"
                )

    return safety.replace_atomically(target, write, verify, backup=in_place, like=source)


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


@dataclass
class _Output:
    """Parts decided before anything is written: new bytes by name, parts to drop."""

    parts: dict[str, bytes | list[bytes]] = field(default_factory=dict)
    patched: dict[str, SheetEdit] = field(default_factory=dict)  # sheet part -> edit
    dropped: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)


def render(data: bytes, plan: OutputPlan, path: Path) -> None:
    """The package of `data` with `plan` applied, written to `path`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise WorkbookError(f"the workbook is damaged ({exc})") from exc
    with archive:
        package = Package.open(archive)
        styles_part = _styles_part(package)
        styles = StyleBook(archive.read(styles_part) if styles_part in package.names else None)
        result = _Output()
        owned_entries = _owned_sheets(package, plan, result)
        for patch in plan.patches:
            _patch_edit(package, patch, styles, result)
        order = [s.title for s in package.sheets if s.title not in owned_entries]
        _owned_parts(package, plan, owned_entries, styles, result, order)
        _unselect_others(package, plan, result)
        _finish_workbook(package, plan, result, styles, styles_part)
        _write_zip(package, result, path)


def _styles_part(package: Package) -> str:
    found = package.workbook_rels.of_type(_STYLES_REL)
    if found:
        return found[0][1]
    part = "xl/styles.xml"
    package.workbook_rels.add(_STYLES_REL, part)
    package.set_override(part, _STYLES_TYPE)
    return part


def _owned_sheets(package: Package, plan: OutputPlan, result: _Output) -> dict[str, object]:
    """Title -> existing sheet entry (or None) for each owned sheet of the plan."""
    entries: dict[str, object] = {}
    for sheet in plan.sheets:
        entry = package.sheet(sheet.previous or sheet.title)
        if entry is not None and entry.title != sheet.title:  # e.g. the other language's title
            entry.element.set("name", sheet.title)
            entry.title = sheet.title
        entries[sheet.title] = entry
        if entry is not None:
            _drop_tree(package, entry.part, result, keep_root=True)
    return entries


def _drop_tree(package: Package, part: str, result: _Output, keep_root: bool) -> None:
    """Drop `part`'s relationships' targets that nothing else refers to (drawings, charts)."""
    referrers: dict[str, set[str]] = {}
    for name in package.names:
        if not name.endswith(".rels") or "/_rels/" not in f"/{name}":
            continue
        base = name.replace("_rels/", "").removesuffix(".rels")
        for el in parse(package.read(name)):
            if el.get("TargetMode") == "External":
                continue
            referrers.setdefault(resolve(base, el.get("Target", "")), set()).add(base)
    stack = [part]
    doomed = {part}
    while stack:
        current = stack.pop()
        rels = rels_part(current)
        if rels not in package.names:
            continue
        doomed.add(rels)
        for el in parse(package.read(rels)):
            if el.get("TargetMode") == "External":
                continue
            target = resolve(current, el.get("Target", ""))
            if target in doomed or target not in package.names:
                continue
            if referrers.get(target, set()) <= doomed | {current}:
                doomed.add(target)
                stack.append(target)
    if keep_root:
        doomed.discard(part)
    result.dropped |= doomed
    for name in doomed:
        package.drop_override(name)


def _patch_edit(package: Package, patch: Patch, styles: StyleBook, result: _Output) -> None:
    entry = package.sheet(patch.title)
    if entry is None or not entry.worksheet:
        return
    date1904 = package.date1904
    rows = [int(r) for r in patch.rows]
    has_header = patch.header_style is not None
    header_row = patch.header_row
    order = np.argsort(np.asarray(rows, dtype=np.int64), kind="stable")
    ascending = bool(len(rows) < 2 or (np.diff(np.asarray(rows)) > 0).all())
    if not ascending:  # rare: put rows (and each column's values) in sheet order once
        rows = [rows[i] for i in order]
    if has_header and rows and rows[0] <= header_row:
        raise WorkbookError(f"'{patch.title}': data rows must come below the header row")
    all_rows = [header_row, *rows] if has_header else rows
    columns = []
    for column, position in zip(patch.columns, patch.positions, strict=True):
        letter = column_letter(position)
        xf = styles.xf(None, column.kind)
        values = column.values if ascending else [column.values[i] for i in order]
        header = None
        if has_header:
            header_xf = styles.xf(patch.header_style, TEXT)
            header = cell_xml(f"{letter}{header_row}", f' s="{header_xf}"', column.header)
        columns.append(NewColumn(position, f' s="{xf}"' if xf else "", values, header))
    columns.sort(key=lambda c: c.column)
    table = CellTable(all_rows, columns, date1904)
    last_col = max(patch.positions, default=1)
    last_row = max([patch.header_row, *rows])
    widths = {p: c.width for p, c in zip(patch.positions, patch.columns) if c.width}
    rules = [(f.ref, f.text, styles.dxf(f.fill, f.font, f.bold)) for f in patch.fills]
    our_refs = {f.ref for f in patch.fills}
    prefix = _prefix_of(package, entry.part)

    def head(xml: bytes) -> bytes:
        return edit_head(xml, last_col, last_row, widths)

    def tail(xml: bytes) -> bytes:
        return edit_tail(xml, prefix, rules, our_refs, _STATUS_TEXTS, (last_col, last_row))

    result.patched[entry.part] = SheetEdit(
        cells=table,
        owned=set(patch.positions),
        clear=patch.clear_other_rows,
        keep_upto=0 if has_header else header_row,  # header_style None: the header stays
        head=head,
        tail=tail,
    )


def _prefix_of(package: Package, part: str) -> bytes:
    with package.archive.open(part) as stream:
        start = stream.read(4096)
    found = re.search(rb"<([A-Za-z_][\w.-]*:)?worksheet\b", start)
    return (found.group(1) or b"") if found else b""


def _owned_parts(
    package: Package,
    plan: OutputPlan,
    entries: dict[str, object],
    styles: StyleBook,
    result: _Output,
    order: list[str],
) -> None:
    present = set(package.names) - result.dropped
    sheets_el = package.workbook.find(f"{{{MAIN_NS}}}sheets")
    next_id = 1 + max((int(s.element.get("sheetId", "0")) for s in package.sheets), default=0)
    for sheet in plan.sheets:
        entry = entries[sheet.title]
        if entry is None:
            part = _free(present, result, "xl/worksheets/sheet%d.xml")
            rel_id = package.workbook_rels.add(WORKSHEET_REL, part)
            el = etree.SubElement(sheets_el, f"{{{MAIN_NS}}}sheet")
            el.set("name", sheet.title)
            el.set("sheetId", str(next_id))
            el.set(f"{{{REL_NS}}}id", rel_id)
            next_id += 1
        else:
            part = entry.part
        package.set_override(part, WORKSHEET_TYPE)
        drawing_rel = _charts(package, sheet, part, present, result)
        selected = sheet.title == plan.active
        result.parts[part] = list(
            owned.sheet_xml(sheet, styles, package.date1904, selected, drawing_rel)
        )
        result.dropped.discard(part)


def _free(present: set[str], result: _Output, pattern: str) -> str:
    number = 1
    while pattern % number in present or pattern % number in result.taken:
        number += 1
    name = pattern % number
    result.taken.add(name)
    return name


def _charts(
    package: Package, sheet: SheetPlan, part: str, present: set[str], result: _Output
) -> str | None:
    """Write the sheet's drawing and charts; returns the sheet's relationship id for them."""
    rels = Rels(
        part,
        etree.Element(
            f"{{{'http://schemas.openxmlformats.org/package/2006/relationships'}}}Relationships",
            nsmap={None: "http://schemas.openxmlformats.org/package/2006/relationships"},
        ),
    )
    if not sheet.charts:
        result.dropped.add(rels_part(part))
        return None
    drawing = _free(present, result, "xl/drawings/drawing%d.xml")
    drawing_rels = Rels(drawing, etree.Element(rels.root.tag, nsmap=rels.root.nsmap))
    ids = []
    for chart in sheet.charts:
        chart_part = _free(present, result, "xl/charts/chart%d.xml")
        ids.append(drawing_rels.add(CHART_REL, chart_part))
        result.parts[chart_part] = charts.chart_xml(chart, sheet.title)
        package.set_override(chart_part, CHART_TYPE)
    result.parts[drawing] = charts.drawing_xml(list(sheet.charts), ids)
    result.parts[rels_part(drawing)] = drawing_rels.to_bytes()
    package.set_override(drawing, DRAWING_TYPE)
    rel_id = rels.add(DRAWING_REL, drawing)
    result.parts[rels_part(part)] = rels.to_bytes()
    result.dropped.discard(rels_part(part))
    return rel_id


def _unselect_others(package: Package, plan: OutputPlan, result: _Output) -> None:
    """Only the active sheet may be selected: two selected tabs are grouped sheets in Excel."""
    if plan.active is None:
        return
    owned_titles = {s.title for s in plan.sheets}
    for entry in package.sheets:
        if entry.title in owned_titles or not entry.worksheet:
            continue
        with package.archive.open(entry.part) as stream:
            start = stream.read(65536)
        if not _SELECTED.search(start):
            continue
        edit = result.patched.get(entry.part)
        if edit is None:
            edit = SheetEdit(cells=CellTable([], []), owned=set(), clear=False)
            result.patched[entry.part] = edit
        inner = edit.head
        edit.head = lambda xml, inner=inner: _SELECTED.sub(rb"\1", inner(xml), count=1)


def _finish_workbook(
    package: Package, plan: OutputPlan, result: _Output, styles: StyleBook, styles_part: str
) -> None:
    titles = [s.title for s in package.sheets] + [
        s.title for s in plan.sheets if package.sheet(s.title) is None
    ]
    views = package.workbook.find(f"{{{MAIN_NS}}}bookViews")
    if plan.active in titles:
        if views is None:
            views = etree.Element(f"{{{MAIN_NS}}}bookViews")
            sheets_el = package.workbook.find(f"{{{MAIN_NS}}}sheets")
            sheets_el.addprevious(views)
        view = views.find(f"{{{MAIN_NS}}}workbookView")
        if view is None:
            view = etree.SubElement(views, f"{{{MAIN_NS}}}workbookView")
        active = titles.index(plan.active)
        view.set("activeTab", str(active))
        if int(view.get("firstSheet", "0")) > active:
            view.set("firstSheet", str(active))
    _record_ownership(package, plan)
    result.parts[package.workbook_part] = serialise(package.workbook)
    result.parts[rels_part(package.workbook_part)] = package.workbook_rels.to_bytes()
    if styles.changed or styles_part not in package.names:
        result.parts[styles_part] = styles.to_bytes()
    _sort_overrides(package.content_types)  # a second run then writes the same bytes
    result.parts["[Content_Types].xml"] = serialise(package.content_types)


OWNED_NAME_PREFIX = "_sheetflow."
# CT_Workbook's children that come after <definedNames>
_AFTER_NAMES = (
    "calcPr oleSize customWorkbookViews pivotCaches smartTagPr smartTagTypes webPublishing "
    "fileRecoveryPr webPublishObjects extLst"
).split()


def _record_ownership(package: Package, plan: OutputPlan) -> None:
    """Hidden defined names saying what sheetflow wrote, so that a later run knows it.

    Excel keeps references up to date when sheets are renamed or columns inserted, so the
    records follow the user's edits: `_sheetflow.sheet.Summary` = `'Summary'!$A$1` per owned
    sheet, `_sheetflow.columns` (local to Log / Cases) = their owned columns. A plan that
    writes only the user's content (`sync`, `calendar`) leaves earlier records as they are.
    """
    from sheetflow.io.ownership import plan_records

    records = plan_records(plan)
    if records is None:
        return
    root = package.workbook
    names = root.find(f"{{{MAIN_NS}}}definedNames")
    if names is None:
        names = etree.Element(f"{{{MAIN_NS}}}definedNames")
        later = [root.find(f"{{{MAIN_NS}}}{tag}") for tag in _AFTER_NAMES]
        later = [el for el in later if el is not None]
        if later:
            later[0].addprevious(names)
        else:
            root.append(names)
    for element in list(names):
        if element.get("name", "").startswith(OWNED_NAME_PREFIX):
            names.remove(element)
    order = [el.get("name") for el in root.find(f"{{{MAIN_NS}}}sheets")]

    def add(name: str, reference: str, local: int | None = None) -> None:
        element = etree.SubElement(names, f"{{{MAIN_NS}}}definedName")
        element.set("name", name)
        if local is not None:
            element.set("localSheetId", str(local))
        element.set("hidden", "1")
        element.text = reference

    for name, title in records.sheets.items():
        add(f"{OWNED_NAME_PREFIX}sheet.{name}", f"{quote_title(title)}!$A$1")
    for patch in plan.patches:
        if patch.title not in order or patch.title not in records.columns:
            continue  # rows appended to a user's sheet (calendar) are the user's from then on
        spans = runs(records.columns[patch.title])
        reference = ",".join(
            f"{quote_title(patch.title)}!${column_letter(a)}:${column_letter(b)}" for a, b in spans
        )
        add(f"{OWNED_NAME_PREFIX}columns", reference, order.index(patch.title))
        _widen_filter_name(names, order.index(patch.title), patch)
    if not len(names):
        root.remove(names)


_FILTER_RANGE = re.compile(r"^(.*!)\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$")


def _widen_filter_name(names: etree._Element, local: int, patch: Patch) -> None:
    """Excel's hidden `_xlnm._FilterDatabase` follows the sheet's autofilter, widened too."""
    for element in names:
        if element.get("name") != "_xlnm._FilterDatabase" or element.get("localSheetId") != str(
            local
        ):
            continue
        found = _FILTER_RANGE.match((element.text or "").strip())
        if found is None:
            return
        last_col = max(column_number(found.group(4)), max(patch.positions, default=1))
        last_row = max(int(found.group(5)), max([patch.header_row, *patch.rows]))
        element.text = (
            f"{found.group(1)}${found.group(2)}${found.group(3)}:"
            f"${column_letter(last_col)}${last_row}"
        )


def _sort_overrides(types: etree._Element) -> None:
    overrides = [el for el in types if etree.QName(el).localname == "Override"]
    for el in overrides:
        types.remove(el)
    for el in sorted(overrides, key=lambda el: _natural(el.get("PartName", ""))):
        types.append(el)


def _natural(name: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _write_zip(package: Package, result: _Output, path: Path) -> None:
    archive = package.archive
    written: set[str] = set()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
        for info in archive.infolist():
            name = info.filename
            if name in written or (name in result.dropped and name not in result.parts):
                continue
            written.add(name)
            if name in result.parts:
                _put(out, name, result.parts[name])
            elif name in result.patched:
                patch_sheet(archive, name, out, result.patched[name])
            else:
                _copy(archive, info, out)
        for name, content in result.parts.items():
            if name not in written:
                _put(out, name, content)


_BIG_PART = 1 << 20  # bytes: a part this large (an owned sheet of many rows) deflates fast


def _put(out: zipfile.ZipFile, name: str, content: bytes | list[bytes]) -> None:
    pieces = [content] if isinstance(content, bytes) else content
    size = sum(len(p) for p in pieces)
    zip64 = size > zipfile.ZIP64_LIMIT * 0.9
    if size >= _BIG_PART:
        opened = deflate.open_write(out, name, zip64)
    else:
        opened = out.open(name, "w", force_zip64=zip64)
    with opened as stream:
        for piece in pieces:
            stream.write(piece)


def _copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """Copy an entry with identical content (inflated and deflated again: no raw copy)."""
    with archive.open(info) as source:
        # ZipFile has no raw copy; reading and writing the same bytes keeps the content equal
        data = source.read()
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    clone.compress_type = info.compress_type
    clone.external_attr = info.external_attr
    clone.create_system = info.create_system
    out.writestr(clone, data)


def written_parts(path: Path, original: bytes) -> set[str]:
    """Entries of `path` that are new or differ from the original package (by CRC and size)."""
    with zipfile.ZipFile(io.BytesIO(original)) as before, zipfile.ZipFile(path) as after:
        old = {i.filename: (i.CRC, i.file_size) for i in before.infolist()}
        return {i.filename for i in after.infolist() if old.get(i.filename) != (i.CRC, i.file_size)}


# A patched sheet above this size (uncompressed) is not parsed again after writing: its rows
# are the user's bytes and cells built by `cells.py` (well-formed by construction, tested), and
# a full parse costs as much as the rest of the write at 100,000 rows.
CHECK_LIMIT = 4 << 20


def check_written(path: Path, parts: set[str] | None = None, big: int | None = None) -> None:
    """The written file opens as a zip and each XML part sheetflow wrote parses.

    parts: the entries to check (default: every XML part); big: skip sheets larger than this.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith((".xml", ".rels")):
                    continue
                if parts is not None and info.filename not in parts:
                    continue
                if big is not None and info.file_size > big and "worksheets/" in info.filename:
                    continue
                parser = expat.ParserCreate()
                with archive.open(info) as stream:
                    while chunk := stream.read(1 << 20):
                        parser.Parse(chunk, False)
                parser.Parse(b"", True)
    except (zipfile.BadZipFile, expat.ExpatError, OSError) as exc:
        raise WorkbookError(
            f"the written workbook is damaged ({exc}); nothing was replaced"
        ) from exc
