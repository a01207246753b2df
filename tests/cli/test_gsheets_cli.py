"""`sheetflow ... gsheet:KEY` end to end: the real CLI, real gspread, HTTP to the local emulator.

Every result is compared with the same command on the same workbook as a file, read back with
calamine; the emulator's stored cells are checked for what the API would show a user.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from sheetflow.cli import main
from sheetflow.core import plan
from sheetflow.emulator import Emulator
from sheetflow.emulator.__main__ import load_workbook
from sheetflow.emulator.values import Formula, to_serial
from sheetflow.io.gsheets import TEMP_PREFIX
from sheetflow.io.xlsx import read_rows

ROOT = Path(__file__).resolve().parents[2]
WORKBOOKS = ROOT / "workbooks"
AS_OF = "2024-10-09T16:00"
FORMULA = '=HYPERLINK("http://x","y")'
OWNED = {"en": ["Summary", "Overdue", "Routing", "NodeStats", "Validation"],
         "zh": ["汇总", "超时清单", "审批分派", "节点统计", "校验结果"]}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def normal(value: object) -> object:
    """A cell as a comparable value: dates as serial days, numbers as floats, '' as None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return round(to_serial(value), 6)
    if isinstance(value, dt.date):
        return round(to_serial(dt.datetime.combine(value, dt.time())), 6)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 6)
    return str(value)


def normal_rows(rows: list[list[object]]) -> list[list[object]]:
    out = [[normal(v) for v in row] for row in rows]
    for row in out:
        while row and row[-1] is None:
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


def file_sheet(path: Path, title: str) -> list[list[object]]:
    return normal_rows(CalamineWorkbook.from_path(str(path)).get_sheet_by_name(title).to_python())


def gsheet_sheet(emulator: Emulator, key: str, title: str) -> list[list[object]]:
    return normal_rows(emulator.values(key, plan.quote_title(title)))


def titles(emulator: Emulator, key: str) -> list[str]:
    return [s.title for s in emulator.book(key).sheets]


@pytest.mark.parametrize("command", ["validate", "overdue", "route"])
@pytest.mark.parametrize("name", ["complaints_en.xlsx", "complaints_zh.xlsx"])
def test_read_commands_give_what_the_file_gives(env, capsys, command, name) -> None:
    key = load_workbook(env, WORKBOOKS / name)
    env.reset_count()
    got = run(capsys, command, f"gsheet:{key}", "--as-of", AS_OF, "--format", "json")
    assert env.request_count == 2  # one metadata get, one values:batchGet
    want = run(capsys, command, str(WORKBOOKS / name), "--as-of", AS_OF, "--format", "json")
    assert got[0] == want[0] and got[2] == want[2]
    assert json.loads(got[1]) == json.loads(want[1])
    text = run(capsys, command, f"gsheet:{key}", "--as-of", AS_OF)
    assert text[1] == run(capsys, command, str(WORKBOOKS / name), "--as-of", AS_OF)[1]


@pytest.mark.parametrize("name", ["complaints_en.xlsx", "complaints_zh.xlsx",
                                  "purchase_en.xlsx"])
def test_refresh_writes_what_the_file_door_writes(env, capsys, tmp_path, name) -> None:
    key = load_workbook(env, WORKBOOKS / name)
    out = tmp_path / name
    want = run(capsys, "refresh", str(WORKBOOKS / name), "--as-of", AS_OF, "--out", str(out),
               "--format", "json")
    env.reset_count()
    got = run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF, "--format", "json")
    assert got[0] == want[0] == 0, got[2]
    assert json.loads(got[1]) == json.loads(want[1])
    assert env.request_count == 5  # read 2, write 3
    lang = "zh" if name.endswith("_zh.xlsx") else "en"
    file_titles = CalamineWorkbook.from_path(str(out)).sheet_names
    assert titles(env, key) == file_titles
    assert not [t for t in titles(env, key) if t.startswith(TEMP_PREFIX)]
    log, cases = ("执行记录", "工单") if lang == "zh" else ("Log", "Cases")
    for title in [log, cases, *OWNED[lang]]:
        mine, theirs = gsheet_sheet(env, key, title), file_sheet(out, title)
        assert len(mine) == len(theirs), title
        width = max(len(r) for r in theirs)
        for col in range(width):  # column by column, to name the one that differs
            column = [r[col] if col < len(r) else None for r in mine]
            expected = [r[col] if col < len(r) else None for r in theirs]
            assert column == expected, (title, col, theirs[0][col] if theirs[0] else None)
    # a second refresh replaces the owned sheets in place and changes no value
    before = {t: gsheet_sheet(env, key, t) for t in titles(env, key)}
    assert run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF)[0] == 0
    assert titles(env, key) == file_titles
    assert {t: gsheet_sheet(env, key, t) for t in titles(env, key)} == before


def test_refresh_renders_formats_filters_and_charts(env, capsys) -> None:
    key = load_workbook(env, WORKBOOKS / "complaints_en.xlsx")
    assert run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF)[0] == 0
    book = env.book(key)
    log = book.by_title("Log")
    header = log.rows[0]
    status = header.index("Status")
    rules = [r for r in log.conditional if "booleanRule" in r]
    assert {r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in rules} == {
        "Overdue", "At risk", "Done late"}
    for r in rules:  # the whole status column, also rows the user adds later
        (grid,) = r["ranges"]
        assert (grid["startColumnIndex"], grid["endColumnIndex"]) == (status, status + 1)
        assert grid["startRowIndex"] == 1 and "endRowIndex" not in grid
    due = header.index("Due")
    assert log.number_format(1, due)["pattern"] == "yyyy-mm-dd hh:mm"
    assert log.cell_format(0, due)["textFormat"]["bold"] is True
    summary = book.by_title("Summary")
    kinds = sorted(next(k for k in ("basicChart", "pieChart") if k in c["spec"])
                   for c in summary.charts)
    assert kinds == ["basicChart", "basicChart", "pieChart"]  # nodes vs SLA, weeks; satisfaction
    assert summary.props["gridProperties"].get("frozenRowCount", 0) == 0  # a dashboard: no freeze
    overdue = book.by_title("Overdue")
    assert overdue.basic_filter["range"]["endColumnIndex"] == 16  # SPEC §8 keys + 5 more
    assert any("gradientRule" in r for r in overdue.conditional)
    assert not any(s.props.get("hidden") for s in book.sheets)
    # a second run leaves one set of our rules, not two
    assert run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF)[0] == 0
    assert len(env.book(key).by_title("Log").conditional) == len(log.conditional)


def _generate():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = module
    spec.loader.exec_module(module)
    return module


def _serials(rows: list[list[object]]) -> list[list[object]]:
    return [[normal(v) if isinstance(v, (dt.date, dt.datetime)) else v for v in row]
            for row in rows]


def test_refresh_costs_the_same_requests_for_100_and_50000_rows(env, capsys) -> None:
    generate = _generate()
    counts = {}
    for rows in (100, 50_000):
        data = {title: _serials(r) for title, r in generate.sheets(rows).items()}
        key = env.create_spreadsheet(f"{rows} rows", data)
        env.reset_count()
        code, _, err = run(capsys, "refresh", f"gsheet:{key}", "--as-of", "2024-12-31T16:00")
        assert code == 0, err
        counts[rows] = env.request_count
        assert len(env.values(key, "Log!A1:A")) > rows * 0.8
        env.books.pop(key)  # free the memory of the big one
    assert counts[100] == counts[50_000] == 5


def test_quota_and_server_errors_are_ridden_out(env, capsys) -> None:
    key = load_workbook(env, WORKBOOKS / "complaints_en.xlsx")
    env.fail_next(429, n=2, retry_after=0)
    env.fail_next(500, n=1, match="values:batchUpdate")
    env.fail_next(503, n=1, match=":batchUpdate", skip=1)
    env.reset_count()
    code, out, err = run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF)
    assert code == 0, err
    assert env.request_count == 5 + 4
    assert "Summary" in titles(env, key)
    assert not [t for t in titles(env, key) if t.startswith(TEMP_PREFIX)]


@pytest.mark.parametrize(
    ("status", "match"),
    [pytest.param(500, "values:batchUpdate", id="5xx-that-never-ends"),
     pytest.param(403, "values:batchUpdate", id="denied-mid-write"),
     pytest.param(429, None, id="quota-on-every-request")],
)
def test_permanent_failure_exits_2_with_one_line_and_no_temporary_sheet(
    env, capsys, status, match
) -> None:
    key = load_workbook(env, WORKBOOKS / "complaints_en.xlsx")
    before = {t: gsheet_sheet(env, key, t) for t in titles(env, key)}
    env.fail_next(status, n=None, match=match, skip=0 if match else 2)
    code, out, err = run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF)
    env.clear_faults()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("sheetflow: ")
    assert "Traceback" not in err and "test-token" not in err
    assert not [t for t in titles(env, key) if t.startswith(TEMP_PREFIX)]
    assert {t: gsheet_sheet(env, key, t) for t in titles(env, key)} == before


def test_unknown_key_and_missing_credentials_are_one_line(env, capsys, monkeypatch) -> None:
    code, _, err = run(capsys, "validate", "gsheet:no-such-key")
    assert code == 2 and len(err.strip().splitlines()) == 1
    monkeypatch.delenv("SHEETFLOW_GOOGLE_TOKEN")
    code, _, err = run(capsys, "refresh", "gsheet:whatever")
    assert code == 2 and len(err.strip().splitlines()) == 1


def _with_formula_text(rows: dict[str, list[list[object]]]) -> dict[str, list[list[object]]]:
    """complaints_en where user text is `=HYPERLINK(...)` in a title, a case id, a node name
    and a priority: text that reaches every output sheet."""
    out = {}
    for title, sheet in rows.items():
        header = sheet[0] if sheet else []
        fixed = [list(header)]
        for row in sheet[1:]:
            row = list(row)
            for i, name in enumerate(header):
                if name in ("case_id",) and row[i] == "CP-015":
                    row[i] = FORMULA
                if name == "node" and row[i] == "Follow-up call":
                    row[i] = FORMULA
            if title == "Cases" and row[0] == "CP-001":
                row[header.index("title")] = FORMULA
            if title == "Cases" and row[0] == "CP-002":
                row[header.index("priority")] = FORMULA
            fixed.append(row)
        out[title] = fixed
    return out


def test_user_text_that_looks_like_a_formula_stays_text_everywhere(env, capsys) -> None:
    raw = _with_formula_text(read_rows(WORKBOOKS / "complaints_en.xlsx"))
    key = env.create_spreadsheet("formula", {t: _serials(r) for t, r in raw.items()})
    code, _, err = run(capsys, "refresh", f"gsheet:{key}", "--as-of", AS_OF)
    assert code == 1, err  # the bad priority is a validation error; outputs are still written
    book = env.book(key)
    for title in ["Log", "Cases", *OWNED["en"]]:
        sheet = book.by_title(title)
        cells = [v for row in sheet.rows for v in row]
        assert FORMULA in cells, title
        assert not [v for v in cells if isinstance(v, Formula)], title
        shown = [v for row in env.values(key, plan.quote_title(title), "FORMATTED_VALUE")
                 for v in row]
        assert FORMULA in shown, title
