"""The literal prefilter must never hide a match: a skipped rule would be a silent miss.

We generate strings from every rule branch's own regex and check that whenever the branch
matches, the prefilter lists it as a candidate.
"""

from __future__ import annotations

import random
import re
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import pytest

from safety import guards
from safety.prefilter import BranchIndex, required_literals, split_branches
from safety.rules import ALL_RULES

SAMPLES = 150


def _generate(items: Any, rnd: random.Random) -> str:
    out: list[str] = []
    for op, arg in items:
        if op is sre_parse.LITERAL:
            out.append(chr(arg))
        elif op is sre_parse.NOT_LITERAL:
            out.append("x" if chr(arg) != "x" else "y")
        elif op is sre_parse.ANY:
            out.append("a")
        elif op is sre_parse.IN:
            choices = [chr(a) for o, a in arg if o is sre_parse.LITERAL]
            choices += [chr(rnd.randint(a[0], a[1])) for o, a in arg if o is sre_parse.RANGE]
            out.append(rnd.choice(choices) if choices else "a")
        elif op is sre_parse.BRANCH:
            out.append(_generate(rnd.choice(arg[1]), rnd))
        elif op is sre_parse.SUBPATTERN:
            out.append(_generate(arg[-1], rnd))
        elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
            low, high, item = arg
            out.extend(_generate(item, rnd) for _ in range(rnd.randint(low, min(high, low + 2))))
    return "".join(out)


def _samples(pattern: re.Pattern[str], seed: int) -> list[str]:
    rnd = random.Random(seed)
    tree = sre_parse.parse(pattern.pattern)
    texts = []
    for _ in range(SAMPLES):
        text = " ".join(_generate(tree, rnd).split())
        texts += [text, f"well {text} ok"]
    return texts


PATTERNS = [(i, r.pattern) for i, r in enumerate(ALL_RULES)] + [
    (len(ALL_RULES) + j, p) for j, p in enumerate(guards.PATTERNS.values())
]
INDEX = BranchIndex(PATTERNS)


@pytest.mark.parametrize(("key", "pattern"), PATTERNS, ids=[f"p{k}" for k, _ in PATTERNS])
def test_prefilter_never_hides_a_match(key: int, pattern: re.Pattern[str]) -> None:
    matched = 0
    for seed, branch in enumerate(split_branches(pattern)):
        for text in _samples(branch, seed):
            if branch.search(text):
                matched += 1
                assert branch in INDEX.candidates(text).get(key, []), text
    assert matched > 0, "the generator should produce matching strings"


def test_every_branch_is_prefiltered() -> None:
    assert INDEX.unfiltered <= 2


def test_required_literals_are_required() -> None:
    pattern = re.compile(r"(?:want|wish) to (?:die|be dead)")
    literals = required_literals(pattern)
    assert literals is not None
    for text in ("i want to die", "wish to be dead"):
        assert any(lit in text for lit in literals)


def test_split_branches_is_exact() -> None:
    pattern = re.compile(r"(?:a|b)c|[|(]d|(?:e|(?:f|g))")
    branches = split_branches(pattern)
    assert len(branches) >= 3
    for text in ("ac", "bc", "|d", "(d", "e", "g", "zz"):
        assert bool(pattern.search(text)) == any(b.search(text) for b in branches)
