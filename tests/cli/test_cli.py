"""The command line as a user runs it: real processes, exit codes, one-line errors, JSON shapes."""

from __future__ import annotations

import json

from tests.helpers import AS_OF, assert_one_line_error, write_book
from tests.helpers import run_cli as sheetflow


def test_missing_file(tmp_path):
    result = sheetflow("validate", str(tmp_path / "nope.xlsx"))
    assert_one_line_error(result, 2, "no such file")


def test_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("just some text, not a zip")
    assert_one_line_error(sheetflow("validate", str(path)), 2, "not an Excel workbook")


def test_encrypted_workbook(tmp_path, sheets):
    # Excel saves a password-protected xlsx as an OLE compound file; msoffcrypto makes a real one
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_book(tmp_path / "plain.xlsx", sheets)
    path = tmp_path / "secret.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    assert_one_line_error(sheetflow("validate", str(path)), 2, "password-protected")


def test_truncated_workbook(tmp_path, sheets):
    good = write_book(tmp_path / "good.xlsx", sheets)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert_one_line_error(sheetflow("validate", str(cut)), 2, "damaged or truncated")


def test_workbook_without_process_sheet(tmp_path, sheets):
    del sheets["Process"]
    path = write_book(tmp_path / "book.xlsx", sheets)
    result = sheetflow("validate", str(path), "--as-of", AS_OF, "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["findings"][0]["code"] == "missing_sheet"
    assert report["findings"][0]["sheet"] == "Process"


def test_bad_option_and_bad_as_of(tmp_path, sheets):
    path = write_book(tmp_path / "book.xlsx", sheets)
    assert_one_line_error(sheetflow("validate", str(path), "--format", "xml"), 2, "invalid choice")
    assert_one_line_error(sheetflow("validate", str(path), "--as-of", "tomorrow"), 2, "--as-of")
    assert_one_line_error(sheetflow("frobnicate"), 2, "invalid choice")


def test_validate_json_shape_and_exit_codes(tmp_path, sheets):
    path = write_book(tmp_path / "clean.xlsx", sheets)
    result = sheetflow("validate", str(path), "--as-of", AS_OF, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"errors": 0, "warnings": 0, "findings": []}

    sheets["Log"][3][3] = "yesterday"
    path = write_book(tmp_path / "bad.xlsx", sheets)
    result = sheetflow("validate", str(path), "--as-of", AS_OF, "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["errors"] == 1 and report["warnings"] == 0
    finding = report["findings"][0]
    assert {k: finding[k] for k in ("sheet", "row", "column", "value", "code", "severity")} == {
        "sheet": "Log",
        "row": 4,
        "column": "start",
        "value": "yesterday",
        "code": "bad_date",
        "severity": "error",
    }
    text = sheetflow("validate", str(path), "--as-of", AS_OF)
    assert text.returncode == 1
    assert "Log!D4" in text.stdout and "yesterday" in text.stdout
    assert "1 error, 0 warnings" in text.stdout


def test_overdue_formats(tmp_path, sheets):
    path = write_book(tmp_path / "book.xlsx", sheets)
    result = sheetflow("overdue", str(path), "--as-of", AS_OF, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == "2024-10-09T16:00:00"
    spec_keys = list(data["items"][0])[:11]  # SPEC §8's keys first; details follow them
    assert [{key: item[key] for key in spec_keys} for item in data["items"]] == [
        {
            "case_id": "C2",
            "node": "Resolve",
            "assignee": "Bob",
            "assignee_email": "bob@example.com",
            "manager": "Dora",
            "manager_email": "dora@example.com",
            "start": "2024-10-08T10:00:00",
            "due": "2024-10-09T10:00:00",
            "duration_h": 13.0,
            "sla_h": 8.0,
            "overdue_h": 5.0,
        }
    ]
    csv = sheetflow("overdue", str(path), "--as-of", AS_OF, "--format", "csv")
    assert csv.stdout.splitlines()[0].startswith("case_id,node,assignee,assignee_email")
    assert csv.stdout.splitlines()[1].startswith("C2,Resolve,Bob,bob@example.com,Dora")
    text = sheetflow("overdue", str(path), "--as-of", AS_OF)
    row = next(line for line in text.stdout.splitlines() if "C2" in line)
    assert row.split()[-2:] == ["5", "h"]  # late by 5 working hours (Resolve runs on business)


def test_route_json_and_explain(tmp_path, sheets):
    path = write_book(tmp_path / "book.xlsx", sheets)
    result = sheetflow("route", str(path), "--as-of", AS_OF, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == "2024-10-09T16:00:00"
    # C1 800 -> R1 Agent, same department Sales -> Ann; C2 6000 -> R2 Manager in Sales -> Dora,
    # away 8-10 Oct -> deputy Eve; C3 60000 -> R2 Manager in Service -> Eve.
    assert data["routes"] == [
        {
            "case_id": "C1",
            "approver_role": "Agent",
            "approver": "Ann",
            "delegated_from": None,
            "rule": "R1",
        },
        {
            "case_id": "C2",
            "approver_role": "Manager",
            "approver": "Eve",
            "delegated_from": "Dora",
            "rule": "R2",
        },
        {
            "case_id": "C3",
            "approver_role": "Manager",
            "approver": "Eve",
            "delegated_from": None,
            "rule": "R2",
        },
    ]
    explain = sheetflow("route", str(path), "--as-of", AS_OF, "--explain", "C2")
    assert explain.returncode == 0, explain.stderr
    assert ">= 5000 on 6000 -> passed" in explain.stdout
    assert "Dora -> Eve" in explain.stdout
    assert_one_line_error(
        sheetflow("route", str(path), "--as-of", AS_OF, "--explain", "C9"), 2, "no case 'C9'"
    )
