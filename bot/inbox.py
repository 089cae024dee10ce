"""Webhook updates through the inbox: stored before the 200, handled after it.

`accept` is the webhook side. Updates arriving together are written in one transaction (a group
commit: the first request's write carries the ones that queued behind it), and each request is
answered only once its update is durable. When more updates wait than the limit, `accept`
refuses and the webhook answers 503, so Telegram and Zalo hold the update and re-deliver it later:
back-pressure instead of an unbounded queue.

`run` is the worker side, in every serving process: it claims residents' oldest updates, hands
each to its channel's consumer, and deletes it once handled. A consumer that raises is retried
with back-off, holding that resident's later updates, and given up after MAX_ATTEMPTS. The
engine's own claim on the update key makes a re-run of a handled update a no-op, so a crash
between "handled" and "deleted" costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.ports import Clock
from storage.db import Database
from storage.inbox import ClaimedItem, NewInboxItem, SqlInbox

logger = logging.getLogger(__name__)

# A consumer handles one stored update: (payload, received_at).
Consumer = Callable[[dict[str, Any], datetime], Awaitable[None]]

MAX_ATTEMPTS = 5
# Residents claimed per round, their updates per claim, and handled at once by one process.
CLAIM_CHATS = 64
CLAIM_PER_CHAT = 16
# How often a worker with nothing to do looks for updates other processes stored, and how
# often the backlog is counted again (every process's updates count against the limit).
IDLE_POLL_SECONDS = 0.5
COUNT_SECONDS = 0.5
# The process is ready for webhooks while its last good count is at most this old.
READY_WITHIN_SECONDS = 5.0


class Inbox:
    """One process's side of the shared inbox."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        limit: int = 10_000,
        lease: timedelta = timedelta(seconds=30),
        worker: str | None = None,
        retry_base: timedelta = timedelta(seconds=1),
        concurrency: int = 2,
    ) -> None:
        self.store = SqlInbox(db)
        # Stamps an update's arrival (the engine's clock, so a test's fake time holds); leases
        # and retries run on the wall clock, which every process shares.
        self.clock = clock
        self.limit = limit
        self.lease = lease
        # The first retry's wait; each next one doubles it.
        self.retry_base = retry_base
        # Residents handled at once. Few: handling leaves the CPU to the webhooks, whose answers
        # the platforms wait for, and Telegram takes only ~30 replies a second from a bot
        # anyway; a flood waits in the inbox.
        self.concurrency = concurrency
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self._consumers: dict[str, Consumer] = {}
        self._batch: list[tuple[NewInboxItem, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None
        # Updates waiting, as last counted plus those accepted here since.
        self.backlog = 0
        # When the backlog was last counted (loop time): the database answered then.
        self.counted_at: float | None = None
        self._wake = asyncio.Event()
        self._busy = 0

    def consumer(self, channel: str, consume: Consumer) -> None:
        """Register how a channel's stored updates are handled."""
        self._consumers[channel] = consume

    # --- webhook side ----------------------------------------------------------------------

    async def accept(
        self, channel: str, update_key: str, chat_key: str, payload: dict[str, Any]
    ) -> bool:
        """Store one update durably; False (answer 503) when the inbox is full."""
        if self.backlog >= self.limit:
            return False
        item = NewInboxItem(channel, update_key, chat_key[:96], payload, self.clock())
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._batch.append((item, done))
        self.backlog += 1
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await done
        self._wake.set()
        return True

    async def _flush(self) -> None:
        while self._batch:
            batch, self._batch = self._batch, []
            try:
                await self.store.add([item for item, _ in batch])
            except Exception as error:
                self.backlog -= len(batch)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    def not_ready(self) -> str | None:
        """Why webhooks would not be taken now ("database", "full"), or None when they would."""
        counted = self.counted_at
        if counted is None or asyncio.get_running_loop().time() - counted > READY_WITHIN_SECONDS:
            return "database"  # not counted yet, or the count keeps failing
        if self.backlog >= self.limit:
            return "full"
        return None

    # --- worker side -----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Handle stored updates until `stop` is set."""
        counting = asyncio.create_task(self._count(stop))
        gate = asyncio.Semaphore(self.concurrency)
        try:
            while not stop.is_set():
                self._wake.clear()  # before claiming: an update stored meanwhile wakes us
                try:
                    items = await self.store.claim(
                        self.worker, _now(), self.lease, chats=CLAIM_CHATS, per_chat=CLAIM_PER_CHAT
                    )
                except Exception as error:
                    logger.error("inbox: claiming failed (%s); retrying", type(error).__name__)
                    items = []
                if not items:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(_first(self._wake, stop), IDLE_POLL_SECONDS)
                    continue
                by_chat: dict[str, list[ClaimedItem]] = {}
                for item in items:
                    by_chat.setdefault(item.chat_key, []).append(item)
                await asyncio.gather(*(self._chat(chat, gate) for chat in by_chat.values()))
        finally:
            counting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await counting

    async def _count(self, stop: asyncio.Event) -> None:
        """Keep `backlog` near the truth: all processes' waiting updates, counted anew."""
        while not stop.is_set():
            try:
                self.backlog = await self.store.pending() + len(self._batch)
                self.counted_at = asyncio.get_running_loop().time()
            except Exception as error:
                logger.warning("inbox: counting failed (%s)", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), COUNT_SECONDS)

    async def _chat(self, items: list[ClaimedItem], gate: asyncio.Semaphore) -> None:
        """One resident's claimed updates, in order; a failure holds back the rest.

        The handled ones are deleted together at the end: a crash before that makes them run
        again, which the engine's claim on each update key turns into a no-op.
        """
        async with gate:
            self._busy += 1
            handled: list[int] = []
            try:
                for index, item in enumerate(items):
                    if not await self._handle(item):
                        await self.store.release([later.id for later in items[index + 1 :]])
                        break
                    handled.append(item.id)
            finally:
                await self.store.done(handled)
                self.backlog = max(0, self.backlog - len(handled))
                self._busy -= 1

    async def _handle(self, item: ClaimedItem) -> bool:
        """Run one update through its consumer; False when it must be retried later."""
        consume = self._consumers.get(item.channel)
        try:
            if consume is None:
                raise LookupError(f"no consumer for channel {item.channel}")
            await consume(item.payload, item.received_at)
        except Exception as error:
            if item.attempts >= MAX_ATTEMPTS:
                # Never the traceback at ERROR: a database error would quote the message text.
                logger.error(
                    "inbox: %s update %s failed %d times (%s); given up",
                    item.channel, item.update_key, item.attempts, type(error).__name__,
                )  # fmt: skip
                logger.debug("inbox failure", exc_info=True)
                return True
            delay = self.retry_base * 2 ** (item.attempts - 1)
            logger.warning(
                "inbox: %s update %s failed (%s); retry in %.0f s",
                item.channel, item.update_key, type(error).__name__, delay.total_seconds(),
            )  # fmt: skip
            logger.debug("inbox failure", exc_info=True)
            await self.store.retry_at(item.id, _now() + delay)
            return False
        return True

    async def settled(self) -> None:
        """Wait until nothing is stored or being handled (tests, benchmarks, shutdown)."""
        # Polled: the rows may be another process's, and no event here says when they go.
        while self._batch or self._busy or await self.store.pending():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def _now() -> datetime:
    return datetime.now(UTC)


async def _first(*events: asyncio.Event) -> None:
    """Return when any of the events is set."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
