"""Admin alerts: every running channel's admin chats get the text; failures never propagate."""

from __future__ import annotations

import logging

import pytest

from bot.alerts import AdminAlerts
from config.settings import Settings


def test_admin_chats_are_parsed_and_malformed_entries_left_out() -> None:
    settings = Settings(YKIEN_ADMIN_CHATS=" telegram:123, zalo_bot:abc ,broken,:x,zalo_oa:")
    assert settings.admin_chat_list == [("telegram", "123"), ("zalo_bot", "abc")]
    assert Settings().admin_chat_list == []


async def test_alert_goes_to_every_admin_chat_of_a_running_channel(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[tuple[str, str, str]] = []

    async def telegram(chat: str, text: str) -> None:
        sent.append(("telegram", chat, text))

    async def broken(chat: str, text: str) -> None:
        raise ConnectionError("down")

    alerts = AdminAlerts(
        [("telegram", "1"), ("zalo_bot", "z"), ("telegram", "2"), ("zalo_oa", "o")],
        {"telegram": telegram, "zalo_bot": broken},
    )
    with caplog.at_level(logging.ERROR):
        await alerts.notify("Cảnh báo", "tokens expired")
    assert sent == [("telegram", "1", "Cảnh báo"), ("telegram", "2", "Cảnh báo")]
    assert "tokens expired" in caplog.text
    assert "could not be sent" in caplog.text


async def test_an_alert_that_reaches_nobody_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        await AdminAlerts([], {}).notify("Cảnh báo", "tokens expired")
    assert "YKIEN_ADMIN_CHATS" in caplog.text
