"""The SQL of the SQLite state store: its forward-only migrations and its statements."""

from __future__ import annotations

from pathlib import Path

DEFAULT_PATH = Path(".fabctl") / "state.db"
BUSY_TIMEOUT_MS = 30_000

# --- schema -----------------------------------------------------------------------------------

CREATE_SCHEMA_VERSION = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)"""
SELECT_SCHEMA_VERSION = "SELECT COALESCE(MAX(version), 0) FROM schema_version"
INSERT_SCHEMA_VERSION = "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"

# Forward only: version N is MIGRATIONS[N - 1]. Append; never edit a released entry.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE promotions (
            id         TEXT PRIMARY KEY,
            state      TEXT NOT NULL,
            created_at TEXT NOT NULL,
            body       TEXT NOT NULL
        )""",
        """CREATE TABLE transactions (
            id           TEXT PRIMARY KEY,
            workspace_id TEXT NOT NULL,
            state        TEXT NOT NULL,
            started_at   TEXT NOT NULL,
            body         TEXT NOT NULL
        )""",
        "CREATE INDEX transactions_by_workspace ON transactions (workspace_id)",
        """CREATE TABLE deployed_items (
            workspace_id TEXT NOT NULL,
            item_type    TEXT NOT NULL,
            item_name    TEXT NOT NULL,
            body         TEXT NOT NULL,
            PRIMARY KEY (workspace_id, item_type, item_name)
        )""",
        """CREATE TABLE outbox (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            id           TEXT NOT NULL UNIQUE,
            type         TEXT NOT NULL,
            payload      TEXT NOT NULL,
            created_at   TEXT NOT NULL,
            published_at TEXT
        )""",
        """CREATE TABLE inbox (
            message_id TEXT PRIMARY KEY,
            handled_at TEXT NOT NULL
        )""",
    ),
    (
        # One lease per workspace: who may deploy to it, until when (ISO-8601 UTC, compared as text).
        """CREATE TABLE leases (
            workspace_id TEXT PRIMARY KEY,
            holder       TEXT NOT NULL,
            until        TEXT NOT NULL
        )""",
    ),
    (
        # Before-image payloads, zlib-compressed, keyed by the SHA-256 of the uncompressed content.
        """CREATE TABLE blobs (
            digest TEXT PRIMARY KEY,
            data   BLOB NOT NULL
        )""",
    ),
    (
        # A journal's steps, a row each: journaling a step writes that step, not the whole journal
        # again (which made a deployment's saves grow with its size). Journals written before this
        # keep their steps in the transaction's body until they are next saved.
        """CREATE TABLE transaction_steps (
            transaction_id TEXT NOT NULL,
            number         INTEGER NOT NULL,
            body           TEXT NOT NULL,
            PRIMARY KEY (transaction_id, number)
        )""",
    ),
    (
        # Who holds a lease: host, pid and start time of its process, the user, since when (JSON).
        # Leases written before this have '{}': their holder is unknown, and only --force takes over.
        "ALTER TABLE leases ADD COLUMN holder_facts TEXT NOT NULL DEFAULT '{}'",
    ),
    (
        # 1: an event recorded but never to be sent (its deployment's `publish_events` flag was off).
        "ALTER TABLE outbox ADD COLUMN withheld INTEGER NOT NULL DEFAULT 0",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

INSERT_BLOB = "INSERT OR IGNORE INTO blobs (digest, data) VALUES (?, ?)"
SELECT_BLOB = "SELECT data FROM blobs WHERE digest = ?"

# --- statements -------------------------------------------------------------------------------

UPSERT_PROMOTION = """
INSERT INTO promotions (id, state, created_at, body) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body"""
SELECT_PROMOTION = "SELECT body FROM promotions WHERE id = ?"
SELECT_PROMOTIONS = "SELECT id, body FROM promotions ORDER BY created_at, rowid"

UPSERT_TRANSACTION = """
INSERT INTO transactions (id, workspace_id, state, started_at, body) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    workspace_id = excluded.workspace_id, state = excluded.state,
    started_at = excluded.started_at, body = excluded.body"""
SELECT_TRANSACTION = "SELECT body FROM transactions WHERE id = ?"
UPSERT_TRANSACTION_STEP = """
INSERT INTO transaction_steps (transaction_id, number, body) VALUES (?, ?, ?)
ON CONFLICT (transaction_id, number) DO UPDATE SET body = excluded.body"""
SELECT_TRANSACTION_STEPS = "SELECT body FROM transaction_steps WHERE transaction_id = ? ORDER BY number"
SELECT_TRANSACTIONS = "SELECT id, body FROM transactions ORDER BY started_at, id"
SELECT_WORKSPACE_TRANSACTIONS = "SELECT id, body FROM transactions WHERE workspace_id = ? ORDER BY started_at, id"

UPSERT_DEPLOYED_ITEM = """
INSERT INTO deployed_items (workspace_id, item_type, item_name, body) VALUES (?, ?, ?, ?)
ON CONFLICT (workspace_id, item_type, item_name) DO UPDATE SET body = excluded.body"""
SELECT_DEPLOYED_ITEMS = "SELECT body FROM deployed_items WHERE workspace_id = ? ORDER BY item_type, item_name"
DELETE_DEPLOYED_ITEM = "DELETE FROM deployed_items WHERE workspace_id = ? AND item_type = ? AND item_name = ?"

INSERT_OUTBOX = """
INSERT INTO outbox (id, type, payload, created_at, published_at, withheld) VALUES (?, ?, ?, ?, ?, ?)"""
OUTBOX_COLUMNS = "id, type, payload, created_at, published_at, withheld"
SELECT_PENDING = f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE published_at IS NULL AND withheld = 0 ORDER BY seq"
SELECT_RECENT = f"""
SELECT {OUTBOX_COLUMNS} FROM (SELECT * FROM outbox ORDER BY seq DESC LIMIT ?) ORDER BY seq"""
MARK_PUBLISHED = "UPDATE outbox SET published_at = ? WHERE id = ?"

SELECT_INBOX = "SELECT 1 FROM inbox WHERE message_id = ?"
INSERT_INBOX = "INSERT OR IGNORE INTO inbox (message_id, handled_at) VALUES (?, ?)"

SELECT_LEASE = "SELECT holder, until, holder_facts FROM leases WHERE workspace_id = ?"
UPSERT_LEASE = """
INSERT INTO leases (workspace_id, holder, until, holder_facts) VALUES (?, ?, ?, ?)
ON CONFLICT (workspace_id) DO UPDATE SET
    holder = excluded.holder, until = excluded.until, holder_facts = excluded.holder_facts"""
DELETE_LEASE = "DELETE FROM leases WHERE workspace_id = ? AND holder = ?"
