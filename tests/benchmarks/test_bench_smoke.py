"""`python -m benchmarks --smoke`: every benchmark runs at tiny sizes and the last line carries every key.

No timing thresholds here: the targets are judged by `make bench` at full size, never in a test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import REQUIRED
from benchmarks.bench_pg_workers import reachable, server_url
from tests.conftest import postgres_required

REPO = Path(__file__).resolve().parents[2]
# What other tools read from `make bench`; the runner's own list must keep promising them.
PROMISED = ("screen_p99_us", "engine_msgs_per_s", "engine_p99_ms", "sqlite_commits_per_s", "engine_vs_sqlite_ratio",
            "due_claim_ms_100k", "outbox_rate_ratio", "rss_mb_10k", "pg_workers_speedup", "cores")


@pytest.mark.slow
def test_smoke_run_prints_every_figure_as_json_on_its_last_line() -> None:
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke"], capture_output=True, text=True,
                          cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert isinstance(figures, dict)
    assert set(PROMISED) <= set(REQUIRED)
    assert not set(REQUIRED) - set(figures), f"missing keys: {set(REQUIRED) - set(figures)}"
    postgres = reachable(server_url()) is None
    for key, value in figures.items():
        if key == "pg_workers_speedup" and value is None:
            assert not postgres and not postgres_required(), "PostgreSQL is reachable, so the speedup must be measured"
            continue
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{key} = {value!r}"
        assert math.isfinite(value) and value >= 0, f"{key} = {value!r}"
    assert isinstance(figures["cores"], int) and figures["cores"] >= 1
    table = "\n".join(lines[:-1])
    assert all(key in table for key in REQUIRED)  # the human-readable table shows them too
