"""`make bench`: prints a table, then one JSON object of figures as the last line.
So far the safety screen's p99; the engine, outbox and memory figures come with the performance issue."""

from __future__ import annotations

import json

from benchmarks import bench_screen


def main() -> None:
    figures = bench_screen.run()
    for key, value in figures.items():
        print(f"{key:24s} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
