"""Real servers on 127.0.0.1 for the notify and job tests: SMTP (aiosmtpd) and a chat robot."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
from aiosmtpd.controller import Controller

AS_OF = "2024-10-09T16:00"
SCRIPT_TITLE = "<script>alert('x')</script> & <b>bold</b>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    sender: str
    rcpt: list[str]
    raw: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return body.get_content()


class Handler:
    """Stores every message; refuses the next `refuse` DATA commands with a 451."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse = 0
        self.on_data = None  # called with the envelope before answering (crash tests)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        if self.on_data is not None:
            self.on_data(envelope)
        return "250 OK"


@dataclass
class SmtpServer:
    controller: Controller
    handler: Handler

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def start_smtp() -> SmtpServer:
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return SmtpServer(controller, handler)


@dataclass
class ChatRequest:
    path: str
    query: dict[str, str]
    body: dict
    content_type: str


@dataclass
class ChatServer:
    server: ThreadingHTTPServer
    requests: list[ChatRequest] = field(default_factory=list)
    answer: dict = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


def start_chat() -> ChatServer:
    holder: list[ChatServer] = []

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            data = json.loads(self.rfile.read(length).decode("utf-8"))
            parts = urllib.parse.urlsplit(self.path)
            chat = holder[0]
            chat.requests.append(
                ChatRequest(
                    parts.path,
                    dict(urllib.parse.parse_qsl(parts.query)),
                    data,
                    self.headers.get("Content-Type", ""),
                )
            )
            out = json.dumps(chat.answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    chat = ChatServer(server)
    holder.append(chat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return chat


# ----------------------------------------------------------------------------------------------
# Workbooks

EN = {
    "Process": [
        ["node", "seq", "role", "sla_hours", "clock"],
        ["Handle", 1, "Agent", 4, "calendar"],
    ],
    "Cases": [
        ["case_id", "opened_at", "title", "department"],
        ["C1", datetime(2024, 10, 9, 10), "Late parcel", "Sales"],
        ["C2", datetime(2024, 10, 9, 12), "Broken lamp", "Service"],
        ["C3", datetime(2024, 10, 9, 11), SCRIPT_TITLE, "Sales"],
        ["C4", datetime(2024, 10, 9, 9), "Done already", "Sales"],
    ],
    "Log": [
        ["case_id", "node", "assignee", "start", "end"],
        ["C1", "Handle", "Ann", datetime(2024, 10, 9, 10), None],  # 6 h of 4: 2 h over
        ["C2", "Handle", "Bob", datetime(2024, 10, 9, 12, 30), None],  # 3.5 h of 4: at risk
        ["C3", "Handle", "Cai", datetime(2024, 10, 9, 11), None],  # 5 h of 4: 1 h over
        ["C4", "Handle", "Ann", datetime(2024, 10, 9, 9), datetime(2024, 10, 9, 10)],
    ],
    "People": [
        ["name", "role", "email", "manager", "department"],
        ["Ann", "Agent", "ann@example.com", "Mia", "Sales"],
        ["Bob", "Agent", None, "Mia", "Service"],
        ["Cai", "Agent", "cai@example.com", "Mia", "Sales"],
        ["Mia", "Lead", "mia@example.com", "Zed", "Sales"],
        ["Zed", "Director", "zed@example.com", None, None],
    ],
}

ZH = {
    "流程定义": [
        ["节点", "序号", "责任岗位", "时限小时", "计时方式"],
        ["受理", 1, "客服", 4, "自然时间"],
    ],
    "工单": [
        ["编号", "创建时间", "标题", "部门"],
        ["C1", datetime(2024, 10, 9, 10), "快递延误导致生鲜变质", "物流部"],
    ],
    "执行记录": [
        ["编号", "节点", "执行人", "开始时间", "结束时间"],
        ["C1", "受理", "王芳", datetime(2024, 10, 9, 10), None],
    ],
    "人员": [
        ["姓名", "岗位", "邮箱", "上级", "部门"],
        ["王芳", "客服", "wang@example.com", "刘洋", "物流部"],
        ["刘洋", "主管", "liu@example.com", "孙丽", "物流部"],
        ["孙丽", "总监", "sun@example.com", None, None],
    ],
}


def write_book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path
