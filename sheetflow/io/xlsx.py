"""Read .xlsx/.xlsm files into a `Workbook` with calamine (fast), wrapping every failure."""

from __future__ import annotations

import zipfile
from pathlib import Path

import python_calamine

from sheetflow.core.workbook import Workbook, build_workbook
from sheetflow.errors import WorkbookError
from sheetflow.io.sheet_xml import mark_cells

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: encrypted xlsx, or legacy .xls
# stream names in a Compound File's directory are UTF-16LE
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))


def _compound_file_kind(path: Path) -> str:
    """What a Compound File holds: "encrypted" (a password-protected xlsx), "xls" or "other"."""
    data = path.read_bytes()
    if _ENCRYPTED_STREAM in data:
        return "encrypted"
    if any(name + b"\x00\x00" in data for name in _XLS_STREAMS):
        return "xls"
    return "other"


def check_workbook_file(path: Path) -> None:
    """Raise WorkbookError with a one-line reason when `path` is not a readable xlsx/xlsm."""
    try:
        _check_workbook_file(path)
    except PermissionError as exc:
        raise WorkbookError(f"cannot read {path}: permission denied") from exc
    except OSError as exc:
        raise WorkbookError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _check_workbook_file(path: Path) -> None:
    if not path.exists():
        raise WorkbookError(f"no such file: {path}")
    if path.is_dir():
        raise WorkbookError(f"{path} is a folder, not a workbook")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == _OLE_MAGIC:
        kind = _compound_file_kind(path)
        if kind == "encrypted":
            raise WorkbookError(
                f"{path} is password-protected (encrypted); remove the password in Excel first"
            )
        if kind == "xls" and path.suffix.lower() == ".xls":
            raise WorkbookError(f"{path} is a legacy .xls file; save it as .xlsx in Excel first")
        if kind == "xls":
            raise WorkbookError(
                f"{path} is a legacy .xls workbook renamed to {path.suffix}; "
                "open it in Excel and save it as .xlsx"
            )
        raise WorkbookError(f"{path} is not an Excel workbook (an OLE file, e.g. a .doc)")
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


def read_cells(path: Path) -> tuple[dict[str, list[list[object]]], bool]:
    """Every sheet of the file: title -> rows anchored at A1, and whether any cell is a problem.

    Cells are as calamine reads them, except that error values and uncalculated formulas of
    the input sheets are `CellProblem`s (calamine reads both as "") and Excel Table totals rows
    are blank.
    """
    check_workbook_file(path)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        raw: dict[str, list[list[object]]] = {}
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            raw[name] = sheet.to_python(skip_empty_area=False)
        with zipfile.ZipFile(path) as archive:
            problems = mark_cells(archive, raw)
    except PermissionError as exc:
        raise WorkbookError(f"cannot read {path}: permission denied") from exc
    except Exception as exc:  # calamine raises its own error types per failure
        raise WorkbookError(f"cannot read {path}: {exc}") from exc
    return raw, problems


def read_rows(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of the file: title -> rows anchored at A1 (see `read_cells`)."""
    return read_cells(path)[0]


def read_workbook(path: Path | str) -> Workbook:
    """Read a workbook file once into the `Workbook` value."""
    path = Path(path)
    raw, problems = read_cells(path)
    return build_workbook(raw, source=str(path), cell_problems=problems)
