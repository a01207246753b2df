"""Group-chat robots: JSON bodies posted to a real HTTP server on 127.0.0.1, in each platform's
documented markdown format, signed when a secret is configured."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from sheetflow.config import load_config
from sheetflow.errors import UsageError
from sheetflow.notify.options import notify_options
from tests.notify.helpers import notify_once
from tests.notify.servers import AS_OF


def options_for(tmp_path, chat, body: str, environ=None):
    path = tmp_path / "sheetflow.toml"
    path.write_text(body.replace("BASE", chat.url("")), encoding="utf-8")
    return notify_options(load_config(path, environ={}), environ=environ or {})


def test_dingtalk_markdown_signed_and_filtered_by_department(en_book, tmp_path, smtp, chat):
    options = options_for(
        tmp_path, chat,
        '[[chat]]\nname = "sales"\nplatform = "dingtalk"\n'
        'url = "BASE/robot/send?access_token=tok"\nsecret = "SECabc"\ndepartments = ["Sales"]\n',
    )
    outcome = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url, options)
    assert outcome.posts == 1
    (request,) = chat.requests
    assert request.path == "/robot/send" and request.query["access_token"] == "tok"
    assert request.content_type.startswith("application/json")
    body = request.body
    assert body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"title", "text"}
    assert body["markdown"]["title"] == "service: 2 overdue, 0 at risk"
    text = body["markdown"]["text"]
    assert "C1 Handle: Ann, over by 2.0 h (Log!A2)" in text
    assert "C2" not in text  # Bob's case is in Service
    stamp = request.query["timestamp"]
    expected = base64.b64encode(
        hmac.new(b"SECabc", f"{stamp}\nSECabc".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected


def test_wecom_markdown_for_everyone(en_book, tmp_path, smtp, chat):
    options = options_for(
        tmp_path, chat,
        '[[chat]]\nname = "all"\nplatform = "wecom"\nurl = "BASE/cgi-bin/webhook/send?key=k"\n',
    )
    notify_once(en_book, AS_OF, tmp_path / "state", smtp.url, options)
    (request,) = chat.requests
    assert request.query == {"key": "k"}
    assert set(request.body) == {"msgtype", "markdown"}
    assert request.body["msgtype"] == "markdown"
    content = request.body["markdown"]["content"]
    assert content.startswith("### service: 2 overdue, 1 at risk")
    assert "C2 Handle: Bob, due 2024-10-09 16:30" in content


def test_feishu_card_signed_in_the_body_in_chinese(zh_book, tmp_path, smtp, chat):
    chat.answer = {"code": 0, "msg": "success"}
    options = options_for(
        tmp_path, chat,
        '[[chat]]\nname = "wuliu"\nplatform = "feishu"\nurl = "BASE/open-apis/bot/v2/hook/abc"\n'
        'departments = "物流部"\n',
        environ={"SHEETFLOW_CHAT_WULIU_SECRET": "s3cret"},
    )
    notify_once(zh_book, AS_OF, tmp_path / "state", smtp.url, options)
    (request,) = chat.requests
    body = request.body
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"]["title"] == {"tag": "plain_text", "content": "投诉：1 项超时，0 项预警"}
    (element,) = card["elements"]
    assert element["tag"] == "div" and element["text"]["tag"] == "lark_md"
    assert "C1 受理：王芳，超时 2.0 小时（执行记录!A2）" in element["text"]["content"]
    key = f"{body['timestamp']}\ns3cret".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def test_chat_error_answer_is_retried_next_run(en_book, tmp_path, smtp, chat):
    chat.answer = {"errcode": 310000, "errmsg": "sign not match"}
    options = options_for(
        tmp_path, chat, '[[chat]]\nname = "all"\nplatform = "dingtalk"\nurl = "BASE/robot/send"\n'
    )
    first = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url, options)
    assert first.posts == 0 and any("310000" in f for f in first.failures)
    assert all("BASE" not in f and "127.0.0.1" not in f for f in first.failures)
    chat.answer = {"errcode": 0, "errmsg": "ok"}
    second = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url, options)
    assert second.posts == 1 and second.emails == 0
    third = notify_once(en_book, AS_OF, tmp_path / "state", smtp.url, options)
    assert third.posts == 0 and len(chat.requests) == 2


@pytest.mark.parametrize(
    "body, message",
    [
        pytest.param('[[chat]]\nplatform = "slack"\nurl = "BASE/x"\n', "platform", id="platform"),
        pytest.param('[[chat]]\nplatform = "wecom"\nurl = "ftp://x"\n', "webhook URL", id="url"),
        pytest.param('chat = 3\n', "\\[\\[chat\\]\\]", id="not-a-list"),
    ],
)
def test_bad_chat_config_is_a_usage_error(tmp_path, chat, body, message):
    with pytest.raises(UsageError, match=message):
        options_for(tmp_path, chat, body)


def test_webhook_secrets_are_not_in_the_repr(tmp_path, chat):
    options = options_for(
        tmp_path, chat,
        '[[chat]]\nname = "a"\nplatform = "dingtalk"\nurl = "BASE/r?access_token=TOKEN"\n'
        'secret = "SECRET"\n',
    )
    assert "TOKEN" not in repr(options) and "SECRET" not in repr(options)
    assert "TOKEN" not in repr(options.hooks["a"]) and "SECRET" not in repr(options.hooks["a"])
