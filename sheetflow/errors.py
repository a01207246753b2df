"""Errors that stop a command. Each carries the exit code of SPEC §8; the CLI prints one line."""

from __future__ import annotations


class SheetflowError(Exception):
    """Base: the command could not run (exit 2)."""

    exit_code = 2


class WorkbookError(SheetflowError):
    """The file is missing, not a workbook, encrypted, damaged, or lacks what we need."""


class LockedError(SheetflowError):
    """Excel (or another program) has the workbook open."""


class UnsafeWriteError(SheetflowError):
    """Writing in place would drop parts of the workbook the writer cannot keep."""


class UsageError(SheetflowError):
    """A bad option or argument."""
