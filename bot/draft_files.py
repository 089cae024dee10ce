"""Draft documents officers send in chat (handlers.ports.DraftFiles): fetched from the channel,
then read and split by bot.draft_import.

Each channel that delivers files registers how to fetch one: Telegram through the Bot API
(getFile, then the file's URL; the Bot API serves files up to 20 MB), the Zalo OA from the URL
its `user_send_file` event carries. The Zalo Bot Platform has no file events, so it registers
nothing. The type and the size the channel announced are checked before anything is fetched, a
download stops as soon as it passes the limit, and the parsing (python-docx, pypdf: seconds on
a large draft) runs in a worker thread so the event loop keeps serving other updates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import PurePosixPath
from typing import Any

import aiohttp
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.draft_import import check_draft_file, read_draft_bytes
from config import consultation_chat as chat
from config import consultations as texts
from handlers.messages import Attachment
from handlers.sections import DraftError, SplitDraft

logger = logging.getLogger(__name__)

Fetch = Callable[[Attachment, str], Awaitable[bytes]]
"""Fetches a document's bytes; the second argument is the name size refusals quote."""

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A document sent without a name with a suffix is typed by its MIME type.
MIME_SUFFIXES = {DOCX_MIME: ".docx", "application/pdf": ".pdf", "text/plain": ".txt"}
# Seconds to wait for each piece of a Telegram file.
TELEGRAM_READ_TIMEOUT = 30.0
URL_TIMEOUT = aiohttp.ClientTimeout(total=120, sock_read=30)
CHUNK_BYTES = 64 * 1024


class FetchFailed(Exception):
    """The channel did not deliver the file (network, expired link, refused request)."""


def draft_name(attachment: Attachment) -> str:
    """The name a document is read and refused by: the sender's, or one typed by its MIME type."""
    name = (attachment.file_name or "").strip()
    if PurePosixPath(name).suffix:
        return name
    suffix = MIME_SUFFIXES.get((attachment.mime_type or "").lower(), "")
    return (name or texts.DRAFT_UNNAMED_FILE) + suffix


class ChannelDraftFiles:
    """handlers.ports.DraftFiles over the channels that registered how to fetch a file."""

    def __init__(self) -> None:
        self._fetchers: dict[str, Fetch] = {}

    def add(self, channel: str, fetch: Fetch) -> None:
        """Take documents sent on `channel`, fetched by `fetch`."""
        self._fetchers[channel] = fetch

    def accepts(self, channel: str) -> bool:
        """Whether documents sent on `channel` can be read."""
        return channel in self._fetchers

    async def read(self, channel: str, attachment: Attachment) -> SplitDraft:
        """The document's sections; a DraftError with the Vietnamese reason when refused."""
        name = draft_name(attachment)
        # The type and the announced size first: a refused file is never downloaded.
        check_draft_file(name, attachment.file_size)
        fetch = self._fetchers.get(channel)
        if fetch is None:
            raise DraftError(chat.DRAFT_FILE_UNAVAILABLE)
        try:
            data = await fetch(attachment, name)
        except FetchFailed as exc:
            logger.warning("%s: a draft document could not be fetched (%s)", channel, exc)
            raise DraftError(texts.DRAFT_DOWNLOAD_FAILED.format(name=name)) from exc
        return await asyncio.to_thread(read_draft_bytes, data, name)


def telegram_fetch(bot: ExtBot[Any]) -> Fetch:
    """Fetch a document through the Bot API: getFile, its size checked, then the download."""

    async def fetch(attachment: Attachment, name: str) -> bytes:
        if not attachment.file_id:
            raise FetchFailed("no file id")
        try:
            file = await bot.get_file(attachment.file_id)
            check_draft_file(name, file.file_size)
            if not file.file_path:
                raise FetchFailed("no file path")
            data = await file.download_as_bytearray(read_timeout=TELEGRAM_READ_TIMEOUT)
        # Only the error's type is logged: a file URL holds the bot's token.
        except TelegramError as exc:
            raise FetchFailed(type(exc).__name__) from exc
        return bytes(data)

    return fetch


def url_fetch(session: aiohttp.ClientSession) -> Fetch:
    """Fetch a document from the URL the channel names it by (the Zalo OA's file events),
    refusing it as soon as its announced or received size passes the limit."""

    async def fetch(attachment: Attachment, name: str) -> bytes:
        url = attachment.file_id or ""
        if not url.startswith(("https://", "http://")):
            raise FetchFailed("not a URL")
        data = bytearray()
        try:
            async with session.get(url, timeout=URL_TIMEOUT) as response:
                if response.status != 200:
                    raise FetchFailed(f"HTTP {response.status}")
                check_draft_file(name, response.content_length)
                async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                    data += chunk
                    check_draft_file(name, len(data))
        # The URL stays out of the log: it may carry a signature.
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FetchFailed(type(exc).__name__) from exc
        return bytes(data)

    return fetch
