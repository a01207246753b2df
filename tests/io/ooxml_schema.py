"""Validate SpreadsheetML parts against the ECMA-376 Transitional schemas (lxml XMLSchema).

Excel writes its later additions (x14ac, x14, xr…) under Markup Compatibility: a namespace
listed in `mc:Ignorable` may be dropped by a consumer that does not understand it, and
`mc:AlternateContent` offers choices with a `mc:Fallback`. We preprocess as such a consumer
(ECMA-376 Part 3): drop ignorable elements and attributes, take the Fallback, then validate
what remains against the 2006 schemas, which is what every consumer must understand.

The schemas (tests/io/corpus/xsd, see SOURCES.md) are loaded from files only: a resolver maps
every import to the local copy and nothing is ever fetched.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).parent / "corpus" / "xsd"

MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"

# Namespace -> schema file, for every namespace the schema set defines: these are the
# namespaces a consumer of the 2006 schemas "understands"; Ignorable ones outside it are dropped.
SCHEMA_FILES = {
    SML: "sml.xsd",
    XDR: "dml-spreadsheetDrawing.xsd",
    CHART: "dml-chart.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/main": "dml-main.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/chartDrawing": "dml-chartDrawing.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/diagram": "dml-diagram.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/lockedCanvas": "dml-lockedCanvas.xsd",
    "http://schemas.openxmlformats.org/drawingml/2006/picture": "dml-picture.xsd",
    "http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes": (
        "shared-commonSimpleTypes.xsd"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        "shared-relationshipReference.xsd"
    ),
}
UNDERSTOOD = frozenset(SCHEMA_FILES)

# Root element (namespace, local name) -> the schema that defines it.
ROOTS = {
    (SML, "worksheet"): SML,
    (SML, "chartsheet"): SML,
    (SML, "styleSheet"): SML,
    (SML, "workbook"): SML,
    (SML, "sst"): SML,
    (SML, "table"): SML,
    (SML, "comments"): SML,
    (XDR, "wsDr"): XDR,
    (CHART, "chartSpace"): CHART,
}


class SchemaError(AssertionError):
    """A part is not valid against the schema; the message lists every violation."""


class _LocalSchemas(etree.Resolver):
    """Resolve each schema import to its file in XSD_DIR; refuse anything else."""

    def resolve(self, system_url, public_id, context):  # noqa: ANN001, ANN201 - lxml API
        name = Path(str(system_url)).name
        local = XSD_DIR / name
        if local.is_file():
            return self.resolve_filename(str(local), context)
        raise SchemaError(f"schema import {system_url!r} has no local copy in {XSD_DIR}")


@functools.cache
def schema_for(namespace: str) -> etree.XMLSchema:
    """The compiled schema whose target namespace is `namespace` (imports resolved locally)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalSchemas())
    doc = etree.parse(str(XSD_DIR / SCHEMA_FILES[namespace]), parser)
    return etree.XMLSchema(doc)


def _ignorable(element: etree._Element) -> set[str]:
    """Namespaces listed in mc:Ignorable on this element (prefixes resolved in its scope)."""
    value = element.get(f"{{{MC}}}Ignorable")
    if not value:
        return set()
    return {element.nsmap[prefix] for prefix in value.split() if prefix in element.nsmap}


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _process(element: etree._Element, ignorable: frozenset[str]) -> None:
    """Apply Markup Compatibility to the children and attributes of `element`, in place."""
    for name in list(element.attrib):
        namespace = _namespace(name)
        if namespace == MC or (namespace in ignorable and namespace not in UNDERSTOOD):
            del element.attrib[name]
    # xml:space belongs to XML itself (every OOXML producer writes it on <t>), but the
    # schemas never declare it; consumers, the Open XML SDK's validator too, accept it anywhere.
    element.attrib.pop(XML_SPACE, None)
    if etree.QName(element).localname == "ext":
        return  # an extension's content is matched by <xsd:any processContents="lax"/> as is
    index = 0
    while index < len(element):
        child = element[index]
        if not isinstance(child.tag, str):  # comment or processing instruction
            index += 1
            continue
        scope = ignorable | _ignorable(child)
        namespace = _namespace(child.tag)
        if child.tag == f"{{{MC}}}AlternateContent":
            fallback = child.find(f"{{{MC}}}Fallback")
            replacement = list(fallback) if fallback is not None else []
            element.remove(child)
            for offset, node in enumerate(replacement):
                element.insert(index + offset, node)
            continue  # process the inserted nodes in turn
        if namespace in scope and namespace not in UNDERSTOOD:
            element.remove(child)
            continue
        if namespace == MC:
            raise SchemaError(f"unexpected Markup Compatibility element {child.tag}")
        _process(child, frozenset(scope))
        index += 1


def preprocess(data: bytes) -> etree._ElementTree:
    """Parse a part and resolve Markup Compatibility as a 2006-schema consumer would."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=True)
    root = etree.fromstring(data, parser)
    _process(root, frozenset(_ignorable(root)))
    return etree.ElementTree(root)


def root_schema(data: bytes) -> str | None:
    """The target namespace of the schema for this part's root element, or None if unknown."""
    for _event, element in etree.iterparse(io.BytesIO(data), events=("start",), no_network=True):
        qname = etree.QName(element)
        return ROOTS.get((qname.namespace, qname.localname))
    return None


def violations(data: bytes) -> list[str]:
    """Schema violations of one part (empty when valid); the part's root picks the schema."""
    namespace = root_schema(data)
    if namespace is None:
        raise SchemaError("no ECMA-376 schema for this part's root element")
    schema = schema_for(namespace)
    tree = preprocess(data)
    if schema.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def assert_valid(name: str, data: bytes) -> None:
    """Raise SchemaError naming the part and every violation when `data` is not valid."""
    found = violations(data)
    if found:
        shown = "\n  ".join(found[:20])
        more = f"\n  … and {len(found) - 20} more" if len(found) > 20 else ""
        raise SchemaError(f"{name} is not valid ECMA-376 Transitional:\n  {shown}{more}")
