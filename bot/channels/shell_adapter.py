"""The terminal channel: chat with the engine from a shell, or script it one line per message."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from typing import TextIO

from config import texts
from handlers.intake import Engine
from handlers.messages import Attachment, Event, Incoming, Outgoing, UserRef, location

CHANNEL = "shell"
PHOTO_PREFIX = "!anh"
LOCATION_PREFIX = "!vitri"


def parse_line(
    line: str, user: UserRef, engine: Engine, *, update_id: str | None = None
) -> Incoming:
    """One typed line as an inbound message: `/lenh`, `!anh chú thích`, `!vitri LAT,LON`, text."""
    text = line.rstrip("\r\n")
    base = {
        "user": user,
        "chat_id": user.external_id,
        "update_id": update_id or uuid.uuid4().hex,
        "received_at": engine.clock(),
    }
    stripped = text.strip()
    if stripped.startswith("/"):
        head, _, args = stripped.partition(" ")
        return Incoming(
            event=Event.COMMAND, text=stripped, command=head[1:].lower(), args=args.strip(), **base
        )
    if stripped.lower().startswith(PHOTO_PREFIX):
        caption = stripped[len(PHOTO_PREFIX) :].strip()
        photo = Attachment(kind="photo", file_id=f"shell-{uuid.uuid4().hex[:12]}")
        return Incoming(event=Event.PHOTO, text=caption, attachment=photo, **base)
    if stripped.lower().startswith(LOCATION_PREFIX):
        latitude, _, longitude = stripped[len(LOCATION_PREFIX) :].partition(",")
        where = location(latitude.strip(), longitude.strip())
        if where is None:
            return Incoming(event=Event.UNSUPPORTED, unsupported="other", **base)
        return Incoming(event=Event.LOCATION, attachment=where, **base)
    return Incoming(event=Event.TEXT, text=text, **base)


def render(outgoing: Outgoing) -> str:
    """How a reply looks in the terminal: text with numbered choices."""
    return outgoing.as_plain_text()


async def run_shell(
    engine: Engine,
    *,
    user_id: str,
    stdin: TextIO = sys.stdin,
    write: Callable[[str], None] = print,
) -> None:
    """Chat until end of input; with a TTY show a prompt, otherwise print each reply per line."""
    user = UserRef(CHANNEL, user_id)
    interactive = stdin.isatty()
    if interactive:
        write(texts.SHELL_BANNER)
    while True:
        if interactive:
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                break
        else:
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
        if not line.strip():
            continue
        for reply in await engine.handle(parse_line(line, user, engine)):
            write(render(reply))
            write("")
