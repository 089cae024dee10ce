"""The digest's report files in chat: where they are written and how each channel sends them.

The monthly digest planner writes the Word report, the workbook and the chart of each
recipient's digest under `<reports dir>/<period>/<channel>-<chat>/` and puts their paths on the
outbox row; the scheduler sends the text, then each file through the channel's `FileSender`.

Per channel: Telegram sends the .docx and .xlsx as documents and the PNG as a photo (through
PTB, so its rate limiter applies; a photo Telegram refuses goes again as a document). The Zalo
Bot Platform has no document API and takes photos by public URL only, and the Zalo OA's file
upload is not used: those channels get no file sender, and the scheduler appends
`config.report_delivery.FILES_NOT_SENT_NOTE` to the text instead.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from pathlib import Path

from telegram import Bot
from telegram.error import BadRequest

from bot.reports import file_stem, write_all
from config import texts
from handlers.digest import Digest, Period

# Sends one file to a chat; raises when it could not.
FileSender = Callable[[str, Path], Awaitable[None]]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def report_directory(base: Path, period: Period, channel: str, chat_id: str) -> Path:
    """Where one recipient's files of one period go; ids are made safe as a single path part."""
    recipient = _UNSAFE.sub("_", f"{channel}-{chat_id}")
    return Path(base) / file_stem(period) / recipient


async def write_digest_reports(
    digest: Digest, directory: Path, *, unit_name: str, tz: tzinfo
) -> tuple[str, ...]:
    """Write the three files of `digest` into `directory` (off the event loop); their paths."""
    # Rendering a province's workbook and chart takes seconds of CPU: the bot keeps answering.
    paths = await asyncio.to_thread(
        write_all,
        digest,
        directory,
        issuer=texts.DIGEST_ISSUER.format(unit=unit_name),
        number="…",
        place=unit_name,
        tz=tz,
    )
    return tuple(str(path) for path in paths)


def telegram_file_sender(bot: Bot) -> FileSender:
    """Send a PNG as a photo and anything else as a document, under its own file name."""

    async def send(chat: str, path: Path) -> None:
        with path.open("rb") as handle:  # a deleted file fails here, before any request
            if path.suffix.lower() == ".png":
                try:
                    await bot.send_photo(chat, photo=handle, filename=path.name)
                    return
                except BadRequest:  # dimensions or size Telegram refuses for photos
                    handle.seek(0)
            await bot.send_document(chat, document=handle, filename=path.name)

    return send
