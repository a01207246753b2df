"""Fixtures of the command-line tests that talk to the local Sheets API emulator."""

from __future__ import annotations

import pytest

from sheetflow.emulator import Emulator


@pytest.fixture(scope="module")
def emulator():  # noqa: ANN201
    with Emulator() as emu:
        yield emu


@pytest.fixture
def env(emulator, monkeypatch, tmp_path):  # noqa: ANN001, ANN201
    """The emulator as sheetflow's Google, with a token, a state folder and short retries."""
    emulator.clear_faults()
    monkeypatch.setenv("SHEETFLOW_SHEETS_API_URL", emulator.url)
    monkeypatch.setenv("SHEETFLOW_GOOGLE_TOKEN", "test-token")
    monkeypatch.setenv("SHEETFLOW_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SHEETFLOW_SHEETS_RETRY_SECONDS", "1")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    return emulator
