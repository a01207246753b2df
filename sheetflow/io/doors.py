"""Doors: where a workbook is read from and where its output plan is written.

A door reads a `Workbook` once and renders an `OutputPlan`; the pipeline never knows which door
it has. `open_book("complaints.xlsx")` is the file door; `gsheet:KEY` is Google Sheets; the
workbook open in Excel comes from the add-in (`sheetflow.io.excel.ExcelDoor`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

from sheetflow.config import Config
from sheetflow.core.plan import OutputPlan
from sheetflow.core.workbook import Ownership, Workbook
from sheetflow.errors import UsageError

GSHEET_PREFIX = "gsheet:"


@runtime_checkable
class Door(Protocol):
    """A workbook somewhere: `read()` it once, `write(plan)` the outputs back."""

    @property
    def name(self) -> str:
        """How the user named it (a path, `gsheet:KEY`, a book's name), for messages."""
        ...

    def read(self) -> Workbook: ...

    def write(self, plan: OutputPlan) -> str:
        """Render `plan` into the workbook; returns where it went (for the user)."""
        ...


class FileDoor:
    """An .xlsx/.xlsm file; `out` writes a new file instead of replacing the source."""

    def __init__(self, path: Path | str, out: Path | str | None = None) -> None:
        self.path = Path(path)
        self.out = Path(out) if out is not None else None
        self._snapshot = None  # what read() saw: the writer checks the file did not change

    @property
    def name(self) -> str:
        return str(self.path)

    def read(self) -> Workbook:
        from sheetflow.io.xlsx import read_snapshot

        self._snapshot, book = read_snapshot(self.path)
        return book

    def exclusive(self) -> AbstractContextManager[None]:
        """One sheetflow writer at a time on the file written (advisory lock beside it)."""
        from sheetflow.io.safety import refresh_lock

        return refresh_lock(self.out if self.out is not None else self.path)

    def read_rows(self) -> dict[str, list[list[object]]]:
        """Every sheet's title -> rows as read (for `sheetflow sync`); kept for `write`."""
        from sheetflow.io.xlsx.reader import read_snapshot_rows

        self._snapshot, rows = read_snapshot_rows(self.path)
        return rows

    def ownership(self) -> Ownership:
        """What the file records of sheetflow's earlier outputs (its `_sheetflow.` names)."""
        from sheetflow.io.xlsx.reader import ownership_of

        if self._snapshot is None:
            self.read_rows()
        return ownership_of(self._snapshot.data)

    def write(self, plan: OutputPlan) -> str:
        from sheetflow.io.xlsx import write_plan

        if self._snapshot is None:
            self.read()
        return str(write_plan(self._snapshot, plan, self.out))


def open_book(spec: str, config: Config | None = None, *, out: str | None = None) -> Door:
    """The door for `spec`: a file path, or `gsheet:KEY` for a Google Sheet.

    out: for a file, write the outputs to this new file instead of in place.
    """
    if spec.startswith(GSHEET_PREFIX):
        try:
            from sheetflow.io.gsheets import open_gsheet  # the Google Sheets door
        except ImportError as exc:  # an optional extra: say how to get it, in one line
            raise UsageError(
                f"{spec}: Google Sheets needs the gsheets extra (no module {exc.name!r}); "
                "install it with: pip install 'sheetflow[gsheets]'"
            ) from exc

        return open_gsheet(spec[len(GSHEET_PREFIX) :], config, out=out)
    return FileDoor(spec, out)
