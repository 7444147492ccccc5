"""SQLite storage of both APIs' messages (a real file, WAL mode).

One connection, used only from the server's event loop: every statement is short, so running it inline
serialises all writers without a lock and without "database is locked" (there is no second writer).
WAL with ``synchronous=NORMAL`` keeps a commit cheap; a crash of the process loses nothing committed.

Times are integer microseconds since the epoch, never decreasing in id order, so ``(created_at, id)`` is
a total order that agrees with insertion order. A send stores the user's message and the assistant's
reply in one transaction, before the reply is returned or streamed (see ``nara.py``).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NaraMessage", "NavigableMessage", "Storage", "iso_micro", "iso_milli"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nara_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS nara_by_user ON nara_messages (user_id, created_at, id);
CREATE TABLE IF NOT EXISTS navigable_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    identifier TEXT NOT NULL,
    session INTEGER NOT NULL,
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    new INTEGER NOT NULL,
    action TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS navigable_by_session ON navigable_messages (identifier, session, created_at, id);
"""

_INSERT_NARA = (
    "INSERT INTO nara_messages (user_id, conversation_id, role, content, created_at) VALUES (?,?,?,?,?)"
)
_INSERT_NAVIGABLE = (
    "INSERT INTO navigable_messages (identifier, session, sender, content, new, action, created_at)"
    " VALUES (?,?,?,?,?,?,?)"
)

_SORTS = {
    "created_at:desc": "created_at DESC, id DESC",
    "created_at:asc": "created_at ASC, id ASC",
    "id:desc": "id DESC",
    "id:asc": "id ASC",
}


def iso_micro(us: int) -> str:
    """RFC 3339 UTC with microseconds (Nara's ``created_at``); exact (no float rounding)."""
    seconds, micro = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{micro:06d}Z"


def iso_milli(us: int) -> str:
    """RFC 3339 UTC with milliseconds (Navigable's ``createdAt``)."""
    return iso_micro(us)[:-4] + "Z"


@dataclass(frozen=True, slots=True)
class NaraMessage:
    id: int
    user_id: int
    conversation_id: str
    role: str
    content: str
    created_at: int

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "user_id": self.user_id,
            "role": self.role,
            "content": self.content,
            "created_at": iso_micro(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class NavigableMessage:
    sender: str
    content: str
    new: bool
    action: str | None
    created_at: int

    def to_json(self) -> dict[str, object]:
        return {
            "sender": self.sender,
            "content": self.content,
            "new": self.new,
            "createdAt": iso_milli(self.created_at),
            "action": self.action,
        }


class Storage:
    """The server's database. ``Storage(path)`` creates the schema if needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        row = self._db.execute(
            "SELECT max(coalesce((SELECT max(created_at) FROM nara_messages), 0),"
            " coalesce((SELECT max(created_at) FROM navigable_messages), 0))"
        ).fetchone()
        self._last_us: int = int(row[0])

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close."""
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._db.close()

    def _now(self, step: int = 1) -> int:
        """A time in microseconds, after every time handed out before (``step`` apart from the last)."""
        self._last_us = max(time.time_ns() // 1000, self._last_us + step)
        return self._last_us

    # -- Nara ---------------------------------------------------------------------------------------

    def nara_exchange(
        self, user_id: int, conversation_id: str, message: str, reply: str
    ) -> tuple[NaraMessage, NaraMessage]:
        """Store a user's message and the assistant's reply (one transaction)."""
        t_user = self._now()
        t_reply = self._now()
        with self._transaction():
            sql = _INSERT_NARA
            user_id_row = self._db.execute(sql, (user_id, conversation_id, "user", message, t_user)).lastrowid
            reply_id = self._db.execute(
                sql, (user_id, conversation_id, "assistant", reply, t_reply)
            ).lastrowid
        assert user_id_row is not None and reply_id is not None
        return (
            NaraMessage(user_id_row, user_id, conversation_id, "user", message, t_user),
            NaraMessage(reply_id, user_id, conversation_id, "assistant", reply, t_reply),
        )

    def nara_page(self, user_id: int, rows: int, page: int, sort: str) -> tuple[list[NaraMessage], int]:
        """One page of ``user_id``'s messages in ``sort`` order, and how many there are in all."""
        total = int(
            self._db.execute("SELECT count(*) FROM nara_messages WHERE user_id=?", (user_id,)).fetchone()[0]
        )
        offset = (page - 1) * rows
        if offset >= total:
            return [], total
        cur = self._db.execute(
            "SELECT id, user_id, conversation_id, role, content, created_at FROM nara_messages"
            f" WHERE user_id=? ORDER BY {_SORTS[sort]} LIMIT ? OFFSET ?",
            (user_id, rows, offset),
        )
        return [NaraMessage(*r) for r in cur.fetchall()], total

    # -- Navigable ----------------------------------------------------------------------------------

    def navigable_exchange(
        self, identifier: str, new: bool, message: str, reply: str, action: str | None
    ) -> None:
        """Store a send: the user's message (starting a session when ``new`` or the first) and the reply."""
        t_user = self._now()
        t_reply = self._now()
        with self._transaction():
            row = self._db.execute(
                "SELECT max(session) FROM navigable_messages WHERE identifier=?", (identifier,)
            ).fetchone()
            session = row[0]
            if session is None or new:
                session, new = (session or 0) + 1, True
            sql = _INSERT_NAVIGABLE
            self._db.execute(sql, (identifier, session, "USER", message, int(new), None, t_user))
            self._db.execute(sql, (identifier, session, "ASSISTANT", reply, 0, action, t_reply))

    def navigable_latest(self, identifier: str, limit: int = 20) -> list[NavigableMessage]:
        """The last ``limit`` messages of the identifier's latest session, oldest first."""
        cur = self._db.execute(
            "SELECT sender, content, new, action, created_at FROM navigable_messages"
            " WHERE identifier=? AND session=(SELECT max(session) FROM navigable_messages WHERE identifier=?)"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (identifier, identifier, limit),
        )
        rows = [NavigableMessage(s, c, bool(n), a, t) for s, c, n, a, t in cur.fetchall()]
        rows.reverse()
        return rows

    # -- seeding ------------------------------------------------------------------------------------

    def seed(self, nara_users: list[int], identifiers: list[str], count: int) -> None:
        """Give every Nara user and Navigable identifier that has no messages yet ``count`` messages.

        Nara: user/assistant pairs over three conversations. Navigable: three sessions, the last one the
        largest (so a read's "last 20" cut matters for count > 30). Times are in the recent past.
        """
        if count <= 0:
            return
        start = time.time_ns() // 1000 - (count + 1) * 1000 * (len(nara_users) + len(identifiers))
        start = max(start, self._last_us + 1)
        t = start
        with self._transaction():
            for user in nara_users:
                if self._db.execute(
                    "SELECT 1 FROM nara_messages WHERE user_id=? LIMIT 1", (user,)
                ).fetchone():
                    continue
                rows = []
                for i in range(count):
                    role = "user" if i % 2 == 0 else "assistant"
                    content = (
                        f"Seed message {i // 2} from user {user}."
                        if role == "user"
                        else f"Seed reply {i // 2}."
                    )
                    t += 1000
                    rows.append((user, f"seed-conversation-{i // 2 % 3}", role, content, t))
                self._db.executemany(
                    _INSERT_NARA,
                    rows,
                )
            small = count // 5
            for ident in identifiers:
                if self._db.execute(
                    "SELECT 1 FROM navigable_messages WHERE identifier=? LIMIT 1", (ident,)
                ).fetchone():
                    continue
                bounds = sorted({b for b in (0, small, 2 * small) if b < count})
                rows2 = []
                for i in range(count):
                    session = sum(1 for b in bounds if i >= b)
                    first = i in bounds
                    k = i - max(b for b in bounds if i >= b)
                    sender = "USER" if k % 2 == 0 else "ASSISTANT"
                    t += 1000
                    action = "Go to Profile" if sender == "ASSISTANT" and k % 4 == 1 else None
                    rows2.append(
                        (ident, session, sender, f"Seed {sender.lower()} message {i}.", int(first), action, t)
                    )
                self._db.executemany(
                    _INSERT_NAVIGABLE,
                    rows2,
                )
        self._last_us = max(self._last_us, t)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
