"""Build the Excel add-in package (`sheetflow.xlam`) from the text sources in `macros/`.

The package is xlwings' BSD add-in template (`xlam_template/`, see its NOTICE.md) with our
ribbon (`customUI/customUI.xml`) and a VBA project built from the `.bas` / `.cls` files. The
build is reproducible: same sources, same bytes (fixed project id, seed and zip times).
"""

from __future__ import annotations

import sys
import uuid
import zipfile
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree

from sheetflow.io.vba.cfb import write_compound_file
from sheetflow.io.vba.project import DOCUMENT, Module, vba_project_streams

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOMUI_PART = "customUI/customUI.xml"
# Office 2010+ reads a ribbon of the 2009/07 namespace through this relationship type
CUSTOMUI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA_PART = "xl/vbaProject.bin"
PROJECT_NAME = "Sheetflow"
PROJECT_ID = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "sheetflow.xlam")).upper() + "}"
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


class AddinSourceError(ValueError):
    """macros/ is missing a file or holds one that cannot go into a VBA project."""


def macros_dir() -> Path | None:
    """Where the add-in's sources are: the repository's `macros/`, else the installed copy."""
    here = Path(__file__).resolve().parents[3] / "macros"  # a source checkout / editable install
    installed = Path(sys.prefix) / "share" / "sheetflow" / "macros"  # pyproject data-files
    for folder in (here, installed):
        if (folder / "customUI.xml").is_file():
            return folder
    return None


def read_modules(folder: Path) -> list[Module]:
    """Every `.bas` / `.cls` file of `folder`, document modules first, then by name."""
    modules = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".bas", ".cls"):
            continue
        text = path.read_text(encoding="utf-8")
        try:
            text.encode("cp1252")
        except UnicodeEncodeError as exc:
            raise AddinSourceError(
                f"{path.name}: VBA source must be code page 1252 (no Chinese); "
                "put user-facing words in sheetflow/core/messages/addin.toml"
            ) from exc
        try:
            modules.append(Module.from_text(path.name, text))
        except ValueError as exc:
            raise AddinSourceError(str(exc)) from exc
    if not modules:
        raise AddinSourceError(f"{folder}: no .bas or .cls modules")
    return sorted(modules, key=lambda m: (m.kind != DOCUMENT, m.name.lower()))


def read_customui(folder: Path) -> bytes:
    path = folder / "customUI.xml"
    if not path.is_file():
        raise AddinSourceError(f"{folder}: no customUI.xml")
    data = path.read_bytes()
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise AddinSourceError(f"{path.name}: not well-formed XML ({exc})") from exc
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise AddinSourceError(f"{path.name}: the root must be customUI in {CUSTOMUI_NS}")
    return data


def build_vba_project(modules: list[Module]) -> bytes:
    """vbaProject.bin: the project's streams in an OLE compound file."""
    streams = vba_project_streams(modules, PROJECT_NAME, PROJECT_ID)
    return write_compound_file(streams)


def _template_parts() -> dict[str, bytes]:
    root = resources.files("sheetflow.io.vba") / "xlam_template"
    parts: dict[str, bytes] = {}

    def walk(node, prefix: str) -> None:  # noqa: ANN001 - a Traversable
        for entry in node.iterdir():
            name = prefix + entry.name
            if entry.is_dir():
                walk(entry, name + "/")
            elif entry.name != "NOTICE.md":
                parts[name] = entry.read_bytes()

    walk(root, "")
    return parts


def build_xlam(out: Path | str, macros: Path | str | None = None) -> Path:
    """Write the add-in to `out` from the sources in `macros` (default: `macros_dir()`)."""
    folder = Path(macros) if macros is not None else macros_dir()
    if folder is None or not folder.is_dir():
        raise AddinSourceError("cannot find the add-in sources (macros/); pass --macros DIR")
    parts = _template_parts()
    parts[CUSTOMUI_PART] = read_customui(folder)
    parts[VBA_PART] = build_vba_project(read_modules(folder))
    rels = parts["_rels/.rels"].decode("utf-8")
    if CUSTOMUI_PART not in rels:
        raise AddinSourceError("the template's _rels/.rels does not point at the ribbon")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        first = "[Content_Types].xml"  # by convention the first part of a package
        for name in [first, *sorted(n for n in parts if n != first)]:
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, parts[name])
    tmp.replace(out)
    return out
