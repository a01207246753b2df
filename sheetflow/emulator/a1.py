"""A1 notation as the Sheets API reads and writes it: parse a range, normalise it back."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^([A-Za-z]{0,3})(\d{0,7})$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_REF = re.compile(r"^([A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*)$")


class RangeError(ValueError):
    """The text is not a range of this spreadsheet (the API answers 400)."""


@dataclass(frozen=True)
class Bounds:
    """0-based, end-exclusive; None = open (to the grid's edge)."""

    start_row: int | None
    end_row: int | None
    start_col: int | None
    end_col: int | None


def column_index(letters: str) -> int:
    """A -> 0, AA -> 26."""
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


def column_letters(index: int) -> str:
    """0 -> A, 26 -> AA."""
    index += 1
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def split_sheet(text: str) -> tuple[str | None, str | None]:
    """`'My sheet'!A1:B2` -> ("My sheet", "A1:B2"); `Sheet1` -> (None, "Sheet1")."""
    text = text.strip()
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest == "":
                    return "".join(title), None
                if rest.startswith("!"):
                    return "".join(title), rest[1:]
                raise RangeError(text)
            title.append(text[i])
            i += 1
        raise RangeError(text)
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    return None, text


def parse_cells(text: str) -> Bounds:
    """`A1:B2`, `A:A`, `1:3`, `A2:C`, `B5` -> Bounds; RangeError when it is none of these."""
    parts = text.strip().split(":")
    if len(parts) > 2 or not parts[0]:
        raise RangeError(text)
    ends = []
    for part in parts:
        match = _CELL.match(part.strip())
        if not match or not (match.group(1) or match.group(2)):
            raise RangeError(text)
        col = column_index(match.group(1)) if match.group(1) else None
        row = int(match.group(2)) - 1 if match.group(2) else None
        if row is not None and row < 0:
            raise RangeError(text)
        ends.append((row, col))
    (r1, c1) = ends[0]
    if len(ends) == 1:
        if r1 is None or c1 is None:
            raise RangeError(text)
        return Bounds(r1, r1 + 1, c1, c1 + 1)
    (r2, c2) = ends[1]
    if (c1 is None) != (c2 is None) and r1 is None:
        raise RangeError(text)
    if r1 is not None and r2 is not None and r2 < r1:
        r1, r2 = r2, r1
    if c1 is not None and c2 is not None and c2 < c1:
        c1, c2 = c2, c1
    if c1 is None and c2 is not None and r2 is None:  # "1:B" is not a range
        raise RangeError(text)
    return Bounds(
        r1 if r1 is not None else 0 if r2 is not None else None,
        r2 + 1 if r2 is not None else None,
        c1 if c1 is not None else None,
        c2 + 1 if c2 is not None else None,
    )


def quote_title(title: str) -> str:
    """A title as the API writes it in a range: plain names bare, others quoted."""
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_REF.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    """Normalised range text: `Sheet1!A1:B2`, a single cell as `Sheet1!A1`."""
    start = f"{column_letters(c0)}{r0 + 1}"
    end = f"{column_letters(c1 - 1)}{r1}"
    cells = start if (r1 - r0 == 1 and c1 - c0 == 1) else f"{start}:{end}"
    return f"{quote_title(title)}!{cells}"
