"""The Google door's transport: credentials, the redirecting session and the retry policy.

Real gspread talks to the Sheets API; its HTTP session is injected so that every request goes
to `config.sheets_api_url` (Google, or the local emulator), and every request is counted.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import random
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from google.auth.transport.requests import AuthorizedSession
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from sheetflow.config import SHEETS_API_DEFAULT, Config
from sheetflow.core import i18n
from sheetflow.errors import UsageError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


# ------------------------------------------------------------------------------ credentials


def _key_file_warning(path: Path, lang: str, out: Callable[[str], None]) -> None:
    """Warn (never fail) when a key file can be read by group or others."""
    if os.name == "nt":
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        out(i18n.text("gsheets.key_file_open", lang, path=path))


def credentials(config: Config, lang: str = "en", warn: Callable[[str], None] | None = None):  # noqa: ANN201
    """Google credentials from the config: a token, a service-account or OAuth user file."""
    warn = warn or (lambda line: print(line, file=sys.stderr))
    if config.google_token:
        from google.oauth2.credentials import Credentials

        return Credentials(token=config.google_token)
    if not config.google_credentials:
        raise UsageError(i18n.text("gsheets.no_credentials", lang))
    path = Path(config.google_credentials).expanduser()
    if not path.is_file():
        raise UsageError(i18n.text("gsheets.no_key_file", lang, path=path))
    _key_file_warning(path, lang, warn)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(i18n.text("gsheets.bad_key_file", lang, path=path)) from exc
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            from google.oauth2 import service_account

            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        if kind == "authorized_user":
            from google.oauth2.credentials import Credentials

            return Credentials.from_authorized_user_info(info, scopes=SCOPES)
    except (ValueError, KeyError) as exc:  # never echo the file: it holds the secret
        raise UsageError(i18n.text("gsheets.bad_key_file", lang, path=path)) from exc
    raise UsageError(i18n.text("gsheets.bad_key_file", lang, path=path))


# ------------------------------------------------------------------------------ transport


class RedirectingSession(AuthorizedSession):
    """An authorised session that sends Sheets API requests to `base_url` and counts them."""

    def __init__(self, creds, base_url: str = SHEETS_API_DEFAULT) -> None:  # noqa: ANN001
        super().__init__(creds)
        self.base_url = base_url.rstrip("/")
        self.sent: list[tuple[str, str]] = []  # (method, url) of every request sent

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        if url.startswith(SHEETS_API_DEFAULT):
            url = self.base_url + url[len(SHEETS_API_DEFAULT) :]
        self.sent.append((method.upper(), url))
        return super().request(method, url, *args, **kwargs)


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter on 429/5xx, `Retry-After` honoured, time bounded."""

    base: float = 1.0  # first wait, seconds
    cap: float = 32.0  # longest single wait
    total: float = 120.0  # give up when the next wait would pass this
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.total)
        return self.rng.uniform(0, min(self.cap, self.base * 2**attempt))


class GaveUp(Exception):
    """Retries exhausted; carries what the last answer was."""

    def __init__(self, tries: int, seconds: float, last: str) -> None:
        super().__init__(last)
        self.tries, self.seconds, self.last = tries, seconds, last


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        if when is None:
            return None
        return (when - dt.datetime.now(tz=when.tzinfo or dt.timezone.utc)).total_seconds()


def _compact(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def describe(response: requests.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error.get('code')} {error.get('status')}"
    except (ValueError, KeyError, TypeError):
        return str(response.status_code)


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with sheetflow's retry policy (gspread's own ignores Retry-After)."""

    policy: RetryPolicy = RetryPolicy()

    def request(self, method, endpoint, params=None, data=None, json=None, files=None,  # noqa: ANN001, ANN201, A002
                headers=None):
        if json is not None:  # compact JSON: the size `_pack` measured is the size sent
            data = _compact(json)
            headers = {**(headers or {}), "Content-Type": "application/json"}
            json = None
        started = self.policy.clock()
        attempt = 0
        while True:
            try:
                return super().request(method, endpoint, params=params, data=data, json=json,
                                       files=files, headers=headers)
            except APIError as exc:
                response = exc.response
                if response.status_code not in RETRY_STATUSES:
                    raise
                last, after = describe(response), _retry_after(response)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last, after = type(exc).__name__, None
            pause = self.policy.wait(attempt, after)
            elapsed = self.policy.clock() - started
            if elapsed + pause > self.policy.total:
                raise GaveUp(attempt + 1, round(elapsed, 1), last)
            self.policy.sleep(pause)
            attempt += 1


def policy_from(config: Config) -> RetryPolicy:
    seconds = os.environ.get("SHEETFLOW_SHEETS_RETRY_SECONDS") or config.section("google").get(
        "retry_seconds"
    )
    policy = RetryPolicy()
    if seconds not in (None, ""):
        try:
            policy.total = float(seconds)  # type: ignore[arg-type]
        except ValueError as exc:
            raise UsageError(f"retry_seconds: not a number: {seconds!r}") from exc
        policy.base = min(policy.base, max(policy.total / 8, 0.01))
    return policy

