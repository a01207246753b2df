"""`refresh` in place keeps everything of the user's (issue #7, "Done means").

For every workbook of the corpus (tests/io/corpus/SOURCES.md) a copy is refreshed in place with
`sheetflow.cli.main`, then checked against the original with readers that are not sheetflow's:
zip parts byte for byte, cells through openpyxl and calamine, the owned sheets read back, a
second refresh, and LibreOffice opening the result.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import warnings
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tests.helpers import AS_OF
from tests.io import corpus_build
from tests.io.conftest import Corpus, corpus_params, has_inputs, sheetflow
from tests.io.package import (
    OWNED_SHEETS,
    Package,
    computed_header,
    owned_kind,
    parts_owned,
    patched_kind,
    style_entries,
    user_sheet_xml,
    without_timestamps,
)

CORPUS = corpus_params()


def refreshed_ok(corpus: Corpus, name: str) -> Path:
    """The in-place result, after checking the refresh ran (exit 0, or 1 for findings)."""
    path, runs = corpus.refreshed(name)
    run = runs[0]
    assert run.code in (0, 1), f"refresh in place exited {run.code}: {run.stderr.strip()}"
    return path


def normal(value: object) -> object:
    """One comparable form for a cell value whatever the reader (float noise, empty text)."""
    if value == "" or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(float(value), 6) if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    if isinstance(value, dt.time | dt.date | dt.timedelta):
        return value
    return str(value)


def openpyxl_cells(path: Path, data_only: bool) -> dict[str, dict[tuple[int, int], object]]:
    """Sheet title -> {(row, column): value} of every non-empty cell, as openpyxl reads it."""
    with warnings.catch_warnings():  # "extension is not supported": we only read values
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    try:
        sheets = {}
        for ws in book.worksheets:
            cells = {}
            for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
                for c, value in enumerate(row, start=1):
                    if normal(value) is not None:
                        cells[(r, c)] = normal(value)
            sheets[ws.title] = cells
        return sheets
    finally:
        book.close()


def calamine_cells(path: Path) -> dict[str, dict[tuple[int, int], object]]:
    """The same through calamine (values only; it reports cached values of formulas)."""
    book = CalamineWorkbook.from_path(str(path))
    sheets = {}
    for title in book.sheet_names:
        sheet = book.get_sheet_by_name(title)
        rows = sheet.to_python(skip_empty_area=False)
        cells = {}
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if normal(value) is not None:
                    cells[(r, c)] = normal(value)
        sheets[title] = cells
    book.close()
    return sheets


def user_cells(title: str, cells: dict[tuple[int, int], object]) -> dict[tuple[int, int], object]:
    """The cells of a sheet that belong to the user: all of them, but for Log/Cases only the
    columns whose header is not one of sheetflow's computed columns."""
    if not patched_kind(title):
        return cells
    computed = {c for (r, c), value in cells.items() if r == 1 and computed_header(value)}
    return {(r, c): v for (r, c), v in cells.items() if c not in computed}


def computed_cells(title: str, cells: dict[tuple[int, int], object]) -> dict[str, list[object]]:
    """Header -> values (rows 2…) of the computed columns of Log/Cases."""
    headers = {c: v for (r, c), v in cells.items() if r == 1 and computed_header(v)}
    last = max((r for r, _ in cells), default=1)
    return {
        str(header): [cells.get((r, c)) for r in range(2, last + 1)]
        for c, header in headers.items()
    }


def compare_user_sheets(before: dict, after: dict) -> list[str]:
    problems = []
    for title, cells in before.items():
        if owned_kind(title):
            continue
        if title not in after:
            problems.append(f"sheet {title!r} is gone")
            continue
        old, new = user_cells(title, cells), user_cells(title, after[title])
        for key in sorted(old.keys() | new.keys()):
            if old.get(key) != new.get(key):
                cell = f"{openpyxl.utils.get_column_letter(key[1])}{key[0]}"
                problems.append(f"{title}!{cell}: {old.get(key)!r} -> {new.get(key)!r}")
    return problems


@pytest.mark.parametrize("name", CORPUS)
def test_refresh_in_place_exits_with_the_validation_outcome(corpus: Corpus, name: str) -> None:
    path, runs = corpus.refreshed(name)
    run = runs[0]
    expected = 0 if has_inputs(name) else 1  # a book without Process/Cases/Log has errors
    assert run.code == expected, f"exit {run.code}: {run.stderr.strip()}"
    assert run.stderr == ""


@pytest.mark.parametrize("name", CORPUS)
def test_every_part_sheetflow_does_not_own_is_byte_identical(corpus: Corpus, name: str) -> None:
    before = Package.open(corpus.original(name))
    after = Package.open(refreshed_ok(corpus, name))
    owned = parts_owned(before, after)
    kept = sorted(set(before.parts) - owned)
    assert kept, "the corpus workbook should have parts that are not sheetflow's"
    missing = [n for n in kept if n not in after.parts]
    changed = [
        n
        for n in kept
        if n in after.parts and after.parts[n] != unselected(n, before.parts[n], after.parts[n])
    ]
    assert (missing, changed) == ([], []), f"dropped: {missing}; changed: {changed}"


SELECTED = re.compile(rb'(<(?:\w+:)?sheetView\b[^>]*?)\s+tabSelected="(?:1|true)"')


def unselected(name: str, before: bytes, after: bytes) -> bytes:
    """The one change allowed in a user's sheet: it is no longer the selected tab.

    The refreshed workbook opens on Summary; a user's sheet that stayed selected as well would
    make Excel group the two sheets (an edit in one would go into both).
    """
    if name.startswith("xl/worksheets/") and SELECTED.search(before):
        candidate = SELECTED.sub(rb"\1", before, count=1)
        if candidate == after:
            return candidate
    return before


@pytest.mark.parametrize("name", CORPUS)
def test_refresh_adds_no_part_outside_its_own(corpus: Corpus, name: str) -> None:
    before = Package.open(corpus.original(name))
    after = Package.open(refreshed_ok(corpus, name))
    added = set(after.parts) - set(before.parts)
    assert sorted(added - parts_owned(before, after)) == []


INPUT_BOOKS = [p for p in CORPUS if has_inputs(p.values[0])]


@pytest.mark.parametrize("name", INPUT_BOOKS)
def test_log_and_cases_keep_every_element_of_the_user(corpus: Corpus, name: str) -> None:
    before, after = Package.open(corpus.original(name)), Package.open(refreshed_ok(corpus, name))
    headers_before = calamine_cells(corpus.original(name))
    headers_after = calamine_cells(refreshed_ok(corpus, name))
    patched = [(title, part) for title, part in before.sheets() if patched_kind(title)]
    assert len(patched) == 2
    for title, part in patched:
        computed_before = {
            c for (r, c), v in headers_before[title].items() if r == 1 and computed_header(v)
        }
        computed_after = {
            c for (r, c), v in headers_after[title].items() if r == 1 and computed_header(v)
        }
        assert part in after.parts, f"{title} ({part}) is gone"
        old = user_sheet_xml(before.parts[part], computed_before | computed_after)
        new = user_sheet_xml(after.parts[part], computed_before | computed_after)
        first = next(
            (i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new))
        )
        assert old == new, (
            f"{title} ({part}) changed from top-level element {first}: "
            f"{old[first][:300] if first < len(old) else None!r} -> "
            f"{new[first][:300] if first < len(new) else None!r}"
        )


@pytest.mark.parametrize("name", CORPUS)
def test_styles_keep_every_original_entry_at_its_index(corpus: Corpus, name: str) -> None:
    before, after = Package.open(corpus.original(name)), Package.open(refreshed_ok(corpus, name))
    styles = next(p for p in before.owned_parts() if p.endswith("styles.xml"))
    old, new = style_entries(before.parts[styles]), style_entries(after.parts[styles])
    for collection, entries in old.items():
        # cells, conditional formats and tables point at entries by position: append only
        assert new[collection][: len(entries)] == entries, f"{collection} of {styles} reordered"


@pytest.mark.parametrize("name", CORPUS)
def test_user_cells_unchanged_through_openpyxl(corpus: Corpus, name: str) -> None:
    after_path = refreshed_ok(corpus, name)
    for data_only in (False, True):  # formulas as written, then their cached values
        before = openpyxl_cells(corpus.original(name), data_only)
        after = openpyxl_cells(after_path, data_only)
        assert compare_user_sheets(before, after) == [], f"data_only={data_only}"


@pytest.mark.parametrize("name", CORPUS)
def test_user_cells_unchanged_through_calamine(corpus: Corpus, name: str) -> None:
    after = calamine_cells(refreshed_ok(corpus, name))
    before = calamine_cells(corpus.original(name))
    assert compare_user_sheets(before, after) == []


@pytest.mark.parametrize("name", CORPUS)
def test_owned_sheets_read_back_with_both_readers(corpus: Corpus, name: str) -> None:
    path = refreshed_ok(corpus, name)
    validate = sheetflow(
        "validate", str(corpus.original(name)), "--as-of", AS_OF, "--format", "json"
    )
    findings = json.loads(validate.stdout)["findings"]
    by_calamine = calamine_cells(path)
    by_openpyxl = openpyxl_cells(path, data_only=True)
    for reader, sheets in (("calamine", by_calamine), ("openpyxl", by_openpyxl)):
        kinds = {owned_kind(t): t for t in sheets if owned_kind(t)}
        assert set(kinds) == set(OWNED_SHEETS), f"{reader} sees owned sheets {sorted(kinds)}"
        summary = sheets[kinds["Summary"]]
        assert len(summary) > 4, f"{reader}: Summary is (nearly) empty"
        rows = {r for r, _ in sheets[kinds["Validation"]]}
        assert len(rows - {1}) == len(findings), f"{reader}: Validation rows vs findings"
    if has_inputs(name):
        overdue = sheetflow(
            "overdue", str(corpus.original(name)), "--as-of", AS_OF, "--format", "json"
        )
        items = json.loads(overdue.stdout)["items"]
        kinds = {owned_kind(t): t for t in by_calamine if owned_kind(t)}
        rows = {r for r, _ in by_calamine[kinds["Overdue"]]}
        assert len(rows - {1}) == len(items)


@pytest.mark.parametrize("name", INPUT_BOOKS)
def test_computed_columns_match_refresh_out(corpus: Corpus, name: str) -> None:
    path = refreshed_ok(corpus, name)
    reference, run = corpus.reference(name)
    assert run.code in (0, 1), run.stderr
    expected = calamine_cells(reference)
    overdue = sheetflow("overdue", str(corpus.original(name)), "--as-of", AS_OF, "--format", "json")
    late = {(i["case_id"], i["node"]) for i in json.loads(overdue.stdout)["items"]}
    readers = {"calamine": calamine_cells, "openpyxl": lambda p: openpyxl_cells(p, True)}
    for reader, read in readers.items():
        sheets = read(path)
        for title, cells in sheets.items():
            kind = patched_kind(title)
            if not kind:
                continue
            got = computed_cells(title, cells)
            want = computed_cells(title, expected[title])
            assert len(got) == len(want) > 0, f"{reader}: {title} computed columns {list(got)}"
            assert got == want, f"{reader}: {title} computed values differ from refresh --out"
            if kind == "Log":
                status = next(h for h in got if h in ("Status", "status", "状态"))
                marked = {
                    (cells.get((r, 1)), cells.get((r, 2)))
                    for r, value in enumerate(got[status], start=2)
                    if value in ("Overdue", "overdue", "超时")
                }
                assert marked == late, f"{reader}: overdue rows vs `sheetflow overdue`"


@pytest.mark.parametrize("name", CORPUS)
def test_second_refresh_writes_the_same_parts(corpus: Corpus, name: str) -> None:
    once = Package.open(refreshed_ok(corpus, name))
    path, runs = corpus.refreshed(name, times=2)
    assert [r.code for r in runs] == [runs[0].code] * 2, runs[-1].stderr
    twice = Package.open(path)
    assert sorted(twice.parts) == sorted(once.parts)
    differ = {
        n: f"{len(once.parts[n])} -> {len(twice.parts[n])} bytes"
        for n in once.parts
        if without_timestamps(n, once.parts[n]) != without_timestamps(n, twice.parts[n])
    }
    assert differ == {}, f"parts the second refresh wrote differently: {differ}"


@pytest.mark.skipif(corpus_build.soffice() is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("name", CORPUS)
def test_libreoffice_opens_the_result(corpus: Corpus, name: str, tmp_path: Path) -> None:
    path = refreshed_ok(corpus, name)
    book = tmp_path / ("book" + path.suffix)
    book.write_bytes(path.read_bytes())
    profile = corpus.root / "lo-profile"
    pdf = corpus_build.run_soffice(
        ["--convert-to", "pdf", "--outdir", "pdf", book.name], tmp_path, profile
    )
    assert (tmp_path / "pdf" / "book.pdf").stat().st_size > 1000, pdf.stderr
    # every sheet to its own UTF-8 CSV (filter token 12 = -1: all sheets, LibreOffice >= 7.2)
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    done = corpus_build.run_soffice(
        ["--convert-to", csv_filter, "--outdir", "csv", book.name], tmp_path, profile
    )
    written = {p.stem.removeprefix("book-"): p for p in (tmp_path / "csv").glob("*.csv")}
    kinds = {owned_kind(title): p for title, p in written.items() if owned_kind(title)}
    assert set(kinds) == set(OWNED_SHEETS), (sorted(written), done.stderr)
    with kinds["Summary"].open(encoding="utf-8") as handle:
        assert len(list(csv.reader(handle))) > 4
    if has_inputs(name):
        log = next(p for title, p in written.items() if patched_kind(title) == "Log")
        with log.open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert {"Status", "状态"} & set(header), header
