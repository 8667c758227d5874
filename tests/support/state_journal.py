"""Journals read straight from a `.fabctl/state.db`, as another process would while a deployment runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

# Every journal with its steps (a row each, in their own table), oldest first.
JOURNALS = """
SELECT t.body, COALESCE((SELECT json_group_array(json(s.body)) FROM
    (SELECT body FROM transaction_steps WHERE transaction_id = t.id ORDER BY number) AS s), '[]')
FROM transactions AS t ORDER BY t.started_at, t.id"""


def journal(cwd: Path) -> list[dict[str, Any]]:
    """Every transaction of the state store under `cwd`, with its steps; [] before the store exists."""
    path = cwd / ".fabctl" / "state.db"
    if not path.exists():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        rows = connection.execute(JOURNALS).fetchall()
    except sqlite3.OperationalError:  # the schema is still being created
        return []
    finally:
        connection.close()
    return [{**json.loads(body), "steps": json.loads(steps)} for body, steps in rows]
