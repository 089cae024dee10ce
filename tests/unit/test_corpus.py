"""The project's own labelled corpus: well-formed, labelled with the taxonomy, big enough."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from config import taxonomy

CORPUS_DIR = Path(__file__).resolve().parents[2] / "nlp" / "corpus"
ALL_KINDS = {**taxonomy.KINDS, **taxonomy.EXTRA_KINDS}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    """Every example of every corpus file."""
    found: list[dict[str, str]] = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                row = json.loads(line)
                assert set(row) == {"id", "text", "topic", "kind", "split"}, (path, number)
                found.append(row)
    return found


def test_labels_come_from_the_taxonomy(rows: list[dict[str, str]]) -> None:
    assert {r["topic"] for r in rows} == set(taxonomy.TOPICS)
    assert {r["kind"] for r in rows} == set(ALL_KINDS)


def test_ids_and_texts_are_unique(rows: list[dict[str, str]]) -> None:
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"].strip().lower() for r in rows}) == len(rows)
    assert all(r["text"].strip() for r in rows)


def test_the_split_is_fixed_by_id(rows: list[dict[str, str]]) -> None:
    # Every fifth example of each writing batch is held out for development, never trained on.
    # The id names the topic an example was written for; a relabelled example keeps its id
    # (and so its split), which is why the two may differ.
    for row in rows:
        batch, number = row["id"].rsplit("-", 1)
        assert batch in taxonomy.TOPICS, row["id"]
        assert row["split"] == ("dev" if int(number) % 5 == 0 else "train"), row["id"]


def test_minimum_sizes(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= 2400
    topics = Counter(r["topic"] for r in rows)
    kinds = Counter(r["kind"] for r in rows)
    assert all(count >= 150 for topic, count in topics.items() if topic != "khac"), topics
    assert topics["khac"] >= 60
    assert all(count >= 150 for kind, count in kinds.items() if kind != "khen_ngoi"), kinds
    assert kinds["khen_ngoi"] >= 80


def test_covers_short_long_and_unaccented_messages(rows: list[dict[str, str]]) -> None:
    words = [len(r["text"].split()) for r in rows]
    assert sum(w <= 10 for w in words) >= 0.1 * len(rows)
    assert sum(w >= 60 for w in words) >= 0.05 * len(rows)
    unaccented = sum(r["text"].isascii() for r in rows)
    assert unaccented >= 0.15 * len(rows)
