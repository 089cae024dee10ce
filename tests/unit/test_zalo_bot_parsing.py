"""Zalo Bot API updates → Incoming, the envelope forms, and the error type (no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.zalo_bot import (
    CHANNEL,
    ZaloBotError,
    to_incoming,
    unwrap,
)
from handlers.messages import Attachment, Event, UserRef
from tests.fakes.zalo_bot_server import (
    DEFAULT_GROUP_ID,
    DEFAULT_PHOTO_URL,
    DEFAULT_USER_ID,
    event_update,
    image_update,
    sticker_update,
    text_update,
    voice_update,
    wrap,
)

NOW = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)

# The sample update of the Bot Platform documentation, verbatim.
DOCUMENTED_SAMPLE: dict[str, Any] = {
    "ok": True,
    "result": {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": "6ede9afa66b88fe6d6a9", "display_name": "Ted", "is_bot": False},
            "chat": {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"},
            "text": "Xin chào",
            "message_id": "2d758cb5e222177a4e35",
            "date": 1750316131602,
        },
    },
}


# --- unwrap -------------------------------------------------------------------------------


def test_unwrap_accepts_the_wrapped_and_the_unwrapped_form() -> None:
    update = text_update("chào")
    assert unwrap(update) is update
    assert unwrap(wrap(update)) is update
    assert unwrap(DOCUMENTED_SAMPLE) is DOCUMENTED_SAMPLE["result"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="null"),
        pytest.param("message.text.received", id="string"),
        pytest.param([text_update("a")], id="list"),
        pytest.param({}, id="empty"),
        pytest.param({"message": text_update("a")["message"]}, id="no-event_name"),
        pytest.param({"event_name": 7, "message": {}}, id="event_name-not-text"),
        pytest.param({"ok": False, "result": text_update("a")}, id="ok-false"),
        pytest.param({"ok": "true", "result": text_update("a")}, id="ok-not-bool"),
        pytest.param({"ok": True, "result": [text_update("a")]}, id="result-list"),
        pytest.param({"ok": True, "result": {"message": {}}}, id="result-no-event"),
    ],
)
def test_unwrap_rejects_what_is_neither_form(body: Any) -> None:
    assert unwrap(body) is None


# --- to_incoming --------------------------------------------------------------------------


def test_documented_sample_becomes_a_private_text() -> None:
    incoming = to_incoming(DOCUMENTED_SAMPLE, NOW)
    assert incoming is not None
    assert incoming.event is Event.TEXT
    assert incoming.text == "Xin chào"
    assert incoming.user == UserRef(CHANNEL, "6ede9afa66b88fe6d6a9")
    assert incoming.chat_id == "6ede9afa66b88fe6d6a9"
    assert incoming.update_id == "2d758cb5e222177a4e35"
    assert incoming.received_at == NOW
    assert incoming.is_private
    assert incoming.attachment is None


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("/start", "start", ""),
        ("/START", "start", ""),
        ("/trangthai YK-7F3Q9X", "trangthai", "YK-7F3Q9X"),
        ("/TrangThai@ykien_bot   YK-7F3Q9X  ", "trangthai", "YK-7F3Q9X"),
        ("/huy@ykien_bot", "huy", ""),
    ],
)
def test_slash_text_is_a_command(text: str, command: str, args: str) -> None:
    incoming = to_incoming(text_update(text), NOW)
    assert incoming is not None
    assert (incoming.event, incoming.command, incoming.args) == (Event.COMMAND, command, args)
    assert incoming.text == text


def test_text_that_merely_contains_a_slash_is_text() -> None:
    incoming = to_incoming(text_update("đường 3/2 bị ngập"), NOW)
    assert incoming is not None
    assert incoming.event is Event.TEXT
    assert incoming.command == ""


def test_numeric_ids_become_text() -> None:
    update = event_update("message.text.received", text="1")
    update["message"]["from"]["id"] = 12345
    update["message"]["chat"]["id"] = 12345
    update["message"]["message_id"] = 987654321
    incoming = to_incoming(update, NOW)
    assert incoming is not None
    assert (incoming.user.external_id, incoming.chat_id, incoming.update_id) == (
        "12345",
        "12345",
        "987654321",
    )


@pytest.mark.parametrize("chat_type", ["GROUP", "group", "COMMUNITY", 2])
def test_anything_but_a_private_chat_is_not_private(chat_type: Any) -> None:
    update = text_update("xin chào", chat_id=DEFAULT_GROUP_ID)
    update["message"]["chat"]["chat_type"] = chat_type
    incoming = to_incoming(update, NOW)
    assert incoming is not None
    assert not incoming.is_private
    assert incoming.chat_id == DEFAULT_GROUP_ID
    assert incoming.user.external_id == DEFAULT_USER_ID


def test_missing_chat_type_counts_as_private() -> None:
    update = text_update("xin chào")
    del update["message"]["chat"]["chat_type"]
    incoming = to_incoming(update, NOW)
    assert incoming is not None and incoming.is_private


@pytest.mark.parametrize("field", ["photo_url", "photo", "url", "image_url"])
def test_image_url_is_found_under_each_known_field(field: str) -> None:
    update = image_update(field=field, caption="cống bị tắc", message_id="aa11")
    incoming = to_incoming(update, NOW)
    assert incoming is not None
    assert incoming.event is Event.PHOTO
    assert incoming.text == "cống bị tắc"
    assert incoming.attachment == Attachment(
        kind="photo", file_id=DEFAULT_PHOTO_URL, file_unique_id="aa11"
    )


def test_image_url_inside_an_object_or_a_list_of_sizes() -> None:
    nested = image_update(field="photo")
    nested["message"]["photo"] = {"url": "https://x.zadn.vn/a.jpg", "width": 800}
    sizes = image_update(field="photo")
    sizes["message"]["photo"] = [{"url": "https://x.zadn.vn/s.jpg"}, "https://x.zadn.vn/l.jpg"]
    found = [to_incoming(u, NOW) for u in (nested, sizes)]
    assert [i.attachment.file_id for i in found if i and i.attachment] == [
        "https://x.zadn.vn/a.jpg",
        "https://x.zadn.vn/l.jpg",
    ]


def test_image_caption_falls_back_to_text() -> None:
    update = image_update()
    update["message"]["text"] = "ảnh hiện trường"
    incoming = to_incoming(update, NOW)
    assert incoming is not None
    assert incoming.text == "ảnh hiện trường"


def test_image_without_caption_has_empty_text() -> None:
    incoming = to_incoming(image_update(), NOW)
    assert incoming is not None
    assert incoming.text == ""


def test_a_long_image_url_is_kept_whole() -> None:
    url = "https://photo-stal.zadn.vn/" + "x" * 600
    incoming = to_incoming(image_update(url, message_id="bb22"), NOW)
    assert incoming is not None
    assert incoming.event is Event.PHOTO
    assert incoming.attachment == Attachment(kind="photo", file_id=url, file_unique_id="bb22")


@pytest.mark.parametrize(
    ("update", "kind"),
    [
        pytest.param(sticker_update(), "sticker", id="sticker"),
        pytest.param(voice_update(), "voice", id="voice"),
        pytest.param(event_update("message.unsupported.received"), "other", id="unsupported"),
        pytest.param(event_update("message.video.received"), "other", id="unknown-event"),
    ],
)
def test_other_messages_are_unsupported(update: dict[str, Any], kind: str) -> None:
    incoming = to_incoming(update, NOW)
    assert incoming is not None
    assert (incoming.event, incoming.unsupported) == (Event.UNSUPPORTED, kind)


def _without(path: tuple[str, ...]) -> dict[str, Any]:
    update = text_update("xin chào")
    node: Any = update
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return update


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    update = text_update("xin chào")
    node: Any = update
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return update


@pytest.mark.parametrize(
    "update",
    [
        pytest.param(_without(("message",)), id="no-message"),
        pytest.param(_with(("message",), "xin chào"), id="message-is-text"),
        pytest.param(_without(("message", "from")), id="no-from"),
        pytest.param(_without(("message", "chat")), id="no-chat"),
        pytest.param(_without(("message", "message_id")), id="no-message_id"),
        pytest.param(_without(("message", "from", "id")), id="no-user-id"),
        pytest.param(_without(("message", "chat", "id")), id="no-chat-id"),
        pytest.param(_with(("message", "message_id"), ""), id="empty-message_id"),
        pytest.param(_with(("message", "message_id"), True), id="bool-message_id"),
        pytest.param(_with(("message", "from", "id"), {"id": 1}), id="object-user-id"),
        pytest.param({"event_name": "message.text.received"}, id="bare-event"),
        pytest.param({"ok": False}, id="error-envelope"),
    ],
)
def test_malformed_updates_are_none(update: dict[str, Any]) -> None:
    assert to_incoming(update, NOW) is None


# --- ZaloBotError -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "timeout", "rate_limited", "transient"),
    [
        pytest.param(ZaloBotError(408, "Request timeout", 200), True, False, True, id="408-body"),
        pytest.param(ZaloBotError(None, "HTTP 408", 408), True, False, True, id="408-http"),
        pytest.param(ZaloBotError(429, "Too Many Requests", 429), False, True, True, id="429"),
        pytest.param(ZaloBotError(500, "Internal", 500), False, False, True, id="500"),
        pytest.param(ZaloBotError(None, "sendMessage: X", 0), False, False, True, id="no-answer"),
        pytest.param(ZaloBotError(400, "Bad Request", 400), False, False, False, id="400"),
        pytest.param(ZaloBotError(401, "Unauthorized", 401), False, False, False, id="401"),
    ],
)
def test_error_classification(
    error: ZaloBotError, timeout: bool, rate_limited: bool, transient: bool
) -> None:
    assert (error.is_timeout, error.is_rate_limited, error.is_transient) == (
        timeout,
        rate_limited,
        transient,
    )


def test_error_carries_code_description_and_status() -> None:
    error = ZaloBotError(400, "Bad Request: text too long", 400)
    assert (error.code, error.description, error.status) == (400, "Bad Request: text too long", 400)
    assert "Bad Request: text too long" in str(error)
