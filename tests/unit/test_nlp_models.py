"""Loading the trained models, and training them when missing, stale or damaged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import nlp_models
from config.settings import Settings
from nlp.classifier import TextClassifier
from storage.corrections import CorrectedLabel
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


# --- moderators' corrections ------------------------------------------------------------------

# A dozen near-identical messages about potholes, which the tiny corpus calls a traffic matter,
# relabelled by moderators to land (say, a road built on disputed land): measurable, and wrong
# for the plain model.
TAUGHT = [
    CorrectedLabel(f"Đường vào thôn {n} có nhiều ổ gà", "topic", "dat_dai") for n in range(12)
]
PROBES = ["Đường vào thôn 20 có nhiều ổ gà", "Đèn đường hẻm 5 tắt cả tuần"]


def _topics(classifier: TextClassifier, texts: list[str]) -> list[str]:
    normalise = nlp_models.normalizer()
    return [p.label for p in classifier.predict([normalise(t) for t in texts])["topic"]]


def test_topic_corrections_teach_the_topic_head_only(settings: Settings) -> None:
    examples = nlp_models.load_corpus(nlp_models.corpus_dir(settings))
    params = nlp_models.ClassifierParams()
    plain = nlp_models.train_classifier(examples, params)
    taught = nlp_models.train_classifier(examples, params, TAUGHT)
    assert _topics(plain, PROBES) == ["giao_thong_ha_tang", "giao_thong_ha_tang"]
    assert _topics(taught, PROBES) == ["dat_dai", "giao_thong_ha_tang"]
    # The kind head learnt from exactly the same rows: its probabilities do not move.
    normalised = [nlp_models.normalizer()(t) for t in PROBES]
    assert (
        plain.probabilities(normalised)["kind"] == taught.probabilities(normalised)["kind"]
    ).all()


def test_kind_corrections_teach_the_kind_head(settings: Settings) -> None:
    examples = nlp_models.load_corpus(nlp_models.corpus_dir(settings))
    params = nlp_models.ClassifierParams()
    asks = [
        CorrectedLabel(f"Đường vào thôn {n} có nhiều ổ gà", "kind", "hoi_dap") for n in range(12)
    ]
    plain = nlp_models.train_classifier(examples, params)
    taught = nlp_models.train_classifier(examples, params, asks)
    normalise = nlp_models.normalizer()
    probe = [normalise(PROBES[0])]
    assert plain.predict(probe)["kind"][0].label == "phan_anh"
    assert taught.predict(probe)["kind"][0].label == "hoi_dap"
    assert plain.predict(probe)["topic"][0].label == taught.predict(probe)["topic"][0].label


def test_labels_outside_the_taxonomy_are_not_learnt() -> None:
    corrections = [
        CorrectedLabel("a", "topic", "dat_dai"),
        CorrectedLabel("b", "topic", "retired_topic"),
        CorrectedLabel("c", "kind", "khen_ngoi"),
        CorrectedLabel("d", "kind", "dat_dai"),
        CorrectedLabel("e", "status", "da_dong"),
    ]
    assert [c.text for c in nlp_models.usable_corrections(corrections)] == ["a", "c"]


def test_no_word_of_a_correction_enters_the_model_file(settings: Settings) -> None:
    secret = [
        CorrectedLabel(f"Ông Quỳnhxyz gọi 0912345678 lần {n}", "topic", "dat_dai")
        for n in range(12)
    ]
    metadata = nlp_models.train_and_save(settings, corrections=[*TAUGHT, *secret])
    assert metadata["corrections"] == 24
    data = _model_file(settings).read_bytes()
    classifier, _ = TextClassifier.from_bytes(data)
    vocabulary = {
        term for vectorizer in classifier._vectorizers.values() for term in vectorizer.vocabulary_
    }
    assert vocabulary  # the corpus's terms are there ...
    assert not {t for t in vocabulary if "xyz" in t or "0912345678" in t}  # ... none of these
    assert b"0912345678" not in data


def test_the_model_records_the_corpus_and_the_corrections(settings: Settings) -> None:
    corpus_sha = nlp_models.training_fingerprint(
        nlp_models.corpus_dir(settings), nlp_models.ClassifierParams()
    )
    plain = nlp_models.train_and_save(settings)
    assert plain["training_data_sha256"] == plain["corpus_sha256"] == corpus_sha
    assert plain["corrections"] == 0 and "corrections_sha256" not in plain
    kinds = [CorrectedLabel("Cho hỏi đường vào thôn bao giờ làm?", "kind", "hoi_dap")]
    taught = nlp_models.train_and_save(settings, corrections=[*TAUGHT, *kinds])
    _, saved = TextClassifier.from_bytes(_model_file(settings).read_bytes())
    assert saved == taught
    assert taught["corpus_sha256"] == corpus_sha
    assert taught["training_data_sha256"] not in (corpus_sha, taught["corrections_sha256"])
    assert taught["corrections"] == 13
    assert taught["corrections_by_field"] == {"topic": 12, "kind": 1}
    # The corrections' hash depends on what they teach, not on the order they were read in.
    assert taught["corrections_sha256"] == nlp_models.corrections_fingerprint([*kinds, *TAUGHT])
    other = [CorrectedLabel(c.text, "topic", "khac") for c in TAUGHT]
    assert nlp_models.corrections_fingerprint(other) != taught["corrections_sha256"]


def test_start_up_keeps_a_model_trained_with_corrections(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    nlp_models.train_and_save(settings, corrections=TAUGHT)
    before = _model_file(settings).read_bytes()
    with caplog.at_level(logging.INFO):
        classifier = nlp_models.load_or_train_classifier(settings)
    assert _model_file(settings).read_bytes() == before
    assert "trained" not in caplog.text
    assert _topics(classifier, PROBES[:1]) == ["dat_dai"]


def test_a_changed_corpus_retrains_without_the_corrections_and_says_so(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    nlp_models.train_and_save(settings, corrections=TAUGHT)
    corpus_file = nlp_models.corpus_dir(settings) / "tiny.jsonl"
    corpus_file.write_text(
        corpus_file.read_text(encoding="utf-8").replace("ổ gà", "ổ voi"), encoding="utf-8"
    )
    with caplog.at_level(logging.INFO):
        nlp_models.load_or_train_classifier(settings)
    assert "12 moderator corrections" in caplog.text
    assert "--with-corrections" in caplog.text
    _, metadata = TextClassifier.from_bytes(_model_file(settings).read_bytes())
    assert metadata["corrections"] == 0
    # Nothing the residents wrote is logged.
    assert "thôn" not in caplog.text


def test_a_model_from_before_corrections_is_still_accepted(settings: Settings) -> None:
    # Older files record the corpus hash as training_data_sha256 and nothing else.
    classifier = nlp_models.train_classifier(
        nlp_models.load_corpus(nlp_models.corpus_dir(settings)), nlp_models.ClassifierParams()
    )
    expected = nlp_models.training_fingerprint(
        nlp_models.corpus_dir(settings), nlp_models.ClassifierParams()
    )
    _model_file(settings).parent.mkdir(parents=True)
    _model_file(settings).write_bytes(
        classifier.to_bytes({"training_data_sha256": expected, "examples": 16})
    )
    before = _model_file(settings).stat().st_mtime_ns
    nlp_models.load_or_train_classifier(settings)
    assert _model_file(settings).stat().st_mtime_ns == before
