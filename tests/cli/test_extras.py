"""xlwings and the Google Sheets stack are optional extras: without them the base install still
runs, and the commands that need them say how to install them, in one line (exit 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import assert_one_line_error, clean_sheets, write_book

EXTRAS = ("xlwings", "gspread", "google.auth", "requests")


def run_without(modules: tuple[str, ...], *args: str) -> subprocess.CompletedProcess:
    """`sheetflow ARGS` in a real process where importing MODULES fails (as if not installed)."""
    code = (
        "import sys\n"
        f"sys.modules.update(dict.fromkeys({modules!r}))  # None: their import raises\n"
        "from sheetflow.cli import main\n"
        f"sys.exit(main({list(args)!r}))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module", ["gspread", "google.auth", "requests"])
def test_gsheet_book_without_the_gsheets_extra(module: str) -> None:
    result = run_without((module,), "validate", "gsheet:SOMEKEY")
    assert_one_line_error(result, 2, "pip install 'sheetflow[gsheets]'")


def test_addin_build_without_the_excel_extra(tmp_path) -> None:  # noqa: ANN001
    result = run_without(("xlwings",), "addin", "build", "--out", str(tmp_path / "a.xlam"))
    assert_one_line_error(result, 2, "pip install 'sheetflow[excel]'")


def test_the_file_door_needs_no_extra(tmp_path) -> None:  # noqa: ANN001
    book = write_book(tmp_path / "book.xlsx", clean_sheets())
    result = run_without(EXTRAS, "validate", str(book), "--as-of", "2024-10-09T16:00")
    assert result.returncode == 0, result.stderr
