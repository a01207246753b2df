"""Build the generated half of the preservation corpus at test time (SOURCES.md lists both).

Each builder writes a workbook holding sheetflow's input sheets, copied from the committed
template `workbooks/complaints_<lang>.xlsx`, plus the things real teams keep in such a book:
a chart, a picture, x14 data bars, notes, data validation, defined names, hyperlinks, a table,
sheet protection, a sheet of formulas over `Log` and a formula with its cached value in `Log`.
Many of them sit on `Log` and `Cases` themselves, the sheets sheetflow patches.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "workbooks"
INPUT_SHEETS = 9  # the template's sheets after "How to use": Process … Settings


def input_sheets(lang: str = "en") -> dict[str, list[list[object]]]:
    """Sheet title -> rows of every input sheet of the complaints template, values only."""
    book = openpyxl.load_workbook(TEMPLATES / f"complaints_{lang}.xlsx")
    sheets = {}
    for ws in book.worksheets[1 : 1 + INPUT_SHEETS]:
        rows = [list(row) for row in ws.iter_rows(values_only=True)]
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        sheets[ws.title] = rows
    return sheets


def png_bytes(width: int = 24, height: int = 16) -> bytes:
    """A small valid RGB PNG (a colour gradient), made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(
        b"\x00" + b"".join(bytes((10 * x % 256, 12 * y % 256, 160)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _names(lang: str) -> dict[str, str]:
    if lang == "zh":
        return {"process": "流程定义", "cases": "工单", "log": "执行记录", "people": "人员"}
    return {"process": "Process", "cases": "Cases", "log": "Log", "people": "People"}


def build_xlsxwriter(path: Path, lang: str = "en") -> Path:
    """A workbook written by XlsxWriter with every feature listed in the module docstring."""
    import xlsxwriter

    sheets = input_sheets(lang)
    names = _names(lang)
    book = xlsxwriter.Workbook(str(path))
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    image = path.with_suffix(".png")
    image.write_bytes(png_bytes())
    for title, rows in sheets.items():
        ws = book.add_worksheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if r == 0:
                    ws.write(r, c, value, bold)
                elif hasattr(value, "year"):
                    ws.write_datetime(r, c, value, date_format)
                else:
                    ws.write(r, c, value)
        ws.set_column(0, len(rows[0]) - 1, 14)
        if title == names["log"]:
            last = len(rows)
            ws.autofilter(0, 0, last - 1, len(rows[0]) - 1)
            ws.freeze_panes(1, 0)
            ws.write_comment("A2", "Checked with the customer on the phone", {"author": "Ann"})
            ws.data_validation(
                1, 1, last - 1, 1, {"validate": "list", "source": f"={names['process']}!$A$2:$A$7"}
            )
            ws.write_url("F3", "https://example.com/tickets/CP-001", string="ticket CP-001")
            # a user formula in the note column, with the value Excel would have cached
            ws.write_formula("F4", '=A4&" / "&B4', None, f"{rows[3][0]} / {rows[3][1]}")
            ws.conditional_format(1, 3, last - 1, 3, {"type": "data_bar", "data_bar_2010": True})
            ws.insert_image("H2", str(image), {"x_scale": 2, "y_scale": 2})
        if title == names["cases"]:
            last = len(rows)
            bars = {"type": "data_bar", "data_bar_2010": True, "bar_color": "#63C384"}
            ws.conditional_format(1, 6, last - 1, 6, bars)
            ws.write_comment("C2", "Customer called twice", {"author": "Ann"})
        if title == names["process"]:
            ws.protect("", {"format_columns": True})
    book.define_name("CaseIds", f"={names['cases']}!$A$2:$A${len(sheets[names['cases']])}")
    book.define_name(f"{names['log']}!OpenRows", f"={names['log']}!$E$2:$E$79")

    log, cases = names["log"], names["cases"]
    report = book.add_worksheet("Report")
    report.write_row(0, 0, ["measure", "value"], bold)
    formulas = [
        ("log rows", f"=COUNTA({log}!A:A)-1", len(sheets[log]) - 1),
        ("open rows", f'=COUNTIFS({log}!A:A,"<>",{log}!E:E,"")-1', 0),
        ("first start", f"=MIN({log}!D:D)", 0),
        ("cases", "=ROWS(CaseIds)", len(sheets[cases]) - 1),
    ]
    for r, (label, formula, value) in enumerate(formulas, start=1):
        report.write(r, 0, label)
        report.write_formula(r, 1, formula, None, value)
    report.write_url("A7", f"internal:'{log}'!A1", string="go to the log")
    report.add_table(
        "D1:E4",
        {
            "name": "Targets",
            "columns": [{"header": "kpi"}, {"header": "target"}],
            "data": [["on time", 0.9], ["overdue", 0.05], ["satisfied", 0.8]],
        },
    )
    chart = book.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "amount",
            "categories": f"={cases}!$A$2:$A$17",
            "values": f"={cases}!$G$2:$G$17",
        }
    )
    chart.set_title({"name": "Amount per case"})
    report.insert_chart("A10", chart)
    report.insert_image("H10", str(image))
    book.close()
    image.unlink()
    return path


def build_openpyxl(path: Path, lang: str = "en") -> Path:
    """The same kind of workbook written by openpyxl (legacy VML notes, a table on Cases)."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table, TableStyleInfo

    sheets = input_sheets(lang)
    names = _names(lang)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = openpyxl.styles.Font(bold=True)
    log, cases, process = book[names["log"]], book[names["cases"]], book[names["process"]]
    n_log, n_cases = log.max_row, cases.max_row
    log.freeze_panes = "A2"
    log.auto_filter.ref = f"A1:F{n_log}"
    log["A2"].comment = Comment("Checked with the customer", "Ann")
    validation = DataValidation(type="list", formula1=f"{names['process']}!$A$2:$A$7")
    validation.add(f"B2:B{n_log}")
    log.add_data_validation(validation)
    log["F3"].hyperlink = "https://example.com/tickets/CP-001"
    log["F4"] = '=A4&" / "&B4'
    cases.add_table(
        Table(
            displayName="CaseTable",
            ref=f"A1:I{n_cases}",
            tableStyleInfo=TableStyleInfo(name="TableStyleMedium2", showRowStripes=True),
        )
    )
    cases["C2"].comment = Comment("Customer called twice", "Ann")
    process.protection.sheet = True
    book.defined_names["CaseIds"] = DefinedName(
        "CaseIds", attr_text=f"{names['cases']}!$A$2:$A${n_cases}"
    )
    report = book.create_sheet("Report")
    report.append(["measure", "value"])
    report.append(["log rows", f"=COUNTA({names['log']}!A:A)-1"])
    report.append(["open rows", f'=COUNTIFS({names["log"]}!A:A,"<>",{names["log"]}!E:E,"")'])
    report.append(["cases", "=ROWS(CaseIds)"])
    report["A6"] = "go to the log"
    report["A6"].hyperlink = f"#'{names['log']}'!A1"
    chart = BarChart()
    chart.title = "Amount per case"
    chart.add_data(Reference(cases, min_col=7, min_row=1, max_row=n_cases), titles_from_data=True)
    chart.set_categories(Reference(cases, min_col=1, min_row=2, max_row=n_cases))
    report.add_chart(chart, "A10")
    image = path.with_suffix(".png")
    image.write_bytes(png_bytes())
    report.add_image(Image(str(image)), "H10")
    book.save(path)
    image.unlink()
    return path


def soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def run_soffice(
    args: list[str], workdir: Path, profile_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run LibreOffice headless with a private profile (no clash with other sessions); pass
    the same `profile_dir` to later runs to skip making a new profile (seconds each)."""
    program = soffice()
    assert program is not None
    profile = (profile_dir or workdir / "lo-profile").as_uri()
    return subprocess.run(
        [program, f"-env:UserInstallation={profile}", "--headless", "--norestore", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=240,
    )


def build_libreoffice(path: Path, workdir: Path) -> Path:
    """A workbook saved by LibreOffice Calc: the XlsxWriter book opened and saved again."""
    source = build_xlsxwriter(workdir / "lo-source.xlsx")
    outdir = workdir / "lo-out"
    done = run_soffice(
        ["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(source)],
        workdir,
        workdir.parent / "lo-profile",
    )
    produced = outdir / source.name
    assert produced.is_file(), f"LibreOffice wrote no workbook: {done.stdout} {done.stderr}"
    shutil.move(produced, path)
    return path
