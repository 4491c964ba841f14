"""Are `bot`, `flows` and `safety` this project's own packages? `safety` and `flows` are also names of
unrelated PyPI packages: installed into the same environment, an import can find theirs (or a hybrid of both)
and the bot would run someone else's code as its risk screener. Checked before anything of ours is imported,
by where each package's files are and a marker each of ours carries, without running the other package.

Standard library only: this module is imported first, by the `coachbot` command and `python -m bot`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["MARKER", "OWN", "foreign_packages"]

OWN = ("bot", "flows", "safety")
MARKER = "COACHBOT_PACKAGE = True"
"""A line in each of our packages' `__init__.py`."""


def foreign_packages(root: Path | None = None) -> list[str]:
    """One line per package that isn't ours: where it was found instead. Empty when all three are ours."""
    home = root or Path(__file__).resolve().parent.parent
    problems = []
    for name in OWN:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            problems.append(f"{name}: not found as a package next to {home / 'bot'}")
            continue
        origin = Path(spec.origin).resolve()
        places = [Path(p).resolve() for p in (spec.submodule_search_locations or ())]
        ours = home / name
        if origin.parent != ours or any(place != ours for place in places) or not _marked(origin):
            found = ", ".join(str(p) for p in places) or str(origin)
            problems.append(f"{name}: found at {found}, not this project's own {ours}")
    return problems


def _marked(init: Path) -> bool:
    try:
        return MARKER in init.read_text(encoding="utf-8")
    except OSError:
        return False
