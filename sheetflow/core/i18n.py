"""One message catalog: key -> (en, zh), kept as TOML data files under `core/messages/`.

Every word a person reads (finding messages, output labels, email subjects, ribbon texts) is a
key here, rendered at the edge in the reader's language: `text("status.overdue", "zh")`. Each
area keeps its own file (`findings.toml`, `labels.toml`, `notify.toml`...) so that a new door
adds a file instead of a fifth catalog. The files are package data, read once on first use.
"""

from __future__ import annotations

import functools
import sys
from importlib import resources
from string import Formatter

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

EN = "en"
ZH = "zh"
LANGUAGES = (EN, ZH)


class CatalogError(Exception):
    """A catalog file is malformed: a programming error, caught by the catalog test."""


@functools.cache
def catalog() -> dict[str, dict[str, str]]:
    """Every key of every `messages/*.toml` file -> {"en": ..., "zh": ...}."""
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files("sheetflow.core") / "messages"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        for key, texts in _flatten(data):
            if key in merged:
                raise CatalogError(f"{entry.name}: key {key!r} is defined twice")
            merged[key] = texts
    return merged


def _flatten(data: dict, prefix: str = ""):  # noqa: ANN202 - generator of (key, texts)
    """TOML tables nest (`[status.overdue]`); a table holding `en` is one message."""
    for name, value in data.items():
        if not isinstance(value, dict):
            raise CatalogError(f"{prefix}{name}: expected a table with en and zh")
        if "en" in value or "zh" in value:
            yield prefix + name, {lang: str(value.get(lang, "")) for lang in LANGUAGES}
        else:
            yield from _flatten(value, f"{prefix}{name}.")


def has(key: str) -> bool:
    return key in catalog()


def text(key: str, lang: str, /, **params: object) -> str:
    """The message `key` in `lang` (zh or en; anything else is en), with `{name}` filled in.

    A missing key raises KeyError: a programming error the catalog test is there to catch.
    """
    texts = catalog()[key]
    template = texts[ZH] if lang == ZH and texts[ZH] else texts[EN]
    return template.format(**params) if params else template


def pick(lang: str, /, *, en: str, zh: str) -> str:
    """Of two inline spellings (the contract's own bilingual names in `schema`), the one for
    `lang`: the same choice `text` makes for a catalog key (zh when asked and present, else en)."""
    return zh if lang == ZH and zh else en


def placeholders(key: str) -> dict[str, set[str]]:
    """The `{name}` fields each language of `key` uses (for the catalog test)."""
    return {
        lang: {field for _, field, _, _ in Formatter().parse(template) if field}
        for lang, template in catalog()[key].items()
    }


def labels(prefix: str, lang: str) -> dict[str, str]:
    """Every key under `prefix.` rendered in `lang`, keyed by the rest of the key."""
    start = prefix + "."
    return {k[len(start) :]: text(k, lang) for k in catalog() if k.startswith(start)}
