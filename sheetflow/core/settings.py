"""Settings sheet (SPEC §1): key/value pairs with defaults; a bad value is a finding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sheetflow.core import calendar, schema
from sheetflow.core.findings import Findings, Msg
from sheetflow.core.workbook import (
    CellError,
    CellProblem,
    Workbook,
    is_blank,
    language_code,
)

DEFAULTS = {key.name: key.default for key in schema.SETTING_KEYS}


@dataclass(frozen=True)
class Settings:
    work_hours: tuple[tuple[int, int], ...]
    weekend: frozenset[int]
    timezone: str
    warn_ratio: float
    case_sla_hours: float
    case_clock: str
    on_time_target: float
    hit_policy: str
    language: str
    escalate_after_h: float = 24.0
    notify_language: str = ""  # en / zh: Settings notify_language, else the workbook language


def _number(text: object) -> float:
    if isinstance(text, bool):
        raise ValueError("not a number")
    if isinstance(text, (int, float)):
        return float(text)
    cleaned = str(text).strip().replace("％", "%")
    if cleaned.endswith("%"):
        return float(cleaned[:-1]) / 100.0
    return float(cleaned)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _ratio(raw: object) -> float:
    number = _number(raw)
    if not 0 <= number <= 1:
        raise ValueError("out of range")
    return number


def _positive(raw: object) -> float:
    number = _number(raw)
    if number <= 0:
        raise ValueError("not positive")
    return number


def _non_negative(raw: object) -> float:
    number = _number(raw)
    if number < 0:
        raise ValueError("negative")
    return number


def _work_hours(raw: object) -> tuple[tuple[int, int], ...]:
    return calendar.parse_work_hours(_text(raw))


def _weekend(raw: object) -> frozenset[int]:
    days = calendar.parse_weekend(_text(raw))
    if len(days) == 7:  # no working day left: no business clock could ever run
        raise ValueError("every day is weekend")
    return days


def _zone(raw: object) -> str:
    name = _text(raw)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(name) from exc
    return name


def _clock(raw: object) -> str:
    code = schema.CLOCK.lookup().get(schema.normalise_token(raw))
    if code is None:
        raise ValueError("unknown clock")
    return code


def _policy(raw: object) -> str:
    code = schema.HIT_POLICY.lookup().get(schema.normalise_token(raw))
    if code is None:
        raise ValueError("unknown policy")
    return code


# key -> (parser raising ValueError, what the value may be: the bad_value detail)
_PARSERS: dict[str, tuple[Callable[[object], object], object]] = {
    "work_hours": (_work_hours, Msg("core.allowed.work_hours")),
    "weekend": (_weekend, Msg("core.allowed.weekend")),
    "timezone": (_zone, Msg("core.allowed.timezone")),
    "warn_ratio": (_ratio, "0 – 1"),
    "case_sla_hours": (_positive, "> 0"),
    "case_clock": (_clock, Msg("core.allowed.case_clock")),
    "on_time_target": (_ratio, "0 – 1"),
    "hit_policy": (_policy, Msg("core.allowed.hit_policy")),
    "escalate_after_h": (_non_negative, ">= 0"),
}


def _setting(rows: dict[str, tuple[int, object]], findings: Findings, key: str) -> object:
    """The value of Settings `key`, or its default when absent, blank or unreadable (reported)."""
    parse, allowed = _PARSERS[key]
    default = parse(DEFAULTS[key])
    if key not in rows or is_blank(rows[key][1]):
        return default
    row, raw = rows[key]
    if isinstance(raw, CellProblem):  # #REF! or an uncalculated formula: the default
        reason = "cell_error" if isinstance(raw, CellError) else "formula_uncalculated"
        findings.add("Settings", row, "value", str(raw), "bad_value", str(raw), reason=reason)
        return default
    try:
        return parse(raw)
    except (ValueError, TypeError):
        findings.add("Settings", row, "value", raw, "bad_value", allowed)
        return default


def _check_languages(rows: dict[str, tuple[int, object]], findings: Findings) -> None:
    """bad_value for a `language` / `notify_language` that is neither en nor zh."""
    for key in ("language", "notify_language"):
        if key in rows:
            row, raw = rows[key]
            if not is_blank(raw) and language_code(raw) is None:
                allowed = Msg("core.allowed.language")
                findings.add("Settings", row, "value", raw, "bad_value", allowed)


def read_settings(book: Workbook, findings: Findings) -> Settings:
    """Parse the Settings sheet; each unreadable value is reported and replaced by its default."""
    rows = book.settings_rows
    lang = book.language

    _check_languages(rows, findings)  # first: the findings come in the order of the checks

    def value(key: str):  # noqa: ANN202 - the parsed setting
        return _setting(rows, findings, key)

    return Settings(
        work_hours=value("work_hours"),
        weekend=value("weekend"),
        timezone=value("timezone"),
        warn_ratio=value("warn_ratio"),
        case_sla_hours=value("case_sla_hours"),
        case_clock=value("case_clock"),
        on_time_target=value("on_time_target"),
        hit_policy=value("hit_policy"),
        language=lang,
        escalate_after_h=value("escalate_after_h"),
        notify_language=language_code(rows.get("notify_language", (0, None))[1]) or lang,
    )
