"""Every finding code of SPEC §7 renders in English and Chinese from the one message catalog."""

from __future__ import annotations

import pytest

from sheetflow.core import findings, i18n, layout, schema
from sheetflow.core.findings import Findings, Msg, render
from sheetflow.core.workbook import Workbook, build_workbook

LOG_HEADER = ["case_id", "node", "assignee", "start", "end", "note"]

# Codes whose catalog message is the detail alone: the check words the whole detail in the
# book's language, so the detail here is built the way those checks build it.
WHOLE_DETAIL = {
    "duplicate": lambda lang: i18n.text(
        "core.duplicate",
        lang,
        label=i18n.text("core.duplicate_label.node", lang),
        value="Receive",
        row=2,
    ),
    "overlapping_rules": lambda lang: i18n.text(
        "rule.overlap", lang, a="R1", b="R2", example=i18n.text("rule.overlap_everywhere", lang)
    ),
    "name_taken": lambda lang: i18n.text("taken.column", lang, header="status"),
}


def small_book(lang: str) -> Workbook:
    """A Log sheet and the Settings row choosing the language: all a finding needs."""
    return build_workbook(
        {
            "Log": [LOG_HEADER, ["C1", "Receive", "Ann", None, None, None]],
            "Settings": [["key", "value"], ["language", lang]],
        }
    )


def rendered(code: str, lang: str, reason: str | None = None) -> str:
    book = small_book(lang)
    assert book.language == lang
    detail = WHOLE_DETAIL[code](lang) if code in WHOLE_DETAIL else "X1"
    collected = Findings(book)
    collected.add("Log", 2, "node", "Receive", code, detail, reason=reason)
    (finding,) = collected.items
    assert finding.code == code
    assert finding.severity == findings.SEVERITY[code]
    assert finding.cell == "Log!B2"
    return finding.message


# The same details as references: what the checks pass, worded in the reader's language.
NEUTRAL_DETAIL = {
    "duplicate": Msg(
        "core.duplicate", label=Msg("core.duplicate_label.node"), value="Receive", row=2
    ),
    "overlapping_rules": Msg(
        "rule.overlap", a="R1", b="R2", example=Msg("rule.overlap_everywhere")
    ),
    "name_taken": Msg("taken.column", header="status"),
}


def _assert_bilingual(en: str, zh: str) -> None:
    assert en.strip() and zh.strip()
    assert en != zh
    for message in (en, zh):
        assert "{" not in message and "}" not in message, message


@pytest.mark.parametrize("code", sorted(findings.SEVERITY))
def test_every_code_renders_in_both_languages(code):
    assert i18n.has(f"finding.{code}"), f"no catalog entry finding.{code}"
    _assert_bilingual(rendered(code, schema.EN), rendered(code, schema.ZH))


@pytest.mark.parametrize("code", sorted(findings.SEVERITY))
@pytest.mark.parametrize("book_lang", [schema.EN, schema.ZH])
def test_every_code_renders_in_the_reader_language_whatever_the_book(code, book_lang):
    """A finding of an English book reads in Chinese as that of a Chinese book does (and back)."""
    collected = Findings(small_book(book_lang))
    detail = NEUTRAL_DETAIL.get(code, "X1")
    collected.add(
        "Log", 2, "node", "Receive", code, detail, hint=Msg("hint.did_you_mean", name="A")
    )
    (finding,) = collected.items
    for lang in (schema.EN, schema.ZH):
        separator = i18n.text("core.separator", lang)
        hint = i18n.text("hint.did_you_mean", lang, name="A")
        assert render(finding, lang) == rendered(code, lang) + separator + hint
        assert finding.to_json(lang)["message"] == render(finding, lang)
    assert finding.message == render(finding, book_lang)
    assert finding.to_json()["message"] == finding.message


def test_the_detail_is_filled_in_where_the_message_has_a_place_for_it():
    for code in sorted(set(findings.SEVERITY) - set(WHOLE_DETAIL)):
        if "detail" in i18n.placeholders(f"finding.{code}")["en"]:
            assert "X1" in rendered(code, schema.EN)
            assert "X1" in rendered(code, schema.ZH)


REASONS = sorted(k.removeprefix("reason.") for k in i18n.catalog() if k.startswith("reason."))


@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_renders_in_both_languages_and_keeps_the_code(reason):
    en, zh = rendered("bad_date", schema.EN, reason), rendered("bad_date", schema.ZH, reason)
    _assert_bilingual(en, zh)
    assert en == i18n.text(f"reason.{reason}", schema.EN, detail="X1")
    assert "X1" in en and "X1" in zh


def test_catalog_has_no_finding_message_without_a_code():
    codes = {k.removeprefix("finding.") for k in i18n.catalog() if k.startswith("finding.")}
    assert codes == set(findings.SEVERITY)


def test_hints_follow_the_message_with_the_separator_of_the_language():
    for lang, separator in ((schema.EN, "; "), (schema.ZH, "；")):
        collected = Findings(small_book(lang))
        collected.add("Log", 2, "node", "Recieve", "unknown_node", "Receive", hint="H")
        assert collected.items[0].message.endswith(separator + "H")


def test_owned_sheet_titles_agree_with_the_names_read_back():
    """Titles written from the catalog are the ones `schema.OUTPUT_SHEETS` recognises."""
    for name, zh in schema.OUTPUT_SHEETS.items():
        assert layout.owned_title(name, schema.EN) == name
        assert layout.owned_title(name, schema.ZH) == zh
