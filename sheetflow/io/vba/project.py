"""The streams of a VBA project ([MS-OVBA] 2.3), built from module sources.

The project carries no compiled code: `_VBA_PROJECT` says version 0xFFFF with no performance
cache and every module's source starts at offset 0 of its stream, which is what the spec asks a
writer to do (2.3.4.1: "MUST be 0xFFFF on write", PerformanceCache "MUST NOT be present on
write"); the VBA host compiles the source when it opens the project.
"""

from __future__ import annotations

import random
import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sheetflow.io.vba.compression import compress

CODEPAGE = 1252  # Western: module sources must be ASCII/cp1252 (VBA's own limit for a project)
LCID = 0x0409
DOCUMENT_BASES = {  # VB_Base of Excel's document modules
    "0{00020819-0000-0000-C000-000000000046}": "workbook",
    "0{00020820-0000-0000-C000-000000000046}": "worksheet",
}
PROCEDURAL, DOCUMENT, CLASS = "module", "document", "class"

# Type libraries the project refers to; the Office library declares IRibbonControl.
# libid form: *\G{guid}#major.minor#lcid#path#description (2.1.1.8); the path is a hint only.
REFERENCES: tuple[tuple[str, str], ...] = (
    (
        "stdole",
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
        r"C:\Windows\System32\stdole2.tlb#OLE Automation",
    ),
    (
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
        r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#"
        r"Microsoft Office 16.0 Object Library",
    ),
)


@dataclass(frozen=True)
class Module:
    """One VBA module as stored in the project: its name, kind and source (CRLF lines)."""

    name: str
    kind: str  # PROCEDURAL, DOCUMENT or CLASS
    source: str

    @classmethod
    def from_text(cls, file_name: str, text: str) -> Module:
        """A module from a `.bas` / `.cls` file in stored form (Attribute lines first)."""
        source = "\r\n".join(text.replace("\r\n", "\n").split("\n"))
        found = re.search(r'^Attribute VB_Name = "([^"]+)"', source, re.M)
        if not found:
            raise ValueError(f"{file_name}: no 'Attribute VB_Name' line")
        if file_name.lower().endswith(".bas"):
            kind = PROCEDURAL
        else:
            base = re.search(r'^Attribute VB_Base = "([^"]+)"', source, re.M)
            kind = DOCUMENT if base and base.group(1) in DOCUMENT_BASES else CLASS
        return cls(found.group(1), kind, source)


def _mbcs(text: str) -> bytes:
    return text.encode(f"cp{CODEPAGE}")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _record(rid: int, data: bytes = b"") -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _u32(rid: int, value: int) -> bytes:
    return _record(rid, struct.pack("<I", value))


def _u16(rid: int, value: int) -> bytes:
    return _record(rid, struct.pack("<H", value))


def _text_pair(rid: int, text: str, rid_unicode: int) -> bytes:
    """A record holding MBCS text followed by its Unicode twin (name, docstring, stream name)."""
    return _record(rid, _mbcs(text)) + _record(rid_unicode, _utf16(text))


def dir_stream(project_name: str, modules: Sequence[Module]) -> bytes:
    """The decompressed `dir` stream (2.3.4.2): project information, references, modules."""
    out = bytearray()
    out += _u32(0x0001, 0x00000001)  # PROJECTSYSKIND: 32-bit Windows (hosts recompile anyway)
    out += _u32(0x0002, LCID)  # PROJECTLCID
    out += _u32(0x0014, LCID)  # PROJECTLCIDINVOKE
    out += _u16(0x0003, CODEPAGE)  # PROJECTCODEPAGE
    out += _record(0x0004, _mbcs(project_name))  # PROJECTNAME
    out += _text_pair(0x0005, "", 0x0040)  # PROJECTDOCSTRING
    out += _text_pair(0x0006, "", 0x003D)  # PROJECTHELPFILEPATH
    out += _u32(0x0007, 0)  # PROJECTHELPCONTEXT
    out += _u32(0x0008, 0)  # PROJECTLIBFLAGS
    # PROJECTVERSION: Reserved (always 4) then major (u32) and minor (u16): 10 bytes of data
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)
    out += _text_pair(0x000C, "", 0x003C)  # PROJECTCONSTANTS
    for name, libid in REFERENCES:
        out += _text_pair(0x0016, name, 0x003E)  # REFERENCENAME
        registered = struct.pack("<I", len(libid)) + _mbcs(libid) + struct.pack("<IH", 0, 0)
        out += _record(0x000D, registered)  # REFERENCEREGISTERED
    out += _u16(0x000F, len(modules))  # PROJECTMODULES
    out += _u16(0x0013, 0xFFFF)  # PROJECTCOOKIE
    for module in modules:
        out += _record(0x0019, _mbcs(module.name))  # MODULENAME
        out += _record(0x0047, _utf16(module.name))  # MODULENAMEUNICODE
        out += _text_pair(0x001A, module.name, 0x0032)  # MODULESTREAMNAME
        out += _text_pair(0x001C, "", 0x0048)  # MODULEDOCSTRING
        out += _u32(0x0031, 0)  # MODULEOFFSET: the source starts the stream (no cache)
        out += _u32(0x001E, 0)  # MODULEHELPCONTEXT
        out += _u16(0x002C, 0xFFFF)  # MODULECOOKIE
        module_type = 0x0021 if module.kind == PROCEDURAL else 0x0022  # MODULETYPE
        out += struct.pack("<HI", module_type, 0)
        out += struct.pack("<HI", 0x002B, 0)  # module terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir terminator
    return bytes(out)


def encrypt(project_id: str, data: bytes, seed: int | None = None) -> str:
    """[MS-OVBA] 2.4.3.2 Data Encryption of `data`, as the hex text PROJECT stores."""
    seed = random.randrange(256) if seed is None else seed
    version = 2
    proj_key = sum(_mbcs(project_id)) & 0xFF
    version_enc = seed ^ version
    proj_key_enc = seed ^ proj_key
    out = bytearray([seed, version_enc, proj_key_enc])
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    ignored = [0] * ((seed & 6) // 2)  # IgnoredLength bytes of arbitrary value
    for byte in [*ignored, *struct.pack("<I", len(data)), *data]:
        byte_enc = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(byte_enc)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte_enc, byte
    return out.hex().upper()


def decrypt(project_id: str, hex_text: str) -> bytes:
    """The inverse of `encrypt` (2.4.3.3), used to check a project's protection fields."""
    raw = bytes.fromhex(hex_text)
    seed, version_enc, proj_key_enc = raw[0], raw[1], raw[2]
    if seed ^ version_enc != 2:
        raise ValueError("not version 2 data encryption")
    proj_key = seed ^ proj_key_enc
    if proj_key != sum(_mbcs(project_id)) & 0xFF:
        raise ValueError("the data was encrypted for another project id")
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    plain = bytearray()
    for byte_enc in raw[3:]:
        byte = byte_enc ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte_enc, byte
    ignored = (seed & 6) // 2
    length = struct.unpack_from("<I", plain, ignored)[0]
    return bytes(plain[ignored + 4 : ignored + 4 + length])


def _seed(project_id: str, name: str) -> int:
    """A seed fixed by the project id: the same sources build the same bytes."""
    return random.Random(f"{project_id}/{name}").randrange(256)


def project_stream(project_name: str, project_id: str, modules: Sequence[Module]) -> bytes:
    """The PROJECT stream (2.3.1): module list, name, protection state, host extender info."""
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind == DOCUMENT:
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind == CLASS:
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(project_id, bytes(4), _seed(project_id, "CMG"))}"',  # not protected
        f'DPB="{encrypt(project_id, bytes(1), _seed(project_id, "DPB"))}"',  # no password
        f'GC="{encrypt(project_id, bytes([0xFF]), _seed(project_id, "GC"))}"',  # visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return _mbcs("\r\n".join(lines) + "\r\n")


def projectwm_stream(modules: Sequence[Module]) -> bytes:
    """PROJECTwm (2.3.3): each module name in MBCS and in UTF-16, then a terminator."""
    out = bytearray()
    for module in modules:
        out += _mbcs(module.name) + b"\0" + _utf16(module.name) + b"\0\0"
    return bytes(out + b"\0\0")


def vba_project_streams(
    modules: Sequence[Module], project_name: str = "VBAProject", project_id: str | None = None
) -> dict[str, bytes]:
    """Every stream of the project storage, by path inside the compound file."""
    project_id = project_id or "{" + str(uuid.uuid4()).upper() + "}"
    streams = {
        "PROJECT": project_stream(project_name, project_id, modules),
        "PROJECTwm": projectwm_stream(modules),
        "VBA/_VBA_PROJECT": struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0000),
        "VBA/dir": compress(dir_stream(project_name, modules)),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(_mbcs(module.source))
    return streams
