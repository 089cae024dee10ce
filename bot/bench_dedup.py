"""`ykien bench dedup`: near-duplicate grouping at scale, on an empty throw-away database.

Synthetic submissions spread over 3,000 communes (a few big ones, many small, like real wards)
and 34 provinces (5% of residents name no commune) over 12 months. In each commune-month,
residents report problems built from templates (flooded roads, broken street lights, rubbish,
land disputes, power and water cuts, noise, potholes...) with slots (street names, landmarks,
hamlets) in varied words: with or without diacritics, teencode, stock openings and extra
details. Each new row reports an earlier problem of its scope with a probability that favours
the problems already reported most (a few problems get dozens of reports, most get one), starts
a new problem, or is an unrelated message from the project's corpus.

All rows but the last 1,000 are bulk loaded already clustered (by the generator's truth, with
their signatures and band keys, as if `assign` had grouped them perfectly): COPY on PostgreSQL
(the two cluster foreign keys are dropped for the load and added back), executemany on SQLite.
The last 1,000 go through the real path, one unit of work each (store the submission,
`clusters.assign`, commit); `assign` is timed on its own and with the whole unit of work, and
its decisions are checked against the generator's truth ("timed_outcomes").

The timings are the point. The outcomes are a rough guide: the generator words every problem
of a kind with the same few templates, so two problems at different places ("thôn 3 mất điện",
"thôn 5 mất điện") often differ by one name or number, which lexical similarity cannot weigh;
busy scopes hold many such look-alikes, and "joined_wrong" grows with scope density.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

import nlp
from nlp.duplicates import (
    SIMILAR,
    band_keys,
    cluster_scope,
    signature,
    signature_to_bytes,
    similarity,
)
from nlp.text import strip_diacritics
from storage import models
from storage.db import Database
from storage.records import NewSubmission

LOCALITIES = 3_000
PROVINCES = 34
MONTHS = 12
TIMED = 1_000
CHUNK = 20_000
SEED = 20261121
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 1, 1, tzinfo=VIETNAM)

P_NO_LOCALITY = 0.05
P_UNRELATED = 0.25  # a message from the corpus, about something else entirely
P_REPEAT = 0.45  # of the others: one more report of a problem already reported in the scope

ROADS = (
    "Nguyễn Trãi", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
    "Nguyễn Huệ", "Lê Duẩn", "Hùng Vương", "Phan Chu Trinh", "Trần Phú", "Điện Biên Phủ",
    "Nguyễn Văn Cừ", "Võ Thị Sáu", "Lê Thánh Tông", "Bà Triệu", "Phan Đình Phùng", "Ngô Quyền",
    "Nguyễn Du", "Hoàng Diệu", "Cách Mạng Tháng Tám", "Lạc Long Quân", "Âu Cơ", "Tôn Đức Thắng",
    "Nguyễn Thị Minh Khai", "Pasteur", "Chu Văn An", "Nguyễn Đình Chiểu", "Yersin", "Bạch Đằng",
    "Lê Hồng Phong", "Phạm Văn Đồng", "Trường Chinh", "Nguyễn Chí Thanh", "Kim Mã", "Giải Phóng",
    "Tây Sơn", "Láng", "Xuân Thủy", "Cầu Giấy", "Đội Cấn", "Hoàng Hoa Thám", "Thụy Khuê",
    "Nguyễn Văn Linh", "Lê Văn Lương", "Tố Hữu", "Đinh Tiên Hoàng", "Mạc Thị Bưởi", "Hàm Nghi",
    "liên xã", "liên thôn", "tỉnh lộ 8", "quốc lộ 1A", "đê sông Hồng", "kênh N2",
)  # fmt: skip
LANDMARKS = (
    "chợ", "trường tiểu học", "trường mầm non", "trạm y tế", "nhà văn hóa", "cổng chùa",
    "ngã tư", "cầu", "bến xe", "UBND xã", "công viên", "nhà thờ", "siêu thị", "bệnh viện",
)  # fmt: skip

# Problem types: each with a few ways residents put it. {road}, {place}, {hamlet}, {n}.
PROBLEMS: dict[str, tuple[str, ...]] = {
    "flood": (
        "Đường {road} đoạn trước {place} ngập sâu mỗi khi mưa",
        "Cứ mưa là {road} chỗ {place} ngập, xe máy chết máy",
        "Mưa lớn đường {road} gần {place} ngập tới đầu gối, cống thoát nước bị tắc",
        "{road} trước {place} lại ngập rồi, nước tràn vào nhà dân",
        "Đề nghị nạo vét cống đường {road}, đoạn {place} mưa là ngập",
    ),
    "light": (
        "Đèn đường trên đường {road} đoạn {place} bị hỏng, tối rất nguy hiểm",
        "Đường {road} gần {place} mất đèn chiếu sáng cả tháng nay",
        "Cột đèn chiếu sáng ở {road} chỗ {place} không sáng, buổi tối tối om",
        "Đề nghị sửa đèn đường {road} trước {place}, tối đi không thấy gì",
    ),
    "rubbish": (
        "Rác thải ở thôn {hamlet} không được thu gom cả tuần, bốc mùi hôi thối",
        "Bãi rác tự phát cạnh {place} thôn {hamlet} ruồi muỗi nhiều quá",
        "Xe rác không vào thôn {hamlet}, rác chất đống ven đường",
        "Người dân đổ rác bừa bãi trước {place} ở thôn {hamlet}",
    ),
    "land": (
        "Nhà hàng xóm ở thôn {hamlet} xây lấn sang đất nhà tôi",
        "Tranh chấp ranh giới đất với hộ bên cạnh tại thôn {hamlet}, xã chưa giải quyết",
        "Hộ bên cạnh ở thôn {hamlet} xây tường lấn ranh đất, đề nghị đo đạc lại",
    ),
    "power": (
        "Thôn {hamlet} mất điện liên tục mấy ngày nay, không báo trước",
        "Khu vực thôn {hamlet} cúp điện suốt, điện yếu không chạy được máy bơm",
        "Điện chập chờn ở thôn {hamlet}, hư hết đồ điện",
    ),
    "water": (
        "Nước sinh hoạt ở thôn {hamlet} bị cắt ba ngày rồi",
        "Nước máy khu thôn {hamlet} đục ngầu, có mùi lạ",
        "Thôn {hamlet} không có nước sạch, giếng khoan bị nhiễm phèn",
    ),
    "noise": (
        "Quán karaoke ở hẻm {n} {road} hát đến nửa đêm, ồn không ngủ được",
        "Hàng xóm ở kiệt {n} đường {road} mở loa kẹo kéo ồn ào cả ngày",
        "Tiếng ồn từ xưởng gỗ ở hẻm {n} {road} làm cả xóm mất ngủ",
    ),
    "pothole": (
        "Đường {road} đoạn gần {place} có ổ gà lớn, nhiều người ngã xe",
        "Mặt đường {road} trước {place} bị sụt lún, hố sâu rất nguy hiểm",
        "Đề nghị vá ổ gà trên đường {road} chỗ {place}",
    ),
    "construction": (
        "Công trình xây dựng trên đường {road} gần {place} để vật liệu lấn chiếm lòng đường",
        "Nhà đang xây ở {road} đổ cát đá ra đường, bụi bặm",
        "Công trình ở đường {road} thi công ban đêm, ồn và bụi",
    ),
    "dogs": (
        "Chó thả rông ở thôn {hamlet} cắn người, không ai quản lý",
        "Nhiều chó không rọ mõm chạy ngoài đường thôn {hamlet}, trẻ con sợ",
    ),
    "smoke": (
        "Lò đốt rác gần {place} thôn {hamlet} khói bay vào nhà dân",
        "Người dân đốt rơm rạ ở cánh đồng thôn {hamlet}, khói mù mịt",
    ),
    "school": (
        "Trường {place} ở thôn {hamlet} thu nhiều khoản tiền ngoài quy định",
        "Phụ huynh trường {place} thôn {hamlet} bị thu tiền học thêm bắt buộc",
    ),
}
# What identifies a problem of a kind: the slots every phrasing of it names (the others are
# details some phrasings add). Two problems of one kind and place in one scope are one problem.
_SLOTS_OF = {
    kind: sorted(
        set.intersection(
            *({name for _, name, _, _ in string.Formatter().parse(t) if name} for t in templates)
        )
    )
    for kind, templates in PROBLEMS.items()
}
OPENINGS = (
    "", "", "", "Đề nghị xử lý: ", "Cho hỏi ", "Kính gửi UBND xã, ", "Tôi phản ánh ",
    "Mọi người ơi ", "Xin phản ánh ", "Bức xúc quá, ",
)  # fmt: skip
ENDINGS = (
    "", "", "", ".", "!!!", ", mong chính quyền sớm xử lý.", ", đã phản ánh nhiều lần rồi.",
    ", bà con rất bức xúc.", ", xin cảm ơn.", " ạ.", ", kéo dài mấy tháng nay.",
    ", ảnh hưởng đến việc đi lại của người dân.",
)  # fmt: skip
TEENCODE = {"không": "ko", "được": "dc", "quá": "wa", "đường": "dg", "người": "ng", "gì": "j"}


@dataclass
class _Scope:
    problems: list[tuple[int, int]] = field(default_factory=list)  # (problem id, reports)
    specs: dict[tuple[str, ...], int] = field(default_factory=dict)  # -> index in problems


@dataclass(frozen=True)
class _Row:
    index: int
    text: str
    locality: str | None
    province: str
    at: datetime
    problem: int  # the generator's truth: rows with one problem id are one cluster


class _Generator:
    """Deterministic stream of synthetic submissions (same seed, same rows)."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        # Commune sizes follow a power law: the biggest gets ~1% of all submissions.
        weights = [1 / (rank**0.6) for rank in range(1, LOCALITIES + 1)]
        total = sum(weights)
        self.cumulative = list(itertools.accumulate(w / total for w in weights))
        self.localities = [f"{10_000 + i}" for i in range(LOCALITIES)]
        self.provinces = [f"{1 + i:02d}" for i in range(PROVINCES)]
        self.province_of = {
            code: self.provinces[i % PROVINCES] for i, code in enumerate(self.localities)
        }
        self.scopes: dict[str, _Scope] = {}
        self.corpus = _corpus_texts()
        self.next_problem = 1
        self.slots: dict[int, tuple[str, dict[str, str]]] = {}

    def rows(self, count: int) -> Iterator[_Row]:
        span = timedelta(days=365) / count
        for index in range(count):
            yield self._row(index, START + span * index)

    def _row(self, index: int, at: datetime) -> _Row:
        rng = self.rng
        if rng.random() < P_NO_LOCALITY:
            locality = None
            province = rng.choice(self.provinces)
        else:
            locality = self.localities[_bisect(self.cumulative, rng.random())]
            province = self.province_of[locality]
        scope_key = cluster_scope(locality, province, at.astimezone(VIETNAM).date())
        scope = self.scopes.setdefault(scope_key, _Scope())
        if rng.random() < P_UNRELATED:
            problem = self.next_problem
            self.next_problem += 1
            unrelated = rng.choice(self.corpus)
            return _Row(index, unrelated, locality, province, at.astimezone(UTC), problem)
        if scope.problems and rng.random() < P_REPEAT:
            # Preferential attachment: a problem is picked in proportion to its reports.
            weights = [reports for _, reports in scope.problems]
            position = rng.choices(range(len(scope.problems)), weights)[0]
            problem, reports = scope.problems[position]
            scope.problems[position] = (problem, reports + 1)
        else:
            kind = rng.choice(list(PROBLEMS))
            slots = {
                "road": rng.choice(ROADS),
                "place": rng.choice(LANDMARKS),
                "hamlet": str(rng.randint(1, 20)),
                "n": str(rng.randint(2, 150)),
            }
            spec = (kind, *(slots[name] for name in _SLOTS_OF[kind]))
            position = scope.specs.get(spec)
            if position is None:  # a new problem
                problem = self.next_problem
                self.next_problem += 1
                self.slots[problem] = (kind, slots)
                scope.specs[spec] = len(scope.problems)
                scope.problems.append((problem, 1))
            else:  # the same kind of problem at the same place is the same problem
                problem, reports = scope.problems[position]
                scope.problems[position] = (problem, reports + 1)
        kind, slots = self.slots[problem]
        return _Row(index, self._say(kind, slots), locality, province, at.astimezone(UTC), problem)

    def _say(self, kind: str, slots: dict[str, str]) -> str:
        rng = self.rng
        body = rng.choice(PROBLEMS[kind]).format(**slots)
        said = rng.choice(OPENINGS) + (body[0].lower() + body[1:] if rng.random() < 0.5 else body)
        said += rng.choice(ENDINGS)
        if rng.random() < 0.2:
            said = " ".join(TEENCODE.get(word, word) for word in said.split())
        if rng.random() < 0.35:
            said = strip_diacritics(said)
        if rng.random() < 0.3:
            said = said.lower()
        return said


def _bisect(cumulative: list[float], x: float) -> int:
    low, high = 0, len(cumulative) - 1
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] < x:
            low = middle + 1
        else:
            high = middle
    return low


def _corpus_texts() -> list[str]:
    directory = Path(nlp.__file__).resolve().parent / "corpus"
    return [
        json.loads(line)["text"]
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


_FOREIGN_KEYS = (  # as migration 0002 creates them
    (
        ("cluster_keys", "fk_cluster_keys_cluster_id_clusters"),
        "FOREIGN KEY (cluster_id) REFERENCES clusters (id) ON DELETE CASCADE",
    ),
    (
        ("submissions", "fk_submissions_cluster_id_clusters"),
        "FOREIGN KEY (cluster_id) REFERENCES clusters (id)",
    ),
)


class BulkLoader:
    """Bulk insert of clusters, submissions and cluster keys, per chunk, engine-specific."""

    def __init__(self, conn: AsyncConnection, sqlite: bool, seconds: dict[str, float]) -> None:
        self.conn = conn
        self.sqlite = sqlite
        self.seconds = seconds

    def when(self, value: datetime) -> Any:
        """A time as this engine's bulk path takes it (SQLite: SQLAlchemy's text format)."""
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}" if self.sqlite else value

    async def copy(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        began = time.perf_counter()
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            await self.conn.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )
        else:
            raw = await self.conn.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                table, records=rows, columns=columns
            )
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - began


async def _bulk_load(db: Database, generator: _Generator, count: int) -> dict[str, Any]:
    """Insert `count` rows already clustered by the generator's truth; returns timings."""
    clusters: dict[int, int] = {}  # problem -> cluster id
    # Keys stored per cluster, kept only while the cluster's month lasts (scopes are monthly).
    cluster_keys: dict[int, set[str]] = {}
    month_clusters: dict[str, list[int]] = {}
    sizes: dict[int, int] = {}
    next_cluster = 1
    signing = 0.0
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if not db.is_sqlite:  # checking foreign keys row by row would dominate the load
        async with db.engine.begin() as conn:
            for table, _ in _FOREIGN_KEYS:
                await conn.execute(text(f"ALTER TABLE {table[0]} DROP CONSTRAINT {table[1]}"))
    rows_iter = generator.rows(count + TIMED)
    for first in range(0, count, CHUNK):
        chunk = [next(rows_iter) for _ in range(min(CHUNK, count - first))]
        began = time.perf_counter()
        signatures = [signature(row.text) for row in chunk]
        keys = [band_keys(sig) for sig in signatures]
        signing += time.perf_counter() - began
        new_clusters, submissions, key_rows = [], [], []
        async with db.engine.begin() as conn:
            if db.is_sqlite:  # a big page cache for random inserts into the key index
                await conn.exec_driver_sql("PRAGMA cache_size = -1000000")
            loader = BulkLoader(conn, db.is_sqlite, seconds)
            for row, sig, row_keys in zip(chunk, signatures, keys, strict=True):
                scope = cluster_scope(row.locality, row.province, _local_date(row.at))
                cluster = clusters.get(row.problem)
                if cluster is None:
                    cluster = clusters[row.problem] = next_cluster
                    next_cluster += 1
                    new_clusters.append((cluster, scope, row.index + 1, row.at))
                    cluster_keys[cluster] = set()
                    month_clusters.setdefault(scope[:7], []).append(cluster)
                    sizes[cluster] = 0
                sizes[cluster] += 1
                submissions.append(
                    (
                        row.index + 1, f"B{row.index:08d}", "phan_anh", row.text, "bench",
                        loader.when(row.at), loader.when(row.at), "da_tiep_nhan",
                        row.locality, row.province, "[]", False, cluster,
                        signature_to_bytes(sig),
                    )
                )  # fmt: skip
                stored = cluster_keys[cluster]
                for key in row_keys:
                    if key not in stored:
                        stored.add(key)
                        key_rows.append((scope, key, cluster, row.index + 1))
            await loader.copy(
                "clusters",
                ["id", "scope", "size", "representative_submission_id", "created_at", "updated_at"],
                [
                    (c, s, 0, rep, loader.when(at), loader.when(at))
                    for c, s, rep, at in new_clusters
                ],
            )
            await loader.copy(
                "submissions",
                [
                    "id", "code", "kind", "text", "channel", "created_at", "updated_at", "status",
                    "locality_code", "province_code", "flags", "needs_review", "cluster_id",
                    "signature",
                ],
                submissions,
            )  # fmt: skip
            key_rows.sort()
            await loader.copy(
                "cluster_keys", ["scope", "band_key", "cluster_id", "submission_id"], key_rows
            )
        current = f"{_local_date(chunk[-1].at):%Y-%m}"
        for month in [m for m in month_clusters if m < current]:
            for cluster in month_clusters.pop(month):
                del cluster_keys[cluster]
    async with db.engine.begin() as conn:
        await conn.execute(
            text("CREATE TEMPORARY TABLE bench_sizes (id BIGINT PRIMARY KEY, size INTEGER)")
        )
        loader = BulkLoader(conn, db.is_sqlite, seconds)
        await loader.copy("bench_sizes", ["id", "size"], list(sizes.items()))
        await conn.execute(
            text(
                "UPDATE clusters SET size = bench_sizes.size FROM bench_sizes"
                " WHERE bench_sizes.id = clusters.id"
            )
        )
        await conn.execute(text("DROP TABLE bench_sizes"))
        if not db.is_sqlite:
            for (table, name), target in _FOREIGN_KEYS:
                await conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {target}"))
            for table in ("submissions", "clusters"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return {
        "load_s": round(time.perf_counter() - started, 1),
        "signatures_per_s": round(count / signing) if signing else None,
        "insert_s": {table: round(value, 1) for table, value in seconds.items()},
        "truth": clusters,
        "rows_iter": rows_iter,
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _table_sizes(db: Database) -> dict[str, float]:
    """MiB per table, indexes included (SQLite: when the dbstat table is compiled in)."""
    if db.is_sqlite:
        query = (
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat AS d"
            " LEFT JOIN sqlite_master AS m ON m.name = d.name GROUP BY 1"
        )
    else:
        query = "SELECT relname, pg_total_relation_size(relid) FROM pg_statio_user_tables"
    try:
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text(query))).all()
    except Exception:  # dbstat missing from this SQLite build
        return {}
    sizes = {name: round(size / 2**20, 1) for name, size in rows if size and size >= 2**20}
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


async def _database_size(db: Database) -> int | None:
    if db.is_sqlite:
        path = Path(make_url(db.url).database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    async with db.engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)


async def run_dedup_bench(database_url: str, n: int) -> dict[str, Any]:
    """Load n synthetic submissions into an empty database and time `assign` for the last 1,000.

    Refuses a database that already holds submissions: this writes n fake rows.
    """
    if n < TIMED:
        raise ValueError(f"n must be at least {TIMED}")
    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.engine.connect() as conn:
            existing = await conn.scalar(select(func.count()).select_from(models.Submission))
        if existing:
            raise ValueError("the benchmark needs an empty database (it writes fake submissions)")
        generator = _Generator()
        loaded = await _bulk_load(db, generator, n - TIMED)
        truth: dict[int, int] = loaded["truth"]
        await db.dispose()  # fresh connections, without the loader's page cache settings
        db = Database(database_url)
        async with db.unit_of_work() as uow:
            person = await uow.people.add(
                pseudonym="BENCH", channel="bench", external_id="bench", consent_version="bench",
                at=datetime.now(UTC),
            )  # fmt: skip
            await uow.commit()
        assign_ms: list[float] = []
        unit_ms: list[float] = []
        outcomes = {"joined_right": 0, "joined_wrong": 0, "new_right": 0, "missed": 0}
        for row in loaded["rows_iter"]:
            sig = signature(row.text)
            keys = band_keys(sig)
            began = time.perf_counter()
            async with db.unit_of_work() as uow:
                stored = await uow.submissions.add(
                    NewSubmission(
                        code=f"B{row.index:08d}", person_id=person.id, kind="phan_anh",
                        text=row.text, channel="bench", created_at=row.at, status="da_tiep_nhan",
                        locality_code=row.locality, province_code=row.province,
                    )
                )  # fmt: skip
                assigning = time.perf_counter()
                cluster = await uow.clusters.assign(
                    submission_id=stored.id,
                    scope=cluster_scope(row.locality, row.province, _local_date(row.at)),
                    signature=sig,
                    band_keys=keys,
                    similarity=similarity,
                    threshold=SIMILAR,
                    at=row.at,
                )
                assign_ms.append((time.perf_counter() - assigning) * 1000)
                await uow.commit()
            unit_ms.append((time.perf_counter() - began) * 1000)
            known = truth.get(row.problem)  # the cluster of the problem's earlier reports
            if known is None:
                truth[row.problem] = cluster.id
                outcomes["new_right" if cluster.size == 1 else "joined_wrong"] += 1
            elif cluster.id == known:
                outcomes["joined_right"] += 1
            else:
                outcomes["missed" if cluster.size == 1 else "joined_wrong"] += 1
        async with db.engine.connect() as conn:
            counts = {
                table: await conn.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("submissions", "clusters", "cluster_keys")
            }
            big = await conn.scalar(select(func.max(models.Cluster.size)))
        return {
            "engine": "sqlite" if db.is_sqlite else "postgresql",
            "rows": counts["submissions"],
            "clusters": counts["clusters"],
            "cluster_keys": counts["cluster_keys"],
            "largest_cluster": big,
            "database_mb": round((await _database_size(db) or 0) / 2**20, 1),
            "table_mb": await _table_sizes(db),
            "load_s": loaded["load_s"],
            "insert_s": loaded["insert_s"],
            "signatures_per_s": loaded["signatures_per_s"],
            "assign_ms_p50": round(statistics.median(assign_ms), 2),
            "assign_ms_p99": round(_percentile(assign_ms, 0.99), 2),
            "unit_of_work_ms_p50": round(statistics.median(unit_ms), 2),
            "unit_of_work_ms_p99": round(_percentile(unit_ms, 0.99), 2),
            "timed": len(assign_ms),
            "timed_outcomes": outcomes,
        }
    finally:
        await db.dispose()


def _local_date(at: datetime) -> date:
    return at.astimezone(VIETNAM).date()
