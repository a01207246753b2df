"""The configuration of SPEC §9: one TOML file, every key overridable by the environment.

`load_config(path)` reads the file (or nothing) and applies the environment on top, so the
commands, the job and the doors all see one `Config`. Secrets (SMTP password, Google token)
stay inside it: `Config.__repr__` hides them, and nothing here prints.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sheetflow.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SHEETS_API_DEFAULT = "https://sheets.googleapis.com"


@dataclass(frozen=True)
class WorkbookEntry:
    """One `[[workbook]]` of the config: a source and what the job does with it."""

    source: str
    refresh: bool = True
    notify: bool = True
    every: str = "daily 09:00"
    out: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    smtp_url: str | None = field(default=None, repr=False)  # may hold a password
    smtp_from: str = "sheetflow@localhost"
    google_credentials: str | None = None
    google_token: str | None = field(default=None, repr=False)
    sheets_api_url: str = SHEETS_API_DEFAULT
    state_dir: Path = field(default_factory=lambda: default_state_dir())
    workbooks: tuple[WorkbookEntry, ...] = ()
    # every table of the file as read, for sections other modules own ([notify], [chat]...)
    raw: Mapping[str, object] = field(default_factory=dict, repr=False)

    def section(self, name: str) -> Mapping[str, object]:
        value = self.raw.get(name, {})
        return value if isinstance(value, Mapping) else {}

    def resolve(self, value: str) -> Path:
        """A path written in the config, relative to the config file's folder."""
        path = Path(value).expanduser()
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path


def default_state_dir() -> Path:
    """The user's state folder: XDG_STATE_HOME, %LOCALAPPDATA% on Windows, ~/.local/state."""
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "sheetflow"
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "sheetflow"


def _read(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"--config: no such file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--config: cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--config: {path} is not valid TOML ({exc})") from exc


def _table(data: Mapping[str, object], name: str) -> Mapping[str, object]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise UsageError(f"--config: [{name}] must be a table")
    return value


def _workbooks(data: Mapping[str, object], base: Path | None) -> tuple[WorkbookEntry, ...]:
    entries = data.get("workbook", [])
    if not isinstance(entries, list):
        raise UsageError("--config: write workbooks as [[workbook]] tables")
    out = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping) or not str(entry.get("source", "")).strip():
            raise UsageError(f"--config: [[workbook]] number {number} has no source")
        source = str(entry["source"]).strip()
        if not source.startswith("gsheet:") and base is not None:
            path = Path(source).expanduser()
            source = str(path if path.is_absolute() else base / path)
        known = {"source", "refresh", "notify", "every", "out"}
        out.append(
            WorkbookEntry(
                source=source,
                refresh=bool(entry.get("refresh", True)),
                notify=bool(entry.get("notify", True)),
                every=str(entry.get("every", "daily 09:00")),
                out=str(entry["out"]) if entry.get("out") else None,
                extra={k: v for k, v in entry.items() if k not in known},
            )
        )
    return tuple(out)


def load_config(
    path: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """The config file at `path` (None: no file), with the environment applied on top.

    environ: the environment to read (default `os.environ`); tests pass their own.
    """
    env = os.environ if environ is None else environ
    file = Path(path) if path is not None else None
    data = _read(file) if file is not None else {}
    base = file.parent if file is not None else None
    smtp = _table(data, "smtp")
    google = _table(data, "google")
    state = _table(data, "state")

    def from_file(value: object) -> str | None:
        return str(value) if value not in (None, "") else None

    state_dir = env.get("SHEETFLOW_STATE_DIR") or from_file(state.get("dir"))
    state_path = default_state_dir() if state_dir is None else Path(state_dir).expanduser()
    if not state_path.is_absolute() and base is not None and not env.get("SHEETFLOW_STATE_DIR"):
        state_path = base / state_path
    credentials = env.get("GOOGLE_APPLICATION_CREDENTIALS") or from_file(
        google.get("credentials")
    )
    if credentials and base is not None and not Path(credentials).is_absolute():
        if not env.get("GOOGLE_APPLICATION_CREDENTIALS"):
            credentials = str(base / credentials)
    return Config(
        path=file,
        smtp_url=env.get("SHEETFLOW_SMTP_URL") or from_file(smtp.get("url")),
        smtp_from=env.get("SHEETFLOW_SMTP_FROM") or from_file(smtp.get("from")) or
        "sheetflow@localhost",
        google_credentials=credentials,
        google_token=env.get("SHEETFLOW_GOOGLE_TOKEN") or from_file(google.get("token")),
        sheets_api_url=(
            env.get("SHEETFLOW_SHEETS_API_URL")
            or from_file(google.get("api_url"))
            or SHEETS_API_DEFAULT
        ).rstrip("/"),
        state_dir=state_path,
        workbooks=_workbooks(data, base),
        raw=data,
    )
