"""Screen latency: p99 of `RuleScreener.screen` over the shared dev set, repeated (target: 200 µs).

Each message is timed on its own with `time.perf_counter_ns`. As `timeit` does, garbage
collection is paused while timing, so a collector pause is not billed to whichever message
happened to trigger it. When the shared dev set is not next to the repo, our own labelled set
is used instead (the figure is then not comparable).

`screen_build_s` is what every command pays before it can screen: importing the screener and
building it, timed in a fresh interpreter (this one has it built already), median of a few runs.

With the learned layer (the screener the bot runs): `screen_p50_ms` and `screen_p99_ms` per message
over a realistic mix (the dev set's messages with the ordinary answers the bot mostly receives, one
free-text risk message in five), `model_build_s` to load rules, model and head in a fresh
interpreter, and `model_rss_mb`, that interpreter's peak resident memory after screening.
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from safety.layered import default_screener as layered_screener
from safety.screener import default_screener

_REPO = Path(__file__).resolve().parents[1]
DEV_SET = _REPO.parent / "shared" / "safety" / "dev_set.jsonl"
FALLBACK = _REPO / "tests" / "safety" / "labelled.jsonl"
ORDINARY = _REPO / "tests" / "safety" / "corpus" / "ordinary_answers.txt"
BUILD_RUNS = 3
TARGETS = {"screen_p50_ms": ("<=", 2.0), "screen_p99_ms": ("<=", 15.0), "model_build_s": ("<=", 5.0),
           "model_rss_mb": ("<=", 400.0)}
_MODEL_BUILD = (
    "import resource, time; start = time.perf_counter(); from safety.layered import default_screener; "
    "s = default_screener(); s.screen('I want to die'); took = time.perf_counter() - start; "
    "print(took, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
)
_BUILD = (
    "import time; start = time.perf_counter(); from safety.screener import default_screener; "
    "default_screener(); print(time.perf_counter() - start)"
)


def _messages() -> list[str]:
    source = DEV_SET if DEV_SET.exists() else FALLBACK
    return [str(json.loads(line)["text"]) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_seconds(runs: int = BUILD_RUNS) -> float:
    """Median seconds from `import safety.screener` to a built screener, each run in a new interpreter."""
    command = [sys.executable, "-c", _BUILD]
    times = [
        float(subprocess.run(command, capture_output=True, text=True, check=True, cwd=_REPO).stdout)
        for _ in range(runs)
    ]
    return round(statistics.median(times), 3)


def model_build(runs: int = BUILD_RUNS) -> tuple[float, float]:
    """Median seconds to a loaded layered screener (first message screened) and the peak RSS in MB."""
    command = [sys.executable, "-c", _MODEL_BUILD]
    runs_out = [
        subprocess.run(command, capture_output=True, text=True, check=True, cwd=_REPO).stdout.split()
        for _ in range(runs)
    ]
    return (round(statistics.median(float(r[0]) for r in runs_out), 3),
            round(max(float(r[1]) for r in runs_out), 1))


def _mix() -> list[str]:
    """Mostly ordinary answers, with the risk and stress messages of the dev set among them."""
    risky = _messages()
    ordinary = ORDINARY.read_text(encoding="utf-8").splitlines()
    mixed: list[str] = []
    for i, text in enumerate(ordinary):
        mixed.append(text)
        if i % 4 == 3 and risky:
            mixed.append(risky[(i // 4) % len(risky)])
    return mixed


def timings_ns(screen: Callable[[str], object], messages: Sequence[str], repeat: int) -> list[int]:
    """Each message timed on its own, `repeat` times, after a warm-up pass, sorted; collection paused."""
    for text in messages:  # warm-up: first-seen tokens fill the per-token caches, needed branches get compiled
        screen(text)
    timings: list[int] = []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for text in messages:
                start = time.perf_counter_ns()
                screen(text)
                timings.append(time.perf_counter_ns() - start)
    finally:
        if was_enabled:
            gc.enable()
    return sorted(timings)


def run(repeat: int = 100) -> dict[str, float]:
    """Time every message `repeat` times; return p50, p99 and max in microseconds, and the build time."""
    build = build_seconds()
    timings = timings_ns(default_screener().screen, _messages(), repeat)
    layered = timings_ns(layered_screener().screen, _mix(), max(1, repeat // 20))
    model_s, model_mb = model_build()

    def at(share: float) -> float:
        return round(timings[min(len(timings) - 1, int(len(timings) * share))] / 1000, 1)

    def ms(share: float) -> float:
        return round(layered[min(len(layered) - 1, int(len(layered) * share))] / 1e6, 3)

    return {
        "screen_p50_us": at(0.50),
        "screen_p99_us": at(0.99),
        "screen_max_us": round(timings[-1] / 1000, 1),
        "screen_build_s": build,
        "screen_p50_ms": ms(0.50),
        "screen_p99_ms": ms(0.99),
        "model_build_s": model_s,
        "model_rss_mb": model_mb,
    }


if __name__ == "__main__":
    print(json.dumps(run()))
