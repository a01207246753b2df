"""`make demo`: the main job on the shipped example workbook, as a user would run it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sheetflow.cli import main as sheetflow


def run(book: Path, as_of: str, out: Path) -> int:
    """Create the example if missing, validate, refresh into `out`, show overdue and routes."""
    steps = []
    if not book.exists():
        steps.append(["init", str(book), "--template", "complaints", "--lang", "en"])
    out.parent.mkdir(parents=True, exist_ok=True)
    steps += [
        ["validate", str(book), "--as-of", as_of],
        ["refresh", str(book), "--as-of", as_of, "--out", str(out)],
        ["overdue", str(out), "--as-of", as_of],
        ["route", str(out), "--as-of", as_of],
    ]
    worst = 0
    for argv in steps:
        print(f"\n$ sheetflow {' '.join(argv)}", flush=True)
        code = sheetflow(argv)
        sys.stdout.flush()
        if code == 2:
            return 2
        worst = max(worst, code)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m sheetflow.demo")
    parser.add_argument("book", type=Path)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    sys.exit(run(args.book, args.as_of, args.out))
