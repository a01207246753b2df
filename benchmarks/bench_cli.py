"""End-to-end `sheetflow validate` and `sheetflow refresh --out` as a user runs them (fresh
processes), on a synthetic workbook with a 100,000-row Log.

Usage: python benchmarks/bench_cli.py [LOG_ROWS] [REPEATS]
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import AS_OF, workbook  # noqa: E402


def timed(command: list[str], repeats: int) -> tuple[list[float], int]:
    times, code = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        code = result.returncode
        if code == 2:
            sys.exit(result.stderr)
    return times, code


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    path = workbook(rows)
    as_of = ["--as-of", AS_OF.isoformat()]
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"workbook: {rows:,} Log rows ({path.stat().st_size / 1e6:.1f} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "validate": [
                sys.executable,
                "-m",
                "sheetflow",
                "validate",
                str(path),
                *as_of,
                "--format",
                "json",
            ],
            "refresh --out": [
                sys.executable,
                "-m",
                "sheetflow",
                "refresh",
                str(path),
                *as_of,
                "--out",
                str(Path(tmp) / "out.xlsx"),
            ],
        }
        for name, command in commands.items():
            times, code = timed(command, repeats)
            runs = ", ".join(f"{t:.2f}" for t in times)
            print(f"  sheetflow {name:<14} best {min(times):6.2f} s  (runs {runs}; exit {code})")


if __name__ == "__main__":
    main()
