"""`make demo`'s notify step: the example workbook's digests as .eml files inside build/."""

from __future__ import annotations

from pathlib import Path

from sheetflow.demo import show_notify

EXAMPLE = Path(__file__).resolve().parents[2] / "workbooks" / "complaints_en.xlsx"


def test_demo_writes_the_digests_to_build_and_shows_one(tmp_path, capsys, monkeypatch):
    # an SMTP server set in the shell must not turn the demo into real mail
    monkeypatch.setenv("SHEETFLOW_SMTP_URL", "smtp://127.0.0.1:9")
    assert show_notify(EXAMPLE, "2024-10-09T16:00", tmp_path) == 0
    outbox = tmp_path / "demo_state" / "outbox"
    out = capsys.readouterr().out
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 7
    assert f"no SMTP server configured: wrote 7 email(s) to {outbox}" in out
    assert "One of the 7 emails" in out
    assert "  To:      " in out and "  Subject: complaints_en: " in out
    # a second demo run starts from a fresh ledger and mails again
    assert show_notify(EXAMPLE, "2024-10-09T16:00", tmp_path) == 0
    assert "wrote 7 email(s)" in capsys.readouterr().out
