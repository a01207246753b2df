"""Message markup shared by every notice (pure): a text part and an HTML part built side by
side, tables in both, the item tables of a digest, counts and names in the reader's language,
and workbook text escaped for HTML and chat markdown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sheetflow.core import i18n
from sheetflow.notify.items import Item


def when(stamp: pd.Timestamp | None) -> str:
    return "" if stamp is None or pd.isna(stamp) else f"{stamp:%Y-%m-%d %H:%M}"


def hours(value: float) -> str:
    return f"{value:.1f}"


def _columns(with_assignee: bool, overdue: bool) -> list[str]:
    keys = ["case", "title", "node"] + (["assignee"] if with_assignee else [])
    keys += ["started", "due"] + (["hours_over"] if overdue else []) + ["row"]
    return keys


def _cells(item: Item, keys: Sequence[str]) -> list[str]:
    values = {
        "case": item.case_id,
        "title": item.title,
        "node": item.node,
        "assignee": item.assignee,
        "started": when(item.start),
        "due": when(item.due),
        "hours_over": hours(item.overdue_h),
        "row": item.ref,
    }
    return [values[k] for k in keys]


def _display_width(text: str) -> int:
    # CJK characters take two columns in a monospaced mail client
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [_display_width(h) for h in header]
    for row in rows:
        widths = [max(w, _display_width(c)) for w, c in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - _display_width(c)) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


_TABLE = 'style="border-collapse:collapse;font-family:sans-serif;font-size:13px"'
_TH = 'style="border:1px solid #999;padding:3px 6px;background:#eee;text-align:left"'
_TD = 'style="border:1px solid #999;padding:3px 6px"'


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table; every cell is escaped (cells hold workbook text)."""
    head = "".join(f"<th {_TH}>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td {_TD}>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table {_TABLE}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@dataclass
class Body:
    """A text part and an HTML part built side by side.

    The text part is blocks separated by a blank line; a heading and its table make one block.
    """

    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    _headed: bool = False  # the last block is a heading waiting for its table

    def para(self, words: str) -> None:
        self.text.append(words)
        self.html.append(f"<p>{html.escape(words)}</p>")
        self._headed = False

    def heading(self, words: str, colour: str | None = None, level: int = 3) -> None:
        self.text.append(words)
        style = "font-family:sans-serif" + (f";color:{colour}" if colour else "")
        self.html.append(f'<h{level} style="{style}">{html.escape(words)}</h{level}>')
        self._headed = True

    def note(self, words: str) -> None:
        """A small line under a table."""
        self.text.append(words)
        self.html.append(f'<p style="font-size:12px;color:#555">{html.escape(words)}</p>')
        self._headed = False

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        table = text_table(header, rows)
        if self._headed:
            self.text[-1] += "\n" + table
        else:
            self.text.append(table)
        self.html.append(html_table(header, rows))
        self._headed = False

    def render(self, title: str, lang: str) -> tuple[str, str]:
        text = "\n\n".join(self.text) + "\n"
        page = (
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head>"
            f'<body style="font-family:sans-serif">{"".join(self.html)}</body></html>'
        )
        return text, page


# the headings' colours, like the Log status fills: red for overdue, amber for at risk
HEADING_COLOURS = {"overdue": "#b03a2e", "at_risk": "#9a6700"}


def item_tables(
    body: Body, items: Sequence[Item], lang: str, with_assignee: bool, level: int = 3
) -> None:
    for status, heading in (
        ("overdue", "notify.heading.overdue"),
        ("at_risk", "notify.heading.at_risk"),
    ):
        part = [i for i in items if i.status == status]
        if not part:
            continue
        keys = _columns(with_assignee, status == "overdue")
        body.heading(
            i18n.text(heading, lang, count=len(part)), HEADING_COLOURS[status], level=level
        )
        body.table(
            [i18n.text(f"notify.col.{k}", lang) for k in keys], [_cells(i, keys) for i in part]
        )
        if status == "overdue" and (note := hours_note(part, lang)):
            body.note(note)


def hours_note(overdue: Sequence[Item], lang: str) -> str | None:
    """What "hours over" counts: working time, unless the node is timed in calendar hours."""
    calendar = sorted({i.node for i in overdue if i.calendar_clock})
    if len(calendar) == len({i.node for i in overdue}):
        return None  # all calendar hours: they mean what they say
    if not calendar:
        return i18n.text("notify.note.working_hours", lang)
    return i18n.text("notify.note.mixed_hours", lang, nodes=join_names(calendar, lang))


def count_phrase(overdue: int, at_risk: int, lang: str) -> str:
    """"2 overdue, 1 at risk" / "2 项超时、1 项预警"; a zero count is left out."""
    parts = [
        i18n.text(f"notify.count.{key}", lang, count=n)
        for key, n in (("overdue", overdue), ("at_risk", at_risk))
        if n
    ]
    return i18n.text("notify.count.join", lang).join(parts)


def join_names(names: Iterable[str], lang: str) -> str:
    return i18n.text("list_separator", lang).join(names)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md(text: str) -> str:
    """Workbook text inside chat markdown: markup characters escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))

