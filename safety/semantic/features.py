"""Lexical features for the head: hashed word and character n-grams of the normalised text.

The sentence embedding reads meaning; these read wording, including spellings the embedding's
WordPiece vocabulary splits into meaningless pieces. Hashing (CRC32, stable across runs and
machines) keeps the head a fixed, small size whatever the vocabulary.
"""

from __future__ import annotations

import zlib
from itertools import pairwise

import numpy as np
import numpy.typing as npt

__all__ = ["BUCKETS", "Sparse", "lexical"]

BUCKETS = 1 << 15
_CHAR_SIZES = (3, 4, 5)

Sparse = tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]
"""(bucket indices, values) of one message, values L2-normalised."""


def _grams(text: str) -> list[str]:
    words = text.split()
    grams = [f"w:{w}" for w in words]
    grams += [f"b:{a} {b}" for a, b in pairwise(words)]
    for word in words:
        padded = f" {word} "
        for size in _CHAR_SIZES:
            grams += [padded[i : i + size] for i in range(len(padded) - size + 1)]
    return grams


def lexical(text: str) -> Sparse:
    """The hashed n-gram vector of already-normalised `text`."""
    counts: dict[int, int] = {}
    for gram in _grams(text):
        bucket = zlib.crc32(gram.encode()) & (BUCKETS - 1)
        counts[bucket] = counts.get(bucket, 0) + 1
    if not counts:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    index = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
    values = np.log1p(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
    values /= np.float32(np.linalg.norm(values))
    return index, values
