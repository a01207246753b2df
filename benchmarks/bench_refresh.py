"""Seconds and peak memory per phase (read, validate, compute, route, write), 10k/100k/1M rows.

Usage: python benchmarks/bench_refresh.py [SIZES...] [--no-write]
Peak memory is the process's peak resident set size after each phase (it only grows), so run
one size per process for clean figures: the script re-executes itself per size.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402
from generate import AS_OF, workbook  # noqa: E402

from sheetflow.core import rules, summary, timing, validate  # noqa: E402
from sheetflow.io.xlsx import read_workbook  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(size: int, write: bool) -> None:
    path = workbook(size)
    as_of = pd.Timestamp(AS_OF)
    phases: list[tuple[str, float, float]] = []

    def phase(name: str, started: float) -> float:
        now = time.perf_counter()
        phases.append((name, now - started, peak_mb()))
        return now

    t = time.perf_counter()
    book = read_workbook(path)
    t = phase("read (calamine)", t)
    checked = validate.check(book, as_of)
    t = phase("validate", t)
    cal = timing.build_calendar(checked.settings, checked.calendar)
    log_timing = timing.log_timing(checked, cal, as_of)
    state = timing.case_state(checked, log_timing, cal, as_of)
    stats = summary.node_stats(checked, log_timing)
    summary.kpis(checked, log_timing, state, stats)
    summary.overdue_list(checked, log_timing)
    t = phase("compute (calendar+timing+KPIs)", t)
    rules.route_cases(
        checked.cases,
        state["case_status"] == "open",
        checked.rules,
        checked.people,
        checked.settings.hit_policy,
        as_of,
        checked.findings,
    )
    t = phase("route", t)
    if write:
        from sheetflow.core.layout import build_plan
        from sheetflow.io.xlsx import read_snapshot, write_plan
        from sheetflow.pipeline import compute

        report = compute(book, as_of)
        t = phase("compute all again (pipeline)", t)
        plan = build_plan(report)
        t = phase("layout (output plan)", t)
        snapshot, _ = read_snapshot(path)
        t = phase("read again (snapshot bytes)", t)
        with tempfile.TemporaryDirectory() as tmp:
            write_plan(snapshot, plan, Path(tmp) / "out.xlsx")
        t = phase("write (package editor)", t)
    rows = len(book.frame("Log"))
    print(f"\n{rows:,} Log rows, {len(book.frame('Cases')):,} cases ({path.name})")
    for name, seconds, peak in phases:
        print(f"  {name:<32} {seconds:8.2f} s   peak RSS {peak:8.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        one(args.sizes[0], write=not args.no_write)
        return
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pandas {pd.__version__}"
    )
    for size in args.sizes:
        extra = ["--no-write"] if args.no_write or size > 200_000 else []
        subprocess.run([sys.executable, __file__, str(size), "--child", *extra], check=True)


if __name__ == "__main__":
    main()
