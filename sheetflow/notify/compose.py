"""Digests, composed from a `Report` (pure: no clock, no network, no files).

One digest per responsible person per run: the overdue and at-risk Log rows they work on, To
them, Cc their manager (from People); an item overdue by more than `escalate_after_h` puts the
manager's manager in Cc too and marks the subject. A person with no email address has their
items sent to the nearest manager up the chain who has one. Everything taken from the workbook
is escaped in the HTML part. Words come from the catalog (`core/messages/notify.toml`).

The items and people are read in `items.py`, the text and HTML parts built in `markup.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from sheetflow.core import i18n, schema
from sheetflow.notify.items import (
    Attachment,
    Batch,
    ChatPost,
    Directory,
    Item,
    Message,
    Person,
    collect_items,
    counts,
    item_order,
    language_for,
    notify_settings,
    people_directory,
)
from sheetflow.notify.markup import (
    Body,
    count_phrase,
    hours,
    hours_note,
    item_tables,
    join_names,
    md,
    when,
)

# the notify package's API: composers here, and what they are made of (items.py, markup.py)
__all__ = [
    "Attachment", "Batch", "Body", "ChatPost", "ChatTarget", "Directory", "Item", "Message",
    "Person", "Run", "collect_items", "compose_chat", "compose_digests", "compose_team_summaries",
    "count_phrase", "hours_note", "item_tables", "language_for", "notify_settings",
    "people_directory", "summary_message", "team_members",
]


@dataclass(frozen=True)
class Run:
    """What the notices of one run share.

    book: the workbook's name for subjects; period: the day (or week, month) the notices count
    for; escalate_after_h: hours overdue after which the manager's manager is copied.
    """

    book: str
    as_of: pd.Timestamp
    lang: str
    period: str
    escalate_after_h: float = 0.0


# ----------------------------------------------------------------------------------------------
# Digests


def compose_digests(items: Sequence[Item], people: Mapping[str, Person], run: Run) -> Batch:
    """One digest per responsible person for `items` (already filtered to what is news)."""
    directory = Directory(people)
    batch = Batch()
    for target, own in _recipients(items, directory, run.lang, batch.warnings):
        batch.messages.append(_digest(target, sorted(own, key=item_order), directory, run))
    return batch


def _recipients(
    items: Sequence[Item], directory: Directory, lang: str, warnings: list[str]
) -> list[tuple[Person, list[Item]]]:
    """Who gets each assignee's items: the person, or the nearest manager with an email;
    those nobody can be mailed for are told in `warnings`."""
    groups: dict[str, list[Item]] = {}
    owners: dict[str, Person] = {}
    by_assignee: dict[str, list[Item]] = {}
    for item in items:
        by_assignee.setdefault(item.assignee, []).append(item)
    for assignee, own in by_assignee.items():
        person = directory.get(assignee)
        if person is None:
            warnings.append(
                i18n.text("notify.warn.unknown_person", lang, name=assignee or "?", count=len(own))
            )
            continue
        target = directory.reachable(person.name)
        if target is None:
            warnings.append(
                i18n.text("notify.warn.unreachable", lang, name=person.name, count=len(own))
            )
            continue
        if target.name != person.name:
            warnings.append(
                i18n.text("notify.warn.no_email", lang, name=person.name, manager=target.name)
            )
        owners[target.name] = target
        groups.setdefault(target.name, []).extend(own)
    return [(owners[name], own) for name, own in groups.items()]


def _copies(
    target: Person, items: Sequence[Item], directory: Directory
) -> tuple[dict[str, None], dict[str, None]]:
    """The Cc addresses of a digest (managers, and bosses on escalation) and the bosses."""
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
    return cc, bosses


def _digest(target: Person, items: Sequence[Item], directory: Directory, run: Run) -> Message:
    lang = run.lang
    cc, bosses = _copies(target, items, directory)
    escalated = any(i.escalated for i in items)
    subject = i18n.text(
        "notify.subject.digest",
        lang,
        book=run.book,
        counts=count_phrase(*counts(items), lang),
        name=target.name,
    )
    if escalated:
        subject = i18n.text("notify.subject.escalated", lang, subject=subject)
    me = schema.normalise_name(target.name)
    others = sorted({i.assignee for i in items if schema.normalise_name(i.assignee) != me})
    body = Body()
    body.para(i18n.text("notify.greeting", lang, name=target.name))
    body.para(i18n.text("notify.intro", lang, as_of=when(run.as_of), book=run.book))
    if escalated and bosses:
        body.para(
            i18n.text(
                "notify.escalation_note",
                lang,
                hours=f"{run.escalate_after_h:g}",
                boss=join_names(bosses, lang),
            )
        )
    if others:
        body.para(i18n.text("notify.no_email_note", lang, names=join_names(others, lang)))
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
        period=run.period,
        notices=tuple((i.key, i.level) for i in items),
        escalated=escalated,
    )


# ----------------------------------------------------------------------------------------------
# Team summaries


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
    items: Sequence[Item], people: Mapping[str, Person], run: Run
) -> Batch:
    """For each manager with an email: every overdue and at-risk item of their direct reports."""
    directory = Directory(people)
    batch = Batch()
    lang = run.lang
    for manager, reports in team_members(people).items():
        boss = directory.get(manager)
        keys = {schema.normalise_name(n) for n in reports}
        own = [i for i in items if schema.normalise_name(i.assignee) in keys]
        if boss is None or not boss.email or not own:
            continue
        subject = i18n.text(
            "notify.subject.team",
            lang,
            book=run.book,
            name=boss.name,
            counts=count_phrase(*counts(own), lang),
        )
        body = Body()
        body.para(i18n.text("notify.greeting", lang, name=boss.name))
        body.para(i18n.text("notify.team_intro", lang, as_of=when(run.as_of), book=run.book))
        item_tables(body, own, lang, with_assignee=True)
        body.para(i18n.text("notify.footer", lang))
        batch.messages.append(
            summary_message("team", boss.name, boss.email, subject, body, lang, run.period)
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
    items: Sequence[Item], people: Mapping[str, Person], targets: Sequence[ChatTarget], run: Run
) -> list[ChatPost]:
    """One short markdown digest per chat robot, of the items that concern it."""
    directory = Directory(people)
    lang = run.lang
    posts = []
    for target in targets:
        own = [i for i in items if target.wants(i, directory)]
        if not own:
            continue
        title = i18n.text(
            "notify.chat.title", lang, book=run.book, counts=count_phrase(*counts(own), lang)
        )
        lines = [f"### {md(title)}"] + [f"- {_chat_line(i, lang)}" for i in own[:CHAT_LINES]]
        if len(own) > CHAT_LINES:
            lines.append(f"- {i18n.text('notify.chat.more', lang, count=len(own) - CHAT_LINES)}")
        posts.append(
            ChatPost(
                channel=f"chat:{target.name}",
                name=target.name,
                platform=target.platform,
                title=title,
                markdown="\n".join(lines),
                period=run.period,
                notices=tuple((i.key, i.level) for i in own),
            )
        )
    return posts


def _chat_line(item: Item, lang: str) -> str:
    """One item of a chat post; workbook text escaped for markdown."""
    where = {"case": md(item.case_id), "node": md(item.node), "assignee": md(item.assignee),
             "ref": md(item.ref)}
    if item.status != "overdue":
        return i18n.text("notify.chat.at_risk_line", lang, due=when(item.due), **where)
    line = i18n.text("notify.chat.overdue_line", lang, hours=hours(item.overdue_h), **where)
    if item.escalated:
        line += f" **{i18n.text('notify.chat.escalated', lang)}**"
    return line
