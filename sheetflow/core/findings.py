"""Findings (SPEC §7): validation problems as data, collected at once, in the book's language."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core import schema
from sheetflow.core.workbook import Workbook, column_letter

ERROR = "error"
WARNING = "warning"

SEVERITY: dict[str, str] = {
    "missing_sheet": ERROR,
    "missing_column": ERROR,
    "required": ERROR,
    "bad_number": ERROR,
    "bad_date": ERROR,
    "bad_value": ERROR,
    "duplicate": ERROR,
    "unknown_case": ERROR,
    "unknown_node": ERROR,
    "unknown_person": ERROR,
    "end_before_start": ERROR,
    "future_time": WARNING,
    "out_of_order": WARNING,
    "skipped_required": ERROR,
    "overlapping_rules": ERROR,
    "no_rule": ERROR,
    "deputy_cycle": ERROR,
    "calendar_gap": WARNING,
    "name_taken": WARNING,
}

# code -> (English, Chinese). Each says what is wrong and what to do; {detail} is filled per check.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_sheet": (
        "the workbook has no '{detail}' sheet; add it (see the template)",
        "工作簿缺少“{detail}”工作表，请按模板添加",
    ),
    "missing_column": (
        "the sheet has no '{detail}' column; add it to the header row",
        "缺少“{detail}”列，请在表头行添加",
    ),
    "required": ("this cell is required; fill it in", "此单元格为必填项，请填写"),
    "bad_number": ("not a number; enter a number{detail}", "不是数字，请填写数字{detail}"),
    "bad_date": (
        "not a date/time; enter an Excel date or text like 2024-05-01 09:30",
        "不是日期时间，请填写Excel日期或如 2024-05-01 09:30 的文本",
    ),
    "bad_value": ("not an allowed value; use one of: {detail}", "不是允许的值，可选：{detail}"),
    "duplicate": ("{detail}", "{detail}"),
    "unknown_case": (
        "no case with this id in the Cases sheet; fix the id or add the case",
        "工单表中没有此编号，请更正编号或补录工单",
    ),
    "unknown_node": (
        "no node with this name in the Process sheet; use one of: {detail}",
        "流程定义中没有此节点，可选：{detail}",
    ),
    "unknown_person": (
        "no person with this name in the People sheet; fix the name or add the person",
        "人员表中没有此人，请更正姓名或补录人员",
    ),
    "end_before_start": (
        "end is before start ({detail}); correct one of the two times",
        "结束时间早于开始时间（{detail}），请更正",
    ),
    "future_time": (
        "time is after as-of {detail}; check the date (typo in year or month?)",
        "时间晚于统计时点 {detail}，请核对日期",
    ),
    "out_of_order": (
        "started before predecessor {detail} ended; check the times or the Process order",
        "在前置节点{detail}结束前已开始，请核对时间或流程顺序",
    ),
    "skipped_required": (
        "required node '{detail}' has no ended row although a later node has ended; "
        "log it or mark the node not required",
        "必经节点“{detail}”没有完成记录，但后续节点已完成；请补录或将该节点设为非必经",
    ),
    "overlapping_rules": ("{detail}", "{detail}"),
    "no_rule": (
        "no approval rule matches this case ({detail}); add a rule or a catch-all row",
        "没有审批规则匹配此工单（{detail}），请添加规则或兜底行",
    ),
    "name_taken": (
        "{detail}",
        "{detail}",
    ),
    "deputy_cycle": (
        "deputies of away people loop: {detail}; give one of them a deputy who is present",
        "休假代理人形成循环：{detail}；请为其中一人指定在岗代理人",
    ),
    "calendar_gap": (
        "no Calendar row in {detail} although Log times fall in it, so its public holidays count "
        "as working time; add them with: sheetflow calendar BOOK --years {detail}",
        "工作日历中没有 {detail} 年的日期，但执行记录的时间落在该年，其法定节假日会被算作工作时间；"
        "请运行 sheetflow calendar BOOK --years {detail} 补充",
    ),
}


@dataclass(frozen=True)
class Finding:
    sheet: str
    row: int | None
    column: str | None
    value: object
    code: str
    message: str
    severity: str
    cell: str | None = None  # "Log!E17", for people and for the add-in to select

    def to_json(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": json_value(self.value),
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
            "cell": self.cell,
        }


def json_value(value: object) -> object:
    """A cell value as JSON can carry it: ISO datetimes, no NaN."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _quote(sheet: str) -> str:
    return f"'{sheet}'" if any(ch in sheet for ch in " -!'") else sheet


class Findings:
    """Collects findings for one workbook; messages come out in the workbook's language."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.items: list[Finding] = []

    def _message(self, code: str, detail: str) -> str:
        en, zh = MESSAGES[code]
        template = zh if self.book.language == schema.ZH else en
        return template.format(detail=detail)

    def add(
        self,
        sheet: str,
        row: int | None,
        column: str | None,
        value: object,
        code: str,
        detail: str = "",
        severity: str | None = None,
    ) -> None:
        """Add one finding; `sheet` and `column` are canonical names (mapped to the file's)."""
        table = self.book.table(sheet)
        title = self.book.title(sheet) if sheet in schema.SHEETS_BY_NAME else sheet
        header: str | None = None
        cell: str | None = None
        if column is not None:
            ref = table.ref(column) if table is not None else None
            header = ref.header if ref is not None else column
            if ref is not None and row is not None:
                cell = f"{_quote(title)}!{column_letter(ref.index)}{row}"
        elif row is not None:
            cell = f"{_quote(title)}!A{row}"
        self.items.append(
            Finding(
                title,
                int(row) if row is not None else None,
                header,
                json_value(value),
                code,
                self._message(code, detail),
                severity or SEVERITY[code],
                cell,
            )
        )

    def add_rows(
        self,
        sheet: str,
        column: str,
        values: pd.Series,
        code: str,
        detail: str | pd.Series = "",
    ) -> None:
        """Add one finding per row of `values` (index = Excel row); details per row or shared."""
        details = detail if isinstance(detail, pd.Series) else None
        for row, value in values.items():
            text = str(details.loc[row]) if details is not None else str(detail)
            self.add(sheet, int(row), column, value, code, text)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.items if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.items if f.severity == WARNING)

    def sorted(self) -> list[Finding]:
        order = {title: i for i, title in enumerate(self.book.titles)}
        return sorted(
            self.items,
            key=lambda f: (
                f.severity != ERROR,
                f.row is not None,
                order.get(f.sheet, len(order)),
                f.row or 0,
                f.column or "",
            ),
        )
