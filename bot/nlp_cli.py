"""`ykien nlp ...` and `ykien bench nlp`: train, classify, evaluate and time the NLP."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import evaluation
from bot.nlp_models import (
    build_analyzer,
    corpus_dir,
    load_corpus,
    normalizer,
    train_and_save,
    train_offensive,
    usable_corrections,
)
from config import texts
from config.settings import Settings
from nlp.analyzer import Analyzer
from nlp.classifier import ClassifierParams, TextClassifier, select_params
from storage.corrections import CorrectedLabel, corrected_labels
from storage.db import Database

logger = logging.getLogger(__name__)

CLASSIFY_BATCH = 512
# The datasets moderators' corrections can be added to, and the field each one learns.
CORRECTED_FIELD = {"own-topic": "topic", "own-kind": "kind"}


class InputError(Exception):
    """Bad input to an `nlp` command; the message is shown to the operator as it is."""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `nlp train|classify|eval`."""
    nlp = sub.add_parser("nlp", help="train, run and evaluate the Vietnamese NLP")
    nlp_sub = nlp.add_subparsers(dest="nlp_command", required=True)
    train = nlp_sub.add_parser("train", help="train the models into the data dir")
    train.add_argument(
        "--vihos-dir", type=Path, help="also train the insult model on ViHOS from this folder"
    )
    train.add_argument(
        "--with-corrections",
        action="store_true",
        help="also learn the labels moderators corrected (read from the database)",
    )
    classify = nlp_sub.add_parser("classify", help="classify a text, or a JSONL file in batch")
    classify.add_argument("text", nargs="?", help="the text to classify")
    classify.add_argument("--jsonl", type=Path, help='input file of {"id", "text"} lines')
    classify.add_argument("--out", type=Path, help="output file (default: standard output)")
    evaluate = nlp_sub.add_parser("eval", help="train and score on a benchmark dataset")
    evaluate.add_argument("--dataset", required=True, choices=evaluation.DATASETS)
    evaluate.add_argument(
        "--data-dir",
        type=Path,
        default=Path("../shared/datasets"),
        help="folder holding uit-vsfc/, vihsd/ (default: ../shared/datasets)",
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument(
        "--with-corrections",
        action="store_true",
        help="own-topic/own-kind: also score with the moderators' corrections added to training "
        "(done anyway when the database holds some)",
    )


def run(args: argparse.Namespace, settings: Settings) -> None:
    """Dispatch an `nlp` subcommand."""
    if args.nlp_command == "train":
        if args.with_corrections:
            metadata = train_and_save(settings, corrections=read_corrections(settings))
            by_field = metadata.get("corrections_by_field", {"topic": 0, "kind": 0})
            print(texts.NLP_TRAINED_WITH_CORRECTIONS.format(**metadata, **by_field))
        else:
            metadata = train_and_save(settings)
            print(texts.NLP_TRAINED.format(**metadata))
        vihos = args.vihos_dir or settings.vihos_dir
        if vihos is not None:
            train_offensive(settings.model_copy(update={"vihos_dir": vihos}))
            print(texts.NLP_TRAINED_OFFENSIVE)
    elif args.nlp_command == "classify":
        _classify(args, build_analyzer(settings))
    else:
        _evaluate(args, settings)


def read_corrections(settings: Settings, *, required: bool = True) -> list[CorrectedLabel]:
    """The moderators' latest corrections from the database (texts kept in memory only).

    Not ``required``: an SQLite file that does not exist, or a database that cannot be read,
    counts as no corrections (with a warning), and the schema is not upgraded.
    """
    url = settings.resolved_database_url

    def sqlite_file_missing() -> bool:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return False
        return not parsed.database or not Path(parsed.database).is_file()

    async def read() -> list[CorrectedLabel]:
        if not required and sqlite_file_missing():
            return []  # reading would create an empty database file
        db = Database(url)
        try:
            if required:
                await db.upgrade()
            return await corrected_labels(db, erased_placeholder=texts.ERASED_TEXT_PLACEHOLDER)
        finally:
            await db.dispose()

    try:
        return asyncio.run(read())
    except (SQLAlchemyError, OSError) as error:
        # The first line names the failure; the URL (which may hold a password) is not in it.
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        if required:
            raise InputError(texts.NLP_CANNOT_READ_CORRECTIONS.format(error=reason)) from error
        logger.warning("evaluating without corrections: the database cannot be read (%s)", reason)
        return []


def _classify(args: argparse.Namespace, analyzer: Analyzer) -> None:
    if (args.text is None) == (args.jsonl is None):
        raise InputError(texts.NLP_CLASSIFY_USAGE)
    if args.text is not None:
        _write_lines([analyzer.analyse(args.text).to_dict()], args.out)
        return
    try:
        rows = list(_read_jsonl(args.jsonl))  # validate all before writing anything
    except OSError as error:
        raise InputError(texts.NLP_CANNOT_READ.format(path=args.jsonl, error=error)) from error

    def results() -> Iterator[dict[str, Any]]:
        for start in range(0, len(rows), CLASSIFY_BATCH):
            batch = rows[start : start + CLASSIFY_BATCH]
            analyses = analyzer.analyse_batch([text for _, text in batch])
            for (row_id, _), analysis in zip(batch, analyses, strict=True):
                yield {"id": row_id, **analysis.to_dict()}

    _write_lines(results(), args.out)


def _read_jsonl(path: Path) -> Iterator[tuple[Any, str]]:
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(texts.NLP_BAD_JSON.format(line=number, error=error)) from error
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise InputError(texts.NLP_BAD_ROW.format(line=number))
            yield row.get("id"), row["text"]


def _write_lines(rows: Iterable[dict[str, Any]], out: Path | None) -> None:
    def write(stream: TextIO) -> None:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")

    if out is None:
        write(sys.stdout)
        return
    temporary = out.with_name(out.name + ".part")
    with temporary.open("w", encoding="utf-8") as stream:
        write(stream)
    temporary.replace(out)  # a failed run leaves no half-written output


# On a dataset with a dev split the generic engine picks its regularisation and class weighting
# there (never on test); the features are built once, so the search costs a few SVM fits. Our own
# corpus has no split besides the one it is judged on, so it keeps the shipped defaults.
SELECTION_GRID = tuple(
    ClassifierParams(c=c, class_weight_power=power)
    for power in (0.0, 0.5, 1.0)
    for c in (0.1, 0.25, 0.5, 1.0)
)


class GenericEngine:
    """The product's engine on one label set, as `bot.evaluation` drives it."""

    def __init__(
        self,
        dev: tuple[Sequence[str], Sequence[str]] = ((), ()),
        extra: tuple[Sequence[str], Sequence[str]] = ((), ()),
    ) -> None:
        self._normalize = normalizer()
        self._dev = dev
        self._extra = extra
        self._model: TextClassifier | None = None
        self.params = ClassifierParams()

    def fit(self, texts_: Sequence[str], labels: Sequence[str]) -> None:
        """Train on raw texts (and the extra examples), choosing parameters on dev if any.

        As in production, the extra examples (corrections) train the weights but add no term
        to the vocabulary.
        """
        normalised = [self._normalize(text) for text in texts_]
        dev_texts, dev_labels = self._dev
        if dev_texts:
            dev = [self._normalize(text) for text in dev_texts]
            self.params = select_params(normalised, labels, dev, dev_labels, SELECTION_GRID)
        extra_texts, extra_labels = self._extra
        self._model = TextClassifier.train(
            normalised + [self._normalize(text) for text in extra_texts],
            {"label": [*labels, *extra_labels]},
            self.params,
            vocabulary_size=len(normalised),
        )

    def predict(self, texts_: Sequence[str]) -> list[str]:
        """Predict raw texts."""
        if self._model is None:
            raise RuntimeError("fit first")
        predictions = self._model.predict([self._normalize(text) for text in texts_])
        return [p.label for p in predictions["label"]]

    def size_bytes(self) -> int:
        """Size of the serialised model."""
        return self._model.size_bytes() if self._model is not None else 0


def _evaluate(args: argparse.Namespace, settings: Settings) -> None:
    field = CORRECTED_FIELD.get(args.dataset)
    if args.with_corrections and field is None:
        raise InputError(texts.NLP_CORRECTIONS_OWN_ONLY)
    try:
        dataset = evaluation.load_dataset(args.dataset, args.data_dir, corpus_dir(settings))
    except evaluation.DatasetError as error:
        raise InputError(texts.NLP_NO_DATASET.format(name=args.dataset, error=error)) from error
    corrections = []
    if field is not None:
        read = read_corrections(settings, required=args.with_corrections)
        corrections = [c for c in usable_corrections(read) if c.field == field]

    engines: list[GenericEngine] = []

    def make_engine() -> GenericEngine:
        engines.append(GenericEngine(dev=(dataset.dev_texts, dataset.dev_labels)))
        return engines[-1]

    result = evaluation.evaluate(dataset, make_engine)
    chosen = engines[-1].params
    result["engine_params"] = {"c": chosen.c, "class_weight_power": chosen.class_weight_power}
    if args.with_corrections or corrections:
        result["with_corrections"] = evaluation.with_extra_training(
            dataset,
            [c.text for c in corrections],
            [c.label for c in corrections],
            lambda texts_, labels: GenericEngine(
                dev=(dataset.dev_texts, dataset.dev_labels), extra=(texts_, labels)
            ),
        )
    print(json.dumps(result, ensure_ascii=False) if args.json else evaluation.format_report(result))


def bench_nlp(settings: Settings, *, messages: int, runs: int) -> dict[str, Any]:
    """Time first-start training and the whole pipeline in batch on the corpus texts."""
    started = time.perf_counter()
    train_and_save(settings)
    train_seconds = time.perf_counter() - started
    corpus = [row.text for row in load_corpus(corpus_dir(settings))]
    sample = (corpus * (messages // len(corpus) + 1))[:messages]
    rates = []
    for _ in range(runs):
        fresh = build_analyzer(settings)  # a cold normaliser cache, as after a restart
        started = time.perf_counter()
        for start in range(0, len(sample), CLASSIFY_BATCH):
            fresh.analyse_batch(sample[start : start + CLASSIFY_BATCH])
        rates.append(len(sample) / (time.perf_counter() - started))
    return {
        "train_seconds": round(train_seconds, 2),
        "messages": len(sample),
        "messages_per_second_median": round(statistics.median(rates)),
        "messages_per_second_runs": [round(rate) for rate in rates],
    }
