"""What people see in a terminal: columns aligned by display width (Chinese takes two columns),
zh severities, wrapped messages, one finding per slip, and progress on stderr only."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from wcwidth import wcswidth

from sheetflow.core import schema
from tests.cli.test_cli import sheetflow
from tests.helpers import AS_OF, write_book

ROOT = Path(__file__).resolve().parents[2]
ZH_BOOK = ROOT / "workbooks" / "complaints_zh.xlsx"


def columns_of(line: str) -> dict[int, str]:
    """Display column -> character, for every character of `line`."""
    out, col = {}, 0
    for ch in line:
        out[col] = ch
        col += max(wcswidth(ch), 0)
    return out


def header_starts(header: str) -> list[int]:
    """Display columns where each heading of a table header starts (headings are separated by
    two spaces or more)."""
    cells = columns_of(header)
    starts = []
    for col, ch in sorted(cells.items()):
        before = [cells.get(col - 1), cells.get(col - 2)]
        if ch != " " and (col == min(cells) or before == [" ", " "] or col == 0):
            starts.append(col)
    return starts


def assert_aligned(lines: list[str], header: str) -> None:
    """Every row's cells start at the display column of their heading."""
    starts = header_starts(header)
    assert len(starts) >= 4, header
    for line in lines:
        cells = columns_of(line)
        for start in starts[1:]:
            assert cells.get(start - 1) == " ", (line, start)
            # a cell starts here: nothing but the end of the previous cell and spaces before it
            if cells.get(start, " ") != " ":
                assert cells.get(start - 2) in (" ", None) or cells.get(start - 1) == " ", line


def table_rows(text: str, header_word: str) -> tuple[str, list[str]]:
    """The header line containing `header_word` and the table lines under it."""
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if header_word in line)
    rows = []
    for line in lines[top + 1 :]:
        if not line.strip() or not line.startswith(" ") and lines[top].startswith(" "):
            break
        rows.append(line)
    return lines[top], rows


def zh_book_with_slips(tmp_path: Path) -> Path:
    """The zh template with a misspelt node, a wrong case id on two rows and an end < start."""
    target = tmp_path / "投诉_有误.xlsx"
    shutil.copyfile(ZH_BOOK, target)
    wb = openpyxl.load_workbook(target)
    log = next(ws for ws in wb.worksheets if schema.sheet_for_title(ws.title) is schema.LOG)
    header = [schema.normalise_name(c.value) for c in log[1]]

    def col(name: str) -> int:
        return header.index(schema.normalise_name(schema.LOG.column(name).label("zh"))) + 1

    log.cell(3, col("node")).value = f"{log.cell(3, col('node')).value}s"
    wrong = "CP-9001"
    log.cell(5, col("case_id")).value = wrong
    log.cell(6, col("case_id")).value = wrong
    log.cell(7, col("end")).value = log.cell(7, col("start")).value.replace(year=2023)
    wb.save(target)
    return target


def test_zh_validate_is_aligned_with_chinese_severities_and_wrapped_messages(tmp_path):
    result = sheetflow("validate", str(zh_book_with_slips(tmp_path)), "--as-of", AS_OF)
    assert result.returncode == 1, result.stderr
    header, rows = table_rows(result.stdout, "单元格")
    assert re.fullmatch(r"3 个错误，\d+ 个警告", rows[-1])  # 2023 may add a calendar_gap
    rows = rows[:-1]
    assert header.split()[:2] == ["级别", "单元格"]
    body = [r for r in rows if not r.startswith(" ")]
    assert body and all(r.split()[0] in ("错误", "警告") for r in body)
    assert "error" not in result.stdout and "warning" not in result.stdout
    assert all(wcswidth(line) <= 100 for line in result.stdout.splitlines())  # wrapped
    assert_aligned(rows, header)
    message_col = header_starts(header)[-1]
    for line in rows:
        if line.startswith(" "):  # a continuation of a wrapped message starts under it
            assert len(line) - len(line.lstrip(" ")) == message_col, line
    # one wrong case id on two rows: one finding naming the other row and the nearest id
    unknown = [r for r in body if "unknown_case" in r]
    assert len(unknown) == 1
    text = result.stdout.replace("\n", "")
    assert "是否应为" in text and "另有 1 行" in text
    assert "skipped_required" not in result.stdout  # a consequence of the wrong id, folded in


def test_zh_overdue_and_route_are_aligned_and_say_who_is_who(tmp_path):
    overdue = sheetflow("overdue", str(ZH_BOOK), "--as-of", AS_OF)
    assert overdue.returncode == 0, overdue.stderr
    header, rows = table_rows(overdue.stdout, "执行人")
    assert "执行人" in header and "上级" in header and "标题" in header
    assert len(rows) == 5
    assert_aligned(rows, header)
    risk_header, risk_rows = table_rows(overdue.stdout.split("预警", 1)[1], "执行人")
    assert_aligned(risk_rows, risk_header)

    route = sheetflow("route", str(ZH_BOOK), "--as-of", AS_OF)
    assert route.returncode == 0, route.stderr
    lines = route.stdout.splitlines()
    assert_aligned(lines[1:-1], lines[0])
    assert "--all" in lines[-1]  # closed cases are not listed by default
    every = sheetflow("route", str(ZH_BOOK), "--as-of", AS_OF, "--all").stdout.splitlines()
    assert len(every) > len(lines) - 1
    assert_aligned(every[1:], every[0])
    listed = json.loads(
        sheetflow("route", str(ZH_BOOK), "--as-of", AS_OF, "--format", "json").stdout
    )
    assert len(listed["routes"]) == len(every) - 1  # json always lists every case


def run_with_stderr_on_a_terminal(*args: str, env: dict[str, str]) -> tuple[int, str, bytes]:
    """Run the CLI with stderr on a pseudo-terminal and stdout on a pipe."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sheetflow", *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, **env},
    )
    os.close(slave)
    err = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        err += chunk
    out = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, out, err


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_progress_goes_to_stderr_only_and_only_on_a_terminal(tmp_path):
    out_book = tmp_path / "out.xlsx"
    args = ("refresh", str(ZH_BOOK), "--as-of", AS_OF, "--out", str(out_book), "--format", "json")
    env = {"SHEETFLOW_PROGRESS_DELAY": "0"}
    code, out, err = run_with_stderr_on_a_terminal(*args, env=env)
    assert code == 0, err
    json.loads(out)  # stdout is the JSON and nothing else
    assert "\r" not in out and "sheetflow:" not in out
    shown = err.decode()
    assert "sheetflow: reading" in shown
    assert "正在校验工作簿" in shown and "正在写入 out.xlsx" in shown  # the workbook's language
    assert shown.endswith("\r\x1b[2K")  # the line is erased at the end

    quiet = run_with_stderr_on_a_terminal(*args, "--quiet", env=env)
    assert quiet[0] == 0 and quiet[2] == b""

    piped = subprocess.run(
        [sys.executable, "-m", "sheetflow", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert piped.returncode == 0 and piped.stderr == ""  # not a terminal: no progress


def test_did_you_mean_for_nodes_people_and_case_ids(tmp_path, sheets):
    sheets["Log"][2][1] = "Clasify"  # Classify
    sheets["Log"][3][2] = "Bobb"  # Bob
    sheets["People"][1][3] = "Dorra"  # Ann's manager, Dora
    sheets["Rules"][2][3] = "Eva"  # R2's approver, Eve
    path = write_book(tmp_path / "typos.xlsx", sheets)
    result = sheetflow("validate", str(path), "--as-of", AS_OF, "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    messages = {(f["sheet"], f["code"]): f["message"] for f in findings}
    assert "did you mean 'Classify'?" in messages["Log", "unknown_node"]
    assert "did you mean 'Bob'?" in messages["Log", "unknown_person"]
    assert "did you mean 'Dora'?" in messages["People", "unknown_person"]
    assert "did you mean 'Eve'?" in messages["Rules", "unknown_person"]
    assert "skipped_required" not in {f["code"] for f in findings}  # C1 lacks Classify: typo
    explain = sheetflow("route", str(path), "--as-of", AS_OF, "--explain", "C22")
    assert explain.returncode == 2
    assert "did you mean C2" in explain.stderr and len(explain.stderr.splitlines()) == 1


def test_version_and_help_for_every_option():
    version = sheetflow("--version")
    assert version.returncode == 0 and version.stdout.startswith("sheetflow ")
    for command in ("init", "validate", "refresh", "overdue", "route"):
        text = sheetflow(command, "--help").stdout
        assert "examples:" in text, command
        options = [w for w in text.split() if w.startswith("--") and w != "--help"]
        assert options, command
    help_text = sheetflow("validate", "--help").stdout
    assert "json: the shapes of the workbook contract" in help_text
