"""Two moderators deciding the same item at the same moment, through two engines over one
database (on PostgreSQL the second transaction waits on the row lock, then matches nothing):
exactly one decision is stored, with one audit row; the other moderator is told who decided."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from config import review as review_texts
from handlers.intake import Engine
from nlp.locality import LocalityIndex
from storage.db import Database
from tests.conftest import FrozenClock
from tests.dialogue import Resident
from tests.moderation import GROUP, INSULT, ScriptedAnalyzer, audit_rows, outbox, staff, submit

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ROUNDS = 5


async def test_two_moderators_at_once_make_one_decision(
    db: Database, localities: LocalityIndex, clock: FrozenClock
) -> None:
    first, second = (
        Engine(db.unit_of_work, localities, clock, VIETNAM, ScriptedAnalyzer()) for _ in range(2)
    )
    lan = await staff(db, first, "mod-lan", "moderator")
    minh = await staff(db, second, "mod-minh", "moderator")
    states = {"ok": "duyet", "hc": "han_che", "sp": "spam", "up": "chuyen_cap_tren"}
    pairs = [("ok", "hc"), ("sp", "up"), ("hc", "sp"), ("up", "ok"), ("ok", "sp")]
    for round_, (a, b) in enumerate(pairs[:ROUNDS]):
        code, _ = await submit(Resident(first, f"resident-{round_}"), INSULT)
        audit_before = len(await audit_rows(db, "review.decided"))
        edits_before = len([row for row in await outbox(db, "review:") if row.edit_key])

        replies = await asyncio.gather(
            lan.press_in(f"mod:{a}:{code}", chat_id=GROUP, message_id="10"),
            minh.press_in(f"mod:{b}:{code}", chat_id=GROUP, message_id="10"),
        )

        decided = (await audit_rows(db, "review.decided"))[audit_before:]
        assert len(decided) == 1, (round_, decided)
        actor = decided[0][0]
        async with db.unit_of_work() as uow:
            stored = await uow.submissions.get_by_code(code)
        assert stored is not None
        winner_action = a if decided[0][3]["after"]["review_state"] == states[a] else b
        assert stored.review_state == states[winner_action]
        stale = review_texts.STALE.format(
            code=code,
            actor=actor,
            at="09:30 21/11/2026",
            state=review_texts.REVIEW_STATES[states[winner_action]],
        )
        # One moderator sees their decision; the other the stale answer naming the winner.
        assert sorted(len(r) for r in replies) == [1, 1]
        assert sum(r == [stale] for r in replies) == 1
        assert sum(r[0].endswith(f"bởi {actor} lúc 09:30 21/11/2026.") for r in replies) == 1
        # The copies were edited once, by the winner.
        edits = [row for row in await outbox(db, "review:") if row.edit_key]
        assert len(edits) - edits_before == 2  # each moderator's copy, once
