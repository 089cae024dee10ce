"""OA webhook events normalised into the engine's Incoming (no network, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.zalo_oa import CHANNEL, message_id, to_incoming
from handlers.messages import Attachment, Event, UserRef
from tests.fakes.zalo_oa_server import FakeZaloOa

NOW = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
# Beyond 2**53: a float or a JSON number would lose the last digits.
USER = "6142494823000000001"


@pytest.fixture
def zalo() -> FakeZaloOa:
    """Only the event builders are used: the server is not started."""
    return FakeZaloOa()


def test_text(zalo: FakeZaloOa) -> None:
    event = zalo.text_event(USER, "Đường ngập nước", msg_id="cb31dff1c39642cc1b83")
    incoming = to_incoming(event, NOW)
    assert incoming is not None
    assert incoming.user == UserRef(CHANNEL, USER)
    assert (incoming.chat_id, incoming.update_id) == (USER, "cb31dff1c39642cc1b83")
    assert (incoming.event, incoming.text, incoming.received_at) == (
        Event.TEXT,
        "Đường ngập nước",
        NOW,
    )
    assert incoming.is_private
    assert message_id(event) == "cb31dff1c39642cc1b83"


def test_the_documented_sample_event() -> None:
    sample = {
        "event_name": "user_send_text",
        "app_id": "2553928453557884079",
        "sender": {"id": "6142494823000000000"},
        "recipient": {"id": "3662729599332560487"},
        "message": {"text": "Chào", "msg_id": "cb31dff1c39642cc1b83"},
        "timestamp": "1699003881354",
        "user_id_by_app": "979122185046046317",
    }
    incoming = to_incoming(sample, NOW)
    assert incoming is not None
    assert (incoming.user.external_id, incoming.text) == ("6142494823000000000", "Chào")


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("/start", "start", ""),
        ("/trangthai YK-7F3Q9X", "trangthai", "YK-7F3Q9X"),
        ("/HUY", "huy", ""),
    ],
)
def test_commands(zalo: FakeZaloOa, text: str, command: str, args: str) -> None:
    incoming = to_incoming(zalo.text_event(USER, text), NOW)
    assert incoming is not None
    assert (incoming.event, incoming.command, incoming.args) == (Event.COMMAND, command, args)


def test_image_becomes_a_photo_with_its_url(zalo: FakeZaloOa) -> None:
    event = zalo.image_event(USER, url="https://photo.example/p/1.jpg", caption="ổ gà")
    incoming = to_incoming(event, NOW)
    assert incoming is not None
    assert incoming.event is Event.PHOTO
    assert incoming.attachment == Attachment(kind="photo", file_id="https://photo.example/p/1.jpg")
    assert incoming.text == "ổ gà"


def test_image_without_url_is_unsupported(zalo: FakeZaloOa) -> None:
    event = zalo.image_event(USER)
    event["message"]["attachments"] = [{"type": "image", "payload": {}}]
    incoming = to_incoming(event, NOW)
    assert incoming is not None
    assert (incoming.event, incoming.unsupported) == (Event.UNSUPPORTED, "other")


def test_location_strings_become_floats(zalo: FakeZaloOa) -> None:
    incoming = to_incoming(zalo.location_event(USER, "10.7721", "106.6983"), NOW)
    assert incoming is not None
    assert incoming.event is Event.LOCATION
    assert incoming.attachment == Attachment(kind="location", latitude=10.7721, longitude=106.6983)


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        ("abc", "106.6"),
        ("10.7", ""),
        (None, "106.6"),
        ("nan", "106.6"),
        ("10.7", "inf"),
        ("91", "106.6"),
        ("10.7", "-181"),
        (True, "106.6"),
        ({"v": 1}, "106.6"),
    ],
)
def test_bad_coordinates_are_unsupported(zalo: FakeZaloOa, latitude: Any, longitude: Any) -> None:
    incoming = to_incoming(zalo.location_event(USER, latitude, longitude), NOW)
    assert incoming is not None
    assert (incoming.event, incoming.unsupported) == (Event.UNSUPPORTED, "other")


def test_location_without_attachments_is_unsupported(zalo: FakeZaloOa) -> None:
    event = zalo.location_event(USER)
    event["message"].pop("attachments")
    incoming = to_incoming(event, NOW)
    assert incoming is not None
    assert incoming.unsupported == "other"


def test_stickers_are_unsupported(zalo: FakeZaloOa) -> None:
    incoming = to_incoming(zalo.sticker_event(USER), NOW)
    assert incoming is not None
    assert (incoming.event, incoming.unsupported) == (Event.UNSUPPORTED, "sticker")


def test_a_file_is_a_document_named_by_its_url(zalo: FakeZaloOa) -> None:
    incoming = to_incoming(zalo.file_event(USER), NOW)
    assert incoming is not None
    assert incoming.event is Event.DOCUMENT
    assert incoming.attachment == Attachment(
        kind="document", file_id="https://file.example/a.pdf", file_name="a.pdf", file_size=1024
    )


def test_a_file_without_url_is_unsupported(zalo: FakeZaloOa) -> None:
    event = zalo.file_event(USER)
    event["message"]["attachments"][0]["payload"].pop("url")
    incoming = to_incoming(event, NOW)
    assert incoming is not None
    assert (incoming.event, incoming.unsupported) == (Event.UNSUPPORTED, "document")


def test_follow_is_a_start_command_for_the_follower(zalo: FakeZaloOa) -> None:
    event = zalo.follow_event(USER)
    incoming = to_incoming(event, NOW)
    assert incoming is not None
    assert incoming.user == UserRef(CHANNEL, USER)
    assert (incoming.event, incoming.command) == (Event.COMMAND, "start")
    # Stable across Zalo's retries of the same event, distinct for a later follow.
    again = to_incoming(dict(event), NOW)
    assert again is not None and again.update_id == incoming.update_id
    later = to_incoming(zalo.follow_event(USER), NOW)
    assert later is not None and later.update_id != incoming.update_id
    assert message_id(event) is None


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(lambda z: z.unfollow_event(USER), id="unfollow"),
        pytest.param(lambda z: z.seen_event(USER), id="seen"),
        pytest.param(lambda z: z.received_event(USER), id="received"),
        pytest.param(lambda z: z.event("user_submit_info", info={"phone": "0901"}), id="info"),
        pytest.param(lambda z: z.event("oa_send_text"), id="oa-echo"),
        pytest.param(lambda z: z.event("something_new"), id="unknown"),
        pytest.param(lambda z: {"app_id": "1"}, id="no-name"),
    ],
)
def test_events_without_an_answer(zalo: FakeZaloOa, event: Any) -> None:
    assert to_incoming(event(zalo), NOW) is None


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda e: e.pop("sender"), id="no-sender"),
        pytest.param(lambda e: e.__setitem__("sender", {"id": ""}), id="empty-sender"),
        pytest.param(lambda e: e.__setitem__("sender", "x"), id="sender-not-object"),
        pytest.param(lambda e: e.__setitem__("sender", {"id": 1.5}), id="float-sender"),
    ],
)
def test_messages_without_a_sender_are_dropped(zalo: FakeZaloOa, mutate: Any) -> None:
    event = zalo.text_event(USER, "xin chào")
    mutate(event)
    assert to_incoming(event, NOW) is None


def test_a_message_without_msg_id_gets_a_stable_key(zalo: FakeZaloOa) -> None:
    event = zalo.text_event(USER, "xin chào")
    event["message"].pop("msg_id")
    first = to_incoming(event, NOW)
    second = to_incoming(dict(event), NOW)
    assert first is not None and second is not None
    assert first.update_id == second.update_id
    assert USER in first.update_id


def test_numeric_ids_keep_every_digit(zalo: FakeZaloOa) -> None:
    event = zalo.text_event(USER, "xin chào")
    event["sender"]["id"] = 6142494823000000001  # a JSON number, if Zalo ever sent one
    incoming = to_incoming(event, NOW)
    assert incoming is not None and incoming.user.external_id == "6142494823000000001"
