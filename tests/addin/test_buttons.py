"""Every ribbon button run against real xlwings Books of the remote engine.

The book JSON is made from the template workbooks (en and zh) the way xlwings Server's
Office.js client sends it; after a button ran, `replay` applies its actions to that JSON as
the client would, and the cells are compared with what `sheetflow refresh` wrote to a file
(read back with calamine).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw

from sheetflow import addin, cli, pipeline
from sheetflow.core import layout
from sheetflow.core import plan as P
from sheetflow.io.vba.xlam import macros_dir
from sheetflow.io.xlsx import read_workbook
from tests.addin.officejs import book_json, file_cells, replay, shown
from tests.addin.test_excel_door import _generate

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-10-09T16:00"
TEMPLATES = [
    pytest.param("complaints_en.xlsx", id="en"),
    pytest.param("complaints_zh.xlsx", id="zh"),
]
OWNED = ("Summary", "Overdue", "Routing", "NodeStats", "Validation")


def _broken(tmp_path: Path, name: str) -> Path:
    """The template with two error cells in Log: a bad start time and an unknown node."""
    wb = openpyxl.load_workbook(ROOT / "workbooks" / name)
    log = wb[read_workbook(ROOT / "workbooks" / name).title("Log")]
    log["D3"] = "not a time"
    log["B5"] = "No such node"
    path = tmp_path / name
    wb.save(path)
    return path


def _refreshed(path: Path, tmp_path: Path) -> dict[str, dict]:
    """`sheetflow refresh` of `path` at AS_OF through the file door, read back with calamine."""
    out = tmp_path / f"refreshed_{path.name}"
    assert cli.main(["refresh", str(path), "--as-of", AS_OF, "--out", str(out)]) == 0
    return file_cells(out)


def _book(payload: dict) -> xw.Book:
    """A remote Book of a copy of `payload` (the engine edits its JSON as it works)."""
    return xw.Book(json=copy.deepcopy(payload))


def _after(book: xw.Book, payload: dict) -> dict[str, dict]:
    """The book's cells once the client applied the button's actions, as the user sees them."""
    sheets = replay(payload, book.json()["actions"])
    return {title: {k: shown(v) for k, v in cells.items()} for title, cells in sheets.items()}


def _before(payload: dict) -> dict[str, dict]:
    return {t: {k: shown(v) for k, v in c.items()} for t, c in replay(payload, []).items()}


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
    letters, digits = re.match(r"\$?([A-Z]+)\$?(\d+)", cell).groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(digits), col


def _error_cells(report, titles: list[str]) -> dict[tuple[int, int, int], list[str]]:  # noqa: ANN001
    """(sheet position, row, col) -> messages of every error finding with a cell."""
    out: dict[tuple[int, int, int], list[str]] = {}
    for f in report.findings:
        if f.severity == "error" and f.cell and f.row:
            title, _, address = f.cell.rpartition("!")
            out.setdefault((titles.index(title.strip("'")), *_address(address)), []).append(
                f.message
            )
    return out


# -- validate and clear marks -----------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATES)
def test_validate_marks_every_error_cell_and_clears_the_last_runs_marks(
    name: str, tmp_path: Path
) -> None:
    path = _broken(tmp_path, name)
    workbook = read_workbook(path)
    report = pipeline.compute(workbook, pipeline.parse_as_of(AS_OF))
    titles = workbook.titles
    expected = _error_cells(report, titles)
    assert len(expected) >= 2
    log_title = workbook.title("Log")
    previous = [["sheet", "cell"], [log_title, "$F$7"]]  # what an earlier run left
    payload = book_json(path, extra={addin.MARKS_SHEET: previous}, notes={log_title: ["$F$7"]})
    book = _book(payload)
    outcome = addin.validate(book, as_of=AS_OF)
    assert outcome.ok, outcome.message
    assert outcome.counts["marked"] == len(expected) and outcome.counts["cleared"] == 1
    colours = _actions(book, "setRangeColors")
    assert _cells(colours, None) == {(titles.index(log_title), 7, 6)}  # the old mark's fill
    assert [a["args"] for a in _actions(book, "deleteNote")] == [["$F$7"]]  # and its note
    assert _cells(colours, addin.MARK_FILL) == set(expected)
    notes = {
        (a["sheet_position"], a["start_row"] + 1, a["start_column"] + 1): a["args"][1]
        for a in _actions(book, "addNote")
    }
    assert set(notes) == set(expected)
    for cell, text in notes.items():
        assert text.startswith("Sheetflow: ") and all(m in text for m in expected[cell])
    # no value of the user's sheets changed; the marks are recorded for the next run
    after, before = _after(book, payload), _before(payload)
    assert {t: after[t] for t in titles} == {t: before[t] for t in titles}
    record = after[addin.MARKS_SHEET]
    assert len(record) == 2 * (1 + len(expected)) and record[(1, 1)] == "sheet"
    assert {(record[(r, 1)], record[(r, 2)]) for r in range(2, 2 + len(expected))} == {
        (titles[s], f"{P.column_letter(c)}{r}") for s, r, c in expected
    }
    (alert,) = _actions(book, "alert")
    word = "errors" if name.endswith("en.xlsx") else "个错误"
    assert f"{report.errors} {word}" in alert["args"][0] and alert["args"][1] == "Sheetflow"


@pytest.mark.parametrize("name", TEMPLATES)
def test_validate_then_clear_marks_removes_what_validate_marked(name: str, tmp_path: Path) -> None:
    path = _broken(tmp_path, name)
    first = xw.Book(json=book_json(path))
    assert addin.validate(first, as_of=AS_OF).ok
    marked = _cells(_actions(first, "setRangeColors"), addin.MARK_FILL)
    # the next run sees the record validate left (the hidden sheet's values) and the notes
    record = _after(first, book_json(path))[addin.MARKS_SHEET]
    rows = [[record.get((r, 1)), record.get((r, 2))] for r in range(1, 1 + len(record) // 2)]
    titles = read_workbook(path).titles
    notes: dict[str, list[str]] = {}
    for sheet, row, col in marked:
        notes.setdefault(titles[sheet], []).append(f"${P.column_letter(col)}${row}")
    book = xw.Book(json=book_json(path, extra={addin.MARKS_SHEET: rows}, notes=notes))
    outcome = addin.clear_marks(book)
    assert outcome.ok and outcome.counts == {"cleared": len(marked)}
    assert _cells(_actions(book, "setRangeColors"), None) == marked
    assert _cells(_actions(book, "setRangeColors"), addin.MARK_FILL) == set()
    deleted = {(a["sheet_position"], *_address(a["args"][0])) for a in _actions(book, "deleteNote")}
    assert deleted == marked
    (alert,) = _actions(book, "alert")
    assert str(len(marked)) in alert["args"][0]


def test_clear_marks_paints_one_run_per_column() -> None:
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


# -- the computing buttons ----------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATES)
def test_refresh_writes_what_the_file_door_writes(name: str, tmp_path: Path) -> None:
    path = ROOT / "workbooks" / name
    expected = _refreshed(path, tmp_path)
    payload = book_json(path)
    book = _book(payload)
    outcome = addin.refresh(book, as_of=AS_OF)
    assert outcome.ok, outcome.message
    after = _after(book, payload)
    # the same sheets in the same order, every cell the same: user data, computed columns of
    # Log and Cases, and each owned sheet (links compare by their text)
    assert list(after) == list(expected)
    for title in expected:
        assert after[title] == expected[title], title
    workbook = read_workbook(path)
    plan = layout.build_plan(pipeline.compute(workbook, pipeline.parse_as_of(AS_OF)))
    added = [a["args"][1] for a in _actions(book, "addSheet")]
    assert added == [plan.sheet(n).title for n in OWNED]
    # the formats that go with the values
    log = plan.patch("Log")
    log_position = workbook.titles.index(log.title)
    formats = {
        (a["start_column"] + 1, a["args"][0])
        for a in _actions(book, "setNumberFormat")
        if a["sheet_position"] == log_position
    }
    for column, position in zip(log.columns, log.positions):
        if column.kind != P.TEXT:
            assert (position, P.NUMBER_FORMATS[column.kind]) in formats, column.key
    rules = [
        a["args"][0]
        for a in _actions(book, "addConditionalFormat")
        if a["sheet_position"] == log_position
    ]
    assert sorted(r["formula"] for r in rules) == sorted(
        f'={fill.ref.split(":")[0]}="{fill.text}"' for fill in log.fills
    )
    assert {r["fill_color"] for r in rules} == {"#" + f.fill.lower() for f in log.fills}
    cleared = [a for a in _actions(book, "clearConditionalFormats")]
    assert [(a["sheet_position"], a["row_count"]) for a in cleared] == [
        (log_position, 1_048_576 - log.header_row)
    ]
    charts = [a["args"][1] for a in _actions(book, "setChartTitle")]
    assert charts == [c.title for c in plan.sheet("Summary").charts]
    (alert,) = _actions(book, "alert")
    assert plan.sheet("Summary").title in alert["args"][0]


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize(
    ("button", "patched", "owned"),
    [
        pytest.param("route", {"Cases"}, {"Routing"}, id="route"),
        pytest.param("overdue", set(), {"Overdue"}, id="overdue"),
    ],
)
def test_route_and_overdue_write_their_part_of_refresh(
    name: str, button: str, patched: set[str], owned: set[str], tmp_path: Path
) -> None:
    path = ROOT / "workbooks" / name
    expected = _refreshed(path, tmp_path)
    payload = book_json(path)
    book = _book(payload)
    outcome = getattr(addin, button)(book, as_of=AS_OF)
    assert outcome.ok, outcome.message
    workbook = read_workbook(path)
    after, before = _after(book, payload), _before(payload)
    titles = [workbook.title(n) for n in patched] + [
        layout.owned_title(n, workbook.language) for n in owned
    ]
    assert list(after) == workbook.titles + titles[len(patched) :]
    for title in titles:
        assert after[title] == expected[title], title
    for title in workbook.titles:
        if title not in titles:
            assert after[title] == before[title], title  # Log is refresh's, not route's
    (alert,) = _actions(book, "alert")
    assert titles[-1] in alert["args"][0]


# -- cost does not grow with the Log ------------------------------------------------------------


def _same_book_but_the_log(tmp_path: Path, log_rows: int) -> Path:
    """The benchmark's workbook with its Log cut to `log_rows` rows.

    Cases, People and Rules are the same in every size; the Rules name each approver, because
    the role lookup picks the person with the fewest open cases, which depends on the Log, and
    the Routing sheet has one group line per approver. Every case stays open (its last Log row
    has no end), so the same cases are routed whatever the Log's length.
    """
    sheets = _generate().sheets(12_000)  # "about" that many rows: cut to an exact count
    log = sheets["Log"][: log_rows + 1]
    last = {row[0]: i for i, row in enumerate(log) if i}
    sheets["Log"] = [
        row[:4] + [None] + row[5:] if last.get(row[0]) == i else row for i, row in enumerate(log)
    ]
    sheets["Rules"] = [
        ["rule", "amount", "priority", "approver_role", "approver"],
        ["R1", ">= 50000", "-", "Director", "P004"],
        ["R2", "[5000..50000)", "-", "Manager", "P003"],
        ["R3", "< 5000", "-", "Agent", "P000"],
    ]
    path = tmp_path / f"log_{log_rows}.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_refresh_sends_as_many_actions_for_1_000_log_rows_as_for_10_000(tmp_path: Path) -> None:
    """Both sizes fill the dashboard's overdue and at-risk lists past their 15 rows (each then
    gets its "... and N more" line), so what differs is only the Log's length."""
    counts, funcs = {}, {}
    for size in (1_000, 10_000):
        path = _same_book_but_the_log(tmp_path, size)
        report = pipeline.compute(read_workbook(path), pipeline.parse_as_of("2024-12-31T16:00"))
        assert len(report.log) == size and report.errors == 0
        book = xw.Book(json=book_json(path))
        outcome = addin.refresh(book, as_of="2024-12-31T16:00")
        assert outcome.ok, outcome.message
        actions = book.json()["actions"]
        counts[size] = len(actions)
        funcs[size] = sorted(a["func"] for a in actions)
        assert outcome.counts["actions"] == counts[size] - 1  # all but the message box
        written = [a for a in actions if a["func"] == "setValues"]
        log_write = max(written, key=lambda a: a["row_count"])
        assert log_write["row_count"] >= size  # the whole Log went in one write
    assert counts[1_000] == counts[10_000]
    assert funcs[1_000] == funcs[10_000]


def _payload_of(cells: dict[str, dict], name: str) -> dict:
    """The JSON the client would send of a book holding `cells` (values as Excel shows them)."""
    extra = {}
    for title, sheet in cells.items():
        rows = [[None] * max(c for _, c in sheet) for _ in range(max(r for r, _ in sheet))]
        for (r, c), value in sheet.items():
            rows[r - 1][c - 1] = value
        extra[title] = rows
    payload = book_json(ROOT / "workbooks" / name, extra=extra)
    payload["sheets"] = payload["sheets"][len(payload["sheets"]) - len(extra) :]
    return payload


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_second_refresh_replaces_the_owned_sheets_and_gives_the_same_cells(
    name: str, tmp_path: Path
) -> None:
    path = ROOT / "workbooks" / name
    expected = _refreshed(path, tmp_path)
    first_payload = book_json(path)
    first = _book(first_payload)
    assert addin.refresh(first, as_of=AS_OF).ok
    payload = _payload_of(_after(first, first_payload), name)
    second = _book(payload)
    outcome = addin.refresh(second, as_of=AS_OF)
    assert outcome.ok, outcome.message
    assert _actions(second, "addSheet") == []  # the owned sheets are cleared and rewritten
    assert len(_actions(second, "sheetClear")) == len(OWNED)
    after = _after(second, payload)
    assert list(after) == list(expected)
    for title in expected:
        assert after[title] == expected[title], title
