"""One notify run over a computed `Report`: what is news, composed, sent, and recorded.

Used by `sheetflow notify` and by the scheduled job; the mailer, the chat sender and the state
store connection are passed in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from sheetflow.core import i18n
from sheetflow.core.report import Report
from sheetflow.notify import compose
from sheetflow.notify.compose import ChatPost, Item, Message
from sheetflow.notify.deliver import DeliveryError, to_mime
from sheetflow.notify.ledger import Ledger
from sheetflow.notify.options import NotifyOptions


class Mailer(Protocol):
    where: str

    def send(self, message: Message, mime) -> list[str]: ...  # noqa: ANN001

    def close(self) -> None: ...


class Poster(Protocol):
    def send(self, post: ChatPost) -> None: ...


@dataclass
class Outcome:
    """What a run did, for the command's output and the job's log line."""

    lang: str = "en"
    planned: list[str] = field(default_factory=list)  # dry run: who would get what
    warnings: list[str] = field(default_factory=list)
    emails: int = 0
    posts: int = 0
    failures: list[str] = field(default_factory=list)
    resent: int = 0

    @property
    def failed(self) -> int:
        return len(self.failures)

    def merge(self, other: Outcome) -> None:
        self.planned += other.planned
        self.warnings += other.warnings
        self.emails += other.emails
        self.posts += other.posts
        self.failures += other.failures
        self.resent += other.resent


@dataclass
class Plan:
    """Everything one run would send, before sending."""

    lang: str
    period: str
    messages: list[Message] = field(default_factory=list)
    posts: list[ChatPost] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    resent: int = 0


def _news(items: Sequence[Item], ledger: Ledger, channel: str, period: str) -> list[Item]:
    fresh = set(ledger.news(channel, period, [(i.key, i.level) for i in items]))
    return [i for i in items if (i.key, i.level) in fresh]


def plan_digests(report: Report, *, book: str, options: NotifyOptions, ledger: Ledger) -> Plan:
    """The digests, team summaries and chat posts that are news at `report.as_of`."""
    settings = compose.notify_settings(report)
    lang = compose.language_for(report, settings)
    period = f"{report.as_of:%Y-%m-%d}"
    items = compose.collect_items(report, settings.escalate_after_h)
    people = compose.people_directory(report)
    plan = Plan(lang, period)
    plan.resent = ledger.interrupted("email", period)
    run = compose.Run(book, report.as_of, lang, period, settings.escalate_after_h)
    batch = compose.compose_digests(_news(items, ledger, "email", period), people, run)
    plan.messages += batch.messages
    plan.warnings += batch.warnings
    if options.team_summary:
        team = compose.compose_team_summaries(items, people, run)
        plan.messages += [m for m in team.messages if ledger.news(m.channel, period, m.notices)]
    for target in options.chats:
        channel = f"chat:{target.name}"
        plan.posts += compose.compose_chat(
            _news(items, ledger, channel, period), people, [target], run
        )
    return plan


def describe(plan: Plan) -> list[str]:
    """Who would get what (for --dry-run)."""
    lines = []
    for m in plan.messages:
        cc = i18n.text("notify.cli.cc", plan.lang, cc=", ".join(m.cc)) if m.cc else ""
        lines.append(
            i18n.text(
                "notify.cli.would_send",
                plan.lang,
                to=", ".join(m.to),
                cc=cc,
                subject=m.subject,
                count=max(len(m.notices), 1),
            )
        )
    for p in plan.posts:
        lines.append(
            i18n.text(
                "notify.cli.would_post",
                plan.lang,
                name=p.name,
                platform=p.platform,
                title=p.title,
                count=len(p.notices),
            )
        )
    return lines


def send_messages(
    messages: Sequence[Message], *, ledger: Ledger, mailer: Mailer, sender: str, outcome: Outcome
) -> None:
    """Send each message between `begin` and `done` in the ledger; a failure is aborted."""
    for message in messages:
        ledger.begin(message.channel, message.period, message.notices, message.message_id)
        try:
            refused = mailer.send(message, to_mime(message, sender))
        except DeliveryError as exc:
            ledger.abort(message.channel, message.period, message.message_id)
            outcome.failures.append(str(exc))
            continue
        ledger.done(message.channel, message.period, message.message_id)
        outcome.emails += 1
        if refused:
            outcome.warnings.append(f"{message.recipient}: refused {', '.join(refused)}")


def _post_id(post: ChatPost) -> str:
    basis = "|".join([post.channel, post.period, *(f"{k}#{lv}" for k, lv in post.notices)])
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()


def send_posts(
    posts: Sequence[ChatPost], *, ledger: Ledger, poster: Poster, outcome: Outcome
) -> None:
    for post in posts:
        post_id = _post_id(post)
        ledger.begin(post.channel, post.period, post.notices, post_id)
        try:
            poster.send(post)
        except DeliveryError as exc:
            ledger.abort(post.channel, post.period, post_id)
            outcome.failures.append(str(exc))
            continue
        ledger.done(post.channel, post.period, post_id)
        outcome.posts += 1


def notify_report(
    report: Report,
    *,
    book: str,
    options: NotifyOptions,
    ledger: Ledger,
    mailer: Mailer,
    poster: Poster | None,
    sender: str,
    dry_run: bool = False,
) -> Outcome:
    """Compose what is news, then (unless `dry_run`) send it and record what went out."""
    plan = plan_digests(report, book=book, options=options, ledger=ledger)
    outcome = Outcome(lang=plan.lang, warnings=list(plan.warnings), resent=plan.resent)
    if dry_run:
        outcome.planned = describe(plan)
        return outcome
    send_messages(plan.messages, ledger=ledger, mailer=mailer, sender=sender, outcome=outcome)
    if poster is not None:
        send_posts(plan.posts, ledger=ledger, poster=poster, outcome=outcome)
    return outcome


def book_key(name: str) -> str:
    """The ledger's name of a workbook: the resolved path of a file, else the spec as given."""
    from pathlib import Path

    if name.startswith("gsheet:"):
        return name
    return str(Path(name).expanduser().resolve())


def as_of_text(stamp: pd.Timestamp) -> str:
    return f"{stamp:%Y-%m-%d %H:%M}"
