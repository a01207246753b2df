"""Findings (SPEC §7): validation problems as data, collected at once, in the book's language."""

from __future__ import annotations

import datetime as dt
import difflib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core import i18n, schema
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
        "not a date/time; enter an Excel date or text like 2024-05-01 09:30, 2024/05/01 or "
        "2024年5月1日 14时30分",
        "不是日期时间，请填写Excel日期或如 2024-05-01 09:30、2024/05/01、"
        "2024年5月1日 14时30分 的文本",
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


# Reasons: a finding's code stays one of SPEC §7's, its message says more. reason -> (en, zh).
REASONS: dict[str, tuple[str, str]] = {
    "cell_error": (
        "the cell shows the error {detail}; correct the formula or type the value",
        "单元格显示错误值 {detail}，请修正公式或直接填写",
    ),
    "formula_uncalculated": (
        "formula not calculated ({detail}): the file was saved by a program that does not "
        "calculate; open and save it in Excel",
        "公式未计算（{detail}）：文件由不计算公式的程序保存；请在 Excel 中打开并保存",
    ),
    "date_out_of_range": (
        "the date {detail} is outside 1900–2200 (a typo in the year?); correct it",
        "日期 {detail} 不在 1900–2200 年之间（年份输错？），请更正",
    ),
    "date_ambiguous": (
        "'{detail}' could be day/month or month/day; write the year first: 2024-09-05 09:30 "
        "or 2024年9月5日",
        "“{detail}”无法确定日与月的顺序；请先写年份：2024-09-05 09:30 或 2024年9月5日",
    ),
    "date_relative": (
        "'{detail}' has no date (a time alone or a word like 'today' changes with the clock); "
        "write the whole date: 2024-05-01 09:30 or 2024年5月1日 9时30分",
        "“{detail}”没有日期（单独的时间或“今天”之类的词会随时间变化）；请写完整日期："
        "2024-05-01 09:30 或 2024年5月1日 9时30分",
    ),
    "after_itself": (
        "a node cannot come after itself ({detail}); name an earlier node or leave it empty",
        "节点不能以自身为前置节点（{detail}），请填写更早的节点或留空",
    ),
    "away_to_before_from": (
        "away_to is before away_from ({detail}); correct one of the two dates",
        "休假结束早于休假开始（{detail}），请更正其中一个日期",
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


def did_you_mean(value: object, known: list[str], lang: str) -> str:
    """A hint naming the known value closest to `value` (difflib), or "" when none is close."""
    close = difflib.get_close_matches(str(value).strip(), known, n=1, cutoff=0.6)
    return i18n.text("hint.did_you_mean", lang, name=close[0]) if close else ""


def _quote(sheet: str) -> str:
    return f"'{sheet}'" if any(ch in sheet for ch in " -!'") else sheet


class Findings:
    """Collects findings for one workbook; messages come out in the workbook's language."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.items: list[Finding] = []

    def _message(self, code: str, detail: str, reason: str | None = None) -> str:
        en, zh = REASONS[reason] if reason is not None else MESSAGES[code]
        template = zh if self.book.language == schema.ZH else en
        return template.format(detail=detail)

    def _hint(self, hint: str) -> str:
        if not hint:
            return ""
        return ("；" if self.book.language == schema.ZH else "; ") + hint

    def add(
        self,
        sheet: str,
        row: int | None,
        column: str | None,
        value: object,
        code: str,
        detail: str = "",
        severity: str | None = None,
        hint: str = "",
        reason: str | None = None,
    ) -> None:
        """Add one finding; `sheet` and `column` are canonical names (mapped to the file's).

        hint: words appended to the message (a "did you mean", the other rows of the same slip).
        reason: a key of REASONS whose message replaces the code's (the code stays).
        """
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
                self._message(code, detail, reason) + self._hint(hint),
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
        reason: str | None = None,
    ) -> None:
        """Add one finding per row of `values` (index = Excel row); details per row or shared."""
        details = detail if isinstance(detail, pd.Series) else None
        for row, value in values.items():
            text = str(details.loc[row]) if details is not None else str(detail)
            self.add(sheet, int(row), column, value, code, text, reason=reason)

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
