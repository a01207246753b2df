"""The core is pure: importing every core module pulls in no I/O library (STYLE.md)."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("openpyxl", "python_calamine", "xlwings", "gspread", "smtplib", "schedule")


def test_core_imports_no_io_library():
    code = (
        "import pkgutil, importlib, sys, sheetflow.core as core\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('sheetflow.core.' + m.name)\n"
        f"print(sorted(n for n in {FORBIDDEN!r} if n in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
