"""`ykien audit` as an inspector runs it: the demo's audit trail, never a message text."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from config import texts
from config.settings import Settings
from tests.e2e.test_cli import make_cli


def test_audit_lists_the_trail_since_a_date_without_texts(
    tmp_path: Path, nlp_settings: Settings
) -> None:
    cli = make_cli(tmp_path, nlp_settings.model_dir)
    assert cli.run("demo").returncode == 0
    with sqlite3.connect(cli.database) as conn:
        submissions = [row[0] for row in conn.execute("SELECT text FROM submissions")]
        entries = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    since = (today - timedelta(days=1)).isoformat()

    result = cli.run("audit", "--since", since, "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == entries > 0
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    actions = {row["action"] for row in rows}
    assert {"consent.given", "submission.created"} <= actions
    created = [row for row in rows if row["action"] == "submission.created"]
    assert len(created) == len(submissions)
    assert all(row["actor"].startswith("ND-") for row in created)
    for text in submissions:
        assert text[:40] not in result.stdout  # pseudonyms and codes, never what was written

    table = cli.run("audit", "--since", since)
    assert table.returncode == 0 and len(table.stdout.splitlines()) == entries

    later = cli.run("audit", "--since", (today + timedelta(days=2)).isoformat())
    assert later.stdout.strip() == texts.AUDIT_EMPTY.format(
        date=(today + timedelta(days=2)).isoformat()
    )
    bad = cli.run("audit", "--since", "21/11/2026")
    assert bad.returncode == 2
    assert texts.AUDIT_BAD_DATE.format(date="21/11/2026") in bad.stderr
