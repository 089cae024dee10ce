"""`YKIEN_MODERATOR_CHATS`: where the review queue goes."""

from __future__ import annotations

from config.settings import Settings


def test_moderator_chats_are_read_as_channel_chat_pairs() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        YKIEN_MODERATOR_CHATS=" telegram:-1001234567890, zalo_bot:abc ,broken, :x,shell:",
    )
    assert settings.moderator_chat_list == [("telegram", "-1001234567890"), ("zalo_bot", "abc")]
    assert Settings(_env_file=None).moderator_chat_list == []  # type: ignore[call-arg]
