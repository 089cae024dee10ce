"""Benchmark a text classifier on public Vietnamese datasets, next to a fastText baseline.

Datasets are read at run time from a data directory (never copied into the repository):
``uit-vsfc/{train,dev,test}.csv`` (columns sentence,sentiment,topic) and
``vihsd/{train,dev,test}.csv`` (columns free_text,label_id); the project's own corpus is
``nlp/corpus/*.jsonl`` with its train split for training and its dev split for reporting.
"""

from __future__ import annotations

import csv
import os
import random
import re
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.nlp_models import CorpusError, load_corpus
from nlp.text import fold

DATASETS: tuple[str, ...] = ("own-topic", "own-kind", "vsfc-topic", "vsfc-sentiment", "vihsd")

VSFC_TOPICS = ("lecturer", "training_program", "facility", "others")
VSFC_SENTIMENTS = ("negative", "neutral", "positive")
VIHSD_LABELS = ("CLEAN", "OFFENSIVE", "HATE")

# fastText supervised baseline: the fixed parameters, everything else fastText's default.
FASTTEXT_PARAMS: dict[str, Any] = {"wordNgrams": 2, "minn": 2, "maxn": 5, "epoch": 25}


class DatasetError(Exception):
    """A dataset is unknown, missing or malformed; the message says which file and why."""


@dataclass(frozen=True)
class Dataset:
    """Texts and readable labels of one benchmark, split into train, dev (may be empty), test."""

    name: str
    train_texts: tuple[str, ...]
    train_labels: tuple[str, ...]
    test_texts: tuple[str, ...]
    test_labels: tuple[str, ...]
    dev_texts: tuple[str, ...] = ()
    dev_labels: tuple[str, ...] = ()


class Engine(Protocol):
    """A trainable text classifier as the benchmark sees it."""

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Train on ``texts`` labelled ``labels``."""

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Return one label per text."""

    def size_bytes(self) -> int:
        """Return the size of the trained model as it would be stored."""


# --- loading ------------------------------------------------------------------------------


def _read_csv(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DatasetError(f"missing dataset file: {path}")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"{path}: not a readable UTF-8 CSV file ({error})") from error
    if not rows:
        raise DatasetError(f"{path}: no rows")
    return rows


def _labelled(
    path: Path,
    text_column: str,
    label_column: str,
    names: Sequence[str],
    all_columns: Sequence[str],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    texts: list[str] = []
    labels: list[str] = []
    for line, row in enumerate(_read_csv(path, all_columns), start=2):
        raw = (row.get(label_column) or "").strip()
        if not raw.isdecimal() or len(raw) > 9 or int(raw) >= len(names):  # not "²"
            raise DatasetError(f"{path}: record {line}: bad {label_column} {raw!r}")
        if row.get(text_column) is None:
            raise DatasetError(f"{path}: record {line}: missing {text_column}")
        texts.append(row[text_column])
        labels.append(names[int(raw)])
    return tuple(texts), tuple(labels)


def _load_split_csv(
    name: str,
    folder: Path,
    text_column: str,
    label_column: str,
    names: Sequence[str],
    columns: Sequence[str],
) -> Dataset:
    parts = {
        split: _labelled(folder / f"{split}.csv", text_column, label_column, names, columns)
        for split in ("train", "dev", "test")
    }
    return Dataset(
        name=name,
        train_texts=parts["train"][0],
        train_labels=parts["train"][1],
        test_texts=parts["test"][0],
        test_labels=parts["test"][1],
        dev_texts=parts["dev"][0],
        dev_labels=parts["dev"][1],
    )


def _load_corpus(name: str, corpus_dir: Path, key: str) -> Dataset:
    try:
        examples = load_corpus(corpus_dir)
    except (FileNotFoundError, CorpusError) as error:
        raise DatasetError(str(error)) from error
    split: dict[str, tuple[list[str], list[str]]] = {"train": ([], []), "dev": ([], [])}
    for example in examples:
        split[example.split][0].append(example.text)
        split[example.split][1].append(getattr(example, key))
    if not split["train"][0] or not split["dev"][0]:
        raise DatasetError(f"{corpus_dir}: the corpus needs both train and dev examples")
    return Dataset(
        name=name,
        train_texts=tuple(split["train"][0]),
        train_labels=tuple(split["train"][1]),
        test_texts=tuple(split["dev"][0]),
        test_labels=tuple(split["dev"][1]),
    )


def load_dataset(name: str, data_dir: Path, corpus_dir: Path) -> Dataset:
    """Load benchmark ``name`` from ``data_dir`` (public sets) or ``corpus_dir`` (own corpus)."""
    vsfc_columns = ("sentence", "sentiment", "topic")
    if name == "own-topic":
        return _load_corpus(name, corpus_dir, "topic")
    if name == "own-kind":
        return _load_corpus(name, corpus_dir, "kind")
    if name == "vsfc-topic":
        folder = data_dir / "uit-vsfc"
        return _load_split_csv(name, folder, "sentence", "topic", VSFC_TOPICS, vsfc_columns)
    if name == "vsfc-sentiment":
        folder = data_dir / "uit-vsfc"
        return _load_split_csv(name, folder, "sentence", "sentiment", VSFC_SENTIMENTS, vsfc_columns)
    if name == "vihsd":
        columns = ("free_text", "label_id")
        return _load_split_csv(
            name, data_dir / "vihsd", "free_text", "label_id", VIHSD_LABELS, columns
        )
    raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


# --- scoring ------------------------------------------------------------------------------


def score(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Return accuracy, macro/weighted F1 (fractions 0..1) and per-class precision/recall/F1."""
    # Imported here so that the CLI can import this module without loading scikit-learn.
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    labels = sorted(set(y_true) | set(y_pred))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, average="weighted", zero_division=0)),
        "per_class": {
            label: {
                "precision": float(p),
                "recall": float(r),
                "f1": float(f),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
    }


def normalise_for_duplicates(text: str) -> str:
    """Return ``text`` NFC-normalised, lower-cased, with whitespace collapsed (duplicate key)."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def train_duplicate_mask(dataset: Dataset) -> list[bool]:
    """Return, per test text, whether it duplicates a train text after normalisation."""
    seen = {normalise_for_duplicates(t) for t in dataset.train_texts}
    return [normalise_for_duplicates(t) in seen for t in dataset.test_texts]


# --- fastText baseline -----------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"[\r\n\v\f\x00]+")


def _fasttext_line(text: str) -> str:
    return " ".join(_LINE_BREAKS.sub(" ", text.lower()).split())


class FastTextBaseline:
    """fastText supervised classifier with the issue's fixed parameters, single-threaded."""

    def __init__(self, **params: Any) -> None:
        """Keep fastText parameters; defaults are ``FASTTEXT_PARAMS``, thread 1, seed 0."""
        self.params: dict[str, Any] = {
            **FASTTEXT_PARAMS,
            "thread": 1,
            "seed": 0,
            "verbose": 0,
            **params,
        }
        self._model: Any = None
        self._to_label: dict[str, str] = {}
        self._fallback = ""

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Train on ``texts`` labelled ``labels`` through a temporary training file."""
        import fasttext  # imported here: only the benchmark needs it

        if not texts or len(texts) != len(labels):
            raise ValueError("fit needs as many labels as texts, and at least one")
        tokens = {label: re.sub(r"\s+", "_", label) for label in set(labels)}
        self._to_label = {f"__label__{token}": label for label, token in tokens.items()}
        self._fallback = Counter(labels).most_common(1)[0][0]
        fd, path = tempfile.mkstemp(prefix="ykien-fasttext-", suffix=".txt")
        try:
            # fastText reads the file in order: a corpus sorted by label would be learnt one
            # label after another, so the lines are shuffled (with a fixed seed) first.
            lines = [
                f"__label__{tokens[label]} {_fasttext_line(text)}\n"
                for text, label in zip(texts, labels, strict=True)
            ]
            random.Random(self.params["seed"]).shuffle(lines)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.writelines(lines)
            self._model = fasttext.train_supervised(input=path, **self.params)
        finally:
            os.unlink(path)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Return the most probable label of each text (the commonest label for empty text)."""
        if self._model is None:
            raise RuntimeError("predict before fit")
        found, _ = self._model.predict([_fasttext_line(t) for t in texts], k=1)
        return [self._to_label[got[0]] if got else self._fallback for got in found]

    def size_bytes(self) -> int:
        """Return the size of the model file fastText saves (its default bucket count dominates)."""
        if self._model is None:
            raise RuntimeError("size_bytes before fit")
        fd, path = tempfile.mkstemp(prefix="ykien-fasttext-", suffix=".bin")
        os.close(fd)
        try:
            self._model.save_model(path)
            return os.path.getsize(path)
        finally:
            os.unlink(path)


# --- evaluation ---------------------------------------------------------------------------


def _run(dataset: Dataset, engine: Engine) -> dict[str, Any]:
    train = (list(dataset.train_texts), list(dataset.train_labels))
    started = time.perf_counter()
    engine.fit(*train)
    train_seconds = time.perf_counter() - started
    texts = list(dataset.test_texts)
    started = time.perf_counter()
    predicted = list(engine.predict(texts))
    predict_seconds = time.perf_counter() - started
    if len(predicted) != len(texts):
        raise ValueError(f"the engine returned {len(predicted)} labels for {len(texts)} texts")
    result: dict[str, Any] = score(dataset.test_labels, predicted)
    result.update(
        train_seconds=train_seconds,
        texts_per_second=len(texts) / predict_seconds if predict_seconds > 0 else float("inf"),
        model_bytes=int(engine.size_bytes()),
        n_train=len(dataset.train_texts),
        n_test=len(texts),
    )
    mask = train_duplicate_mask(dataset)
    if any(mask):
        kept = [i for i, duplicate in enumerate(mask) if not duplicate]
        unique = score([dataset.test_labels[i] for i in kept], [predicted[i] for i in kept])
        result["without_train_duplicates"] = {**unique, "n_test": len(kept)}
    return result


def evaluate(
    dataset: Dataset,
    make_engine: Callable[[], Engine],
    make_baseline: Callable[[], Engine] = FastTextBaseline,
) -> dict[str, Any]:
    """Train and test a fresh engine and a fresh fastText baseline; return both sets of figures."""
    result = {"dataset": dataset.name, **_run(dataset, make_engine())}
    result["baseline"] = _run(dataset, make_baseline())
    return result


def outside_test(
    dataset: Dataset, texts: Sequence[str], labels: Sequence[str]
) -> tuple[list[str], list[str], int]:
    """The extra examples whose text is not in the test or dev split, and how many were not."""
    # Folded (lower case, no diacritics, no punctuation): a retyped copy is the same message.
    held_out = {fold(text) for text in (*dataset.test_texts, *dataset.dev_texts)}
    kept = [(t, y) for t, y in zip(texts, labels, strict=True) if fold(t) not in held_out]
    return [t for t, _ in kept], [y for _, y in kept], len(texts) - len(kept)


def with_extra_training(
    dataset: Dataset,
    texts: Sequence[str],
    labels: Sequence[str],
    make_engine: Callable[[Sequence[str], Sequence[str]], Engine],
) -> dict[str, Any]:
    """Score an engine trained on the train split plus extra examples, on the same test split.

    The extra examples (moderators' corrections) whose text is in the test or dev split are left
    out, so nothing the engine is judged on leaks into its training.
    ``make_engine(extra_texts, extra_labels)`` returns an engine whose ``fit`` adds them.
    """
    kept_texts, kept_labels, left_out = outside_test(dataset, texts, labels)
    engine = make_engine(kept_texts, kept_labels)
    started = time.perf_counter()
    engine.fit(list(dataset.train_texts), list(dataset.train_labels))
    train_seconds = time.perf_counter() - started
    predicted = list(engine.predict(list(dataset.test_texts)))
    return {
        **score(dataset.test_labels, predicted),
        "corrections": len(kept_texts),
        "left_out_in_test": left_out,
        "n_train": len(dataset.train_texts) + len(kept_texts),
        "train_seconds": train_seconds,
    }


# --- report -------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def _rate(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:,.0f}"


def format_report(result: dict[str, Any]) -> str:
    """Return a plain-text table of the engine's and the baseline's figures, in percent."""
    engine, baseline = result, result["baseline"]
    lines = [
        f"Dataset: {result['dataset']}  (train {engine.get('n_train', '?')}, "
        f"test {engine.get('n_test', '?')})",
        "",
        f"{'':<26}{'engine':>14}{'fastText':>14}",
    ]
    rows: list[tuple[str, str, str]] = [
        (name, _pct(engine[key]), _pct(baseline[key]))
        for name, key in (
            ("accuracy %", "accuracy"),
            ("macro-F1 %", "macro_f1"),
            ("weighted-F1 %", "weighted_f1"),
        )
    ]
    if "without_train_duplicates" in engine and "without_train_duplicates" in baseline:
        mine, theirs = engine["without_train_duplicates"], baseline["without_train_duplicates"]
        rows.append((f"w/o train dups (n={mine['n_test']})", "", ""))
        rows += [
            (f"  {name}", _pct(mine[key]), _pct(theirs[key]))
            for name, key in (("accuracy %", "accuracy"), ("macro-F1 %", "macro_f1"))
        ]
        rows.append(("  weighted-F1 %", _pct(mine["weighted_f1"]), _pct(theirs["weighted_f1"])))
    rows += [
        ("train seconds", f"{engine['train_seconds']:.2f}", f"{baseline['train_seconds']:.2f}"),
        ("texts/second", _rate(engine["texts_per_second"]), _rate(baseline["texts_per_second"])),
        ("model bytes", f"{engine['model_bytes']:,}", f"{baseline['model_bytes']:,}"),
    ]
    lines += [f"{name:<26}{a:>14}{b:>14}" for name, a, b in rows]
    if "engine_params" in result:
        chosen = result["engine_params"]
        lines.append(f"engine C {chosen['c']}, class-weight power {chosen['class_weight_power']}")
    if "with_corrections" in result:
        lines += ["", *_corrections_block(result, result["with_corrections"])]
    lines += ["", f"{'class':<22}{'P %':>8}{'R %':>8}{'F1 %':>8}{'ft F1 %':>9}{'support':>9}"]
    for label, figures in engine["per_class"].items():
        theirs = baseline["per_class"].get(label, {}).get("f1", 0.0)
        lines.append(
            f"{label:<22}{_pct(figures['precision']):>8}{_pct(figures['recall']):>8}"
            f"{_pct(figures['f1']):>8}{_pct(theirs):>9}{figures['support']:>9}"
        )
    return "\n".join(lines)


def _corrections_block(without: dict[str, Any], with_: dict[str, Any]) -> list[str]:
    lines = [
        f"With {with_['corrections']} moderator corrections ({with_['left_out_in_test']} left out: "
        "their text is in the test split)",
        f"{'':<26}{'without':>14}{'with':>14}{'change':>10}",
    ]
    for name, key in (
        ("accuracy %", "accuracy"),
        ("macro-F1 %", "macro_f1"),
        ("weighted-F1 %", "weighted_f1"),
    ):
        change = 100 * (with_[key] - without[key])
        lines.append(f"{name:<26}{_pct(without[key]):>14}{_pct(with_[key]):>14}{change:>+10.2f}")
    return lines
