"""Cheap necessary conditions for each rule, derived from its regex: keeps the screen in microseconds.

For every pattern we work out sets of literal strings such that every text the pattern matches
contains one literal of each set (as RE2's prefilter does). Each rule is first split into its
top-level alternatives, so each alternative gets its own, sharper sets. Per message, the literals
are checked through cheap conditions on single tokens (cached per distinct token) and `in`,
which is far cheaper than running ~500 regexes. The derivation is conservative: when in doubt
it requires nothing and the pattern always runs. A test generates strings from every pattern and
checks the prefilter never hides a match.

Start-up cost matters as much (every command builds the screener), so the derivation works on
regex source text, parses each alternative once, and an alternative is compiled only the first
time a message makes it a candidate: most never are in a short-lived process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from enum import IntEnum
from functools import lru_cache
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

__all__ = [
    "BranchIndex",
    "LiteralIndex",
    "fast_start",
    "required_literal_sets",
    "required_literals",
    "split_branches",
    "split_sources",
]

_LITERAL = sre_parse.LITERAL
_BRANCH = sre_parse.BRANCH
_SUBPATTERN = sre_parse.SUBPATTERN
_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None))
_ZERO_WIDTH = (sre_parse.AT, sre_parse.ASSERT, sre_parse.ASSERT_NOT)
_IN = sre_parse.IN
_RANGE = sre_parse.RANGE
_AT = sre_parse.AT
_ANCHORS = (sre_parse.AT_BEGINNING, sre_parse.AT_BEGINNING_STRING)
_ATOMIC = getattr(sre_parse, "ATOMIC_GROUP", None)
_MAX_FIRST_RANGE = 256
_MAX_ALTERNATIVES = 400
_MAX_EXACT = 64
_TOKEN_CACHE_SIZE = 50_000
_HEAD = 3
"""Keys found inside a token are looked up by their first three letters."""
_GOOD_LENGTH = 5

Req = frozenset[str] | None
"""A set of literals one of which must occur; None when nothing can be required."""

PatternLike = re.Pattern[str] | str
"""A compiled pattern or its source (flags default): the index needs only the source."""

_DERIVATION_CACHE = 1 << 15
"""The same literal sets recur across rules (shared word lists): their checks are memoised."""


@lru_cache(maxsize=_DERIVATION_CACHE)
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


@lru_cache(maxsize=_DERIVATION_CACHE)
def _quality(literal: str) -> int:
    """How much a literal filters: 0 for common words and fragments, else its length (capped)."""
    core = literal.strip()
    if core in _COMMON or len(core) < 3:
        return 0
    return min(_GOOD_LENGTH, len(core))


@lru_cache(maxsize=_DERIVATION_CACHE)
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
    ops: Sequence[tuple[Any, Any]] = getattr(items, "data", None) or list(items)
    i, n = 0, len(ops)
    while i < n:
        op, arg = ops[i]
        i += 1
        if op is _LITERAL and run is not None:
            # A run of plain characters extends every exact string at once (never more than _MAX_EXACT).
            chars = [chr(arg)]
            while i < n and ops[i][0] is _LITERAL:
                chars.append(chr(ops[i][1]))
                i += 1
            chunk = "".join(chars)
            run = frozenset(a + chunk for a in run)
            continue
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


def _parse(pattern: PatternLike) -> Any:
    if isinstance(pattern, str):
        return sre_parse.parse(pattern)
    return sre_parse.parse(pattern.pattern, pattern.flags)


def required_literals(pattern: PatternLike) -> frozenset[str] | None:
    """Literals one of which every match of `pattern` contains, or None if none can be derived."""
    info = _seq(_parse(pattern))
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


def required_literal_sets(pattern: PatternLike, most: int = 8) -> tuple[frozenset[str], ...]:
    """Up to `most` literal sets that must *all* be met (one literal of each), most selective first.

    Empty when nothing can be required. `required_literals` is the first of them.
    """
    collected: list[frozenset[str]] = []
    info = _seq(_parse(pattern), collected)
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
    return tuple(re.compile(source, pattern.flags) for source in split_sources(pattern.pattern))


def split_sources(pattern: str) -> tuple[str, ...]:
    """`split_branches` on source text: splitting needs no compiling, so start-up compiles nothing."""
    source = _unwrap(pattern)
    parts: list[str] = []
    start = 0
    for i, char, depth in _syntax(source):
        if char == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    parts.append(source[start:])
    if len(parts) == 1:
        return (pattern,)
    return tuple(branch for part in parts for branch in split_sources(part))


def _syntax(source: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) for each `(`, `)` and `|` outside escapes and character classes."""
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
            if source[i + 1 : i + 2] == "]" or source[i + 1 : i + 3] == "^]":  # a "]" first is a literal
                i += 2 if source[i + 1] == "]" else 3
                continue
        elif char in "()|":
            depth += (char == "(") - (char == ")")
            yield i, char, depth
        i += 1


def _unwrap(source: str) -> str:
    """`(?:a|b)` -> `a|b` when one non-capturing group spans the whole pattern."""
    if not (source.startswith("(?:") and source.endswith(")")):
        return source
    for i, char, depth in _syntax(source):
        if char == ")" and depth == 0:
            return source[3:-1] if i == len(source) - 1 else source
    return source


WORD_START = "(?<![a-z0-9])"
WORD_END = "(?![a-z0-9])"


def word_bounded(source: str) -> str:
    """`source` matched at word boundaries only, behind its `fast_start` lookahead.

    Every branch starts and ends on a whole word, whatever its author wrote: "end it" must never
    match inside "send it", nor "kill" inside "skill". A branch that means a stem says so (`suicid\\w*`).
    """
    fast = fast_start(source)
    lead = fast[: len(fast) - len(source)]
    return f"{lead}{WORD_START}(?:{source}){WORD_END}"


def fast_start(source: str) -> str:
    """`source` behind a lookahead for the characters a match can start with, where that saves work.

    Python's engine skips straight to plausible start positions only when a pattern opens with a
    literal or a set of literal characters; one opening with `\\b`, a lookbehind or a group of
    phrases is tried in full at every position of the message. `(?=[...])` listing every possible
    first character rejects most positions at once. Every match starts with one of those
    characters and the lookahead is zero-width, so the matches (and their spans) are unchanged.
    """
    items = sre_parse.parse(source).data
    if not items or _engine_skips(items) or (items[0][0] is _AT and items[0][1] in _ANCHORS):
        return source
    first = _first_chars(items)
    if first is None or first[1] or not first[0]:
        return source
    chars = "".join(c if c.isascii() and c.isalnum() else f"\\U{ord(c):08x}" for c in sorted(first[0]))
    return f"(?=[{chars}]){source}"


def _engine_skips(items: Any) -> bool:
    """Does the engine find start positions by itself (a literal prefix or a first-character set)?"""
    op, arg = items[0]
    while op is _SUBPATTERN:
        inner = arg[-1].data
        if arg[1] or arg[2] or not inner:
            return False
        op, arg = inner[0]
    if op is _LITERAL or op is _IN:
        return True
    return op is _BRANCH and all(alt.data and alt.data[0][0] is _LITERAL for alt in arg[1])


def _first_chars(items: Any) -> tuple[set[str], bool] | None:
    """The characters a match of the sequence can start with, and whether it can match empty.

    None when that can't be told (character classes like `\\w`, `.`, back references).
    """
    chars: set[str] = set()
    for op, arg in items:
        found = _first_of(op, arg)
        if found is None:
            return None
        chars |= found[0]
        if not found[1]:
            return chars, False
    return chars, True


def _first_of(op: Any, arg: Any) -> tuple[set[str], bool] | None:
    if op is _LITERAL:
        return {chr(arg)}, False
    if op in _ZERO_WIDTH:
        return set(), True
    if op is _IN:
        chars: set[str] = set()
        for kind, value in arg:
            if kind is _LITERAL:
                chars.add(chr(value))
            elif kind is _RANGE and value[1] - value[0] <= _MAX_FIRST_RANGE:
                chars.update(chr(c) for c in range(value[0], value[1] + 1))
            else:
                return None
        return chars, False
    if op is _BRANCH:
        union: set[str] = set()
        empty = False
        for alternative in arg[1]:
            found = _first_chars(alternative.data)
            if found is None:
                return None
            union |= found[0]
            empty = empty or found[1]
        return union, empty
    if op is _SUBPATTERN:
        return _first_chars(arg[-1].data)
    if op is _ATOMIC and op is not None:
        return _first_chars(arg.data)
    if op in _REPEATS and op is not None:
        low, _, item = arg
        found = _first_chars(item.data)
        return None if found is None else (found[0], found[1] or low == 0)
    return None


class _Kind(IntEnum):
    """How a token meets a literal's condition (an int enum: hashed often while building)."""

    EXACT = 3
    PREFIX = 2
    SUFFIX = 1
    INSIDE = 0


@lru_cache(maxsize=_DERIVATION_CACHE)
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


_TokenEntry = tuple[frozenset[int], frozenset[int], tuple[str, ...]]
"""Per distinct token: patterns met outright, sets (of patterns needing several) met outright, and
the literals still to check with `literal in text`."""


class LiteralIndex:
    """Which of many patterns could possibly match a normalised text.

    Each pattern needs one literal from each of a few sets (`required_literal_sets`). Every
    literal is filed under one condition on a single token that it implies (`_filing`). For a message we
    collect the conditions its tokens meet (cached per distinct token), test with `in` only the
    literals filed under those, and keep the patterns all of whose sets are met.

    Most patterns need a single set, so a token that meets it names the pattern outright and the
    per-message work is mostly set unions; the few needing several sets are counted up at the end.
    """

    __slots__ = (
        "_always",
        "_by_condition",
        "_condition_entries",
        "_exact",
        "_inside",
        "_inside_by_head",
        "_inside_short",
        "_literal_targets",
        "_longest_affix",
        "_multi_owner",
        "_multi_primary",
        "_multi_required",
        "_prefix",
        "_suffix",
        "_token_cache",
    )

    def __init__(self, patterns: Sequence[PatternLike]) -> None:
        always: set[int] = set()
        single: list[tuple[int, frozenset[str]]] = []
        multi: list[tuple[int, frozenset[str]]] = []
        for index, pattern in enumerate(patterns):
            sets = required_literal_sets(pattern)
            usable = [req for req in sets if all(_token_condition(lit)[1] for lit in req)]
            if not usable:
                always.add(index)
            elif len(usable) == 1:
                single.append((index, usable[0]))
            else:
                multi.extend((index, req) for req in usable)
        filing = _filing({lit for _, req in (*single, *multi) for lit in req})
        # A target is a pattern index (single-set patterns) or ~set id (a set of a multi-set pattern).
        conditions: dict[tuple[_Kind, str], int] = {}
        by_condition: list[dict[str, set[int]]] = []
        targets = [*single, *((~rid, req) for rid, (_, req) in enumerate(multi))]
        for target, req in targets:
            for literal in sorted(req):
                condition = filing[literal]
                if condition not in conditions:
                    conditions[condition] = len(by_condition)
                    by_condition.append({})
                # A one-word literal filed under "a token contains it" needs no second check.
                check = "" if condition == (_Kind.INSIDE, literal) else literal
                by_condition[conditions[condition]].setdefault(check, set()).add(target)
        self._always = frozenset(always)
        self._multi_owner = tuple(index for index, _ in multi)
        required: dict[int, set[int]] = {}
        for rid, (index, _) in enumerate(multi):
            required.setdefault(index, set()).add(rid)
        self._multi_required = {rid: frozenset(required[index]) for rid, (index, _) in enumerate(multi)}
        self._multi_primary = frozenset(min(ids) for ids in required.values())
        self._by_condition = tuple(
            tuple((check, frozenset(ids)) for check, ids in sorted(entries.items())) for entries in by_condition
        )
        # Each literal is filed under one condition, so its targets there are all its targets.
        self._literal_targets = {
            check: (frozenset(t for t in ids if t >= 0), frozenset(~t for t in ids if t < 0))
            for entries in by_condition
            for check, ids in entries.items()
            if check
        }
        self._exact = {key: cid for (kind, key), cid in conditions.items() if kind is _Kind.EXACT}
        self._prefix = {key: cid for (kind, key), cid in conditions.items() if kind is _Kind.PREFIX}
        self._suffix = {key: cid for (kind, key), cid in conditions.items() if kind is _Kind.SUFFIX}
        self._inside = {key: cid for (kind, key), cid in conditions.items() if kind is _Kind.INSIDE}
        by_head: dict[str, list[str]] = {}
        for key in self._inside:
            if len(key) >= _HEAD:
                by_head.setdefault(key[:_HEAD], []).append(key)
        self._inside_by_head = {head: tuple(keys) for head, keys in by_head.items()}
        self._inside_short = tuple(key for key in self._inside if len(key) < _HEAD)
        self._longest_affix = max(map(len, (*self._prefix, *self._suffix)), default=0)
        self._condition_entries: dict[int, _TokenEntry] = {}
        self._token_cache: dict[str, _TokenEntry] = {}

    def _conditions(self, token: str) -> set[int]:
        """Ids of the single-token conditions `token` meets (run once per distinct token, so new words stay cheap)."""
        found: set[int] = set()
        exact, prefix, suffix, inside = self._exact, self._prefix, self._suffix, self._inside
        if token in exact:
            found.add(exact[token])
        for k in range(1, min(len(token), self._longest_affix) + 1):
            head, tail = token[:k], token[-k:]
            if head in prefix:
                found.add(prefix[head])
            if tail in suffix:
                found.add(suffix[tail])
        # Keys inside the token: look up the keys starting with each three-letter piece of it.
        by_head = self._inside_by_head
        for start in range(len(token) - _HEAD + 1):
            keys = by_head.get(token[start : start + _HEAD])
            if keys:
                found.update([inside[key] for key in keys if token.startswith(key, start)])
        found.update([inside[key] for key in self._inside_short if key in token])
        return found

    def _condition_entry(self, cid: int) -> _TokenEntry:
        """What meeting condition `cid` settles, worked out once (a new token meets several conditions)."""
        entry = self._condition_entries.get(cid)
        if entry is None:
            direct = {target for check, targets in self._by_condition[cid] if not check for target in targets}
            entry = self._condition_entries[cid] = (
                frozenset(t for t in direct if t >= 0),
                frozenset(~t for t in direct if t < 0),
                tuple(check for check, _ in self._by_condition[cid] if check),
            )
        return entry

    def _for_token(self, token: str) -> _TokenEntry:
        """What this token settles: patterns and sets it meets outright, and literals still to look for."""
        parts = [self._condition_entry(cid) for cid in self._conditions(token)]
        patterns: frozenset[int] = frozenset().union(*[part[0] for part in parts])
        sets: frozenset[int] = frozenset().union(*[part[1] for part in parts])
        targets = self._literal_targets
        literals = tuple(
            dict.fromkeys(
                literal
                for part in parts
                for literal in part[2]
                if not (targets[literal][0] <= patterns and targets[literal][1] <= sets)
            )
        )
        entry = (patterns, sets, literals)
        if len(self._token_cache) < _TOKEN_CACHE_SIZE:
            self._token_cache[token] = entry
        return entry

    def candidates(self, text: str) -> list[int]:
        """Indexes of the patterns whose required literal sets are all met in `text`, in pattern order."""
        cache = self._token_cache
        found: set[int] = set()
        met: set[int] = set()
        pending: list[str] = []
        # A plain loop that skips the (many) empty parts beats building and unioning lists of sets.
        for token in text.split(" "):
            patterns, sets, literals = cache.get(token) or self._for_token(token)
            if patterns:
                found |= patterns
            if sets:
                met |= sets
            if literals:
                pending += literals
        for literal in pending:
            if literal in text:
                patterns, sets = self._literal_targets[literal]
                found |= patterns
                met |= sets
        if met:
            needed, owner = self._multi_required, self._multi_owner
            found.update([owner[rid] for rid in self._multi_primary.intersection(met) if needed[rid] <= met])
        if self._always:
            found |= self._always
        return sorted(found)

    @property
    def unfiltered(self) -> frozenset[int]:
        """Patterns with no usable requirement: they always run (a test keeps this small)."""
        return self._always


def _filing(literals: Iterable[str]) -> dict[str, tuple[_Kind, str]]:
    """The token condition each literal is filed under.

    A literal of several words could go under any of its words. A word many rule literals share
    ("myself", "life", "evening") is one risky messages are full of, so each literal goes under its
    least shared uncommon word: fewer literals to check per message, the same answer.
    """
    options = {lit: _options(lit) for lit in literals}
    shared: dict[tuple[_Kind, str], int] = {}
    for choices in options.values():
        for choice in choices:
            shared[choice] = shared.get(choice, 0) + 1
    rank = {_Kind.EXACT: 3, _Kind.PREFIX: 2, _Kind.SUFFIX: 1, _Kind.INSIDE: 0}
    filing: dict[str, tuple[_Kind, str]] = {}
    for literal, choices in options.items():
        good = [c for c in choices if c[1] not in _COMMON and len(c[1]) >= 3]
        if good:
            filing[literal] = min(good, key=lambda c: (shared[c], -len(c[1]), -rank[c[0]], c[1]))
        else:
            filing[literal] = _token_condition(literal)
    return filing


def _options(literal: str) -> tuple[tuple[_Kind, str], ...]:
    """Every single-token condition `literal` occurring implies (see `_token_condition`)."""
    fragments = literal.split(" ")
    if len(fragments) == 1:
        return ((_Kind.INSIDE, literal),)
    options = [(_Kind.EXACT, f) for f in fragments[1:-1] if f]
    if fragments[0]:
        options.append((_Kind.SUFFIX, fragments[0]))
    if fragments[-1]:
        options.append((_Kind.PREFIX, fragments[-1]))
    return tuple(options)


class BranchIndex:
    """Patterns split into their top-level branches, each prefiltered on its own literals.

    `candidates(text)` maps each key whose pattern might match to the branches worth running,
    keys in the order given. Branches are compiled the first time they are needed.
    """

    __slots__ = ("_compiled", "_index", "_owners", "_sources")

    def __init__(self, keyed: Sequence[tuple[int, PatternLike]]) -> None:
        owners: list[int] = []
        sources: list[str] = []
        for key, pattern in keyed:
            if not isinstance(pattern, str):
                if pattern.flags & ~re.UNICODE:
                    raise ValueError("branch patterns take no flags: the split and the literals assume none")
                pattern = pattern.pattern
            for branch in split_sources(pattern):
                owners.append(key)
                sources.append(branch)
        self._owners = tuple(owners)
        self._sources = tuple(sources)
        self._compiled: list[re.Pattern[str] | None] = [None] * len(sources)
        self._index = LiteralIndex(sources)

    @property
    def owners(self) -> tuple[int, ...]:
        """The key of each branch, by branch id (keys in the order given)."""
        return self._owners

    def branch(self, branch_id: int) -> re.Pattern[str]:
        """The compiled branch (behind its `fast_start` lookahead), compiled on first use."""
        compiled = self._compiled[branch_id]
        if compiled is None:
            compiled = self._compiled[branch_id] = re.compile(word_bounded(self._sources[branch_id]))
        return compiled

    def branch_ids(self, text: str) -> list[int]:
        """Ids of the branches that could match `text`, ascending (so grouped by key, in the order given)."""
        return self._index.candidates(text)

    def candidates(self, text: str) -> dict[int, list[str]]:
        """Key -> sources of the branches that could match `text` (keys ascending)."""
        found: dict[int, list[str]] = {}
        for i in self._index.candidates(text):
            found.setdefault(self._owners[i], []).append(self._sources[i])
        return found

    @property
    def unfiltered(self) -> int:
        """How many branches have no derivable literal and always run."""
        return len(self._index.unfiltered)
