"""The VBA project writer, checked with independent readers (oletools, olefile)."""

from __future__ import annotations

import io
import os

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from sheetflow.io.vba.cfb import write_compound_file
from sheetflow.io.vba.compression import compress
from sheetflow.io.vba.project import decrypt, encrypt

XLWINGS_BAS = os.path.join(os.path.dirname(__import__("xlwings").__file__), "xlwings.bas")


def _roundtrip(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(compress(data))))


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        pytest.param(  # [MS-OVBA] 3.2.1 No Compression Example
            b"abcdefghijklmnopqrstuv.",
            "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 "
            "71 72 73 74 75 76 2E",
            id="spec-3.2.1-no-compression",
        ),
        pytest.param(  # [MS-OVBA] 3.2.2 Normal Compression Example
            b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
            "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C "
            "00 20 6D 6E 6F 70 06 71 02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C",
            id="spec-3.2.2-normal",
        ),
    ],
)
def test_compression_matches_the_spec_examples(plain: bytes, expected: str) -> None:
    assert compress(plain) == bytes.fromhex(expected.replace(" ", ""))


def test_a_large_module_source_survives_compression() -> None:
    # xlwings' own module is ~45 kB: eleven chunks, far past the ~650 bytes where a
    # published compressor breaks
    with open(XLWINGS_BAS, "rb") as handle:
        source = handle.read()
    assert len(source) > 40_000
    compressed = compress(source)
    assert len(compressed) < len(source) / 2
    assert _roundtrip(source) == source


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=9000) | st.text(alphabet="ab \r\n", max_size=12000).map(str.encode))
def test_compression_round_trips(data: bytes) -> None:
    out = _roundtrip(data)
    # a raw (incompressible) last chunk is padded to 4096 bytes by the spec's own algorithm
    assert out[: len(data)] == data and not out[len(data) :].strip(b"\0")


def test_a_chunk_of_random_bytes_is_stored_raw() -> None:
    data = os.urandom(4096 * 2)
    compressed = compress(data)
    header = int.from_bytes(compressed[1:3], "little")
    assert header & 0x8000 == 0 and (header & 0x0FFF) + 3 == 4098
    assert _roundtrip(data) == data


def test_protection_fields_decrypt_as_excel_wrote_them() -> None:
    # CMG / DPB / GC of the PROJECT stream of xlwings' add-in template, saved by Excel
    project_id = "{318BEE36-5BE1-492A-826D-473DB19B0F30}"
    assert decrypt(project_id, "5D5F8AADDAA8DEA8DEA8DEA8DE") == bytes(4)
    assert decrypt(project_id, "5D5F8AADDAADDBADDBAD") == b"\x00"
    assert decrypt(project_id, "5D5F8AADDAADDBADDB52") == b"\xff"


@pytest.mark.parametrize("seed", range(0, 256, 17))
def test_encryption_round_trips(seed: int) -> None:
    project_id = "{19DEB1B9-0184-5DD2-9BB8-53A6EB9D5EFD}"
    data = b"\x01\x02\x03\x04"
    assert decrypt(project_id, encrypt(project_id, data, seed)) == data
    with pytest.raises(ValueError, match="another project id"):
        decrypt("{00000000-0000-0000-0000-000000000000}", encrypt(project_id, b"\xff", seed))


def test_compound_file_is_read_back_by_olefile() -> None:
    streams = {
        "PROJECT": b"ID=...\r\n" * 60,
        "PROJECTwm": b"\0\0",
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
        "VBA/dir": os.urandom(1300),
        "VBA/big": os.urandom(70_000),  # regular sectors, several FAT sectors' worth of chain
        "VBA/empty": b"",
    }
    for i in range(40):  # enough siblings for a deep red-black tree
        streams[f"VBA/Module{i}"] = os.urandom(37 * i)
    data = write_compound_file(streams)
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    for path, content in streams.items():
        assert ole.openstream(path).read() == content, path
    assert sorted("/".join(p) for p in ole.listdir()) == sorted(streams)
