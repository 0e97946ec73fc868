"""The LLM response cache: re-running the same batch costs no LLM calls.

A response is stored under a key derived from everything that shapes it:
provider, model, messages, sampling parameters and the output schema. The
cache is one SQLite file in the data folder (WAL mode, safe for several
processes); `--no-cache` or `WINBACK_CACHE=0` bypasses it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any


def cache_key(payload: dict[str, Any]) -> str:
    """A stable hash of a request payload (key order does not matter)."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Maps request keys to stored responses in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS responses ("
            " key TEXT PRIMARY KEY, model TEXT NOT NULL, created_at REAL NOT NULL,"
            " response TEXT NOT NULL)"
        )

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response for `key`, or None."""
        row = self._conn.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, model: str, response: dict[str, Any]) -> None:
        """Store a response (the first one stored for a key wins)."""
        self._conn.execute(
            "INSERT OR IGNORE INTO responses (key, model, created_at, response)"
            " VALUES (?, ?, ?, ?)",
            (key, model, time.time(), json.dumps(response, ensure_ascii=False)),
        )

    def __len__(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
