"""safety: lock files, backups, atomic replace.

What a refresh keeps of a workbook is proved on real files by test_preservation.py (the
package writer copies every part it does not own); openpyxl is no longer on that path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sheetflow.errors import LockedError, WorkbookError
from sheetflow.io import safety
from sheetflow.io.safety import backup_path, check_not_locked, replace_atomically


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK")  # the lock check looks beside the file, not into it
    return path


# ---------------------------------------------------------------------------------------------
# Lock files


def test_not_locked(book: Path) -> None:
    check_not_locked(book)


@pytest.mark.parametrize(
    "owner",
    [
        pytest.param("~$book.xlsx", id="excel"),
        pytest.param(".~lock.book.xlsx#", id="libreoffice"),
    ],
)
def test_locked_by_owner_file(book: Path, owner: str) -> None:
    (book.parent / owner).write_bytes(b"\x05alice")
    with pytest.raises(LockedError, match=r"book\.xlsx is open in Excel \(.*exists\); close it"):
        check_not_locked(book)


def test_owner_file_of_another_book_does_not_lock(book: Path) -> None:
    (book.parent / "~$other.xlsx").write_bytes(b"")
    check_not_locked(book)


# ---------------------------------------------------------------------------------------------
# Atomic replace


def test_backup_path() -> None:
    assert backup_path(Path("/d/book.xlsx")) == Path("/d/book.bak.xlsx")
    assert backup_path(Path("/d/Book.v2.xlsm")) == Path("/d/Book.v2.bak.xlsm")


def test_replace_keeps_the_latest_backup_and_dated_ones(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"v1")
    replace_atomically(target, lambda p: p.write_bytes(b"v2"), backup=True)
    replace_atomically(target, lambda p: p.write_bytes(b"v3"), backup=True)
    assert target.read_bytes() == b"v3"
    assert backup_path(target).read_bytes() == b"v2"
    dated = safety.dated_backups(target)
    assert [p.read_bytes() for p in dated] == [b"v2", b"v1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["book.bak.xlsx", "book.xlsx", *(p.name for p in dated)]
    )


def test_new_file_takes_permissions_of_like(tmp_path: Path) -> None:
    source = tmp_path / "book.xlsx"
    source.write_bytes(b"v1")
    source.chmod(0o640)
    out = replace_atomically(tmp_path / "new.xlsx", lambda p: p.write_bytes(b"x"), like=source)
    assert out.stat().st_mode & 0o777 == 0o640


def _fail(path: Path) -> None:
    path.write_bytes(b"half")
    raise ValueError("boom")


def test_failed_write_leaves_target(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"v1")
    with pytest.raises(WorkbookError, match="could not write .*book.xlsx: boom"):
        replace_atomically(target, _fail, backup=True)
    assert target.read_bytes() == b"v1"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_failed_verify_leaves_target(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"v1")

    def verify(path: Path) -> None:
        raise WorkbookError(f"{path.name} is wrong")

    with pytest.raises(WorkbookError, match=r"^\.~sheetflow-.*\.xlsx is wrong$"):
        replace_atomically(target, lambda p: p.write_bytes(b"v2"), verify, backup=True)
    assert target.read_bytes() == b"v1"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="cannot write in"):
        replace_atomically(tmp_path / "nope" / "b.xlsx", lambda p: p.write_bytes(b""))
