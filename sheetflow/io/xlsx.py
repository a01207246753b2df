"""Read .xlsx/.xlsm files into a `Workbook` with calamine (fast), wrapping every failure."""

from __future__ import annotations

import zipfile
from pathlib import Path

import python_calamine

from sheetflow.core.workbook import Workbook, build_workbook
from sheetflow.errors import WorkbookError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: encrypted xlsx, or legacy .xls


def check_workbook_file(path: Path) -> None:
    """Raise WorkbookError with a one-line reason when `path` is not a readable xlsx/xlsm."""
    if not path.exists():
        raise WorkbookError(f"no such file: {path}")
    if path.is_dir():
        raise WorkbookError(f"{path} is a folder, not a workbook")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == _OLE_MAGIC:
        if path.suffix.lower() == ".xls":
            raise WorkbookError(f"{path} is a legacy .xls file; save it as .xlsx in Excel first")
        raise WorkbookError(
            f"{path} is password-protected (encrypted); remove the password in Excel first"
        )
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{path} is not an .xlsx or .xlsm workbook")
    if not head.startswith(b"PK"):
        raise WorkbookError(f"{path} is not an Excel workbook (not a zip file)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise WorkbookError(f"{path} is damaged or truncated ({exc})") from exc
    if "xl/workbook.xml" not in names:
        raise WorkbookError(f"{path} is a zip file but not an Excel workbook (no xl/workbook.xml)")


def read_rows(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of the file: title -> rows anchored at A1, cells as calamine reads them."""
    check_workbook_file(path)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        raw: dict[str, list[list[object]]] = {}
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            raw[name] = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types per failure
        raise WorkbookError(f"cannot read {path}: {exc}") from exc
    return raw


def read_workbook(path: Path | str) -> Workbook:
    """Read a workbook file once into the `Workbook` value."""
    path = Path(path)
    return build_workbook(read_rows(path), source=str(path))
