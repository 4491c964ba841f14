"""A whole two-session programme, scripted, in one real `coachbot chat` process: the coachee types into the
running chat while the coach's and operator's commands run beside it against the same SQLite file, the way a
service would drive it (the script is tests/bot/scripts/two_sessions.txt)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "scripts" / "two_sessions.txt"
WAIT_S = 60.0


class RunningChat:
    """`coachbot chat` in its own process, its output gathered as it comes, read in order by `expect`."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "chat", "--name", "Robin"], cwd=cwd,
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, bufsize=1)
        self.output = ""
        self.read_to = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._gather, daemon=True)
        self._reader.start()

    def _gather(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self.output += line

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, text: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self._lock:
                found = self.output.find(text, self.read_to)
                if found >= 0:
                    self.read_to = found + len(text)
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"the chat never showed {text!r} after:\n{self.output[self.read_to - 300:]}")

    def close(self) -> tuple[int, str]:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=WAIT_S)
        finally:
            self.process.kill()
        assert self.process.stderr is not None
        return self.process.returncode, self.process.stderr.read()


@pytest.mark.slow
def test_a_two_session_programme_from_the_first_hello_to_the_final_review(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if k != "COACHBOT_CONFIG"}, "PYTHONPATH": str(ROOT)}
    chat = RunningChat(tmp_path, env)
    last_output = ""
    try:
        for line in SCRIPT.read_text(encoding="utf-8").splitlines():
            kind, _, rest = line.partition(" ")
            if kind == ">":
                chat.type(rest)
            elif kind == "?":
                chat.expect(rest)
            elif kind == "$":
                done = subprocess.run([sys.executable, "-m", "bot.cli", *rest.split()], cwd=tmp_path, env=env,
                                      capture_output=True, text=True, timeout=WAIT_S)
                assert done.returncode == 0, f"coachbot {rest}: {done.stderr}"
                last_output = done.stdout
            elif kind == "=":
                assert rest in last_output, f"{rest!r} not in:\n{last_output}"
            elif kind == "!":
                assert rest not in last_output, f"{rest!r} should not be in:\n{last_output}"
            else:
                assert not line.strip() or line.startswith("#"), f"a script line of no known kind: {line!r}"
    finally:
        code, errors = chat.close()
    assert code == 0, errors
    assert "next session" not in chat.output[chat.output.rfind("coaching relationship"):]
