"""Telegram as the outbox's button channel: messages with inline keyboards, edited in place."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden
from telegram.ext import ExtBot

from bot.alerts import RecipientBlocked
from handlers.messages import split_text
from storage.sql import ButtonRows


def keyboard(buttons: ButtonRows) -> InlineKeyboardMarkup | None:
    """An inline keyboard of (label, payload) rows; None without buttons."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=payload) for label, payload in row]
         for row in buttons]
    )  # fmt: skip


class TelegramButtonSender:
    """Sends and edits outbox messages through PTB (its rate limiter paces them)."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot

    async def send(self, chat_id: str, text: str, buttons: ButtonRows) -> str | None:
        """Send in parts of at most 4,096 characters, the buttons under the last; its id."""
        chunks = split_text(text, MessageLimit.MAX_TEXT_LENGTH)
        message_id: str | None = None
        for index, chunk in enumerate(chunks):
            markup = keyboard(buttons) if index == len(chunks) - 1 else None
            try:
                message = await self.bot.send_message(chat_id, chunk, reply_markup=markup)
            except Forbidden as error:  # blocked by the user, or removed from the group
                raise RecipientBlocked(type(error).__name__) from error
            message_id = str(message.message_id)
        return message_id

    async def edit(self, chat_id: str, message_id: str, text: str, buttons: ButtonRows) -> bool:
        """Replace the message's text and keyboard; False when Telegram will not edit it."""
        text = split_text(text, MessageLimit.MAX_TEXT_LENGTH)[0]
        try:
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=int(message_id), reply_markup=keyboard(buttons)
            )
        except BadRequest as error:
            # Pressing twice produces the same text: the message already shows it.
            return "not modified" in str(error).lower()
        except Forbidden as error:
            raise RecipientBlocked(type(error).__name__) from error
        return True
