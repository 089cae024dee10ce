"""Pure parts of answers and search: SQLite's folding matches the NLP's, `/traloi` arguments,
search snippets, and the reminder planner's send times."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from bot.answers import AnswerReminderPlanner
from handlers.calendar import WorkingCalendar
from handlers.codes import split_code
from handlers.roles import SEARCH_SNIPPET_CHARS, _snippet
from nlp.text import fold
from storage.answers import FOLD_FROM, FOLD_TO, fold_text

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_folding_table_covers_every_vietnamese_letter_like_the_nlp() -> None:
    assert len(FOLD_TO) == 134 and len(FOLD_FROM) == 134 + 8
    sample = "ĐƯỜNG Lê Lợi NGẬP nước hẻm Ỷ Lan Quý Ông ĐÀO Thị Ướt"
    assert (
        fold_text(sample) == fold(sample) == "duong le loi ngap nuoc hem y lan quy ong dao thi uot"
    )
    # Letter for letter, the SQL folding equals the NLP's (punctuation and spaces aside).
    for char in FOLD_FROM[:134]:
        assert fold_text(char) == fold(char), char
    # Decomposed text (combining marks) folds the same as composed text.
    assert fold_text(unicodedata.normalize("NFD", "Ngập NƯỚC")) == "ngap nuoc"
    assert fold_text(None) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("YK-ABC234 Đã xử lý xong", ("YK-ABC234", "YK-ABC234", "Đã xử lý xong")),
        ("yk abc234   Đã xử lý\\ndòng hai", ("YK-ABC234", "YK-ABC234", "Đã xử lý\\ndòng hai")),
        ("abc234 ok", ("YK-ABC234", "abc234", "ok")),
        ("YK-ABC234", ("YK-ABC234", "YK-ABC234", "")),
        ("không-phải-mã nội dung", (None, "không-phải-mã", "nội dung")),
        ("   ", None),
    ],
)
def test_traloi_arguments(args: str, expected: tuple[str | None, str, str] | None) -> None:
    assert split_code(args.replace("\\n", "\n")) == (
        None if expected is None else (expected[0], expected[1], expected[2].replace("\\n", "\n"))
    )


def test_snippets_are_one_line_and_cut_at_a_word() -> None:
    assert _snippet("Rác\n ùn ứ") == "Rác ùn ứ"
    long = "chữ " * 100
    cut = _snippet(long)
    assert cut.endswith("chữ…") and len(cut) <= SEARCH_SNIPPET_CHARS + 1


def test_reminders_go_out_on_working_days_at_the_hour() -> None:
    planner = AnswerReminderPlanner(cast(Any, None), WorkingCalendar(), VIETNAM, hour=8, before=2)
    # From 07:00 on Friday 4 to 08:00 on Tuesday 8 December 2026: the weekend is skipped.
    found = planner.occurrences(
        datetime(2026, 12, 4, 0, tzinfo=UTC), datetime(2026, 12, 8, 1, tzinfo=UTC)
    )
    assert [moment.day for moment in found] == [4, 7, 8]
    assert all(moment.hour == 8 and moment.tzinfo == VIETNAM for moment in found)
    # 2 September (National Day) is a day off.
    found = planner.occurrences(
        datetime(2026, 9, 1, 2, tzinfo=UTC), datetime(2026, 9, 3, 2, tzinfo=UTC)
    )
    assert [moment.day for moment in found] == [3]
