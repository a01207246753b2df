"""End-to-end `sheetflow validate` on a 100,000-row Log, as a user runs it (a fresh process).

Usage: python benchmarks/bench_validate.py [LOG_ROWS] [REPEATS]
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import AS_OF, workbook  # noqa: E402


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    path = workbook(rows)
    command = [
        sys.executable,
        "-m",
        "sheetflow",
        "validate",
        str(path),
        "--as-of",
        AS_OF.isoformat(),
        "--format",
        "json",
    ]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if result.returncode == 2:
            sys.exit(result.stderr)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"sheetflow validate, {rows:,} Log rows ({path.stat().st_size / 1e6:.1f} MB): "
        f"best {min(times):.2f} s, runs {', '.join(f'{t:.2f}' for t in times)} "
        f"(exit {result.returncode})"
    )


if __name__ == "__main__":
    main()
