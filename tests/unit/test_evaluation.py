"""The benchmark module: dataset loaders, scoring, the fastText baseline and the report."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.evaluation import (
    DATASETS,
    Dataset,
    DatasetError,
    FastTextBaseline,
    evaluate,
    format_report,
    load_dataset,
    outside_test,
    score,
    train_duplicate_mask,
    with_extra_training,
)

METRIC_KEYS = {
    "accuracy",
    "macro_f1",
    "weighted_f1",
    "per_class",
    "train_seconds",
    "texts_per_second",
    "model_bytes",
    "n_train",
    "n_test",
}


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A tiny UIT-VSFC and ViHSD in their CSV formats (one test row duplicates a train row)."""
    root = tmp_path / "datasets"
    vsfc = {
        "train": [("thầy dạy hay .", 2, 0), ("phòng học nóng quá .", 0, 2)],
        "dev": [("môn học bổ ích .", 2, 1)],
        "test": [("wifi yếu .", 0, 2), ("không có ý kiến .", 1, 3)],
    }
    for split, rows in vsfc.items():
        _write_csv(root / "uit-vsfc" / f"{split}.csv", ("sentence", "sentiment", "topic"), rows)
    vihsd = {
        "train": [("Hay quá", 0), ("đồ ngu", 1), ("Cút về nước đi\nbọn kia", 2)],
        "dev": [("ok bạn", 0)],
        "test": [("  HAY   quá ", 0), ("thằng điên", 1)],
    }
    for split, rows in vihsd.items():
        _write_csv(root / "vihsd" / f"{split}.csv", ("free_text", "label_id"), rows)
    return root


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A tiny project corpus split over two JSONL files."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    rows = [
        {"id": "a-1", "text": "Mất điện", "topic": "dien", "kind": "phan_anh", "split": "train"},
        {"id": "a-2", "text": "Cúp nước", "topic": "nuoc", "kind": "phan_anh", "split": "dev"},
        {"id": "b-1", "text": "Cảm ơn xã", "topic": "khac", "kind": "khen_ngoi", "split": "train"},
    ]
    (folder / "part1.jsonl").write_text(json.dumps(rows[0]) + "\n\n", encoding="utf-8")
    (folder / "part2.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[1:]), encoding="utf-8"
    )
    return folder


# --- loaders --------------------------------------------------------------------------------


def test_vsfc_topic_has_readable_labels_and_three_splits(data_dir: Path, corpus_dir: Path) -> None:
    ds = load_dataset("vsfc-topic", data_dir, corpus_dir)
    assert ds.train_texts == ("thầy dạy hay .", "phòng học nóng quá .")
    assert ds.train_labels == ("lecturer", "facility")
    assert ds.dev_labels == ("training_program",)
    assert ds.test_labels == ("facility", "others")


def test_vsfc_sentiment(data_dir: Path, corpus_dir: Path) -> None:
    ds = load_dataset("vsfc-sentiment", data_dir, corpus_dir)
    assert ds.train_labels == ("positive", "negative")
    assert ds.dev_labels == ("positive",)
    assert ds.test_labels == ("negative", "neutral")


def test_vihsd_keeps_multiline_comments(data_dir: Path, corpus_dir: Path) -> None:
    ds = load_dataset("vihsd", data_dir, corpus_dir)
    assert ds.train_labels == ("CLEAN", "OFFENSIVE", "HATE")
    assert ds.train_texts[2] == "Cút về nước đi\nbọn kia"
    assert ds.dev_texts == ("ok bạn",)
    assert ds.test_labels == ("CLEAN", "OFFENSIVE")


def test_own_corpus_trains_on_train_and_reports_on_dev(data_dir: Path, corpus_dir: Path) -> None:
    topic = load_dataset("own-topic", data_dir, corpus_dir)
    assert topic.train_texts == ("Mất điện", "Cảm ơn xã")
    assert topic.train_labels == ("dien", "khac")
    assert (topic.test_texts, topic.test_labels) == (("Cúp nước",), ("nuoc",))
    assert topic.dev_texts == ()
    kind = load_dataset("own-kind", data_dir, corpus_dir)
    assert kind.train_labels == ("phan_anh", "khen_ngoi")
    assert kind.test_labels == ("phan_anh",)


def test_every_name_is_known() -> None:
    assert DATASETS == ("own-topic", "own-kind", "vsfc-topic", "vsfc-sentiment", "vihsd")


def test_unknown_dataset(data_dir: Path, corpus_dir: Path) -> None:
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("imdb", data_dir, corpus_dir)


def test_missing_file(data_dir: Path, corpus_dir: Path) -> None:
    (data_dir / "vihsd" / "test.csv").unlink()
    with pytest.raises(DatasetError, match=r"missing dataset file: .*test\.csv"):
        load_dataset("vihsd", data_dir, corpus_dir)


def test_missing_data_dir(tmp_path: Path, corpus_dir: Path) -> None:
    with pytest.raises(DatasetError, match="missing"):
        load_dataset("vsfc-topic", tmp_path / "nowhere", corpus_dir)


def test_missing_corpus(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="missing corpus"):
        load_dataset("own-topic", data_dir, tmp_path / "nowhere")


def test_missing_column(data_dir: Path, corpus_dir: Path) -> None:
    _write_csv(data_dir / "vihsd" / "dev.csv", ("text", "label_id"), [("a", 0)])
    with pytest.raises(DatasetError, match="missing column"):
        load_dataset("vihsd", data_dir, corpus_dir)


@pytest.mark.parametrize("label", ["3", "x", ""])
def test_bad_label(data_dir: Path, corpus_dir: Path, label: str) -> None:
    _write_csv(data_dir / "vihsd" / "dev.csv", ("free_text", "label_id"), [("a", label)])
    with pytest.raises(DatasetError, match="bad label_id"):
        load_dataset("vihsd", data_dir, corpus_dir)


def test_bad_corpus_line(data_dir: Path, corpus_dir: Path) -> None:
    (corpus_dir / "part3.jsonl").write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"part3\.jsonl:1"):
        load_dataset("own-kind", data_dir, corpus_dir)
    (corpus_dir / "part3.jsonl").write_text("not json\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="not JSON"):
        load_dataset("own-kind", data_dir, corpus_dir)


def test_train_duplicates_are_found_after_normalisation(data_dir: Path, corpus_dir: Path) -> None:
    ds = load_dataset("vihsd", data_dir, corpus_dir)
    assert train_duplicate_mask(ds) == [True, False]


# --- score ------------------------------------------------------------------------------------


def test_score_matches_hand_computed_values() -> None:
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "c", "c"]
    got = score(y_true, y_pred)
    # a: P 2/2 R 2/3 F1 0.8; b: P 1/2 R 1/2 F1 0.5; c: P 1/2 R 1/1 F1 2/3.
    assert got["accuracy"] == pytest.approx(4 / 6)
    assert got["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert got["weighted_f1"] == pytest.approx((3 * 0.8 + 2 * 0.5 + 1 * 2 / 3) / 6)
    assert got["per_class"]["a"] == pytest.approx(
        {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3}
    )
    assert got["per_class"]["b"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    )
    assert got["per_class"]["c"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    )


def test_score_lists_a_predicted_label_missing_from_the_truth() -> None:
    got = score(["a", "a"], ["a", "z"])
    assert got["per_class"]["z"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert got["accuracy"] == 0.5


# --- evaluate and the baseline ------------------------------------------------------------------

_WORDS = {
    "dien": ["mất điện", "cúp điện", "điện chập chờn", "chưa có điện", "cột điện đổ"],
    "nuoc": ["mất nước", "nước đục", "cúp nước", "nước máy bẩn", "không có nước"],
}


def _toy() -> Dataset:
    """A trivially separable two-class set: every text names its class's keyword."""
    texts, labels = [], []
    for label, phrases in _WORDS.items():
        for i in range(30):
            texts.append(f"{phrases[i % 5]} ở thôn {i} {'ạ' if i % 2 else ''}")
            labels.append(label)
    test = ["nhà tôi mất điện", "cúp điện cả ngày", "nước máy đục", "không có nước dùng"]
    return Dataset(
        name="toy",
        train_texts=tuple(texts),
        train_labels=tuple(labels),
        test_texts=(*test, texts[0]),
        test_labels=("dien", "dien", "nuoc", "nuoc", labels[0]),
    )


class MajorityEngine:
    """The commonest training label for every text."""

    def __init__(self) -> None:
        self.label = ""

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.label = Counter(labels).most_common(1)[0][0]

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.label] * len(texts)

    def size_bytes(self) -> int:
        return len(self.label.encode())


def test_fasttext_baseline_learns_a_separable_set() -> None:
    model = FastTextBaseline()
    ds = _toy()
    model.fit(ds.train_texts, ds.train_labels)
    assert model.predict(list(ds.test_texts)) == list(ds.test_labels)
    assert model.predict(["", "a\nb"])[0] in {"dien", "nuoc"}
    assert model.size_bytes() > 0


def _small_fasttext() -> FastTextBaseline:
    # The issue's parameters with a smaller hash table: fastText's default bucket count makes
    # an 800 MB model, which is slow to save just to measure it.
    return FastTextBaseline(bucket=20_000)


def test_evaluate_returns_every_key_for_engine_and_baseline() -> None:
    result = evaluate(_toy(), MajorityEngine, make_baseline=_small_fasttext)
    assert result["dataset"] == "toy"
    assert set(result) >= METRIC_KEYS
    assert set(result["baseline"]) >= METRIC_KEYS
    assert result["n_train"] == 60 and result["n_test"] == 5
    assert result["accuracy"] == pytest.approx(3 / 5)  # "dien" is first among equals
    assert result["model_bytes"] == 4
    assert result["texts_per_second"] > 0 and result["train_seconds"] >= 0
    assert result["baseline"]["accuracy"] == 1.0
    assert result["baseline"]["macro_f1"] == 1.0
    # The last test text is a train text: figures without it are reported too.
    without = result["without_train_duplicates"]
    assert without["n_test"] == 4
    assert without["accuracy"] == pytest.approx(2 / 4)
    assert result["baseline"]["without_train_duplicates"]["accuracy"] == 1.0
    json.dumps(result)  # what --json prints


def test_fasttext_parameters_follow_the_issue() -> None:
    params = FastTextBaseline().params
    assert {k: params[k] for k in ("wordNgrams", "minn", "maxn", "epoch", "thread")} == {
        "wordNgrams": 2,
        "minn": 2,
        "maxn": 5,
        "epoch": 25,
        "thread": 1,
    }
    assert "lr" not in params and "dim" not in params  # fastText's defaults (0.1, 100)


def test_evaluate_without_duplicates_adds_no_key() -> None:
    ds = _toy()
    ds = Dataset(ds.name, ds.train_texts, ds.train_labels, ds.test_texts[:4], ds.test_labels[:4])
    result = evaluate(ds, MajorityEngine, make_baseline=MajorityEngine)
    assert "without_train_duplicates" not in result


def test_format_report_shows_both_columns_in_percent() -> None:
    result = evaluate(_toy(), MajorityEngine, make_baseline=MajorityEngine)
    result["baseline"]["accuracy"] = 0.98765
    text = format_report(result)
    assert "toy" in text
    assert "60.00" in text and "98.77" in text
    assert "fastText" in text and "dien" in text and "nuoc" in text
    assert "w/o train dups (n=4)" in text


def test_generic_engine_chooses_its_parameters_on_the_dev_split() -> None:
    from bot.nlp_cli import SELECTION_GRID, GenericEngine
    from nlp.classifier import ClassifierParams

    texts = ["mất điện cả ngày", "cúp điện liên tục", "điện chập chờn", "nước đục ngầu"]
    texts += ["mất nước sinh hoạt", "nước máy có mùi"]
    labels = ["dien"] * 3 + ["nuoc"] * 3
    dev = (["điện mất hoài", "nước bẩn quá"], ["dien", "nuoc"])
    tuned, shipped = GenericEngine(dev=dev), GenericEngine()
    tuned.fit(texts, labels)
    shipped.fit(texts, labels)
    assert tuned.params in SELECTION_GRID
    assert shipped.params == ClassifierParams()
    assert tuned.predict(dev[0]) == dev[1]


# --- moderators' corrections added to training ------------------------------------------------


class LookupEngine(MajorityEngine):
    """The majority label, except for a text it was given as an extra example."""

    def __init__(self, extra_texts: Sequence[str], extra_labels: Sequence[str]) -> None:
        super().__init__()
        self.extra = dict(zip(extra_texts, extra_labels, strict=True))

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.extra.get(text, self.label) for text in texts]


def _with_dev(ds: Dataset) -> Dataset:
    return Dataset(
        ds.name,
        ds.train_texts,
        ds.train_labels,
        ds.test_texts,
        ds.test_labels,
        ("Đèn hỏng",),
        ("x",),
    )


def test_corrections_whose_text_is_held_out_are_left_out() -> None:
    ds = _with_dev(_toy())  # test texts: "nhà tôi mất điện", "cúp điện cả ngày", ...
    texts = [
        "nhà tôi mất điện",  # a test text
        "CUP DIEN ca ngay!!",  # the same test text retyped: no diacritics, other case and marks
        "  đèn   HỎNG. ",  # the dev text
        "nhà tôi mất điện hôm qua",  # a different message
    ]
    kept, labels, left_out = outside_test(ds, texts, ["nuoc", "nuoc", "nuoc", "dien"])
    assert (kept, labels, left_out) == (["nhà tôi mất điện hôm qua"], ["dien"], 3)


def test_with_extra_training_scores_on_the_same_test_split_without_leaks() -> None:
    ds = _toy()
    plain = evaluate(ds, MajorityEngine, make_baseline=MajorityEngine)
    given: list[list[str]] = []

    def make(texts: Sequence[str], labels: Sequence[str]) -> LookupEngine:
        given.append(list(texts))
        return LookupEngine(texts, labels)

    # The engine would score 100% if the test texts leaked in; only the train text may teach.
    leaky = [(t, y) for t, y in zip(ds.test_texts, ds.test_labels, strict=True)]
    extra = [*leaky, ("mất điện ở thôn 99", "dien")]
    result = with_extra_training(ds, [t for t, _ in extra], [y for _, y in extra], make)
    assert given == [["mất điện ở thôn 99"]]
    assert result["corrections"] == 1 and result["left_out_in_test"] == 5
    assert result["n_train"] == 61
    assert result["accuracy"] == plain["accuracy"]
    assert {"accuracy", "macro_f1", "weighted_f1", "per_class", "train_seconds"} <= set(result)


def test_format_report_shows_the_figures_with_corrections() -> None:
    ds = _toy()
    result = evaluate(ds, MajorityEngine, make_baseline=MajorityEngine)
    result["with_corrections"] = {
        "accuracy": 0.75,
        "macro_f1": 0.5,
        "weighted_f1": 0.625,
        "corrections": 42,
        "left_out_in_test": 3,
    }
    text = format_report(result)
    assert "With 42 moderator corrections (3 left out" in text
    block = text[text.index("With 42") :].splitlines()
    assert block[2].split() == ["accuracy", "%", "60.00", "75.00", "+15.00"]


def test_generic_engine_learns_extra_examples_without_their_words() -> None:
    from bot.nlp_cli import GenericEngine

    texts = ["mất điện cả ngày", "cúp điện liên tục", "điện chập chờn", "nước đục ngầu"]
    texts += ["mất nước sinh hoạt", "nước máy có mùi"]
    labels = ["dien"] * 3 + ["nuoc"] * 3
    extra = [f"điện nước chập chờn quá xyzzy {n}" for n in range(8)]
    plain, taught = GenericEngine(), GenericEngine(extra=(extra, ["nuoc"] * 8))
    plain.fit(texts, labels)
    taught.fit(texts, labels)
    probe = ["điện nước chập chờn quá"]
    assert plain.predict(probe) == ["dien"]
    assert taught.predict(probe) == ["nuoc"]
    assert taught._model is not None
    assert not any(
        "xyzzy" in term for v in taught._model._vectorizers.values() for term in v.vocabulary_
    )
