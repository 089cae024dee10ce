"""Moderator dialogue tables: `tests/integration/test_review_channels.py` runs each on every
channel of `tests/channels.py`.

A step is (who, action, expected): "resident" steps are ordinary table actions; "moderator"
steps are ("inbox",) — what the review queue delivered to them — ("decide", ok|hc|sp) and
("fix", topic|kind, value), done with buttons on Telegram and typed commands elsewhere.
`expected` is one list for every channel, or `Expect` when buttons and commands differ.
"@CODE@" stands for the case code the resident got, "@ACTOR@" for a moderator's pseudonym.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from config import review, taxonomy, texts
from tests.dialogue import NOTICE, RECEIPT, Match, ask_text
from tests.moderation import INSULT

ACTOR = r"ND-[0-9A-F]{12}"
AT = "09:30 21/11/2026"


@dataclass(frozen=True)
class Expect:
    """Replies that differ between channels with buttons and channels with typed commands."""

    buttons: list[str | Match]
    commands: list[str | Match]


Step = tuple[str, tuple[str, ...], "list[str | Match] | Expect"]


@dataclass(frozen=True)
class ModeratorTable:
    """Steps, and what the case must look like afterwards."""

    steps: list[Step]
    stored: dict[str, object] = field(default_factory=dict)


def pattern(template: str) -> Match:
    """A template with @CODE@ and @ACTOR@ as a Match (the rest is literal)."""
    return Match(re.escape(template).replace("@ACTOR@", ACTOR))


def queue(*fragments: str, tail: str = "", header: str = review.QUEUE_HEADER) -> Match:
    """A queue message of the case holding `fragments` in order, ending with `tail`."""
    parts = [re.escape(header.format(code="@CODE@")) + r"\n"]
    parts += [".*" + re.escape(fragment) for fragment in fragments]
    parts.append(".*" + re.escape(tail).replace("@ACTOR@", ACTOR) if tail else ".*")
    return Match("".join(parts))


def decided(state: str) -> str:
    """The line a decided queue message ends with."""
    return review.DECIDED.format(
        icon=review.DECISION_ICONS[state],
        state=review.REVIEW_STATES[state],
        actor="@ACTOR@",
        at=AT,
    )


def settled(state: str, *fragments: str) -> Match:
    """The queue message once decided: the decision, by whom and when, at the end."""
    return queue(*fragments, tail=decided(state), header=review.QUEUE_HEADER_DECIDED)


def done(state: str) -> str:
    """The answer to a typed decision."""
    return review.DECISION_DONE.format(
        icon=review.DECISION_ICONS[state], code="@CODE@", state=review.REVIEW_STATES[state]
    )


def stale(state: str) -> Match:
    """The answer to a decision on a case someone decided already."""
    return pattern(
        review.STALE.format(
            code="@CODE@", actor="@ACTOR@", at=AT, state=review.REVIEW_STATES[state]
        )
    )


HINT = review.COMMANDS_HINT.format(code="@CODE@")
FLAGGED = queue("«đm»", "[SĐT]")
RESIDENT_SUBMITS: list[Step] = [
    ("resident", ("cmd", "start"), [texts.WELCOME, NOTICE]),
    ("resident", ("press", "consent:yes"), [texts.CHOOSE_KIND]),
    ("resident", ("press", "kind:phan_anh"), [ask_text("phan_anh")]),
    ("resident", ("say", INSULT), [texts.ASK_ATTACHMENTS]),
    ("resident", ("press", "att:done"), [texts.ASK_LOCALITY]),
    ("resident", ("press", "loc:skip"), [texts.ASK_GROUP]),
    (
        "resident",
        ("press", "grp:skip"),
        [
            texts.SUMMARY.format(
                kind=taxonomy.KINDS["phan_anh"],
                text=INSULT,
                attachments=texts.SUMMARY_NONE,
                locality=texts.SUMMARY_SKIPPED,
                group=texts.SUMMARY_SKIPPED,
            )
        ],
    ),
    ("resident", ("press", "confirm:submit"), [RECEIPT]),
]
MODERATOR_JOINS: list[Step] = [
    ("moderator", ("cmd", "start"), [texts.WELCOME, NOTICE]),
    ("moderator", ("press", "consent:yes"), [texts.CHOOSE_KIND]),
    ("moderator", ("role", "moderator"), []),
]

MODERATOR_TABLES: dict[str, ModeratorTable] = {
    "a flagged item approved": ModeratorTable(
        [
            *MODERATOR_JOINS,
            *RESIDENT_SUBMITS,
            ("moderator", ("inbox",), Expect([FLAGGED], [queue("«đm»", "[SĐT]", tail=HINT)])),
            (
                "moderator",
                ("decide", "ok"),
                Expect([settled("duyet", "«đm»")], [done("duyet")]),
            ),
            ("moderator", ("decide", "hc"), [stale("duyet")]),
            # Telegram edited the pressed message itself; elsewhere the update arrives anew.
            ("moderator", ("inbox",), Expect([], [settled("duyet", "«đm»")])),
        ],
        stored={"review_state": "duyet", "restricted": False, "status": "da_tiep_nhan"},
    ),
    "a label corrected, then restricted": ModeratorTable(
        [
            *MODERATOR_JOINS,
            *RESIDENT_SUBMITS,
            ("moderator", ("inbox",), Expect([FLAGGED], [queue("«đm»", tail=HINT)])),
            (
                "moderator",
                ("fix", "topic", "y_te"),
                Expect(
                    [
                        review.CHOOSE_TOPIC.format(
                            code="@CODE@", current=taxonomy.TOPICS["moi_truong"]
                        ),
                        queue(taxonomy.TOPICS["y_te"], "«đm»"),
                    ],
                    [
                        review.CORRECTED.format(
                            field=review.FIELD_TOPIC,
                            code="@CODE@",
                            before=taxonomy.TOPICS["moi_truong"],
                            after=taxonomy.TOPICS["y_te"],
                        )
                    ],
                ),
            ),
            (
                "moderator",
                ("decide", "hc"),
                Expect([settled("han_che", taxonomy.TOPICS["y_te"])], [done("han_che")]),
            ),
            (
                "moderator",
                ("inbox",),
                Expect(
                    [],
                    [
                        queue(taxonomy.TOPICS["y_te"], tail=HINT),
                        settled("han_che", taxonomy.TOPICS["y_te"]),
                    ],
                ),
            ),
        ],
        stored={"review_state": "han_che", "restricted": True, "topic": "y_te"},
    ),
    "spam is closed": ModeratorTable(
        [
            *MODERATOR_JOINS,
            *RESIDENT_SUBMITS,
            ("moderator", ("inbox",), Expect([FLAGGED], [queue("«đm»", tail=HINT)])),
            (
                "moderator",
                ("decide", "sp"),
                Expect([settled("spam", "«đm»")], [done("spam")]),
            ),
            ("moderator", ("decide", "sp"), [stale("spam")]),
        ],
        stored={"review_state": "spam", "status": "da_dong"},
    ),
}
