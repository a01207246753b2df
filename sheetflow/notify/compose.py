"""Digests, composed from a `Report` (pure: no clock, no network, no files).

One digest per responsible person per run: the overdue and at-risk Log rows they work on, To
them, Cc their manager (from People); an item overdue by more than `escalate_after_h` puts the
manager's manager in Cc too and marks the subject. A person with no email address has their
items sent to the nearest manager up the chain who has one. Everything taken from the workbook
is escaped in the HTML part. Words come from the catalog (`core/messages/notify.toml`).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sheetflow.core import coerce, i18n, schema
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


# ----------------------------------------------------------------------------------------------
# Reading the report


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
    items.sort(key=_item_order)
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


def _item_order(item: Item) -> tuple:
    if item.status == "overdue":
        return (0, -item.overdue_h, item.start or pd.Timestamp.max, item.key)
    return (1, 0.0, item.due or pd.Timestamp.max, item.key)


# ----------------------------------------------------------------------------------------------
# Rendering helpers


def _when(stamp: pd.Timestamp | None) -> str:
    return "" if stamp is None or pd.isna(stamp) else f"{stamp:%Y-%m-%d %H:%M}"


def _hours(value: float) -> str:
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
        "started": _when(item.start),
        "due": _when(item.due),
        "hours_over": _hours(item.overdue_h),
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
    return i18n.text("notify.note.mixed_hours", lang, nodes=_join(calendar, lang))


def count_phrase(overdue: int, at_risk: int, lang: str) -> str:
    """"2 overdue, 1 at risk" / "2 项超时、1 项预警"; a zero count is left out."""
    parts = [
        i18n.text(f"notify.count.{key}", lang, count=n)
        for key, n in (("overdue", overdue), ("at_risk", at_risk))
        if n
    ]
    return i18n.text("notify.count.join", lang).join(parts)


def _join(names: Iterable[str], lang: str) -> str:
    return ("、" if lang == schema.ZH else ", ").join(names)


# ----------------------------------------------------------------------------------------------
# Who gets what


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


def compose_digests(
    items: Sequence[Item],
    people: Mapping[str, Person],
    *,
    book: str,
    as_of: pd.Timestamp,
    lang: str,
    escalate_after_h: float,
    period: str,
) -> Batch:
    """One digest per responsible person for `items` (already filtered to what is news).

    book: the workbook's name for subjects; period: the day the notices count for.
    """
    directory = Directory(people)
    batch = Batch()
    groups: dict[str, list[Item]] = {}
    owners: dict[str, Person] = {}
    by_assignee: dict[str, list[Item]] = {}
    for item in items:
        by_assignee.setdefault(item.assignee, []).append(item)
    for assignee, own in by_assignee.items():
        person = directory.get(assignee)
        if person is None:
            batch.warnings.append(
                i18n.text("notify.warn.unknown_person", lang, name=assignee or "?", count=len(own))
            )
            continue
        target = directory.reachable(person.name)
        if target is None:
            batch.warnings.append(
                i18n.text("notify.warn.unreachable", lang, name=person.name, count=len(own))
            )
            continue
        if target.name != person.name:
            batch.warnings.append(
                i18n.text("notify.warn.no_email", lang, name=person.name, manager=target.name)
            )
        owners[target.name] = target
        groups.setdefault(target.name, []).extend(own)
    for name, own in groups.items():
        batch.messages.append(
            _digest(
                owners[name],
                sorted(own, key=_item_order),
                directory,
                book=book,
                as_of=as_of,
                lang=lang,
                escalate_after_h=escalate_after_h,
                period=period,
            )
        )
    return batch


def _digest(
    target: Person,
    items: Sequence[Item],
    directory: Directory,
    *,
    book: str,
    as_of: pd.Timestamp,
    lang: str,
    escalate_after_h: float,
    period: str,
) -> Message:
    cc: dict[str, None] = {}
    bosses: dict[str, None] = {}
    for item in items:
        manager = directory.manager(item.assignee)
        if manager is not None and manager.email and manager.name != target.name:
            cc[manager.email] = None
        if item.escalated:
            # the manager's manager; for someone without email whose manager got the mail,
            # that is the recipient's own manager
            boss = directory.manager(manager.name) if manager is not None else None
            if boss is not None and boss.email and boss.name != target.name:
                cc[boss.email] = None
                bosses[boss.name] = None
    cc.pop(target.email or "", None)
    escalated = any(i.escalated for i in items)
    overdue = sum(1 for i in items if i.status == "overdue")
    subject = i18n.text(
        "notify.subject.digest",
        lang,
        book=book,
        counts=count_phrase(overdue, len(items) - overdue, lang),
        name=target.name,
    )
    if escalated:
        subject = i18n.text("notify.subject.escalated", lang, subject=subject)
    others = sorted(
        {
            i.assignee
            for i in items
            if schema.normalise_name(i.assignee) != schema.normalise_name(target.name)
        }
    )
    body = Body()
    body.para(i18n.text("notify.greeting", lang, name=target.name))
    body.para(i18n.text("notify.intro", lang, as_of=_when(as_of), book=book))
    if escalated and bosses:
        body.para(
            i18n.text(
                "notify.escalation_note",
                lang,
                hours=f"{escalate_after_h:g}",
                boss=_join(bosses, lang),
            )
        )
    if others:
        body.para(i18n.text("notify.no_email_note", lang, names=_join(others, lang)))
    item_tables(body, items, lang, with_assignee=bool(others))
    body.para(i18n.text("notify.footer", lang))
    text, page = body.render(subject, lang)
    return Message(
        kind="digest",
        recipient=target.name,
        to=(target.email or "",),
        cc=tuple(cc),
        subject=subject,
        text=text,
        html=page,
        lang=lang,
        channel="email",
        period=period,
        notices=tuple((i.key, i.level) for i in items),
        escalated=escalated,
    )


def team_members(people: Mapping[str, Person]) -> dict[str, list[str]]:
    """Manager name -> names of their direct reports, in People order."""
    directory = Directory(people)
    teams: dict[str, list[str]] = {}
    for person in people.values():
        boss = directory.get(person.manager)
        if boss is not None and boss.name != person.name:
            teams.setdefault(boss.name, []).append(person.name)
    return teams


def compose_team_summaries(
    items: Sequence[Item],
    people: Mapping[str, Person],
    *,
    book: str,
    as_of: pd.Timestamp,
    lang: str,
    period: str,
) -> Batch:
    """For each manager with an email: every overdue and at-risk item of their direct reports."""
    directory = Directory(people)
    batch = Batch()
    for manager, reports in team_members(people).items():
        boss = directory.get(manager)
        keys = {schema.normalise_name(n) for n in reports}
        own = [i for i in items if schema.normalise_name(i.assignee) in keys]
        if boss is None or not boss.email or not own:
            continue
        overdue = sum(1 for i in own if i.status == "overdue")
        subject = i18n.text(
            "notify.subject.team",
            lang,
            book=book,
            name=boss.name,
            counts=count_phrase(overdue, len(own) - overdue, lang),
        )
        body = Body()
        body.para(i18n.text("notify.greeting", lang, name=boss.name))
        body.para(i18n.text("notify.team_intro", lang, as_of=_when(as_of), book=book))
        item_tables(body, own, lang, with_assignee=True)
        body.para(i18n.text("notify.footer", lang))
        batch.messages.append(
            summary_message("team", boss.name, boss.email, subject, body, lang, period)
        )
    return batch


def summary_message(
    kind: str,
    name: str,
    address: str,
    subject: str,
    body: Body,
    lang: str,
    period: str,
    attachment: Attachment | None = None,
    key: str | None = None,
) -> Message:
    """A summary mail to one person (team, weekly, monthly): sent once per `period`.

    key: what the state store records it under (default: the person's name).
    """
    text, page = body.render(subject, lang)
    return Message(
        kind=kind,
        recipient=name,
        to=(address,),
        cc=(),
        subject=subject,
        text=text,
        html=page,
        lang=lang,
        channel=kind,
        period=period,
        notices=((f"{kind}:{key or name}", 0),),
        attachments=(attachment,) if attachment is not None else (),
    )


# ----------------------------------------------------------------------------------------------
# Group chats


@dataclass(frozen=True)
class ChatTarget:
    """A group-chat robot: every item, or only those of some departments."""

    name: str
    platform: str  # dingtalk | wecom | feishu
    departments: tuple[str, ...] = ()  # empty: everyone

    def wants(self, item: Item, people: Directory) -> bool:
        if not self.departments:
            return True
        department = item.department
        if not department:
            person = people.get(item.assignee)
            department = (person.department if person else None) or ""
        wanted = {schema.normalise_name(d) for d in self.departments}
        return schema.normalise_name(department) in wanted


CHAT_LINES = 20  # a chat post stays short; the email has the full table


def compose_chat(
    items: Sequence[Item],
    people: Mapping[str, Person],
    targets: Sequence[ChatTarget],
    *,
    book: str,
    lang: str,
    period: str,
) -> list[ChatPost]:
    """One short markdown digest per chat robot, of the items that concern it."""
    directory = Directory(people)
    posts = []
    for target in targets:
        own = [i for i in items if target.wants(i, directory)]
        if not own:
            continue
        overdue = sum(1 for i in own if i.status == "overdue")
        counts = count_phrase(overdue, len(own) - overdue, lang)
        title = i18n.text("notify.chat.title", lang, book=book, counts=counts)
        lines = [f"### {_md(title)}"]
        for item in own[:CHAT_LINES]:
            if item.status == "overdue":
                line = i18n.text(
                    "notify.chat.overdue_line",
                    lang,
                    case=_md(item.case_id),
                    node=_md(item.node),
                    assignee=_md(item.assignee),
                    hours=_hours(item.overdue_h),
                    ref=_md(item.ref),
                )
                if item.escalated:
                    line += f" **{i18n.text('notify.chat.escalated', lang)}**"
            else:
                line = i18n.text(
                    "notify.chat.at_risk_line",
                    lang,
                    case=_md(item.case_id),
                    node=_md(item.node),
                    assignee=_md(item.assignee),
                    due=_when(item.due),
                    ref=_md(item.ref),
                )
            lines.append(f"- {line}")
        if len(own) > CHAT_LINES:
            lines.append(f"- {i18n.text('notify.chat.more', lang, count=len(own) - CHAT_LINES)}")
        posts.append(
            ChatPost(
                channel=f"chat:{target.name}",
                name=target.name,
                platform=target.platform,
                title=title,
                markdown="\n".join(lines),
                period=period,
                notices=tuple((i.key, i.level) for i in own),
            )
        )
    return posts


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _md(text: str) -> str:
    """Workbook text inside chat markdown: markup characters escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def language_for(report: Report, settings: Settings) -> str:
    """notify_language from Settings, else the workbook's language."""
    return settings.notify_language or report.language


def counts(items: Sequence[Item]) -> tuple[int, int]:
    overdue = int(np.sum([i.status == "overdue" for i in items])) if items else 0
    return overdue, len(items) - overdue
