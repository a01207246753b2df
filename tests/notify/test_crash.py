"""A process killed between sending and recording loses nothing and duplicates at most once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.notify.helpers import notify_once
from tests.notify.servers import AS_OF

ROOT = Path(__file__).resolve().parents[2]


def test_killed_after_the_server_accepted_the_first_mail(en_book, tmp_path, smtp):
    state = tmp_path / "state"
    script = (
        "import sys; from pathlib import Path; from tests.notify.helpers import notify_once; "
        "notify_once(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4])"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(en_book), AS_OF, str(state), smtp.url],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    # the server kills the sender once the first message is stored, before it answers 250
    smtp.handler.on_data = lambda envelope: os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    smtp.handler.on_data = None
    assert len(smtp.received) == 1
    first = smtp.received[0].message
    with sqlite3.connect(state / "state.sqlite") as db:
        states = db.execute("SELECT state, COUNT(*) FROM notify_sent GROUP BY state").fetchall()
    assert states == [("sending", 1)]  # the intent was recorded, the delivery was not

    again = notify_once(en_book, AS_OF, state, smtp.url)
    assert again.resent == 1 and again.emails == 3
    to = [r.message["To"] for r in smtp.received]
    assert sorted(to) == sorted(
        ["ann@example.com", "ann@example.com", "cai@example.com", "mia@example.com"]
    )
    duplicate = [r.message for r in smtp.received[1:] if r.message["To"] == first["To"]]
    assert duplicate[0]["Message-ID"] == first["Message-ID"]  # clients can fold the two
    assert notify_once(en_book, AS_OF, state, smtp.url).emails == 0
