"""A tiny corpus in the project's format, so model training in tests takes a second."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLES = {
    ("dat_dai", "phan_anh"): [
        "Hàng xóm lấn chiếm đất nhà tôi",
        "Chưa được cấp sổ đỏ sau ba năm",
        "Thu hồi đất mà chưa bồi thường",
        "Xây nhà không phép trên đất nông nghiệp",
    ],
    ("dat_dai", "hoi_dap"): [
        "Cho hỏi thủ tục tách thửa đất thế nào?",
        "Xin hỏi giá đất bồi thường tính ra sao?",
        "Sổ hồng chung cư bao giờ có ạ?",
        "Cho tôi hỏi quy hoạch khu này đến bao giờ?",
    ],
    ("giao_thong_ha_tang", "phan_anh"): [
        "Đường liên xã có nhiều ổ gà",
        "Đèn đường hẻm 5 tắt cả tuần",
        "Cống thoát nước tắc, mưa là ngập",
        "Cầu tạm qua kênh sắp sập",
    ],
    ("giao_thong_ha_tang", "hoi_dap"): [
        "Bao giờ làm lại đường vào thôn ạ?",
        "Cho hỏi tuyến xe buýt mới chạy khi nào?",
        "Xin hỏi ai sửa đèn chiếu sáng ngõ 3?",
        "Vỉa hè lát lại đến bao giờ xong?",
    ],
}


def write_tiny_corpus(directory: Path) -> Path:
    """Write the tiny corpus as `directory/tiny.jsonl` (every fourth example is dev)."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    number = 0
    for (topic, kind), texts in EXAMPLES.items():
        for text in texts:
            number += 1
            split = "dev" if number % 4 == 0 else "train"
            row = {"id": f"{topic}-{number:03d}", "text": text, "topic": topic, "kind": kind}
            lines.append(json.dumps({**row, "split": split}, ensure_ascii=False))
    (directory / "tiny.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory
