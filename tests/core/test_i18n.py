"""The message catalog: every key has English and Chinese, with the same placeholders."""

from __future__ import annotations

import pytest

from sheetflow.core import i18n


def test_catalog_loads_and_is_not_empty():
    assert len(i18n.catalog()) > 0


@pytest.mark.parametrize("key", sorted(i18n.catalog()))
def test_every_key_has_both_languages_with_the_same_placeholders(key):
    texts = i18n.catalog()[key]
    assert texts["en"].strip(), f"{key}: no English"
    assert texts["zh"].strip(), f"{key}: no Chinese"
    fields = i18n.placeholders(key)
    assert fields["en"] == fields["zh"], f"{key}: placeholders differ {fields}"


def test_text_renders_in_the_language_asked_and_fills_placeholders():
    key = next(k for k in sorted(i18n.catalog()) if i18n.placeholders(k)["en"])
    params = {name: "X" for name in i18n.placeholders(key)["en"]}
    assert "X" in i18n.text(key, "en", **params)
    assert i18n.text(key, "zh", **params) != i18n.text(key, "en", **params)


def test_unknown_key_is_a_key_error():
    with pytest.raises(KeyError):
        i18n.text("no.such.key", "en")


def test_the_first_headers_that_tell_an_owned_sheet_are_the_ones_sheetflow_writes() -> None:
    from sheetflow.core.workbook import OWNED_FIRST_HEADERS

    for name, key in (
        ("Validation", "label.sheet"),
        ("Overdue", "label.case_id"),
        ("Routing", "label.case_id"),
        ("NodeStats", "label.node"),
    ):
        for lang in i18n.LANGUAGES:
            assert i18n.text(key, lang) in OWNED_FIRST_HEADERS[name]
