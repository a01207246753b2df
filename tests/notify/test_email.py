"""Digests delivered to a real SMTP server on 127.0.0.1 and parsed as they arrived."""

from __future__ import annotations

import re

from tests.notify.helpers import notify_once
from tests.notify.servers import AS_OF, SCRIPT_TITLE


def by_to(received):
    return {r.message["To"]: r for r in received}


def test_one_digest_per_person_to_them_cc_manager(en_book, tmp_path, smtp):
    outcome = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url)
    assert outcome.failures == []
    mails = by_to(smtp.received)
    # Ann (C1 overdue), Cai (C3 overdue), Bob has no email: his at-risk C2 goes to Mia
    assert set(mails) == {"ann@example.com", "cai@example.com", "mia@example.com"}
    ann = mails["ann@example.com"]
    assert ann.message["Cc"] == "mia@example.com"
    assert sorted(ann.rcpt) == ["ann@example.com", "mia@example.com"]
    assert ann.message["Subject"] == "service: 1 overdue, 0 at risk for Ann"
    assert "[Escalated]" not in ann.message["Subject"]
    assert ann.message["Message-ID"].endswith("@sheetflow>")
    text = ann.part("plain")
    assert "C1" in text and "Late parcel" in text and "Log!A2" in text and "2.0" in text
    assert "C4" not in text  # ended: not news
    html = ann.part("html")
    body = re.search(r"<tbody>(.*?)</tbody>", html).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", body)
    assert len(rows) == 1
    header = re.findall(r"<th [^>]*>(.*?)</th>", html)
    assert header == ["Case", "Title", "Node", "Started", "Due", "Hours over", "Workbook row"]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[0])
    assert cells == ["C1", "Late parcel", "Handle", "2024-10-09 10:00", "2024-10-09 14:00",
                     "2.0", "Log!A2"]
    assert outcome.emails == 3
    assert any("Bob" in w and "Mia" in w for w in outcome.warnings)


def test_person_without_email_goes_to_manager_with_note(en_book, tmp_path, smtp):
    notify_once(en_book, AS_OF, tmp_path / "state", smtp.url)
    mia = by_to(smtp.received)["mia@example.com"]
    assert mia.message["Cc"] is None  # Mia's own manager only joins on escalation
    text = mia.part("plain")
    assert "Bob" in text and "At risk" in text and "C2" in text
    assert "Bob have no email address in People" in text


def test_script_in_a_case_title_is_escaped_in_html(en_book, tmp_path, smtp):
    notify_once(en_book, AS_OF, tmp_path / "state", smtp.url)
    cai = by_to(smtp.received)["cai@example.com"]
    html = cai.part("html")
    assert "<script>" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold" in html
    assert SCRIPT_TITLE in cai.part("plain")  # plain text keeps it as typed


def test_chinese_workbook_gets_chinese_mail_with_encoded_headers(zh_book, tmp_path, smtp):
    notify_once(zh_book, AS_OF, tmp_path / "state", smtp.url)
    (mail,) = smtp.received
    raw_headers = mail.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # 7-bit clean headers
    assert "=?utf-8?" in raw_headers.lower()
    message = mail.message
    assert message["Subject"] == "投诉：王芳 有 1 项超时、0 项预警"
    assert message["To"] == "wang@example.com" and message["Cc"] == "liu@example.com"
    text = mail.part("plain")
    assert "王芳，您好：" in text and "快递延误导致生鲜变质" in text and "已超时" in text
    assert "执行记录!A2" in text
    html = mail.part("html")
    assert "<th" in html and "截止时间" in html and "受理" in html


def test_notify_language_setting_overrides_the_workbook(tmp_path, smtp):
    import copy

    from tests.notify.servers import ZH, write_book

    sheets = copy.deepcopy(ZH)
    sheets["设置"] = [["项", "值"], ["通知语言", "en"]]
    book = write_book(tmp_path / "mixed.xlsx", sheets)
    notify_once(book, AS_OF, tmp_path / "state", smtp.url)
    (mail,) = smtp.received
    assert mail.message["Subject"].startswith("mixed: 1 overdue")
    assert "Hello 王芳," in mail.part("plain")


def test_same_as_of_twice_sends_nothing_the_second_time(en_book, tmp_path, smtp):
    first = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url)
    second = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url)
    assert first.emails == 3 and second.emails == 0
    assert len(smtp.received) == 3
    # later the same day only Bob's C2 is news: it went from at risk to overdue
    third = notify_once(en_book, "2024-10-09T17:30", tmp_path / "state", smtp.url)
    assert third.emails == 1
    mail = smtp.received[3]
    assert mail.message["To"] == "mia@example.com"
    assert "C2" in mail.part("plain") and "C1" not in mail.part("plain")
    assert mail.message["Subject"] == "service: 1 overdue, 0 at risk for Mia"


def test_escalation_past_the_threshold_is_sent_with_the_managers_manager(
    en_book, tmp_path, smtp
):
    state = tmp_path / "state"
    notify_once(en_book, AS_OF, state, smtp.url)
    before = len(smtp.received)
    # the next day at 15:00, C1 is 29 h in against 4: 25 h over > 24 -> escalated
    notify_once(en_book, "2024-10-10T15:00", state, smtp.url)
    ann = [r for r in smtp.received[before:] if r.message["To"] == "ann@example.com"]
    assert len(ann) == 1
    message = ann[0].message
    assert message["Subject"].startswith("[Escalated] ")
    assert set(message["Cc"].split(", ")) == {"mia@example.com", "zed@example.com"}
    assert "zed@example.com" in ann[0].rcpt
    assert "Zed is in copy" in ann[0].part("plain")
    # and escalated once only: the same day again sends nothing more to Ann
    count = len(smtp.received)
    notify_once(en_book, "2024-10-10T15:30", state, smtp.url)
    assert not [r for r in smtp.received[count:] if r.message["To"] == "ann@example.com"]


def test_escalation_on_the_same_day_is_news_again(en_book, tmp_path, smtp):
    state = tmp_path / "state"
    notify_once(en_book, "2024-10-10T14:00", state, smtp.url)  # C1 24 h over: not yet
    first = [r for r in smtp.received if r.message["To"] == "ann@example.com"]
    assert "[Escalated]" not in first[0].message["Subject"]
    notify_once(en_book, "2024-10-10T14:30", state, smtp.url)  # 24.5 h over: escalated
    ann = [r for r in smtp.received if r.message["To"] == "ann@example.com"]
    assert len(ann) == 2 and ann[1].message["Subject"].startswith("[Escalated]")


def test_refused_first_attempt_is_delivered_on_the_next_run(en_book, tmp_path, smtp):
    smtp.handler.refuse = 1
    first = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url)
    assert first.failed == 1 and first.emails == 2
    assert "451" in first.failures[0]
    second = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url)
    assert second.emails == 1 and second.failed == 0
    assert len({r.message["To"] for r in smtp.received}) == 3


def test_server_down_fails_everything_and_records_nothing(en_book, tmp_path, smtp):
    from tests.notify.servers import free_port

    down = f"smtp://127.0.0.1:{free_port()}"
    outcome = notify_once(en_book, AS_OF, tmp_path / "state", down)
    assert outcome.emails == 0 and outcome.failed == 3
    assert notify_once(en_book, AS_OF, tmp_path / "state", smtp.url).emails == 3


def test_dry_run_lists_and_records_nothing(en_book, tmp_path, smtp):
    outcome = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url, dry_run=True)
    assert smtp.received == []
    assert len(outcome.planned) == 3
    assert any(
        line.startswith("would send to ann@example.com, cc mia@example.com: service: 1 overdue")
        for line in outcome.planned
    )
    assert notify_once(en_book, AS_OF, tmp_path / "state", smtp.url).emails == 3


def test_team_summary_goes_to_each_manager_once_a_day(en_book, tmp_path, smtp):
    from sheetflow.notify.options import NotifyOptions

    options = NotifyOptions(team_summary=True)
    notify_once(en_book, AS_OF, tmp_path / "state", smtp.url, options)
    team = [r for r in smtp.received if "team summary" in r.message["Subject"]]
    assert [r.message["To"] for r in team] == ["mia@example.com"]
    text = team[0].part("plain")
    assert all(case in text for case in ("C1", "C2", "C3")) and "Assignee" in text
    notify_once(en_book, "2024-10-09T17:00", tmp_path / "state", smtp.url, options)
    assert len([r for r in smtp.received if "team summary" in r.message["Subject"]]) == 1
