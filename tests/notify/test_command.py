"""`sheetflow notify` end to end: through open_book and pipeline.run, real SMTP / outbox."""

from __future__ import annotations

import email
import email.policy

import pytest

from sheetflow.cli import main
from tests.notify.servers import AS_OF

try:  # the file door's reader lands with the write-path work on main
    from sheetflow.io.xlsx import read_snapshot  # noqa: F401
except ImportError:  # pragma: no cover - until main has it
    pytestmark = pytest.mark.skip(reason="the file door (io.xlsx.read_snapshot) is not merged yet")


def config(tmp_path, smtp_url: str | None) -> str:
    path = tmp_path / "sheetflow.toml"
    smtp = f'[smtp]\nurl = "{smtp_url}"\n' if smtp_url else ""
    path.write_text(f'{smtp}[state]\ndir = "state"\n', encoding="utf-8")
    return str(path)


def test_notify_sends_then_has_nothing_new(en_book, tmp_path, smtp, capsys, monkeypatch):
    monkeypatch.delenv("SHEETFLOW_SMTP_URL", raising=False)
    cfg = config(tmp_path, smtp.url)
    assert main(["notify", str(en_book), "--as-of", AS_OF, "--config", cfg]) == 0
    out, err = capsys.readouterr()
    assert f"sent 3 email(s) through smtp://127.0.0.1:{smtp.controller.port}" in out
    assert "Bob has no email address" in err
    assert len(smtp.received) == 3
    assert main(["notify", str(en_book), "--as-of", AS_OF, "--config", cfg]) == 0
    assert "nothing new to send as of 2024-10-09 16:00" in capsys.readouterr().out


def test_dry_run_prints_who_would_get_what(en_book, tmp_path, smtp, capsys, monkeypatch):
    monkeypatch.delenv("SHEETFLOW_SMTP_URL", raising=False)
    cfg = config(tmp_path, smtp.url)
    code = main(["notify", str(en_book), "--as-of", AS_OF, "--config", cfg, "--dry-run"])
    assert code == 0 and smtp.received == []
    out = capsys.readouterr().out
    assert "would send to ann@example.com, cc mia@example.com: service: 1 overdue" in out


def test_no_smtp_writes_eml_files_to_the_outbox(en_book, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SHEETFLOW_SMTP_URL", raising=False)
    cfg = config(tmp_path, None)
    assert main(["notify", str(en_book), "--as-of", AS_OF, "--config", cfg]) == 0
    outbox = tmp_path / "state" / "outbox"
    assert f"wrote 3 email(s) to {outbox}" in capsys.readouterr().out
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 3
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert {m["To"] for m in parsed} == {"ann@example.com", "cai@example.com", "mia@example.com"}


def test_password_never_printed(en_book, tmp_path, capsys, monkeypatch):
    from tests.notify.servers import free_port

    monkeypatch.setenv("SHEETFLOW_SMTP_URL", f"smtp://robot:hunter2@127.0.0.1:{free_port()}")
    cfg = config(tmp_path, None)
    code = main(["notify", str(en_book), "--as-of", AS_OF, "--config", cfg])
    out, err = capsys.readouterr()
    assert code == 2
    assert "hunter2" not in out + err
    assert "retried on the next run" in err


def test_missing_book_is_one_line_exit_2(tmp_path, capsys):
    code = main(["notify", str(tmp_path / "nope.xlsx"), "--config", config(tmp_path, None)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
