"""`run_screen`: one JSON object per input line, in order, flushed: {"tier", "rules"} and the model's "score"."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from safety.stream import run_screen


def test_order_line_count_and_shape() -> None:
    lines = ["I'd kill for a coffee", "", "I want to kill myself", "I've taken all my pills", "I'm so stressed"]
    out = io.StringIO()
    assert run_screen(io.StringIO("\n".join(lines) + "\n"), out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == len(lines)
    assert [r["tier"] for r in rows] == ["none", "none", "crisis", "emergency", "stress"]
    for row in rows:
        assert set(row) == {"tier", "rules", "score"}
        assert isinstance(row["rules"], list) and all(isinstance(r, str) for r in row["rules"])
        assert 0.0 <= row["score"] <= 1.0
    assert rows[2]["score"] > rows[0]["score"]  # the model reads risk where there is risk


def test_last_line_without_newline_and_crlf() -> None:
    out = io.StringIO()
    run_screen(io.StringIO("hello\r\nI want to die"), out)
    assert [json.loads(line)["tier"] for line in out.getvalue().splitlines()] == ["none", "crisis"]


class _CountingFlush(io.StringIO):
    flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_flushed_per_line() -> None:
    out = _CountingFlush()
    run_screen(io.StringIO("a\nb\nc\n"), out)
    assert out.flushes >= 3


def test_python_dash_m_safety() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "safety"],
        input="hello\nI want to kill myself\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["tier"] for line in proc.stdout.splitlines()] == ["none", "crisis"]
