"""The trained head: linear softmax layers over the sentence embedding and the lexical features.

Two heads come from one training run (`make train-safety`): the *gate* reads wording alone and
costs about 0.1 ms, the *full* head adds the sentence embedding. Both files are small, committed,
and carry the version and the hash of the data they were trained on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from safety.semantic.features import BUCKETS, Sparse

__all__ = ["CLASSES", "Head", "Thresholds", "default_head", "softmax"]

CLASSES = ("none", "stress", "crisis", "emergency")
"""Output columns, in tier order. `check` is a decision the thresholds make, not a class."""

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where a probability becomes a decision (chosen by cross-validation, see the training script)."""

    crisis: float
    """P(crisis or emergency) at or above which the model says crisis."""
    emergency: float
    """P(emergency) at or above which a crisis reading is an emergency."""
    check: float
    """P(crisis or emergency) at or above which the model asks the coachee directly."""
    stress: float
    """P(stress or higher) at or above which the model says stress."""
    gate: float
    """P(stress or higher) from the gate below which the full head is not needed."""


def softmax(logits: Floats) -> Floats:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=-1, keepdims=True), dtype=np.float32)


def sparse_dot(rows: Sequence[Sparse], weights: Floats) -> Floats:
    """Rows of hashed features times a (BUCKETS, classes) weight matrix."""
    out = np.zeros((len(rows), weights.shape[1]), dtype=np.float32)
    for r, (index, values) in enumerate(rows):
        if len(index):
            out[r] = values @ weights[index]
    return out


@dataclass(frozen=True)
class Head:
    version: str
    data_sha256: str
    thresholds: Thresholds
    gate_lexical: Floats
    gate_bias: Floats
    full_embedding: Floats
    full_lexical: Floats
    full_bias: Floats

    def gate(self, lexical: Sequence[Sparse]) -> Floats:
        """Class probabilities from wording alone."""
        return softmax(sparse_dot(lexical, self.gate_lexical) + self.gate_bias)

    def full(self, embeddings: Floats, lexical: Sequence[Sparse]) -> Floats:
        """Class probabilities from meaning and wording."""
        logits = embeddings @ self.full_embedding + sparse_dot(lexical, self.full_lexical) + self.full_bias
        return softmax(logits)

    @classmethod
    def load(cls, folder: Path) -> Head:
        meta = json.loads((folder / "head.json").read_text(encoding="utf-8"))
        with np.load(folder / "head.npz") as arrays:
            weights = {name: np.asarray(arrays[name], dtype=np.float32) for name in arrays.files}
        if weights["gate_lexical"].shape != (BUCKETS, len(CLASSES)):
            raise ValueError("safety head does not fit the feature size: retrain with `make train-safety`")
        return cls(
            version=str(meta["version"]),
            data_sha256=str(meta["data_sha256"]),
            thresholds=Thresholds(**{k: float(v) for k, v in meta["thresholds"].items()}),
            **weights,
        )


def head_folder() -> Path:
    return Path(str(resources.files("safety") / "model"))


@cache
def default_head() -> Head:
    return Head.load(head_folder())
