"""The text classifier: TF-IDF word and character n-grams with a calibrated linear SVM.

Saved models are plain arrays (numpy `.npz` read with ``allow_pickle=False``) plus JSON, so
loading a file from the data directory can never run code, unlike pickle or joblib.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

from nlp.text import fold

FORMAT_VERSION = 1


class ModelFormatError(ValueError):
    """A model file is not one this version can read."""


@dataclass(frozen=True)
class Prediction:
    """One label with its calibrated probability."""

    label: str
    confidence: float


@dataclass(frozen=True)
class ClassifierParams:
    """Hyper-parameters of the engine; the defaults are the shipped configuration."""

    c: float = 0.5
    word_ngrams: tuple[int, int] = (1, 2)
    folded_word_ngrams: tuple[int, int] = (1, 3)
    char_ngrams: tuple[int, int] = (2, 5)
    min_df: int = 2
    # Class weights are ("balanced" weights) ** power: 0 ignores imbalance, 1 fully corrects it.
    class_weight_power: float = 1.0
    # Two folds: each costs an SVM fit on part of the data, and start-up trains the model.
    calibration_folds: int = 2
    # liblinear's stopping tolerance; 1e-3 (not its 1e-4) fits faster with the same dev labels.
    svm_tolerance: float = 1e-3
    augment_unaccented: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassifierParams:
        """Inverse of `dataclasses.asdict` (JSON turns tuples into lists)."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


# Three views of a text: accented words keep distinctions folding erases ("đất"/"đặt"); folded
# words and folded characters let unaccented and misspelt text match the same features.
_VIEWS = ("words", "folded_words", "folded_chars")


class _CharNgrams:
    """Character n-grams within word boundaries, as sklearn's ``char_wb``, cached per word.

    sklearn builds them in a Python loop for every word of every text; residents reuse a small
    vocabulary, so caching each word's n-grams makes feature extraction several times faster.
    """

    _CACHE_SIZE = 500_000

    def __init__(self, ngrams: tuple[int, int]) -> None:
        self._low, self._high = ngrams
        self._cache: dict[str, tuple[str, ...]] = {}

    def __call__(self, text: str) -> list[str]:
        grams: list[str] = []
        for word in text.split():
            found = self._cache.get(word)
            if found is None:
                found = self._word(word)
                if len(self._cache) < self._CACHE_SIZE:
                    self._cache[word] = found
            grams.extend(found)
        return grams

    def _word(self, word: str) -> tuple[str, ...]:
        padded = f" {word} "
        found = []
        for n in range(self._low, self._high + 1):
            found += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
            if n >= len(padded):
                break  # like sklearn: a padded word no longer than n is yielded once, whole
        return tuple(found)


def _vectorizer(view: str, params: ClassifierParams) -> TfidfVectorizer:
    if view == "folded_chars":
        return TfidfVectorizer(
            analyzer=_CharNgrams(params.char_ngrams),
            sublinear_tf=True,
            min_df=params.min_df,
            dtype=np.float32,
        )
    ngrams = params.word_ngrams if view == "words" else params.folded_word_ngrams
    # The default token pattern drops one-letter words, which carry meaning in Vietnamese.
    return TfidfVectorizer(
        ngram_range=ngrams,
        sublinear_tf=True,
        min_df=params.min_df,
        token_pattern=r"(?u)\b\w+\b",
        dtype=np.float32,
    )


def _training_features(
    texts: Sequence[str], params: ClassifierParams, vocabulary_size: int | None = None
) -> tuple[dict[str, TfidfVectorizer], sp.csr_matrix, list[int]]:
    """Fit the vectorizers; return them, the feature matrix and each matrix row's source text.

    With ``augment_unaccented`` every accented text gets a second, unaccented row. Only the
    first ``vocabulary_size`` texts (default: all) and their copies build the vocabulary and
    the IDF weights; the others are only transformed, so none of their words enters the model.
    """
    rows = list(range(len(texts)))
    if params.augment_unaccented:
        rows += [row for row, text in enumerate(texts) if fold(text) != text]
    size = len(texts) if vocabulary_size is None else vocabulary_size
    # Vocabulary rows first, so that one fit_transform and one transform build the matrix.
    rows = [row for row in rows if row < size] + [row for row in rows if row >= size]
    seen: set[int] = set()
    extended = []
    for row in rows:
        extended.append(fold(texts[row]) if row in seen else texts[row])
        seen.add(row)
    folded = [fold(text) for text in extended]
    split = sum(1 for row in rows if row < size)
    vectorizers = {view: _vectorizer(view, params) for view in _VIEWS}
    blocks = []
    for view in _VIEWS:
        source = extended if view == "words" else folded
        fitted = vectorizers[view].fit_transform(source[:split])
        rest = source[split:]
        blocks.append(sp.vstack([fitted, vectorizers[view].transform(rest)]) if rest else fitted)
    matrix = sp.hstack(blocks, format="csr")
    for vectorizer in vectorizers.values():
        # Terms pruned by min_df are kept only for introspection; drop them.
        vectorizer.stop_words_ = None
    return vectorizers, matrix, rows


def _transform(vectorizers: Mapping[str, TfidfVectorizer], texts: Sequence[str]) -> sp.csr_matrix:
    folded = [fold(text) for text in texts]
    return sp.hstack(
        [vectorizers[view].transform(texts if view == "words" else folded) for view in _VIEWS],
        format="csr",
    )


@dataclass(frozen=True)
class _Head:
    """One linear model over the shared features, with its per-label sigmoid calibration."""

    labels: tuple[str, ...]
    coef: np.ndarray  # (n_labels, n_features), float32
    intercept: np.ndarray  # (n_labels,)
    calibration: np.ndarray  # (n_labels, 2): sigmoid slope a and offset b


class TextClassifier:
    """Predicts one label per head (e.g. topic and kind) for each normalised text.

    The heads share one feature extraction, which is most of the cost of a prediction.
    """

    def __init__(
        self,
        *,
        params: ClassifierParams,
        vectorizers: dict[str, TfidfVectorizer],
        heads: dict[str, _Head],
    ) -> None:
        self.params = params
        self._vectorizers = vectorizers
        self._heads = heads

    @property
    def heads(self) -> dict[str, tuple[str, ...]]:
        """Each head's name and its labels."""
        return {name: head.labels for name, head in self._heads.items()}

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        targets: Mapping[str, Sequence[str | None]],
        params: ClassifierParams | None = None,
        *,
        vocabulary_size: int | None = None,
    ) -> TextClassifier:
        """Fit one head per target on normalised texts (and, augmented, their unaccented form).

        A label None leaves that text out of that head only. Only the first ``vocabulary_size``
        texts (default: all) build the vocabulary; the others just train the heads' weights.
        """
        params = params or ClassifierParams()
        columns = {
            name: [None if label is None else str(label) for label in labels]
            for name, labels in targets.items()
        }
        if any(len(labels) != len(texts) for labels in columns.values()):
            raise ValueError("every target needs one label per text")
        vectorizers, matrix, rows = _training_features(texts, params, vocabulary_size)
        heads = {}
        for name, labels in columns.items():
            kept = [index for index, row in enumerate(rows) if labels[row] is not None]
            head_matrix = matrix if len(kept) == len(rows) else matrix[kept]
            heads[name] = _fit_head(head_matrix, [str(labels[rows[i]]) for i in kept], params)
        return cls(params=params, vectorizers=vectorizers, heads=heads)

    def _features(self, texts: Sequence[str]) -> sp.csr_matrix:
        return _transform(self._vectorizers, texts)

    def classify(self, texts: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per head: the index of each text's label, and the matrix of calibrated probabilities.

        The label is the SVM's highest score, not the highest probability: the SVM learnt the
        class weights, the calibration did not, and its argmax would undo them.
        """
        if not texts:
            empty = np.zeros(0, dtype=int)
            return {n: (empty, np.zeros((0, len(h.labels)))) for n, h in self._heads.items()}
        features = self._features(texts)
        result = {}
        for name, head in self._heads.items():
            scores = _scores(features, head)
            result[name] = (scores.argmax(axis=1), _calibrated(scores, head))
        return result

    def probabilities(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Per head, an (n_texts, n_labels) matrix of probabilities in the head's label order."""
        return {name: probabilities for name, (_, probabilities) in self.classify(texts).items()}

    def predict(self, texts: Sequence[str]) -> dict[str, list[Prediction]]:
        """Per head, each text's label with its calibrated probability."""
        result = {}
        for name, (best, probabilities) in self.classify(texts).items():
            labels = self._heads[name].labels
            result[name] = [
                Prediction(labels[index], float(probabilities[row, index]))
                for row, index in enumerate(best)
            ]
        return result

    def to_bytes(self, metadata: dict[str, Any] | None = None) -> bytes:
        """Serialise as an `.npz` of plain arrays; `metadata` (JSON-able) is stored with it."""
        header = {
            "format": FORMAT_VERSION,
            "params": asdict(self.params),
            "heads": {name: list(head.labels) for name, head in self._heads.items()},
            "metadata": metadata or {},
        }
        arrays: dict[str, np.ndarray] = {"header": _utf8(json.dumps(header, ensure_ascii=False))}
        for name, head in self._heads.items():
            arrays[f"{name}.coef"] = head.coef
            arrays[f"{name}.intercept"] = head.intercept
            arrays[f"{name}.calibration"] = head.calibration
        for view, vectorizer in self._vectorizers.items():
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            arrays[f"{view}.terms"] = _utf8("\n".join(terms))
            arrays[f"{view}.idf"] = vectorizer.idf_.astype(np.float32)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> tuple[TextClassifier, dict[str, Any]]:
        """Rebuild a classifier and its metadata; never unpickles."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                header = json.loads(bytes(arrays["header"]).decode("utf-8"))
                if header.get("format") != FORMAT_VERSION:
                    raise ModelFormatError(f"unsupported model format {header.get('format')!r}")
                params = ClassifierParams.from_dict(header["params"])
                vectorizers = {}
                for view in _VIEWS:
                    vectorizer = _vectorizer(view, params)
                    terms = bytes(arrays[f"{view}.terms"]).decode("utf-8").split("\n")
                    vectorizer.vocabulary_ = {term: index for index, term in enumerate(terms)}
                    vectorizer.idf_ = arrays[f"{view}.idf"].astype(np.float64)
                    vectorizers[view] = vectorizer
                heads = {
                    name: _Head(
                        labels=tuple(labels),
                        coef=arrays[f"{name}.coef"],
                        intercept=arrays[f"{name}.intercept"],
                        calibration=arrays[f"{name}.calibration"],
                    )
                    for name, labels in header["heads"].items()
                }
        except ModelFormatError:
            raise
        except (
            KeyError,
            ValueError,
            OSError,
            TypeError,
            AttributeError,
            EOFError,
            zipfile.BadZipFile,
        ) as error:
            raise ModelFormatError(f"not a ykien model file: {error}") from error
        width = sum(len(v.vocabulary_) for v in vectorizers.values())
        for head in heads.values():
            if head.coef.shape != (len(head.labels), width) or head.calibration.shape != (
                len(head.labels),
                2,
            ):
                raise ModelFormatError("model arrays do not match its vocabulary")
        return cls(params=params, vectorizers=vectorizers, heads=heads), header["metadata"]

    def size_bytes(self) -> int:
        """Size of the serialised model."""
        return len(self.to_bytes())


def _fit_head(matrix: sp.csr_matrix, labels: list[str], params: ClassifierParams) -> _Head:
    if len(set(labels)) < 2:
        raise ValueError("training needs at least two labels")
    smallest = min(Counter(labels).values())
    # Sigmoid calibration on cross-validated margins turns SVM scores into probabilities a
    # review threshold can be set on; ensemble=False keeps one SVM, not one per fold.
    classes, encoded, svm = _weighted_svm(labels, params)
    calibrated = CalibratedClassifierCV(
        svm,
        method="sigmoid",
        cv=max(2, min(params.calibration_folds, smallest)),
        ensemble=False,
    )
    calibrated.fit(matrix, encoded)
    fitted = calibrated.calibrated_classifiers_[0]
    coef, intercept = fitted.estimator.coef_, fitted.estimator.intercept_
    calibrators = list(fitted.calibrators)
    if coef.shape[0] == 1:  # binary: sklearn keeps one row, for the second class
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        calibrators = [None, *calibrators]
    return _Head(
        labels=tuple(str(classes[index]) for index in calibrated.classes_),
        coef=np.asarray(coef, dtype=np.float32),
        intercept=np.asarray(intercept, dtype=np.float32),
        calibration=np.array(
            [(c.a_, c.b_) if c is not None else (0.0, 0.0) for c in calibrators], dtype=np.float64
        ),
    )


def _weighted_svm(
    labels: Sequence[str], params: ClassifierParams
) -> tuple[np.ndarray, np.ndarray, LinearSVC]:
    """The label classes, the labels encoded as their indices, and an unfitted class-weighted SVM.

    The labels are encoded as ints because CalibratedClassifierCV re-encodes string labels, so a
    class_weight dict keyed by them would not reach the SVM. Weighting the SVM only (not the
    calibration) keeps the probabilities honest while the SVM's decisions favour rare labels.
    """
    classes, encoded = np.unique(np.array(labels), return_inverse=True)
    weights = _class_weights(list(labels), params)
    svm = LinearSVC(
        C=params.c,
        class_weight={index: weights[label] for index, label in enumerate(classes)},
        tol=params.svm_tolerance,
        random_state=0,
    )
    return classes, encoded, svm


def select_params(
    texts: Sequence[str],
    labels: Sequence[str],
    dev_texts: Sequence[str],
    dev_labels: Sequence[str],
    candidates: Sequence[ClassifierParams],
) -> ClassifierParams:
    """The candidate whose SVM scores the best macro-F1 on the dev split (first one on a tie).

    The features are built once, with the first candidate's feature settings, and reused:
    candidates may differ in regularisation and class weighting only.
    """
    if not candidates:
        raise ValueError("no candidate parameters")
    vectorizers, matrix, rows = _training_features(texts, candidates[0])
    dev_matrix = _transform(vectorizers, dev_texts)
    extended = [str(labels[row]) for row in rows]
    best: tuple[float, int] | None = None
    for index, params in enumerate(candidates):
        classes, encoded, svm = _weighted_svm(extended, params)
        predicted = classes[svm.fit(matrix, encoded).predict(dev_matrix)]
        score = float(f1_score([str(label) for label in dev_labels], predicted, average="macro"))
        if best is None or score > best[0]:
            best = (score, index)
    assert best is not None
    return candidates[best[1]]


def _class_weights(labels: list[str], params: ClassifierParams) -> dict[str, float]:
    counts = Counter(labels)
    balanced = {label: len(labels) / (len(counts) * n) for label, n in counts.items()}
    return {label: weight**params.class_weight_power for label, weight in balanced.items()}


def _scores(features: sp.csr_matrix, head: _Head) -> np.ndarray:
    return np.asarray(features @ head.coef.T + head.intercept)


def _calibrated(scores: np.ndarray, head: _Head) -> np.ndarray:
    a, b = head.calibration[:, 0], head.calibration[:, 1]
    # The one-vs-rest sigmoid calibration sklearn applies, then normalised to sum to 1.
    probabilities = 1.0 / (1.0 + np.exp(a * scores + b))
    if len(head.labels) == 2:
        probabilities[:, 0] = 1.0 - probabilities[:, 1]
    totals = probabilities.sum(axis=1, keepdims=True)
    uniform = np.full_like(probabilities, 1.0 / len(head.labels))
    return np.where(totals > 0, probabilities / np.where(totals > 0, totals, 1.0), uniform)


def _utf8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
