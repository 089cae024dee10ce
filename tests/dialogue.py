"""Dialogue-table helpers: a simulated resident and a runner that checks each reply.

A table is a list of `(action, expected)` rows: the resident does `action`, the bot must answer
with exactly the texts in `expected` (strings compare equal, `Match` compares by regex).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Any

from config import taxonomy, texts
from handlers.intake import Engine
from handlers.messages import Attachment, Event, Incoming, Outgoing, UserRef
from nlp.analyzer import Analysis, Screening

_update_ids = itertools.count(1)


@dataclass(frozen=True)
class Match:
    """An expected reply given as a regular expression (for texts with a random code)."""

    pattern: str

    def matches(self, text: str) -> bool:
        """Whether the whole reply matches."""
        return re.fullmatch(self.pattern, text, flags=re.DOTALL) is not None


CODE = r"YK-[2-9A-HJKMNP-Z]{6}"


def receipt_pattern(code: str = CODE, topic: str | None = None) -> str:
    """A receipt with ``code`` (a pattern), filed under ``topic`` (a code) or under any topic."""
    names = [taxonomy.TOPICS[topic]] if topic else list(taxonomy.TOPICS.values())
    any_name = "(?:" + "|".join(re.escape(name) for name in names) + ")"
    template = re.escape(texts.RECEIPT.format(code="@@CODE@@", topic="@@TOPIC@@"))
    return template.replace("@@CODE@@", code).replace("@@TOPIC@@", any_name)


RECEIPT = Match(receipt_pattern())
NOTICE = texts.PRIVACY_NOTICE.format(version=texts.PRIVACY_NOTICE_VERSION)


def ask_text(kind: str) -> str:
    """The prompt for the content of a submission of `kind`."""
    return texts.ASK_TEXT.format(kind=taxonomy.KINDS[kind], limit=5000)


class Resident:
    """A resident on one channel, talking to the engine as a channel adapter would."""

    def __init__(self, engine: Engine, external_id: str = "resident-1", channel: str = "test"):
        self.engine = engine
        self.user = UserRef(channel, external_id)
        self.last: Incoming | None = None
        self.replies: list[Outgoing] = []

    def _incoming(self, event: Event, **fields: Any) -> Incoming:
        return Incoming(
            user=self.user,
            chat_id=self.user.external_id,
            update_id=str(next(_update_ids)),
            event=event,
            received_at=self.engine.clock(),
            **fields,
        )

    async def send(self, incoming: Incoming) -> list[str]:
        """Deliver one update; returns the reply texts."""
        self.last = incoming
        self.replies = await self.engine.handle(incoming)
        return [reply.text for reply in self.replies]

    async def redeliver(self) -> list[str]:
        """Deliver the previous update again, as a channel retrying would."""
        assert self.last is not None
        return await self.send(self.last)

    async def act(self, action: tuple[str, ...]) -> list[str]:
        """Perform a table action: ("say", text), ("press", payload), ("cmd", name, args)..."""
        verb, *args = action
        if verb == "say":
            return await self.send(self._incoming(Event.TEXT, text=args[0]))
        if verb == "press":
            return await self.send(self._incoming(Event.BUTTON, payload=args[0]))
        if verb == "cmd":
            name, rest = args[0], args[1] if len(args) > 1 else ""
            text = f"/{name} {rest}".strip()
            return await self.send(
                self._incoming(Event.COMMAND, text=text, command=name, args=rest)
            )
        if verb == "photo":
            photo = Attachment(kind="photo", file_id=f"photo-{next(_update_ids)}", width=800)
            caption = args[0] if args else ""
            return await self.send(self._incoming(Event.PHOTO, text=caption, attachment=photo))
        if verb == "location":
            where = Attachment(kind="location", latitude=10.7721, longitude=106.6983)
            return await self.send(self._incoming(Event.LOCATION, attachment=where))
        if verb == "unsupported":
            return await self.send(self._incoming(Event.UNSUPPORTED, unsupported=args[0]))
        if verb == "edited":
            return await self.send(self._incoming(Event.EDITED, text="sửa"))
        if verb == "group":
            incoming = self._incoming(Event.TEXT, text=args[0])
            return await self.send(replace(incoming, is_private=False))
        raise ValueError(f"unknown action {verb}")


def assert_replies(got: list[str], expected: list[str | Match], step: object) -> None:
    """Each reply equals (or matches) its expectation, and there are no more or fewer."""
    assert len(got) == len(expected), f"step {step}: expected {len(expected)} replies, got {got}"
    for text, want in zip(got, expected, strict=True):
        ok = want.matches(text) if isinstance(want, Match) else text == want
        assert ok, f"step {step}:\n got:  {text!r}\n want: {want!r}"


async def run_dialogue(
    resident: Resident, table: list[tuple[tuple[str, ...], list[str | Match]]]
) -> list[str]:
    """Play a table; returns the replies of the last step."""
    got: list[str] = []
    for action, expected in table:
        got = await resident.act(action)
        assert_replies(got, expected, action)
    return got


def receipt_code(replies: list[str]) -> str:
    """The reference code in a receipt."""
    for text in replies:
        found = re.search(CODE, text)
        if found:
            return found.group(0)
    raise AssertionError(f"no reference code in {replies}")


class NoAnalyzer:
    """For officers' engines: nobody submits there, so a call means the wrong path ran."""

    def analyse(self, text: str, *, declared_kind: str | None = None) -> Analysis:
        raise AssertionError("no submission expected")

    def screen(self, text: str) -> Screening:
        raise AssertionError("no comment expected")
