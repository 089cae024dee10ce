"""Token-level detector of offensive spans, trained on ViHOS-format data (hashed features + LR).

The model labels every token (a run of word characters, or one other non-space character)
as offensive or not and merges runs of offensive tokens into character spans.

Features (all hashed into ``n_features`` buckets, no vocabulary is stored):

* of the token itself: its lower-case form, its folded (diacritic-free) form, that form with
  letters repeated three or more times collapsed ("nguuuu" -> "ngu"), prefixes and suffixes,
  character 2- and 3-grams of the folded form and a coarse shape;
* of its neighbours at distance 1 and 2 on each side: their lower-case and folded forms
  (sentence start and end are pseudo-tokens).

Because the model is linear and every feature depends on one token only, a token's score is
the sum of five per-token-string partial scores (itself, and as left/right neighbour at
distance 1 and 2). Those partial scores are computed once per distinct token string and
cached, so scoring a batch is a few array look-ups per token.

Saved models are a zip file in NumPy's ``.npz`` layout, readable with
``numpy.load(path, allow_pickle=False)``: the non-zero coefficients as two arrays
(``coef_index`` int32, ``coef_value`` float32) and a ``params.json`` member holding the
format version, hashing parameters, intercept, threshold, the sha256 of the training file and
the caller's metadata. Nothing is pickled.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import itertools
import json
import math
import os
import re
import threading
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import LogisticRegression

from nlp.classifier import ModelFormatError
from nlp.text import FOLD_CHAR_TABLE

FORMAT_VERSION = 1
FEATURE_SET = "tok-v1"
"""Name of the feature extraction below; changing the features must change this name."""

_DEFAULT_N_FEATURES = 2**20
_DEFAULT_C = 0.5
_DEFAULT_THRESHOLD = 0.5

# A token: a run of word characters (with any combining marks of decomposed input), or any
# other single non-space character (punctuation, emoji).
_TOKEN = re.compile(r"[\w\u0300-\u036f]+|[^\w\s]")
_REPEAT = re.compile(r"(.)\1{2,}")
_BOS = "\x02"  # pseudo-tokens that cannot occur as tokens (control characters are not matched)
_EOS = "\x03"
# Role order of the cached partial scores: the token itself, then as the neighbour at -1, +1,
# -2 and +2 of the token being scored (i.e. the feature "token at -1 is X" is scored by X's
# entry in column 1).
_ROLES = ("", "L1|", "R1|", "L2|", "R2|")
_MAX_CACHE = 500_000


# --- Features -------------------------------------------------------------------------------
def _forms(token: str) -> tuple[str, str]:
    if token in (_BOS, _EOS):
        return token, token
    if not token.isascii():
        token = unicodedata.normalize("NFC", token)
    low = token.lower()
    return low, low.translate(FOLD_CHAR_TABLE)


def _shape(token: str) -> str:
    if token in (_BOS, _EOS):
        return "edge"
    if token.isdigit():
        return "digit"
    if not (token[0].isalnum() or token[0] == "_"):
        return "punct" if token.isascii() else "symbol"
    if token.isupper():
        return "upper"
    if token[0].isupper():
        return "title"
    if any(ch.isdigit() for ch in token):
        return "mixed"
    return "lower"


def _self_features(token: str) -> list[str]:
    low, fol = _forms(token)
    red = _REPEAT.sub(r"\1", fol)
    feats = [
        "w=" + low,
        "f=" + fol,
        "r=" + red,
        "sh=" + _shape(token),
        "len=" + str(min(len(fol), 8)),
        "p2=" + red[:2],
        "p3=" + red[:3],
        "s2=" + red[-2:],
        "s3=" + red[-3:],
        "ls2=" + low[-2:],
    ]
    padded = "<" + red + ">"
    feats.extend("g2=" + padded[i : i + 2] for i in range(len(padded) - 1))
    feats.extend("g3=" + padded[i : i + 3] for i in range(len(padded) - 2))
    return feats


def _neighbour_features(token: str, role: str) -> list[str]:
    low, fol = _forms(token)
    return [role + "w=" + low, role + "f=" + fol, role + "r=" + _REPEAT.sub(r"\1", fol)]


def _role_features(tokens: Sequence[str]) -> list[list[list[str]]]:
    out = [[_self_features(t) for t in tokens]]
    for role in _ROLES[1:]:
        out.append([_neighbour_features(t, role) for t in tokens])
    return out


# --- Data -----------------------------------------------------------------------------------
def read_spans_csv(path: Path) -> list[tuple[str, set[int]]]:
    """Read a ViHOS-format CSV: ``(index),content,index_spans`` -> [(text, {char offsets})]."""
    rows: list[tuple[str, set[int]]] = []
    with Path(path).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"content", "index_spans"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: expected columns content,index_spans")
        for row in reader:
            offsets = ast.literal_eval(row["index_spans"] or "[]")
            rows.append((row["content"], {int(i) for i in offsets}))
    return rows


def _tokenize(text: str, limit: int | None = None) -> list[tuple[str, int, int]]:
    """Tokens of ``text`` with their offsets (the first ``limit`` only, if given)."""
    found = _TOKEN.finditer(text)
    if limit is not None:
        found = itertools.islice(found, limit)
    return [(m.group(), m.start(), m.end()) for m in found]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def span_f1(predicted: set[int], gold: set[int]) -> float:
    """F1 of two sets of character offsets; both empty counts as a perfect 1.0."""
    if not gold:
        return 1.0 if not predicted else 0.0
    if not predicted:
        return 0.0
    overlap = len(predicted & gold)
    if overlap == 0:
        return 0.0
    precision = overlap / len(predicted)
    recall = overlap / len(gold)
    return 2 * precision * recall / (precision + recall)


def _is_offensive_token(gold: set[int], start: int, end: int) -> bool:
    """A token is offensive when at least half of its characters are in gold offsets."""
    inside = sum(1 for i in range(start, end) if i in gold)
    return inside > 0 and 2 * inside >= end - start


def _offsets(spans: Iterable[tuple[int, int, float]]) -> set[int]:
    return {i for start, end, _ in spans for i in range(start, end)}


# --- Model ----------------------------------------------------------------------------------
class OffensiveSpanModel:
    """Linear token classifier over hashed features; use ``train`` or ``load`` to build one."""

    def __init__(
        self,
        coef: np.ndarray,
        intercept: float,
        *,
        n_features: int,
        threshold: float,
        params: dict[str, Any] | None = None,
    ) -> None:
        if coef.shape != (n_features,):
            raise ValueError("coef must have one entry per hashed feature")
        self._coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.n_features = int(n_features)
        self.threshold = float(threshold)
        self.params: dict[str, Any] = dict(params or {})
        self._hasher = FeatureHasher(
            n_features=self.n_features, input_type="string", alternate_sign=False
        )
        self._lock = threading.Lock()
        self._reset_cache()

    # -- scoring ------------------------------------------------------------------------------
    def _reset_cache(self) -> None:
        self._index: dict[str, int] = {}
        self._scores = np.zeros((1024, len(_ROLES)), dtype=np.float64)
        self._add_tokens([_BOS, _EOS])

    def _partial_scores(self, tokens: Sequence[str]) -> np.ndarray:
        scores = np.empty((len(tokens), len(_ROLES)), dtype=np.float64)
        for col, feats in enumerate(_role_features(tokens)):
            scores[:, col] = self._hasher.transform(feats) @ self._coef
        return scores

    def _add_tokens(self, tokens: list[str]) -> None:
        base = len(self._index)
        needed = base + len(tokens)
        if needed > self._scores.shape[0]:
            grown = np.zeros((max(needed, 2 * self._scores.shape[0]), len(_ROLES)))
            grown[:base] = self._scores[:base]
            self._scores = grown
        self._scores[base:needed] = self._partial_scores(tokens)
        for i, tok in enumerate(tokens):
            self._index[tok] = base + i

    def _flat_logits(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int], list[int]]:
        """Logits of all tokens of all texts in one array, with each text's start and length."""
        token_lists = [_TOKEN.findall(t) for t in texts]
        with self._lock:
            index = self._index
            unknown = {tok for toks in token_lists for tok in toks if tok not in index}
            if unknown:
                if len(index) + len(unknown) > _MAX_CACHE:
                    self._reset_cache()
                    unknown = {tok for toks in token_lists for tok in toks}
                self._add_tokens(sorted(unknown))
            index = self._index
            scores = self._scores
        # One flat sequence: text tokens separated by [EOS, EOS, BOS, BOS] so that neighbours
        # two away never cross into the next text.
        bos, eos = index[_BOS], index[_EOS]
        flat: list[int] = [bos, bos]
        starts: list[int] = []
        for toks in token_lists:
            starts.append(len(flat))
            flat.extend([index[t] for t in toks])
            flat.extend((eos, eos, bos, bos))
        ids = np.asarray(flat, dtype=np.int64)
        logits = np.full(len(ids), self.intercept)
        logits += scores[ids, 0]
        logits[1:] += scores[ids[:-1], 1]
        logits[:-1] += scores[ids[1:], 2]
        logits[2:] += scores[ids[:-2], 3]
        logits[:-2] += scores[ids[2:], 4]
        return logits, starts, [len(toks) for toks in token_lists]

    def token_logits(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Per-token logits for each text (tokens as found by the module's tokenizer)."""
        logits, starts, lengths = self._flat_logits(texts)
        return [logits[s : s + n] for s, n in zip(starts, lengths, strict=True)]

    def predict_spans(
        self, texts: Sequence[str], *, threshold: float | None = None
    ) -> list[list[tuple[int, int, float]]]:
        """Offensive spans of each text as (start, end, score); score = max token probability.

        Adjacent offensive tokens are merged into one span (with the spaces between them).
        """
        thr = self.threshold if threshold is None else threshold
        if not 0.0 < thr < 1.0:
            raise ValueError("threshold must be between 0 and 1 (exclusive)")
        results: list[list[tuple[int, int, float]]] = [[] for _ in texts]
        if not texts:
            return results
        logits, starts, lengths = self._flat_logits(texts)
        hits = np.flatnonzero(logits >= math.log(thr / (1.0 - thr)))
        if hits.size == 0:
            return results
        owner = np.searchsorted(np.asarray(starts), hits, side="right") - 1
        by_text: dict[int, list[int]] = {}
        for pos, t in zip(hits.tolist(), owner.tolist(), strict=True):
            if t >= 0 and pos < starts[t] + lengths[t]:
                by_text.setdefault(t, []).append(pos)
        for t, positions in by_text.items():
            tokens = _tokenize(texts[t], positions[-1] - starts[t] + 1)
            spans: list[tuple[int, int, float]] = []
            prev = -2
            for pos in positions:
                i = pos - starts[t]
                prob = 1.0 / (1.0 + math.exp(-float(logits[pos])))
                _, start, end = tokens[i]
                if i == prev + 1:
                    last_start, _, last_score = spans[-1]
                    spans[-1] = (last_start, end, max(last_score, prob))
                else:
                    spans.append((start, end, prob))
                prev = i
            results[t] = spans
        return results

    # -- training -----------------------------------------------------------------------------
    @classmethod
    def train(
        cls,
        train_csv: Path,
        *,
        dev_csv: Path | None = None,
        clean_texts: Sequence[str] = (),
        n_features: int = _DEFAULT_N_FEATURES,
        c: float = _DEFAULT_C,
    ) -> OffensiveSpanModel:
        """Fit on a ViHOS-format CSV; pick the probability threshold on ``dev_csv`` if given.

        ``clean_texts`` are extra in-domain texts known to hold no offensive span (e.g. the
        project's own civic corpus); they teach the model that ordinary civic words ("lũ",
        "bơm", "con tôi") are not insults, which ViHOS alone does not. The threshold maximises
        the mean per-comment character F1 (``evaluate_spans``) on dev; without dev it is 0.5.
        """
        started = time.perf_counter()
        rows = read_spans_csv(train_csv)
        rows.extend((text, set()) for text in clean_texts)
        x, y = _design_matrix(rows, n_features)
        if len(set(y.tolist())) < 2:
            raise ValueError("training data needs both offensive and clean tokens")
        # Only the hashed columns that occur are fitted (a few % of n_features), and the dual
        # liblinear solver suits many more rows than active features: ~5 s on ViHOS.
        used = np.unique(x.indices)
        clf = LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=1000)
        clf.fit(x[:, used], y)
        coef = np.zeros(n_features, dtype=np.float64)
        coef[used] = clf.coef_.ravel().astype(np.float32)
        model = cls(
            coef,
            float(np.float32(clf.intercept_[0])),
            n_features=n_features,
            threshold=_DEFAULT_THRESHOLD,
            params={
                "train_sha256": _sha256(train_csv),
                "train_rows": len(rows) - len(clean_texts),
                "clean_texts": len(clean_texts),
                "clean_texts_sha256": hashlib.sha256(
                    "\n".join(clean_texts).encode("utf-8")
                ).hexdigest(),
                "train_tokens": int(x.shape[0]),
                "c": c,
            },
        )
        if dev_csv is not None:
            dev = read_spans_csv(dev_csv)
            model.threshold = _best_threshold(model, dev)
            model.params["dev_sha256"] = _sha256(dev_csv)
        model.params["train_seconds"] = round(time.perf_counter() - started, 3)
        return model

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: Path, metadata: dict[str, Any]) -> None:
        """Write the model to ``path`` (npz layout, no pickle); ``metadata`` must be JSON-able."""
        nonzero = np.flatnonzero(self._coef).astype(np.int32)
        params = {
            "format": "ykien-offensive-span",
            "format_version": FORMAT_VERSION,
            "feature_set": FEATURE_SET,
            "hashing": {
                "library": "sklearn.feature_extraction.FeatureHasher",
                "hash": "murmurhash3_32",
                "n_features": self.n_features,
                "alternate_sign": False,
                "input_type": "string",
            },
            "intercept": self.intercept,
            "threshold": self.threshold,
            "nonzero_coefficients": int(nonzero.size),
            **{k: v for k, v in self.params.items() if k not in {"metadata"}},
            "metadata": metadata,
        }
        arrays = {
            "coef_index": nonzero,
            "coef_value": self._coef[nonzero].astype(np.float32),
        }
        path = Path(path)
        # A name of its own per process: several bot processes may train on one start.
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, array in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, array, allow_pickle=False)
                zf.writestr(name + ".npy", buf.getvalue())
            zf.writestr("params.json", json.dumps(params, ensure_ascii=False, indent=1))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> OffensiveSpanModel:
        """Read a model written by ``save``; raise ModelFormatError if it is not one."""
        path = Path(path)
        try:
            with zipfile.ZipFile(path) as zf:
                params = json.loads(zf.read("params.json").decode("utf-8"))
            with np.load(path, allow_pickle=False) as npz:
                index = np.asarray(npz["coef_index"])
                value = np.asarray(npz["coef_value"])
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ModelFormatError(f"{path}: not a readable offensive-span model ({exc})") from exc
        if params.get("format") != "ykien-offensive-span":
            raise ModelFormatError(f"{path}: not an offensive-span model")
        version = params.get("format_version")
        if version != FORMAT_VERSION:
            raise ModelFormatError(
                f"{path}: model format version {version!r}, this code reads version "
                f"{FORMAT_VERSION}; retrain the model"
            )
        if params.get("feature_set") != FEATURE_SET:
            raise ModelFormatError(
                f"{path}: feature set {params.get('feature_set')!r}, expected {FEATURE_SET!r}"
            )
        hashing = params.get("hashing", {})
        n_features = int(hashing.get("n_features", 0))
        if (
            hashing.get("alternate_sign") is not False
            or n_features <= 0
            or index.dtype.kind not in "iu"
            or value.dtype.kind != "f"
            or index.shape != value.shape
            or (index.size and (index.min() < 0 or index.max() >= n_features))
        ):
            raise ModelFormatError(f"{path}: inconsistent coefficients or hashing parameters")
        coef = np.zeros(n_features, dtype=np.float64)
        coef[index] = value
        rest = {
            k: v
            for k, v in params.items()
            if k
            not in {
                "format",
                "format_version",
                "feature_set",
                "hashing",
                "intercept",
                "threshold",
                "nonzero_coefficients",
            }
        }
        return cls(
            coef,
            float(params["intercept"]),
            n_features=n_features,
            threshold=float(params["threshold"]),
            params=rest,
        )

    @property
    def metadata(self) -> dict[str, Any]:
        """The caller's metadata stored with ``save`` (empty for a model not loaded)."""
        return dict(self.params.get("metadata", {}))


def _design_matrix(
    rows: Sequence[tuple[str, set[int]]], n_features: int
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Hashed feature rows for every token of ``rows`` and its 0/1 label.

    A token is offensive when at least half of its characters are inside a gold span.
    """
    vocab: dict[str, int] = {_BOS: 0, _EOS: 1}
    ids: list[int] = []
    labels: list[int] = []
    left1: list[int] = []
    right1: list[int] = []
    left2: list[int] = []
    right2: list[int] = []
    for text, gold in rows:
        toks = _tokenize(text)
        tids = [vocab.setdefault(tok, len(vocab)) for tok, _, _ in toks]
        padded = [0, 0, *tids, 1, 1]
        for k, (_, start, end) in enumerate(toks):
            labels.append(int(_is_offensive_token(gold, start, end)))
            ids.append(tids[k])
            left1.append(padded[k + 1])
            right1.append(padded[k + 3])
            left2.append(padded[k])
            right2.append(padded[k + 4])
    tokens = sorted(vocab, key=vocab.__getitem__)
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    per_role = [hasher.transform(feats).tocsr() for feats in _role_features(tokens)]
    x = per_role[0][ids]
    for matrix, rows_idx in zip(per_role[1:], (left1, right1, left2, right2), strict=True):
        x = x + matrix[rows_idx]
    return x.tocsr(), np.asarray(labels, dtype=np.int8)


def _best_threshold(model: OffensiveSpanModel, rows: Sequence[tuple[str, set[int]]]) -> float:
    texts = [t for t, _ in rows]
    best, best_f1 = _DEFAULT_THRESHOLD, -1.0
    for thr in np.round(np.arange(0.2, 0.81, 0.025), 3).tolist():
        spans = model.predict_spans(texts, threshold=thr)
        f1 = float(
            np.mean([span_f1(_offsets(p), g) for p, (_, g) in zip(spans, rows, strict=True)])
        )
        if f1 > best_f1 + 1e-9:
            best, best_f1 = thr, f1
    model.params["dev_span_f1"] = round(best_f1, 4)
    return float(best)


def evaluate_spans(model: OffensiveSpanModel, test_csv: Path) -> dict[str, float]:
    """Character-level span F1 (ViHOS / SemEval-2021 Toxic Spans style) and comment-level P/R.

    ``span_f1``: for each comment, F1 between the predicted and gold sets of character
    offsets, averaged over all comments. A clean comment (no gold offsets) scores 1.0 when
    nothing is predicted and 0.0 otherwise, as in the SemEval-2021 Toxic Spans scorer.
    ``span_f1_offensive_only`` averages over comments with gold spans only.
    Comment level: a comment is positive when it has any (gold or predicted) span.
    ``token_macro_f1``: macro-averaged (offensive / clean) F1 over all tokens of the test
    file, a token being offensive when half of its characters are; this is closer to what
    the ViHOS authors' notebooks compute (they use word tokens padded to 64, so the figures
    are still not identical).
    """
    rows = read_spans_csv(test_csv)
    texts = [t for t, _ in rows]
    started = time.perf_counter()
    predicted = model.predict_spans(texts)
    seconds = time.perf_counter() - started
    f1s: list[float] = []
    f1s_off: list[float] = []
    tp = fp = fn = 0
    tok_counts = np.zeros((2, 2), dtype=np.int64)  # [gold, predicted]
    for spans, (text, gold) in zip(predicted, rows, strict=True):
        pred = _offsets(spans)
        for _, start, end in _tokenize(text):
            g = _is_offensive_token(gold, start, end)
            p = start in pred
            tok_counts[int(g), int(p)] += 1
        score = span_f1(pred, gold)
        f1s.append(score)
        if gold:
            f1s_off.append(score)
        tp += bool(pred) and bool(gold)
        fp += bool(pred) and not gold
        fn += not pred and bool(gold)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    token_f1s = []
    for cls in (0, 1):
        t_tp = tok_counts[cls, cls]
        t_fp = tok_counts[1 - cls, cls]
        t_fn = tok_counts[cls, 1 - cls]
        token_f1s.append(2 * t_tp / (2 * t_tp + t_fp + t_fn) if t_tp else 0.0)
    return {
        "comments": float(len(rows)),
        "span_f1": float(np.mean(f1s)) if f1s else 0.0,
        "span_f1_offensive_only": float(np.mean(f1s_off)) if f1s_off else 0.0,
        "comment_precision": precision,
        "comment_recall": recall,
        "comment_f1": 2 * precision * recall / (precision + recall) if tp else 0.0,
        "token_macro_f1": float(np.mean(token_f1s)),
        "predict_seconds": seconds,
    }
