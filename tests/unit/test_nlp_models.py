"""Loading the trained models, and training them when missing, stale or damaged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import nlp_models
from config.settings import Settings
from nlp.classifier import TextClassifier
from tests.nlp_corpus import write_tiny_corpus
from tests.vihos_data import vihos_rows, write_vihos_csv


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


@pytest.fixture
def vihos_settings(settings: Settings, tmp_path: Path) -> Settings:
    vihos = tmp_path / "vihos"
    vihos.mkdir()
    write_vihos_csv(vihos / "train.csv", vihos_rows(120, seed=1))
    write_vihos_csv(vihos / "dev.csv", vihos_rows(40, seed=2))
    return settings.model_copy(update={"vihos_dir": vihos})


def _insult_file(settings: Settings) -> Path:
    return settings.model_dir / nlp_models.OFFENSIVE_FILE


def test_the_insult_model_is_stamped_and_reused(vihos_settings: Settings) -> None:
    model = nlp_models.load_or_train_offensive(vihos_settings)
    assert model is not None
    assert vihos_settings.vihos_dir is not None
    expected = nlp_models.offensive_fingerprint(
        vihos_settings.vihos_dir, nlp_models.corpus_dir(vihos_settings)
    )
    assert model.metadata["training_data_sha256"] == expected
    before = _insult_file(vihos_settings).stat().st_mtime_ns
    nlp_models.load_or_train_offensive(vihos_settings)
    assert _insult_file(vihos_settings).stat().st_mtime_ns == before


@pytest.mark.parametrize("changed", ["vihos", "corpus"])
def test_the_insult_model_is_retrained_when_its_data_changes(
    vihos_settings: Settings, changed: str
) -> None:
    first = nlp_models.load_or_train_offensive(vihos_settings)
    assert first is not None and vihos_settings.vihos_dir is not None
    if changed == "vihos":
        write_vihos_csv(vihos_settings.vihos_dir / "train.csv", vihos_rows(120, seed=3))
    else:
        corpus_file = nlp_models.corpus_dir(vihos_settings) / "tiny.jsonl"
        corpus_file.write_text(
            corpus_file.read_text(encoding="utf-8").replace("ổ gà", "ổ voi"), encoding="utf-8"
        )
    second = nlp_models.load_or_train_offensive(vihos_settings)
    assert second is not None
    sha = "training_data_sha256"
    assert second.metadata[sha] != first.metadata[sha]
    saved = nlp_models.OffensiveSpanModel.load(_insult_file(vihos_settings))
    assert saved.metadata[sha] == second.metadata[sha]


def test_without_vihos_a_saved_insult_model_is_used_as_it_is(vihos_settings: Settings) -> None:
    nlp_models.load_or_train_offensive(vihos_settings)
    plain = vihos_settings.model_copy(update={"vihos_dir": None})
    assert nlp_models.load_or_train_offensive(plain) is not None
    _insult_file(plain).unlink()
    assert nlp_models.load_or_train_offensive(plain) is None
