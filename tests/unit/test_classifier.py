"""The TF-IDF + calibrated linear SVM classifier and its pickle-free model file."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from nlp.classifier import ClassifierParams, ModelFormatError, TextClassifier, select_params
from nlp.text import fold

TOPIC_TEXTS = {
    "dat_dai": [
        "chưa được cấp sổ đỏ",
        "tranh chấp ranh giới đất với hàng xóm",
        "thu hồi đất không bồi thường thỏa đáng",
        "xây nhà không phép trên đất nông nghiệp",
        "hồ sơ tách thửa đất bị trả lại",
        "quy hoạch treo nhiều năm không được xây nhà",
    ],
    "y_te": [
        "trạm y tế không có thuốc",
        "thẻ bảo hiểm y tế bị từ chối khi khám bệnh",
        "bệnh viện quá tải bệnh nhân nằm ghép",
        "ngộ độc thực phẩm ở bếp ăn công ty",
        "tiêm vắc xin cho trẻ bị hoãn",
        "dịch sốt xuất huyết chưa phun thuốc muỗi",
    ],
    "giao_duc": [
        "học phí tăng quá cao",
        "giáo viên ép học sinh học thêm",
        "trường mầm non thiếu phòng học",
        "sách giáo khoa thay đổi liên tục",
        "thi tuyển sinh lớp mười quá căng thẳng",
        "quỹ phụ huynh thu nhiều khoản vô lý",
    ],
}
KINDS = ["phan_anh", "hoi_dap"]


def _dataset() -> tuple[list[str], dict[str, list[str]]]:
    texts, topics, kinds = [], [], []
    for topic, examples in TOPIC_TEXTS.items():
        for number, text in enumerate(examples):
            texts.append(text)
            topics.append(topic)
            kinds.append(KINDS[number % 2])
    return texts, {"topic": topics, "kind": kinds}


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    texts, targets = _dataset()
    return TextClassifier.train(texts, targets, ClassifierParams(min_df=1))


def test_heads_and_labels(model: TextClassifier) -> None:
    assert model.heads == {"topic": ("dat_dai", "giao_duc", "y_te"), "kind": tuple(sorted(KINDS))}


def test_learns_the_topics_with_and_without_diacritics(model: TextClassifier) -> None:
    queries = ["xin cấp sổ đỏ cho đất", "bảo hiểm y tế khám bệnh", "học phí trường học"]
    expected = ["dat_dai", "y_te", "giao_duc"]
    assert [p.label for p in model.predict(queries)["topic"]] == expected
    assert [p.label for p in model.predict([fold(q) for q in queries])["topic"]] == expected


def test_probabilities_are_a_distribution(model: TextClassifier) -> None:
    probabilities = model.probabilities(["sổ đỏ", "một câu chẳng liên quan", ""])
    for head in ("topic", "kind"):
        assert probabilities[head].shape[0] == 3
        assert np.allclose(probabilities[head].sum(axis=1), 1.0)
        assert (probabilities[head] >= 0).all()
    best = model.predict(["sổ đỏ"])["topic"][0]
    column = model.heads["topic"].index(best.label)
    assert best.confidence == pytest.approx(probabilities["topic"][0, column])


def test_no_texts_gives_empty_results(model: TextClassifier) -> None:
    assert model.predict([]) == {"topic": [], "kind": []}


def test_round_trip_gives_identical_probabilities(model: TextClassifier) -> None:
    data = model.to_bytes({"training_data_sha256": "abc"})
    loaded, metadata = TextClassifier.from_bytes(data)
    assert metadata == {"training_data_sha256": "abc"}
    queries = ["xin cấp sổ đỏ", "hoc phi cao qua", "thuốc"]
    for head, matrix in model.probabilities(queries).items():
        assert np.allclose(loaded.probabilities(queries)[head], matrix)


def test_the_file_holds_plain_arrays_only(model: TextClassifier) -> None:
    data = model.to_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)


def _rewrite(data: bytes, name: str, array: np.ndarray) -> bytes:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        content = {key: arrays[key] for key in arrays.files}
    content[name] = array
    buffer = io.BytesIO()
    np.savez(buffer, **content)
    return buffer.getvalue()


def test_an_unknown_format_version_is_refused(model: TextClassifier) -> None:
    data = model.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        header = json.loads(bytes(arrays["header"]).decode())
    header["format"] = 99
    tampered = _rewrite(data, "header", np.frombuffer(json.dumps(header).encode(), np.uint8))
    with pytest.raises(ModelFormatError, match="format"):
        TextClassifier.from_bytes(tampered)


def test_a_pickled_array_is_refused(model: TextClassifier) -> None:
    data = model.to_bytes()
    tampered = _rewrite(data, "topic.coef", np.array([object()], dtype=object))
    with pytest.raises(ModelFormatError):
        TextClassifier.from_bytes(tampered)


def test_mismatched_arrays_are_refused(model: TextClassifier) -> None:
    data = model.to_bytes()
    tampered = _rewrite(data, "topic.coef", np.zeros((3, 5), dtype=np.float32))
    with pytest.raises(ModelFormatError, match="match"):
        TextClassifier.from_bytes(tampered)


@pytest.mark.parametrize("data", [b"", b"not a model", b"PK\x03\x04garbage"])
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(ModelFormatError):
        TextClassifier.from_bytes(data)


def test_binary_labels_work() -> None:
    texts = ["tốt lắm", "rất hay", "tuyệt vời", "dở tệ", "rất kém", "tệ hại"]
    labels = ["pos", "pos", "pos", "neg", "neg", "neg"]
    model = TextClassifier.train(texts, {"s": labels}, ClassifierParams(min_df=1))
    probabilities = model.probabilities(["rất tốt", "kém quá"])["s"]
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert [p.label for p in model.predict(["tuyệt vời lắm", "tệ hại quá"])["s"]] == ["pos", "neg"]


def test_training_rejects_bad_targets() -> None:
    with pytest.raises(ValueError, match="one label per text"):
        TextClassifier.train(["a", "b"], {"x": ["1"]})
    with pytest.raises(ValueError, match="two labels"):
        TextClassifier.train(["a b", "c d"], {"x": ["1", "1"]}, ClassifierParams(min_df=1))


# Twelve road reports and two land ones: without class weights a strongly regularised SVM
# files everything under the big label; weighted, it finds the small one.
ROADS = ["đường ngập nước", "cống tắc", "đèn đường hỏng", "ổ gà giữa đường", "cầu yếu", "vỉa hè vỡ"]
ROADS += ["đường lún", "mương tắc", "xe tải cày nát đường", "đường tối", "đường bụi", "ngập mưa"]
LAND = ["thu hồi đất", "sổ đỏ"]


@pytest.mark.parametrize("weighted_first", [True, False])
def test_select_params_picks_the_candidate_that_does_best_on_dev(weighted_first: bool) -> None:
    texts, labels = ROADS + LAND, ["gt"] * len(ROADS) + ["dd"] * len(LAND)
    dev_texts, dev_labels = (
        ["đất bị thu hồi", "chưa có sổ đỏ đất", "đường ngập"],
        ["dd", "dd", "gt"],
    )
    weighted = ClassifierParams(min_df=1, c=0.01, class_weight_power=1.0)
    unweighted = ClassifierParams(min_df=1, c=0.01, class_weight_power=0.0)
    candidates = [weighted, unweighted] if weighted_first else [unweighted, weighted]
    assert select_params(texts, labels, dev_texts, dev_labels, candidates) == weighted


def test_select_params_needs_a_candidate() -> None:
    texts, targets = _dataset()
    with pytest.raises(ValueError, match="no candidate"):
        select_params(texts, targets["topic"], texts, targets["topic"], [])


@pytest.mark.parametrize(
    "text", ["duong nguyen trai ngap sau", "a bc  xyz", "o", "", "hoc phi 2025 tang 30%"]
)
def test_cached_character_ngrams_equal_sklearns(text: str) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from nlp.classifier import _CharNgrams

    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    cached = _CharNgrams((2, 5))
    assert sorted(cached(text)) == sorted(reference(text))
    assert sorted(cached(text)) == sorted(reference(text))  # second call served from the cache


def test_extra_texts_train_the_heads_they_are_labelled_for_without_new_words() -> None:
    texts, targets = _dataset()
    plain = TextClassifier.train(texts, targets, ClassifierParams(min_df=1))
    extra = [f"quỹ phụ huynh thu tiền khám bệnh zqxw {n}" for n in range(6)]
    taught = TextClassifier.train(
        [*texts, *extra],
        {"topic": [*targets["topic"], *["y_te"] * 6], "kind": [*targets["kind"], *[None] * 6]},
        ClassifierParams(min_df=1),
        vocabulary_size=len(texts),
    )
    probe = ["quỹ phụ huynh thu tiền khám bệnh"]
    assert plain.predict(probe)["topic"][0].label == "giao_duc"
    assert taught.predict(probe)["topic"][0].label == "y_te"
    # The kind head was trained on the very same rows as before.
    assert np.array_equal(plain.probabilities(probe)["kind"], taught.probabilities(probe)["kind"])
    terms = {t for v in taught._vectorizers.values() for t in v.vocabulary_}
    assert terms == {t for v in plain._vectorizers.values() for t in v.vocabulary_}
    assert not any("zqxw" in term for term in terms)
