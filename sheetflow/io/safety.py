"""Guards for rewriting a user's workbook: Excel's lock files, one sheetflow writer at a time,
read-only files, dated backups, and the atomic replace through a checked temporary file."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sheetflow.errors import LockedError, SheetflowError, WorkbookError

TEMP_PREFIX = ".~sheetflow-"


def owner_files(path: Path) -> list[Path]:
    """Files an office program keeps beside a workbook while it has it open."""
    return [
        path.with_name(f"~${path.name}"),  # Excel, WPS
        path.with_name(f".~lock.{path.name}#"),  # LibreOffice
    ]


def check_not_locked(path: Path) -> None:
    """Raise `LockedError` when Excel (or LibreOffice) has `path` open, judged by its owner file.

    path: the workbook.
    """
    path = Path(path)
    for owner in owner_files(path):
        if owner.exists():
            raise LockedError(
                f"{path} is open in Excel ({owner.name} exists); close it and try again"
            )


def backup_path(path: Path) -> Path:
    """The latest backup kept beside a workbook rewritten in place: BOOK.bak.xlsx."""
    path = Path(path)
    return path.with_name(f"{path.stem}.bak{path.suffix}")


# Dated backups (BOOK.bak-20241009-160000.xlsx) kept beside the latest one, newest first: at
# most this many, and at most this many bytes together (the oldest go first).
BACKUPS_KEPT = 5
BACKUP_BYTES = 256 << 20
_DATED = re.compile(r"\.bak-(\d{8}-\d{6})(?:-(\d+))?$")


def dated_backups(path: Path) -> list[Path]:
    """The dated backups of `path`, newest first."""
    path = Path(path)
    found = []
    for candidate in path.parent.glob(f"{glob_escape(path.stem)}.bak-*{path.suffix}"):
        name = candidate.name[: -len(path.suffix)] if path.suffix else candidate.name
        match = _DATED.search(name)
        if match and name[: match.start()] == path.stem:
            found.append((match.group(1), int(match.group(2) or 1), candidate))
    return [p for _, _, p in sorted(found, key=lambda item: item[:2], reverse=True)]


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def keep_backups(target: Path, now: dt.datetime | None = None) -> None:
    """Copy `target` to BOOK.bak.xlsx and a dated backup, then prune the dated ones."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    dated = target.with_name(f"{target.stem}.bak-{stamp}{target.suffix}")
    number = 1
    while dated.exists():
        number += 1
        dated = target.with_name(f"{target.stem}.bak-{stamp}-{number}{target.suffix}")
    temp = _temp_beside(target)
    try:
        shutil.copy2(target, temp)
        os.replace(temp, backup_path(target))
    finally:
        _remove(temp)
    try:
        os.link(backup_path(target), dated)  # same bytes, no second copy on disk
    except OSError:
        shutil.copy2(backup_path(target), dated)
    total = 0
    for index, old in enumerate(dated_backups(target)):
        try:
            total += old.stat().st_size
        except OSError:
            continue
        if index >= BACKUPS_KEPT or (index > 0 and total > BACKUP_BYTES):
            _remove(old)


def check_writable(path: Path) -> None:
    """Refuse to replace a file its owner made read-only (root could, but should not)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not mode & 0o222:
        raise WorkbookError(
            f"{path} is read-only; make it writable (or write elsewhere with --out) and try again"
        )


def _temp_beside(target: Path) -> Path:
    try:
        handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=target.suffix, dir=target.parent)
    except OSError as exc:
        raise WorkbookError(f"cannot write in {target.parent}: {exc.strerror or exc}") from exc
    os.close(handle)
    return Path(name)


def _file_mode(target: Path, like: Path | None) -> int:
    for candidate in (target, like):
        if candidate is not None and candidate.exists():
            return candidate.stat().st_mode & 0o7777
    return 0o644


def replace_atomically(
    target: Path,
    write: Callable[[Path], None],
    verify: Callable[[Path], None] | None = None,
    backup: bool = False,
    like: Path | None = None,
) -> Path:
    """Write `target` through a temporary file beside it, verify it, then `os.replace` it in.

    target: the file to create or replace.
    write: writes the complete new file to the path it is given.
    verify: raises if the written file is not right (it is then discarded).
    backup: keep the previous `target` as `backup_path(target)` (one, overwritten each time).
    like: a file whose permissions the new file takes when `target` does not exist yet.
    On any failure the temporary file is removed and `target` is untouched; errors that are not
    already a `SheetflowError` come out as `WorkbookError`.
    """
    target = Path(target)
    if target.exists():
        check_writable(target)
    owner = _owner(target if target.exists() else like)
    temp = _temp_beside(target)
    backup_temp: Path | None = None
    try:
        write(temp)
        if verify is not None:
            verify(temp)
        os.chmod(temp, _file_mode(target, like))
        if owner is not None:
            with contextlib.suppress(OSError):  # only root may give a file away
                os.chown(temp, *owner)
        if backup and target.exists():
            keep_backups(target)
        try:
            os.replace(temp, target)
        except PermissionError as exc:
            raise LockedError(
                f"cannot replace {target}: it is open in another program or read-only; "
                "close it and try again"
            ) from exc
    except SheetflowError:
        _remove(temp, backup_temp)
        raise
    except Exception as exc:
        _remove(temp, backup_temp)
        raise WorkbookError(f"could not write {target}: {exc}") from exc
    return target


def _owner(path: Path | None) -> tuple[int, int] | None:
    """(uid, gid) to give the new file when it differs from ours (running as root)."""
    if path is None or not hasattr(os, "chown"):
        return None
    try:
        info = path.stat()
    except OSError:
        return None
    if info.st_uid == os.geteuid() and info.st_gid == os.getegid():
        return None
    return info.st_uid, info.st_gid


def _remove(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()


LOCK_WAIT_S = 10.0


def lock_path(path: Path) -> Path:
    return path.with_name(f"{TEMP_PREFIX}lock.{path.name}")


def _holder(lock: Path) -> dict[str, object] | None:
    try:
        return json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _stale(holder: dict[str, object] | None) -> bool:
    """A lock left by a process of this machine that no longer runs."""
    if holder is None or holder.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(holder.get("pid", 0)), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False
    return False


@contextlib.contextmanager
def refresh_lock(path: Path, wait: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the advisory lock of `path` (one sheetflow writer at a time) for the block.

    A second writer waits up to `wait` seconds, then gives up with a `LockedError` that says
    who holds the lock. A lock left by a process that died is taken over.
    """
    path = Path(path)
    lock = lock_path(path.resolve() if path.is_symlink() else path)
    mine = json.dumps(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "user": getpass.getuser(),
            "since": dt.datetime.now().isoformat(timespec="seconds"),
        }
    )
    deadline = time.monotonic() + wait
    while True:
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            holder = _holder(lock)
            if _stale(holder):
                _remove(lock)
                continue
            if time.monotonic() >= deadline:
                who = "another sheetflow run"
                if holder:
                    who = (
                        f"{holder.get('user')} (pid {holder.get('pid')} on {holder.get('host')},"
                        f" since {holder.get('since')})"
                    )
                raise LockedError(
                    f"{path} is being written by {who}; try again when it is done "
                    f"(or remove {lock.name} if that run is gone)"
                ) from None
            time.sleep(0.2)
        except OSError as exc:  # a read-only folder: no lock possible, nor any write
            raise WorkbookError(f"cannot write in {path.parent}: {exc.strerror or exc}") from exc
    try:
        os.write(handle, mine.encode())
        os.close(handle)
        yield
    finally:
        _remove(lock)
