"""Operational alerts: logged for the operators and sent to the admins' chats."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

logger = logging.getLogger(__name__)

# Sends one text to one chat of a channel (the channel's adapter does the HTTP).
ChatSender = Callable[[str, str], Awaitable[None]]


class RecipientBlocked(Exception):
    """The channel refuses to deliver to this chat (the person blocked the bot or left)."""


class AdminAlerts:
    """Sends an alert to every configured admin chat whose channel is running."""

    def __init__(
        self, admin_chats: Sequence[tuple[str, str]], senders: dict[str, ChatSender]
    ) -> None:
        self._chats = list(admin_chats)
        self._senders = senders

    async def notify(self, admin_text: str, operator_message: str) -> None:
        """Log `operator_message` at ERROR and send `admin_text` to the admins; never raises."""
        logger.error("alert: %s", operator_message)
        reached = 0
        for channel, chat in self._chats:
            sender = self._senders.get(channel)
            if sender is None:
                continue
            try:
                await sender(chat, admin_text)
                reached += 1
            except Exception:  # an alert must not take down what raised it
                logger.exception("alert could not be sent to an admin chat on %s", channel)
        if not reached:
            logger.error("alert reached no admin chat: set YKIEN_ADMIN_CHATS")
