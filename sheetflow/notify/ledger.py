"""What was sent, in the state store (SPEC §9): no spam, no gaps.

A notice is `(book, channel, item, period, level)`: an item (a Log row's identity, or
`team:NAME`, `weekly:...`) told on a channel (`email`, `team`, `chat:NAME`...) for a period (a
day, an ISO week, a month) at a level (at risk < overdue < escalated). An item is news when no
notice of it at that level or higher was *sent* in that period.

Sending is two steps: `begin` writes the notices as `sending`, the message goes out, `done`
marks them `sent`; a failed send is `abort`ed (rows removed) and is news again on the next run.
A crash after `begin` leaves `sending` rows, which count as not sent: the next run sends again,
so a crash costs at most one duplicate (with the same Message-ID) and never a lost notice.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence

SCHEMA = """
CREATE TABLE IF NOT EXISTS notify_sent (
    book TEXT NOT NULL,
    channel TEXT NOT NULL,
    item TEXT NOT NULL,
    period TEXT NOT NULL,
    level INTEGER NOT NULL,
    state TEXT NOT NULL,          -- sending | sent
    message_id TEXT,
    at TEXT NOT NULL,             -- wall-clock time of the last change (UTC)
    PRIMARY KEY (book, channel, item, period, level)
)
"""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Ledger:
    """The `notify_sent` table for one workbook."""

    def __init__(self, connection: sqlite3.Connection, book: str) -> None:
        self.db = connection
        self.book = book
        with self.db:
            self.db.execute(SCHEMA)

    def news(
        self, channel: str, period: str, notices: Iterable[tuple[str, int]]
    ) -> list[tuple[str, int]]:
        """The notices not yet sent in `period` at their level or higher, in the order given."""
        rows = self.db.execute(
            "SELECT item, MAX(level) FROM notify_sent WHERE book=? AND channel=? AND period=? "
            "AND state='sent' GROUP BY item",
            (self.book, channel, period),
        ).fetchall()
        told = dict(rows)
        return [(item, level) for item, level in notices if told.get(item, -1) < level]

    def interrupted(self, channel: str, period: str) -> int:
        """Notices left `sending` by a run that stopped between sending and recording."""
        (count,) = self.db.execute(
            "SELECT COUNT(*) FROM notify_sent WHERE book=? AND channel=? AND period=? "
            "AND state='sending'",
            (self.book, channel, period),
        ).fetchone()
        return int(count)

    def begin(
        self, channel: str, period: str, notices: Sequence[tuple[str, int]], message_id: str
    ) -> None:
        """Record the intent to send, committed before the message goes out."""
        now = _now()
        with self.db:
            self.db.executemany(
                "INSERT INTO notify_sent"
                " (book, channel, item, period, level, state, message_id, at)"
                " VALUES (?, ?, ?, ?, ?, 'sending', ?, ?)"
                " ON CONFLICT (book, channel, item, period, level) DO UPDATE SET"
                " state=CASE WHEN state='sent' THEN 'sent' ELSE 'sending' END,"
                " message_id=excluded.message_id, at=excluded.at",
                [(self.book, channel, k, period, lv, message_id, now) for k, lv in notices],
            )

    def done(self, channel: str, period: str, message_id: str) -> None:
        with self.db:
            self.db.execute(
                "UPDATE notify_sent SET state='sent', at=? WHERE book=? AND channel=? AND period=?"
                " AND message_id=? AND state='sending'",
                (_now(), self.book, channel, period, message_id),
            )

    def abort(self, channel: str, period: str, message_id: str) -> None:
        """The send failed: forget the intent, so the next run tries again."""
        with self.db:
            self.db.execute(
                "DELETE FROM notify_sent WHERE book=? AND channel=? AND period=? AND message_id=?"
                " AND state='sending'",
                (self.book, channel, period, message_id),
            )
