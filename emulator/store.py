"""The emulator's state on disk: one SQLite database under the data dir.

Every change is one transaction, so a process killed at any moment leaves either the old state or
the new one, never half of it. Resources are stored as their JSON body plus the few columns the
emulator queries by; `seq` orders lists stably (ids are random).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import sqlite3
from pathlib import Path
from typing import Any, BinaryIO

COPY_BYTES = 2**20  # a big upload is copied into the database this much at a time

from emulator.owner import private_file, private_folder

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    purpose TEXT NOT NULL,
    body TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    progress TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    job_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_job ON events (job_id, seq);
-- Every training step's metrics (results.csv); the events carry only every 10th step, as Azure's do.
CREATE TABLE IF NOT EXISTS step_metrics (
    job_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (job_id, step)
);
CREATE TABLE IF NOT EXISTS checkpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    job_id TEXT NOT NULL,
    name TEXT UNIQUE NOT NULL,
    body TEXT NOT NULL,
    weights BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    body TEXT NOT NULL,
    weights BLOB NOT NULL
);
-- `name` is the deployment's ARM resource id in lower case (ARM ids ignore case): a deployment
-- belongs to its subscription, resource group and account, and the same name in two accounts is
-- two deployments. Rows an older version keyed by the bare name are re-keyed from their `id`.
CREATE TABLE IF NOT EXISTS deployments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE NOT NULL,
    model TEXT NOT NULL,
    body TEXT NOT NULL,
    last_used_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS operations (id TEXT PRIMARY KEY, body TEXT NOT NULL);
UPDATE deployments SET name = lower(json_extract(body, '$.id')) WHERE name NOT LIKE '/%';
"""


class Store:
    def __init__(self, data_dir: Path) -> None:
        private_folder(data_dir)
        self.path = data_dir / "emulator.sqlite3"
        # Training data is private. SQLite creates the -wal and -shm files with the database's mode;
        # ones an older version left open to others are tightened.
        try:
            private_file(self.path)
            for companion in (data_dir / "emulator.sqlite3-wal", data_dir / "emulator.sqlite3-shm"):
                if companion.exists():
                    private_file(companion)
        except OSError as exc:  # e.g. a folder in its place, or not ours: the file itself may be sound
            raise DatabaseUnusable(cannot_open(self.path, exc.strerror or str(exc))) from None
        # One connection, used from the server's event loop thread only.
        self.db = open_checked(self.path)

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> "_Transaction":
        """`with store.transaction():` groups writes into one atomic change."""
        return _Transaction(self.db)

    # meta
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def rows_ever_added(self) -> int:
        """How many rows were ever inserted with an id (AUTOINCREMENT counters never go back)."""
        return self.db.execute("SELECT COALESCE(SUM(seq), 0) FROM sqlite_sequence").fetchone()[0]

    # files
    def add_file(self, body: dict, content: bytes | BinaryIO) -> None:
        """Store a file: its bytes, or a binary file (an upload spooled to disk) copied a megabyte
        at a time, so a big upload is never held in memory whole."""
        if isinstance(content, bytes):
            self.db.execute(
                "INSERT INTO files (id, purpose, body, content) VALUES (?, ?, ?, ?)",
                (body["id"], body["purpose"], json.dumps(body), content),
            )
            return
        size = content.seek(0, 2)
        content.seek(0)
        with contextlib.nullcontext() if self.db.in_transaction else self.transaction():
            row = self.db.execute(
                "INSERT INTO files (id, purpose, body, content) VALUES (?, ?, ?, zeroblob(?))",
                (body["id"], body["purpose"], json.dumps(body), size),
            ).lastrowid
            with self.db.blobopen("files", "content", row) as blob:
                while chunk := content.read(COPY_BYTES):
                    blob.write(chunk)

    def get_file(self, file_id: str) -> dict | None:
        return _one(self.db, "SELECT body FROM files WHERE id=?", file_id)

    def file_content(self, file_id: str) -> bytes | None:
        row = self.db.execute("SELECT content FROM files WHERE id=?", (file_id,)).fetchone()
        return bytes(row[0]) if row else None

    def update_file(self, body: dict) -> None:
        self.db.execute("UPDATE files SET body=? WHERE id=?", (json.dumps(body), body["id"]))

    def list_files(self, purpose: str | None = None, newest_first: bool = True) -> list[dict]:
        order = "DESC" if newest_first else "ASC"
        if purpose:
            rows = self.db.execute(f"SELECT body FROM files WHERE purpose=? ORDER BY seq {order}", (purpose,))
        else:
            rows = self.db.execute(f"SELECT body FROM files ORDER BY seq {order}")
        return [json.loads(r[0]) for r in rows]

    def delete_file(self, file_id: str) -> None:
        self.db.execute("DELETE FROM files WHERE id=?", (file_id,))

    # jobs
    def add_job(self, body: dict, progress: dict) -> None:
        self.db.execute(
            "INSERT INTO jobs (id, status, body, progress) VALUES (?, ?, ?, ?)",
            (body["id"], body["status"], json.dumps(body), json.dumps(progress)),
        )

    def get_job(self, job_id: str) -> dict | None:
        return _one(self.db, "SELECT body FROM jobs WHERE id=?", job_id)

    def job_progress(self, job_id: str) -> dict:
        row = self.db.execute("SELECT progress FROM jobs WHERE id=?", (job_id,)).fetchone()
        return json.loads(row[0]) if row else {}

    def save_job(self, body: dict, progress: dict | None = None) -> None:
        if progress is None:
            self.db.execute("UPDATE jobs SET status=?, body=? WHERE id=?", (body["status"], json.dumps(body), body["id"]))
        else:
            self.db.execute(
                "UPDATE jobs SET status=?, body=?, progress=? WHERE id=?",
                (body["status"], json.dumps(body), json.dumps(progress), body["id"]),
            )

    def list_jobs(self) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT body FROM jobs ORDER BY seq DESC")]

    def jobs_with_status(self, *statuses: str) -> list[dict]:
        marks = ",".join("?" * len(statuses))
        rows = self.db.execute(f"SELECT body FROM jobs WHERE status IN ({marks}) ORDER BY seq", statuses)
        return [json.loads(r[0]) for r in rows]

    def delete_job(self, job_id: str) -> None:
        self.db.execute("DELETE FROM events WHERE job_id=?", (job_id,))
        self.db.execute("DELETE FROM step_metrics WHERE job_id=?", (job_id,))
        self.db.execute("DELETE FROM checkpoints WHERE job_id=?", (job_id,))
        self.db.execute("DELETE FROM jobs WHERE id=?", (job_id,))

    # events
    def add_event(self, job_id: str, body: dict) -> None:
        self.db.execute("INSERT INTO events (id, job_id, body) VALUES (?, ?, ?)", (body["id"], job_id, json.dumps(body)))

    def list_events(self, job_id: str, after: str | None, limit: int) -> tuple[list[dict], bool]:
        """Newest first; `after` is the id of the last event the caller has (older ones follow it)."""
        before_seq = None
        if after:
            row = self.db.execute("SELECT seq FROM events WHERE id=? AND job_id=?", (after, job_id)).fetchone()
            before_seq = row[0] if row else None
        if before_seq is None and after:
            return [], False
        query = "SELECT body FROM events WHERE job_id=?" + (" AND seq<?" if before_seq else "") + " ORDER BY seq DESC LIMIT ?"
        args: tuple[Any, ...] = (job_id, before_seq, limit + 1) if before_seq else (job_id, limit + 1)
        bodies = [json.loads(r[0]) for r in self.db.execute(query, args)]
        return bodies[:limit], len(bodies) > limit

    def add_step_metrics(self, job_id: str, metrics: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO step_metrics (job_id, step, body) VALUES (?, ?, ?)",
                        (job_id, metrics["step"], json.dumps(metrics)))

    def job_metrics(self, job_id: str) -> list[dict]:
        """The metrics of every training step, oldest first (what results.csv holds)."""
        rows = self.db.execute("SELECT body FROM step_metrics WHERE job_id=? ORDER BY step", (job_id,)).fetchall()
        if rows:
            return [json.loads(r[0]) for r in rows]
        # A job trained by an older emulator kept them in its events only.
        rows = self.db.execute("SELECT body FROM events WHERE job_id=? ORDER BY seq", (job_id,))
        return [body["data"] for body in (json.loads(r[0]) for r in rows) if body["type"] == "metrics"]

    # checkpoints
    def add_checkpoint(self, body: dict, weights: bytes) -> None:
        self.db.execute(
            "INSERT INTO checkpoints (id, job_id, name, body, weights) VALUES (?, ?, ?, ?, ?)",
            (body["id"], body["fine_tuning_job_id"], body["fine_tuned_model_checkpoint"], json.dumps(body), weights),
        )

    def list_checkpoints(self, job_id: str) -> list[dict]:
        rows = self.db.execute("SELECT body FROM checkpoints WHERE job_id=? ORDER BY seq DESC", (job_id,))
        return [json.loads(r[0]) for r in rows]

    def delete_checkpoint(self, checkpoint_id: str) -> None:
        self.db.execute("DELETE FROM checkpoints WHERE id=?", (checkpoint_id,))

    def checkpoint_weights(self, id_or_name: str) -> tuple[dict, bytes] | None:
        row = self.db.execute(
            "SELECT body, weights FROM checkpoints WHERE id=? OR name=?", (id_or_name, id_or_name)
        ).fetchone()
        return (json.loads(row[0]), bytes(row[1])) if row else None

    # fine-tuned models
    def add_model(self, body: dict, weights: bytes) -> None:
        self.db.execute("INSERT INTO models (id, body, weights) VALUES (?, ?, ?)", (body["id"], json.dumps(body), weights))

    def get_model(self, model_id: str) -> dict | None:
        return _one(self.db, "SELECT body FROM models WHERE id=?", model_id)

    def model_weights(self, model_id: str) -> bytes | None:
        row = self.db.execute("SELECT weights FROM models WHERE id=?", (model_id,)).fetchone()
        return bytes(row[0]) if row else None

    def list_models(self) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT body FROM models ORDER BY seq")]

    def delete_model(self, model_id: str) -> None:
        self.db.execute("DELETE FROM models WHERE id=?", (model_id,))

    # deployments, by their ARM resource id (`key`, lower case)
    def put_deployment(self, key: str, body: dict, model: str, last_used_at: float) -> None:
        self.db.execute(
            "INSERT INTO deployments (name, model, body, last_used_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET model=excluded.model, body=excluded.body",
            (key, model, json.dumps(body), last_used_at),
        )

    def get_deployment(self, key: str) -> tuple[dict, float] | None:
        row = self.db.execute("SELECT body, last_used_at FROM deployments WHERE name=?", (key,)).fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    def list_deployments(self, account: str | None = None) -> list[tuple[dict, float]]:
        """Every deployment, or those of one account (its resource id, lower case)."""
        rows = self.db.execute("SELECT name, body, last_used_at FROM deployments ORDER BY seq")
        prefix = None if account is None else account + "/deployments/"
        return [(json.loads(b), t) for key, b, t in rows if prefix is None or key.startswith(prefix)]

    def deployment_named(self, name: str) -> tuple[str, dict] | None:
        """The data plane's lookup by bare name: (key, body) of the newest deployment so named."""
        for key, body in self.db.execute("SELECT name, body FROM deployments ORDER BY seq DESC"):
            found = json.loads(body)
            if found["name"] == name:
                return key, found
        return None

    def deployment_of_model(self, model: str) -> str | None:
        row = self.db.execute("SELECT body FROM deployments WHERE model=?", (model,)).fetchone()
        return json.loads(row[0])["name"] if row else None

    def touch_deployment(self, key: str, when: float) -> None:
        self.db.execute("UPDATE deployments SET last_used_at=? WHERE name=?", (when, key))

    def delete_deployment(self, key: str) -> None:
        self.db.execute("DELETE FROM deployments WHERE name=?", (key,))

    # async operations (Azure-AsyncOperation)
    def put_operation(self, op_id: str, body: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO operations (id, body) VALUES (?, ?)", (op_id, json.dumps(body)))

    def get_operation(self, op_id: str) -> dict | None:
        return _one(self.db, "SELECT body FROM operations WHERE id=?", op_id)


def disk_full(exc: BaseException) -> bool:
    """Whether `exc` is SQLite saying the disk (or the database's size limit) is full: the change
    was not made, and will be once there is room."""
    return isinstance(exc, sqlite3.OperationalError) and getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL"


class DatabaseUnusable(Exception):
    """The emulator's database cannot be used; the message names the file and the fix (for a damaged
    one, the command that moves it aside)."""


DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")  # "database disk image is malformed", "file is not a database"


def open_checked(path: Path) -> sqlite3.Connection:
    """The database at `path`, checked whole before anything is served from it: a damaged file
    (garbage bytes, a truncated copy) is refused at start with the fix, rather than failing the
    first request, or the job runner, that happens to read a bad page."""
    db = None
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        found = "\n".join(row[0] for row in db.execute("PRAGMA quick_check(3)"))
        problems = [line for line in found.splitlines() if line.strip() and not line.startswith("***")]
        if problems == ["ok"]:
            db.executescript(SCHEMA)
            return db
        reason, cause = "; ".join(problems), "SQLITE_CORRUPT"
    except sqlite3.Error as exc:
        reason, cause = str(exc), getattr(exc, "sqlite_errorname", "")
    if db is not None:
        db.close()  # first: the journal files it leaves (or not) are part of the advice
    if cause in DAMAGED:
        raise DatabaseUnusable(damaged(path, reason))
    # Locked, unreadable, no room: the file may well be sound, so nothing is moved aside.
    raise DatabaseUnusable(cannot_open(path, reason))


def cannot_open(path: Path, reason: str) -> str:
    return (f"the emulator's database {path} cannot be opened ({reason}): check that no other emulator uses it, "
            "and the folder's permissions and free space")


def damaged(path: Path, reason: str) -> str:
    """One line: which file, what is wrong, and the `mv` that sets it (and its journal) aside;
    the emulator then starts afresh."""
    moves = " && ".join(f"mv {shlex.quote(str(p))} {shlex.quote(str(p) + '.damaged')}"
                        for p in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))) if p.exists())
    return f"the emulator's database {path} is damaged ({reason}): move it aside and start afresh: {moves}"


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if not exc_type:
            self.db.execute("COMMIT")
        elif self.db.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
            self.db.execute("ROLLBACK")


def _one(db: sqlite3.Connection, query: str, key: str) -> dict | None:
    row = db.execute(query, (key,)).fetchone()
    return json.loads(row[0]) if row else None


def paginate(items: list[dict], after: str | None, limit: int, key: str = "id") -> tuple[list[dict], bool]:
    """OpenAI-style cursor pages: the items that follow the one whose id is `after`."""
    start = 0
    if after:
        ids = [item[key] for item in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    page = items[start : start + limit]
    return page, start + limit < len(items)
