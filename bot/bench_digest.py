"""`ykien bench digest`: one province's monthly digest as the table grows (10k, 100k, 1M rows).

Synthetic submissions over 12 months (November 2025 – October 2026) and 34 provinces; the
measured province (79, Hồ Chí Minh City) holds half of them, spread over 300 of its communes. Each
commune-month has a few recurring problems (clusters). Rows are bulk loaded (COPY on PostgreSQL,
executemany on SQLite) and the database is ANALYZEd; then `build_digest` runs for October 2026,
figures, top problems and the item listing included, three times per size. Peak memory is the
process's resident set sampled every 10 ms while the digest runs.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import threading
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from bot.bench_dedup import BulkLoader
from bot.digests import build_digest
from config import taxonomy
from handlers.digest import Period
from storage import models
from storage.db import Database
from storage.digests import DigestScope

PROVINCE = "79"
SHARE = 0.5  # of all rows in the measured province: a province-wide campaign
PERIOD = Period.month(2026, 10)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_DAY = date(2025, 11, 1)
DAYS = 365
CHUNK = 20_000
RUNS = 3
KINDS = list(taxonomy.KINDS)
TOPICS = list(taxonomy.TOPICS)
GROUPS = [None, *taxonomy.TARGET_GROUPS]
STATUSES = ["da_tiep_nhan"] * 5 + ["dang_xu_ly"] * 2 + ["da_tra_loi"] * 3
TEXTS = [
    "Đường {n} ngập sâu mỗi khi mưa, đề nghị nạo vét cống. Liên hệ 0912 345 {n:03d}.",
    "Đèn đường hẻm {n} hỏng cả tháng nay, buổi tối rất nguy hiểm.",
    "Rác ùn ứ ở chợ {n}, bốc mùi hôi, đề nghị thu gom đúng giờ.",
    "Xin hỏi thủ tục cấp đổi sổ đỏ ở phường, hồ sơ số {n} nộp đã lâu chưa có kết quả.",
    "Cảm ơn cán bộ phường đã hỗ trợ bà con khu phố {n} rất nhiệt tình.",
]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


class _PeakRss:
    """Samples the resident set size in a thread while a block runs."""

    def __enter__(self) -> _PeakRss:
        self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _rss_bytes())

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


async def _load(db: Database, first_id: int, count: int, rng: random.Random) -> None:
    """Append `count` synthetic submissions (and their clusters) with ids from `first_id`."""
    seconds: dict[str, float] = {}
    next_cluster = await _next_cluster_id(db)
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        clusters: dict[tuple[str, int, int], int] = {}
        new_clusters: list[tuple[Any, ...]] = []
        rows: list[tuple[Any, ...]] = []
        async with db.engine.begin() as conn:
            loader = BulkLoader(conn, db.is_sqlite, seconds)
            for offset in range(size):
                ident = first_id + start + offset
                ours = rng.random() < SHARE
                province = PROVINCE if ours else f"{rng.randrange(1, 97):02d}"
                commune = f"{int(province) * 1000 + rng.randrange(300):05d}"
                at = datetime.combine(
                    FIRST_DAY + timedelta(days=rng.randrange(DAYS)), datetime.min.time(), UTC
                ) + timedelta(seconds=rng.randrange(86_400))
                month = at.year * 12 + at.month
                problem = rng.randrange(8)
                key = (commune, month, problem)
                cluster = clusters.get(key)
                if cluster is None:
                    cluster = clusters[key] = next_cluster
                    next_cluster += 1
                    new_clusters.append(
                        (
                            cluster,
                            f"{at:%Y-%m}:{commune}",
                            1,
                            ident,
                            loader.when(at),
                            loader.when(at),
                        )
                    )
                kind = rng.choice(KINDS)
                flags = '[{"code": "to_cao"}]' if kind == "to_cao" else "[]"
                rows.append(
                    (
                        ident, f"B{ident:09d}", kind, rng.choice(TEXTS).format(n=problem),
                        "bench", loader.when(at), loader.when(at), rng.choice(STATUSES),
                        commune, f"Phường {commune}", province, rng.choice(GROUPS),
                        rng.choice(TOPICS), flags, False, cluster,
                        loader.when(at + timedelta(days=21)),
                    )
                )  # fmt: skip
            await loader.copy(
                "clusters",
                ["id", "scope", "size", "representative_submission_id", "created_at", "updated_at"],
                new_clusters,
            )
            await loader.copy(
                "submissions",
                [
                    "id", "code", "kind", "text", "channel", "created_at", "updated_at", "status",
                    "locality_code", "locality_name", "province_code", "target_group", "topic",
                    "flags", "needs_review", "cluster_id", "answer_due_at",
                ],
                rows,
            )  # fmt: skip
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))


async def _next_cluster_id(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.coalesce(func.max(models.Cluster.id), 0)))) + 1


async def run_digest_bench(database_url: str, sizes: Sequence[int]) -> dict[str, Any]:
    """Grow an empty database to each size in turn and time the province-month digest there."""
    db = Database(database_url)
    results: dict[str, Any] = {"database": db.engine.dialect.name, "province": PROVINCE}
    try:
        await db.upgrade()
        async with db.engine.connect() as conn:
            if await conn.scalar(select(func.count()).select_from(models.Submission)):
                raise ValueError("the benchmark needs an empty database (it writes fake rows)")
        rng = random.Random(2026)
        loaded = 0
        now = datetime(2026, 11, 21, 3, tzinfo=UTC)
        for size in sorted(sizes):
            began = time.perf_counter()
            await _load(db, loaded + 1, size - loaded, rng)
            load_s = time.perf_counter() - began
            loaded = size
            timings, peaks, digest = [], [], None
            for _ in range(RUNS):
                with _PeakRss() as memory:
                    began = time.perf_counter()
                    digest = await build_digest(
                        db, DigestScope(province_code=PROVINCE), PERIOD,
                        unit_name="TP. Hồ Chí Minh", now=now, tz=TZ,
                    )  # fmt: skip
                    timings.append(time.perf_counter() - began)
                peaks.append(memory.peak)
            assert digest is not None
            results[str(size)] = {
                "load_s": round(load_s, 1),
                "digest_s_median": round(statistics.median(timings), 3),
                "digest_s_runs": [round(t, 3) for t in timings],
                "peak_rss_mib": round(max(peaks) / 2**20),
                "items_in_digest": digest.total,
                "problems": len(digest.problems),
            }
    finally:
        await db.dispose()
    return results


def main_sync(database_url: str, sizes: Sequence[int]) -> dict[str, Any]:
    """Run the benchmark to completion (for the CLI)."""
    return asyncio.run(run_digest_bench(database_url, sizes))
