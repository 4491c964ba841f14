"""`make bench`: the safety screen's p99 over the shared dev set (the other figures come with the
performance work). Prints a table, then one JSON object as the last line."""

from __future__ import annotations

import json
import time
from pathlib import Path

from safety.screener import default_screener

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "safety" / "dev_set.jsonl"


def screen_p99_us(repeat: int = 100) -> float:
    texts = [json.loads(line)["text"] for line in DEV_SET.read_text().splitlines() if line.strip()]
    screener = default_screener()
    timings = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter_ns()
            screener.screen(text)
            timings.append(time.perf_counter_ns() - start)
    timings.sort()
    return timings[int(len(timings) * 0.99)] / 1000


def main() -> None:
    figures = {"screen_p99_us": round(screen_p99_us(), 1) if DEV_SET.exists() else None}
    for key, value in figures.items():
        print(f"{key:24s} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
