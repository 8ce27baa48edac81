"""The decision ledger: an SQLAlchemy 2 store (SQLite by default, PostgreSQL by URL).

Tables
------
``head``
    One row: ``seq``, the number of the last ledger event. Every write transaction
    locks it first (``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` takes
    the database write lock on SQLite), so events get gap-free numbers in commit order:
    the ledger is one serial history, whatever the number of workers.
``events``
    The history, in ``seq`` order: ``register`` (a new arm), ``status`` (retire,
    quarantine, re-activate, with reason and source), ``decide`` (one ``select`` call:
    the live arms and the number of rows), ``feedback`` (one batch of policy updates),
    ``censor`` (decisions whose feedback timed out).
``decisions``
    One row per served request: decision id, event seq, row position, arm, propensity,
    prediction, score, time, request hash, status ``pending`` / ``rewarded`` /
    ``censored``.
``feedback``
    One row per reward, keyed by decision id with a UNIQUE constraint: a second reward
    for one decision cannot be stored, whatever the race.
``arms``
    Per arm: metadata, file, status, and counters (traffic, feedback, reward sum,
    censored) updated in the same transactions as the rows they count.
``snapshots``
    Policy state after event ``seq`` (a restart replays only the events after it).
``meta``
    Key/value; holds the policy fingerprint the ledger was written with.

Durability: on SQLite the database runs in WAL mode with ``synchronous=FULL``: every
commit is fsynced before it returns, so an acknowledged decision survives a process
crash *and* an OS crash or power loss (``NORMAL`` would survive a process crash only,
which is not what "acknowledged" promises). PostgreSQL keeps its default
``synchronous_commit = on``.

Examples
--------
>>> store = LedgerStore("sqlite://")
>>> with store.write() as (conn, head):
...     head
0
>>> with store.write() as (conn, head):
...     store.append_event(conn, head + 1, "register", arm_id="a", payload={"created_at": 0})
>>> with store.read() as conn:
...     store.head(conn), [e.kind for e in store.events(conn, 0, 10)]
(1, ['register'])
>>> store.dispose()
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Row, make_url
from sqlalchemy.pool import StaticPool

__all__ = ["LedgerStore", "metadata"]

metadata = MetaData()

head_table = Table(
    "head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

meta_table = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

arms_table = Table(
    "arms",
    metadata,
    Column("arm_id", String(200), primary_key=True),
    Column("registered_seq", BigInteger, nullable=False),
    Column("family", String(100), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("validation_score", Float, nullable=True),
    Column("threshold", Float, nullable=False),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_reason", Text, nullable=True),
    Column("traffic", BigInteger, nullable=False, default=0),
    Column("feedback_count", BigInteger, nullable=False, default=0),
    Column("reward_sum", Float, nullable=False, default=0.0),
    Column("censored", BigInteger, nullable=False, default=0),
)

events_table = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("arm_id", String(200), nullable=True),
    Column("time", Float, nullable=False),
    Column("payload", Text, nullable=False),
)

decisions_table = Table(
    "decisions",
    metadata,
    Column("decision_id", String(36), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Column("arm_id", String(200), nullable=False),
    Column("propensity", Float, nullable=False),
    Column("prediction", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("created", Float, nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Index("ix_decisions_seq", "seq", "position"),
    Index("ix_decisions_status_created", "status", "created"),
)

feedback_table = Table(
    "feedback",
    metadata,
    Column("feedback_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "decision_id",
        String(36),
        ForeignKey("decisions.decision_id"),
        nullable=False,
        unique=True,
    ),
    Column("seq", BigInteger, nullable=False, index=True),
    Column("arm_id", String(200), nullable=False),
    Column("reward", Float, nullable=False),
    Column("label", Integer, nullable=True),
    Column("created", Float, nullable=False),
)

snapshots_table = Table(
    "snapshots",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("time", Float, nullable=False),
    Column("state", Text, nullable=False),
)


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    memory = make_url(url).database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 60, "check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class LedgerStore:
    """Connections, transactions and the few queries of the ledger.

    Parameters
    ----------
    url : str
        SQLAlchemy URL: ``sqlite:///path.sqlite`` (or ``sqlite://`` in memory, one
        process only) or ``postgresql+psycopg://user@host/db``.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            self._writer = _sqlite_engine(url, immediate=True)
            memory = make_url(url).database in (None, "", ":memory:")
            self._reader = self._writer if memory else _sqlite_engine(url, immediate=False)
        else:
            self._writer = create_engine(url, pool_pre_ping=True)
            self._reader = self._writer
        self._create_schema()

    def _create_schema(self) -> None:
        with self._writer.begin() as conn:
            if self.dialect == "postgresql":
                # concurrent workers: one creates, the others wait and find the tables
                conn.execute(text("SELECT pg_advisory_xact_lock(4242424242)"))
            metadata.create_all(conn, checkfirst=True)
            if conn.execute(select(head_table.c.seq).where(head_table.c.id == 1)).first() is None:
                conn.execute(insert(head_table).values(id=1, seq=0))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._writer.dispose()
        if self._reader is not self._writer:
            self._reader.dispose()

    # -- transactions ----------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[tuple[Connection, int]]:
        """A write transaction holding the ledger lock; yields ``(conn, head_seq)``.

        Commits on normal exit (durably, see the module notes), rolls back on error.
        """
        with self._writer.begin() as conn:
            head = conn.execute(
                select(head_table.c.seq).where(head_table.c.id == 1).with_for_update()
            ).scalar_one()
            yield conn, int(head)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (never blocks writers on WAL SQLite or PostgreSQL)."""
        with self._reader.begin() as conn:
            yield conn

    # -- queries ---------------------------------------------------------------------
    @staticmethod
    def head(conn: Connection) -> int:
        """The number of the last committed event."""
        return int(conn.execute(select(head_table.c.seq).where(head_table.c.id == 1)).scalar_one())

    @staticmethod
    def set_head(conn: Connection, seq: int) -> None:
        """Move the head (inside :meth:`write`, after appending events up to ``seq``)."""
        conn.execute(update(head_table).where(head_table.c.id == 1).values(seq=seq))

    @staticmethod
    def append_event(
        conn: Connection,
        seq: int,
        kind: str,
        *,
        arm_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
        at: float | None = None,
    ) -> None:
        """Append one event with number ``seq`` and move the head to it."""
        conn.execute(
            insert(events_table).values(
                seq=seq,
                kind=kind,
                arm_id=arm_id,
                time=time.time() if at is None else at,
                payload=json.dumps(dict(payload or {}), sort_keys=True),
            )
        )
        LedgerStore.set_head(conn, seq)

    @staticmethod
    def events(conn: Connection, after: int, upto: int) -> list[Row]:
        """Events with ``after < seq <= upto`` in order."""
        return list(
            conn.execute(
                select(events_table)
                .where(events_table.c.seq > after, events_table.c.seq <= upto)
                .order_by(events_table.c.seq)
            )
        )

    @staticmethod
    def decision_arms(conn: Connection, after: int, upto: int) -> dict[int, list[str]]:
        """Arm of every decision of the ``decide`` events in ``(after, upto]``, by seq."""
        result: dict[int, list[str]] = {}
        rows = conn.execute(
            select(decisions_table.c.seq, decisions_table.c.arm_id)
            .where(decisions_table.c.seq > after, decisions_table.c.seq <= upto)
            .order_by(decisions_table.c.seq, decisions_table.c.position)
        )
        for seq, arm_id in rows:
            result.setdefault(int(seq), []).append(arm_id)
        return result

    @staticmethod
    def feedback_rewards(conn: Connection, after: int, upto: int) -> dict[int, list[tuple]]:
        """``(arm, reward)`` of the feedback events in ``(after, upto]``, in ledger order."""
        result: dict[int, list[tuple]] = {}
        rows = conn.execute(
            select(feedback_table.c.seq, feedback_table.c.arm_id, feedback_table.c.reward)
            .where(feedback_table.c.seq > after, feedback_table.c.seq <= upto)
            .order_by(feedback_table.c.seq, feedback_table.c.feedback_id)
        )
        for seq, arm_id, reward in rows:
            result.setdefault(int(seq), []).append((arm_id, float(reward)))
        return result

    @staticmethod
    def latest_snapshot(conn: Connection) -> tuple[int, dict[str, Any]] | None:
        """The newest snapshot ``(seq, state)``, if any."""
        row = conn.execute(
            select(snapshots_table.c.seq, snapshots_table.c.state)
            .order_by(snapshots_table.c.seq.desc())
            .limit(1)
        ).first()
        return None if row is None else (int(row.seq), json.loads(row.state))

    @staticmethod
    def write_snapshot(conn: Connection, seq: int, state: Mapping[str, Any]) -> None:
        """Store the replica state after event ``seq``."""
        conn.execute(
            insert(snapshots_table).values(
                seq=seq, time=time.time(), state=json.dumps(state, sort_keys=True)
            )
        )

    @staticmethod
    def get_meta(conn: Connection, key: str) -> str | None:
        """A meta value, or None."""
        row = conn.execute(select(meta_table.c.value).where(meta_table.c.key == key)).first()
        return None if row is None else str(row.value)

    @staticmethod
    def set_meta(conn: Connection, key: str, value: str) -> None:
        """Insert a meta value (keys are written once)."""
        conn.execute(insert(meta_table).values(key=key, value=value))
