"""Every ribbon button run against real xlwings Books of the remote engine."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw

from sheetflow import addin, pipeline
from sheetflow.io.vba.xlam import macros_dir
from sheetflow.io.xlsx import read_workbook
from tests.addin.officejs import book_json

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-10-09T16:00"


def _broken(tmp_path: Path, name: str = "complaints_en.xlsx") -> Path:
    """The template with two error cells in Log: a bad start time and an unknown node."""
    wb = openpyxl.load_workbook(ROOT / "workbooks" / name)
    log = wb.worksheets[
        [ws.title for ws in wb.worksheets].index("Log" if "en" in name else "执行记录")
    ]
    log["D3"] = "not a time"
    log["B5"] = "No such node"
    path = tmp_path / name
    wb.save(path)
    return path


def _actions(book: xw.Book, func: str) -> list[dict]:
    return [a for a in book.json()["actions"] if a["func"] == func]


def _cells(actions: list[dict], colour: str | None) -> set[tuple[int, int, int]]:
    """(sheet, row, col) of every cell a setRangeColors action gives `colour`."""
    out = set()
    for action in actions:
        for i, row in enumerate(action["args"][0]):
            for j, value in enumerate(row):
                if value == colour:
                    out.add(
                        (
                            action["sheet_position"],
                            action["start_row"] + i + 1,
                            action["start_column"] + j + 1,
                        )
                    )
    return out


def _address(cell: str) -> tuple[int, int]:
    letters, digits = re.match(r"([A-Z]+)(\d+)", cell).groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(digits), col


def test_validate_marks_every_error_cell_and_clears_the_last_runs_marks(tmp_path: Path) -> None:
    path = _broken(tmp_path)
    report = pipeline.compute(read_workbook(path), pipeline.parse_as_of(AS_OF))
    titles = read_workbook(path).titles
    expected = {
        (titles.index(f.cell.rpartition("!")[0]), *_address(f.cell.rpartition("!")[2]))
        for f in report.findings
        if f.severity == "error" and f.cell and f.row
    }
    assert len(expected) >= 2
    previous = [["sheet", "cell"], ["Log", "$F$7"]]  # what an earlier run left
    book = xw.Book(
        json=book_json(path, extra={addin.MARKS_SHEET: previous}, notes={"Log": ["$F$7"]})
    )
    outcome = addin.validate(book, as_of=AS_OF)
    assert outcome.ok and outcome.counts["marked"] == len(expected)
    colours = _actions(book, "setRangeColors")
    log = titles.index("Log")
    assert _cells(colours, None) == {(log, 7, 6)}  # the old mark lost its fill
    assert [a["args"] for a in _actions(book, "deleteNote")] == [["$F$7"]]
    assert _cells(colours, addin.MARK_FILL) == expected
    notes = _actions(book, "addNote")
    assert {
        (a["sheet_position"], a["start_row"] + 1, a["start_column"] + 1) for a in notes
    } == expected
    assert all(a["args"][1].startswith("Sheetflow: ") for a in notes)
    # the new marks are recorded for the next run, the old list is replaced
    record = _actions(book, "setValues")[-1]["values"]
    assert record[0] == ["sheet", "cell"] and len(record) == 1 + len(expected)
    (alert,) = _actions(book, "alert")
    assert f"{report.errors} errors" in alert["args"][0] and alert["args"][1] == "Sheetflow"


def test_a_chinese_workbook_gets_its_message_box_in_chinese(tmp_path: Path) -> None:
    path = _broken(tmp_path, "complaints_zh.xlsx")
    book = xw.Book(json=book_json(path))
    outcome = addin.validate(book, as_of=AS_OF)
    assert outcome.ok
    (alert,) = _actions(book, "alert")
    assert "个错误" in alert["args"][0]
    assert addin.MARKS_SHEET in [a["args"][1] for a in _actions(book, "addSheet")]


def test_clear_marks_removes_fills_notes_and_the_record(tmp_path: Path) -> None:
    path = ROOT / "workbooks" / "complaints_en.xlsx"
    previous = [["sheet", "cell"], ["Log", "$D$3"], ["Log", "$D$4"], ["Cases", "$B$2"]]
    book = xw.Book(
        json=book_json(path, extra={addin.MARKS_SHEET: previous}, notes={"Log": ["$D$3"]})
    )
    outcome = addin.clear_marks(book)
    assert outcome.ok and outcome.counts == {"cleared": 3}
    colours = _actions(book, "setRangeColors")
    assert len(colours) == 2  # Log column D in one run, Cases column B
    assert len(_cells(colours, None)) == 3
    assert [a["args"] for a in _actions(book, "deleteNote")] == [["$D$3"]]


def test_an_error_is_one_line_in_a_message_box_not_a_traceback() -> None:
    book = xw.Book(json=book_json(ROOT / "workbooks" / "complaints_en.xlsx"))
    outcome = addin.validate(book, as_of="next tuesday")
    assert not outcome.ok
    (alert,) = _actions(book, "alert")
    message = alert["args"][0]
    assert message.startswith("Sheetflow could not finish: --as-of: cannot read")
    assert "\n" not in message and "Traceback" not in message


def test_every_runpython_target_imports_and_every_button_has_a_function() -> None:
    from xml.etree import ElementTree

    from sheetflow.io.vba.xlam import CUSTOMUI_NS

    folder = macros_dir()
    commands = []
    for path in folder.glob("*.bas"):
        if path.name == "xlwings.bas":
            continue
        commands += re.findall(r'RunPython\s+"([^"]*)"', path.read_text())
    assert commands
    for command in commands:
        imports = [part.strip() for part in command.split(";") if part.strip().startswith("import")]
        namespace: dict = {}
        for statement in imports:
            exec(statement, namespace)  # the import half of the RunPython command
        call = command.split(";")[-1].strip()
        target = call.split("(")[0]
        obj = namespace[target.split(".")[0]]
        for attr in target.split(".")[1:]:
            obj = getattr(obj, attr)
        assert callable(obj)
    root = ElementTree.parse(folder / "customUI.xml").getroot()
    ids = {b.get("id") for b in root.iter(f"{{{CUSTOMUI_NS}}}button")}
    assert ids == set(addin.BUTTONS)


@pytest.mark.parametrize("button", ["refresh", "route", "overdue"])
def test_computing_buttons_write_what_the_file_door_writes(button: str, tmp_path: Path) -> None:
    layout = pytest.importorskip("sheetflow.core.layout", reason="layout.py is not merged yet")
    path = ROOT / "workbooks" / "complaints_en.xlsx"
    report = pipeline.compute(read_workbook(path), pipeline.parse_as_of(AS_OF))
    plan = layout.build_plan(report)
    book = xw.Book(json=book_json(path))
    outcome = getattr(addin, button)(book, as_of=AS_OF)
    assert outcome.ok, outcome.message
    headers = {v for a in _actions(book, "setValues") for v in a["values"][0]}
    wanted = {"refresh": None, "route": {"Cases"}, "overdue": set()}[button]
    for patch in plan.patches:
        if wanted is None or patch.sheet in wanted:
            assert {c.header for c in patch.columns} <= headers
