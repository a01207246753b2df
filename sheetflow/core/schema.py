"""The workbook contract of SPEC §1 and §5: sheets, columns, zh/en aliases, types and enums."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sheetflow.core import i18n

EN = "en"
ZH = "zh"
LANGUAGES = (EN, ZH)

# Kinds of cell a column holds; the validator coerces each kind (SPEC §1).
TEXT = "text"
INT = "int"
NUMBER = "number"
DATETIME = "datetime"
DATE = "date"
ENUM = "enum"
LIST = "list"  # comma-separated names


@dataclass(frozen=True)
class Enum:
    """Allowed values of a column: canonical code -> zh label (extra spellings accepted too)."""

    labels: tuple[tuple[str, str], ...]
    aliases: tuple[tuple[str, str], ...] = ()  # extra spelling -> canonical code
    # Catalog prefix of the display labels people read ("status" -> `status.done_late`, "Done
    # late"); without one, English shows the code (inputs keep their SPEC codes as spelling).
    display: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.labels)

    def zh(self, code: str) -> str:
        return dict(self.labels).get(code, code)

    def label(self, code: str, lang: str) -> str:
        key = f"{self.display}.{code}"
        if self.display and i18n.has(key):
            return i18n.text(key, lang)
        return i18n.pick(lang, en=code, zh=self.zh(code))

    def lookup(self) -> dict[str, str]:
        """Every accepted spelling, normalised, -> canonical code."""
        table: dict[str, str] = {}
        for code, zh in self.labels:
            table[normalise_token(code)] = code
            table[normalise_token(zh)] = code
        for code in self.codes if self.display else ():
            table[normalise_token(self.label(code, EN))] = code
        for spelling, code in self.aliases:
            table[normalise_token(spelling)] = code
        return table


PRIORITY = Enum((("normal", "普通"), ("urgent", "紧急"), ("critical", "特急")))
CLOCK = Enum(
    (("business", "工作时间"), ("calendar", "自然时间")),
    aliases=(("工作日", "business"), ("自然日", "calendar")),
)
YES_NO = Enum(
    (("yes", "是"), ("no", "否")),
    aliases=(
        ("y", "yes"),
        ("n", "no"),
        ("true", "yes"),
        ("false", "no"),
        ("1", "yes"),
        ("0", "no"),
    ),
)
DAY_KIND = Enum(
    (("holiday", "休息"), ("workday", "上班")),
    aliases=(
        ("假日", "holiday"),
        ("节假日", "holiday"),
        ("补班", "workday"),
        ("调休上班", "workday"),
    ),
)
EXCEPTION_STATUS = Enum((("approved", "已批准"), ("pending", "待审批"), ("rejected", "已驳回")))
SATISFACTION = Enum(
    (
        ("very_satisfied", "非常满意"),
        ("satisfied", "满意"),
        ("neutral", "一般"),
        ("dissatisfied", "不满意"),
    )
)
HIT_POLICY = Enum(
    (
        ("FIRST", "FIRST"),
        ("UNIQUE", "UNIQUE"),
        ("COLLECT", "COLLECT"),
        ("RULE ORDER", "RULE ORDER"),
    ),
    aliases=(
        ("rule_order", "RULE ORDER"),
        ("首条命中", "FIRST"),
        ("唯一", "UNIQUE"),
        ("全部", "COLLECT"),
        ("会签", "COLLECT"),
        ("f", "FIRST"),  # the DMN letters
        ("u", "UNIQUE"),
        ("c", "COLLECT"),
        ("r", "RULE ORDER"),
    ),
)
# Computed outputs (SPEC §2-3): log row status and case status.
LOG_STATUS = Enum(
    (
        ("done", "已完成"),
        ("done_late", "超时完成"),
        ("overdue", "超时"),
        ("at_risk", "预警"),
        ("on_track", "正常"),
    ),
    display="status",
)
CASE_STATUS = Enum((("open", "处理中"), ("closed", "已结案")), display="case_status")


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    kind: str = TEXT
    required: bool = False
    enum: Enum | None = None
    # English display label of a computed column ("Duration (h)"); inputs keep the SPEC name.
    en: str = ""

    def label(self, lang: str) -> str:
        return i18n.pick(lang, en=self.en or self.name, zh=self.zh)


@dataclass(frozen=True)
class Sheet:
    name: str
    zh: str
    columns: tuple[Column, ...]
    required: bool = False
    # Computed columns sheetflow appends at the right (SPEC §5); never read as input.
    outputs: tuple[Column, ...] = field(default=())

    def label(self, lang: str) -> str:
        return i18n.pick(lang, en=self.name, zh=self.zh)

    def column(self, name: str) -> Column:
        for col in self.columns + self.outputs:
            if col.name == name:
                return col
        raise KeyError(name)


PROCESS = Sheet(
    "Process",
    "流程定义",
    (
        Column("node", "节点", TEXT, required=True),
        Column("seq", "序号", INT, required=True),
        Column("role", "责任岗位", TEXT, required=True),
        Column("sla_hours", "时限小时", NUMBER, required=True),
        Column("clock", "计时方式", ENUM, enum=CLOCK),
        Column("required", "必经", ENUM, enum=YES_NO),
        Column("after", "前置节点", LIST),
        Column("warn_ratio", "预警比例", NUMBER),
    ),
    required=True,
)

CASES = Sheet(
    "Cases",
    "工单",
    (
        Column("case_id", "编号", TEXT, required=True),
        Column("opened_at", "创建时间", DATETIME, required=True),
        Column("title", "标题", TEXT),
        Column("type", "类型", TEXT),
        Column("priority", "紧急程度", ENUM, enum=PRIORITY),
        Column("amount", "金额", NUMBER),
        Column("department", "部门", TEXT),
        Column("satisfaction", "满意度", ENUM, enum=SATISFACTION),
    ),
    required=True,
    outputs=(
        Column("case_status", "工单状态", ENUM, enum=CASE_STATUS, en="Case status"),
        Column("current_node", "当前节点", en="Current node"),
        Column("case_elapsed_h", "总耗时(小时)", NUMBER, en="Case elapsed (h)"),
        Column("approver_role", "审批岗位", en="Approver role"),
        Column("approver", "审批人", en="Approver"),
        Column("delegated_from", "委托自", en="Delegated from"),
        Column("route_rule", "命中规则", en="Route rule"),
    ),
)

LOG = Sheet(
    "Log",
    "执行记录",
    (
        Column("case_id", "编号", TEXT, required=True),
        Column("node", "节点", TEXT, required=True),
        Column("assignee", "执行人", TEXT, required=True),
        Column("start", "开始时间", DATETIME, required=True),
        Column("end", "结束时间", DATETIME),
        Column("note", "备注", TEXT),
    ),
    required=True,
    outputs=(
        Column("duration_h", "耗时(小时)", NUMBER, en="Duration (h)"),
        Column("sla_h", "时限(小时)", NUMBER, en="SLA (h)"),
        Column("due", "截止时间", DATETIME, en="Due"),
        Column("status", "状态", ENUM, enum=LOG_STATUS, en="Status"),
        Column("overdue_h", "超时(小时)", NUMBER, en="Overdue (h)"),
    ),
)

PEOPLE = Sheet(
    "People",
    "人员",
    (
        Column("name", "姓名", TEXT, required=True),
        Column("role", "岗位", TEXT, required=True),
        Column("email", "邮箱", TEXT),
        Column("manager", "上级", TEXT),
        Column("deputy", "代理人", TEXT),
        Column("away_from", "休假开始", DATE),
        Column("away_to", "休假结束", DATE),
        Column("department", "部门", TEXT),
    ),
)

# Rules' input columns are open-ended: any other header names a Cases column (SPEC §4).
RULES = Sheet(
    "Rules",
    "审批规则",
    (
        Column("rule", "规则"),
        Column("approver_role", "审批岗位", TEXT, required=True),
        Column("approver", "审批人"),
        Column("note", "备注"),
    ),
)

CALENDAR = Sheet(
    "Calendar",
    "工作日历",
    (
        Column("date", "日期", DATE, required=True),
        Column("kind", "类型", ENUM, required=True, enum=DAY_KIND),
        Column("name", "名称"),
    ),
)

SLA = Sheet(
    "SLA",
    "时限",
    (
        Column("node", "节点", TEXT, required=True),
        Column("priority", "紧急程度", ENUM, required=True, enum=PRIORITY),
        Column("sla_hours", "时限小时", NUMBER, required=True),
    ),
)

EXCEPTIONS = Sheet(
    "Exceptions",
    "异常申请",
    (
        Column("case_id", "编号", TEXT, required=True),
        Column("node", "节点", TEXT, required=True),
        Column("extend_hours", "延长小时", NUMBER, required=True),
        Column("reason", "原因"),
        Column("approved_by", "审批人"),
        Column("status", "状态", ENUM, enum=EXCEPTION_STATUS),
    ),
)

SETTINGS = Sheet("Settings", "设置", (Column("key", "项"), Column("value", "值")))

INPUT_SHEETS: tuple[Sheet, ...] = (
    PROCESS,
    CASES,
    LOG,
    PEOPLE,
    RULES,
    CALENDAR,
    SLA,
    EXCEPTIONS,
    SETTINGS,
)
SHEETS_BY_NAME: dict[str, Sheet] = {sheet.name: sheet for sheet in INPUT_SHEETS}

# Whole sheets sheetflow owns and replaces on every run (SPEC §5).
OUTPUT_SHEETS: dict[str, str] = {
    "Validation": "校验结果",
    "Overdue": "超时清单",
    "Routing": "审批分派",
    "Summary": "汇总",
    "NodeStats": "节点统计",
}


@dataclass(frozen=True)
class SettingKey:
    name: str
    zh: str
    default: str


SETTING_KEYS: tuple[SettingKey, ...] = (
    SettingKey("work_hours", "工作时间", "09:00-12:00,13:00-18:00"),
    SettingKey("weekend", "周末", "Sat,Sun"),
    SettingKey("timezone", "时区", "Asia/Shanghai"),
    SettingKey("warn_ratio", "预警比例", "0.8"),
    SettingKey("case_sla_hours", "工单时限小时", "48"),
    SettingKey("case_clock", "工单计时方式", "calendar"),
    SettingKey("on_time_target", "准时率目标", "0.9"),
    SettingKey("hit_policy", "命中策略", "FIRST"),
    SettingKey("language", "语言", ""),
    # notifications (SPEC §9): escalate to the manager's manager past this many hours over
    SettingKey("escalate_after_h", "升级时限小时", "24"),
    SettingKey("notify_language", "通知语言", ""),
)

# Longest limit or extension accepted (about five working years): keeps due times computable.
MAX_HOURS = 10_000

_SPACE = re.compile(r"\s+")


def normalise_name(text: object) -> str:
    """Header / sheet name as matched: trimmed, inner spaces collapsed, case-folded."""
    return _SPACE.sub(" ", str(text)).strip().casefold()


def normalise_token(text: object) -> str:
    """Enum spelling as matched: like a name, with spaces and hyphens read as underscores."""
    return normalise_name(text).replace("-", "_").replace(" ", "_")


def sheet_for_title(title: str) -> Sheet | None:
    """The input sheet a workbook tab title names (English or Chinese), if any."""
    key = normalise_name(title)
    for sheet in INPUT_SHEETS:
        if key in (normalise_name(sheet.name), normalise_name(sheet.zh)):
            return sheet
    return None


def output_sheet_for_title(title: str) -> str | None:
    key = normalise_name(title)
    for name, zh in OUTPUT_SHEETS.items():
        if key in (normalise_name(name), normalise_name(zh)):
            return name
    return None


def column_lookup(sheet: Sheet) -> dict[str, Column]:
    """Normalised header (English or Chinese) -> column, inputs and outputs alike."""
    table: dict[str, Column] = {}
    for col in sheet.columns + sheet.outputs:
        table[normalise_name(col.name)] = col
        table[normalise_name(col.zh)] = col
        if col.en:
            table[normalise_name(col.en)] = col
    return table


def setting_lookup() -> dict[str, SettingKey]:
    table: dict[str, SettingKey] = {}
    for key in SETTING_KEYS:
        table[normalise_name(key.name)] = key
        table[normalise_name(key.zh)] = key
    return table
