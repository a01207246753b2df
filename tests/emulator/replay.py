"""Replay gspread's recordings of the real Sheets API against the emulator.

Each cassette holds runs that start with a Drive `files.create`; a run is replayed on a fresh
emulator holding a spreadsheet with the recorded id, with the sheet ids Google handed out
pre-loaded. Every Sheets request is sent over HTTP and the fields that matter are compared.
`python -m tests.emulator.replay` prints every mismatch.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from sheetflow.emulator import Emulator

_ROOT = Path(__file__).resolve().parents[2]
# CI puts shared/ beside the clone; a worktree sits one folder deeper
CASSETTES = next(
    (
        base / "shared" / "reference" / "gspread-cassettes"
        for base in (_ROOT.parent, _ROOT.parent.parent)
        if (base / "shared" / "reference" / "gspread-cassettes").is_dir()
    ),
    _ROOT.parent / "shared" / "reference" / "gspread-cassettes",
)
SHEETS_HOST = "sheets.googleapis.com"

# what sheetflow itself sends (door, sync): a mismatch here fails the test
USED_KINDS = {
    "addSheet", "deleteSheet", "updateSheetProperties", "repeatCell", "updateCells",
    "mergeCells", "unmergeCells", "addConditionalFormatRule", "deleteConditionalFormatRule",
    "updateDimensionProperties", "setBasicFilter", "clearBasicFilter", "addChart",
    "copyPaste", "appendDimension", "updateSpreadsheetProperties",
}


@dataclass
class Outcome:
    compared: Counter = field(default_factory=Counter)  # endpoint -> interactions that matched
    mismatches: list[str] = field(default_factory=list)  # on what sheetflow uses
    other_mismatches: list[str] = field(default_factory=list)  # elsewhere
    unimplemented: Counter = field(default_factory=Counter)  # endpoint -> 501 answers
    skipped: Counter = field(default_factory=Counter)  # reason -> interactions not replayed


def endpoint(method: str, uri: str, body: object) -> tuple[str, bool]:
    """A short name of the request kind and whether sheetflow uses it."""
    path = urlsplit(uri).path
    if path.endswith(":batchUpdate") and "/values" not in path:
        kinds = sorted({next(iter(r)) for r in (json.loads(body or "{}").get("requests") or [])})
        return "batchUpdate:" + "+".join(kinds), set(kinds) <= USED_KINDS
    for suffix in ("values:batchGet", "values:batchUpdate", "values:batchClear"):
        if path.endswith(suffix):
            return suffix, True
    if "/values/" in path:
        if path.endswith(":append"):
            return "values:append", False
        if path.endswith(":clear"):
            return "values:clear", True
        return f"values.{method.lower()}", True
    if method == "GET":
        query = urlsplit(uri).query
        grid = "includeGridData=true" in query.lower() or "data" in query
        return ("get+grid" if grid else "get"), not grid
    return f"{method} {path}", False


def _close(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


SHEET_PARTS = ("properties", "merges", "conditionalFormats", "basicFilter", "data")


def essentials(name: str, answer: dict) -> object:
    """The fields of an answer that matter for `name` (see the module doc)."""
    if "error" in answer:
        return {"code": answer["error"].get("code"), "status": answer["error"].get("status")}
    if name.startswith("get"):
        out: dict = {}
        if "properties" in answer:
            out["title"] = answer["properties"].get("title")
        if "sheets" in answer:
            out["sheets"] = [
                {k: s[k] for k in SHEET_PARTS if k in s} for s in answer["sheets"]
            ]
        if "namedRanges" in answer:
            out["namedRanges"] = answer["namedRanges"]
        return out
    if name.startswith("batchUpdate"):
        return answer.get("replies")
    keep = (
        "range", "majorDimension", "values", "valueRanges", "updatedRange", "updatedRows",
        "updatedColumns", "updatedCells", "updatedData", "totalUpdatedRows",
        "totalUpdatedColumns", "totalUpdatedCells", "totalUpdatedSheets", "responses",
        "clearedRange", "clearedRanges", "tableRange", "updates",
    )
    return {k: answer[k] for k in keep if k in answer}


def _sheet_ids(run: list[dict]) -> list[int]:
    ids = []
    for it in run:
        body = it["response"]["body"]["string"]
        if SHEETS_HOST in it["request"]["uri"] and ":batchUpdate" in it["request"]["uri"]:
            try:
                replies = json.loads(body).get("replies") or []
            except ValueError:
                continue
            for reply in replies:
                for kind in ("addSheet", "duplicateSheet"):
                    if kind in reply:
                        ids.append(reply[kind]["properties"]["sheetId"])
    return ids


def _runs(interactions: list[dict]) -> list[list[dict]]:
    runs: list[list[dict]] = []
    for it in interactions:
        req = it["request"]
        if req["method"] == "POST" and urlsplit(req["uri"]).path == "/drive/v3/files":
            runs.append([])
        if not runs:
            runs.append([])
        runs[-1].append(it)
    return runs


def replay_file(path: Path, emulator: Emulator, outcome: Outcome) -> None:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer replay"
    for run in _runs(json.loads(path.read_text())["interactions"]):
        emulator.reset()
        emulator.preload_sheet_ids(_sheet_ids(run))
        tainted = False
        for number, it in enumerate(run):
            req, res = it["request"], it["response"]
            parts = urlsplit(req["uri"])
            if parts.netloc != SHEETS_HOST:
                if req["method"] == "POST" and parts.path == "/drive/v3/files":
                    made = json.loads(res["body"]["string"])
                    emulator.create_spreadsheet(made["name"], spreadsheet_id=made["id"])
                    outcome.skipped["drive (state set up directly)"] += 1
                else:
                    outcome.skipped["drive (not the Sheets API)"] += 1
                    if req["method"] != "GET":
                        tainted = True  # a Drive copy/import changes what follows
                continue
            name, used = endpoint(req["method"], req["uri"], req["body"])
            key = parts.path.split("/")[3].split(":")[0] if parts.path.count("/") >= 3 else ""
            if key and key not in emulator.books and res["status"]["code"] == 200:
                outcome.skipped["a spreadsheet made outside the run (Drive copy/list)"] += 1
                continue
            if tainted:
                outcome.skipped["after an unimplemented change in the same run"] += 1
                continue
            url = emulator.url + parts.path + (f"?{parts.query}" if parts.query else "")
            data = req["body"].encode() if isinstance(req["body"], str) else None
            got = session.request(req["method"], url, data=data,
                                  headers={"Content-Type": "application/json"})
            if got.status_code == 501:
                outcome.unimplemented[name] += 1
                if req["method"] != "GET":
                    tainted = True
                continue
            want_body = res["body"]["string"]
            want = json.loads(want_body) if want_body.strip() else {}
            want_code = res["status"]["code"]
            if want_code == 403 and got.status_code == 404:
                outcome.skipped["permission (another account's file)"] += 1
                continue
            expected = (want_code, essentials(name, want))
            actual = (got.status_code, essentials(name, got.json()))
            if _close(expected, actual):
                outcome.compared[name] += 1
                continue
            where = f"{path.name}#{number} {req['method']} {req['uri'][40:140]}"
            text = f"{where}\n    google:   {expected}\n    emulator: {actual}"
            (outcome.mismatches if used else outcome.other_mismatches).append(text)
            if req["method"] != "GET":
                tainted = True


def replay_all(folder: Path = CASSETTES) -> Outcome:
    outcome = Outcome()
    with Emulator() as emulator:
        for path in sorted(folder.glob("*.json")):
            replay_file(path, emulator, outcome)
    return outcome


def report(outcome: Outcome) -> str:
    lines = [f"matched: {sum(outcome.compared.values())} ({dict(outcome.compared)})"]
    lines.append(f"501 answers: {sum(outcome.unimplemented.values())} "
                 f"({dict(outcome.unimplemented)})")
    lines.append(f"skipped: {sum(outcome.skipped.values())} ({dict(outcome.skipped)})")
    lines.append(f"mismatches on what sheetflow uses: {len(outcome.mismatches)}")
    lines.append(f"mismatches elsewhere: {len(outcome.other_mismatches)}")
    return "\n".join(lines)


if __name__ == "__main__":
    result = replay_all()
    for text in result.mismatches + (result.other_mismatches if "-a" in sys.argv else []):
        print(text)
    print(report(result))
