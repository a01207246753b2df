"""A writer of OLE compound files ([MS-CFB] version 3, 512-byte sectors).

Enough for a VBA project: storages and streams given by path, streams under 4096 bytes in the
mini stream, one FAT of at most 109 sectors (files up to ~7 MB, no DIFAT sectors).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    colour: int = _BLACK
    start: int = ENDOFCHAIN


def _sort_key(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4: shorter names first, then by upper-cased UTF-16 code units."""
    return len(name.encode("utf-16-le")), name.upper()


def _tree(entries: list[_Entry], depth: int, deepest: int) -> int:
    """Link sorted siblings as a balanced binary tree; returns the root's id.

    Nodes on the deepest level are red, the rest black: every path then has the same
    number of black nodes and no red node has a child, so the tree is a valid red-black tree.
    """
    if not entries:
        return NOSTREAM
    mid = len(entries) // 2
    node = entries[mid]
    node.colour = _RED if depth == deepest and depth > 0 else _BLACK
    node.left = _tree(entries[:mid], depth + 1, deepest)
    node.right = _tree(entries[mid + 1 :], depth + 1, deepest)
    return node.sid


def _depth(count: int) -> int:
    return max(count.bit_length() - 1, 0)  # deepest level of a middle-split tree of `count`


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def _sectors(length: int, size: int) -> int:
    return (length + size - 1) // size


def _dir_entry(entry: _Entry, size: int) -> bytes:
    name = entry.name.encode("utf-16-le") + b"\0\0"
    if len(name) > 64:
        raise ValueError(f"{entry.name!r}: a compound file name has at most 31 characters")
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBB", len(name), entry.kind, entry.colour)
        + struct.pack("<III", entry.left, entry.right, entry.child)
        + bytes(16)  # CLSID
        + struct.pack("<I", 0)  # state bits
        + bytes(16)  # creation and modification times
        + struct.pack("<IQ", entry.start, size)
    )


def write_compound_file(streams: Mapping[str, bytes]) -> bytes:
    """The bytes of a compound file holding `streams` ({"VBA/dir": b"...", "PROJECT": ...})."""
    root, entries = _directory_tree(streams)
    mini_fat = _fill_mini_stream(root, entries)
    big = [e for e in entries if e.kind == _STREAM and len(e.data) >= MINI_CUTOFF]
    if root.data:
        big.insert(0, root)  # the root's mini stream first, then the large streams
    size = _Sizes.of(big, entries, mini_fat)
    fat = [FREESECT] * (size.fat * (SECTOR // 4))
    body = bytearray()
    nxt = 0
    for entry in big:
        count = _sectors(len(entry.data), SECTOR)
        entry.start = nxt
        _chain(fat, nxt, count)
        body += entry.data.ljust(count * SECTOR, b"\0")
        nxt += count
    first_minifat = ENDOFCHAIN
    if mini_fat:
        first_minifat = nxt
        _chain(fat, nxt, size.minifat)
        table = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
        body += table.ljust(size.minifat * SECTOR, b"\xff")
        nxt += size.minifat
    first_dir = nxt
    _chain(fat, nxt, size.directory)
    body += _directory_sectors(entries, size.directory)
    nxt += size.directory
    fat_start = nxt
    for i in range(size.fat):
        fat[fat_start + i] = FATSECT
    body += struct.pack(f"<{len(fat)}I", *fat)
    assert nxt + size.fat == size.total
    return _header(size, fat_start, first_dir, first_minifat) + bytes(body)


def _directory_tree(streams: Mapping[str, bytes]) -> tuple[_Entry, list[_Entry]]:
    """The root storage with a storage per folder and a stream per path; every entry numbered
    in directory order and the children of each storage linked as a red-black tree."""
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        parent = root
        *folders, leaf = path.split("/")
        for folder in folders:
            found = next((c for c in parent.children if c.name == folder), None)
            if found is None:
                found = _Entry(folder, _STORAGE)
                parent.children.append(found)
            parent = found
        parent.children.append(_Entry(leaf, _STREAM, bytes(data)))

    entries: list[_Entry] = []

    def number(entry: _Entry) -> None:
        entry.sid = len(entries)
        entries.append(entry)
        for child in entry.children:
            number(child)

    number(root)
    for entry in entries:
        if entry.children:
            ordered = sorted(entry.children, key=lambda e: _sort_key(e.name))
            entry.child = _tree(ordered, 0, _depth(len(ordered)))
    root.colour = _BLACK
    return root, entries


def _fill_mini_stream(root: _Entry, entries: list[_Entry]) -> list[int]:
    """Small streams go into the root's mini stream, 64 bytes a mini sector; the mini FAT."""
    mini = bytearray()
    mini_fat: list[int] = []
    for entry in entries:
        if entry.kind == _STREAM and 0 < len(entry.data) < MINI_CUTOFF:
            count = _sectors(len(entry.data), MINI_SECTOR)
            entry.start = len(mini_fat)
            mini_fat += [0] * count
            _chain(mini_fat, entry.start, count)
            mini += entry.data.ljust(count * MINI_SECTOR, b"\0")
    root.data = bytes(mini)
    return mini_fat


@dataclass(frozen=True)
class _Sizes:
    """Sectors of each part: the streams, the mini FAT, the directory and the FAT."""

    streams: int
    minifat: int
    directory: int
    fat: int

    @property
    def total(self) -> int:
        return self.streams + self.directory + self.minifat + self.fat

    @classmethod
    def of(cls, big: list[_Entry], entries: list[_Entry], mini_fat: list[int]) -> _Sizes:
        stream_sectors = sum(_sectors(len(e.data), SECTOR) for e in big)
        dir_sectors = _sectors(len(entries) * 128, SECTOR)
        minifat_sectors = _sectors(len(mini_fat) * 4, SECTOR)
        fat_sectors = 1
        other_sectors = stream_sectors + dir_sectors + minifat_sectors
        while fat_sectors * (SECTOR // 4) < other_sectors + fat_sectors:
            fat_sectors += 1
        if fat_sectors > 109:
            raise ValueError("compound file too large for a writer without DIFAT sectors")
        return cls(stream_sectors, minifat_sectors, dir_sectors, fat_sectors)


def _directory_sectors(entries: list[_Entry], sectors: int) -> bytes:
    """The directory entries, padded with free entries to whole sectors (4 entries each)."""
    directory = b"".join(_dir_entry(e, len(e.data) if e.kind != _STORAGE else 0) for e in entries)
    free = b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", *[NOSTREAM] * 3)
    free = free.ljust(128, b"\0")
    return directory + free * (sectors * 4 - len(entries))


def _header(size: _Sizes, fat_start: int, first_dir: int, first_minifat: int) -> bytes:
    difat = [fat_start + i for i in range(size.fat)] + [FREESECT] * (109 - size.fat)
    header = (
        SIGNATURE
        + bytes(16)
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIII", 0, size.fat, first_dir, 0)
        + struct.pack("<IIIII", MINI_CUTOFF, first_minifat, size.minifat, ENDOFCHAIN, 0)
        + struct.pack("<109I", *difat)
    )
    assert len(header) == SECTOR
    return header
