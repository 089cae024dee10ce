"""`ykien serve --workers N`: N serving processes on one port, kept alive by this parent.

Each worker is a whole `ykien serve` (webhooks, the inbox worker, /healthz, /metrics) bound with
SO_REUSEPORT, so the kernel spreads connections over them. They share PostgreSQL: the inbox keeps
each resident's updates in order whichever worker stored or handles them, and the scheduler runs
in whichever worker holds the advisory lock. The parent migrates the database and trains missing
models once, before any worker starts, so workers only load them; it restarts a worker that dies
and stops them all on SIGTERM or SIGINT. It also gives them a fresh directory for their /metrics
figures (prometheus_client's multiprocess mode), so any worker's scrape reports all of them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from types import FrameType

from prometheus_client import multiprocess

from bot.metrics import MULTIPROCESS_DIR
from bot.nlp_models import build_analyzer
from config.settings import Settings
from storage.db import Database

logger = logging.getLogger(__name__)

# A worker that dies this many times within RESTART_WINDOW seconds is not restarted again:
# something is wrong with the configuration, not a one-off crash.
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0
# Time the workers get to finish their current updates after SIGTERM.
STOP_TIMEOUT = 45.0
# The hidden flag a worker is started with.
WORKER_FLAG = "--worker-process"


class WorkersFailed(Exception):
    """A worker kept dying; the message says which."""


async def prepare(settings: Settings) -> None:
    """Migrate the database and load (or train) the models once, before any worker starts."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    await asyncio.to_thread(build_analyzer, settings)


async def stop_when_orphaned(stop: asyncio.Event) -> None:
    """Set `stop` once this process's parent is gone (it was re-parented)."""
    parent = os.getppid()
    while not stop.is_set():
        if os.getppid() != parent:
            logger.error("the parent process %d is gone; stopping", parent)
            stop.set()
            return
        await asyncio.sleep(1.0)


def worker_command() -> list[str]:
    """How a worker is started: this interpreter running the CLI's `serve`."""
    return [sys.executable, "-m", "bot.cli", "serve", WORKER_FLAG]


class Supervisor:
    """Starts the workers, restarts the ones that die, stops them all on a signal."""

    def __init__(self, count: int, command: list[str] | None = None) -> None:
        self.count = count
        self.command = command or worker_command()
        self.workers: list[subprocess.Popen[bytes]] = []
        self._stopping = False
        self._deaths: deque[float] = deque()
        self.metrics_dir = ""

    def _start(self) -> subprocess.Popen[bytes]:
        environment = {**os.environ, MULTIPROCESS_DIR: self.metrics_dir}
        # Inherits stdout/stderr: one journal.
        worker = subprocess.Popen(self.command, env=environment)
        logger.info("worker %d started", worker.pid)
        return worker

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %d: stopping %d workers", signum, len(self.workers))
        self._stopping = True

    def run(self) -> None:
        """Serve until a signal; raise WorkersFailed when a worker keeps dying."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        # Fresh for every run: the figures count from this start, as a single process's do.
        self.metrics_dir = tempfile.mkdtemp(prefix="ykien-metrics-")
        self.workers = [self._start() for _ in range(self.count)]
        try:
            while not self._stopping:
                time.sleep(0.2)
                for index, worker in enumerate(self.workers):
                    code = worker.poll()
                    if code is None or self._stopping:
                        continue
                    self._note_death(worker.pid, code)
                    self.workers[index] = self._start()
        finally:
            self._terminate()
            shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def _note_death(self, pid: int, code: int) -> None:
        logger.error("worker %d exited with %d; restarting it", pid, code)
        # Its updates in flight are not in flight any more; its counts stay in the totals.
        multiprocess.mark_process_dead(pid, self.metrics_dir)
        now = time.monotonic()
        self._deaths.append(now)
        while self._deaths and now - self._deaths[0] > RESTART_WINDOW:
            self._deaths.popleft()
        if len(self._deaths) > MAX_RESTARTS:
            raise WorkersFailed(
                f"workers died {len(self._deaths)} times within {RESTART_WINDOW:.0f} s; "
                "see the log above"
            )

    def _terminate(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in self.workers:
            try:
                worker.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.error("worker %d did not stop in time; killed", worker.pid)
                worker.kill()
                worker.wait()
        logger.info("all workers stopped")
