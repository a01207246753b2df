"""In-place `sheetflow refresh` against what a user would do instead (openpyxl load + save).

Usage: python benchmarks/bench_write.py [LOG_ROWS ...] [--repeat N]   (default: 100000, 1)

For each size, on a fresh copy of the synthetic workbook each time:
- `sheetflow refresh BOOK` in place, as a user runs it (a new process): wall seconds, CPU
  seconds (user + system of the child) and the child's peak resident memory;
- an openpyxl `load_workbook` + `save` of the same file in a new process: the same figures;
- the write phase alone (`write_plan`, in this process, after read + compute + layout).
Figures print; nothing is asserted (the machine is shared and noisy): with --repeat N the
whole comparison runs N times and the medians print, with the load average before and after.
sheetflow's modules are byte-compiled first, as `pip install` does for a user: otherwise a
PYTHONDONTWRITEBYTECODE environment would add ~0.1 s of compiling to every run.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from generate import AS_OF, workbook  # noqa: E402

OPENPYXL_ROUND_TRIP = (
    "import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\nwb.save(sys.argv[1])\n"
)


def child(command: list[str]) -> tuple[float, float, float, int]:
    """Run a command; (wall s, CPU s, peak MB, exit code) of that child alone."""
    started = time.perf_counter()
    # wait4 gives this child's own rusage (CPU and peak memory)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code == 2:
        sys.exit(f"{command[:4]} failed: {stderr.strip()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code


def write_phase(path: Path) -> float:
    from sheetflow import pipeline
    from sheetflow.core.layout import build_plan
    from sheetflow.io.xlsx import read_snapshot, write_plan

    snapshot, book = read_snapshot(path)
    report = pipeline.compute(book, pipeline.parse_as_of(AS_OF.isoformat()))
    plan = build_plan(report)
    started = time.perf_counter()
    write_plan(snapshot, plan)
    return time.perf_counter() - started


def one_size(rows: int) -> dict[str, float]:
    """One side-by-side run on a fresh copy; prints and returns its figures."""
    source = workbook(rows)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book.xlsx"
        shutil.copy(source, book)
        refresh = [sys.executable, "-m", "sheetflow", "refresh", str(book)]
        refresh += ["--as-of", AS_OF.isoformat()]
        wall, cpu, peak, code = child(refresh)
        figures.update(wall=wall, cpu=cpu, peak=peak)
        print(
            f"  sheetflow refresh (in place)  wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
            f"peak {peak:7.0f} MB  exit {code}"
        )
        wall2, cpu2, _, code2 = child(refresh)
        figures.update(wall2=wall2, cpu2=cpu2)
        print(f"  ... second run (idempotent)    wall {wall2:6.2f} s  cpu {cpu2:6.2f} s")
        shutil.copy(source, book)
        if rows <= 200_000:
            wall_o, cpu_o, peak_o, _ = child([sys.executable, "-c", OPENPYXL_ROUND_TRIP, str(book)])
            figures.update(openpyxl_wall=wall_o, openpyxl_cpu=cpu_o, ratio=cpu_o / cpu)
            print(
                f"  openpyxl load + save          wall {wall_o:6.2f} s  cpu {cpu_o:6.2f} s  "
                f"peak {peak_o:7.0f} MB"
            )
            print(f"  CPU ratio openpyxl / sheetflow: {cpu_o / cpu:.1f}x")
        shutil.copy(source, book)
        figures["write"] = write_phase(book)
        print(f"  write phase alone (write_plan): {figures['write']:6.2f} s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; medians print")
    args = parser.parse_args()
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "sheetflow", quiet=1, workers=1)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")
    for rows in args.sizes:
        print(f"workbook: {rows:,} Log rows ({workbook(rows).stat().st_size / 1e6:.1f} MB)")
        load_before = os.getloadavg()
        runs = [one_size(rows) for _ in range(args.repeat)]
        if args.repeat > 1:
            load = f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
            print(f"  median of {args.repeat} ({load}):")
            for key in runs[0]:
                print(f"    {key:<14} {statistics.median(r[key] for r in runs):8.2f}")


if __name__ == "__main__":
    main()
