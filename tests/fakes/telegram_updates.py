"""Builders of realistic Telegram Update dicts (as Telegram sends them) and their fixtures."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

DEFAULT_USER_ID = 700100200
DEFAULT_GROUP_CHAT_ID = -4012345678
BOT_ID = 123456
BOT_USERNAME = "ykien_test_bot"
FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"

# Counters give distinct ids across calls, as bots may de-duplicate on (chat_id, message_id);
# pass explicit values wherever determinism matters (fixtures).
_message_ids = itertools.count(1000)
_callback_ids = itertools.count(1)


def _user(user_id: int, first_name: str) -> dict[str, Any]:
    """Build the `from` User of a human sender."""
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}


def _chat(chat_id: int, first_name: str) -> dict[str, Any]:
    """Build a Chat: private for positive ids, a basic group for negative ones."""
    if chat_id > 0:
        return {"id": chat_id, "first_name": first_name, "type": "private"}
    return {"id": chat_id, "title": "Tổ dân phố số 5", "type": "group"}


def _message(
    *,
    user_id: int,
    chat_id: int | None,
    first_name: str,
    message_id: int | None,
    date: int | None,
    **content: Any,
) -> dict[str, Any]:
    """Build a Message sent by a user, with `content` holding the type-specific fields."""
    return {
        "message_id": next(_message_ids) if message_id is None else message_id,
        "from": _user(user_id, first_name),
        "chat": _chat(user_id if chat_id is None else chat_id, first_name),
        "date": int(time.time()) if date is None else date,
        **content,
    }


def _update(kind: str, payload: dict[str, Any], update_id: int | None) -> dict[str, Any]:
    """Wrap a payload in an Update; update_id is omitted so FakeTelegram can assign one."""
    update: dict[str, Any] = {} if update_id is None else {"update_id": update_id}
    update[kind] = payload
    return update


def text_update(
    text: str,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update carrying a plain text message."""
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        text=text,
    )
    return _update("message", message, update_id)


def command_update(
    command: str = "start",
    args: str = "",
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update with a bot command ("start" or "/start") and optional arguments."""
    command_text = "/" + command.lstrip("/")
    text = f"{command_text} {args}" if args else command_text
    # Telegram measures entity offsets in UTF-16 code units.
    length = len(command_text.encode("utf-16-le")) // 2
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        text=text,
        entities=[{"offset": 0, "length": length, "type": "bot_command"}],
    )
    return _update("message", message, update_id)


def callback_update(
    data: str,
    user_id: int = DEFAULT_USER_ID,
    message_text: str = "Bạn muốn gửi loại ý kiến nào?",
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    callback_id: str | None = None,
    date: int | None = None,
    reply_markup: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build an Update for a press on an inline button of a message the bot sent earlier."""
    chat = _chat(user_id if chat_id is None else chat_id, first_name)
    now = int(time.time()) if date is None else date
    if reply_markup is None:
        reply_markup = {"inline_keyboard": [[{"text": data, "callback_data": data}]]}
    bot_message = {
        "message_id": next(_message_ids) if message_id is None else message_id,
        "from": {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "ykien test",
            "username": BOT_USERNAME,
        },
        "chat": chat,
        # The keyboard was sent a little before the press.
        "date": now - 30,
        "text": message_text,
        "reply_markup": reply_markup,
    }
    if callback_id is None:
        callback_id = f"{user_id}{next(_callback_ids):08d}"
    callback_query = {
        "id": callback_id,
        "from": _user(user_id, first_name),
        "message": bot_message,
        "chat_instance": str(-(abs(chat["id"]) * 1_000_003 + BOT_ID)),
        "data": data,
    }
    return _update("callback_query", callback_query, update_id)


def _file_ids(kind: str, seed: int) -> dict[str, str]:
    """Build plausible, deterministic file_id / file_unique_id strings."""
    return {
        "file_id": f"{kind}ACAgUAAxkBAAIB{seed:08d}ZmFrZV9maWxl",
        "file_unique_id": f"AQAD{kind}{seed:06d}",
    }


def photo_update(
    caption: str | None = None,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update with a photo in three sizes, optionally captioned."""
    message_id = next(_message_ids) if message_id is None else message_id
    sizes = [(90, 67, 1_342), (320, 240, 16_876), (1280, 960, 131_455)]
    photo = [
        {**_file_ids(f"Ag{index}", message_id), "width": w, "height": h, "file_size": size}
        for index, (w, h, size) in enumerate(sizes)
    ]
    content: dict[str, Any] = {"photo": photo}
    if caption is not None:
        content["caption"] = caption
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        **content,
    )
    return _update("message", message, update_id)


def location_update(
    lat: float = 21.028511,
    lon: float = 105.804817,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update with a shared location (defaults to central Hanoi)."""
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        location={"latitude": lat, "longitude": lon},
    )
    return _update("message", message, update_id)


def sticker_update(
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update with a regular static sticker."""
    message_id = next(_message_ids) if message_id is None else message_id
    sticker = {
        **_file_ids("CA", message_id),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
        "set_name": "HotCherry",
        "file_size": 28_934,
        "thumbnail": {
            **_file_ids("CAt", message_id),
            "width": 128,
            "height": 128,
            "file_size": 5_102,
        },
    }
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        sticker=sticker,
    )
    return _update("message", message, update_id)


def voice_update(
    duration: int = 4,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update with a voice note."""
    message_id = next(_message_ids) if message_id is None else message_id
    voice = {
        **_file_ids("AwAC", message_id),
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": 4_000 * duration,
    }
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        voice=voice,
    )
    return _update("message", message, update_id)


def document_update(
    file_name: str = "don_kien_nghi.pdf",
    mime_type: str = "application/pdf",
    caption: str | None = None,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
    file_size: int = 84_211,
) -> dict[str, Any]:
    """Build an Update with a document attachment."""
    message_id = next(_message_ids) if message_id is None else message_id
    document = {
        **_file_ids("BQAC", message_id),
        "file_name": file_name,
        "mime_type": mime_type,
        "file_size": file_size,
    }
    content: dict[str, Any] = {"document": document}
    if caption is not None:
        content["caption"] = caption
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        **content,
    )
    return _update("message", message, update_id)


def video_update(
    caption: str | None = None,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update with a short video, optionally captioned."""
    message_id = next(_message_ids) if message_id is None else message_id
    video = {
        **_file_ids("BAAC", message_id),
        "width": 1280,
        "height": 720,
        "duration": 12,
        "mime_type": "video/mp4",
        "file_size": 2_345_678,
    }
    content: dict[str, Any] = {"video": video}
    if caption is not None:
        content["caption"] = caption
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        **content,
    )
    return _update("message", message, update_id)


def edited_text_update(
    text: str,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update for a text message the user edited after sending it."""
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        text=text,
    )
    message["edit_date"] = message["date"] + 45
    return _update("edited_message", message, update_id)


def group_text_update(
    text: str,
    user_id: int = DEFAULT_USER_ID,
    chat_id: int = DEFAULT_GROUP_CHAT_ID,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update with a text message posted in a basic group."""
    if chat_id >= 0:
        raise ValueError("group chat ids are negative")
    return text_update(
        text, user_id, chat_id, first_name, update_id, message_id=message_id, date=date
    )


def contact_update(
    phone_number: str = "+84912345678",
    user_id: int = DEFAULT_USER_ID,
    chat_id: int | None = None,
    first_name: str = "Lan",
    update_id: int | None = None,
    *,
    message_id: int | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Build an Update where the user shares their own contact (request_contact button)."""
    contact = {"phone_number": phone_number, "first_name": first_name, "user_id": user_id}
    message = _message(
        user_id=user_id,
        chat_id=chat_id,
        first_name=first_name,
        message_id=message_id,
        date=date,
        contact=contact,
    )
    return _update("message", message, update_id)


# A fixed timestamp keeps the fixture files byte-for-byte reproducible.
FIXTURE_DATE = 1_735_700_000


def build_fixtures() -> dict[str, dict[str, Any]]:
    """Build the fixture updates, keyed by fixture name, with fixed ids and dates."""
    fixed = {"date": FIXTURE_DATE}
    return {
        "text": text_update(
            "Đường ngõ 12 bị ngập mỗi khi mưa to", update_id=100001, message_id=501, **fixed
        ),
        "command_start": command_update("start", update_id=100002, message_id=502, **fixed),
        "callback": callback_update(
            "category:infrastructure",
            update_id=100003,
            message_id=503,
            callback_id="3007002001234567890",
            **fixed,
        ),
        "photo_caption": photo_update(
            "Ổ gà trước cổng trường", update_id=100004, message_id=504, **fixed
        ),
        "location": location_update(update_id=100005, message_id=505, **fixed),
        "sticker": sticker_update(update_id=100006, message_id=506, **fixed),
        "voice": voice_update(update_id=100007, message_id=507, **fixed),
        "document": document_update(update_id=100008, message_id=508, **fixed),
        "edited_message": edited_text_update(
            "Đường ngõ 12 bị ngập sâu mỗi khi mưa to", update_id=100009, message_id=501, **fixed
        ),
        "group_text": group_text_update(
            "Xin hỏi lịch tiếp công dân tháng này?", update_id=100010, message_id=510, **fixed
        ),
    }


def write_fixtures(directory: Path = FIXTURE_DIR) -> list[Path]:
    """Write every fixture as `<name>.json` into `directory` and return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, update in build_fixtures().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(update, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_fixtures():
        print(written)
