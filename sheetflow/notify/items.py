"""What needs attention, read from a `Report` (pure): the overdue and at-risk Log rows as
`Item`s, the People directory, and the message values the composers fill in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sheetflow.core import coerce, schema
from sheetflow.core.findings import Findings
from sheetflow.core.plan import column_letter, quote_title
from sheetflow.core.report import Report
from sheetflow.core.settings import Settings, read_settings

# notice levels: a higher level of the same item is news again the same day
AT_RISK, OVERDUE, ESCALATED = 1, 2, 3


@dataclass(frozen=True)
class Item:
    """One open Log row that needs attention (status overdue or at_risk)."""

    key: str  # stable across runs and row moves: case|node|start|assignee
    case_id: str
    title: str
    node: str
    assignee: str
    department: str
    start: pd.Timestamp | None
    due: pd.Timestamp | None
    overdue_h: float
    status: str  # "overdue" or "at_risk"
    escalated: bool
    ref: str  # where it is in the workbook, e.g. Log!A12
    calendar_clock: bool = False  # the node is timed in calendar hours, not working hours

    @property
    def level(self) -> int:
        if self.status == "at_risk":
            return AT_RISK
        return ESCALATED if self.escalated else OVERDUE


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None
    manager: str | None
    department: str | None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str  # "maintype/subtype"


@dataclass(frozen=True)
class Message:
    """One email, ready to be rendered as MIME by a sender.

    channel/period/notices: what the state store records once it went out: `(item key, level)`
    pairs under `channel` for the day or period `period`.
    """

    kind: str  # digest | team | weekly | monthly
    recipient: str  # the person's name
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    text: str
    html: str
    lang: str
    channel: str = "email"
    period: str = ""
    notices: tuple[tuple[str, int], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    escalated: bool = False

    @property
    def message_id(self) -> str:
        """Deterministic: the same notice re-sent after a crash keeps its Message-ID, so mail
        clients that de-duplicate by it show it once."""
        basis = "|".join(
            [self.kind, self.channel, self.period, self.recipient, *self.to, *self.cc]
            + [f"{k}#{level}" for k, level in sorted(self.notices)]
        )
        return f"<{hashlib.sha1(basis.encode('utf-8')).hexdigest()}@sheetflow>"


@dataclass(frozen=True)
class ChatPost:
    """A short markdown digest for one group-chat robot."""

    channel: str  # "chat:<name>"
    name: str
    platform: str
    title: str
    markdown: str
    period: str
    notices: tuple[tuple[str, int], ...]


@dataclass
class Batch:
    messages: list[Message] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)




def notify_settings(report: Report) -> Settings:
    """The workbook's Settings (escalate_after_h, notify_language...); bad values were already
    reported by validate, so their findings are dropped here."""
    return read_settings(report.book, Findings(report.book))


def _text_map(frame: pd.DataFrame, key: str, value: str) -> dict[str, str]:
    if key not in frame.columns or value not in frame.columns or frame.empty:
        return {}
    keys = coerce.to_text(frame[key])
    values = coerce.to_text(frame[value])
    out: dict[str, str] = {}
    for k, v in zip(keys, values):
        if k is not None and k not in out:
            out[k] = v or ""
    return out


def people_directory(report: Report) -> dict[str, Person]:
    """People by normalised name (first row wins), trimmed."""
    frame = report.book.frame("People")
    if frame.empty or "name" not in frame.columns:
        return {}
    cols = {
        c: coerce.to_text(frame[c]) if c in frame.columns else pd.Series(None, index=frame.index)
        for c in ("name", "email", "manager", "department")
    }
    out: dict[str, Person] = {}
    for name, email, manager, department in zip(
        cols["name"], cols["email"], cols["manager"], cols["department"]
    ):
        if not name:
            continue
        out.setdefault(
            schema.normalise_name(name), Person(name, email or None, manager, department)
        )
    return out


def _sheet_ref(title: str) -> str:
    return title if re.fullmatch(r"\w+", title) else quote_title(title)


def collect_items(report: Report, escalate_after_h: float) -> list[Item]:
    """Every open overdue or at-risk Log row: overdue worst first, then at-risk soonest due."""
    timing = report.log
    if timing.empty or "status" not in timing.columns:
        return []
    wanted = timing.index[timing["status"].isin(["overdue", "at_risk"]).to_numpy()]
    if len(wanted) == 0:
        return []
    log = report.book.frame("Log").loc[wanted]
    text = {c: coerce.to_text(log[c]) if c in log.columns else None for c in ("case_id", "node")}
    assignee = coerce.to_text(log["assignee"]) if "assignee" in log.columns else None
    start, _ = coerce.to_datetime(log["start"]) if "start" in log.columns else (None, None)
    cases = report.book.frame("Cases")
    titles = _text_map(cases, "case_id", "title")
    departments = _text_map(cases, "case_id", "department")
    calendar_nodes = _calendar_nodes(report)
    table = report.book.table("Log")
    column = table.columns["case_id"].index + 1 if table and table.has("case_id") else 1
    sheet = _sheet_ref(report.book.title("Log"))
    part = timing.loc[wanted]
    items = []
    for row in wanted:
        case_id = (text["case_id"][row] if text["case_id"] is not None else None) or ""
        node = (text["node"][row] if text["node"] is not None else None) or ""
        who = (assignee[row] if assignee is not None else None) or ""
        started = start[row] if start is not None and not pd.isna(start[row]) else None
        due = part.at[row, "due"]
        over = float(part.at[row, "overdue_h"] or 0.0)
        status = str(part.at[row, "status"])
        items.append(
            Item(
                key="|".join([case_id, node, "" if started is None else started.isoformat(), who]),
                case_id=case_id,
                title=titles.get(case_id, ""),
                node=node,
                assignee=who,
                department=departments.get(case_id, ""),
                start=started,
                due=None if pd.isna(due) else pd.Timestamp(due),
                overdue_h=over,
                status=status,
                escalated=status == "overdue" and over > escalate_after_h + 1e-9,
                ref=f"{sheet}!{column_letter(column)}{int(row)}",
                calendar_clock=schema.normalise_name(node) in calendar_nodes,
            )
        )
    items.sort(key=item_order)
    return items


def _calendar_nodes(report: Report) -> set[str]:
    """Normalised names of the Process nodes timed in calendar hours (the default is working)."""
    process = report.book.frame("Process")
    if process.empty or not {"node", "clock"} <= set(process.columns):
        return set()
    clocks, _ = coerce.to_enum(process["clock"], schema.CLOCK)
    names = coerce.to_text(process["node"])
    return {
        schema.normalise_name(n) for n, c in zip(names, clocks) if n is not None and c == "calendar"
    }


def item_order(item: Item) -> tuple:
    if item.status == "overdue":
        return (0, -item.overdue_h, item.start or pd.Timestamp.max, item.key)
    return (1, 0.0, item.due or pd.Timestamp.max, item.key)


class Directory:
    """People lookups: a person, their manager, and who can be reached by email for them."""

    def __init__(self, people: Mapping[str, Person]) -> None:
        self.people = people

    def get(self, name: str | None) -> Person | None:
        return None if not name else self.people.get(schema.normalise_name(name))

    def manager(self, name: str | None) -> Person | None:
        person = self.get(name)
        return self.get(person.manager) if person is not None else None

    def reachable(self, name: str) -> Person | None:
        """The person if they have an email, else the nearest manager up the chain who has one."""
        seen: set[str] = set()
        person = self.get(name)
        while person is not None and person.name not in seen:
            if person.email:
                return person
            seen.add(person.name)
            person = self.get(person.manager)
        return None


def language_for(report: Report, settings: Settings) -> str:
    """notify_language from Settings, else the workbook's language."""
    return settings.notify_language or report.language


def counts(items: Sequence[Item]) -> tuple[int, int]:
    overdue = int(np.sum([i.status == "overdue" for i in items])) if items else 0
    return overdue, len(items) - overdue
