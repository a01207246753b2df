"""styles.xml: the cell formats sheetflow needs, appended once and found again on later runs.

Every format is looked up by its canonical form (element names, attributes, children) before
one is appended, so refreshing five times leaves styles.xml as it was after the first run.
"""

from __future__ import annotations

from lxml import etree

from sheetflow.core.plan import NUMBER_FORMATS, STYLES, Style
from sheetflow.io.xlsx.package import MAIN_NS, parse, serialise

# Excel's built-in number formats sheetflow uses (ECMA-376 Part 1, 18.8.30)
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0.00": 4}
_ORDER = (
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
    "extLst",
)


def _q(name: str) -> str:
    return f"{{{MAIN_NS}}}{name}"


def canonical(el: etree._Element) -> tuple:
    """An element as comparable data: local name, sorted attributes, children in order."""
    attrs = tuple(sorted((etree.QName(k).localname, v) for k, v in el.attrib.items()))
    children = tuple(canonical(c) for c in el if isinstance(c.tag, str))
    return (etree.QName(el).localname, attrs, children, (el.text or "").strip())


def argb(colour: str) -> str:
    return "FF" + colour.upper()


class StyleBook:
    """styles.xml open for appending; `xf(style, kind)` and `dxf(...)` give indices."""

    def __init__(self, data: bytes | None) -> None:
        if data is None:
            data = _MINIMAL
        self.root = parse(data)
        self.changed = False
        self._xf: dict[tuple[str | None, str], int] = {}

    def _section(self, name: str) -> etree._Element:
        el = self.root.find(_q(name))
        if el is not None:
            return el
        el = etree.Element(_q(name))
        at = _ORDER.index(name)
        later = {_q(n) for n in _ORDER[at + 1 :]}
        for index, child in enumerate(self.root):
            if child.tag in later:
                self.root.insert(index, el)
                break
        else:
            self.root.append(el)
        self.changed = True
        return el

    def _index_of(self, section: str, element: etree._Element) -> int:
        """Index of an equal child of `section`, appending `element` when there is none."""
        parent = self._section(section)
        key = canonical(element)
        children = [c for c in parent if isinstance(c.tag, str)]
        for index, child in enumerate(children):
            if canonical(child) == key:
                return index
        parent.append(element)
        parent.set("count", str(len(children) + 1))
        self.changed = True
        return len(children)

    def _num_fmt(self, code: str) -> int:
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        parent = self._section("numFmts")
        used = []
        for child in parent:
            if child.get("formatCode") == code:
                return int(child.get("numFmtId", "0"))
            used.append(int(child.get("numFmtId", "0")))
        number = max([163, *used]) + 1
        el = etree.SubElement(parent, _q("numFmt"))
        el.set("numFmtId", str(number))
        el.set("formatCode", code)
        parent.set("count", str(len(parent)))
        self.changed = True
        return number

    def _base_font(self) -> etree._Element:
        fonts = self.root.find(_q("fonts"))
        first = fonts[0] if fonts is not None and len(fonts) else None
        return first if first is not None else etree.fromstring(_DEFAULT_FONT)

    def _font(self, style: Style) -> int:
        base = self._base_font()
        font = etree.Element(_q("font"))
        if style.bold:
            etree.SubElement(font, _q("b"))
        if style.italic:
            etree.SubElement(font, _q("i"))
        if style.underline:
            etree.SubElement(font, _q("u"))
        size = etree.SubElement(font, _q("sz"))
        base_size = base.find(_q("sz"))
        size.set("val", str(style.size or (base_size.get("val") if base_size is not None else 11)))
        if style.font:
            etree.SubElement(font, _q("color")).set("rgb", argb(style.font))
        for name in ("name", "family", "charset", "scheme"):  # the workbook's own typeface
            found = base.find(_q(name))
            if found is not None and found.get("val"):
                etree.SubElement(font, _q(name)).set("val", found.get("val"))
        return self._index_of("fonts", font)

    def _fill(self, colour: str | None) -> int:
        if colour is None:
            return 0
        fill = etree.Element(_q("fill"))
        pattern = etree.SubElement(fill, _q("patternFill"), patternType="solid")
        etree.SubElement(pattern, _q("fgColor")).set("rgb", argb(colour))
        etree.SubElement(pattern, _q("bgColor")).set("indexed", "64")
        return self._index_of("fills", fill)

    def xf(self, style_name: str | None, kind: str) -> int:
        """The cellXfs index of a `STYLES` name (None: plain) with a kind's number format."""
        key = (style_name, kind)
        if key in self._xf:
            return self._xf[key]
        style = STYLES.get(style_name or "", Style())
        xf = etree.Element(_q("xf"))
        number = self._num_fmt(NUMBER_FORMATS[kind])
        plain_font = not (style.bold or style.italic or style.underline or style.size)
        font = 0 if plain_font and not style.font else self._font(style)
        fill = self._fill(style.fill)
        xf.set("numFmtId", str(number))
        xf.set("fontId", str(font))
        xf.set("fillId", str(fill))
        xf.set("borderId", "0")
        xf.set("xfId", "0")
        if number:
            xf.set("applyNumberFormat", "1")
        if font:
            xf.set("applyFont", "1")
        if fill:
            xf.set("applyFill", "1")
        if style.align or style.wrap:
            xf.set("applyAlignment", "1")
            align = etree.SubElement(xf, _q("alignment"))
            if style.align:
                align.set("horizontal", style.align)
            align.set("vertical", "center")
            if style.wrap:
                align.set("wrapText", "1")
        index = self._index_of("cellXfs", xf)
        self._xf[key] = index
        return index

    def dxf(self, fill: str, font: str, bold: bool) -> int:
        """A differential format (conditional formatting): font colour, bold, solid fill."""
        dxf = etree.Element(_q("dxf"))
        font_el = etree.SubElement(dxf, _q("font"))
        if bold:
            etree.SubElement(font_el, _q("b"))
        etree.SubElement(font_el, _q("color")).set("rgb", argb(font))
        fill_el = etree.SubElement(dxf, _q("fill"))
        pattern = etree.SubElement(fill_el, _q("patternFill"), patternType="solid")
        etree.SubElement(pattern, _q("fgColor")).set("rgb", argb(fill))
        etree.SubElement(pattern, _q("bgColor")).set("rgb", argb(fill))
        return self._index_of("dxfs", dxf)

    def to_bytes(self) -> bytes:
        return serialise(self.root)


_DEFAULT_FONT = (
    f'<font xmlns="{MAIN_NS}"><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
).encode()
_MINIMAL = (
    f'<styleSheet xmlns="{MAIN_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
    "<border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs "
    'count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs '
    'count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
).encode()
