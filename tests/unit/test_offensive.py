"""Tests of nlp.offensive: the ViHOS-format offensive-span model, on synthetic data only."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nlp.offensive import (
    FORMAT_VERSION,
    ModelFormatError,
    OffensiveSpanModel,
    evaluate_spans,
    read_spans_csv,
    span_f1,
)
from tests.vihos_data import vihos_rows, write_vihos_csv


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("vihos_synthetic")
    return {
        "train": write_vihos_csv(root / "train.csv", vihos_rows(300, seed=1)),
        "dev": write_vihos_csv(root / "dev.csv", vihos_rows(80, seed=2)),
        "test": write_vihos_csv(root / "test.csv", vihos_rows(80, seed=3)),
    }


@pytest.fixture(scope="module")
def model(data: dict[str, Path]) -> OffensiveSpanModel:
    return OffensiveSpanModel.train(data["train"], dev_csv=data["dev"], n_features=2**18)


def test_read_spans_csv(data: dict[str, Path]) -> None:
    """The ViHOS layout is read as (text, set of character offsets); "[]" is clean."""
    rows = read_spans_csv(data["train"])
    assert len(rows) == 300
    for text, offsets in rows:
        assert all(0 <= i < len(text) for i in offsets)
    assert any(not offsets for _, offsets in rows)


def test_span_f1_conventions() -> None:
    """Both empty is a perfect 1.0; one side empty is 0.0; otherwise set F1."""
    assert span_f1(set(), set()) == 1.0
    assert span_f1({1, 2}, set()) == 0.0
    assert span_f1(set(), {1, 2}) == 0.0
    assert span_f1({1, 2}, {2, 3}) == pytest.approx(0.5)


def test_model_learns_the_insults(model: OffensiveSpanModel) -> None:
    """Spans land on the insult phrases of unseen sentences, and clean sentences get none."""
    text = "xin hỏi thủ tục cấp sổ đỏ đồ khốn chợ quê họp từ sáng sớm"
    spans = model.predict_spans([text])[0]
    assert [text[s:e] for s, e, _ in spans] == ["đồ khốn"]
    assert all(model.threshold <= score <= 1.0 for _, _, score in spans)
    assert model.predict_spans(["đường làng bị ngập sâu cảm ơn các anh đã sửa đèn"]) == [[]]
    assert 0.0 < model.threshold < 1.0
    assert model.params["train_rows"] == 300


def test_evaluate_spans(model: OffensiveSpanModel, data: dict[str, Path]) -> None:
    """On data drawn like the training data, character F1 and comment P/R are near perfect."""
    result = evaluate_spans(model, data["test"])
    assert result["comments"] == 80
    assert result["span_f1"] > 0.9
    assert result["comment_precision"] > 0.9
    assert result["comment_recall"] > 0.9
    assert 0.0 <= result["token_macro_f1"] <= 1.0


def test_batch_matches_single(model: OffensiveSpanModel) -> None:
    """Neighbour features never leak between texts of one batch."""
    texts = ["thằng xạo", "", "trường học cần thêm phòng óc bã", "đần thối đồ khốn"]
    batch = model.predict_spans(texts)
    assert batch == [model.predict_spans([t])[0] for t in texts]
    assert batch[1] == []


def test_save_load_round_trip(model: OffensiveSpanModel, tmp_path: Path) -> None:
    """A loaded model predicts exactly what the saved one did, and keeps the metadata."""
    path = tmp_path / "model.npz"
    model.save(path, {"name": "synthetic", "note": "tiếng Việt"})
    loaded = OffensiveSpanModel.load(path)
    texts = [text for text, _ in vihos_rows(50, seed=4)] + ["chào", "ĐỒ KHỐN!!!"]
    assert loaded.predict_spans(texts) == model.predict_spans(texts)
    assert loaded.threshold == model.threshold
    assert loaded.metadata == {"name": "synthetic", "note": "tiếng Việt"}
    params = json.loads(zipfile.ZipFile(path).read("params.json"))
    assert params["format_version"] == FORMAT_VERSION
    assert len(params["train_sha256"]) == 64
    assert params["hashing"]["n_features"] == 2**18


def test_saved_file_has_no_pickle(model: OffensiveSpanModel, tmp_path: Path) -> None:
    """Arrays load with allow_pickle=False, none is an object array, only non-zeros stored."""
    path = tmp_path / "model.npz"
    model.save(path, {})
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files if name != "params.json"}
    assert set(arrays) == {"coef_index", "coef_value"}
    for array in arrays.values():
        assert isinstance(array, np.ndarray)
        assert array.dtype != object
        assert not array.dtype.hasobject
    assert np.all(arrays["coef_value"] != 0)
    assert arrays["coef_index"].size < 2**18
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            assert b"pickle" not in zf.read(name).lower()


def _rewrite_params(src: Path, dst: Path, **changes: object) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item == "params.json":
                params = json.loads(data)
                params.update(changes)
                data = json.dumps(params).encode()
            zout.writestr(item, data)


def test_wrong_format_version_is_rejected(model: OffensiveSpanModel, tmp_path: Path) -> None:
    """A file claiming another format version raises ModelFormatError with a clear message."""
    good = tmp_path / "good.npz"
    model.save(good, {})
    bad = tmp_path / "bad.npz"
    _rewrite_params(good, bad, format_version=FORMAT_VERSION + 1)
    with pytest.raises(ModelFormatError, match="format version"):
        OffensiveSpanModel.load(bad)


@pytest.mark.parametrize(
    "changes",
    [{"format": "something-else"}, {"feature_set": "other"}, {"hashing": {"n_features": 4}}],
)
def test_inconsistent_files_are_rejected(
    model: OffensiveSpanModel, tmp_path: Path, changes: dict[str, object]
) -> None:
    good = tmp_path / "good.npz"
    model.save(good, {})
    bad = tmp_path / "bad.npz"
    _rewrite_params(good, bad, **changes)
    with pytest.raises(ModelFormatError):
        OffensiveSpanModel.load(bad)


def test_not_a_model_file(tmp_path: Path) -> None:
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(ModelFormatError):
        OffensiveSpanModel.load(path)
    with pytest.raises(ModelFormatError):
        OffensiveSpanModel.load(tmp_path / "missing.npz")


def test_clean_texts_lower_false_positives(data: dict[str, Path]) -> None:
    """Extra clean in-domain texts teach the model that their words are not insults."""
    civic = ["trâu bò thả rông", "trâu bò phá lúa", "xin cấp giấy cho trâu bò"] * 20
    base = OffensiveSpanModel.train(data["train"], n_features=2**18)
    adapted = OffensiveSpanModel.train(data["train"], clean_texts=civic, n_features=2**18)
    text = ["trâu bò đần thối"]
    base_logit = base.token_logits(["trâu bò"])[0].max()
    adapted_logit = adapted.token_logits(["trâu bò"])[0].max()
    assert adapted_logit < base_logit
    assert [text[0][s:e] for s, e, _ in adapted.predict_spans(text)[0]] == ["đần thối"]
    assert adapted.params["clean_texts"] == 60


def test_training_needs_both_classes(tmp_path: Path) -> None:
    path = write_vihos_csv(tmp_path / "clean.csv", [("chào buổi sáng", [])] * 5)
    with pytest.raises(ValueError, match="both"):
        OffensiveSpanModel.train(path)
