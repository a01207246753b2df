"""xlwings and the Google Sheets stack are optional extras: without them the base install still
runs, and the commands that need them say how to install them, in one line (exit 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import assert_one_line_error


def run_without(module: str, *args: str, cwd=None) -> subprocess.CompletedProcess:  # noqa: ANN001
    """`sheetflow ARGS` in a real process where `import MODULE` fails (as if not installed)."""
    code = (
        "import sys\n"
        f"sys.modules[{module!r}] = None  # import of it now raises ImportError\n"
        "from sheetflow.cli import main\n"
        f"sys.exit(main({list(args)!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120
    )


@pytest.mark.parametrize("module", ["gspread", "google.auth", "requests"])
def test_gsheet_book_without_the_gsheets_extra(module: str) -> None:
    result = run_without(module, "validate", "gsheet:SOMEKEY")
    assert_one_line_error(result, 2, "pip install 'sheetflow[gsheets]'")


def test_addin_build_without_the_excel_extra(tmp_path) -> None:  # noqa: ANN001
    result = run_without("xlwings", "addin", "build", "--out", str(tmp_path / "a.xlam"))
    assert_one_line_error(result, 2, "pip install 'sheetflow[excel]'")


def test_the_file_door_needs_no_extra(tmp_path) -> None:  # noqa: ANN001
    from tests.helpers import clean_sheets, write_book

    book = write_book(tmp_path / "book.xlsx", clean_sheets())
    code = (
        "import sys\n"
        "for m in ('xlwings', 'gspread', 'google.auth', 'requests'):\n"
        "    sys.modules[m] = None\n"
        "from sheetflow.cli import main\n"
        f"sys.exit(main(['validate', {str(book)!r}, '--as-of', '2024-10-09T16:00']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
