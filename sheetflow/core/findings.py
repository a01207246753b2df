"""Findings (SPEC §7): validation problems as data, collected at once, worded when read.

A finding is (code, params, place); `render(finding, lang)` words it from the one catalog in
any language, `finding.message` in the book's (pandera: `SchemaErrorReason` + error_formatters).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from dataclasses import dataclass, field
from functools import cached_property

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
# A finding keeps its words as data (catalog references, names, numbers) and is rendered in a
# language only when read: `finding.message` in the book's, `render(finding, lang)` in any.


class Msg:
    """A catalog text by key, with its parameters (data or other texts), rendered when read."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params = params

    def text(self, lang: str) -> str:
        return i18n.text(self.key, lang, **{k: text_of(v, lang) for k, v in self.params.items()})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.key, self.params) == (other.key, other.params)

    def __hash__(self) -> int:
        return hash((self.key, *self.params))

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Msg({self.key!r}{params})"


@dataclass(frozen=True)
class Join:
    """Items shown one after another with a separator (text, or a catalog text like `, `/`、`)."""

    items: tuple[object, ...]
    separator: object = ", "

    def text(self, lang: str) -> str:
        return text_of(self.separator, lang).join(text_of(item, lang) for item in self.items)


@dataclass(frozen=True, repr=False)
class Label:
    """The name of a schema sheet or column (`Log` / `执行记录`), in the reader's language."""

    of: schema.Sheet | schema.Column

    def text(self, lang: str) -> str:
        return self.of.label(lang)

    def __repr__(self) -> str:
        return f"Label({self.of.name!r})"


@dataclass(frozen=True, repr=False)
class EnumLabel:
    """An allowed value of an enum column (`urgent` / `紧急`), in the reader's language."""

    enum: schema.Enum
    code: str

    def text(self, lang: str) -> str:
        return self.enum.label(self.code, lang)

    def __repr__(self) -> str:
        return f"EnumLabel({self.code!r})"


def enum_labels(enum: schema.Enum) -> Join:
    """Every allowed value of `enum`, as `use one of:` lists them."""
    return Join(tuple(EnumLabel(enum, code) for code in enum.codes))


def text_of(value: object, lang: str) -> object:
    """A parameter as shown in `lang`: catalog texts rendered, a tuple concatenated, data as is."""
    if isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (Msg, Join, Label, EnumLabel)):
        return value.text(lang)
    if isinstance(value, tuple):
        return "".join(str(text_of(part, lang)) for part in value)
    return value


@dataclass(frozen=True)
class Finding:
    """A validation problem as data: code (+ reason), parameters and place; words when read.

    params: the catalog message's parameters (`detail`), language-neutral (data, `Msg`...).
    hints: catalog texts appended to the message (a "did you mean", the other rows of a slip).
    language: the book's, in which `message` and `to_json` are worded.
    """

    sheet: str
    row: int | None
    column: str | None
    value: object
    code: str
    severity: str
    cell: str | None = None  # "Log!E17", for people and for the add-in to select
    reason: str | None = None  # a `reason.<key>` of messages/findings.toml replacing the code's
    params: dict[str, object] = field(default_factory=dict, hash=False, compare=True)
    hints: tuple[object, ...] = ()
    language: str = i18n.EN

    @property
    def key(self) -> str:
        """The catalog key of the message: `reason.<reason>`, else `finding.<code>`."""
        return f"reason.{self.reason}" if self.reason is not None else f"finding.{self.code}"

    @cached_property
    def message(self) -> str:
        """The message in the book's language."""
        return render(self, self.language)

    def to_json(self, lang: str | None = None) -> dict[str, object]:
        """SPEC §7's keys; the message in `lang` (the book's language by default)."""
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": json_value(self.value),
            "code": self.code,
            "message": self.message if lang is None else render(self, lang),
            "severity": self.severity,
            "cell": self.cell,
        }


def render(finding: Finding, lang: str) -> str:
    """The finding's message in `lang` (en or zh), hints after the language's separator."""
    text = i18n.text(finding.key, lang, **{k: text_of(v, lang) for k, v in finding.params.items()})
    hints = [str(text_of(hint, lang)) for hint in finding.hints if hint]
    hints = [hint for hint in hints if hint]
    if hints:
        separator = i18n.text("core.separator", lang)
        text += separator + separator.join(hints)
    return text


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


def did_you_mean(value: object, known: list[str]) -> Msg | None:
    """A hint naming the known value closest to `value` (difflib), or None when none is close."""
    close = difflib.get_close_matches(str(value).strip(), known, n=1, cutoff=0.6)
    return Msg("hint.did_you_mean", name=close[0]) if close else None


def _quote(sheet: str) -> str:
    return f"'{sheet}'" if any(ch in sheet for ch in " -!'") else sheet


def _hints(hint: object) -> tuple[object, ...]:
    """`hint` as a tuple of hints: none, one (text or `Msg`), or several."""
    if hint is None or hint == "":
        return ()
    return tuple(hint) if isinstance(hint, (list, tuple)) else (hint,)


class Findings:
    """Collects findings for one workbook; their words are rendered when read (see `render`)."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.items: list[Finding] = []

    def _place(self, sheet: str, column: str | None) -> tuple[str, str | None, str | None]:
        """(sheet title, column header, cell prefix like "Log!E" or "Log!A") in the file."""
        table = self.book.table(sheet)
        title = self.book.title(sheet) if sheet in schema.SHEETS_BY_NAME else sheet
        if column is None:
            return title, None, f"{_quote(title)}!A"
        ref = table.ref(column) if table is not None else None
        if ref is None:
            return title, column, None
        return title, ref.header, f"{_quote(title)}!{column_letter(ref.index)}"

    def add(
        self,
        sheet: str,
        row: int | None,
        column: str | None,
        value: object,
        code: str,
        detail: object = "",
        severity: str | None = None,
        hint: object = None,
        reason: str | None = None,
    ) -> None:
        """Add one finding; `sheet` and `column` are canonical names (mapped to the file's).

        detail: the message's `{detail}`: data (a name, a number) or a catalog text (`Msg`,
        `Join`, a tuple of them), rendered when the finding is read.
        hint: a `Msg` (or text, or a tuple of them) appended to the message (a "did you mean",
        the other rows of the same slip). reason: a `reason.<key>` of messages/findings.toml
        whose message replaces the code's (the code stays).
        """
        title, header, prefix = self._place(sheet, column)
        self.items.append(
            Finding(
                title,
                int(row) if row is not None else None,
                header,
                json_value(value),
                code,
                severity or SEVERITY[code],
                f"{prefix}{row}" if prefix is not None and row is not None else None,
                reason,
                {"detail": detail},
                _hints(hint),
                self.book.language,
            )
        )

    def add_rows(
        self,
        sheet: str,
        column: str,
        values: pd.Series,
        code: str,
        detail: object = "",
        reason: str | None = None,
    ) -> None:
        """Add one finding per row of `values` (index = Excel row); details per row or shared.

        The place is looked up once; nothing is worded here, so many rows stay cheap.
        """
        title, header, prefix = self._place(sheet, column)
        severity, lang = SEVERITY[code], self.book.language
        rows = values.index.to_numpy()
        details = detail.loc[values.index] if isinstance(detail, pd.Series) else None
        shared = {"detail": detail}
        self.items.extend(
            Finding(
                title,
                int(row),
                header,
                json_value(value),
                code,
                severity,
                f"{prefix}{row}" if prefix is not None else None,
                reason,
                shared if details is None else {"detail": details.iat[i]},
                (),
                lang,
            )
            for i, (row, value) in enumerate(zip(rows, values.to_numpy(dtype=object)))
        )

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
