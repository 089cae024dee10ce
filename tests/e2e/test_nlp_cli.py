"""`ykien nlp train|classify|eval` as an operator runs them (real subprocesses)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot import nlp_models
from config import taxonomy, texts
from config.settings import Settings
from nlp.classifier import TextClassifier
from storage.db import Database
from tests.corrections_data import Corrected, seed_corrections
from tests.e2e.test_cli import Cli, make_cli
from tests.nlp_corpus import write_tiny_corpus

CLASSIFY_KEYS = {"topic", "kind", "confidence", "flags", "redacted"}


@pytest.fixture
def cli(tmp_path: Path, nlp_settings: Settings) -> Cli:
    return make_cli(tmp_path, nlp_settings.model_dir)


def test_classify_one_text(cli: Cli) -> None:
    result = cli.run("nlp", "classify", "Mất nước ba ngày rồi, ai xử lý giúp, sđt 0987.654.321")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    row = json.loads(line)
    assert set(row) >= CLASSIFY_KEYS
    assert row["topic"] == "dien_nuoc_vien_thong"
    assert row["kind"] in {**taxonomy.KINDS, **taxonomy.EXTRA_KINDS}
    assert set(row["confidence"]) == {"topic", "kind"}
    assert row["redacted"] == "Mất nước ba ngày rồi, ai xử lý giúp, sđt [SĐT]"
    assert [flag["code"] for flag in row["flags"]] == ["pii"]
    assert row["flags"][0]["evidence"][0]["text"] == "0987.654.321"
    # the text is on stdout for the operator who asked, never in the logs
    assert "0987" not in result.stderr


def test_classify_jsonl_in_batch_keeps_ids(cli: Cli, tmp_path: Path) -> None:
    texts_in = {
        "a": "Đèn đường ngõ 7 hỏng cả tháng",
        7: "Học phí trường mầm non tăng gấp đôi",
        "c": "xin cam on cong an xa da giup do",
    }
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(
            json.dumps({"id": k, "text": v}, ensure_ascii=False) + "\n" for k, v in texts_in.items()
        )
        + "\n",  # a blank line is skipped
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = cli.run("nlp", "classify", "--jsonl", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == list(texts_in)
    assert all(set(row) >= CLASSIFY_KEYS for row in rows)
    assert [row["topic"] for row in rows[:2]] == ["giao_thong_ha_tang", "giao_duc"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": 1, "text": "ổn"}\n{"id": 2, "text": \n', texts.NLP_BAD_JSON.split("{")[0]),
        ('{"id": 1, "text": "ổn"}\n{"id": 2}\n', texts.NLP_BAD_ROW.format(line=2)),
        ('{"id": 1, "text": 5}\n', texts.NLP_BAD_ROW.format(line=1)),
    ],
)
def test_bad_jsonl_writes_nothing_and_says_why(
    cli: Cli, tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = cli.run("nlp", "classify", "--jsonl", str(source), "--out", str(out))
    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob("out.jsonl*"))


def test_classify_needs_exactly_one_input(cli: Cli, tmp_path: Path) -> None:
    result = cli.run("nlp", "classify")
    assert result.returncode == 2
    assert texts.NLP_CLASSIFY_USAGE in result.stderr
    missing = cli.run("nlp", "classify", "--jsonl", str(tmp_path / "absent.jsonl"))
    assert missing.returncode == 2
    assert "absent.jsonl" in missing.stderr


def test_train_writes_the_model_into_the_data_dir(tmp_path: Path, nlp_settings: Settings) -> None:
    cli = make_cli(tmp_path, nlp_settings.model_dir)
    corpus = write_tiny_corpus(tmp_path / "corpus")
    tiny = cli.with_env(YKIEN_NLP_CORPUS_DIR=str(corpus))
    model = tiny.data_dir / "models" / "classifier.npz"
    before = model.read_bytes()
    result = tiny.run("nlp", "train")
    assert result.returncode == 0, result.stderr
    assert "16" in result.stdout  # examples learnt from
    assert model.read_bytes() != before


def test_eval_own_kind_prints_json_with_the_baseline(
    tmp_path: Path, nlp_settings: Settings
) -> None:
    cli = make_cli(tmp_path, nlp_settings.model_dir)
    corpus = write_tiny_corpus(tmp_path / "corpus")
    result = cli.with_env(YKIEN_NLP_CORPUS_DIR=str(corpus)).run(
        "nlp", "eval", "--dataset", "own-kind", "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    keys = {"accuracy", "macro_f1", "weighted_f1", "texts_per_second", "per_class"}
    assert {"dataset", "baseline"} | keys <= set(report)
    assert keys <= set(report["baseline"])
    assert report["dataset"] == "own-kind"
    assert set(report["per_class"]) <= {"phan_anh", "hoi_dap"}


def test_eval_without_the_data_says_so(cli: Cli, tmp_path: Path) -> None:
    result = cli.run("nlp", "eval", "--dataset", "vihsd", "--data-dir", str(tmp_path / "none"))
    assert result.returncode == 2
    assert texts.NLP_NO_DATASET.format(name="vihsd", error="")[:30] in result.stderr


def test_bench_commands_print_their_figures(tmp_path: Path, nlp_settings: Settings) -> None:
    cli = make_cli(tmp_path, nlp_settings.model_dir)
    corpus = write_tiny_corpus(tmp_path / "corpus")
    nlp_bench = cli.with_env(YKIEN_NLP_CORPUS_DIR=str(corpus)).run(
        "bench", "nlp", "--messages", "200", "--runs", "1"
    )
    assert nlp_bench.returncode == 0, nlp_bench.stderr
    figures = json.loads(nlp_bench.stdout)
    assert figures["messages"] == 200
    assert figures["messages_per_second_median"] > 0
    dedup = cli.run("bench", "dedup", "--rows", "1500")
    assert dedup.returncode == 0, dedup.stderr
    result = json.loads(dedup.stdout)
    assert result["rows"] == 1500
    assert result["assign_ms_p50"] > 0


def _seed_database(cli: Cli, items: list[Corrected]) -> None:
    assert cli.run("db", "upgrade").returncode == 0

    async def seed() -> None:
        db = Database(f"sqlite+aiosqlite:///{cli.database}")
        try:
            await seed_corrections(db, items)
        finally:
            await db.dispose()

    asyncio.run(seed())


def test_train_and_eval_with_the_moderators_corrections(
    tmp_path: Path, nlp_settings: Settings
) -> None:
    corpus = write_tiny_corpus(tmp_path / "corpus")
    cli = make_cli(tmp_path, nlp_settings.model_dir).with_env(YKIEN_NLP_CORPUS_DIR=str(corpus))
    potholes = [
        Corrected(f"Đường vào thôn {n} có nhiều ổ gà", [("topic", "giao_thong_ha_tang", "dat_dai")])
        for n in range(12)
    ]
    dev_copy = Corrected("Cầu tạm qua kênh sắp sập", [("topic", "giao_thong_ha_tang", "khac")])
    _seed_database(cli, [*potholes, dev_copy])

    trained = cli.run("nlp", "train", "--with-corrections")
    assert trained.returncode == 0, trained.stderr
    assert "16 ví dụ" in trained.stdout and "13 nhãn" in trained.stdout
    _, metadata = TextClassifier.from_bytes(
        (cli.data_dir / "models" / nlp_models.CLASSIFIER_FILE).read_bytes()
    )
    assert metadata["corrections"] == 13
    assert metadata["corpus_sha256"] == nlp_models.training_fingerprint(
        corpus, nlp_models.ClassifierParams()
    )
    classified = cli.run("nlp", "classify", "Đường vào thôn 20 có nhiều ổ gà")
    assert json.loads(classified.stdout)["topic"] == "dat_dai"

    evaluated = cli.run("nlp", "eval", "--dataset", "own-topic", "--with-corrections", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    keys = {"accuracy", "macro_f1", "weighted_f1", "corrections", "left_out_in_test"}
    assert keys <= set(report["with_corrections"])
    assert report["with_corrections"]["corrections"] == 12
    assert report["with_corrections"]["left_out_in_test"] == 1  # a dev text: no leak
    for result in (trained, evaluated):
        assert "ổ gà" not in result.stderr and "kênh" not in result.stderr
