"""Example workbooks for `sheetflow init`: every input sheet of SPEC §1 as rows of Python values.

Pure data, no openpyxl: `build_template(name, lang)` gives the sheet titles, the header (schema
labels in the book's language) and the rows; `sheetflow.io.template_writer` makes the .xlsx file.

The examples are built around EXAMPLE_AS_OF, Wednesday 9 Oct 2024 16:00, the day after the 2024
National Day holiday, with business hours 09:00-12:00,13:00-18:00 (8 h a working day). The
comments next to the Log rows work out each row's status at that instant by hand:

    B = business hours, C = calendar hours; "09-30 7" = 7 business hours on 30 Sep.
    Working days around the holiday: Fri 09-27, Sun 09-29 (make-up workday), Mon 09-30,
    Tue 10-08, Wed 10-09 (as-of: 09-12 3 h + 13-16 3 h = 6 h). Sat 09-28 is a weekend day and
    10-01..10-07 are holidays. Mid-Autumn: Sat 09-14 is a make-up workday, 09-15..09-17 holidays.
    at_risk when B >= warn_ratio * sla (0.8 unless the Process row says otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sheetflow.core import schema

TEMPLATES: tuple[str, ...] = ("complaints", "purchase", "contract")
LANGUAGES: tuple[str, ...] = schema.LANGUAGES

# The fixed "now" the example rows are built around (the demo runs with --as-of 2024-10-09T16:00).
EXAMPLE_AS_OF = datetime(2024, 10, 9, 16, 0)
EXAMPLE_AS_OF_TEXT = "2024-10-09T16:00"


@dataclass(frozen=True)
class Text:
    """A cell or header written in both languages."""

    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == schema.ZH else self.en


@dataclass(frozen=True)
class TemplateSheet:
    """One sheet of a template book, ready to write.

    columns: the schema column of each header cell, None for an extra column (e.g. `channel`,
    a Rules input, the Settings description); the writer picks formats and drop-downs from it.
    """

    sheet: schema.Sheet
    title: str
    header: tuple[str, ...]
    columns: tuple[schema.Column | None, ...]
    rows: tuple[tuple[object, ...], ...]


PARAGRAPH = "paragraph"  # text across the whole width
HEADING = "heading"  # the header row of a two-column table
ENTRY = "entry"  # a row of such a table: a name and what it means
COMMAND = "command"  # a row whose text is a command line


@dataclass(frozen=True)
class GuideLine:
    kind: str
    key: str
    text: str


@dataclass(frozen=True)
class Template:
    name: str
    lang: str
    title: str  # workbook title (document properties)
    sheets: tuple[TemplateSheet, ...]  # the input sheets of SPEC §1, in SPEC order
    guide_title: str  # the "How to use" sheet
    guide: tuple[GuideLine, ...]  # its rows, top to bottom


def _at(text: str) -> datetime:
    """'09-23 09:15' -> 2024-09-23 09:15 (every example falls in 2024)."""
    return datetime.strptime(f"2024-{text}", "%Y-%m-%d %H:%M")


def _day(text: str) -> date:
    return datetime.strptime(f"2024-{text}", "%Y-%m-%d").date()


def _after(*nodes: Text) -> Text:
    """A Process `after` cell: predecessor names, comma-separated, in each language."""
    return Text(", ".join(n.zh for n in nodes), ", ".join(n.en for n in nodes))


def _case_column(name: str) -> Text:
    """A Rules input header naming a Cases column, in both languages."""
    col = schema.CASES.column(name)
    return Text(col.zh, col.name)


def _email(person: Text) -> str:
    return person.en.lower().replace(" ", ".") + "@example.com"


# Headers that are not schema columns.
CHANNEL = Text("渠道", "channel")
DESCRIPTION = Text("说明", "description")

# The example data below is laid out as tables by hand; the formatter keeps off it.
# fmt: off
# ----------------------------------------------------------------------------------------------
# Shared across templates: the 2024 holidays and the Settings rows.

NATIONAL_DAY = Text("国庆节", "National Day")
MID_AUTUMN = Text("中秋节", "Mid-Autumn Festival")
MAKE_UP = Text("调休上班", "Make-up workday")

CALENDAR_ROWS: tuple[tuple[object, ...], ...] = (
    (_day("09-14"), "workday", Text("中秋节调休上班", "Mid-Autumn make-up workday")),
    (_day("09-15"), "holiday", MID_AUTUMN),
    (_day("09-16"), "holiday", MID_AUTUMN),
    (_day("09-17"), "holiday", MID_AUTUMN),
    (_day("09-29"), "workday", Text("国庆节调休上班", "National Day make-up workday")),
    *((date(2024, 10, d), "holiday", NATIONAL_DAY) for d in range(1, 8)),
    (_day("10-12"), "workday", Text("国庆节调休上班", "National Day make-up workday")),
)


def _settings_rows(
    case_sla_hours: float, case_clock: str, hit_policy: str, lang: str
) -> tuple[tuple[object, ...], ...]:
    zh = lang == schema.ZH
    keys = {key.name: key for key in schema.SETTING_KEYS}
    rows: list[tuple[str, object, Text]] = [
        ("work_hours", "09:00-12:00,13:00-18:00",
         Text("工作时段，逗号分隔", "working windows of a day, comma-separated")),
        ("weekend", "周六,周日" if zh else "Sat,Sun",
         Text("每周休息日（调休见工作日历）", "days off each week (exceptions: Calendar)")),
        ("timezone", "Asia/Shanghai", Text("团队所在时区", "the team's time zone")),
        ("warn_ratio", 0.8,
         Text("耗时达到时限的这一比例即预警", "warn when this share of a time limit is used")),
        ("case_sla_hours", case_sla_hours,
         Text("整单时限（小时）：从创建到最后完成", "time limit of a whole case, in hours")),
        ("case_clock", schema.CLOCK.label(case_clock, lang),
         Text("整单计时方式：工作时间 或 自然时间",
              "clock of the case limit: business or calendar")),
        ("on_time_target", 0.9, Text("按时结案率目标", "target share of cases closed on time")),
        ("hit_policy", hit_policy,
         Text("审批规则命中策略：FIRST / UNIQUE / COLLECT（会签）/ RULE ORDER",
              "how Rules pick approvers: FIRST / UNIQUE / COLLECT / RULE ORDER")),
        ("language", lang, Text("输出表使用的语言：zh 或 en", "language of the output sheets")),
        ("escalate_after_h", 24,
         Text("超时超过这么多小时，提醒邮件抄送上级的上级",
              "overdue by more than this many hours: reminders copy the manager's manager")),
        ("notify_language", None,
         Text("提醒邮件的语言：zh 或 en（空：同工作簿）",
              "language of reminder emails: zh or en (empty: the workbook's)")),
    ]
    return tuple(
        (keys[name].zh if zh else name, value, note(lang)) for name, value, note in rows
    )


# ----------------------------------------------------------------------------------------------
# Complaints: receive -> classify (0.5 h) -> assign -> resolution plan (48 h) || compensation
# review (8 h, not required; same `after` as the plan, so the two run in parallel) -> feedback
# (after the plan only) -> follow-up call (24 h, calendar clock, not required). Hit policy FIRST.

RECEIVE = Text("投诉接收", "Receive complaint")
CLASSIFY = Text("分类分级", "Classify and grade")
ASSIGN = Text("责任部门分配", "Assign department")
PLAN = Text("处理方案制定", "Resolution plan")
COMPENSATION = Text("赔付审核", "Compensation review")
FEEDBACK = Text("结果反馈", "Feedback to customer")
VISIT = Text("客户回访", "Follow-up call")

AGENT = Text("客服专员", "Service agent")
SUPERVISOR = Text("客服主管", "Service supervisor")
SPECIALIST = Text("部门专员", "Department specialist")
FINANCE_SPECIALIST = Text("财务专员", "Finance specialist")
MANAGER = Text("经理", "Manager")
DEPUTY_MANAGER = Text("副经理", "Deputy manager")
DIRECTOR = Text("总监", "Director")
GENERAL_MANAGER = Text("总经理", "General manager")

SERVICE = Text("客服部", "Customer service")
LOGISTICS = Text("物流部", "Logistics")
QUALITY = Text("质量部", "Quality")
AFTER_SALES = Text("售后部", "After-sales")
FINANCE_TEAM = Text("财务部", "Finance")

ZHANG_WEI = Text("张伟", "Zhang Wei")
LI_NA = Text("李娜", "Li Na")
WANG_FANG = Text("王芳", "Wang Fang")
LIU_YANG = Text("刘洋", "Liu Yang")
CHEN_JING = Text("陈静", "Chen Jing")
YANG_FAN = Text("杨帆", "Yang Fan")
HUANG_LEI = Text("黄磊", "Huang Lei")
ZHOU_QIANG = Text("周强", "Zhou Qiang")
WU_GANG = Text("吴刚", "Wu Gang")
ZHENG_JIE = Text("郑洁", "Zheng Jie")
FENG_TAO = Text("冯涛", "Feng Tao")
SUN_LI = Text("孙丽", "Sun Li")
MA_JUN = Text("马骏", "Ma Jun")
XU_QING = Text("许晴", "Xu Qing")

PHONE = Text("电话", "Phone")
ONLINE = Text("在线客服", "Online chat")
EMAIL = Text("邮件", "Email")
WEIBO = Text("微博", "Weibo")

DELIVERY = Text("物流延迟", "Delivery delay")
PRODUCT = Text("产品质量", "Product quality")
ATTITUDE = Text("服务态度", "Service attitude")
REFUND = Text("退款纠纷", "Refund dispute")
INSTALL = Text("安装问题", "Installation")

_COMPLAINTS_PROCESS = (
    (RECEIVE, 1, AGENT, 1, "business", "yes", None, None),
    (CLASSIFY, 2, AGENT, 0.5, "business", "yes", _after(RECEIVE), None),
    (ASSIGN, 3, SUPERVISOR, 2, "business", "yes", _after(CLASSIFY), None),
    # the resolution plan and the compensation review have the same predecessor: they run in
    # parallel; feedback waits for the plan only (its explicit `after` keeps it so, where the
    # default, the previous seq, would be the compensation review)
    (PLAN, 4, SPECIALIST, 48, "business", "yes", _after(ASSIGN), None),
    (COMPENSATION, 5, FINANCE_SPECIALIST, 8, "business", "no", _after(ASSIGN), None),
    (FEEDBACK, 6, AGENT, 4, "business", "yes", _after(PLAN), None),
    (VISIT, 7, AGENT, 24, "calendar", "no", _after(FEEDBACK), None),
)

# case_id, opened_at, title, type, channel, priority, amount, department, satisfaction
_COMPLAINTS_CASES = (
    ("CP-001", _at("09-12 10:00"), Text("电水壶用了一周就漏水", "Kettle leaks after one week"),
     PRODUCT, PHONE, "normal", 2500, QUALITY, "satisfied"),
    ("CP-002", _at("09-23 09:15"), Text("快递三天未送达", "Parcel not delivered after three days"),
     DELIVERY, PHONE, "normal", 800, LOGISTICS, "very_satisfied"),
    ("CP-003", _at("09-24 14:00"), Text("新手机屏幕有坏点", "New phone has dead pixels"),
     PRODUCT, ONLINE, "urgent", 12000, QUALITY, "dissatisfied"),
    ("CP-004", _at("09-29 10:00"),
     Text("空调安装后不制冷", "Air conditioner not cooling after installation"),
     INSTALL, EMAIL, "normal", 3000, AFTER_SALES, "satisfied"),
    ("CP-005", _at("10-08 09:10"), Text("快递包装破损", "Parcel arrived with damaged packaging"),
     DELIVERY, PHONE, "normal", 450, LOGISTICS, "very_satisfied"),
    ("CP-006", _at("09-26 09:00"),
     Text("企业客户整批滤芯有异味", "Business customer: a whole batch of filters smells"),
     PRODUCT, PHONE, "critical", 68000, QUALITY, "satisfied"),
    ("CP-007", _at("10-09 14:00"), Text("上门师傅态度差", "Technician was rude on a home visit"),
     ATTITUDE, ONLINE, "normal", 1200, AFTER_SALES, None),
    ("CP-008", _at("09-26 13:30"),
     Text("包裹显示签收但未收到", "Parcel marked delivered but never received"),
     DELIVERY, PHONE, "normal", 3500, LOGISTICS, None),
    ("CP-009", _at("09-29 10:30"),
     Text("笔记本电脑开机蓝屏", "Laptop shows a blue screen on start"),
     PRODUCT, ONLINE, "urgent", 26000, QUALITY, None),
    ("CP-010", _at("09-24 16:00"),
     Text("退货寄回两周仍未退款", "Refund still missing two weeks after the return"),
     REFUND, EMAIL, "normal", 4200, AFTER_SALES, None),
    ("CP-011", _at("09-24 09:30"), Text("冰箱压缩机噪音大", "Fridge compressor is very loud"),
     PRODUCT, ONLINE, "normal", 9800, QUALITY, None),
    ("CP-012", _at("10-09 15:20"),
     Text("微博投诉：快递员未经同意放快递柜", "Weibo post: courier used a locker without asking"),
     DELIVERY, WEIBO, "urgent", 600, LOGISTICS, None),
    ("CP-013", _at("10-08 09:30"),
     Text("维修后再次故障，要求退货", "Broke again after repair; customer wants a refund"),
     REFUND, PHONE, "critical", 5000, AFTER_SALES, None),
    ("CP-014", _at("09-30 17:30"),
     Text("团购订单整单退款纠纷", "Refund dispute over a group order"),
     REFUND, ONLINE, "normal", 50000, AFTER_SALES, None),
    ("CP-015", _at("10-08 14:00"),
     Text("快递延误导致生鲜变质", "Late delivery spoiled fresh food"),
     DELIVERY, PHONE, "normal", 2000, LOGISTICS, None),
    ("CP-016", _at("09-26 09:00"),
     Text("洗衣机安装后漏水", "Washing machine leaks after installation"),
     INSTALL, PHONE, "normal", 1500, AFTER_SALES, "neutral"),
)

_N = None  # an open row: no end yet

# case_id, node, assignee, start, end, note.  Case lines: C = opened_at -> last end (case_sla 72).
_COMPLAINTS_LOG = (
    # CP-001 closed late: every step on time, but C 09-12 10:00 -> 09-20 10:20 = 192.3 h > 72
    ("CP-001", RECEIVE, ZHANG_WEI, _at("09-12 10:00"), _at("09-12 10:30"), None),
    ("CP-001", CLASSIFY, ZHANG_WEI, _at("09-12 10:30"), _at("09-12 10:50"), None),
    ("CP-001", ASSIGN, LIU_YANG, _at("09-12 10:50"), _at("09-12 11:30"), None),
    # B 09-12 5 + 09-13 8 + 09-14 (Sat, make-up) 8 + 09-15..17 0 + 09-18 8 + 09-19 2 = 31 <= 48
    ("CP-001", PLAN, YANG_FAN, _at("09-12 13:00"), _at("09-19 11:00"),
     Text("跨中秋节假期", "Spans the Mid-Autumn holiday")),
    ("CP-001", FEEDBACK, ZHANG_WEI, _at("09-19 14:00"), _at("09-19 15:00"), None),
    ("CP-001", VISIT, LI_NA, _at("09-20 10:00"), _at("09-20 10:20"), None),
    # CP-002 closed on time: C 09-23 09:15 -> 09-25 10:15 = 49 h <= 72
    ("CP-002", RECEIVE, LI_NA, _at("09-23 09:15"), _at("09-23 09:40"), None),
    ("CP-002", CLASSIFY, LI_NA, _at("09-23 09:40"), _at("09-23 10:00"), None),
    ("CP-002", ASSIGN, LIU_YANG, _at("09-23 10:00"), _at("09-23 10:30"), None),
    ("CP-002", PLAN, CHEN_JING, _at("09-23 10:30"), _at("09-24 15:00"),
     Text("已补发", "Sent a replacement")),  # B 6.5 + 5 = 11.5
    ("CP-002", FEEDBACK, LI_NA, _at("09-24 15:30"), _at("09-24 16:00"), None),
    ("CP-002", VISIT, WANG_FANG, _at("09-25 10:00"), _at("09-25 10:15"), None),
    # CP-003 (urgent) closed late: C 09-24 14:00 -> 09-27 17:30 = 75.5 h > 72; no follow-up call
    ("CP-003", RECEIVE, WANG_FANG, _at("09-24 14:00"), _at("09-24 14:30"), None),
    # B 1.0 > 0.5 -> done_late (0.5 h over)
    ("CP-003", CLASSIFY, WANG_FANG, _at("09-24 14:30"), _at("09-24 15:30"), None),
    ("CP-003", ASSIGN, LIU_YANG, _at("09-24 15:30"), _at("09-24 16:00"), None),
    # urgent: SLA sheet 24; B 09-24 2 + 09-25 8 + 09-26 8 + 09-27 7 = 25 > 24 -> done_late (1)
    ("CP-003", PLAN, YANG_FAN, _at("09-24 16:00"), _at("09-27 17:00"),
     Text("换新机", "Replaced the phone")),
    ("CP-003", FEEDBACK, WANG_FANG, _at("09-27 17:00"), _at("09-27 17:30"), None),
    # CP-004 closed late (calendar case clock counts the holiday): C 09-29 10:00 -> 10-09 10:20
    # = 240.3 h > 72
    ("CP-004", RECEIVE, ZHANG_WEI, _at("09-29 10:00"), _at("09-29 10:40"),
     Text("周日调休上班", "Sunday make-up workday")),
    ("CP-004", CLASSIFY, ZHANG_WEI, _at("09-29 10:40"), _at("09-29 11:00"), None),
    ("CP-004", ASSIGN, LIU_YANG, _at("09-29 11:00"), _at("09-29 11:30"), None),
    # B 09-29 5 + 09-30 8 + 10-01..07 0 + 10-08 2 = 15 <= 48 -> done
    ("CP-004", PLAN, HUANG_LEI, _at("09-29 13:00"), _at("10-08 11:00"),
     Text("跨国庆节假期", "Spans the National Day holiday")),
    ("CP-004", FEEDBACK, ZHANG_WEI, _at("10-08 14:00"), _at("10-08 15:00"), None),
    ("CP-004", VISIT, LI_NA, _at("10-09 10:00"), _at("10-09 10:20"), None),
    # CP-005 closed on time: C 10-08 09:10 -> 10-09 09:45 = 24.6 h
    ("CP-005", RECEIVE, LI_NA, _at("10-08 09:10"), _at("10-08 09:30"), None),
    ("CP-005", CLASSIFY, LI_NA, _at("10-08 09:30"), _at("10-08 09:50"), None),
    ("CP-005", ASSIGN, LIU_YANG, _at("10-08 09:50"), _at("10-08 10:20"), None),
    ("CP-005", PLAN, CHEN_JING, _at("10-08 10:20"), _at("10-08 15:20"), None),  # B 4
    ("CP-005", FEEDBACK, LI_NA, _at("10-08 15:30"), _at("10-08 16:00"), None),
    ("CP-005", VISIT, WANG_FANG, _at("10-09 09:30"), _at("10-09 09:45"), None),
    # CP-006 (critical) closed on time: C 09-26 09:00 -> 09-27 10:30 = 25.5 h; compensation paid
    ("CP-006", RECEIVE, ZHANG_WEI, _at("09-26 09:00"), _at("09-26 09:20"), None),
    ("CP-006", CLASSIFY, ZHANG_WEI, _at("09-26 09:20"), _at("09-26 09:40"), None),
    ("CP-006", ASSIGN, LIU_YANG, _at("09-26 09:40"), _at("09-26 10:00"), None),
    # critical: SLA sheet 8; B 2 + 4 = 6 <= 8
    ("CP-006", PLAN, YANG_FAN, _at("09-26 10:00"), _at("09-26 17:00"),
     Text("整批召回更换", "Recalled and replaced the batch")),
    # in parallel with the plan (both after the assignment); B 2 + 3 = 5 <= 8 -> done
    ("CP-006", COMPENSATION, XU_QING, _at("09-26 10:00"), _at("09-26 16:00"),
     Text("按合同赔付客户损失", "Compensated the customer as the contract says")),
    # critical: SLA sheet 1; B 0.75 <= 1
    ("CP-006", FEEDBACK, ZHANG_WEI, _at("09-26 17:00"), _at("09-26 17:45"), None),
    ("CP-006", VISIT, LI_NA, _at("09-27 10:00"), _at("09-27 10:30"), None),
    # CP-007 open, on_track
    ("CP-007", RECEIVE, WANG_FANG, _at("10-09 14:00"), _at("10-09 14:20"), None),
    ("CP-007", CLASSIFY, WANG_FANG, _at("10-09 14:20"), _at("10-09 14:40"), None),
    ("CP-007", ASSIGN, LIU_YANG, _at("10-09 14:40"), _at("10-09 15:00"), None),
    ("CP-007", PLAN, HUANG_LEI, _at("10-09 15:00"), _N, None),  # B 1 / 48 -> on_track
    # CP-008 open, at_risk
    ("CP-008", RECEIVE, LI_NA, _at("09-26 13:30"), _at("09-26 14:00"), None),
    ("CP-008", CLASSIFY, LI_NA, _at("09-26 14:00"), _at("09-26 14:20"), None),
    ("CP-008", ASSIGN, LIU_YANG, _at("09-26 14:20"), _at("09-26 15:00"), None),
    # B 09-26 3 + 09-27 8 + 09-29 8 + 09-30 8 + 10-08 8 + 10-09 6 = 41 / 48; 41 >= 38.4
    # -> at_risk (C would be 313 h: the holiday does not count)
    ("CP-008", PLAN, CHEN_JING, _at("09-26 15:00"), _N,
     Text("等快递公司调查结果", "Waiting for the courier's investigation")),
    # CP-009 (urgent) open, overdue
    ("CP-009", RECEIVE, ZHANG_WEI, _at("09-29 10:30"), _at("09-29 11:00"), None),
    ("CP-009", CLASSIFY, ZHANG_WEI, _at("09-29 11:00"), _at("09-29 11:20"), None),
    ("CP-009", ASSIGN, LIU_YANG, _at("09-29 11:20"), _at("09-29 12:00"), None),
    # urgent 24 (the rejected exception does not count); B 09-29 4 + 09-30 8 + 10-08 8 + 10-09 6
    # = 26 > 24 -> overdue 2.0; due 10-09 14:00
    ("CP-009", PLAN, YANG_FAN, _at("09-29 14:00"), _N, None),
    # CP-010 open, overdue on both parallel nodes (its pending exception must not count)
    ("CP-010", RECEIVE, WANG_FANG, _at("09-24 16:00"), _at("09-24 16:30"), None),
    ("CP-010", CLASSIFY, WANG_FANG, _at("09-24 16:30"), _at("09-24 16:50"), None),
    ("CP-010", ASSIGN, LIU_YANG, _at("09-24 16:50"), _at("09-24 17:30"), None),
    # B 09-25 8 + 09-26 8 + 09-27 8 + 09-29 8 + 09-30 8 + 10-08 8 + 10-09 6 = 54 > 48
    # -> overdue 6.0; due 10-08 18:00. (Counting the pending +16: 54 < 64 -> at_risk: wrong.)
    ("CP-010", PLAN, HUANG_LEI, _at("09-25 09:00"), _N, None),
    # in parallel with the plan: B 10-08 5 + 10-09 6 = 11 > 8 -> overdue 3.0; due 10-09 12:00
    # (the pending exception is for the plan, not this node)
    ("CP-010", COMPENSATION, XU_QING, _at("10-08 13:00"), _N,
     Text("核算退款利息", "Working out interest on the late refund")),
    # CP-011 open, on_track thanks to an approved exception
    ("CP-011", RECEIVE, LI_NA, _at("09-24 09:30"), _at("09-24 10:00"), None),
    ("CP-011", CLASSIFY, LI_NA, _at("09-24 10:00"), _at("09-24 10:20"), None),
    ("CP-011", ASSIGN, LIU_YANG, _at("09-24 10:20"), _at("09-24 11:00"), None),
    # B 09-24 5 + 09-25..27 24 + 09-29 8 + 09-30 8 + 10-08 8 + 10-09 6 = 59; sla 48 + 32 approved
    # = 80; 59 < 64 -> on_track (without the exception: overdue 11)
    ("CP-011", PLAN, YANG_FAN, _at("09-24 13:00"), _N,
     Text("已送第三方检测", "Sent to an independent lab")),
    # CP-012 (urgent, Weibo) open, at_risk
    ("CP-012", RECEIVE, ZHANG_WEI, _at("10-09 15:20"), _at("10-09 15:35"), None),
    # B 25 min = 0.417 / 0.5; 0.417 >= 0.4 -> at_risk
    ("CP-012", CLASSIFY, ZHANG_WEI, _at("10-09 15:35"), _N, None),
    # CP-013 (critical) open, overdue
    ("CP-013", RECEIVE, WANG_FANG, _at("10-08 09:30"), _at("10-08 09:45"), None),
    ("CP-013", CLASSIFY, WANG_FANG, _at("10-08 09:45"), _at("10-08 10:10"), None),
    ("CP-013", ASSIGN, LIU_YANG, _at("10-08 10:10"), _at("10-08 11:00"), None),
    # critical 8: B 10-08 5 + 10-09 2 = 7 <= 8 -> done
    ("CP-013", PLAN, HUANG_LEI, _at("10-08 13:00"), _at("10-09 11:00"), None),
    # critical 1: B 14:00 -> 16:00 = 2 > 1 -> overdue 1.0; due 10-09 15:00
    ("CP-013", FEEDBACK, WANG_FANG, _at("10-09 14:00"), _N,
     Text("客户电话未接通", "Customer not answering the phone")),
    # CP-014 open, on_track on both parallel nodes; received just before the holiday
    # B 09-30 0.5 + 10-08 0.5 = 1.0 <= 1 -> done, exactly at the limit (C 184 h)
    ("CP-014", RECEIVE, LI_NA, _at("09-30 17:30"), _at("10-08 09:30"),
     Text("节前最后半小时受理", "Came in just before the holiday")),
    # B 1.0 > 0.5 -> done_late (0.5 h over)
    ("CP-014", CLASSIFY, LI_NA, _at("10-08 09:30"), _at("10-08 10:30"), None),
    ("CP-014", ASSIGN, LIU_YANG, _at("10-08 10:30"), _at("10-08 11:00"), None),
    ("CP-014", PLAN, HUANG_LEI, _at("10-08 11:00"), _N, None),  # B 1 + 5 + 6 = 12 / 48
    # in parallel with the plan, both open: current_node "Resolution plan, Compensation review";
    # B 13:00 -> 16:00 = 3 / 8; 3 < 6.4 -> on_track
    ("CP-014", COMPENSATION, XU_QING, _at("10-09 13:00"), _N,
     Text("核对团购赔付金额", "Checking the payout for the group order")),
    # CP-015 open, overdue at the assignment step
    ("CP-015", RECEIVE, ZHANG_WEI, _at("10-08 14:00"), _at("10-08 14:30"), None),
    ("CP-015", CLASSIFY, ZHANG_WEI, _at("10-08 14:30"), _at("10-08 14:50"), None),
    # B 10-08 14:50-18:00 3.17 + 10-09 6 = 9.17 > 2 -> overdue 7.17; due 10-08 16:50
    ("CP-015", ASSIGN, LIU_YANG, _at("10-08 14:50"), _N, None),
    # CP-016 closed on time: C 09-26 09:00 -> 09-28 20:00 = 59 h <= 72
    ("CP-016", RECEIVE, WANG_FANG, _at("09-26 09:00"), _at("09-26 09:30"), None),
    ("CP-016", CLASSIFY, WANG_FANG, _at("09-26 09:30"), _at("09-26 09:55"), None),
    ("CP-016", ASSIGN, LIU_YANG, _at("09-26 09:55"), _at("09-26 10:30"), None),
    ("CP-016", PLAN, HUANG_LEI, _at("09-26 10:30"), _at("09-27 16:00"), None),  # B 6.5 + 6
    ("CP-016", FEEDBACK, WANG_FANG, _at("09-27 16:30"), _at("09-27 17:30"), None),
    # calendar clock: C 09-27 17:30 -> 09-28 20:00 = 26.5 > 24 -> done_late (2.5)
    ("CP-016", VISIT, ZHANG_WEI, _at("09-27 17:30"), _at("09-28 20:00"),
     Text("客户周六晚上才接通", "Customer only reachable on Saturday evening")),
)

# name, role, manager, deputy, away_from, away_to, department (email made from the name)
# Approvers outside the case departments (director, general manager) have no department: the
# routing matches departments only where both the case and the person have one (SPEC §4).
_COMPLAINTS_PEOPLE = (
    (ZHANG_WEI, AGENT, LIU_YANG, None, None, None, SERVICE),
    (LI_NA, AGENT, LIU_YANG, None, None, None, SERVICE),
    (WANG_FANG, AGENT, LIU_YANG, ZHANG_WEI, _day("10-14"), _day("10-18"), SERVICE),
    (LIU_YANG, SUPERVISOR, SUN_LI, None, None, None, SERVICE),
    (CHEN_JING, SPECIALIST, ZHOU_QIANG, None, None, None, LOGISTICS),
    (YANG_FAN, SPECIALIST, ZHENG_JIE, None, None, None, QUALITY),
    (HUANG_LEI, SPECIALIST, FENG_TAO, None, None, None, AFTER_SALES),
    (XU_QING, FINANCE_SPECIALIST, SUN_LI, None, None, None, FINANCE_TEAM),
    # On leave over the as-of date: approvals routed to him go to his deputy Wu Gang.
    (ZHOU_QIANG, MANAGER, SUN_LI, WU_GANG, _day("10-08"), _day("10-11"), LOGISTICS),
    (WU_GANG, DEPUTY_MANAGER, ZHOU_QIANG, None, None, None, LOGISTICS),
    (ZHENG_JIE, MANAGER, SUN_LI, None, None, None, QUALITY),
    (FENG_TAO, MANAGER, SUN_LI, None, None, None, AFTER_SALES),
    (SUN_LI, DIRECTOR, MA_JUN, None, None, None, None),
    (MA_JUN, GENERAL_MANAGER, None, None, None, None, None),  # the top: no manager
)

# Hit policy FIRST: the first matching row wins, so the order below matters.
_COMPLAINTS_RULES_HEADER = ("rule", CHANNEL, _case_column("amount"), "approver_role", "approver",
                            "note")
_COMPLAINTS_RULES = (
    ("R1", Text("媒体, 微博", "Media, Weibo"), "-", DIRECTOR, SUN_LI,
     Text("媒体曝光的投诉由孙丽总监亲自审批", "Complaints made in public go to Sun Li herself")),
    ("R2", "-", "> 50000", GENERAL_MANAGER, None,
     Text("金额超过 5 万由总经理审批", "Above 50,000 the general manager approves")),
    ("R3", "-", ">= 5000", DIRECTOR, None,
     Text("金额 5000 及以上需总监审批", "5,000 or more needs the director's approval")),
    ("R4", "-", "<= 50000", MANAGER, None,
     Text("5 万及以下由本部门经理审批；经理休假时由代理人（副经理）审批，见人员表",
          "Up to 50,000 the department's manager approves; while the manager is away the "
          "deputy manager approves (People sheet)")),
    ("R5", "-", "-", MANAGER, None,
     Text("兜底：未填金额的投诉", "Catch-all: complaints without an amount")),
)

_COMPLAINTS_SLA = (
    (PLAN, "urgent", 24),
    (PLAN, "critical", 8),
    (FEEDBACK, "critical", 1),
)

_COMPLAINTS_EXCEPTIONS = (
    ("CP-011", PLAN, 32, Text("需第三方检测报告", "Waiting for an independent lab report"),
     SUN_LI, "approved"),
    ("CP-010", PLAN, 16, Text("等待仓库确认退货入库", "Waiting for the warehouse to confirm"),
     None, "pending"),
    ("CP-009", PLAN, 8, Text("客户周末无法联系", "Customer unreachable at the weekend"),
     SUN_LI, "rejected"),
)

# ----------------------------------------------------------------------------------------------
# Purchase: request -> manager approval -> finance review || supplier quotes (same `after`) ->
# director approval (not required) -> place order (24 h, calendar clock). Hit policy UNIQUE,
# case clock business (40 h = a working week).

REQUEST = Text("采购申请", "Purchase request")
MGR_APPROVAL = Text("部门经理审批", "Manager approval")
FINANCE = Text("财务审核", "Finance review")
QUOTES = Text("采购询价", "Supplier quotes")
DIR_APPROVAL = Text("总监审批", "Director approval")
ORDER = Text("下单", "Place order")

REQUESTER = Text("申请人", "Requester")
DEPT_MANAGER = Text("部门经理", "Department manager")
FINANCE_OFFICER = Text("财务专员", "Finance officer")
FINANCE_MANAGER = Text("财务经理", "Finance manager")
BUYER = Text("采购专员", "Buyer")
PROCUREMENT_MANAGER = Text("采购经理", "Procurement manager")

RND = Text("研发部", "R&D")
MARKETING = Text("市场部", "Marketing")
ADMIN = Text("行政部", "Administration")
FINANCE_DEPT = Text("财务部", "Finance")
PROCUREMENT = Text("采购部", "Procurement")

LI_MING = Text("李明", "Li Ming")
WANG_LEI = Text("王磊", "Wang Lei")
LIU_TING = Text("刘婷", "Liu Ting")
ZHANG_QIANG = Text("张强", "Zhang Qiang")
ZHAO_LI = Text("赵丽", "Zhao Li")
SUN_HAO = Text("孙浩", "Sun Hao")
QIAN_WEI = Text("钱伟", "Qian Wei")
ZHOU_MIN = Text("周敏", "Zhou Min")
WU_FANG = Text("吴芳", "Wu Fang")
ZHENG_KAI = Text("郑凯", "Zheng Kai")
FENG_JIE = Text("冯杰", "Feng Jie")
HUANG_TAO = Text("黄涛", "Huang Tao")
LIN_FENG = Text("林峰", "Lin Feng")

SUPPLIES = Text("办公用品", "Office supplies")
IT_EQUIPMENT = Text("IT设备", "IT equipment")
SOFTWARE = Text("软件许可", "Software licences")
OUTSOURCING = Text("服务外包", "Outsourced services")
EVENT = Text("市场活动", "Marketing event")

_PURCHASE_PROCESS = (
    (REQUEST, 1, REQUESTER, 4, "business", "yes", None, None),
    (MGR_APPROVAL, 2, DEPT_MANAGER, 8, "business", "yes", _after(REQUEST), None),
    # finance review and supplier quotes have the same predecessor: they run in parallel
    (FINANCE, 3, FINANCE_OFFICER, 8, "business", "yes", _after(MGR_APPROVAL), None),
    (QUOTES, 4, BUYER, 16, "business", "yes", _after(MGR_APPROVAL), 0.5),  # quotes slip: warn early
    (DIR_APPROVAL, 5, DIRECTOR, 8, "business", "no", _after(FINANCE, QUOTES), None),
    (ORDER, 6, BUYER, 24, "calendar", "yes", _after(DIR_APPROVAL), None),
)

_PURCHASE_CASES = (
    ("PR-001", _at("09-19 09:00"), Text("第四季度办公用品", "Office supplies for Q4"),
     SUPPLIES, "normal", 3200, ADMIN, "satisfied"),
    ("PR-002", _at("09-12 14:00"), Text("测试工作站两台", "Two test workstations"),
     IT_EQUIPMENT, "urgent", 18000, RND, "neutral"),
    ("PR-003", _at("09-23 09:00"), Text("CAD 软件年度许可", "Annual CAD software licences"),
     SOFTWARE, "normal", 65000, RND, "dissatisfied"),
    ("PR-004", _at("09-30 14:00"), Text("展会宣传册印刷", "Printing trade-fair brochures"),
     EVENT, "normal", 4800, MARKETING, "satisfied"),
    ("PR-005", _at("10-08 09:00"), Text("打印机硒鼓", "Printer toner"),
     SUPPLIES, "urgent", 1200, ADMIN, "very_satisfied"),
    ("PR-006", _at("09-25 10:00"), Text("展位搭建物料", "Trade-fair booth materials"),
     EVENT, "normal", 5000, MARKETING, "satisfied"),
    ("PR-007", _at("10-09 10:00"), Text("实验室显示器支架", "Monitor arms for the lab"),
     SUPPLIES, "normal", 2600, RND, None),
    ("PR-008", _at("09-30 16:00"), Text("市场部笔记本电脑 5 台", "Five laptops for Marketing"),
     IT_EQUIPMENT, "normal", 32000, MARKETING, None),
    ("PR-009", _at("09-29 10:00"), Text("EMC 第三方测试服务", "Third-party EMC testing"),
     OUTSOURCING, "normal", 48000, RND, None),
    ("PR-010", _at("09-26 09:00"), Text("机房服务器两台", "Two servers for the server room"),
     IT_EQUIPMENT, "normal", 85000, RND, None),
    ("PR-011", _at("09-30 17:00"),
     Text("节后首周广告位", "Ad slots for the week after the holiday"),
     EVENT, "critical", 4500, MARKETING, None),
    ("PR-012", _at("10-09 09:00"), Text("会议室桌椅", "Meeting-room tables and chairs"),
     SUPPLIES, "normal", 9000, ADMIN, None),
    ("PR-013", _at("09-27 09:00"), Text("会议室无线投屏器", "Wireless presenter for meetings"),
     IT_EQUIPMENT, "urgent", 3900, ADMIN, None),
    ("PR-014", _at("10-08 09:00"), Text("代码比对工具许可", "Licence for a code-diff tool"),
     SOFTWARE, "normal", 1500, RND, None),
)

# Case lines: case clock business, case_sla 40 (B from opened_at to the last end).
_PURCHASE_LOG = (
    # PR-001 closed on time: B 09-19 09:00 -> 09-20 15:00 = 8 + 5 = 13 <= 40
    ("PR-001", REQUEST, LIU_TING, _at("09-19 09:00"), _at("09-19 10:00"), None),
    ("PR-001", MGR_APPROVAL, QIAN_WEI, _at("09-19 10:00"), _at("09-19 14:00"), None),  # B 3
    ("PR-001", FINANCE, ZHOU_MIN, _at("09-19 14:00"), _at("09-19 16:00"), None),
    ("PR-001", QUOTES, ZHENG_KAI, _at("09-19 14:00"), _at("09-20 11:00"), None),  # B 4 + 2
    ("PR-001", ORDER, ZHENG_KAI, _at("09-20 13:00"), _at("09-20 15:00"), None),
    # PR-002 (urgent) closed on time though two steps were late: B 09-12 4 + 09-13 8
    # + 09-14 (Sat, make-up) 8 + 09-18 8 + 09-19 1 = 29 <= 40
    ("PR-002", REQUEST, LI_MING, _at("09-12 14:00"), _at("09-12 15:00"), None),
    # urgent: SLA sheet 4; B 3 + 2 = 5 > 4 -> done_late (1)
    ("PR-002", MGR_APPROVAL, ZHANG_QIANG, _at("09-12 15:00"), _at("09-13 11:00"), None),
    ("PR-002", FINANCE, ZHOU_MIN, _at("09-13 11:00"), _at("09-13 17:00"), None),  # B 1 + 4
    # B 09-13 6 + 09-14 8 + 09-15..17 0 + 09-18 1 = 15 <= 16 -> done
    ("PR-002", QUOTES, ZHENG_KAI, _at("09-13 11:00"), _at("09-18 10:00"),
     Text("跨中秋节假期", "Spans the Mid-Autumn holiday")),
    ("PR-002", DIR_APPROVAL, HUANG_TAO, _at("09-18 10:00"), _at("09-18 16:00"), None),  # B 5
    # urgent: SLA sheet 8 (calendar); C 18 > 8 -> done_late (10)
    ("PR-002", ORDER, ZHENG_KAI, _at("09-18 16:00"), _at("09-19 10:00"), None),
    # PR-003 closed late: B 09-23..27 40 + 09-29 8 + 09-30 1 = 49 > 40
    ("PR-003", REQUEST, LI_MING, _at("09-23 09:00"), _at("09-23 11:00"), None),
    # B 5 + 3 = 8 = 8 -> done, exactly at the limit
    ("PR-003", MGR_APPROVAL, ZHANG_QIANG, _at("09-23 13:00"), _at("09-24 12:00"), None),
    ("PR-003", FINANCE, ZHOU_MIN, _at("09-24 13:00"), _at("09-25 12:00"), None),  # B 8 = 8
    # B 09-24 5 + 09-25 8 + 09-26 5 = 18 > 16 -> done_late (2)
    ("PR-003", QUOTES, ZHENG_KAI, _at("09-24 13:00"), _at("09-26 15:00"), None),
    ("PR-003", DIR_APPROVAL, HUANG_TAO, _at("09-26 15:00"), _at("09-27 11:00"), None),  # B 5
    # C 09-27 14:00 -> 09-30 10:00 = 68 > 24 -> done_late (44)
    ("PR-003", ORDER, ZHENG_KAI, _at("09-27 14:00"), _at("09-30 10:00"),
     Text("供应商周末不回复", "Supplier silent over the weekend")),
    # PR-004 closed on time: B 09-30 4 + 10-08 8 + 10-09 0.5 = 12.5 <= 40 (C would be 211.5)
    ("PR-004", REQUEST, WANG_LEI, _at("09-30 14:00"), _at("09-30 15:00"), None),
    ("PR-004", MGR_APPROVAL, ZHAO_LI, _at("09-30 15:00"), _at("09-30 17:30"), None),
    # B 09-30 0.5 + 10-08 1 = 1.5 (over the holiday)
    ("PR-004", FINANCE, ZHOU_MIN, _at("09-30 17:30"), _at("10-08 10:00"), None),
    ("PR-004", QUOTES, ZHENG_KAI, _at("09-30 17:30"), _at("10-08 16:00"), None),  # B 0.5 + 6
    ("PR-004", ORDER, ZHENG_KAI, _at("10-08 16:30"), _at("10-09 09:30"), None),  # C 17
    # PR-005 (urgent) closed on time: B 10-08 09:00 -> 16:00 = 6
    ("PR-005", REQUEST, LIU_TING, _at("10-08 09:00"), _at("10-08 09:20"), None),
    ("PR-005", MGR_APPROVAL, QIAN_WEI, _at("10-08 09:20"), _at("10-08 10:00"), None),
    ("PR-005", FINANCE, ZHOU_MIN, _at("10-08 10:00"), _at("10-08 11:00"), None),
    ("PR-005", QUOTES, ZHENG_KAI, _at("10-08 10:00"), _at("10-08 14:00"), None),
    ("PR-005", ORDER, ZHENG_KAI, _at("10-08 14:30"), _at("10-08 16:00"), None),  # C 1.5 <= 8
    # PR-006 closed on time: B 09-25 7 + 09-26 8 + 09-27 5 = 20 <= 40
    ("PR-006", REQUEST, WANG_LEI, _at("09-25 10:00"), _at("09-25 11:00"), None),
    ("PR-006", MGR_APPROVAL, ZHAO_LI, _at("09-25 11:00"), _at("09-25 15:00"), None),
    ("PR-006", FINANCE, ZHOU_MIN, _at("09-25 15:00"), _at("09-26 10:00"), None),
    ("PR-006", QUOTES, ZHENG_KAI, _at("09-25 15:00"), _at("09-26 17:00"), None),  # B 10
    ("PR-006", DIR_APPROVAL, HUANG_TAO, _at("09-26 17:00"), _at("09-27 10:00"), None),
    ("PR-006", ORDER, ZHENG_KAI, _at("09-27 10:30"), _at("09-27 15:00"), None),
    # PR-007 open, on_track
    ("PR-007", REQUEST, LI_MING, _at("10-09 10:00"), _at("10-09 10:30"), None),
    # B 1.5 + 3 = 4.5 / 8 -> on_track
    ("PR-007", MGR_APPROVAL, ZHANG_QIANG, _at("10-09 10:30"), _N, None),
    # PR-008 open, at_risk by the node's own warn_ratio
    ("PR-008", REQUEST, WANG_LEI, _at("09-30 16:00"), _at("09-30 17:00"), None),
    ("PR-008", MGR_APPROVAL, SUN_HAO, _at("09-30 17:00"), _at("10-08 11:00"),
     Text("赵丽休假，由代理人孙浩审批", "Zhao Li on leave; her deputy Sun Hao approved")),
    ("PR-008", FINANCE, ZHOU_MIN, _at("10-08 11:00"), _at("10-08 15:00"), None),
    # B 10-08 1 + 5 + 10-09 6 = 12 / 16 = 0.75 >= warn_ratio 0.5 (Process) -> at_risk
    # (with the default 0.8 it would be on_track)
    ("PR-008", QUOTES, ZHENG_KAI, _at("10-08 11:00"), _N, None),
    # PR-009 open, on_track thanks to an approved exception
    ("PR-009", REQUEST, LI_MING, _at("09-29 10:00"), _at("09-29 11:00"),
     Text("周日调休上班", "Sunday make-up workday")),
    ("PR-009", MGR_APPROVAL, ZHANG_QIANG, _at("09-29 11:00"), _at("09-30 10:00"), None),  # B 7
    ("PR-009", QUOTES, ZHENG_KAI, _at("09-30 10:00"), _at("10-08 15:00"), None),  # B 7 + 5
    # B 09-30 7 + 10-08 8 + 10-09 6 = 21; sla 8 + 24 approved = 32; 21 < 25.6 -> on_track
    # (without the exception: overdue 13)
    ("PR-009", FINANCE, ZHOU_MIN, _at("09-30 10:00"), _N, None),
    # PR-010 open, overdue at the (optional) director approval; its pending exception must not
    # count
    ("PR-010", REQUEST, LI_MING, _at("09-26 09:00"), _at("09-26 10:00"), None),
    ("PR-010", MGR_APPROVAL, ZHANG_QIANG, _at("09-26 10:00"), _at("09-26 16:00"), None),
    # B 2 + 7 = 9 > 8 -> done_late (1)
    ("PR-010", FINANCE, ZHOU_MIN, _at("09-26 16:00"), _at("09-27 17:00"), None),
    # B 09-26 2 + 09-27 8 + 09-29 8 + 09-30 2 = 20 > 16 -> done_late (4)
    ("PR-010", QUOTES, ZHENG_KAI, _at("09-26 16:00"), _at("09-30 11:00"), None),
    # B 09-30 6 + 10-08 8 + 10-09 6 = 20 > 8 -> overdue 12.0; due 10-08 11:00
    # (counting the pending +16: 20 < 24 -> at_risk: wrong)
    ("PR-010", DIR_APPROVAL, HUANG_TAO, _at("09-30 11:00"), _N, None),
    # PR-011 (critical) open, overdue: the approver went on leave
    ("PR-011", REQUEST, WANG_LEI, _at("09-30 17:00"), _at("09-30 17:30"), None),
    # critical: SLA sheet 2; B 09-30 0.5 + 10-08 8 + 10-09 6 = 14.5 > 2 -> overdue 12.5;
    # due 10-08 10:30
    ("PR-011", MGR_APPROVAL, ZHAO_LI, _at("09-30 17:30"), _N,
     Text("审批人休假，无人处理", "Approver on leave; nobody picked it up")),
    # PR-012 open, on_track, two parallel steps running (current node: both)
    ("PR-012", REQUEST, LIU_TING, _at("10-09 09:00"), _at("10-09 09:30"), None),
    ("PR-012", MGR_APPROVAL, QIAN_WEI, _at("10-09 09:30"), _at("10-09 11:00"), None),
    ("PR-012", FINANCE, ZHOU_MIN, _at("10-09 11:00"), _N, None),  # B 1 + 3 = 4 / 8
    ("PR-012", QUOTES, ZHENG_KAI, _at("10-09 11:00"), _N, None),  # B 4 / 16 = 0.25 < 0.5
    # PR-013 (urgent) open, overdue at the calendar-clock order step
    ("PR-013", REQUEST, LIU_TING, _at("09-27 09:00"), _at("09-27 09:30"), None),
    ("PR-013", MGR_APPROVAL, QIAN_WEI, _at("09-27 09:30"), _at("09-27 11:00"), None),
    ("PR-013", FINANCE, ZHOU_MIN, _at("09-27 11:00"), _at("09-27 15:00"), None),
    ("PR-013", QUOTES, ZHENG_KAI, _at("09-27 11:00"), _at("09-29 12:00"), None),  # B 1+5+3
    # urgent: SLA sheet 8 (calendar); C 10-08 09:00 -> 10-09 16:00 = 31 > 8 -> overdue 23.0;
    # due 10-08 17:00
    ("PR-013", ORDER, ZHENG_KAI, _at("10-08 09:00"), _N, None),
    # PR-014 open, at_risk at the order step
    ("PR-014", REQUEST, LI_MING, _at("10-08 09:00"), _at("10-08 09:30"), None),
    ("PR-014", MGR_APPROVAL, ZHANG_QIANG, _at("10-08 09:30"), _at("10-08 10:30"), None),
    ("PR-014", FINANCE, ZHOU_MIN, _at("10-08 10:30"), _at("10-08 14:00"), None),
    ("PR-014", QUOTES, ZHENG_KAI, _at("10-08 10:30"), _at("10-08 17:00"), None),
    # C 10-08 17:30 -> 10-09 16:00 = 22.5 / 24; 22.5 >= 19.2 -> at_risk
    ("PR-014", ORDER, ZHENG_KAI, _at("10-08 17:30"), _N, None),
)

_PURCHASE_PEOPLE = (
    (LI_MING, REQUESTER, ZHANG_QIANG, None, None, None, RND),
    (WANG_LEI, REQUESTER, ZHAO_LI, None, None, None, MARKETING),
    (LIU_TING, REQUESTER, QIAN_WEI, None, None, None, ADMIN),
    (ZHANG_QIANG, DEPT_MANAGER, HUANG_TAO, None, None, None, RND),
    # On leave over the as-of date: approvals routed to her go to her deputy Sun Hao.
    (ZHAO_LI, DEPT_MANAGER, HUANG_TAO, SUN_HAO, _day("10-08"), _day("10-10"), MARKETING),
    (SUN_HAO, DEPUTY_MANAGER, ZHAO_LI, None, None, None, MARKETING),
    (QIAN_WEI, DEPT_MANAGER, HUANG_TAO, None, None, None, ADMIN),
    (ZHOU_MIN, FINANCE_OFFICER, WU_FANG, None, None, None, FINANCE_DEPT),
    (WU_FANG, FINANCE_MANAGER, HUANG_TAO, None, None, None, FINANCE_DEPT),
    (ZHENG_KAI, BUYER, FENG_JIE, FENG_JIE, _day("10-21"), _day("10-25"), PROCUREMENT),
    (FENG_JIE, PROCUREMENT_MANAGER, HUANG_TAO, None, None, None, PROCUREMENT),
    (HUANG_TAO, DIRECTOR, LIN_FENG, None, None, None, None),
    (LIN_FENG, GENERAL_MANAGER, None, None, None, None, None),  # the top: no manager
)

# Hit policy UNIQUE: exactly one row may match each case, so the ranges do not overlap.
_PURCHASE_RULES_HEADER = ("rule", _case_column("amount"), "approver_role", "approver", "note")
_PURCHASE_RULES = (
    ("R1", "< 5000", DEPT_MANAGER, None,
     Text("5000 以下由本部门经理审批（休假时由代理人审批）",
          "Below 5,000 the department manager approves (a deputy while away)")),
    ("R2", "[5000..50000]", DIRECTOR, None,
     Text("5000 至 5 万（含）由总监审批", "5,000 to 50,000 inclusive: the director")),
    ("R3", "> 50000", GENERAL_MANAGER, None,
     Text("超过 5 万由总经理审批", "Above 50,000: the general manager")),
)

_PURCHASE_SLA = (
    (MGR_APPROVAL, "urgent", 4),
    (MGR_APPROVAL, "critical", 2),
    (QUOTES, "critical", 8),
    (ORDER, "urgent", 8),
)

_PURCHASE_EXCEPTIONS = (
    ("PR-009", FINANCE, 24,
     Text("预算需从研发专项调剂，等待批准", "Budget must move from an R&D project first"),
     WU_FANG, "approved"),
    ("PR-010", DIR_APPROVAL, 16, Text("等待供应商补充报价", "Waiting for a revised quote"),
     None, "pending"),
    ("PR-011", MGR_APPROVAL, 8, Text("审批人休假", "Approver on leave"), HUANG_TAO, "rejected"),
)

# ----------------------------------------------------------------------------------------------
# Contract: draft -> technical review || legal review (same `after`) -> approval -> signing
# (72 h, calendar clock) -> archiving (not required). Hit policy COLLECT: countersign (会签).

DRAFT = Text("合同起草", "Draft contract")
TECH_REVIEW = Text("技术评审", "Technical review")
LEGAL_REVIEW = Text("法务审核", "Legal review")
APPROVAL = Text("合同审批", "Approval")
SIGNING = Text("合同签署", "Signing")
ARCHIVE = Text("合同归档", "Archiving")

ACCOUNT_MANAGER = Text("业务经办人", "Account manager")
TECH_LEAD = Text("技术负责人", "Technical lead")
LEGAL_COUNSEL = Text("法务专员", "Legal counsel")
LEGAL_MANAGER = Text("法务经理", "Legal manager")
RECORDS_CLERK = Text("档案管理员", "Records clerk")
CTO = Text("技术总监", "CTO")

SALES = Text("销售部", "Sales")
ENGINEERING = Text("技术部", "Engineering")
LEGAL = Text("法务部", "Legal")

CHEN_CHEN = Text("陈晨", "Chen Chen")
LIN_XUE = Text("林雪", "Lin Xue")
GAO_YUAN = Text("高原", "Gao Yuan")
XU_KE = Text("许可", "Xu Ke")
HE_QING = Text("何青", "He Qing")
TANG_NING = Text("唐宁", "Tang Ning")
SONG_JIA = Text("宋佳", "Song Jia")
HAN_BING = Text("韩冰", "Han Bing")
LUO_JUN = Text("罗军", "Luo Jun")
CAO_YANG = Text("曹阳", "Cao Yang")
DENG_HUA = Text("邓华", "Deng Hua")
XIE_MING = Text("谢明", "Xie Ming")

NDA = Text("保密协议", "NDA")
SALES_CONTRACT = Text("销售合同", "Sales contract")
PURCHASE_CONTRACT = Text("采购合同", "Purchase contract")
TECH_SERVICES = Text("技术服务", "Technical services")
SOFTWARE_DEV = Text("软件开发", "Software development")

_CONTRACT_PROCESS = (
    (DRAFT, 1, ACCOUNT_MANAGER, 16, "business", "yes", None, None),
    # technical review and legal review have the same predecessor: they run in parallel
    (TECH_REVIEW, 2, TECH_LEAD, 8, "business", "yes", _after(DRAFT), None),
    (LEGAL_REVIEW, 3, LEGAL_COUNSEL, 16, "business", "yes", _after(DRAFT), None),
    (APPROVAL, 4, DEPT_MANAGER, 8, "business", "yes", _after(TECH_REVIEW, LEGAL_REVIEW), None),
    (SIGNING, 5, ACCOUNT_MANAGER, 72, "calendar", "yes", _after(APPROVAL), None),
    (ARCHIVE, 6, RECORDS_CLERK, 8, "business", "no", _after(SIGNING), None),
)

_CONTRACT_CASES = (
    ("CT-001", _at("09-18 09:00"), Text("与华东经销商签保密协议", "NDA with an East China dealer"),
     NDA, "normal", 3000, SALES, "very_satisfied"),
    ("CT-002", _at("09-10 09:00"), Text("生产线检测设备采购", "Inspection equipment for the line"),
     PURCHASE_CONTRACT, "normal", 120000, PROCUREMENT, "dissatisfied"),
    ("CT-003", _at("09-23 10:00"), Text("华南年度框架销售合同", "Annual sales framework, South"),
     SALES_CONTRACT, "urgent", 45000, SALES, "satisfied"),
    ("CT-004", _at("10-08 09:00"), Text("服务器紧急维保", "Emergency server maintenance"),
     TECH_SERVICES, "critical", 8000, PROCUREMENT, "satisfied"),
    ("CT-005", _at("09-27 09:00"), Text("客户门户定制开发", "Custom customer-portal development"),
     SOFTWARE_DEV, "normal", 15000, SALES, "neutral"),
    ("CT-006", _at("10-09 09:30"), Text("与新供应商签保密协议", "NDA with a new supplier"),
     NDA, "normal", 2000, PROCUREMENT, None),
    ("CT-007", _at("09-30 09:00"),
     Text("经销商季度供货合同", "Quarterly supply deal with a dealer"),
     SALES_CONTRACT, "normal", 36000, SALES, None),
    ("CT-008", _at("09-29 09:00"), Text("原材料长期供货协议", "Long-term raw-material supply"),
     PURCHASE_CONTRACT, "urgent", 58000, PROCUREMENT, None),
    ("CT-009", _at("09-25 14:00"), Text("海外代理合同", "Overseas agency agreement"),
     SALES_CONTRACT, "normal", 68000, SALES, None),
    ("CT-010", _at("09-26 09:00"), Text("办公网络巡检服务", "Office network inspection service"),
     TECH_SERVICES, "normal", 4500, PROCUREMENT, None),
    ("CT-011", _at("10-08 09:30"), Text("小程序开发合同", "Mini-program development"),
     SOFTWARE_DEV, "normal", 9500, SALES, None),
    ("CT-012", _at("10-09 13:30"), Text("包装材料采购", "Packaging materials"),
     PURCHASE_CONTRACT, "normal", 12000, PROCUREMENT, None),
    ("CT-013", _at("10-08 10:00"), Text("样机销售合同", "Sale of demo units"),
     SALES_CONTRACT, "normal", 6000, SALES, "very_satisfied"),
    ("CT-014", _at("09-30 10:00"), Text("数据中心年度运维", "Data-centre operations for a year"),
     TECH_SERVICES, "critical", 150000, PROCUREMENT, None),
)

# Case lines: case clock calendar, case_sla 240 (C from opened_at to the last end).
_CONTRACT_LOG = (
    # CT-001 closed on time: C 09-18 09:00 -> 09-20 15:00 = 54
    ("CT-001", DRAFT, CHEN_CHEN, _at("09-18 09:00"), _at("09-18 11:00"), None),
    ("CT-001", TECH_REVIEW, GAO_YUAN, _at("09-18 11:00"), _at("09-18 14:00"), None),  # B 2
    ("CT-001", LEGAL_REVIEW, XU_KE, _at("09-18 11:00"), _at("09-19 10:00"), None),  # B 7
    ("CT-001", APPROVAL, SONG_JIA, _at("09-19 10:00"), _at("09-19 15:00"), None),  # B 4
    ("CT-001", SIGNING, CHEN_CHEN, _at("09-19 15:00"), _at("09-20 11:00"), None),  # C 20
    ("CT-001", ARCHIVE, TANG_NING, _at("09-20 14:00"), _at("09-20 15:00"), None),
    # CT-002 closed late: C 09-10 09:00 -> 09-23 11:00 = 314 > 240
    ("CT-002", DRAFT, LIN_XUE, _at("09-10 09:00"), _at("09-11 17:00"), None),  # B 8 + 7 = 15
    # B 09-11 1 + 09-12 8 + 09-13 1 = 10 > 8 -> done_late (2)
    ("CT-002", TECH_REVIEW, GAO_YUAN, _at("09-11 17:00"), _at("09-13 10:00"), None),
    # B 09-11 1 + 09-12 8 + 09-13 8 + 09-14 (Sat, make-up) 6 = 23 > 16 -> done_late (7)
    ("CT-002", LEGAL_REVIEW, HE_QING, _at("09-11 17:00"), _at("09-14 16:00"),
     Text("周六调休上班完成", "Finished on the Saturday make-up workday")),
    ("CT-002", APPROVAL, HAN_BING, _at("09-18 09:00"), _at("09-18 15:00"), None),  # B 5
    # C 09-18 15:00 -> 09-23 11:00 = 116 > 72 -> done_late (44)
    ("CT-002", SIGNING, LIN_XUE, _at("09-18 15:00"), _at("09-23 11:00"),
     Text("对方盖章流程慢", "Counterparty's seal took long")),
    # CT-003 (urgent) closed on time: C 09-23 10:00 -> 09-30 10:00 = 168 <= 240
    ("CT-003", DRAFT, CHEN_CHEN, _at("09-23 10:00"), _at("09-23 16:00"), None),  # B 5
    ("CT-003", TECH_REVIEW, GAO_YUAN, _at("09-23 16:00"), _at("09-24 11:00"), None),  # B 4
    # urgent: SLA sheet 8; B 2 + 3 + 2 = 7 <= 8
    ("CT-003", LEGAL_REVIEW, XU_KE, _at("09-23 16:00"), _at("09-24 15:00"), None),
    ("CT-003", APPROVAL, SONG_JIA, _at("09-24 15:00"), _at("09-25 10:00"), None),  # B 4
    ("CT-003", SIGNING, CHEN_CHEN, _at("09-25 10:00"), _at("09-26 16:00"), None),  # C 30
    # B 09-26 2 + 09-27 8 + 09-29 (Sun, make-up) 8 + 09-30 1 = 19 > 8 -> done_late (11)
    ("CT-003", ARCHIVE, TANG_NING, _at("09-26 16:00"), _at("09-30 10:00"), None),
    # CT-004 (critical) closed on time: C 10-08 09:00 -> 10-09 11:00 = 26
    ("CT-004", DRAFT, LIN_XUE, _at("10-08 09:00"), _at("10-08 11:00"), None),
    ("CT-004", TECH_REVIEW, GAO_YUAN, _at("10-08 11:00"), _at("10-08 14:00"), None),  # B 2
    # critical: SLA sheet 4; B 1 + 2 = 3 <= 4
    ("CT-004", LEGAL_REVIEW, HE_QING, _at("10-08 11:00"), _at("10-08 15:00"), None),
    # critical: SLA sheet 4; B 2 <= 4
    ("CT-004", APPROVAL, HAN_BING, _at("10-08 15:00"), _at("10-08 17:00"), None),
    ("CT-004", SIGNING, LIN_XUE, _at("10-08 17:00"), _at("10-09 11:00"), None),  # C 18
    # CT-005 closed late (calendar case clock counts the holiday):
    # C 09-27 09:00 -> 10-09 11:00 = 290 > 240
    ("CT-005", DRAFT, CHEN_CHEN, _at("09-27 09:00"), _at("09-27 17:00"), None),  # B 7
    ("CT-005", TECH_REVIEW, GAO_YUAN, _at("09-27 17:00"), _at("09-29 12:00"), None),  # B 1 + 3
    ("CT-005", LEGAL_REVIEW, XU_KE, _at("09-27 17:00"), _at("09-30 11:00"), None),  # B 1+8+2
    # B 09-30 6 + 10-08 1 = 7 <= 8 -> done (the holiday does not count)
    ("CT-005", APPROVAL, SONG_JIA, _at("09-30 11:00"), _at("10-08 10:00"),
     Text("跨国庆节假期", "Spans the National Day holiday")),
    ("CT-005", SIGNING, CHEN_CHEN, _at("10-08 10:00"), _at("10-09 10:00"), None),  # C 24
    ("CT-005", ARCHIVE, TANG_NING, _at("10-09 10:00"), _at("10-09 11:00"), None),
    # CT-006 open, on_track, the two parallel reviews running (current node: both)
    ("CT-006", DRAFT, LIN_XUE, _at("10-09 09:30"), _at("10-09 11:00"), None),
    ("CT-006", TECH_REVIEW, GAO_YUAN, _at("10-09 11:00"), _N, None),  # B 1 + 3 = 4 / 8
    ("CT-006", LEGAL_REVIEW, HE_QING, _at("10-09 11:00"), _N, None),  # B 4 / 16
    # CT-007 open, at_risk in legal review
    ("CT-007", DRAFT, CHEN_CHEN, _at("09-30 09:00"), _at("09-30 12:00"), None),
    ("CT-007", TECH_REVIEW, GAO_YUAN, _at("09-30 13:00"), _at("09-30 16:30"), None),
    # B 09-30 1.5 + 10-08 8 + 10-09 6 = 15.5 / 16; 15.5 >= 12.8 -> at_risk
    ("CT-007", LEGAL_REVIEW, XU_KE, _at("09-30 16:30"), _N, None),
    # CT-008 (urgent) open, overdue in legal review (its exception was rejected)
    ("CT-008", DRAFT, LIN_XUE, _at("09-29 09:00"), _at("09-29 14:00"), None),  # B 3 + 1
    ("CT-008", TECH_REVIEW, GAO_YUAN, _at("09-29 14:00"), _at("09-29 17:00"), None),
    # urgent: SLA sheet 8; B 09-29 4 + 09-30 8 + 10-08 8 + 10-09 6 = 26 > 8 -> overdue 18.0;
    # due 09-30 14:00
    ("CT-008", LEGAL_REVIEW, HE_QING, _at("09-29 14:00"), _N,
     Text("对方律师休假", "Counterparty's lawyer on holiday")),
    # CT-009 open, on_track thanks to an approved exception
    ("CT-009", DRAFT, CHEN_CHEN, _at("09-25 14:00"), _at("09-26 12:00"), None),  # B 4 + 3
    ("CT-009", TECH_REVIEW, GAO_YUAN, _at("09-26 13:00"), _at("09-26 17:00"), None),
    ("CT-009", LEGAL_REVIEW, XU_KE, _at("09-26 13:00"), _at("09-27 15:00"), None),  # B 5 + 5
    # B 09-27 3 + 09-29 8 + 09-30 8 + 10-08 8 + 10-09 6 = 33; sla 8 + 40 approved = 48;
    # 33 < 38.4 -> on_track (without the exception: overdue 25)
    ("CT-009", APPROVAL, SONG_JIA, _at("09-27 15:00"), _N, None),
    # CT-010 open, overdue at the calendar-clock signing step
    ("CT-010", DRAFT, LIN_XUE, _at("09-26 09:00"), _at("09-26 15:00"), None),  # B 3 + 2
    ("CT-010", TECH_REVIEW, GAO_YUAN, _at("09-26 15:00"), _at("09-27 10:00"), None),  # B 3 + 1
    ("CT-010", LEGAL_REVIEW, HE_QING, _at("09-26 15:00"), _at("09-29 11:00"), None),  # B 13
    # B 09-29 5 + 09-30 4 = 9 > 8 -> done_late (1)
    ("CT-010", APPROVAL, HAN_BING, _at("09-29 13:00"), _at("09-30 14:00"), None),
    # C 09-30 15:00 -> 10-09 16:00 = 217 > 72 -> overdue 145.0; due 10-03 15:00
    ("CT-010", SIGNING, LIN_XUE, _at("09-30 15:00"), _N,
     Text("对方国庆假期未回寄", "Counterparty away over the holiday")),
    # CT-011 open, at_risk while drafting: B 10-08 2.5 + 5 + 10-09 6 = 13.5 / 16; >= 12.8
    ("CT-011", DRAFT, CHEN_CHEN, _at("10-08 09:30"), _N, None),
    # CT-012 open, on_track: B 13:30 -> 16:00 = 2.5 / 16
    ("CT-012", DRAFT, LIN_XUE, _at("10-09 13:30"), _N, None),
    # CT-013 closed on time: C 10-08 10:00 -> 10-09 15:00 = 29
    ("CT-013", DRAFT, CHEN_CHEN, _at("10-08 10:00"), _at("10-08 12:00"), None),
    ("CT-013", TECH_REVIEW, GAO_YUAN, _at("10-08 13:00"), _at("10-08 15:00"), None),
    ("CT-013", LEGAL_REVIEW, XU_KE, _at("10-08 13:00"), _at("10-08 17:00"), None),
    ("CT-013", APPROVAL, SONG_JIA, _at("10-08 17:00"), _at("10-09 10:00"), None),  # B 1 + 1
    ("CT-013", SIGNING, CHEN_CHEN, _at("10-09 10:00"), _at("10-09 14:00"), None),
    ("CT-013", ARCHIVE, TANG_NING, _at("10-09 14:00"), _at("10-09 15:00"), None),
    # CT-014 (critical) open, overdue in technical review (its pending exception must not count)
    ("CT-014", DRAFT, LIN_XUE, _at("09-30 10:00"), _at("09-30 14:00"), None),  # B 2 + 1
    # critical: SLA sheet 4; B 3 <= 4
    ("CT-014", LEGAL_REVIEW, HE_QING, _at("09-30 14:00"), _at("09-30 17:00"), None),
    # B 09-30 4 + 10-08 8 + 10-09 6 = 18 > 8 -> overdue 10.0; due 10-08 14:00
    # (counting the pending +16: 18 < 19.2 -> on_track: wrong)
    ("CT-014", TECH_REVIEW, GAO_YUAN, _at("09-30 14:00"), _N, None),
)

_CONTRACT_PEOPLE = (
    (CHEN_CHEN, ACCOUNT_MANAGER, SONG_JIA, None, None, None, SALES),
    (LIN_XUE, ACCOUNT_MANAGER, HAN_BING, None, None, None, PROCUREMENT),
    (GAO_YUAN, TECH_LEAD, CAO_YANG, None, None, None, ENGINEERING),
    (XU_KE, LEGAL_COUNSEL, LUO_JUN, None, None, None, LEGAL),
    (HE_QING, LEGAL_COUNSEL, LUO_JUN, None, None, None, LEGAL),
    (TANG_NING, RECORDS_CLERK, LUO_JUN, None, None, None, ADMIN),
    (SONG_JIA, DEPT_MANAGER, XIE_MING, None, None, None, SALES),
    (HAN_BING, DEPT_MANAGER, XIE_MING, None, None, None, PROCUREMENT),
    # Countersigns for every department (no department); on leave over the as-of date:
    # countersigns routed to him go to his deputy He Qing.
    (LUO_JUN, LEGAL_MANAGER, XIE_MING, HE_QING, _day("10-08"), _day("10-09"), None),
    (CAO_YANG, CTO, XIE_MING, None, None, None, None),
    (DENG_HUA, FINANCE_MANAGER, XIE_MING, None, None, None, None),
    (XIE_MING, GENERAL_MANAGER, None, None, None, None, None),  # the top: no manager
)

# Hit policy COLLECT: every matching row adds an approver (countersign, 会签).
_CONTRACT_RULES_HEADER = ("rule", _case_column("type"), _case_column("amount"), "approver_role",
                          "approver", "note")
_CONTRACT_RULES = (
    ("R1", "-", "-", LEGAL_MANAGER, None,
     Text("每份合同法务经理会签", "Legal countersigns every contract")),
    ("R2", "-", "< 50000", DEPT_MANAGER, None,
     Text("5 万以下由本部门经理审批", "Below 50,000: the department manager")),
    ("R3", "-", ">= 50000", GENERAL_MANAGER, None,
     Text("5 万及以上由总经理审批", "50,000 or more: the general manager")),
    ("R4", Text('"技术服务","软件开发"', '"Technical services","Software development"'), "-",
     CTO, None, Text("技术类合同技术总监会签", "Technical contracts: the CTO countersigns")),
    ("R5", Text('not("保密协议")', 'not("NDA")'), ">= 5000", FINANCE_MANAGER, None,
     Text("5000 及以上的非保密协议财务会签", "5,000 or more, except NDAs: finance countersigns")),
)

_CONTRACT_SLA = (
    (LEGAL_REVIEW, "urgent", 8),
    (LEGAL_REVIEW, "critical", 4),
    (APPROVAL, "critical", 4),
)

_CONTRACT_EXCEPTIONS = (
    ("CT-009", APPROVAL, 40,
     Text("5 万以上需总经理办公会审议", "Above 50,000: needs the management meeting"),
     XIE_MING, "approved"),
    ("CT-014", TECH_REVIEW, 16, Text("等待供应商技术方案", "Waiting for the supplier's proposal"),
     None, "pending"),
    ("CT-008", LEGAL_REVIEW, 24, Text("对方律师休假", "Counterparty's lawyer on holiday"),
     LUO_JUN, "rejected"),
)


# fmt: on


# ----------------------------------------------------------------------------------------------
# Assembly


@dataclass(frozen=True)
class _Data:
    title: Text
    summary: Text  # one line about the process for the "How to use" sheet
    process: tuple[tuple[object, ...], ...]
    cases_header: tuple[object, ...]
    cases: tuple[tuple[object, ...], ...]
    log: tuple[tuple[object, ...], ...]
    people: tuple[tuple[object, ...], ...]
    rules_header: tuple[object, ...]
    rules: tuple[tuple[object, ...], ...]
    sla: tuple[tuple[object, ...], ...]
    exceptions: tuple[tuple[object, ...], ...]
    case_sla_hours: float
    case_clock: str
    hit_policy: str


_CASE_COLUMNS = (
    "case_id",
    "opened_at",
    "title",
    "type",
    "priority",
    "amount",
    "department",
    "satisfaction",
)

_DATA: dict[str, _Data] = {
    "complaints": _Data(
        title=Text("投诉处理流程", "Complaint handling"),
        summary=Text(
            "示例流程：投诉接收 → 分类分级（0.5 小时）→ 责任部门分配 → 处理方案制定（48 工作小时）"
            " 与 赔付审核（8 工作小时，非必经）并行 → 结果反馈（在处理方案之后）"
            " → 客户回访（24 自然小时，非必经）。",
            "Example process: receive complaint -> classify (0.5 h) -> assign department -> "
            "resolution plan (48 business hours) and compensation review (8 business hours, "
            "optional) in parallel -> feedback (after the plan) -> follow-up call (24 calendar "
            "hours, optional).",
        ),
        process=_COMPLAINTS_PROCESS,
        cases_header=(
            "case_id",
            "opened_at",
            "title",
            "type",
            CHANNEL,
            "priority",
            "amount",
            "department",
            "satisfaction",
        ),
        cases=_COMPLAINTS_CASES,
        log=_COMPLAINTS_LOG,
        people=_COMPLAINTS_PEOPLE,
        rules_header=_COMPLAINTS_RULES_HEADER,
        rules=_COMPLAINTS_RULES,
        sla=_COMPLAINTS_SLA,
        exceptions=_COMPLAINTS_EXCEPTIONS,
        case_sla_hours=72,
        case_clock="calendar",
        hit_policy="FIRST",
    ),
    "purchase": _Data(
        title=Text("采购审批流程", "Purchase approval"),
        summary=Text(
            "示例流程：采购申请 → 部门经理审批 → 财务审核 与 采购询价 并行 → 总监审批（非必经）"
            " → 下单（24 自然小时）。",
            "Example process: purchase request -> manager approval -> finance review and "
            "supplier quotes in parallel -> director approval (optional) -> place order "
            "(24 calendar hours).",
        ),
        process=_PURCHASE_PROCESS,
        cases_header=_CASE_COLUMNS,
        cases=_PURCHASE_CASES,
        log=_PURCHASE_LOG,
        people=_PURCHASE_PEOPLE,
        rules_header=_PURCHASE_RULES_HEADER,
        rules=_PURCHASE_RULES,
        sla=_PURCHASE_SLA,
        exceptions=_PURCHASE_EXCEPTIONS,
        case_sla_hours=40,
        case_clock="business",
        hit_policy="UNIQUE",
    ),
    "contract": _Data(
        title=Text("合同审批流程", "Contract approval"),
        summary=Text(
            "示例流程：合同起草 → 技术评审 与 法务审核 并行 → 合同审批（会签）→ 合同签署"
            "（72 自然小时）→ 合同归档（非必经）。",
            "Example process: draft -> technical review and legal review in parallel -> "
            "approval (countersigned) -> signing (72 calendar hours) -> archiving (optional).",
        ),
        process=_CONTRACT_PROCESS,
        cases_header=_CASE_COLUMNS,
        cases=_CONTRACT_CASES,
        log=_CONTRACT_LOG,
        people=_CONTRACT_PEOPLE,
        rules_header=_CONTRACT_RULES_HEADER,
        rules=_CONTRACT_RULES,
        sla=_CONTRACT_SLA,
        exceptions=_CONTRACT_EXCEPTIONS,
        case_sla_hours=240,
        case_clock="calendar",
        hit_policy="COLLECT",
    ),
}


def _cell(value: object, column: schema.Column | None, lang: str) -> object:
    if isinstance(value, Text):
        return value(lang)
    if column is not None and column.enum is not None and isinstance(value, str):
        return column.enum.label(value, lang)
    return value


def _sheet(
    sheet: schema.Sheet,
    header: tuple[object, ...],
    rows: tuple[tuple[object, ...], ...],
    lang: str,
) -> TemplateSheet:
    """Render one sheet: `header` holds schema column names (str) or Text for extra columns."""
    columns = tuple(sheet.column(h) if isinstance(h, str) else None for h in header)
    labels = tuple(
        col.label(lang) if col is not None else h(lang)  # type: ignore[operator]
        for h, col in zip(header, columns, strict=True)
    )
    body = tuple(
        tuple(_cell(value, col, lang) for value, col in zip(row, columns, strict=True))
        for row in rows
    )
    return TemplateSheet(sheet, sheet.label(lang), labels, columns, body)


def _people_rows(people: tuple[tuple[object, ...], ...]) -> tuple[tuple[object, ...], ...]:
    return tuple(
        (name, role, _email(name), manager, deputy, away_from, away_to, department)  # type: ignore[arg-type]
        for name, role, manager, deputy, away_from, away_to, department in people
    )


def _guide(data: _Data, lang: str) -> tuple[GuideLine, ...]:
    zh = lang == schema.ZH

    def title(name: str) -> str:
        return schema.SHEETS_BY_NAME[name].label(lang)

    def outputs(sheet: schema.Sheet) -> str:
        return ("、" if zh else ", ").join(col.label(lang) for col in sheet.outputs)

    output_sheets = ("、" if zh else ", ").join(
        zh_name if zh else name for name, zh_name in schema.OUTPUT_SHEETS.items()
    )
    if zh:
        intro = (
            "这个工作簿记录一个业务流程：节点（流程定义）、流经它的工单（工单）以及谁在何时办理了"
            "什么（执行记录）。sheetflow 读取它、检查它，并把计算结果写回。",
            data.summary(lang),
            "表头颜色较深的是必填列，灰色表头是自行添加的列。带下拉箭头的单元格可从列表中选择。",
        )
        sheets = {
            "Process": "流程的各个节点：责任岗位、时限小时、计时方式（工作时间/自然时间）、"
            "是否必经、前置节点（前置节点相同的节点并行办理）、预警比例。",
            "Cases": "每行一张工单：编号、创建时间、紧急程度、金额、部门、满意度……"
            "可以自行加列（如“渠道”），并在审批规则里使用。",
            "Log": "每个工单每个节点的一次办理：执行人、开始时间、结束时间（办理中则留空）。",
            "People": "所有相关人员：岗位、邮箱、上级、代理人、休假起止日期"
            "（休假期间由代理人审批）。",
            "Rules": "审批规则（决策表）：除规则、审批岗位、审批人、备注外，每一列检验工单表的"
            "同名列，可写 >= 5000、[5000..50000]、-（任意）、A, B（列表）、not(...)。",
            "Calendar": "法定节假日（休息）和周末调休上班日（上班）。",
            "SLA": "按紧急程度覆盖节点时限，例如紧急、特急工单的时限更短。",
            "Exceptions": "流程异常申请：延长某张工单某个节点的时限，只有“已批准”的才计入。",
            "Settings": "工作时间、周末、时区、预警比例、整单时限、审批规则命中策略、输出语言。",
        }
        writes = (
            "sheetflow 写入",
            f"{title('Log')}右侧的计算列（{outputs(schema.LOG)}）、{title('Cases')}右侧的计算列"
            f"（{outputs(schema.CASES)}），以及工作表 {output_sheets}。每次运行都会重写这些"
            "内容，请不要在其中录入；您自己填写的单元格不会被改动。",
        )
        commands = (
            ("检查工作簿", "sheetflow validate BOOK"),
            ("计算并写回", f"sheetflow refresh BOOK --as-of {EXAMPLE_AS_OF_TEXT}"),
            ("列出超时节点", f"sheetflow overdue BOOK --as-of {EXAMPLE_AS_OF_TEXT}"),
        )
        example = (
            "示例以 2024-10-09 16:00（国庆假期后第二天）为“当前时间”编排：加上 --as-of "
            f"{EXAMPLE_AS_OF_TEXT} 运行，即可看到正常、预警和超时的工单。不加 --as-of 时按当前"
            "时间计算。开始使用前删除示例行（保留表头行）即可。"
        )
        after = (
            "refresh 计算耗时、状态、截止时间、审批人和各项指标并写回工作簿（写回前先检查；"
            "写回时 Excel 需关闭该文件）；validate 只检查、不写入。"
        )
        headings = (("工作表", "用途"), ("用途", "命令（BOOK 换成工作簿的路径）"))
    else:
        intro = (
            "This workbook keeps one business process: its steps (Process), the cases that go "
            "through it (Cases) and who worked on what, when (Log). sheetflow reads it, checks it "
            "and writes the results back.",
            data.summary(lang),
            "Darker headers mark the required columns, grey headers your own extra columns. "
            "Cells with a drop-down arrow offer a list to pick from.",
        )
        sheets = {
            "Process": "The steps of the process: responsible role, time limit in hours, clock "
            "(business or calendar), whether a step may be skipped (required), the steps before "
            "it (after; steps with the same predecessors run in parallel), warning ratio.",
            "Cases": "One row per case: id, when it was opened, priority, amount, department, "
            "satisfaction... Add your own columns (like channel) and use them in Rules.",
            "Log": "One row each time a step is worked on for a case: who, start, end (leave end "
            "empty while the step is in progress).",
            "People": "Everyone involved: role, email, manager, deputy and leave dates (while "
            "someone is away, their deputy approves).",
            "Rules": "Who approves which case, as a decision table: every column other than "
            "rule, approver_role, approver and note tests the Cases column of the same name: "
            ">= 5000, [5000..50000], - (anything), A, B (a list), not(...).",
            "Calendar": "Public holidays (holiday) and make-up working days on weekends (workday).",
            "SLA": "Time limits per priority that replace a step's limit, e.g. shorter ones for "
            "urgent and critical cases.",
            "Exceptions": "Extensions of a step's time limit for one case; only approved ones "
            "count.",
            "Settings": "Working hours, weekend, time zone, warning ratio, case time limit, how "
            "Rules pick approvers (hit policy), language.",
        }
        writes = (
            "sheetflow writes",
            f"Computed columns at the right of {title('Log')} ({outputs(schema.LOG)}) and of "
            f"{title('Cases')} ({outputs(schema.CASES)}), and the sheets {output_sheets}. They "
            "are rewritten on every run, so don't type in them; the cells you fill in are never "
            "changed.",
        )
        commands = (
            ("Check the workbook", "sheetflow validate BOOK"),
            ("Compute, write back", f"sheetflow refresh BOOK --as-of {EXAMPLE_AS_OF_TEXT}"),
            ("List overdue steps", f"sheetflow overdue BOOK --as-of {EXAMPLE_AS_OF_TEXT}"),
        )
        example = (
            "The examples are built around 9 Oct 2024 16:00, the day after the National Day "
            f"holiday: run with --as-of {EXAMPLE_AS_OF_TEXT} to see cases on track, at risk and "
            "overdue. Without --as-of sheetflow uses the current time. Delete the example rows "
            "(keep the header row) to start with your own data."
        )
        after = (
            "refresh computes durations, statuses, due times, approvers and KPIs and writes them "
            "into the workbook (close it in Excel first); validate only checks and writes "
            "nothing."
        )
        headings = (
            ("Sheet", "What it is for"),
            ("To", "Command (BOOK: the path of this workbook)"),
        )
    lines = [GuideLine(PARAGRAPH, "", text) for text in (*intro, example)]
    lines.append(GuideLine(HEADING, *headings[0]))
    lines += [GuideLine(ENTRY, title(name), text) for name, text in sheets.items()]
    lines.append(GuideLine(ENTRY, *writes))
    lines.append(GuideLine(HEADING, *headings[1]))
    lines += [GuideLine(COMMAND, key, text) for key, text in commands]
    lines.append(GuideLine(PARAGRAPH, "", after))
    return tuple(lines)


def build_template(name: str, lang: str) -> Template:
    """The example workbook `name` in language `lang`, as plain values.

    name: one of TEMPLATES; lang: "en" or "zh". Raises ValueError for anything else.
    """
    if name not in _DATA:
        raise ValueError(f"unknown template {name!r}; choose one of: {', '.join(TEMPLATES)}")
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of: {', '.join(LANGUAGES)}")
    data = _DATA[name]
    people_header = (
        "name",
        "role",
        "email",
        "manager",
        "deputy",
        "away_from",
        "away_to",
        "department",
    )
    sheets = (
        _sheet(
            schema.PROCESS,
            ("node", "seq", "role", "sla_hours", "clock", "required", "after", "warn_ratio"),
            data.process,
            lang,
        ),
        _sheet(schema.CASES, data.cases_header, data.cases, lang),
        _sheet(schema.LOG, ("case_id", "node", "assignee", "start", "end", "note"), data.log, lang),
        _sheet(schema.PEOPLE, people_header, _people_rows(data.people), lang),
        _sheet(schema.RULES, data.rules_header, data.rules, lang),
        _sheet(schema.CALENDAR, ("date", "kind", "name"), CALENDAR_ROWS, lang),
        _sheet(schema.SLA, ("node", "priority", "sla_hours"), data.sla, lang),
        _sheet(
            schema.EXCEPTIONS,
            ("case_id", "node", "extend_hours", "reason", "approved_by", "status"),
            data.exceptions,
            lang,
        ),
        _sheet(
            schema.SETTINGS,
            ("key", "value", DESCRIPTION),
            _settings_rows(data.case_sla_hours, data.case_clock, data.hit_policy, lang),
            lang,
        ),
    )
    guide_title = "使用说明" if lang == schema.ZH else "How to use"
    book_title = f"{data.title(lang)} — sheetflow"
    return Template(name, lang, book_title, sheets, guide_title, _guide(data, lang))
