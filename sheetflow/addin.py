"""What the ribbon's buttons do (macros/SheetflowRibbon.bas -> `run_button`), SPEC §9.

Each function takes an `xw.Book` (the desktop add-in's `xw.Book.caller()`, or the remote
engine's `xw.Book(json=...)` under xlwings Server) and computes through the same pipeline as
the command line: `pipeline.compute` and `layout.build_plan`, rendered by the Excel door. Every
outcome ends in one message box in the workbook's language; an error becomes a message box with
its one-line cause, never a traceback dialog.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sheetflow import pipeline
from sheetflow.core import i18n
from sheetflow.core.plan import OutputPlan
from sheetflow.core.report import Report
from sheetflow.core.workbook import Workbook
from sheetflow.errors import SheetflowError
from sheetflow.io.excel import ExcelDoor

MARKS_SHEET = "_sheetflow_marks"  # hidden: the cells the last validation marked
MARK_FILL = "#ffc7ce"  # light red
SET_COLORS_LIMIT = 10_000


@dataclass
class Outcome:
    """What a button did: the message shown and the counts behind it (for tests and scripts)."""

    message: str
    ok: bool = True
    counts: dict[str, object] = dataclasses.field(default_factory=dict)


def _status(book, text: str | bool) -> None:  # noqa: ANN001
    """The status bar, where the engine has one (the remote engine has none)."""
    try:
        book.app.status_bar = text
    except (NotImplementedError, AttributeError):
        pass


def _alert(book, message: str, lang: str) -> None:  # noqa: ANN001
    book.app.alert(message, i18n.text("addin.title", lang))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    cause = text[0] if text else ""
    if isinstance(exc, SheetflowError):
        return cause
    return f"{type(exc).__name__}: {cause}" if cause else type(exc).__name__


def _button(name: str) -> Callable:
    """Status bar while working, a message box at the end, errors as one line."""

    def wrap(work: Callable[[ExcelDoor, Workbook, str | None], tuple[str, dict]]) -> Callable:
        def run(book, as_of: str | None = None) -> Outcome:  # noqa: ANN001
            lang = i18n.EN
            _status(book, i18n.text(f"addin.working.{name}", lang))
            try:
                door = ExcelDoor(book)
                workbook = door.read()
                lang = workbook.language
                message, counts = work(door, workbook, as_of)
                outcome = Outcome(message, True, counts)
            except Exception as exc:  # noqa: BLE001 - every failure becomes one message box
                outcome = Outcome(i18n.text("addin.error", lang, cause=_one_line(exc)), False)
            finally:
                _status(book, False)
            _alert(book, outcome.message, lang)
            return outcome

        run.__name__ = name
        run.__doc__ = work.__doc__
        return run

    return wrap


def _compute(workbook: Workbook, as_of: str | None) -> Report:
    return pipeline.compute(workbook, pipeline.resolve_as_of(workbook, as_of))


def _plan(report: Report) -> OutputPlan:
    from sheetflow.core.layout import build_plan

    return build_plan(report)


def _as_of_text(report: Report) -> str:
    return pd.Timestamp(report.as_of).strftime("%Y-%m-%d %H:%M")


# -- error marks ------------------------------------------------------------------------------


def _split_cell(cell: str) -> tuple[str, str]:
    title, _, address = cell.rpartition("!")
    return title.strip("'").replace("''", "'"), address


def _previous_marks(door: ExcelDoor) -> list[tuple[str, str]]:
    rows = door.raw.get(MARKS_SHEET) or []
    return [(str(r[0]), str(r[1])) for r in rows[1:] if len(r) >= 2 and r[0] and r[1]]


def _column_runs(addresses: list[str], book_sheet) -> list:  # noqa: ANN001
    """Ranges of one sheet grouped per column in runs of consecutive rows (one action each)."""
    by_column: dict[int, list[int]] = defaultdict(list)
    for address in addresses:
        rng = book_sheet.range(address)
        by_column[rng.column].append(rng.row)
    out = []
    for column, rows in sorted(by_column.items()):
        rows = sorted(set(rows))
        top = rows[0]
        while rows:
            span = [r for r in rows if r < top + SET_COLORS_LIMIT]
            rows = rows[len(span) :]
            marked = set(span)
            out.append((book_sheet.range((top, column), (span[-1], column)), top, marked))
            top = rows[0] if rows else top
    return out


def _paint(book, marks: dict[str, list[str]], colour: str | None, door: ExcelDoor) -> None:  # noqa: ANN001
    """Fill (or unfill) exactly the given cells, one set_colors call per column run."""
    titles = {s.name for s in book.sheets}
    for title, addresses in marks.items():
        if title not in titles:
            continue
        sheet = book.sheets[title]
        for rng, top, marked in _column_runs(addresses, sheet):
            rows = range(top, top + rng.shape[0])
            rng.set_colors([[colour if r in marked else ...] for r in rows])
            door.actions += 1


def _clear_marks(book, door: ExcelDoor) -> int:  # noqa: ANN001
    previous = _previous_marks(door)
    by_sheet: dict[str, list[str]] = defaultdict(list)
    for title, address in previous:
        by_sheet[title].append(address)
    _paint(book, by_sheet, None, door)
    titles = {s.name for s in book.sheets}
    for title, address in previous:
        if title in titles:
            note = book.sheets[title].range(address).note
            if note is not None:
                note.delete()
                door.actions += 1
    _write_marks(book, door, [])
    return len(previous)


def _write_marks(book, door: ExcelDoor, marks: list[tuple[str, str]]) -> None:  # noqa: ANN001
    titles = [s.name for s in book.sheets]
    if MARKS_SHEET in titles:
        sheet = book.sheets[MARKS_SHEET]
        sheet.clear_contents()
    elif not marks:
        return
    else:
        sheet = book.sheets.add(MARKS_SHEET, after=book.sheets[len(titles) - 1])
        sheet.visible = False
    rows = [["sheet", "cell"], *[[t, a] for t, a in marks]]
    sheet.range((1, 1), (len(rows), 2)).value = rows


def _mark_errors(book, door: ExcelDoor, report: Report) -> int:  # noqa: ANN001
    """Light-red fill and a note on every cell with an error finding; returns the count."""
    messages: dict[tuple[str, str], list[str]] = defaultdict(list)
    for finding in report.findings:
        if finding.severity == "error" and finding.cell and finding.row:
            title, address = _split_cell(finding.cell)
            messages[(title, address)].append(finding.message)
    by_sheet: dict[str, list[str]] = defaultdict(list)
    for title, address in messages:
        by_sheet[title].append(address)
    _paint(book, by_sheet, MARK_FILL, door)
    for (title, address), texts in messages.items():
        rng = book.sheets[title].range(address)
        try:
            if rng.note is not None:
                rng.note.delete()
            rng.add_note("Sheetflow: " + "\n".join(dict.fromkeys(texts)))
            door.actions += 1
        except NotImplementedError:  # an engine without notes: the fill and Validation remain
            break
    _write_marks(book, door, list(messages))
    return len(messages)


# -- the buttons ------------------------------------------------------------------------------


@_button("validate")
def validate(door: ExcelDoor, workbook: Workbook, as_of: str | None) -> tuple[str, dict]:
    """Check every input sheet; mark each error cell (fill + note), clearing earlier marks."""
    report = _compute(workbook, as_of)
    book = door.book
    cleared = _clear_marks(book, door)
    marked = _mark_errors(book, door, report)
    counts = {"errors": report.errors, "warnings": report.warnings, "marked": marked}
    counts["cleared"] = cleared
    text = i18n.text(
        "addin.done.validate", workbook.language, **{k: counts[k] for k in counts if k != "cleared"}
    )
    return text, counts


@_button("clear_marks")
def clear_marks(door: ExcelDoor, workbook: Workbook, as_of: str | None) -> tuple[str, dict]:
    """Remove the fills and notes the last validation put on error cells."""
    cleared = _clear_marks(door.book, door)
    return i18n.text("addin.done.clear_marks", workbook.language, cleared=cleared), {
        "cleared": cleared
    }


@_button("refresh")
def refresh(door: ExcelDoor, workbook: Workbook, as_of: str | None) -> tuple[str, dict]:
    """Compute and write everything: computed columns and the owned sheets (SPEC §5)."""
    report = _compute(workbook, as_of)
    plan = _plan(report)
    door.write(plan)
    sheets = ", ".join(s.title for s in plan.sheets)
    counts = {
        "errors": report.errors,
        "warnings": report.warnings,
        "overdue": len(report.overdue),
        "actions": door.actions,
    }
    text = i18n.text(
        "addin.done.refresh",
        workbook.language,
        as_of=_as_of_text(report),
        sheets=sheets,
        errors=report.errors,
        warnings=report.warnings,
        overdue=len(report.overdue),
    )
    return text, counts


def _partial(plan: OutputPlan, patches: set[str], sheets: set[str]) -> OutputPlan:
    return dataclasses.replace(
        plan,
        patches=tuple(p for p in plan.patches if p.sheet in patches),
        sheets=tuple(s for s in plan.sheets if s.name in sheets),
        retired=(),
    )


@_button("route")
def route(door: ExcelDoor, workbook: Workbook, as_of: str | None) -> tuple[str, dict]:
    """Route cases to approvers: the approver columns of Cases and the Routing sheet."""
    report = _compute(workbook, as_of)
    plan = _partial(_plan(report), {"Cases"}, {"Routing"})
    door.write(plan)
    cases = int(report.routes["case_id"].nunique()) if not report.routes.empty else 0
    counts = {"routes": len(report.routes), "cases": cases, "errors": report.errors}
    sheet = plan.sheets[0].title if plan.sheets else workbook.title("Routing")
    return i18n.text("addin.done.route", workbook.language, sheet=sheet, **counts), counts


@_button("overdue")
def overdue(door: ExcelDoor, workbook: Workbook, as_of: str | None) -> tuple[str, dict]:
    """List open work over its limit, worst first, on the Overdue sheet."""
    report = _compute(workbook, as_of)
    plan = _partial(_plan(report), set(), {"Overdue"})
    door.write(plan)
    sheet = plan.sheets[0].title if plan.sheets else workbook.title("Overdue")
    counts = {"overdue": len(report.overdue)}
    text = i18n.text(
        "addin.done.overdue",
        workbook.language,
        overdue=len(report.overdue),
        as_of=_as_of_text(report),
        sheet=sheet,
    )
    return text, counts


BUTTONS: dict[str, Callable] = {
    "validate": validate,
    "clear_marks": clear_marks,
    "refresh": refresh,
    "route": route,
    "overdue": overdue,
}


def run_button(button_id: str) -> Outcome:
    """The ribbon's entry point (RunPython): run the button `button_id` on the calling book."""
    import xlwings as xw

    book = xw.Book.caller()
    action = BUTTONS.get(button_id)
    if action is None:
        message = i18n.text(
            "addin.error",
            i18n.EN,
            cause=i18n.text("addin.unknown_button", i18n.EN, button=button_id),
        )
        _alert(book, message, i18n.EN)
        return Outcome(message, False)
    return action(book)
