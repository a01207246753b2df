"""The emulator answers gspread's recorded requests as Google did (see replay.py)."""

from __future__ import annotations

import pytest

from tests.emulator.replay import CASSETTES, replay_all, report


@pytest.mark.skipif(
    not CASSETTES.is_dir(), reason=f"no recordings at {CASSETTES} (shared/ beside the clone)"
)
def test_recorded_google_answers_are_matched() -> None:
    outcome = replay_all()
    print(report(outcome))
    assert outcome.mismatches == []
    assert outcome.other_mismatches == []
    # the replay really ran: the kinds sheetflow sends were all compared
    for name in ("get", "values.get", "values:batchGet", "values:batchUpdate",
                 "batchUpdate:addSheet", "batchUpdate:deleteSheet",
                 "batchUpdate:updateSheetProperties", "batchUpdate:repeatCell",
                 "batchUpdate:copyPaste", "batchUpdate:mergeCells"):
        assert outcome.compared[name] > 0, name
    assert sum(outcome.compared.values()) > 1200
