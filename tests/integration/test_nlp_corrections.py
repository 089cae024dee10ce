"""`ykien nlp train|eval` with moderators' corrections read from the database (both engines)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from bot import nlp_cli, nlp_models
from bot.cli import build_parser
from config import texts
from config.settings import Settings
from nlp.classifier import TextClassifier
from storage.db import Database
from tests.corrections_data import Corrected, seed_corrections
from tests.nlp_corpus import write_tiny_corpus

# Near-identical pothole messages (a traffic matter in the tiny corpus) that moderators moved
# to land; one more was first moved elsewhere, then back: only its latest correction counts.
POTHOLES = [
    Corrected(f"Đường vào thôn {n} có nhiều ổ gà", [("topic", "giao_thong_ha_tang", "dat_dai")])
    for n in range(11)
]
POTHOLES.append(
    Corrected(
        "Đường vào thôn 11 có nhiều ổ gà",
        [("topic", "giao_thong_ha_tang", "khac"), ("topic", "khac", "dat_dai")],
    )
)
# The tiny corpus's dev text "Cầu tạm qua kênh sắp sập", retyped without diacritics.
DEV_COPY = Corrected("cau tam qua kenh sap sap", [("topic", "giao_thong_ha_tang", "dat_dai")])
ASKED = Corrected("Đường vào thôn 3 có nhiều ổ gà không ạ", [("kind", "phan_anh", "hoi_dap")])
PROBE = "Đường vào thôn 20 có nhiều ổ gà"


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    corpus = write_tiny_corpus(tmp_path / "corpus")
    return Settings(
        YKIEN_DATA_DIR=tmp_path / "data", YKIEN_NLP_CORPUS_DIR=corpus, YKIEN_DATABASE_URL=db.url
    )


async def _cli(settings: Settings, *argv: str) -> None:
    # The command runs its own event loop (asyncio.run), as under the console script.
    await asyncio.to_thread(nlp_cli.run, build_parser().parse_args(["nlp", *argv]), settings)


def _topic_of(settings: Settings, text: str) -> str:
    classifier, _ = TextClassifier.from_bytes(
        (settings.model_dir / nlp_models.CLASSIFIER_FILE).read_bytes()
    )
    return classifier.predict([nlp_models.normalizer()(text)])["topic"][0].label


async def test_train_with_corrections_follows_the_moderators(
    db: Database,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await seed_corrections(db, [*POTHOLES, DEV_COPY, ASKED])
    await _cli(settings, "train")
    assert _topic_of(settings, PROBE) == "giao_thong_ha_tang"
    capsys.readouterr()
    with caplog.at_level(logging.INFO):
        await _cli(settings, "train", "--with-corrections")
    assert _topic_of(settings, PROBE) == "dat_dai"
    out = capsys.readouterr().out
    assert out.strip() == texts.NLP_TRAINED_WITH_CORRECTIONS.format(
        examples=16,
        corrections=14,
        topic=13,
        kind=1,
        train_seconds=out.split(" trong ")[1].split()[0],
    )
    _, metadata = TextClassifier.from_bytes(
        (settings.model_dir / nlp_models.CLASSIFIER_FILE).read_bytes()
    )
    assert metadata["corrections"] == 14
    assert metadata["corpus_sha256"] != metadata["training_data_sha256"]
    # The moderators' examples are read, never logged.
    assert "ổ gà" not in caplog.text and "kenh" not in caplog.text
    # The start-up check keeps this model.
    nlp_models.load_or_train_classifier(settings)
    assert _topic_of(settings, PROBE) == "dat_dai"


async def test_eval_reports_with_and_without_the_corrections_leaving_dev_out(
    db: Database, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed_corrections(db, [*POTHOLES, DEV_COPY, ASKED])
    # The database holds corrections: the second block comes without asking.
    await _cli(settings, "eval", "--dataset", "own-topic", "--json")
    report = json.loads(capsys.readouterr().out)
    extra = report["with_corrections"]
    assert {"accuracy", "macro_f1", "weighted_f1", "per_class"} <= set(extra)
    assert extra["corrections"] == 12  # the potholes; the dev text retyped is left out
    assert extra["left_out_in_test"] == 1
    assert extra["n_train"] == report["n_train"] + 12
    await _cli(settings, "eval", "--dataset", "own-kind")
    text = capsys.readouterr().out
    assert "With 1 moderator corrections (0 left out" in text


async def test_eval_with_the_flag_always_shows_the_block(
    db: Database, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await _cli(settings, "eval", "--dataset", "own-kind", "--json")
    assert "with_corrections" not in json.loads(capsys.readouterr().out)
    await _cli(settings, "eval", "--dataset", "own-kind", "--json", "--with-corrections")
    report = json.loads(capsys.readouterr().out)
    assert report["with_corrections"]["corrections"] == 0
    assert report["with_corrections"]["macro_f1"] == report["macro_f1"]


async def test_corrections_apply_to_our_own_corpus_only(settings: Settings) -> None:
    with pytest.raises(nlp_cli.InputError, match="own-topic"):
        await _cli(settings, "eval", "--dataset", "vihsd", "--with-corrections")


def test_without_a_database_file_evaluation_reads_no_corrections(tmp_path: Path) -> None:
    settings = Settings(YKIEN_DATA_DIR=tmp_path / "data")
    assert nlp_cli.read_corrections(settings, required=False) == []
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("url", ["postgresql+asyncpg://nobody@127.0.0.1:1/none", "no-such-url"])
def test_an_unreachable_database_is_named_clearly(tmp_path: Path, url: str) -> None:
    settings = Settings(YKIEN_DATA_DIR=tmp_path / "data", YKIEN_DATABASE_URL=url)
    with pytest.raises(nlp_cli.InputError) as raised:
        nlp_cli.read_corrections(settings)
    assert str(raised.value).startswith(texts.NLP_CANNOT_READ_CORRECTIONS.split("{")[0])
    assert nlp_cli.read_corrections(settings, required=False) == []
