"""Cell values as the Sheets API takes them in (RAW / USER_ENTERED) and gives them out
(FORMATTED_VALUE / UNFORMATTED_VALUE / FORMULA, dates as SERIAL_NUMBER or FORMATTED_STRING)."""

from __future__ import annotations

import ast
import datetime as dt
import math
import operator
import re

EPOCH = dt.datetime(1899, 12, 30)  # day 0 of Sheets' (and Excel's) serial dates
DATE_TYPES = ("DATE", "TIME", "DATE_TIME")


class Unsupported(Exception):
    """Something the emulator does not implement: the server answers 501, never a guess."""


class Formula(str):
    """A formula cell (`=...`); plain `str` cells are text, even when they start with `=`."""


_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")
_PERCENT = re.compile(r"^([+-]?\d+(\.\d+)?)\s*%$")
_ISO = re.compile(
    r"^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def to_serial(value: dt.datetime) -> float:
    return (value - EPOCH) / dt.timedelta(days=1)


def from_serial(serial: float) -> dt.datetime:
    return EPOCH + dt.timedelta(milliseconds=round(serial * 86_400_000))


def parse_user_entered(text: str) -> tuple[object, dict | None]:
    """What Sheets stores for text typed by a user: (value, number format or None)."""
    if text.startswith("'"):
        return text[1:], None
    if text.startswith("=") and len(text) > 1:
        return Formula(text), None
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return stripped.upper() == "TRUE", None
    if stripped and _NUMBER.match(stripped) and any(c.isdigit() for c in stripped):
        number = float(stripped.replace(",", ""))
        if "," in stripped:
            decimals = len(stripped.partition(".")[2])
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            return _int_if_whole(number), {"type": "NUMBER", "pattern": pattern}
        return _int_if_whole(number), None
    match = _PERCENT.match(stripped)
    if match:
        decimals = len(match.group(2) or "") - 1 if match.group(2) else 0
        pattern = "0%" if decimals <= 0 else "0." + "0" * decimals + "%"
        return float(match.group(1)) / 100, {"type": "PERCENT", "pattern": pattern}
    parsed = _parse_date(stripped)
    if parsed is not None:
        return parsed
    return text, None


def _parse_date(text: str) -> tuple[object, dict] | None:
    match = _ISO.match(text)
    if match:
        y, sep, m, d, hh, mm, ss = match.groups()
        order = ("yyyy", "mm", "dd")
    else:
        match = _US.match(text)
        if not match:
            return None
        m, d, y, hh, mm, ss = match.groups()
        sep, order = "/", ("m", "d", "yyyy")
    try:
        stamp = dt.datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None
    pattern = sep.join(order)
    if hh is None:
        return _int_if_whole(to_serial(stamp)), {"type": "DATE", "pattern": pattern}
    pattern += " hh:mm" + (":ss" if ss is not None else "")
    return to_serial(stamp), {"type": "DATE_TIME", "pattern": pattern}


def _int_if_whole(number: float) -> int | float:
    return int(number) if float(number).is_integer() and abs(number) < 2**53 else number


def raw_value(value: object) -> object:
    """A RAW input value: text stays text (a leading `=` included), numbers stay numbers."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return _int_if_whole(value) if isinstance(value, float) else value
    return str(value)


# ---------------------------------------------------------------- formulas (arithmetic only)

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def evaluate(formula: str) -> object:
    """The value of a formula made of numbers and + - * / ^ ( ); anything else is Unsupported."""
    try:
        tree = ast.parse(formula[1:].replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise Unsupported(f"formula {formula!r}") from exc

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -walk(node.operand) if isinstance(node.op, ast.USub) else walk(node.operand)
        raise Unsupported(f"formula {formula!r}")

    try:
        return _int_if_whole(float(walk(tree)))
    except ZeroDivisionError as exc:
        raise Unsupported(f"formula {formula!r} (#DIV/0!)") from exc


# ---------------------------------------------------------------- rendering


def render(value: object, number_format: dict | None, value_option: str, date_option: str):
    """One cell's value as values.get answers it (None = empty)."""
    if value is None:
        return None
    if value_option == "FORMULA":
        if isinstance(value, Formula):
            return str(value)
        return _json_number(value) if _is_number(value) else value
    if isinstance(value, Formula):
        value = evaluate(value)
    if value_option == "UNFORMATTED_VALUE":
        if (
            date_option == "FORMATTED_STRING"
            and _is_number(value)
            and number_format
            and number_format.get("type") in DATE_TYPES
        ):
            return format_number(value, number_format)
        return _json_number(value) if _is_number(value) else value
    if value_option != "FORMATTED_VALUE":
        raise ValueError(value_option)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    return format_number(value, number_format)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _json_number(value: int | float) -> int | float:
    return _int_if_whole(value) if isinstance(value, float) else value


def general(number: float) -> str:
    """Sheets' automatic format for a number."""
    if float(number).is_integer() and abs(number) < 1e15:
        return str(int(number))
    text = f"{number:.10g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        return f"{mantissa.upper()}E{'+' if int(exp) >= 0 else '-'}{abs(int(exp)):02d}"
    return text


_DATE_TOKEN = re.compile(r"yyyy|yy|mmmm|mmm|mm|m|dd|d|hh|h|ss|s|am/pm|AM/PM|\.0+|[^ymdhsaAP.]+|.")


def format_number(number: float, number_format: dict | None) -> str:
    """A number under a Sheets number format; patterns the emulator does not know are 501."""
    if not number_format or (
        not number_format.get("pattern") and number_format.get("type") in (None, "NUMBER", "TEXT")
    ):
        return general(number)
    kind = number_format.get("type", "NUMBER")
    pattern = number_format.get("pattern", "")
    if kind in DATE_TYPES:
        return _format_date(number, pattern or _DEFAULT_DATE[kind])
    return _format_plain(number, pattern)


_DEFAULT_DATE = {"DATE": "m/d/yyyy", "TIME": "h:mm:ss am/pm", "DATE_TIME": "m/d/yyyy h:mm:ss"}


def _format_plain(number: float, pattern: str) -> str:
    match = re.fullmatch(r"(#,##)?0(\.(0+))?(%)?", pattern)
    if not match:
        raise Unsupported(f"number format {pattern!r}")
    if match.group(4):
        number = number * 100
    decimals = len(match.group(3) or "")
    text = f"{number:,.{decimals}f}" if match.group(1) else f"{number:.{decimals}f}"
    return text + ("%" if match.group(4) else "")


def _format_date(number: float, pattern: str) -> str:
    stamp = from_serial(number)
    tokens = _DATE_TOKEN.findall(pattern)
    has_ampm = any(t.lower() == "am/pm" for t in tokens)
    out = []
    for i, token in enumerate(tokens):
        lower = token.lower()
        # m / mm means minutes right after an hour or right before seconds
        prev = next((t.lower() for t in reversed(tokens[:i]) if t.strip(" :/-")), "")
        nxt = next((t.lower() for t in tokens[i + 1 :] if t.strip(" :/-")), "")
        minute = prev.startswith("h") or nxt.startswith("s")
        hour = stamp.hour % 12 or 12 if has_ampm else stamp.hour
        if lower == "yyyy":
            out.append(f"{stamp.year:04d}")
        elif lower == "yy":
            out.append(f"{stamp.year % 100:02d}")
        elif lower in ("mm", "m"):
            value = stamp.minute if minute else stamp.month
            out.append(f"{value:02d}" if lower == "mm" else str(value))
        elif lower == "dd":
            out.append(f"{stamp.day:02d}")
        elif lower == "d":
            out.append(str(stamp.day))
        elif lower == "hh":
            out.append(f"{hour:02d}")
        elif lower == "h":
            out.append(str(hour))
        elif lower == "ss":
            out.append(f"{stamp.second:02d}")
        elif lower == "s":
            out.append(str(stamp.second))
        elif lower == "am/pm":
            out.append("AM" if stamp.hour < 12 else "PM")
        elif re.fullmatch(r"[ :/\-,]+", token) or token in ("年", "月", "日"):
            out.append(token)
        else:
            raise Unsupported(f"date format {pattern!r}")
    return "".join(out)


def is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)
