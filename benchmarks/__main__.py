"""`make bench`: every benchmark in turn, a table of key / value / target / met?, then one JSON object of
every figure as the last line (other tools read it).

`python -m benchmarks --smoke` runs the same benchmarks at tiny sizes in seconds, to show they work and
print every key; its figures say nothing about the targets. A benchmark that fails leaves its keys null,
its traceback on stderr, and the exit status 1; the others still run. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Figure = float | int | None


@dataclass(frozen=True)
class Bench:
    module: str  # in benchmarks/, with a run(**sizes) returning its figures
    keys: tuple[str, ...]  # what `make bench` promises from it (null when it fails)
    full: Mapping[str, Any]
    smoke: Mapping[str, Any]


BENCHES = (
    Bench("bench_screen", ("screen_p50_us", "screen_p99_us", "screen_max_us", "screen_build_s", "screen_p50_ms",
                           "screen_p99_ms", "model_build_s", "model_rss_mb"),
          full={}, smoke={"repeat": 2}),
    Bench("bench_engine", ("engine_msgs_per_s", "engine_p99_ms", "sqlite_commits_per_s", "engine_vs_sqlite_ratio"),
          full={}, smoke={"messages": 200, "coachees": 20}),
    Bench("bench_claim", ("due_claim_ms_100k",), full={}, smoke={"coachees": 2_000, "claims": 5}),
    Bench("bench_memory", ("rss_mb_10k",), full={}, smoke={"coachees": 500, "active": 50}),
    Bench("bench_pg_workers", ("pg_workers_speedup", "cores"), full={},
          smoke={"coachees": 8, "answers": 3, "rounds": 1}),
    Bench("bench_outbox", ("outbox_rate_ratio",), full={}, smoke={"messages": 60}),
    Bench("bench_alert_flood", ("alert_delay_s",), full={}, smoke={"messages": 10}),
    Bench("bench_web", ("web_caseload_ms_200",), full={}, smoke={"coachees": 10, "warm": 1, "timed": 3}),
)
REQUIRED = tuple(key for bench in BENCHES for key in bench.keys)
# Targets for figures whose benchmark doesn't declare them (a module may declare its own in TARGETS).
TARGETS: dict[str, tuple[str, float]] = {"screen_p99_us": ("<=", 200.0)}
_MET: dict[str, Callable[[float, float], bool]] = {"<=": lambda v, t: v <= t, ">=": lambda v, t: v >= t}


def run_all(*, smoke: bool) -> tuple[dict[str, Figure], dict[str, tuple[str, float]], list[str]]:
    """Every benchmark's figures (in order), the targets they declare, and which benchmarks failed."""
    figures: dict[str, Figure] = {}
    targets = dict(TARGETS)
    failed: list[str] = []
    for bench in BENCHES:
        sizes = bench.smoke if smoke else bench.full
        print(f"running {bench.module} {json.dumps(dict(sizes))} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{bench.module}")
            targets.update(getattr(module, "TARGETS", {}))
            figures.update(module.run(**sizes))
        except Exception:
            traceback.print_exc()
            failed.append(bench.module)
        for key in bench.keys:
            figures.setdefault(key, None)
        print(f"  {bench.module}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return figures, targets, failed


def _show(value: Figure) -> str:
    if value is None:
        return "null"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.0f}"


def table(figures: Mapping[str, Figure], targets: Mapping[str, tuple[str, float]]) -> list[str]:
    rows = [("key", "value", "target", "met?")]
    for key, value in figures.items():
        target = targets.get(key)
        goal = f"{target[0]} {_show(target[1])}" if target else ""
        met = "" if target is None else "n/a" if value is None else (
            "yes" if _MET[target[0]](float(value), target[1]) else "NO")
        rows.append((key, _show(value), goal, met))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"{k:<{widths[0]}}  {v:>{widths[1]}}  {g:<{widths[2]}}  {m}".rstrip() for k, v, g, m in rows]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Run every benchmark.")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, in seconds: every key, no real figures")
    args = parser.parse_args(argv)
    figures, targets, failed = run_all(smoke=args.smoke)
    if args.smoke:
        print("smoke run: tiny sizes, so the figures are not comparable with the targets")
    for line in table(figures, targets):
        print(line)
    if failed:
        print(f"failed: {', '.join(failed)} (their figures are null; tracebacks above, on stderr)")
    clean = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in figures.items()}
    print(json.dumps(clean))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
