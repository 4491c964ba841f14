"""Cheap necessary conditions for each rule, derived from its regex: keeps the screen in microseconds.

For every pattern we work out sets of literal strings such that every text the pattern matches
contains one literal of each set (as RE2's prefilter does). Each rule is first split into its
top-level alternatives, so each alternative gets its own, sharper sets. Per message, the literals
are checked through cheap conditions on single tokens (cached per distinct token) and `in`,
which is far cheaper than running ~500 regexes. The derivation is conservative: when in doubt
it requires nothing and the pattern always runs. A test generates strings from every pattern and
checks the prefilter never hides a match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import Enum
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

__all__ = ["BranchIndex", "LiteralIndex", "required_literal_sets", "required_literals", "split_branches"]

_LITERAL = sre_parse.LITERAL
_BRANCH = sre_parse.BRANCH
_SUBPATTERN = sre_parse.SUBPATTERN
_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None))
_ZERO_WIDTH = (sre_parse.AT, sre_parse.ASSERT, sre_parse.ASSERT_NOT)
_MAX_ALTERNATIVES = 400
_MAX_EXACT = 64
_TOKEN_CACHE_SIZE = 50_000
_GOOD_LENGTH = 5

Req = frozenset[str] | None
"""A set of literals one of which must occur; None when nothing can be required."""


def _minimal(literals: frozenset[str]) -> frozenset[str]:
    """Drop literals that contain another one: if "so myself" occurs, "myself" does too."""
    ordered = sorted(literals, key=len)
    kept: list[str] = []
    for lit in ordered:
        if not any(k in lit for k in kept):
            kept.append(lit)
    return frozenset(kept)


_COMMON = frozenset(
    [
        "i",
        "me",
        "my",
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "so",
        "and",
        "or",
        "but",
        "if",
        "then",
        "than",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "up",
        "out",
        "about",
        "into",
        "over",
        "after",
        "before",
        "just",
        "really",
        "very",
        "too",
        "also",
        "even",
        "still",
        "now",
        "then",
        "here",
        "there",
        "what",
        "when",
        "where",
        "who",
        "why",
        "how",
        "all",
        "any",
        "some",
        "more",
        "most",
        "much",
        "many",
        "one",
        "two",
        "get",
        "got",
        "go",
        "going",
        "gone",
        "want",
        "feel",
        "think",
        "know",
        "like",
        "make",
        "made",
        "take",
        "took",
        "say",
        "said",
        "see",
        "tell",
        "told",
        "you",
        "your",
        "he",
        "she",
        "they",
        "him",
        "her",
        "them",
        "his",
        "their",
        "we",
        "our",
        "us",
        "a",
        "an",
        "the",
    ]
)
"""Words so frequent that requiring them filters nothing out."""


def _quality(literal: str) -> int:
    """How much a literal filters: 0 for common words and fragments, else its length (capped)."""
    core = literal.strip()
    if core in _COMMON or len(core) < 3:
        return 0
    return min(_GOOD_LENGTH, len(core))


def _score(req: frozenset[str]) -> tuple[int, int]:
    """Higher is more selective: literals of a useful length, then fewer of them."""
    return (min(_quality(s) for s in req), -len(req))


def _better(a: Req, b: Req) -> Req:
    """The more selective requirement: literals of a useful length first, then as few as possible."""
    if a is None:
        return b
    if b is None:
        return a
    a, b = _minimal(a), _minimal(b)
    return a if _score(a) >= _score(b) else b


class _Info:
    """What a sub-pattern guarantees: its exact strings (if small and finite) and a requirement."""

    __slots__ = ("exact", "required")

    def __init__(self, exact: frozenset[str] | None, required: Req) -> None:
        self.exact = exact
        self.required = required

    def requirement(self) -> Req:
        if self.exact is not None and all(self.exact) and len(self.exact) <= _MAX_ALTERNATIVES:
            return _better(frozenset(self.exact), self.required)
        return self.required


def _seq(items: Iterable[Any], collect: list[frozenset[str]] | None = None) -> _Info:
    """A sequence: concatenate exact strings while they stay few; each element is also required.

    With `collect`, every requirement met along the way is appended: all of them hold at once.
    """
    run: frozenset[str] | None = frozenset({""})
    whole = True
    required: Req = None
    for op, arg in items:
        info = _node(op, arg)
        if run is not None and info.exact is not None and len(run) * len(info.exact) <= _MAX_EXACT:
            run = frozenset(a + b for a in run for b in info.exact)
            continue
        whole = False
        for candidate in (run if run is not None and all(run) else None, info.requirement()):
            required = _better(required, candidate)
            if collect is not None and candidate is not None:
                collect.append(_minimal(candidate))
        run = info.exact if info.exact is not None and len(info.exact) <= _MAX_EXACT else None
    if run is not None and all(run):
        required = _better(required, run)
        if collect is not None:
            collect.append(_minimal(run))
    return _Info(run if whole else None, required)


def _node(op: Any, arg: Any) -> _Info:
    if op is _LITERAL:
        return _Info(frozenset({chr(arg)}), None)
    if op in _ZERO_WIDTH:
        return _Info(frozenset({""}), None)
    if op is _SUBPATTERN:
        return _seq(arg[-1])
    if op is _BRANCH:
        infos = [_seq(branch) for branch in arg[1]]
        exact: frozenset[str] | None = None
        if all(i.exact is not None for i in infos):
            union = frozenset().union(*(i.exact for i in infos if i.exact is not None))
            exact = union if len(union) <= _MAX_EXACT else None
        reqs = [i.requirement() for i in infos]
        required: Req = None
        if all(r is not None for r in reqs):
            merged = frozenset().union(*(r for r in reqs if r is not None))
            required = merged if len(merged) <= _MAX_ALTERNATIVES else None
        return _Info(exact, required)
    if op in _REPEATS and op is not None:
        low, high, item = arg
        info = _seq(item)
        if low == 0:
            if high == 1 and info.exact is not None:
                return _Info(info.exact | {""}, None)
            return _Info(None, None)
        if low == high == 1:
            return info
        return _Info(None, info.requirement())
    return _Info(None, None)


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Literals one of which every match of `pattern` contains, or None if none can be derived."""
    info = _seq(sre_parse.parse(pattern.pattern, pattern.flags))
    req = info.requirement()
    if req is None or not all(req):
        return None
    return req


def _cheap(literal: str) -> bool:
    """Is the literal cheap to check: one word (checked per token) or filed under an uncommon word?"""
    kind, key = _token_condition(literal)
    return bool(key) and (kind is _Kind.INSIDE or (key not in _COMMON and len(key) >= 2))


def _related(a: frozenset[str], b: frozenset[str]) -> bool:
    """Do the two sets say the same thing (one implies the other)? Then only one is worth checking."""
    return all(any(x in y for x in a) for y in b) or all(any(y in x for y in b) for x in a)


def required_literal_sets(pattern: re.Pattern[str], most: int = 8) -> tuple[frozenset[str], ...]:
    """Up to `most` literal sets that must *all* be met (one literal of each), most selective first.

    Empty when nothing can be required. `required_literals` is the first of them.
    """
    collected: list[frozenset[str]] = []
    info = _seq(sre_parse.parse(pattern.pattern, pattern.flags), collected)
    best = info.requirement()
    if best is None or not all(best):
        return ()
    chosen = [_minimal(best)]
    for candidate in sorted(set(collected), key=lambda c: (_score(c), sorted(c)), reverse=True):
        if len(chosen) >= most:
            break
        if all(candidate) and all(_cheap(lit) for lit in candidate) and not any(_related(candidate, c) for c in chosen):
            chosen.append(candidate)
    return tuple(chosen)


def split_branches(pattern: re.Pattern[str]) -> tuple[re.Pattern[str], ...]:
    """The pattern's top-level alternatives, compiled one by one (each gets its own, sharper prefilter).

    A text matches the pattern exactly when it matches one of the branches: `a|b` is split only
    at a `|` outside every group and character class.
    """
    source = _unwrap(pattern.pattern)
    parts: list[str] = []
    depth = 0
    in_class = False
    start = 0
    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            if source[i + 1 : i + 2] == "]" or source[i + 1 : i + 3] == "^]":
                i += 2 if source[i + 1] == "]" else 3
                continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
        i += 1
    parts.append(source[start:])
    if len(parts) == 1:
        return (pattern,)
    return tuple(branch for part in parts for branch in split_branches(re.compile(part, pattern.flags)))


def _unwrap(source: str) -> str:
    """`(?:a|b)` -> `a|b` when one non-capturing group spans the whole pattern."""
    if not (source.startswith("(?:") and source.endswith(")")):
        return source
    depth = 0
    in_class = False
    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return source[3:-1] if i == len(source) - 1 else source
        i += 1
    return source


class _Kind(Enum):
    EXACT = "exact"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    INSIDE = "inside"


def _token_condition(literal: str) -> tuple[_Kind, str]:
    """A single-token condition implied by `literal` occurring in space-separated text.

    "want to die" occurs only if some token is exactly "to" and some token ends with "want" and
    some token starts with "die"; we keep the most selective one of those.
    """
    fragments = literal.split(" ")
    if len(fragments) == 1:
        return _Kind.INSIDE, literal
    options: list[tuple[_Kind, str]] = [(_Kind.EXACT, f) for f in fragments[1:-1] if f]
    if fragments[0]:
        options.append((_Kind.SUFFIX, fragments[0]))
    if fragments[-1]:
        options.append((_Kind.PREFIX, fragments[-1]))
    if not options:
        return _Kind.INSIDE, ""
    rank = {_Kind.EXACT: 3, _Kind.PREFIX: 2, _Kind.SUFFIX: 1, _Kind.INSIDE: 0}
    return max(options, key=lambda o: (o[1] not in _COMMON and len(o[1]) >= 2, min(len(o[1]), 6), rank[o[0]]))


class LiteralIndex:
    """Which of many patterns could possibly match a normalised text.

    Each pattern needs one literal from each of a few sets (`required_literal_sets`). Every
    literal is filed under one condition on a single token (`_token_condition`). For a message we
    collect the conditions its tokens meet (cached per distinct token), test with `in` only the
    literals filed under those, and keep the patterns all of whose sets are met.
    """

    __slots__ = (
        "_always",
        "_by_condition",
        "_exact",
        "_inside",
        "_owner",
        "_prefix",
        "_primary",
        "_required",
        "_suffix",
        "_token_cache",
    )

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        requirement_sets = [required_literal_sets(p) for p in patterns]
        always: set[int] = set()
        owner: list[int] = []
        conditions: dict[tuple[_Kind, str], int] = {}
        by_condition: list[dict[int, list[str]]] = []
        for index, sets in enumerate(requirement_sets):
            usable = [req for req in sets if all(_token_condition(lit)[1] for lit in req)]
            if not usable:
                always.add(index)
                continue
            for req in usable:
                requirement_id = len(owner)
                owner.append(index)
                for literal in sorted(req):
                    condition = _token_condition(literal)
                    if condition not in conditions:
                        conditions[condition] = len(by_condition)
                        by_condition.append({})
                    # A one-word literal filed under "a token contains it" needs no second check.
                    check = "" if condition == (_Kind.INSIDE, literal) else literal
                    by_condition[conditions[condition]].setdefault(requirement_id, []).append(check)
        self._always = frozenset(always)
        self._owner = tuple(owner)
        required: dict[int, set[int]] = {}
        for requirement_id, index in enumerate(owner):
            required.setdefault(index, set()).add(requirement_id)
        self._required = {index: frozenset(ids) for index, ids in required.items()}
        self._primary = frozenset(min(ids) for ids in required.values())
        self._by_condition = tuple(
            tuple((rid, tuple(sorted(set(lits)))) for rid, lits in entries.items()) for entries in by_condition
        )
        self._exact = {key: cid for (kind, key), cid in conditions.items() if kind is _Kind.EXACT}
        self._prefix = {key: cid for (kind, key), cid in conditions.items() if kind is _Kind.PREFIX}
        self._suffix = {key: cid for (kind, key), cid in conditions.items() if kind is _Kind.SUFFIX}
        self._inside = tuple((key, cid) for (kind, key), cid in conditions.items() if kind is _Kind.INSIDE)
        self._token_cache: dict[str, tuple[frozenset[int], tuple[tuple[str, frozenset[int]], ...]]] = {}

    def _for_token(self, token: str) -> tuple[frozenset[int], tuple[tuple[str, frozenset[int]], ...]]:
        """Requirement ids this token meets outright, and (literal, ids) still to check against the text."""
        found: set[int] = set()
        if token in self._exact:
            found.add(self._exact[token])
        for k in range(1, len(token) + 1):
            head, tail = token[:k], token[-k:]
            if head in self._prefix:
                found.add(self._prefix[head])
            if tail in self._suffix:
                found.add(self._suffix[tail])
        for key, cid in self._inside:
            if key in token:
                found.add(cid)
        met: set[int] = set()
        pending: dict[str, set[int]] = {}
        for cid in sorted(found):
            for requirement_id, literals in self._by_condition[cid]:
                if "" in literals:
                    met.add(requirement_id)
                else:
                    for literal in literals:
                        pending.setdefault(literal, set()).add(requirement_id)
        result = (
            frozenset(met),
            tuple((lit, frozenset(ids - met)) for lit, ids in sorted(pending.items()) if ids - met),
        )
        if len(self._token_cache) < _TOKEN_CACHE_SIZE:
            self._token_cache[token] = result
        return result

    def candidates(self, text: str) -> list[int]:
        """Indexes of the patterns whose required literal sets are all met in `text`, in pattern order."""
        cache = self._token_cache
        entries = [cache.get(token) or self._for_token(token) for token in set(text.split(" "))]
        met: set[int] = set().union(*[entry[0] for entry in entries])
        pending = [ids for entry in entries for literal, ids in entry[1] if literal in text]
        if pending:
            met.update(*pending)
        owner, needed = self._owner, self._required
        found = {owner[r] for r in met.intersection(self._primary) if needed[owner[r]] <= met}
        found |= self._always
        return sorted(found)

    @property
    def unfiltered(self) -> frozenset[int]:
        """Patterns with no usable requirement: they always run (a test keeps this small)."""
        return self._always


class BranchIndex:
    """Patterns split into their top-level branches, each prefiltered on its own literals.

    `candidates(text)` maps each key whose pattern might match to the branches worth running,
    keys in the order given.
    """

    __slots__ = ("_branches", "_index", "_owners")

    def __init__(self, keyed: Sequence[tuple[int, re.Pattern[str]]]) -> None:
        owners: list[int] = []
        branches: list[re.Pattern[str]] = []
        for key, pattern in keyed:
            for branch in split_branches(pattern):
                owners.append(key)
                branches.append(branch)
        self._owners = tuple(owners)
        self._branches = tuple(branches)
        self._index = LiteralIndex(branches)

    def candidates(self, text: str) -> dict[int, list[re.Pattern[str]]]:
        """Key -> branches that could match `text` (keys ascending)."""
        found: dict[int, list[re.Pattern[str]]] = {}
        for i in self._index.candidates(text):
            found.setdefault(self._owners[i], []).append(self._branches[i])
        return found

    @property
    def unfiltered(self) -> int:
        """How many branches have no derivable literal and always run."""
        return len(self._index.unfiltered)
