"""Loading the trained models, and training them when missing, stale or damaged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import nlp_models
from config.settings import Settings
from nlp.classifier import TextClassifier
from tests.nlp_corpus import write_tiny_corpus


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = write_tiny_corpus(tmp_path / "corpus")
    return Settings(YKIEN_DATA_DIR=tmp_path / "data", YKIEN_NLP_CORPUS_DIR=corpus)


def _model_file(settings: Settings) -> Path:
    return settings.model_dir / nlp_models.CLASSIFIER_FILE


def test_a_missing_model_is_trained_and_saved(settings: Settings) -> None:
    classifier = nlp_models.load_or_train_classifier(settings)
    assert set(classifier.heads) == {"topic", "kind"}
    _, metadata = TextClassifier.from_bytes(_model_file(settings).read_bytes())
    expected = nlp_models.training_fingerprint(
        nlp_models.corpus_dir(settings), nlp_models.ClassifierParams()
    )
    assert metadata["training_data_sha256"] == expected
    assert metadata["examples"] == 16


def test_a_matching_model_is_loaded_not_retrained(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    nlp_models.load_or_train_classifier(settings)
    before = _model_file(settings).stat().st_mtime_ns
    with caplog.at_level(logging.INFO):
        nlp_models.load_or_train_classifier(settings)
    assert _model_file(settings).stat().st_mtime_ns == before
    assert "trained" not in caplog.text


def test_a_changed_corpus_retrains(settings: Settings) -> None:
    nlp_models.load_or_train_classifier(settings)
    first = nlp_models.training_fingerprint(
        nlp_models.corpus_dir(settings), nlp_models.ClassifierParams()
    )
    corpus_file = nlp_models.corpus_dir(settings) / "tiny.jsonl"
    corpus_file.write_text(
        corpus_file.read_text(encoding="utf-8").replace("ổ gà", "ổ voi"), encoding="utf-8"
    )
    nlp_models.load_or_train_classifier(settings)
    _, metadata = TextClassifier.from_bytes(_model_file(settings).read_bytes())
    assert metadata["training_data_sha256"] != first


def test_a_damaged_model_file_is_replaced(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    _model_file(settings).parent.mkdir(parents=True)
    _model_file(settings).write_bytes(b"\x80\x04not a model")  # a pickle header, say
    with caplog.at_level(logging.WARNING):
        classifier = nlp_models.load_or_train_classifier(settings)
    assert "unusable" in caplog.text
    assert classifier.predict(["sổ đỏ"])["topic"][0].label == "dat_dai"
    TextClassifier.from_bytes(_model_file(settings).read_bytes())


def test_no_temporary_files_are_left(settings: Settings) -> None:
    nlp_models.load_or_train_classifier(settings)
    assert [p.name for p in settings.model_dir.iterdir()] == [nlp_models.CLASSIFIER_FILE]


def test_an_empty_corpus_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    settings = Settings(YKIEN_DATA_DIR=tmp_path / "data", YKIEN_NLP_CORPUS_DIR=tmp_path / "empty")
    with pytest.raises(FileNotFoundError):
        nlp_models.load_or_train_classifier(settings)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not JSON"),
        ('{"id": "x-1", "text": "a", "topic": "khac", "kind": "gop_y"}', "needs string keys"),
        ('{"id": "x-1", "text": 5, "topic": "khac", "kind": "gop_y", "split": "dev"}', "needs"),
        ('{"id": "x-1", "text": "a", "topic": "khac", "kind": "gop_y", "split": "test"}', "split"),
    ],
)
def test_a_malformed_corpus_line_is_named(tmp_path: Path, line: str, message: str) -> None:
    corpus = write_tiny_corpus(tmp_path / "corpus")
    (corpus / "zz.jsonl").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(nlp_models.CorpusError, match=rf"zz\.jsonl:1: .*{message}"):
        nlp_models.load_corpus(corpus)
