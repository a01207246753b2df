"""The notification parts of the config (SPEC §9): `[smtp]`, `[notify]`, `[[chat]]`.

```toml
[smtp]
url = "smtp://mail.example.com:587"   # or SHEETFLOW_SMTP_URL
from = "sheetflow@example.com"
username = "robot"                    # or SHEETFLOW_SMTP_USERNAME (when not in the URL)
password = "..."                      # or SHEETFLOW_SMTP_PASSWORD (better: keep it out of files)

[notify]
team_summary = false                  # also a daily summary of their team to each manager
weekly = "mon 09:00"                  # the job's weekly review to managers ("" = none)
monthly = "1 09:00"                   # the job's monthly report, day 1-4 ("" = none)
attach_workbook = true                # attach the refreshed workbook to weekly / monthly mail
reports_to = ["director@example.com"] # who gets the monthly report (default: top managers)

[[chat]]
name = "logistics"
platform = "dingtalk"                 # dingtalk | wecom | feishu
url = "https://oapi.dingtalk.com/robot/send?access_token=..."  # or SHEETFLOW_CHAT_LOGISTICS_URL
secret = "SEC..."                     # or SHEETFLOW_CHAT_LOGISTICS_SECRET; signs the request
departments = ["Logistics", "物流部"]  # omitted: every item
```
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sheetflow.config import Config
from sheetflow.errors import UsageError
from sheetflow.notify.compose import ChatTarget
from sheetflow.notify.deliver import (
    PLATFORMS,
    OutboxSender,
    SmtpSender,
    Webhook,
    parse_smtp_url,
)

OUTBOX = "outbox"


@dataclass(frozen=True)
class NotifyOptions:
    team_summary: bool = False
    weekly: str = "mon 09:00"
    monthly: str = "1 09:00"
    attach_workbook: bool = True
    reports_to: tuple[str, ...] = ()
    chats: tuple[ChatTarget, ...] = ()
    hooks: Mapping[str, Webhook] = field(default_factory=dict, repr=False)


def _env_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).upper().strip("_")


def _strings(value: object, what: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise UsageError(f"--config: {what} must be a text or a list of texts")


def notify_options(config: Config, environ: Mapping[str, str] | None = None) -> NotifyOptions:
    """`[notify]` and `[[chat]]` of the config, with SHEETFLOW_CHAT_<NAME>_URL/_SECRET."""
    env = os.environ if environ is None else environ
    section = config.section("notify")
    chats_raw = config.raw.get("chat", [])
    if not isinstance(chats_raw, list):
        raise UsageError("--config: write chat robots as [[chat]] tables")
    chats, hooks = [], {}
    for number, entry in enumerate(chats_raw, start=1):
        if not isinstance(entry, Mapping):
            raise UsageError(f"--config: [[chat]] number {number} is not a table")
        name = str(entry.get("name") or f"chat{number}")
        platform = str(entry.get("platform", "")).strip().lower()
        if platform not in PLATFORMS:
            raise UsageError(
                f"--config: [[chat]] {name}: platform must be one of {', '.join(PLATFORMS)}"
            )
        prefix = f"SHEETFLOW_CHAT_{_env_name(name)}_"
        url = env.get(prefix + "URL") or str(entry.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"--config: [[chat]] {name}: url must be the robot's webhook URL")
        secret = env.get(prefix + "SECRET") or (
            str(entry["secret"]) if entry.get("secret") else None
        )
        departments = _strings(entry.get("departments", entry.get("department")), "departments")
        chats.append(ChatTarget(name, platform, departments))
        hooks[name] = Webhook(name, platform, url, secret)

    def text(key: str, default: str) -> str:
        value = section.get(key, default)
        return "" if value is False else str(value).strip()

    return NotifyOptions(
        team_summary=bool(section.get("team_summary", False)),
        weekly=text("weekly", "mon 09:00"),
        monthly=text("monthly", "1 09:00"),
        attach_workbook=bool(section.get("attach_workbook", True)),
        reports_to=_strings(section.get("reports_to"), "[notify] reports_to"),
        chats=tuple(chats),
        hooks=hooks,
    )


def mailer_for(
    config: Config, environ: Mapping[str, str] | None = None
) -> SmtpSender | OutboxSender:
    """SMTP when a server is configured, else the outbox folder of the state folder."""
    env = os.environ if environ is None else environ
    if not config.smtp_url:
        return OutboxSender(config.state_dir / OUTBOX)
    smtp = config.section("smtp")
    username = env.get("SHEETFLOW_SMTP_USERNAME") or (
        str(smtp["username"]) if smtp.get("username") else None
    )
    password = env.get("SHEETFLOW_SMTP_PASSWORD") or (
        str(smtp["password"]) if smtp.get("password") else None
    )
    return SmtpSender(parse_smtp_url(config.smtp_url, username, password), config.smtp_from)
