"""What sheetflow wrote, as the doors record it: shared by the Excel and Google Sheets doors.

The file door records its outputs as hidden defined names (`io/xlsx/writer._record_ownership`):
`_sheetflow.sheet.<Name>` = `'<title>'!$A$1` per owned sheet and, local to Log / Cases,
`_sheetflow.columns` = the columns sheetflow wrote there. The Excel door writes the same names
through xlwings; the Google door, which has no defined names that follow edits, writes the same
facts as developer metadata. Both turn what they find back into the `Ownership` the core uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sheetflow.core import plan as P
from sheetflow.core import schema
from sheetflow.core.workbook import Ownership
from sheetflow.io.xlsx.reader import OWNED_NAME_PREFIX, parse_reference

SHEET_NAME_PREFIX = OWNED_NAME_PREFIX + "sheet."
COLUMNS_NAME = OWNED_NAME_PREFIX + "columns"


@dataclass(frozen=True)
class Records:
    """What one output plan owns: canonical sheet -> title, sheet title -> 1-based columns."""

    sheets: dict[str, str]
    columns: dict[str, tuple[int, ...]]


def plan_records(output: P.OutputPlan) -> Records | None:
    """The outputs `output` writes, or None when it writes none (a sync or calendar plan).

    Only sheetflow's own outputs count: owned sheets named in SPEC §5 and computed columns
    (their keys are the SPEC codes); rows appended to a user's sheet and the input sheets
    `sheetflow sync` copies are the user's. None tells the door to leave earlier records be.
    """
    sheets = {sp.name: sp.title for sp in output.sheets if sp.name in schema.OUTPUT_SHEETS}
    columns: dict[str, tuple[int, ...]] = {}
    for patch in output.patches:
        sheet = schema.SHEETS_BY_NAME.get(patch.sheet)
        if sheet is None or not patch.clear_other_rows:
            continue
        outputs = {col.name for col in sheet.outputs}
        owned = [p for c, p in zip(patch.columns, patch.positions) if c.key in outputs]
        if owned:
            columns[patch.title] = tuple(sorted(owned))
    if not sheets and not columns:
        return None
    return Records(sheets, columns)


def defined_names(records: Records) -> list[tuple[str, str | None, str]]:
    """The file door's defined names for `records`: (name, local sheet title, reference)."""
    names: list[tuple[str, str | None, str]] = [
        (SHEET_NAME_PREFIX + name, None, f"={P.quote_title(title)}!$A$1")
        for name, title in records.sheets.items()
    ]
    for title, columns in records.columns.items():
        reference = ",".join(
            f"{P.quote_title(title)}!${P.column_letter(a)}:${P.column_letter(b)}"
            for a, b in P.runs(columns)
        )
        names.append((COLUMNS_NAME, title, "=" + reference))
    return names


def ownership_from_names(names: Iterable[tuple[str, str | None, str | None]]) -> Ownership:
    """`Ownership` from defined names: (name without its sheet, local sheet title, reference).

    A name of sheetflow's whose reference is broken (`#REF!`: the sheet was deleted) still
    says the book carries records; it owns nothing.
    """
    recorded = False
    sheets: dict[str, str] = {}
    columns: dict[str, frozenset[int]] = {}
    for name, local, reference in names:
        if not name.startswith(OWNED_NAME_PREFIX):
            continue
        recorded = True
        found = parse_reference((reference or "").strip().lstrip("="))
        if found is None:
            continue
        title, spans = found
        if name.startswith(SHEET_NAME_PREFIX):
            sheets[name[len(SHEET_NAME_PREFIX) :]] = title
        elif name == COLUMNS_NAME:
            columns[local or title] = frozenset(c for lo, hi in spans for c in range(lo, hi + 1))
    return Ownership(recorded, sheets, columns)


# Google Sheets: developer metadata (visibility DOCUMENT, so any project with access reads it),
# on the owned sheet (value: its canonical name) and on each owned column (value: its key).
# Like Excel's references, a location follows the sheet or column when the user moves it.
METADATA_SHEET_KEY = OWNED_NAME_PREFIX + "sheet"
METADATA_COLUMN_KEY = OWNED_NAME_PREFIX + "column"
METADATA_KEYS = (METADATA_SHEET_KEY, METADATA_COLUMN_KEY)


def ownership_from_metadata(entries: Iterable[tuple[str, str, str, int | None]]) -> Ownership:
    """`Ownership` from developer metadata: (sheet title, key, value, 0-based column or None)."""
    recorded = False
    sheets: dict[str, str] = {}
    columns: dict[str, set[int]] = {}
    for title, key, value, column in entries:
        if key == METADATA_SHEET_KEY and column is None:
            sheets[value] = title
        elif key == METADATA_COLUMN_KEY and column is not None:
            columns.setdefault(title, set()).add(column + 1)
        else:
            continue
        recorded = True
    return Ownership(recorded, sheets, {t: frozenset(c) for t, c in columns.items()})
