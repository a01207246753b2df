"""What the terminal shows: text measured by display width, tables, wrapping, a progress line.

Chinese characters take two terminal columns; padding by `len` pushes every column after them
out of line, so widths here come from `wcwidth`. Progress goes to stderr only, and only when
stderr is a terminal and a run has taken longer than `delay` seconds.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
import unicodedata
from collections.abc import Sequence
from typing import TextIO

from wcwidth import wcswidth, wcwidth

from sheetflow.core import i18n

ELLIPSIS = "…"


def display_width(text: str) -> int:
    """Terminal columns `text` takes (wide East Asian characters count 2, controls 0)."""
    width = wcswidth(text)
    if width >= 0:
        return width
    return sum(max(wcwidth(ch), 0) for ch in text)


def pad(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` display columns."""
    return text + " " * max(width - display_width(text), 0)


def truncate(text: str, width: int) -> str:
    """`text` cut to at most `width` display columns, with an ellipsis where it was cut."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = max(wcwidth(ch), 0)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + ELLIPSIS


def _tokens(text: str) -> list[str]:
    """Words and spaces; each wide character is a token of its own (CJK breaks anywhere)."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch == " ":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        elif wcwidth(ch) == 2 or unicodedata.category(ch).startswith("P") and ord(ch) > 0x2FFF:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` display columns (a longer word is cut), breaking at spaces and
    between Chinese characters; a closing punctuation mark never starts a line (the character
    before it moves down with it)."""
    width = max(width, 8)
    lines: list[str] = []
    line: list[str] = []
    used = 0
    for token in _tokens(text):
        if token == " " and not line:
            continue
        w = display_width(token)
        if used + w <= width:
            line.append(token)
            used += w
            continue
        carried: list[str] = []
        if _closing(token) and len(line) > 1 and line[-1] != " ":
            carried = [line.pop()]
        lines.append("".join(line).rstrip())
        while display_width(token) > width:
            head = truncate(token, width + 1)[:-1]
            lines.append(head)
            token = token[len(head) :]
        line = [] if token == " " else [*carried, token]
        used = display_width("".join(line))
    if "".join(line).strip() or not lines:
        lines.append("".join(line).rstrip())
    return lines


def _closing(token: str) -> bool:
    return token in "，。、；：！？）」』》,.;:!?)"


def terminal_width(stream: TextIO | None = None, default: int = 100) -> int:
    """Columns of the terminal `stream` writes to; `default` when it is a file or a pipe."""
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return shutil.get_terminal_size((default, 24)).columns
    except (AttributeError, ValueError, OSError):
        pass
    return default


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    wrap_last: bool = False,
    indent: str = "",
) -> list[str]:
    """Rows under headers in columns aligned by display width (two spaces between columns).

    wrap_last: the last column wraps within `width` (continuation lines start under it).
    """
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    n = len(headers)
    widths = [max(display_width(r[i]) for r in cells) for i in range(n)]
    out = []
    start = len(indent) + sum(widths[:-1]) + 2 * (n - 1)
    room = (width or terminal_width()) - start
    for row in cells:
        head = indent + "  ".join(pad(row[i], widths[i]) for i in range(n - 1))
        head = head + "  " if n > 1 else head
        last = row[-1]
        if not wrap_last or display_width(last) <= room:
            out.append((head + last).rstrip())
            continue
        if room < 24:  # too narrow beside the columns: the text goes below, indented
            out.append(head.rstrip())
            out.extend(indent + "    " + piece for piece in wrap(last, (width or 100) - 4))
            continue
        pieces = wrap(last, room)
        out.append(head + pieces[0])
        out.extend(" " * start + piece for piece in pieces[1:])
    return out


class Progress:
    """A one-line progress display on stderr: the phase, the time spent and, where a total is
    known, a bar. Drawn from a background thread once `delay` seconds have passed, so quick
    runs print nothing; erased before anything else is written to the terminal."""

    def __init__(
        self, stream: TextIO | None = None, enabled: bool = True, delay: float = 1.0
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and _is_terminal(self.stream)
        self.delay = delay
        self.started = time.monotonic()
        self.phase = ""
        self.lang = i18n.EN  # until the workbook's language is known
        self.done = 0
        self.total = 0
        self._shown = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self.clear()

    def step(self, key: str, **params: object) -> None:
        """Enter a phase: a catalog key (`progress.reading`) shown in `self.lang`."""
        phase = i18n.text(key, self.lang, **params)
        with self._lock:
            self.phase, self.done, self.total = phase, 0, 0
            if self._thread is not None and time.monotonic() - self.started >= self.delay:
                self._draw()  # a new phase shows at once, not at the next tick

    def advance(self, done: int, total: int) -> None:
        """Progress within the phase: `done` of `total` units (draws a bar)."""
        with self._lock:
            self.done, self.total = done, total

    def clear(self) -> None:
        """Erase the line (before the command's own output reaches the terminal)."""
        with self._lock:
            if self._shown:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
                self._shown = False

    def pause(self) -> None:
        """Erase the line and draw no more: the command has started printing its result."""
        self._stop.set()
        self.clear()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        text = f"sheetflow: {self.phase} … {elapsed:.0f}s"
        if self.total > 0:
            share = min(max(self.done / self.total, 0.0), 1.0)
            filled = int(round(share * 24))
            text += f"  [{'#' * filled}{'.' * (24 - filled)}] {share * 100:3.0f}%"
        return text

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        while not self._stop.is_set():
            with self._lock:
                self._draw()
            self._stop.wait(0.2)

    def _draw(self) -> None:
        """Redraw the line; the caller holds the lock."""
        if self._stop.is_set() or not self.phase:
            return
        width = terminal_width(self.stream, 80) - 1
        try:
            self.stream.write("\r\x1b[2K" + truncate(self.line(), width))
            self.stream.flush()
        except (OSError, UnicodeError, ValueError):  # a closed or non-UTF-8 terminal: give up
            self._stop.set()
            return
        self._shown = True


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


class _Silent(Progress):
    def __init__(self) -> None:
        super().__init__(enabled=False)


_current: list[Progress] = [_Silent()]


def progress() -> Progress:
    """The progress display of the running command (a silent one outside the CLI)."""
    return _current[-1]


def step(key: str, **params: object) -> None:
    """Shortcut: enter a phase of the running command (pipeline and doors call this)."""
    _current[-1].step(key, **params)


def set_language(lang: str) -> None:
    """Show the following phases in the workbook's language, once it is known."""
    _current[-1].lang = lang


def advance(done: int, total: int) -> None:
    """Shortcut: `done` of `total` within the current phase (the writer's chunks, say)."""
    _current[-1].advance(done, total)


class showing:  # noqa: N801 - used as `with terminal.showing(Progress(...)):`
    """Make `display` the running command's progress for the duration of a `with` block."""

    def __init__(self, display: Progress) -> None:
        self.display = display

    def __enter__(self) -> Progress:
        _current.append(self.display)
        return self.display.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.display.__exit__(*exc)
        _current.remove(self.display)
