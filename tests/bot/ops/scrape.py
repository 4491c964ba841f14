"""Reading /metrics as Prometheus does, and the one rule about what its labels may hold."""

from __future__ import annotations

from typing import get_args

from prometheus_client.parser import text_string_to_metric_families

from bot.planning import JobKind
from bot.storage.records import OutboxKind

TIERS = frozenset({"none", "check", "stress", "crisis", "emergency", "unscreened", "duplicate", "set_aside"})
OUTCOMES = frozenset({"sent", "failed", "dead"})
KINDS = frozenset(get_args(OutboxKind)) | frozenset(get_args(JobKind))
LABEL_VALUES = {"tier": TIERS, "outcome": OUTCOMES, "kind": KINDS}
LABEL_NAMES = frozenset({"transport", "tier", "outcome", "kind", "le"})


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample: (name, sorted labels) -> value."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def value(body: str, name: str, **labels: str) -> float:
    """One sample's value; 0 when it isn't there (a counter never moved)."""
    return samples(body).get((name, tuple(sorted(labels.items()))), 0.0)


def foreign_labels(body: str, *, transports: frozenset[str]) -> list[str]:
    """Every label name or value outside the fixed sets: where a person's id or words would show."""
    allowed = {**LABEL_VALUES, "transport": transports}
    found = []
    for (name, labels), _ in samples(body).items():
        for key, val in labels:
            if key not in LABEL_NAMES or (key in allowed and val not in allowed[key]):
                found.append(f"{name}{{{key}={val!r}}}")
    return found
