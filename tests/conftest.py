"""Shared fixtures: small real workbook files written with openpyxl and read back by sheetflow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from tests.helpers import clean_sheets, write_book


@pytest.fixture
def sheets() -> dict[str, list[list[object]]]:
    return clean_sheets()


@pytest.fixture
def book_path(tmp_path: Path, sheets: dict[str, list[list[object]]]):
    """A function writing (possibly modified) sheets to a fresh .xlsx in tmp_path."""

    def make(data: dict[str, list[list[object]]] | None = None, name: str = "book.xlsx") -> Path:
        return write_book(tmp_path / name, data if data is not None else sheets)

    return make


# CI runs a fixed set of examples (reproducible verdicts); local runs keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
