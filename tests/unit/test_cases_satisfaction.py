"""Residents' satisfaction with answers in every digest rendering: chat text, Word, Excel."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import docx
from openpyxl import load_workbook

from bot.reports import write_docx, write_xlsx
from config import cases as config
from handlers.digest_text import average_text, digest_text
from tests.unit.test_digest_text import empty_digest, sample_digest

ISSUE = {"issuer": "Ủy ban MTTQ Việt Nam phường Ba Đình", "number": "15", "place": "Ba Đình"}


def test_the_average_is_written_with_a_decimal_comma() -> None:
    assert average_text(11 / 3) == "3,7"
    assert average_text(3.0) == "3,0"
    assert average_text(5) == "5,0"


def test_chat_digest_shows_satisfaction_only_when_there_are_ratings() -> None:
    rated = replace(sample_digest(), ratings=4, rating_average=4.5)
    line = config.SATISFACTION_CHAT.format(average="4,5", count=4)
    assert line in digest_text(rated).split("\n")
    assert "hài lòng" not in digest_text(sample_digest())
    # A period without new submissions still reports the ratings given in it.
    quiet = replace(empty_digest(), ratings=1, rating_average=2.0)
    assert config.SATISFACTION_CHAT.format(average="2,0", count=1) in digest_text(quiet)


def test_word_report_states_satisfaction_or_that_there_is_none(tmp_path: Path) -> None:
    rated = replace(sample_digest(), ratings=3, rating_average=11 / 3)
    path = write_docx(rated, tmp_path / "rated.docx", **ISSUE)
    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    assert config.SATISFACTION_DOCX.format(count=3, average="3,7") in paragraphs
    assert config.SATISFACTION_DOCX_NONE not in paragraphs
    path = write_docx(sample_digest(), tmp_path / "plain.docx", **ISSUE)
    assert config.SATISFACTION_DOCX_NONE in [p.text for p in docx.Document(str(path)).paragraphs]


def test_workbook_has_one_satisfaction_row(tmp_path: Path) -> None:
    rated = replace(sample_digest(), ratings=3, rating_average=11 / 3)
    rows = [
        list(row)
        for row in load_workbook(write_xlsx(rated, tmp_path / "b.xlsx"))["Tổng hợp"].iter_rows(
            values_only=True
        )
    ]
    (row,) = [r for r in rows if r[0] == config.SATISFACTION_XLSX.format(count=3)]
    assert row[1] == 3.67
    rows = [
        list(row)
        for row in load_workbook(write_xlsx(sample_digest(), tmp_path / "c.xlsx"))[
            "Tổng hợp"
        ].iter_rows(values_only=True)
    ]
    (row,) = [r for r in rows if r[0] == config.SATISFACTION_XLSX.format(count=0)]
    assert row[1] is None
