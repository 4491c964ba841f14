"""`safety` and `flows` are also PyPI packages' names: with a namesake first on the path, coachbot refuses to
start with one clear line (and doctor says why), in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import __version__
from bot.doctor import check_packages
from bot.own_packages import OWN, foreign_packages

ROOT = Path(__file__).resolve().parents[2]


def _coachbot(*args: str, path: list[Path], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in path)}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=120,
                          cwd=cwd)


def test_in_this_checkout_all_three_are_ours() -> None:
    assert foreign_packages() == []
    assert check_packages().status == "ok"


@pytest.mark.parametrize("name", ["safety", "flows"])
def test_a_namesake_first_on_the_path_is_refused_before_any_of_it_runs(tmp_path: Path, name: str) -> None:
    fake = tmp_path / name
    fake.mkdir()
    (fake / "__init__.py").write_text("raise SystemExit('the namesake ran')\n", encoding="utf-8")
    done = _coachbot("--version", path=[tmp_path, ROOT], cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to start" in lines[0] and str(fake) in lines[0]
    assert "the namesake ran" not in done.stderr and "Traceback" not in done.stderr
    assert "virtual environment of its own" in lines[0]


def test_a_copy_without_the_marker_is_not_taken_for_ours(tmp_path: Path) -> None:
    for name in OWN:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text('"""Not coachbot."""\n', encoding="utf-8")
    problems = foreign_packages(root=tmp_path)
    assert len(problems) == 3 and all("not this project's own" in p for p in problems)


def test_python_dash_m_bot_is_the_coachbot_command() -> None:
    done = _coachbot("--version", path=[ROOT])
    assert done.returncode == 0 and done.stdout.strip() == f"coachbot {__version__}"
