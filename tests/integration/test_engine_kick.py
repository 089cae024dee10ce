"""The engine asks for prompt delivery exactly when an update queued outbox messages."""

from __future__ import annotations

from handlers.intake import Engine
from storage.db import Database
from tests.integration.test_answers import submit
from tests.integration.test_roles_chat import with_role


async def test_on_queued_fires_after_an_update_that_queued_and_only_then(
    officers: Engine,
    db: Database,
) -> None:
    kicks: list[int] = []
    officers.on_queued = lambda: kicks.append(1)
    officer = await with_role(db, officers, "officer-1", "officer")
    kicks.clear()  # consent and role changes queue nothing; be sure anyway
    await officer.act(("cmd", "tim", "ngap"))
    assert kicks == []
    code = await submit(db)
    await officer.act(("cmd", "traloi", f"{code} Đã nạo vét cống."))
    assert kicks == [1]
    await officer.redeliver()  # the same update again: nothing new queued, no kick
    assert kicks == [1]
