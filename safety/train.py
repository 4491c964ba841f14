"""`make train-safety`: train the learned layer's head on the labelled training split.

Reproducible: the same corpus gives the same head, byte for byte (fixed seeds, no clock). The
untouched test split is never read here. Thresholds are chosen on out-of-fold predictions of
the training split, together with the rules, so the figures they promise are honest ones:
nothing is scored by a model that saw it.

    python -m safety.train [--corpus DIR ...] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from safety.layered import join_normalised
from safety.normalise import normalise
from safety.screener import RuleScreener
from safety.semantic.embedder import MODEL_ID, default_embedder
from safety.semantic.features import BUCKETS, Sparse, lexical
from safety.semantic.head import CLASSES, Floats, Thresholds, softmax, sparse_dot
from safety.semantic.layer import decide, has_words
from safety.types import Tier, Turn

__all__ = ["Example", "join_turns", "load_corpus", "main"]

HEAD_VERSION = "2026.12.2"
"""Bump with any change to the features, the training or the corpus layout."""
SEED = 13
FOLDS = 5
BUDGET_FALSE_ALARM = 0.01
"""Out-of-fold share of harmless messages the model may raise to stress or higher, beyond the rules' own."""
BUDGET_CHECK = 0.01
"""Out-of-fold share of harmless messages the model may raise to `check`, beyond the rules' own."""
BUDGET_OVER_EMERGENCY = 0.12
"""Out-of-fold share of crisis-only messages the model may read as emergencies."""
GATE_RECALL = 0.995
_TIER_CLASS = {name: i for i, name in enumerate(CLASSES)}
_REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = (_REPO / "tests" / "safety" / "corpus" / "train", _REPO / "tests" / "safety" / "labelled.jsonl")
DEFAULT_OUT = Path(__file__).resolve().parent / "model"


@dataclass(frozen=True, slots=True)
class Example:
    turns: tuple[str, ...]
    """One message, or a conversation's coachee turns (oldest first) labelled as a whole."""
    tier: str


def join_turns(turns: Sequence[str]) -> str:
    """Several turns as the one normalised text the layer reads (the screener joins them the same way)."""
    return join_normalised([normalise(t) for t in turns])


def _files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    return found


def load_corpus(paths: Iterable[Path]) -> list[Example]:
    """Every labelled line of the `.jsonl` files in `paths` (`check` lines are left out: not a class)."""
    examples: list[Example] = []
    for path in _files(paths):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            turns = tuple(row["turns"]) if "turns" in row else (str(row["text"]),)
            tier = str(row["tier"])
            if tier == "check":
                continue
            if tier not in _TIER_CLASS:
                raise ValueError(f"{path.name}:{number}: unknown tier {tier!r}")
            examples.append(Example(turns, tier))
    return examples


def corpus_sha256(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in _files(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --- Generated variants (training only: the test split is written by hand) ----------------------

_NEIGHBOURS = {
    "a": "qs", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "r": "et", "s": "ad",
    "t": "ry", "u": "yi", "w": "qe", "y": "tu",
}  # fmt: skip
_LOOKALIKE = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і", "y": "у"}


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(_NEIGHBOURS.get(word[i], word[i])) + word[i + 1 :]


def variants(text: str, rng: random.Random) -> list[str]:
    """A typo'd, a look-alike and a run-together version of `text`, as people (or evaders) write."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    out: list[str] = []
    if long:
        i = rng.choice(long)
        out.append(" ".join([*words[:i], _typo(words[i], rng), *words[i + 1 :]]))
        j = rng.choice(long)
        swapped = "".join(_LOOKALIKE.get(c, c) if rng.random() < 0.4 else c for c in words[j])
        out.append(" ".join([*words[:j], swapped, *words[j + 1 :]]))
    if len(words) >= 3:
        k = rng.randrange(len(words) - 2)
        out.append(" ".join([*words[:k], "".join(words[k : k + 3]).lower(), *words[k + 3 :]]))
    return out


# --- Softmax regression -------------------------------------------------------------------------
# scikit-learn (a training-time dependency only, in the dev extras): L-BFGS multinomial logistic
# regression, class-balanced. The bot itself only multiplies the saved weights with numpy.

C_FULL = 16.0
C_GATE = 16.0
MAX_ITER = 1000


@dataclass
class _Weights:
    embedding: Floats
    lexical: Floats
    bias: Floats


def _matrix(embeddings: Floats | None, lexical_rows: Sequence[Sparse]) -> Any:
    from scipy import sparse

    index = np.concatenate([i for i, _ in lexical_rows]).astype(np.int64)
    values = np.concatenate([v for _, v in lexical_rows]).astype(np.float64)
    pointers = np.concatenate([[0], np.cumsum([len(i) for i, _ in lexical_rows])]).astype(np.int64)
    words = sparse.csr_matrix((values, index, pointers), shape=(len(lexical_rows), BUCKETS))
    if embeddings is None:
        return words
    return sparse.hstack([sparse.csr_matrix(embeddings.astype(np.float64)), words]).tocsr()


def fit(
    embeddings: Floats | None, lexical_rows: Sequence[Sparse], labels: npt.NDArray[np.int64], *, c: float
) -> _Weights:
    """Class-balanced multinomial logistic regression; deterministic for the same input."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=MAX_ITER, class_weight="balanced", tol=1e-4)
    model.fit(_matrix(embeddings, lexical_rows), labels)
    coef = np.asarray(model.coef_.T, dtype=np.float32)
    dim = 0 if embeddings is None else embeddings.shape[1]
    return _Weights(embedding=coef[:dim], lexical=coef[dim:], bias=np.asarray(model.intercept_, dtype=np.float32))


def predict(weights: _Weights, embeddings: Floats | None, lexical_rows: Sequence[Sparse]) -> Floats:
    """What the bot computes at run time, in float16 weights as shipped."""
    lexical_weights = weights.lexical.astype(np.float16).astype(np.float32)
    logits = sparse_dot(lexical_rows, lexical_weights) + weights.bias
    if embeddings is not None:
        logits = logits + embeddings @ weights.embedding.astype(np.float16).astype(np.float32)
    return softmax(np.asarray(logits, dtype=np.float32))


# --- Thresholds ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scored:
    probs: Floats
    gate: Floats
    rules: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]


def _combined(scored: _Scored, thresholds: Thresholds) -> npt.NDArray[np.int64]:
    model = np.array([decide(row, thresholds).tier.rank for row in scored.probs], dtype=np.int64)
    combined: npt.NDArray[np.int64] = np.maximum(model, scored.rules)
    return combined


def choose_thresholds(scored: _Scored) -> tuple[Thresholds, dict[str, float]]:
    """The most recall the budgets allow, on out-of-fold predictions with the rules applied."""
    risk = scored.probs[:, 2] + scored.probs[:, 3]
    stressish = risk + scored.probs[:, 1]
    labels, rules = scored.labels, scored.rules
    harmless, stress, risky, emergency = labels == 0, labels == 1, labels >= 2, labels == 3
    rank = Tier.CHECK.rank
    rule_fa = rules >= Tier.STRESS.rank
    grid = np.round(np.concatenate([np.arange(0.04, 0.9, 0.02), np.arange(0.9, 0.999, 0.005)]), 3)
    best: tuple[float, float, float] | None = None
    best_score = -1.0
    for t_crisis in grid:
        crisis_hit = (risk >= t_crisis) | (rules >= Tier.CRISIS.rank)
        for t_stress in grid:
            stress_hit = crisis_hit | (stressish >= t_stress) | (rules >= Tier.STRESS.rank)
            fa = float(np.mean((stress_hit & ~rule_fa)[harmless]))
            if fa > BUDGET_FALSE_ALARM:
                continue
            for t_check in grid[grid <= t_crisis]:
                checked = ~stress_hit & ((risk >= t_check) | (rules == rank))
                if float(np.mean((checked & (rules != rank))[harmless])) > BUDGET_CHECK:
                    continue
                score = (
                    3 * float(np.mean(crisis_hit[risky]))
                    + float(np.mean(stress_hit[stress]))
                    + float(np.mean((crisis_hit | checked)[risky]))
                )
                if score > best_score + 1e-9:
                    best_score, best = score, (float(t_crisis), float(t_stress), float(t_check))
                break  # lowest admissible check threshold for this pair
    if best is None:
        raise SystemExit("no thresholds meet the false-alarm budgets: the head is not usable")
    t_crisis, t_stress, t_check = best
    t_emergency = 0.5
    crisis_only = labels == 2
    for t in np.round(np.arange(0.1, 0.96, 0.02), 2):
        over = float(np.mean(((risk >= t_crisis) & (scored.probs[:, 3] >= t))[crisis_only]))
        if over <= BUDGET_OVER_EMERGENCY:
            t_emergency = float(t)
            break
    needs = (labels >= 1) & (rules < rank)
    gate_scores = np.sort((scored.gate[:, 1:].sum(axis=1))[needs])
    gate = float(gate_scores[int(len(gate_scores) * (1 - GATE_RECALL))]) if len(gate_scores) else 0.5
    gate = min(gate, t_check, t_stress, t_crisis)
    thresholds = Thresholds(crisis=t_crisis, emergency=t_emergency, check=t_check, stress=t_stress, gate=round(gate, 4))
    final = _combined(scored, thresholds)
    figures = {
        "crisis_recall": float(np.mean(final[risky] >= Tier.CRISIS.rank)),
        "emergency_recall": float(np.mean(final[emergency] >= Tier.EMERGENCY.rank)),
        "stress_recall": float(np.mean(final[stress] >= Tier.STRESS.rank)),
        "false_alarms": float(np.mean(final[harmless] >= Tier.STRESS.rank)),
        "check_on_harmless": float(np.mean(final[harmless] == rank)),
        "rules_only_crisis_recall": float(np.mean(rules[risky] >= Tier.CRISIS.rank)),
        "gated_harmless_share": float(np.mean((scored.gate[:, 1:].sum(axis=1) >= gate)[harmless])),
    }
    return thresholds, {k: round(v, 4) for k, v in figures.items()}


# --- The run ------------------------------------------------------------------------------------


def _rule_tier(screener: RuleScreener, turns: Sequence[str]) -> int:
    context = [Turn(speaker="coachee", text=t) for t in turns[:-1]]
    return screener.screen(turns[-1], context=context).tier.rank


def train(corpus: Sequence[Path], out: Path, *, log: bool = True) -> dict[str, float]:
    def say(message: str) -> None:
        if log:
            print(message, file=sys.stderr, flush=True)

    examples = load_corpus(corpus)
    rng = random.Random(SEED)
    texts: list[str] = []
    labels: list[int] = []
    groups: list[int] = []
    original: list[bool] = []
    seen: set[str] = set()
    for number, example in enumerate(examples):
        candidates = [join_turns(example.turns)]
        if example.tier != "none" or rng.random() < 0.3:
            raw = " ".join(example.turns)
            candidates += [normalise(v) for v in variants(raw, rng)]
        for position, text in enumerate(candidates):
            if not text or text in seen:
                continue
            seen.add(text)
            texts.append(text)
            labels.append(_TIER_CLASS[example.tier])
            groups.append(number)
            original.append(position == 0)
    y = np.array(labels, dtype=np.int64)
    say(f"{len(examples)} labelled examples, {len(texts)} with generated variants")
    embeddings = default_embedder().embed(texts)
    lexical_rows = [lexical(t) for t in texts]

    fold_of_group = {g: int(hashlib.sha256(str(g).encode()).hexdigest(), 16) % FOLDS for g in set(groups)}
    folds = np.array([fold_of_group[g] for g in groups])
    is_original = np.array(original)
    oof_full = np.zeros((len(texts), len(CLASSES)), np.float32)
    oof_gate = np.zeros_like(oof_full)
    for fold in range(FOLDS):
        train_rows = np.flatnonzero(folds != fold)
        test_rows = np.flatnonzero((folds == fold) & is_original)
        train_lex = [lexical_rows[i] for i in train_rows]
        test_lex = [lexical_rows[i] for i in test_rows]
        weights = fit(embeddings[train_rows], train_lex, y[train_rows], c=C_FULL)
        oof_full[test_rows] = predict(weights, embeddings[test_rows], test_lex)
        gate_weights = fit(None, train_lex, y[train_rows], c=C_GATE)
        oof_gate[test_rows] = predict(gate_weights, None, test_lex)
        say(f"fold {fold + 1}/{FOLDS} done")
    screener = RuleScreener()
    kept = np.flatnonzero(original)
    rules = np.array([_rule_tier(screener, examples[groups[i]].turns) for i in kept], dtype=np.int64)
    # The bot's model reads no message without a word (a time, a number): score those as it does, as nothing.
    wordless = np.array([not has_words(texts[i]) for i in kept], dtype=bool)
    oof_full[kept[wordless]] = oof_gate[kept[wordless]] = np.eye(len(CLASSES), dtype=np.float32)[0]
    thresholds, figures = choose_thresholds(_Scored(oof_full[kept], oof_gate[kept], rules, y[kept]))
    say(f"thresholds {thresholds}")
    say(f"out-of-fold figures {figures}")

    final = fit(embeddings, lexical_rows, y, c=C_FULL)
    final_gate = fit(None, lexical_rows, y, c=C_GATE)
    out.mkdir(parents=True, exist_ok=True)
    _save_arrays(
        out / "head.npz",
        gate_lexical=final_gate.lexical.astype(np.float16),
        gate_bias=final_gate.bias,
        full_embedding=final.embedding.astype(np.float16),
        full_lexical=final.lexical.astype(np.float16),
        full_bias=final.bias,
    )
    meta = {
        "version": HEAD_VERSION,
        "embedding_model": MODEL_ID,
        "data_sha256": corpus_sha256(corpus),
        "examples": len(examples),
        "training_rows": len(texts),
        "classes": list(CLASSES),
        "thresholds": {k: getattr(thresholds, k) for k in ("crisis", "emergency", "check", "stress", "gate")},
        "out_of_fold": figures,
    }
    (out / "head.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return figures


def _save_arrays(path: Path, **arrays: npt.NDArray[Any]) -> None:
    """An `.npz` that is byte for byte the same for the same arrays (numpy's own stamps the time)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue(),
                             compress_type=zipfile.ZIP_DEFLATED)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safety.train", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", help="a .jsonl file or a folder of them")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    train(args.corpus or list(DEFAULT_CORPUS), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
