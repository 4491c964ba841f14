"""The learned layer as a dependency: installed from wheels, pinned, loaded offline, and retrainable."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from safety.semantic.embedder import DIM, MODEL_SHA256, Embedder, ModelMissing, _model_file, _tokenizer_file
from safety.semantic.head import CLASSES, default_head, head_folder
from safety.train import DEFAULT_CORPUS, HEAD_VERSION, corpus_sha256, train

ROOT = Path(__file__).resolve().parents[2]


def test_the_model_and_tokenizer_come_from_installed_packages_not_a_download() -> None:
    for path in (_model_file(), _tokenizer_file()):
        assert path.is_file()
        assert "site-packages" in path.parts or "dist-packages" in path.parts, path


def test_a_model_file_that_does_not_match_its_pinned_hash_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copyfile(_model_file(), copy)
    with copy.open("r+b") as handle:
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 0xFF]))
    with pytest.raises(ModelMissing, match="sha256"):
        Embedder(model=copy)
    assert len(MODEL_SHA256) == 64


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="missing"):
        Embedder(model=tmp_path / "absent.onnx")


def test_it_loads_and_screens_with_every_network_call_refused() -> None:
    script = (
        "import socket\n"
        "def refused(*a, **k):\n    raise OSError('no network in this test')\n"
        "socket.socket.connect = refused\nsocket.socket.connect_ex = refused\nsocket.create_connection = refused\n"
        "from safety.layered import default_screener\n"
        "print(default_screener().screen('I want to die').tier.value)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "crisis"


def test_embeddings_are_unit_vectors_and_close_for_close_meanings() -> None:
    from safety.semantic.embedder import default_embedder

    vectors = default_embedder().embed(["i can not sleep for worrying", "worry keeps me awake at night", "send it"])
    assert vectors.shape == (3, DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])


def test_the_committed_head_was_trained_on_the_committed_corpus() -> None:
    meta = json.loads((head_folder() / "head.json").read_text(encoding="utf-8"))
    assert meta["data_sha256"] == corpus_sha256(list(DEFAULT_CORPUS)), "corpus changed: run `make train-safety`"
    assert meta["version"] == HEAD_VERSION == default_head().version
    assert meta["classes"] == list(CLASSES)
    t = default_head().thresholds
    assert 0 < t.gate <= min(t.check, t.stress, t.crisis) and t.check <= t.crisis < 1
    assert (head_folder() / "head.npz").stat().st_size < 2_000_000  # a small committed file


@pytest.mark.slow
def test_training_is_reproducible_byte_for_byte(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    rows = (ROOT / "tests" / "safety" / "labelled.jsonl").read_text(encoding="utf-8").splitlines()
    random.Random(1).shuffle(rows)  # a small mixed sample: every class, and quick to train twice
    corpus.write_text("\n".join(rows[:150]) + "\n", encoding="utf-8")
    first, second = tmp_path / "one", tmp_path / "two"
    train([corpus], first, log=False)
    train([corpus], second, log=False)
    for name in ("head.npz", "head.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
