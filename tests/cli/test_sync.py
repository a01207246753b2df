"""`sheetflow sync SRC DST`: files and Google Sheets (real gspread over HTTP to the emulator).

After a sync, DST read through its door gives the same input tables as SRC (frame by frame),
its other sheets are as they were, and the state store catches edits made on both sides.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from sheetflow.config import load_config
from sheetflow.emulator.__main__ import load_workbook
from sheetflow.io.doors import open_book
from sheetflow.io.xlsx import read_rows
from tests.cli.test_gsheets_cli import _serials, gsheet_sheet, run, titles
from tests.helpers import add_users_status_column

ROOT = Path(__file__).resolve().parents[2]
WORKBOOKS = ROOT / "workbooks"
AS_OF = "2024-10-09T16:00"


def book_copy(tmp_path: Path, name: str = "complaints_en.xlsx", as_name: str = "") -> Path:
    target = tmp_path / (as_name or name)
    shutil.copy(WORKBOOKS / name, target)
    return target


def tables(spec: str) -> dict[str, dict[str, list[object]]]:
    book = open_book(spec, load_config(None)).read()
    return {name: {col: list(t.frame[col]) for col in t.frame.columns}
            for name, t in book.tables.items()}


def assert_same_inputs(a: str, b: str) -> None:
    left, right = tables(a), tables(b)
    assert list(left) == list(right)
    for sheet, columns in left.items():
        assert list(columns) == list(right[sheet]), sheet
        for column, values in columns.items():  # column by column, to name the one that differs
            assert values == right[sheet][column], (sheet, column)


def edited(rows: dict[str, list[list[object]]]) -> dict[str, list[list[object]]]:
    """complaints_en with one Log row added, one Cases title changed and one People row gone."""
    out = {title: [list(r) for r in sheet] for title, sheet in rows.items()}
    log = out["Log"]
    log.append(["CP-016", "Classify and grade", "Zhang Wei", dt.datetime(2024, 10, 9, 9, 0),
                "", "added in Google"])
    cases = out["Cases"]
    cases[1][cases[0].index("title")] = "Kettle leaks after two weeks"
    people = out["People"]
    del people[-1]
    return out


def test_file_to_new_google_sheet_and_back_again(env, capsys, tmp_path) -> None:
    src = book_copy(tmp_path)
    key = env.create_spreadsheet("team", {"Notes": [["kept as it is", 42]]})
    code, out, err = run(capsys, "sync", str(src), f"gsheet:{key}")
    assert code == 0, err
    assert "Log: new sheet, 78 rows" in out.splitlines()
    assert titles(env, key)[0] == "Notes" and env.values(key, "Notes") == [["kept as it is", 42]]
    assert_same_inputs(str(src), f"gsheet:{key}")
    # same results through either door
    file_json = run(capsys, "refresh", str(src), "--as-of", AS_OF, "--out",
                    str(tmp_path / "out.xlsx"), "--format", "json")[1]
    assert run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF, "--format", "json")[1] == (
        file_json)
    # nothing changed since: nothing written (two reads of the Google side, no write)
    env.reset_count()
    code, out, _ = run(capsys, "sync", str(src), f"gsheet:{key}")
    assert code == 0 and "Log: unchanged" in out and env.request_count == 2


def test_google_sheet_to_file_counts_rows_and_keeps_other_sheets(env, capsys, tmp_path) -> None:
    raw = edited(read_rows(WORKBOOKS / "complaints_en.xlsx"))
    key = env.create_spreadsheet("team", {t: _serials(r) for t, r in raw.items()})
    dst = book_copy(tmp_path)
    assert run(capsys, "refresh", str(dst), "--as-of", AS_OF)[0] == 0  # computed columns in DST
    guide = CalamineWorkbook.from_path(str(dst)).get_sheet_by_name("How to use").to_python()
    summary = CalamineWorkbook.from_path(str(dst)).get_sheet_by_name("Summary").to_python()
    code, out, err = run(capsys, "sync", f"gsheet:{key}", str(dst))
    assert code == 0, err
    lines = out.splitlines()
    assert "Log: 1 added, 0 changed, 0 removed" in lines
    assert "Cases: 0 added, 1 changed, 0 removed" in lines
    assert "People: 0 added, 0 changed, 1 removed" in lines
    assert "Process: unchanged" in lines
    assert_same_inputs(f"gsheet:{key}", str(dst))
    workbook = CalamineWorkbook.from_path(str(dst))
    assert workbook.get_sheet_by_name("How to use").to_python() == guide
    assert workbook.get_sheet_by_name("Summary").to_python() == summary  # owned sheets stay too
    log = workbook.get_sheet_by_name("Log").to_python()
    assert log[0][6] == "Duration (h)"  # the computed headers stay, their stale values go
    assert all(row[6] == "" for row in log[1:])
    # a refresh of DST then gives what a refresh of the Google sheet gives
    google = run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF, "--format", "json")
    assert run(capsys, "refresh", str(dst), "--as-of", AS_OF, "--format", "json")[1] == google[1]


def test_edits_on_both_sides_are_refused_unless_forced(env, capsys, tmp_path) -> None:
    src = book_copy(tmp_path)
    key = load_workbook(env, WORKBOOKS / "complaints_en.xlsx")
    assert run(capsys, "sync", str(src), f"gsheet:{key}")[0] == 0
    env.book(key).by_title("Log").put(3, 2, "Someone else")  # an edit in Google
    before = {t: gsheet_sheet(env, key, t) for t in titles(env, key)}
    code, out, err = run(capsys, "sync", str(src), f"gsheet:{key}")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [err.strip()] and "Log" in err and "--force" in err
    assert {t: gsheet_sheet(env, key, t) for t in titles(env, key)} == before
    # a refresh is not an edit: still only the Log conflicts
    assert run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF)[0] == 0
    assert "(Log)" in run(capsys, "sync", str(src), f"gsheet:{key}")[2]
    # the other way round is fine: the file was not edited since the last sync
    other = run(capsys, "sync", f"gsheet:{key}", str(src), "--dry-run")
    assert other[0] == 0 and "Log: 0 added, 1 changed, 0 removed" in other[1]
    code, out, err = run(capsys, "sync", str(src), f"gsheet:{key}", "--force")
    assert code == 0, err
    assert "Log: 0 added, 1 changed, 0 removed" in out
    assert_same_inputs(str(src), f"gsheet:{key}")


def test_both_sides_edited_is_caught_in_either_direction(env, capsys, tmp_path) -> None:
    src = book_copy(tmp_path)
    key = load_workbook(env, WORKBOOKS / "complaints_en.xlsx")
    assert run(capsys, "sync", f"gsheet:{key}", str(src))[0] == 0
    env.book(key).by_title("Cases").put(1, 2, "edited in Google")
    wb = openpyxl.load_workbook(src)  # and someone edits the file in Excel
    wb["Log"]["F3"] = "edited in Excel"
    wb.save(src)
    for a, b in ((f"gsheet:{key}", str(src)), (str(src), f"gsheet:{key}")):
        code, _, err = run(capsys, "sync", a, b)
        assert code == 1 and "changed since the last sync" in err, (a, b)
    assert run(capsys, "sync", a, b, "--force")[0] == 0


def test_dry_run_changes_nothing(env, capsys, tmp_path) -> None:
    src = book_copy(tmp_path)
    raw = edited(read_rows(WORKBOOKS / "complaints_en.xlsx"))
    key = env.create_spreadsheet("team", {t: _serials(r) for t, r in raw.items()})
    data = src.read_bytes()
    code, out, _ = run(capsys, "sync", f"gsheet:{key}", str(src), "--dry-run")
    assert code == 0 and "Log: 1 added, 0 changed, 0 removed" in out and "dry run" in out
    assert src.read_bytes() == data and not list(tmp_path.glob("*.bak*"))
    before = {t: gsheet_sheet(env, key, t) for t in titles(env, key)}
    env.reset_count()
    assert run(capsys, "sync", str(src), f"gsheet:{key}", "--dry-run")[0] == 0
    assert env.request_count == 2  # read only
    assert {t: gsheet_sheet(env, key, t) for t in titles(env, key)} == before
    assert not (tmp_path / "state" / "state.sqlite").exists() or _rows_in_state(tmp_path) == 0


def _rows_in_state(tmp_path: Path) -> int:
    import sqlite3

    with sqlite3.connect(tmp_path / "state" / "state.sqlite") as db:
        try:
            return db.execute("SELECT COUNT(*) FROM sync_fingerprints").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_chinese_workbook_syncs_in_chinese(env, capsys, tmp_path) -> None:
    src = book_copy(tmp_path, "complaints_zh.xlsx")
    key = env.create_spreadsheet("团队")
    code, out, err = run(capsys, "sync", str(src), f"gsheet:{key}")
    assert code == 0, err
    assert "执行记录：新建工作表" in out and "已同步" in out
    assert_same_inputs(str(src), f"gsheet:{key}")


def test_usage_mistakes_are_one_line_exit_2(env, capsys, tmp_path) -> None:
    src = book_copy(tmp_path)
    for argv in (["sync", str(src), str(src)],
                 ["sync", str(src), str(tmp_path / "missing.xlsx")],
                 ["sync", "gsheet:nope", str(src)]):
        code, _, err = run(capsys, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1, argv
    blank = env.create_spreadsheet("blank")
    code, _, err = run(capsys, "sync", f"gsheet:{blank}", str(src))
    assert code == 2 and "none of the input sheets" in err


def test_a_users_status_column_is_content_and_the_records_survive(capsys, tmp_path) -> None:
    """Both books have the user's own `status` column in Log beside sheetflow's (told apart by
    the ownership records). A sync copies the user's column as content and leaves DST's records
    be, so DST's next refresh finds its own outputs: no `(sheetflow)` sheet, the column kept."""
    src = book_copy(tmp_path, as_name="src.xlsx")
    add_users_status_column(src)
    assert run(capsys, "refresh", str(src), "--as-of", AS_OF)[0] == 0
    dst = Path(shutil.copy(src, tmp_path / "dst.xlsx"))
    wb = openpyxl.load_workbook(src)
    wb["Log"]["G3"] = "re-checked"  # the user's column, edited in SRC
    wb.save(src)
    before = CalamineWorkbook.from_path(str(dst)).sheet_names
    code, out, err = run(capsys, "sync", str(src), str(dst))
    assert code == 0, err
    assert "Log: 0 added, 1 changed, 0 removed" in out.splitlines()
    assert run(capsys, "refresh", str(dst), "--as-of", AS_OF)[0] == 0
    after = CalamineWorkbook.from_path(str(dst))
    assert after.sheet_names == before  # its own Summary, Overdue... found again, none added
    log = after.get_sheet_by_name("Log").to_python()
    assert log[0][6:12] == ["status", "Duration (h)", "SLA (h)", "Due", "Status", "Overdue (h)"]
    assert [r[6] for r in log[1:4]] == ["checked 2", "re-checked", "checked 4"]
