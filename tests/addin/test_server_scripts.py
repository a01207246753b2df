"""The xlwings Server scripts, called the way xlwings Server calls them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import xlwings as xw
from xlwings.server import custom_scripts_call, custom_scripts_meta

from sheetflow import server_scripts
from tests.addin.officejs import book_json

ROOT = Path(__file__).resolve().parents[2]


def test_every_script_is_registered_with_a_button() -> None:
    meta = custom_scripts_meta(server_scripts)
    names = {entry["function_name"] for entry in meta}
    assert names == set(server_scripts.__all__)


def test_a_script_runs_the_addin_function_on_the_clients_book() -> None:
    book = xw.Book(json=book_json(ROOT / "workbooks" / "complaints_en.xlsx"))
    result = asyncio.run(
        custom_scripts_call(server_scripts, "sheetflow_validate", typehint_to_value={xw.Book: book})
    )
    actions = result.json()["actions"]
    alert = [a for a in actions if a["func"] == "alert"]
    assert len(alert) == 1 and alert[0]["args"][1] == "Sheetflow"
