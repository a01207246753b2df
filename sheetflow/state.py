"""The state store of SPEC §9: one SQLite file, `state.sqlite`, in the state folder.

Each user of it (sent notices, sync fingerprints, run history) creates its own tables with
`CREATE TABLE IF NOT EXISTS` on the connection this returns; nothing else is shared.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sheetflow.errors import SheetflowError

STATE_FILE = "state.sqlite"


def open_state(folder: Path | str) -> sqlite3.Connection:
    """A connection to `folder/state.sqlite`, made with its folder if needed.

    WAL mode and a busy timeout let the job and a command run side by side.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(folder / STATE_FILE, timeout=10.0)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    except (OSError, sqlite3.Error) as exc:
        raise SheetflowError(f"cannot open the state store in {folder}: {exc}") from exc
    return connection
