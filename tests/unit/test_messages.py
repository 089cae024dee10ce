"""Message types, text splitting and reference codes."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from telegram import Update
from telegram.error import RetryAfter

from bot.channels.telegram_adapter import retry_after_seconds, to_incoming
from handlers.codes import ALPHABET, new_reference_code, parse_reference_code
from handlers.messages import Attachment, Button, Event, Outgoing, location, split_text
from tests.fakes import telegram_updates


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("ngắn", 10, ["ngắn"]),
        ("", 10, [""]),
        ("một hai ba bốn", 7, ["một hai", "ba bốn"]),
        ("dòng một\ndòng hai", 12, ["dòng một", "dòng hai"]),
        ("x" * 25, 10, ["x" * 10, "x" * 10, "x" * 5]),
        # Blanks before the first break make no empty message (Telegram refuses those).
        ("     " + "x" * 10, 5, ["x" * 5, "x" * 5]),
        (" " * 12, 5, [""]),
    ],
)
def test_split_text(text: str, limit: int, expected: list[str]) -> None:
    chunks = split_text(text, limit)
    assert chunks == expected
    assert all(len(chunk) <= limit for chunk in chunks)


def test_split_text_keeps_every_word_of_a_long_text() -> None:
    text = " ".join(f"từ{n}" for n in range(3000))
    chunks = split_text(text, 4096)
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert " ".join(chunks).split() == text.split()


def test_plain_text_numbers_buttons_in_reading_order() -> None:
    message = Outgoing("1", "Chọn:", ((Button("A", "a"), Button("B", "b")), (Button("C", "c"),)))
    assert message.as_plain_text() == "Chọn:\n\n1. A\n2. B\n3. C"
    assert Outgoing("1", "Không nút").as_plain_text() == "Không nút"


def test_reference_codes_are_unambiguous_and_parse_back() -> None:
    codes = {new_reference_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert code.startswith("YK-") and len(code) == 9
        assert set(code[3:]) <= set(ALPHABET)
        assert parse_reference_code(code) == code
        assert parse_reference_code(code.lower()) == code
        assert parse_reference_code(code[3:]) == code
        assert parse_reference_code("yk " + code[3:]) == code
    assert not set("01ILO") & set(ALPHABET)


@pytest.mark.parametrize("typed", ["", "YK-", "YK-ABC", "YK-ABCDEFG", "YK-ABCDE0", "hello"])
def test_reference_code_rejects(typed: str) -> None:
    assert parse_reference_code(typed) is None


@pytest.mark.parametrize("opt_in", ["", "1"])
def test_retry_after_seconds_accepts_both_ptb_forms(
    monkeypatch: pytest.MonkeyPatch, opt_in: str
) -> None:
    # PTB 22 returns an int unless PTB_TIMEDELTA opts in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", opt_in)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert retry_after_seconds(RetryAfter(timedelta(seconds=3))) == 3.0


def test_a_telegram_document_and_its_attachment_round_trip() -> None:
    update = telegram_updates.document_update(
        "du-thao.docx", "application/msword", update_id=7, message_id=70, file_size=4096
    )
    incoming = to_incoming(Update.de_json(update, None), datetime(2026, 11, 21, tzinfo=UTC))
    assert incoming is not None and incoming.event is Event.DOCUMENT
    sent = update["message"]["document"]
    document = incoming.attachment
    assert document == Attachment(
        kind="document",
        file_id=sent["file_id"],
        file_unique_id=sent["file_unique_id"],
        file_size=4096,
        file_name="du-thao.docx",
        mime_type="application/msword",
    )
    # Kept in the conversation row as JSON and read back the same.
    assert Attachment.from_dict(json.loads(json.dumps(document.to_dict()))) == document
    photo = Attachment(kind="photo", file_id="p", width=800)
    assert photo.to_dict() == {"kind": "photo", "file_id": "p", "width": 800}
    assert Attachment.from_dict(photo.to_dict()) == photo


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [
        (10.77, 106.7, (10.77, 106.7)),
        ("10.77", "106.7", (10.77, 106.7)),  # Zalo sends text
        (-90, 180, (-90.0, 180.0)),
        (90.5, 106.7, None),
        (10.77, -180.5, None),
        ("nan", "106.7", None),
        (10.77, float("inf"), None),
        (True, 106.7, None),
        ("", "106.7", None),
        (None, 106.7, None),
    ],
)
def test_location_is_finite_and_within_bounds(
    latitude: object, longitude: object, expected: tuple[float, float] | None
) -> None:
    where = location(latitude, longitude)
    found = None if where is None else (where.latitude, where.longitude)
    assert found == expected
