"""`sheetflow init` templates: committed files up to date, readable by an independent reader,
real Excel affordances in the XML, safe writing, and example data that means what it says."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import ElementTree
from python_calamine import CalamineWorkbook

from sheetflow.core import schema
from sheetflow.core.workbook import build_workbook
from sheetflow.io.template_writer import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    LAST_ROW,
    committed_name,
    write_template,
)
from sheetflow.templates import (
    EXAMPLE_AS_OF_TEXT,
    LANGUAGES,
    TEMPLATES,
    build_template,
    expected,
)

COMMITTED = Path(__file__).resolve().parents[2] / "workbooks"
REGENERATE = "run `make templates` to regenerate the committed workbooks"

BOOKS = [pytest.param(t, lang, id=f"{t}-{lang}") for t in TEMPLATES for lang in LANGUAGES]


def _generate(folder: Path, template: str, lang: str) -> Path:
    path = folder / committed_name(template, lang)
    write_template(path, template, lang)
    return path


def _snapshot(path: Path) -> tuple[list[str], dict[str, list[tuple]], dict[str, list[tuple]]]:
    """Sheet names in order, cell values per sheet, data validations per sheet."""
    wb = openpyxl.load_workbook(path)
    values = {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb}
    validations = {
        ws.title: sorted(
            (str(dv.sqref), dv.formula1, dv.type) for dv in ws.data_validations.dataValidation
        )
        for ws in wb
    }
    return wb.sheetnames, values, validations


# (a) the committed workbooks are what the code writes -------------------------------------------


@pytest.mark.parametrize(("template", "lang"), BOOKS)
def test_committed_workbook_matches_generated(tmp_path: Path, template: str, lang: str) -> None:
    committed = COMMITTED / committed_name(template, lang)
    assert committed.exists(), f"{committed} is missing; {REGENERATE}"
    names, values, validations = _snapshot(_generate(tmp_path, template, lang))
    old_names, old_values, old_validations = _snapshot(committed)
    assert old_names == names, f"sheet names differ in {committed.name}; {REGENERATE}"
    for title in names:
        assert old_values[title] == values[title], (
            f"cell values of sheet {title!r} differ in {committed.name}; {REGENERATE}"
        )
        assert old_validations[title] == validations[title], (
            f"drop-downs of sheet {title!r} differ in {committed.name}; {REGENERATE}"
        )


# (b) an independent reader (calamine) sees the contract -----------------------------------------


@pytest.mark.parametrize(("template", "lang"), BOOKS)
def test_calamine_reads_schema_headers_and_rows(tmp_path: Path, template: str, lang: str) -> None:
    path = _generate(tmp_path, template, lang)
    book = CalamineWorkbook.from_path(str(path))
    guide = "使用说明" if lang == schema.ZH else "How to use"
    assert book.sheet_names == [guide] + [s.label(lang) for s in schema.INPUT_SHEETS]
    raw = {}
    for sheet in schema.INPUT_SHEETS:
        rows = book.get_sheet_by_name(sheet.label(lang)).to_python()
        raw[sheet.label(lang)] = rows
        header = rows[0]
        labels = [col.label(lang) for col in sheet.columns]
        assert [h for h in header if h in labels] == labels, sheet.name
        assert len(rows) >= 2, f"{sheet.name} holds no example rows"
    parsed = build_workbook(raw)
    assert parsed.language == lang
    assert set(parsed.tables) == set(schema.SHEETS_BY_NAME)
    for name, table in parsed.tables.items():
        missing = [c.name for c in table.sheet.columns if not table.has(c.name)]
        assert not missing, f"{name} lacks {missing}"
    assert set(parsed.settings_rows) == {key.name for key in schema.SETTING_KEYS}
    assert 12 <= len(parsed.frame("Cases")) <= 20
    assert 40 <= len(parsed.frame("Log")) <= 80


@pytest.mark.parametrize("lang", LANGUAGES)
def test_enum_cells_use_the_book_language(tmp_path: Path, lang: str) -> None:
    rows = CalamineWorkbook.from_path(str(_generate(tmp_path, "complaints", lang)))
    cases = rows.get_sheet_by_name(schema.CASES.label(lang)).to_python()
    priority = cases[0].index(schema.CASES.column("priority").label(lang))
    seen = {row[priority] for row in cases[1:]}
    assert seen == {schema.PRIORITY.label(code, lang) for code in schema.PRIORITY.codes}


# (c) Excel affordances in the file itself ------------------------------------------------------


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_xml(path: Path) -> dict[str, str]:
    """Sheet title -> its worksheet XML, found through the workbook's relationships."""
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{_PKG}Relationship")}
        found = {}
        for sheet in workbook.iter(f"{_MAIN}sheet"):
            target = targets[sheet.get(f"{_REL}id")].lstrip("/")
            target = target if target.startswith("xl/") else f"xl/{target}"
            found[sheet.get("name")] = archive.read(target).decode()
        return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_xml_has_dropdowns_frozen_header_and_formats(tmp_path: Path, lang: str) -> None:
    path = _generate(tmp_path, "complaints", lang)
    sheets = _sheet_xml(path)
    template = build_template("complaints", lang)
    for sheet in template.sheets:
        xml = ElementTree.fromstring(sheets[sheet.title])
        pane = xml.find(f"{_MAIN}sheetViews/{_MAIN}sheetView/{_MAIN}pane")
        assert pane is not None and pane.get("state") == "frozen", sheet.title
        assert (pane.get("topLeftCell"), pane.get("ySplit")) == ("A2", "1")
        dropdowns = {
            dv.get("sqref"): (dv.get("type"), dv.findtext(f"{_MAIN}formula1"))
            for dv in xml.iter(f"{_MAIN}dataValidation")
        }
        for index, column in enumerate(sheet.columns):
            if column is None or column.enum is None:
                continue
            letter = openpyxl.utils.get_column_letter(index + 1)
            labels = [column.enum.label(code, lang) for code in column.enum.codes]
            assert dropdowns.get(f"{letter}2:{letter}{LAST_ROW}") == (
                "list",
                '"' + ",".join(labels) + '"',
            ), f"no drop-down on {sheet.sheet.name}.{column.name}"
        if sheet.sheet.name == "Log":
            nodes = f"'{schema.PROCESS.label(lang)}'!$A$2:$A$200"
            assert ("list", nodes) in dropdowns.values(), "Log.node: no list of Process nodes"
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml").decode()
    assert f'formatCode="{DATETIME_FORMAT}"' in styles
    assert f'formatCode="{DATE_FORMAT}"' in styles
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.LOG.label(lang)]
    assert ws["D2"].number_format == DATETIME_FORMAT  # start
    assert ws.column_dimensions["D"].width >= 16
    assert wb[schema.PEOPLE.label(lang)]["F4"].number_format == DATE_FORMAT  # away_from
    assert wb.properties.title


# (d) writing safely ----------------------------------------------------------------------------


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"my own work")
    with pytest.raises(FileExistsError, match="already exists"):
        write_template(path, "complaints", "en")
    assert path.read_bytes() == b"my own work"
    write_template(path, "purchase", "zh", overwrite=True)
    assert openpyxl.load_workbook(path).sheetnames[0] == "使用说明"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]  # no temporary file left


def test_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "book.xlsx"
    write_template(path, "contract", "en")
    assert openpyxl.load_workbook(path).sheetnames[1] == "Process"


@pytest.mark.parametrize(
    ("template", "lang", "name", "match"),
    [
        pytest.param("invoices", "en", "b.xlsx", "unknown template", id="template"),
        pytest.param("complaints", "fr", "b.xlsx", "unknown language", id="language"),
        pytest.param("complaints", "en", "b.csv", r"\.xlsx", id="suffix"),
    ],
)
def test_bad_arguments(tmp_path: Path, template: str, lang: str, name: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        write_template(tmp_path / name, template, lang)
    assert not list(tmp_path.iterdir())


# LibreOffice, a third reader, opens the file -----------------------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH")
def test_libreoffice_converts_a_template(tmp_path: Path) -> None:
    path = _generate(tmp_path, "complaints", "zh")
    out = tmp_path / "out"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    csv = out / "complaints_zh.csv"
    assert csv.exists() and csv.stat().st_size > 0


# The example data means what its comments say -----------------------------------------------------

# The expected outcome of each example row at 2024-10-09 16:00 sits beside it in the template's
# data files (sheetflow/templates/<template>/Log.csv: expect_status, expect_overdue_h and the
# hand-worked expect_why; Cases.csv: expect_outcome, "closed on time" / "closed late" or the
# status of its open log rows; where parallel nodes run every open row has that status).


def _expected_cases(template: str) -> dict[str, str]:
    ids = [row[0] for row in build_template(template, schema.EN).sheets[1].rows]
    return {
        case: row["outcome"] for case, row in zip(ids, expected(template, "Cases"), strict=True)
    }


@pytest.mark.parametrize(("template", "lang"), BOOKS)
def test_examples_validate_cleanly_and_time_as_worked_by_hand(template: str, lang: str) -> None:
    pipeline = pytest.importorskip("sheetflow.pipeline")
    from sheetflow.io.xlsx import read_workbook

    book = read_workbook(COMMITTED / committed_name(template, lang))
    report = pipeline.compute(book, pipeline.parse_as_of(EXAMPLE_AS_OF_TEXT))
    assert [(f.code, f.cell) for f in report.findings] == []

    english = build_template(template, schema.EN).sheets[2].rows  # Log rows, English names
    log = book.frame("Log").join(report.log)
    sla = float(book.setting("case_sla_hours"))
    cases = book.frame("Cases").join(report.cases)
    got = {}
    for row, case in cases.iterrows():
        if case["case_status"] == "closed":
            got[case["case_id"]] = (
                "closed on time" if case["case_elapsed_h"] <= sla else "closed late"
            )
        else:
            rows = log[log["case_id"] == case["case_id"]]
            running = set(rows["status"]) & {"on_track", "at_risk", "overdue"}
            assert len(running) == 1, f"Cases row {row}: {running}"
            got[case["case_id"]] = running.pop()
    assert got == _expected_cases(template)

    overdue, late, want_overdue, want_late = {}, set(), {}, set()
    rows = zip(log.iterrows(), english, expected(template, "Log"), strict=True)
    for (_row, rec), (_, node, *_rest), want in rows:
        if rec["status"] == "overdue":
            overdue[(rec["case_id"], node)] = round(float(rec["overdue_h"]), 2)
        elif rec["status"] == "done_late":
            late.add((rec["case_id"], node))
        if want["status"] == "overdue":
            want_overdue[(rec["case_id"], node)] = want["overdue_h"]
        elif want["status"] == "done_late":
            want_late.add((rec["case_id"], node))
    assert overdue == want_overdue
    assert late == want_late


@pytest.mark.parametrize("template", TEMPLATES)
def test_examples_exercise_every_feature(template: str) -> None:
    sheets = {s.sheet.name: s for s in build_template(template, schema.EN).sheets}

    def records(name: str) -> list[dict[str, object]]:
        s = sheets[name]
        keys = [c.name if c is not None else h for h, c in zip(s.header, s.columns, strict=True)]
        return [dict(zip(keys, row, strict=True)) for row in s.rows]

    process, cases, people = records("Process"), records("Cases"), records("People")
    log, rules, exceptions = records("Log"), records("Rules"), records("Exceptions")
    names = {p["name"] for p in people}
    assert {p["clock"] for p in process} == {"business", "calendar"}
    assert "no" in {p["required"] for p in process}
    assert {c["priority"] for c in cases} == {"normal", "urgent", "critical"}
    assert {s["priority"] for s in records("SLA")} >= {"urgent", "critical"}
    assert {e["status"] for e in exceptions} >= {"approved", "pending"}
    amounts = [c["amount"] for c in cases]
    assert min(amounts) < 5000 < max(amounts) and min(amounts) < 50000 < max(amounts)
    assert all(c["satisfaction"] for c in cases if c["case_id"] in _closed(template))
    assert all(c["department"] for c in cases)
    away = [
        p
        for p in people
        if p["away_from"] and p["away_from"].isoformat() <= "2024-10-09" <= p["away_to"].isoformat()
    ]
    assert away and all(p["deputy"] in names for p in away)
    assert [p["name"] for p in people if not p["manager"]] == [people[-1]["name"]]
    assert {p["manager"] for p in people} - {None} <= names
    assert {r["approver_role"] for r in rules} <= {p["role"] for p in people}
    assert {r["approver"] for r in rules} - {None} <= names
    assert {row["assignee"] for row in log} <= names
    starts = sorted(row["start"].date().isoformat() for row in log)
    assert starts[0] < "2024-10-01" and starts[-1] > "2024-10-07"
    afters = [p["after"] for p in process if p["after"]]
    assert len(afters) > len(set(afters)), "no parallel nodes"


# Hand-worked: the complaints cases running the resolution plan and the compensation review at once
# (current_node at 2024-10-09 16:00, nodes in seq order).
EXPECTED_PARALLEL_COMPLAINTS = {
    "CP-010": "Resolution plan, Compensation review",
    "CP-014": "Resolution plan, Compensation review",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_complaints_run_parallel_nodes(lang: str) -> None:
    """Two nodes share their predecessors, and at the example as_of one case runs both."""
    pipeline = pytest.importorskip("sheetflow.pipeline")
    from sheetflow.core.validate import process_edges
    from sheetflow.io.xlsx import read_workbook

    book = read_workbook(COMMITTED / committed_name("complaints", lang))
    report = pipeline.compute(book, pipeline.parse_as_of(EXAMPLE_AS_OF_TEXT))
    assert [(f.code, f.cell) for f in report.findings] == []

    edges = process_edges(book.frame("Process"))
    preds = edges.groupby("node")["pred"].agg(lambda p: tuple(sorted(p)))
    siblings = preds.groupby(preds).apply(lambda g: sorted(g.index)).tolist()
    parallel = [nodes for nodes in siblings if len(nodes) > 1]
    english = {  # node name in the book's language -> English
        here[0]: en[0]
        for here, en in zip(
            build_template("complaints", lang).sheets[0].rows,
            build_template("complaints", schema.EN).sheets[0].rows,
            strict=True,
        )
    }
    assert [sorted(english[n] for n in nodes) for nodes in parallel] == [
        ["Compensation review", "Resolution plan"]
    ]

    cases = book.frame("Cases").join(report.cases)
    running = {
        rec["case_id"]: ", ".join(english[n.strip()] for n in rec["current_node"].split(","))
        for _, rec in cases.iterrows()
        if isinstance(rec["current_node"], str) and "," in rec["current_node"]
    }
    assert running == EXPECTED_PARALLEL_COMPLAINTS


def _closed(template: str) -> set[str]:
    return {case for case, state in _expected_cases(template).items() if state.startswith("closed")}
