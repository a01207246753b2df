"""Fixtures: a real SMTP server and a real chat robot on 127.0.0.1, and small workbooks."""

from __future__ import annotations

import copy

import pytest

from tests.notify.servers import EN, ZH, start_chat, start_smtp, write_book


@pytest.fixture
def smtp():
    server = start_smtp()
    yield server
    server.controller.stop()


@pytest.fixture
def chat():
    server = start_chat()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def en_book(tmp_path):
    return write_book(tmp_path / "service.xlsx", copy.deepcopy(EN))


@pytest.fixture
def zh_book(tmp_path):
    return write_book(tmp_path / "投诉.xlsx", copy.deepcopy(ZH))
