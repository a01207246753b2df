"""Read .xlsx/.xlsm files into a `Workbook` with calamine (fast), wrapping every failure."""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from sheetflow.core.workbook import Merge, Ownership, Workbook, build_workbook
from sheetflow.errors import WorkbookError
from sheetflow.io.xlsx.problems import mark_cells

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
        raise WorkbookError(f"{path}: permission denied (cannot read the file)") from exc
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


@dataclass(frozen=True)
class Snapshot:
    """The bytes of a workbook file as one run read them, and how to tell if it changed since.

    The writer edits these bytes (never re-reads the file), and before replacing the file it
    checks that the file on disk is still this one: size, mtime and SHA-256.
    """

    path: Path
    data: bytes
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def take(cls, path: Path) -> Snapshot:
        try:
            with path.open("rb") as handle:
                before = os.fstat(handle.fileno())
                data = handle.read()
        except PermissionError as exc:
            raise WorkbookError(f"{path}: permission denied (cannot read the file)") from exc
        except OSError as exc:
            raise WorkbookError(f"cannot read {path}: {exc.strerror or exc}") from exc
        return cls(path, data, before.st_size, before.st_mtime_ns, _digest(data))

    def changed(self) -> str | None:
        """Why the file on disk is no longer what was read, or None if it is the same."""
        try:
            now = self.path.stat()
        except OSError:
            return "it was removed or renamed"
        if now.st_size != self.size or now.st_mtime_ns != self.mtime_ns:
            with self.path.open("rb") as handle:
                if _digest(handle.read()) != self.sha256:
                    return "another program saved it"
        return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_snapshot(path: Path | str) -> tuple[Snapshot, Workbook]:
    """Read the file once: its bytes (kept for the writer) and the `Workbook` in them."""
    path = Path(path)
    check_workbook_file(path)
    snapshot = Snapshot.take(path)
    ownership = ownership_of(snapshot.data)
    # the sheets a previous run wrote (Summary, Routing...) are replaced whole: not read
    ours = set(ownership.sheets.values()) if ownership.recorded else set()
    raw, problems, merges = _cells_of(snapshot.data, path, ours)
    book = build_workbook(
        raw, source=str(path), ownership=ownership, cell_problems=problems, merges=merges
    )
    return snapshot, book


OWNED_NAME_PREFIX = "_sheetflow."
_RANGE = re.compile(r"^(?:'((?:[^']|'')+)'|([^!]+))!(.+)$")
_COLUMNS = re.compile(r"\$?([A-Z]{1,3})(?:\$?\d+)?(?::\$?([A-Z]{1,3})(?:\$?\d+)?)?$")


def _letters(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def parse_reference(text: str) -> tuple[str, list[tuple[int, int]]] | None:
    """`'My sheet'!$H:$L,'My sheet'!$N:$N` -> ("My sheet", [(8, 12), (14, 14)]); None if broken."""
    title = None
    spans = []
    for part in text.split(","):
        found = _RANGE.match(part.strip().strip("()"))
        if found is None:
            return None
        name = found.group(1).replace("''", "'") if found.group(1) else found.group(2)
        if title is not None and name != title:
            return None
        title = name
        columns = _COLUMNS.match(found.group(3))
        if columns is None:
            return None
        first = _letters(columns.group(1))
        spans.append((first, _letters(columns.group(2)) if columns.group(2) else first))
    return (title, spans) if title is not None else None


def ownership_of(data: bytes) -> Ownership:
    """What the file records of sheetflow's outputs: its hidden `_sheetflow.` defined names."""
    from sheetflow.io.xlsx.package import MAIN_NS, Package

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            package = Package.open(archive)
    except (WorkbookError, zipfile.BadZipFile, KeyError, OSError):
        return Ownership()
    titles = [entry.element.get("name", "") for entry in package.sheets]
    names = package.workbook.find(f"{{{MAIN_NS}}}definedNames")
    recorded = False
    sheets: dict[str, str] = {}
    columns: dict[str, frozenset[int]] = {}
    for element in names if names is not None else []:
        name = element.get("name", "")
        if not name.startswith(OWNED_NAME_PREFIX):
            continue
        recorded = True
        found = parse_reference((element.text or "").strip())
        if found is None:  # the sheet was deleted (#REF!): nothing of it to own
            continue
        title, spans = found
        if name.startswith(OWNED_NAME_PREFIX + "sheet."):
            sheets[name[len(OWNED_NAME_PREFIX + "sheet.") :]] = title
        elif name == OWNED_NAME_PREFIX + "columns":
            local = element.get("localSheetId")
            if local is not None and local.isdigit() and int(local) < len(titles):
                title = titles[int(local)]
            columns[title] = frozenset(c for lo, hi in spans for c in range(lo, hi + 1))
    return Ownership(recorded, sheets, columns)


def read_snapshot_rows(path: Path | str) -> tuple[Snapshot, dict[str, list[list[object]]]]:
    """Read the file once: its bytes (kept for the writer) and every sheet's rows."""
    path = Path(path)
    check_workbook_file(path)
    snapshot = Snapshot.take(path)
    return snapshot, _cells_of(snapshot.data, path)[0]


def read_rows(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of the file: title -> rows anchored at A1 (see `_cells_of`)."""
    check_workbook_file(path)
    return _cells_of(path.read_bytes(), path)[0]


def _cells_of(
    data: bytes, path: Path, skip: set[str] | frozenset[str] = frozenset()
) -> tuple[dict[str, list[list[object]]], bool, dict[str, list[Merge]]]:
    """Title -> rows as calamine reads them, whether any cell is a `CellProblem`, and each
    sheet's merged ranges.

    skip: titles of sheets not to read (their rows come back empty: sheetflow's own sheets).

    calamine reads error values and formulas without a cached value as ""; `mark_cells`
    finds them in the input sheets' XML and puts `CellError` / `UncalculatedFormula` there,
    and blanks the totals rows of Excel Tables.
    """
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        raw: dict[str, list[list[object]]] = {}
        merges: dict[str, list[Merge]] = {}
        for name in book.sheet_names:
            if name in skip:
                raw[name] = []
                continue
            sheet = book.get_sheet_by_name(name)
            raw[name] = sheet.to_python(skip_empty_area=False)
            ranges = getattr(sheet, "merged_cell_ranges", None) or ()
            merges[name] = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges]
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            problems = mark_cells(archive, raw)
    except Exception as exc:  # calamine raises its own error types per failure
        raise WorkbookError(f"cannot read {path}: {exc}") from exc
    return raw, problems, merges


def read_workbook(path: Path | str) -> Workbook:
    """Read a workbook file once into the `Workbook` value."""
    return read_snapshot(path)[1]
