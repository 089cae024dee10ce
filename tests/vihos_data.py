"""Made-up data in the ViHOS layout: a few insult phrases inside ordinary sentences."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

INSULTS = ("đồ khốn", "thằng xạo", "óc bã", "đần thối")
CLEAN = (
    "hôm nay trời mưa to quá",
    "đường làng bị ngập sâu",
    "xin hỏi thủ tục cấp sổ đỏ",
    "cảm ơn các anh đã sửa đèn",
    "nước sạch chưa về tới xóm",
    "trường học cần thêm phòng",
    "chợ quê họp từ sáng sớm",
    "cán bộ phường làm việc nhanh",
)


def vihos_rows(n: int, seed: int) -> list[tuple[str, list[int]]]:
    """``n`` texts with their insult character offsets; about half contain an insult."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        left, right = rng.choice(CLEAN), rng.choice(CLEAN)
        if rng.random() < 0.5:
            rows.append((f"{left} {right}", []))
            continue
        insult = rng.choice(INSULTS)
        text = f"{left} {insult} {right}"
        start = len(left) + 1
        rows.append((text, list(range(start, start + len(insult)))))
    return rows


def write_vihos_csv(path: Path, rows: list[tuple[str, list[int]]]) -> Path:
    """Write ``rows`` as a ViHOS CSV (index, content, index_spans) and return the path."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["", "content", "index_spans"])
        for i, (text, spans) in enumerate(rows):
            writer.writerow([i, text, json.dumps(spans)])
    return path
