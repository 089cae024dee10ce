"""What the report writers share: the display zone, local times, names for codes."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from config import reports as texts
from config.taxonomy import KIND_NAMES, STATUSES, TARGET_GROUPS, TOPICS
from handlers.digest import DigestItem

DEFAULT_TZ: tzinfo = ZoneInfo(texts.DEFAULT_TIMEZONE)


def local(moment: datetime, tz: tzinfo) -> datetime:
    """`moment` in the display zone, naive (Excel has no zones); naive input is taken as UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz).replace(tzinfo=None)


def name(names: dict[str, str], code: str | None) -> str:
    """The display name of a code, the code itself if unknown, or "Chưa xác định"."""
    if not code:
        return texts.UNKNOWN
    return names.get(code, code)


def kind_name(code: str | None) -> str:
    """Display name of a kind of submission."""
    return name(KIND_NAMES, code)


def topic_name(code: str | None) -> str:
    """Display name of a topic."""
    return name(TOPICS, code)


def group_name(code: str | None) -> str:
    """Display name of a target group."""
    return name(TARGET_GROUPS, code)


def status_name(code: str | None) -> str:
    """Display name of a status."""
    return name(STATUSES, code)


def flag_names(codes: tuple[str, ...]) -> str:
    """Flags as officers read them, comma-separated."""
    return ", ".join(texts.FLAG_NAMES.get(code, code) for code in codes)


def quotable_item(item: DigestItem) -> bool:
    """Whether a report may quote this item's text (never denunciations, threats, insults...)."""
    if item.hidden or item.kind in texts.UNQUOTED_KINDS:
        return False
    return not set(item.flags) & set(texts.UNQUOTED_FLAGS)
