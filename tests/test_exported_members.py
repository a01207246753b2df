"""The public API is what `sheetflow.__all__` says, and nothing is exported by accident."""

from __future__ import annotations

import types

import sheetflow

# Changing the public API means changing this line on purpose.
PUBLIC_API = """Door Finding LockedError Report SheetflowError UnsafeWriteError UsageError Workbook
WorkbookError compute explain open_book run""".split()


def test_all_is_the_pinned_public_api() -> None:
    assert sheetflow.__all__ == PUBLIC_API


def test_all_imports_are_exported() -> None:
    # like httpx tests/test_exported_members.py: every public name the package binds is in
    # __all__ (submodules such as sheetflow.core are reached by their own import)
    members = [
        name
        for name, value in vars(sheetflow).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    ]
    assert sorted(members, key=str.casefold) == sorted(sheetflow.__all__, key=str.casefold)


def test_every_exported_name_resolves() -> None:
    for name in sheetflow.__all__:
        assert getattr(sheetflow, name) is not None, name
    assert issubclass(sheetflow.WorkbookError, sheetflow.SheetflowError)
