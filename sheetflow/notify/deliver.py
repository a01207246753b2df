"""Delivery: composed messages out through SMTP, to `.eml` files in the outbox, or to chats.

With `io/`, the only place that imports smtplib. Passwords and webhook tokens never appear in a
message or a log line: servers are named by `host:port`, robots by their configured name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from sheetflow.errors import SheetflowError, UsageError
from sheetflow.notify.compose import ChatPost, Message


class DeliveryError(SheetflowError):
    """One message could not be delivered; the caller retries it on the next run."""


# ----------------------------------------------------------------------------------------------
# MIME


def to_mime(message: Message, sender: str, date: float | None = None) -> EmailMessage:
    """The message as MIME: multipart/alternative (text, HTML), attachments after it.

    Non-ASCII subjects and names are encoded words (RFC 2047) and bodies UTF-8, by the email
    package's default policy.
    """
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = ", ".join(message.to)
    if message.cc:
        mime["Cc"] = ", ".join(message.cc)
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(date, localtime=True)
    mime["Message-ID"] = message.message_id
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to reminders
    mime["Content-Language"] = message.lang
    mime.set_content(message.text, charset="utf-8")
    mime.add_alternative(message.html, subtype="html", charset="utf-8")
    for attachment in message.attachments:
        maintype, subtype = attachment.mimetype.split("/", 1)
        mime.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return mime


def recipients(message: Message) -> list[str]:
    return [a for a in (*message.to, *message.cc) if a]


# ----------------------------------------------------------------------------------------------
# SMTP


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | ssl | plain
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        """The server for messages: never the credentials."""
        return f"{self.host}:{self.port}"


def parse_smtp_url(
    url: str, username: str | None = None, password: str | None = None
) -> SmtpSettings:
    """`smtp://user:pass@host:587` (STARTTLS when there is a login), `smtps://...` (SSL),
    `smtp://127.0.0.1:8025` (plain). `?security=starttls|ssl|plain` says it explicitly.

    username/password: from the config or environment when the URL has none.
    """
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps") or not parts.hostname:
        raise UsageError("SMTP: the URL must look like smtp://host:port or smtps://host:port")
    try:
        port = parts.port
    except ValueError as exc:
        raise UsageError("SMTP: the port in the URL is not a number") from exc
    user = urllib.parse.unquote(parts.username) if parts.username else username
    secret = urllib.parse.unquote(parts.password) if parts.password else password
    query = dict(urllib.parse.parse_qsl(parts.query))
    security = query.get("security", "").lower()
    if not security:
        security = "ssl" if scheme == "smtps" else ("starttls" if user else "plain")
    if security not in ("starttls", "ssl", "plain"):
        raise UsageError("SMTP: security must be starttls, ssl or plain")
    default_port = {"ssl": 465, "starttls": 587, "plain": 25}[security]
    return SmtpSettings(parts.hostname, port or default_port, security, user or None, secret)


class SmtpSender:
    """Sends over one SMTP connection per run, opened on the first message."""

    def __init__(self, settings: SmtpSettings, sender: str, timeout: float = 30.0) -> None:
        self.settings = settings
        self.sender = sender
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        # a server that could not be reached is not tried again for every message of the run
        self._unreachable: str | None = None

    @property
    def where(self) -> str:
        return f"smtp://{self.settings.where}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP {s.where}: login refused for {s.username}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {s.where}: {_reason(exc)}") from exc
        return smtp

    def send(self, message: Message, mime: EmailMessage) -> list[str]:
        """Deliver; returns the addresses the server refused while accepting the others."""
        if self._unreachable is not None:
            raise DeliveryError(self._unreachable)
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except DeliveryError as exc:
                self._unreachable = str(exc)
                raise
        try:
            refused = self._smtp.send_message(mime, self.sender, recipients(message))
        except smtplib.SMTPServerDisconnected as exc:
            self._smtp = None  # the next message reconnects
            raise DeliveryError(f"SMTP {self.settings.where}: {_reason(exc)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            if isinstance(exc, OSError):
                self._smtp = None
            raise DeliveryError(f"SMTP {self.settings.where}: {_reason(exc)}") from exc
        # accepted for some: the digest went out; the refused addresses are a warning
        return sorted(refused)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused"
    if isinstance(exc, socket.timeout):
        return "timed out"
    return str(exc) or type(exc).__name__


class OutboxSender:
    """No SMTP configured: each message becomes an `.eml` file in the outbox folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []

    @property
    def where(self) -> str:
        return str(self.folder)

    def send(self, message: Message, mime: EmailMessage) -> list[str]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            digest = message.message_id.strip("<>").split("@")[0][:12]
            slug = re.sub(r"[^\w.-]+", "_", message.recipient, flags=re.UNICODE)[:40]
            path = self.folder / f"{message.kind}-{message.period}-{slug}-{digest}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(mime.as_bytes())
            tmp.replace(path)
        except OSError as exc:
            raise DeliveryError(f"cannot write to the outbox {self.folder}: {exc}") from exc
        self.written.append(path)
        return []

    def close(self) -> None:
        pass


# ----------------------------------------------------------------------------------------------
# Group chats


@dataclass(frozen=True)
class Webhook:
    name: str
    platform: str  # dingtalk | wecom | feishu
    url: str = field(repr=False)  # holds the robot's token
    secret: str | None = field(default=None, repr=False)


PLATFORMS = ("dingtalk", "wecom", "feishu")


def chat_payload(post: ChatPost, platform: str) -> dict[str, object]:
    """The JSON body each platform documents for a markdown message.

    - DingTalk custom robot, msgtype markdown: {"msgtype": "markdown", "markdown": {"title",
      "text"}} (open.dingtalk.com/document/orgapp/custom-robots-send-group-messages).
    - WeCom group robot, msgtype markdown: {"msgtype": "markdown", "markdown": {"content"}}
      (developer.work.weixin.qq.com/document/path/91770).
    - Feishu custom bot, an interactive card whose body is lark_md markdown:
      {"msg_type": "interactive", "card": {"header": {"title": {"tag": "plain_text", ...}},
      "elements": [{"tag": "div", "text": {"tag": "lark_md", "content"}}]}}
      (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot).
    """
    if platform == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": post.title, "text": post.markdown}}
    if platform == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": post.markdown}}
    if platform == "feishu":
        body = post.markdown.split("\n", 1)[1] if "\n" in post.markdown else post.markdown
        return {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": post.title}},
                "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": body}}],
            },
        }
    raise UsageError(f"chat: unknown platform {platform!r}; use {', '.join(PLATFORMS)}")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")), sent
    URL-encoded as `timestamp` and `sign` query parameters (timestamp in milliseconds)."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's 签名校验: base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=empty)), sent in
    the JSON body as `timestamp` (seconds, a string) and `sign`."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def signed_request(
    hook: Webhook, payload: dict[str, object], now: float
) -> tuple[str, dict[str, object]]:
    """The URL and body to POST, with the platform's signature when a secret is set."""
    url, body = hook.url, dict(payload)
    if hook.secret and hook.platform == "dingtalk":
        stamp = int(now * 1000)
        extra = urllib.parse.urlencode(
            {"timestamp": stamp, "sign": dingtalk_sign(hook.secret, stamp)}
        )
        url = f"{url}{'&' if '?' in url else '?'}{extra}"
    elif hook.secret and hook.platform == "feishu":
        stamp = int(now)
        body = {"timestamp": str(stamp), "sign": feishu_sign(hook.secret, stamp), **body}
    return url, body


class ChatSender:
    """POSTs chat posts to their robots (urllib: no extra dependency)."""

    def __init__(
        self,
        hooks: Mapping[str, Webhook],
        timeout: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.hooks = dict(hooks)
        self.timeout = timeout
        self.clock = clock

    def send(self, post: ChatPost) -> None:
        hook = self.hooks[post.name]
        url, body = signed_request(hook, chat_payload(post, hook.platform), self.clock())
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"chat {hook.name}: HTTP {exc.code}") from exc
        except (OSError, urllib.error.URLError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"chat {hook.name}: {reason}") from exc
        _check_answer(hook, answer)


def _check_answer(hook: Webhook, answer: bytes) -> None:
    """DingTalk and WeCom answer {"errcode": 0}, Feishu {"code": 0}; anything else failed."""
    try:
        data = json.loads(answer.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return  # a 2xx without JSON: a proxy or relay; the post was accepted
    if not isinstance(data, dict):
        return
    code = data.get("errcode", data.get("code", data.get("StatusCode", 0)))
    if code not in (0, "0", None):
        message = data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or ""
        raise DeliveryError(f"chat {hook.name}: {hook.platform} answered {code} {message}".strip())
