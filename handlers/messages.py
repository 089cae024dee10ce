"""Channel-neutral message types: adapters turn channel payloads into these and back."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Event(StrEnum):
    """What an inbound update is, after the adapter normalised it."""

    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    PHOTO = "photo"
    LOCATION = "location"
    DOCUMENT = "document"  # a file; taken only as a consultation's draft (else unsupported)
    EDITED = "edited"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class UserRef:
    """A person as one channel knows them."""

    channel: str
    external_id: str

    @property
    def key(self) -> str:
        """ "channel:external_id", unique across channels."""
        return f"{self.channel}:{self.external_id}"


@dataclass(frozen=True)
class Attachment:
    """Metadata of a photo, a location or a document; the bytes stay on the channel's servers."""

    kind: str  # "photo", "location" or "document"
    file_id: str | None = None  # Telegram's file id; on Zalo the file's URL
    file_unique_id: str | None = None
    width: int | None = None
    height: int | None = None
    file_size: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    file_name: str | None = None  # documents: the name the sender gave it
    mime_type: str | None = None

    def to_dict(self) -> dict[str, object]:
        """Plain dict for the conversation draft (JSON)."""
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Attachment:
        """Inverse of `to_dict`."""
        return cls(**data)  # type: ignore[arg-type]


def location(latitude: object, longitude: object) -> Attachment | None:
    """A location sent by a resident; None unless both are finite numbers (or numeric text, as
    Zalo sends them) within ±90 and ±180."""
    point = (_coordinate(latitude, 90.0), _coordinate(longitude, 180.0))
    if point[0] is None or point[1] is None:
        return None
    return Attachment(kind="location", latitude=point[0], longitude=point[1])


def _coordinate(value: object, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and -bound <= number <= bound else None


@dataclass(frozen=True)
class Incoming:
    """One inbound update from any channel."""

    user: UserRef
    chat_id: str
    update_id: str
    event: Event
    received_at: datetime
    text: str = ""
    command: str = ""  # lower case, without the slash or a @botname suffix
    args: str = ""
    payload: str = ""  # button data
    attachment: Attachment | None = None
    unsupported: str = ""  # "sticker", "voice", ... for Event.UNSUPPORTED
    is_private: bool = True
    message_id: str = ""  # the bot's message whose button was pressed (BUTTON), if known


@dataclass(frozen=True)
class Button:
    """One choice; `payload` comes back as an Incoming BUTTON (Telegram limits it to 64 bytes)."""

    label: str
    payload: str


@dataclass(frozen=True)
class Outgoing:
    """One reply to a chat; channels without buttons render the buttons as numbered lines."""

    chat_id: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
    # Replaces this message of the chat where the channel can edit; elsewhere sent as new.
    edit_message_id: str | None = None

    @property
    def flat_buttons(self) -> list[Button]:
        """Buttons in reading order, the order their numbers follow."""
        return [button for row in self.buttons for button in row]

    def as_plain_text(self) -> str:
        """The text with each button as a numbered line, for channels without buttons."""
        buttons = self.flat_buttons
        if not buttons:
            return self.text
        lines = [f"{i}. {b.label}" for i, b in enumerate(buttons, start=1)]
        return self.text + "\n\n" + "\n".join(lines)


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters, preferring line and word breaks."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        chunk = rest[:cut].rstrip()
        if chunk:  # a run of blanks before the break is dropped, not sent as an empty message
            chunks.append(chunk)
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks
