"""Findings (SPEC §7): validation problems as data, collected at once, in the book's language."""

from __future__ import annotations

import datetime as dt
import difflib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core import i18n, schema
from sheetflow.core.workbook import Workbook, column_letter

ERROR = "error"
WARNING = "warning"

SEVERITY: dict[str, str] = {
    "missing_sheet": ERROR,
    "missing_column": ERROR,
    "required": ERROR,
    "bad_number": ERROR,
    "bad_date": ERROR,
    "bad_value": ERROR,
    "duplicate": ERROR,
    "unknown_case": ERROR,
    "unknown_node": ERROR,
    "unknown_person": ERROR,
    "end_before_start": ERROR,
    "future_time": WARNING,
    "out_of_order": WARNING,
    "skipped_required": ERROR,
    "overlapping_rules": ERROR,
    "no_rule": ERROR,
    "deputy_cycle": ERROR,
    "calendar_gap": WARNING,
    "name_taken": WARNING,
}

# Each code's message is `finding.<code>` in messages/findings.toml ({detail} filled per check);
# a check that knows more names a `reason.<key>` there instead (the code stays).


@dataclass(frozen=True)
class Finding:
    sheet: str
    row: int | None
    column: str | None
    value: object
    code: str
    message: str
    severity: str
    cell: str | None = None  # "Log!E17", for people and for the add-in to select

    def to_json(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": json_value(self.value),
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
            "cell": self.cell,
        }


def json_value(value: object) -> object:
    """A cell value as JSON can carry it: ISO datetimes, no NaN."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def did_you_mean(value: object, known: list[str], lang: str) -> str:
    """A hint naming the known value closest to `value` (difflib), or "" when none is close."""
    close = difflib.get_close_matches(str(value).strip(), known, n=1, cutoff=0.6)
    return i18n.text("hint.did_you_mean", lang, name=close[0]) if close else ""


def _quote(sheet: str) -> str:
    return f"'{sheet}'" if any(ch in sheet for ch in " -!'") else sheet


class Findings:
    """Collects findings for one workbook; messages come out in the workbook's language."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.items: list[Finding] = []

    def _message(self, code: str, detail: str, reason: str | None = None) -> str:
        """The message of `code` (`finding.<code>` in the catalog), or of `reason.<reason>`."""
        key = f"reason.{reason}" if reason is not None else f"finding.{code}"
        return i18n.text(key, self.book.language, detail=detail)

    def _hint(self, hint: str) -> str:
        if not hint:
            return ""
        return i18n.text("core.separator", self.book.language) + hint

    def add(
        self,
        sheet: str,
        row: int | None,
        column: str | None,
        value: object,
        code: str,
        detail: str = "",
        severity: str | None = None,
        hint: str = "",
        reason: str | None = None,
    ) -> None:
        """Add one finding; `sheet` and `column` are canonical names (mapped to the file's).

        hint: words appended to the message (a "did you mean", the other rows of the same slip).
        reason: a `reason.<key>` of messages/findings.toml whose message replaces the code's
        (the code stays).
        """
        table = self.book.table(sheet)
        title = self.book.title(sheet) if sheet in schema.SHEETS_BY_NAME else sheet
        header: str | None = None
        cell: str | None = None
        if column is not None:
            ref = table.ref(column) if table is not None else None
            header = ref.header if ref is not None else column
            if ref is not None and row is not None:
                cell = f"{_quote(title)}!{column_letter(ref.index)}{row}"
        elif row is not None:
            cell = f"{_quote(title)}!A{row}"
        self.items.append(
            Finding(
                title,
                int(row) if row is not None else None,
                header,
                json_value(value),
                code,
                self._message(code, detail, reason) + self._hint(hint),
                severity or SEVERITY[code],
                cell,
            )
        )

    def add_rows(
        self,
        sheet: str,
        column: str,
        values: pd.Series,
        code: str,
        detail: str | pd.Series = "",
        reason: str | None = None,
    ) -> None:
        """Add one finding per row of `values` (index = Excel row); details per row or shared."""
        details = detail if isinstance(detail, pd.Series) else None
        for row, value in values.items():
            text = str(details.loc[row]) if details is not None else str(detail)
            self.add(sheet, int(row), column, value, code, text, reason=reason)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.items if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.items if f.severity == WARNING)

    def sorted(self) -> list[Finding]:
        order = {title: i for i, title in enumerate(self.book.titles)}
        return sorted(
            self.items,
            key=lambda f: (
                f.severity != ERROR,
                f.row is not None,
                order.get(f.sheet, len(order)),
                f.row or 0,
                f.column or "",
            ),
        )
