"""[MS-OVBA] 2.4.1 compression, written from the specification.

A CompressedContainer is a signature byte 0x01 then chunks of at most 4096 decompressed bytes.
Each chunk is a 2-byte header (size - 3 in bits 0-11, signature 0b011 in bits 12-14, flag bit
15 = compressed) and either token sequences (a flag byte, then 8 tokens: a literal byte, or a
2-byte CopyToken pointing back into the same chunk) or, when tokens would not fit in 4098
bytes, the 4096 raw bytes. The split of a CopyToken into offset and length bits depends on how
far into the chunk the token sits (2.4.1.3.19.1 CopyToken Help).

The matcher is ours (a hash chain over 3-byte prefixes instead of the spec's exhaustive
backward scan): any sequence of valid tokens decompresses to the same bytes.
"""

from __future__ import annotations

import struct

CHUNK = 4096
MAX_COMPRESSED_CHUNK = 4098  # header included: anything bigger is stored raw
_MIN_MATCH = 3
_CANDIDATES = 48  # how many earlier positions with the same 3-byte prefix are tried


def copy_token_help(difference: int) -> tuple[int, int]:
    """(bit count of the offset, maximum length) for a token `difference` bytes into a chunk."""
    bit_count = max((difference - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _longest_match(data: bytes, start: int, pos: int, end: int, chains: dict) -> tuple[int, int]:
    """(offset, length) of the longest earlier match for data[pos:] inside the chunk."""
    candidates = chains.get(data[pos : pos + _MIN_MATCH])
    if not candidates:
        return 0, 0
    _, max_length = copy_token_help(pos - start)
    limit = min(end - pos, max_length)
    best_length = best_at = 0
    for at in reversed(candidates[-_CANDIDATES:]):
        length = _MIN_MATCH
        # the copy may overlap the bytes it produces (run-length), so compare byte by byte
        while length < limit and data[at + length] == data[pos + length]:
            length += 1
        if length > best_length:
            best_length, best_at = length, at
            if length == limit:
                break
    return pos - best_at, best_length


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    out = bytearray()
    chains: dict[bytes, list[int]] = {}
    pos = start
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            offset, length = (0, 0)
            if end - pos >= _MIN_MATCH:
                offset, length = _longest_match(data, start, pos, end, chains)
            if length >= _MIN_MATCH:
                bit_count, _ = copy_token_help(pos - start)
                token = ((offset - 1) << (16 - bit_count)) | (length - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = length
            else:
                out.append(data[pos])
                step = 1
            for p in range(pos, min(pos + step, end - _MIN_MATCH + 1)):
                chains.setdefault(data[p : p + _MIN_MATCH], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """The CompressedContainer of `data` (2.4.1.3.6 Compression algorithm)."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        end = min(start + CHUNK, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) + 2 <= MAX_COMPRESSED_CHUNK:
            header = (len(body) + 2 - 3) | (0b011 << 12) | 0x8000
        else:  # 2.4.1.3.10: a raw chunk is always 4096 bytes, padded at the very end
            body = data[start:end].ljust(CHUNK, b"\x00")
            header = (CHUNK + 2 - 3) | (0b011 << 12)
        out += struct.pack("<H", header) + body
    return bytes(out)
