"""Build the NLP analyzer: load trained models from the data dir, training any that is missing."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nlp
from config import moderation, taxonomy
from config import nlp as nlp_config
from config.settings import Settings
from nlp.analyzer import Analyzer
from nlp.classifier import FORMAT_VERSION, ClassifierParams, ModelFormatError, TextClassifier
from nlp.flags import FlagDetector, ModerationLexicons
from nlp.normalize import Normalizer
from nlp.offensive import FORMAT_VERSION as OFFENSIVE_FORMAT_VERSION
from nlp.offensive import OffensiveSpanModel
from nlp.rules import KeywordRules
from storage.corrections import CorrectedLabel

logger = logging.getLogger(__name__)

CLASSIFIER_FILE = "classifier.npz"
OFFENSIVE_FILE = "offensive.npz"
DEFAULT_CORPUS_DIR = Path(nlp.__file__).resolve().parent / "corpus"


@dataclass(frozen=True)
class CorpusExample:
    """One labelled example of the project's corpus."""

    id: str
    text: str
    topic: str
    kind: str
    split: str


def corpus_dir(settings: Settings) -> Path:
    """The corpus the shipped models learn from (the repository's, unless overridden)."""
    return settings.nlp_corpus_dir or DEFAULT_CORPUS_DIR


class CorpusError(ValueError):
    """A corpus line is not a well-formed example; the message names the file and line."""


CORPUS_KEYS = ("id", "text", "topic", "kind", "split")


def load_corpus(directory: Path) -> list[CorpusExample]:
    """Every example of every `*.jsonl` file in ``directory``, in file and line order."""
    paths = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    if not paths:
        raise FileNotFoundError(f"missing corpus: no *.jsonl file in {directory}")
    examples = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as error:
            raise CorpusError(f"{path}: not UTF-8 ({error})") from error
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{path}:{number}: not JSON ({error.msg})") from error
            if not isinstance(row, dict) or not all(
                isinstance(row.get(key), str) for key in CORPUS_KEYS
            ):
                raise CorpusError(f"{path}:{number}: needs string keys {', '.join(CORPUS_KEYS)}")
            if row["split"] not in ("train", "dev"):
                raise CorpusError(f"{path}:{number}: bad split {row['split']!r}")
            examples.append(CorpusExample(**{key: row[key] for key in CORPUS_KEYS}))
    return examples


def training_fingerprint(directory: Path, params: ClassifierParams) -> str:
    """Hash of everything training reads: corpus files, chat shorthand, parameters, format."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.jsonl")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    recipe = {
        "abbreviations": nlp_config.ABBREVIATIONS,
        "params": asdict(params),
        "format": FORMAT_VERSION,
    }
    digest.update(json.dumps(recipe, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def normalizer() -> Normalizer:
    """The normaliser configured with the deployer's chat shorthand."""
    return Normalizer(nlp_config.ABBREVIATIONS)


# The labels a correction may teach: a code the taxonomy no longer has is not learnt.
CORRECTABLE = {
    "topic": set(taxonomy.TOPICS),
    "kind": set(taxonomy.KIND_NAMES),
}


def usable_corrections(corrections: Sequence[CorrectedLabel]) -> list[CorrectedLabel]:
    """The corrections of a known field to a label of the current taxonomy."""
    return [c for c in corrections if c.label in CORRECTABLE.get(c.field, ())]


def corrections_fingerprint(corrections: Sequence[CorrectedLabel]) -> str:
    """Hash of the corrections as training reads them (order does not matter)."""
    digest = hashlib.sha256()
    for line in sorted(f"{c.field}\x1f{c.label}\x1f{c.text}" for c in corrections):
        digest.update(line.encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


def train_classifier(
    examples: Sequence[CorpusExample],
    params: ClassifierParams,
    corrections: Sequence[CorrectedLabel] = (),
) -> TextClassifier:
    """Train the topic and kind heads on ``examples`` plus moderators' ``corrections``.

    A topic correction teaches the topic head only, a kind correction the kind head only. The
    vocabulary comes from the corpus alone: the model file stores its terms, and no word of a
    resident's text may be written to disk (corrections move the weights of the corpus's terms).
    """
    normalise = normalizer()
    rows = list(examples)
    extra = usable_corrections(corrections)
    texts = [normalise(row.text) for row in rows] + [normalise(c.text) for c in extra]
    targets: dict[str, list[str | None]] = {
        field: [getattr(row, field) for row in rows]
        + [c.label if c.field == field else None for c in extra]
        for field in ("topic", "kind")
    }
    return TextClassifier.train(texts, targets, params, vocabulary_size=len(rows))


def _write_atomically(path: Path, data: bytes) -> None:
    # Several bot processes may train at once on start; each renames a complete file into place.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def train_and_save(
    settings: Settings,
    params: ClassifierParams | None = None,
    corrections: Sequence[CorrectedLabel] = (),
) -> dict[str, Any]:
    """Train the shipped classifier on the whole corpus (plus corrections) and save it.

    Returns its metadata: ``corpus_sha256`` (what the start-up check compares),
    ``training_data_sha256`` (corpus and corrections together), ``corrections`` and their count
    per field.
    """
    params = params or ClassifierParams()
    directory = corpus_dir(settings)
    started = time.perf_counter()
    examples = load_corpus(directory)
    used = usable_corrections(corrections)
    classifier = train_classifier(examples, params, used)
    corpus_sha = training_fingerprint(directory, params)
    metadata: dict[str, Any] = {
        "training_data_sha256": corpus_sha,
        "corpus_sha256": corpus_sha,
        "examples": len(examples),
        "corrections": len(used),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if used:
        corrections_sha = corrections_fingerprint(used)
        combined = hashlib.sha256(f"{corpus_sha}:{corrections_sha}".encode()).hexdigest()
        metadata.update(
            training_data_sha256=combined,
            corrections_sha256=corrections_sha,
            corrections_by_field={
                field: sum(1 for c in used if c.field == field) for field in ("topic", "kind")
            },
        )
    metadata["train_seconds"] = round(time.perf_counter() - started, 2)
    _write_atomically(settings.model_dir / CLASSIFIER_FILE, classifier.to_bytes(metadata))
    logger.info(
        "trained the topic and kind models on %d examples and %d corrections in %.1f s",
        len(examples),
        len(used),
        metadata["train_seconds"],
    )
    return metadata


def load_or_train_classifier(settings: Settings) -> TextClassifier:
    """Load the saved classifier if it matches the corpus; otherwise train and save it.

    A model trained with moderators' corrections is kept while its corpus part matches (the
    corrections are in the database, which start-up does not read); when the corpus changes it
    is retrained from the corpus alone, and `ykien nlp train --with-corrections` adds them again.
    """
    path = settings.model_dir / CLASSIFIER_FILE
    expected = training_fingerprint(corpus_dir(settings), ClassifierParams())
    if path.exists():
        try:
            classifier, metadata = TextClassifier.from_bytes(path.read_bytes())
        except ModelFormatError as error:
            logger.warning("retraining: the saved model is unusable (%s)", error)
        else:
            # Files from before corrections existed record the corpus hash only.
            corpus_sha = metadata.get("corpus_sha256", metadata.get("training_data_sha256"))
            if corpus_sha == expected:
                return classifier
            if metadata.get("corrections"):
                logger.warning(
                    "retraining without the %d moderator corrections the saved model had: the "
                    "corpus changed; run `ykien nlp train --with-corrections` to add them again",
                    metadata["corrections"],
                )
            else:
                logger.info(
                    "retraining: the corpus or its settings changed since the model was saved"
                )
    train_and_save(settings)
    classifier, _ = TextClassifier.from_bytes(path.read_bytes())
    return classifier


def offensive_fingerprint(vihos_dir: Path, corpus: Path) -> str:
    """Hash of everything the insult model learns from: ViHOS train/dev, the corpus, the format."""
    digest = hashlib.sha256(f"offensive-format-{OFFENSIVE_FORMAT_VERSION}".encode())
    for path in [vihos_dir / "train.csv", vihos_dir / "dev.csv", *sorted(corpus.glob("*.jsonl"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


def load_or_train_offensive(settings: Settings) -> OffensiveSpanModel | None:
    """The ViHOS-trained insult model; (re)trained when missing, damaged or its data changed.

    Without ViHOS configured a saved model is used as it is (nothing to check it against).
    """
    path = settings.model_dir / OFFENSIVE_FILE
    saved = None
    if path.exists():
        try:
            saved = OffensiveSpanModel.load(path)
        except ModelFormatError as error:
            logger.warning("ignoring the saved insult model: %s", error)
    if settings.vihos_dir is None:
        if saved is None:
            logger.info("YKIEN_VIHOS_DIR is not set: insults are detected by the lexicon only")
        return saved
    expected = offensive_fingerprint(settings.vihos_dir, corpus_dir(settings))
    if saved is not None and saved.metadata.get("training_data_sha256") == expected:
        return saved
    if saved is not None:
        logger.info("retraining the insult model: ViHOS or the corpus changed since it was saved")
    return train_offensive(settings)


def train_offensive(settings: Settings) -> OffensiveSpanModel:
    """Train the insult span model on ViHOS (train split; dev picks the threshold) and save it."""
    if settings.vihos_dir is None:
        raise FileNotFoundError("YKIEN_VIHOS_DIR is not set")
    train_csv, dev_csv = settings.vihos_dir / "train.csv", settings.vihos_dir / "dev.csv"
    # The project's civic corpus is learnt as known-clean text: trained on ViHOS alone, the
    # model takes everyday civic words ("thôn", "lũ", "trộm") for insults.
    clean = [row.text for row in load_corpus(corpus_dir(settings))]
    started = time.perf_counter()
    model = OffensiveSpanModel.train(
        train_csv, dev_csv=dev_csv if dev_csv.exists() else None, clean_texts=clean
    )
    path = settings.model_dir / OFFENSIVE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "training_data_sha256": offensive_fingerprint(settings.vihos_dir, corpus_dir(settings)),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    model.save(path, metadata)
    logger.info("trained the insult model on ViHOS in %.1f s", time.perf_counter() - started)
    return OffensiveSpanModel.load(path)  # as saved, metadata included


def lexicons() -> ModerationLexicons:
    """The moderation word lists from config/."""
    return ModerationLexicons.from_module(moderation)


def build_analyzer(settings: Settings) -> Analyzer:
    """Everything the NLP needs, loaded (or trained) once."""
    return Analyzer(
        normalizer=normalizer(),
        classifier=load_or_train_classifier(settings),
        topic_rules=KeywordRules(nlp_config.TOPIC_KEYWORDS),
        kind_rules=KeywordRules(nlp_config.KIND_KEYWORDS),
        flags=FlagDetector(lexicons(), load_or_train_offensive(settings)),
        review_threshold=settings.nlp_review_threshold,
    )
