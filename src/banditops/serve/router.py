"""The router core: policy + arms + ledger, independent of HTTP.

Semantics (also in ``docs/serving.md``)
---------------------------------------
*One serial history.* Every change of what the policy knows is a ledger event with a
gap-free number (see :mod:`banditops.serve.store`): an arm registered, an arm's status
changed, a ``select`` call (one prediction request = one chunk), a batch of feedback.
Each process (uvicorn worker) keeps an in-memory :class:`PolicyReplica`, the policy
state after event ``replica.seq``. A write first takes the ledger lock, then *catches
up*: it applies the events other workers committed since ``replica.seq``, with the very
code that rebuilds a replica from an empty ledger. Only then it decides (or learns),
appends its event and commits. So N workers behave exactly like one process that
handled the requests in commit order, and

    the state of any replica after event ``s`` == the state rebuilt from the ledger
    up to ``s`` (same policy, parameters and seed, events applied in ``seq`` order),

where "state" is the JSON of :meth:`PolicyReplica.state` (``policy.state()`` - with
its random generator's state, so the *next* decisions agree too - plus the arm table).

*Durability.* The decision rows are committed (fsynced) before the reply; a crash
before the commit loses an unacknowledged decision only. On restart the replica is
rebuilt from the latest snapshot plus the events after it.

*Replay of a decision* calls ``probabilities`` and ``select`` exactly as live, and
checks the arms it draws against the arms recorded in the ledger; any difference (a
changed policy, seed or library version) is a :class:`LedgerError`, never a silent
divergence. The policy fingerprint (name, parameters, seed, guardrail) is stored with
the ledger and a different configuration is refused at start-up.

Examples
--------
>>> import numpy as np
>>> from banditops.policies.base import Arm, BasePolicy
>>> class Uniform(BasePolicy):
...     name = "uniform-example"
...     stochastic = True
...     def _probabilities(self, arms):
...         return np.ones(len(arms))
>>> replica = PolicyReplica(Uniform(seed=1))
>>> replica.register(Arm("a"), seq=1); replica.register(Arm("b"), seq=2)
>>> positions, probs, live = replica.decide(4, seq=3)
>>> [live[p].id for p in positions], probs.tolist()
(['b', 'b', 'a', 'b'], [0.5, 0.5])
>>> again = PolicyReplica(Uniform(seed=1))
>>> again.register(Arm("a"), seq=1); again.register(Arm("b"), seq=2)
>>> _ = again.decide(4, seq=3)
>>> again.state() == replica.state()
True
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from banditops.errors import ConfigError, DataError, FeedbackError, UnknownArmError
from banditops.policies import Guardrail, make_policy
from banditops.policies.base import Arm, Policy
from banditops.serve.artifacts import LoadedModel, load_model
from banditops.serve.config import DeploymentConfig, reward_for_label
from banditops.serve.exceptions import (
    ConflictError,
    DuplicateFeedbackError,
    LedgerError,
    NoActiveArmError,
    PayloadTooLargeError,
    UnknownDecisionError,
)
from banditops.serve.store import (
    LedgerStore,
    arms_table,
    decisions_table,
    events_table,
    feedback_table,
)

__all__ = ["PolicyReplica", "Router", "build_policy", "rebuild_replica"]

log = logging.getLogger("banditops.serve")

PolicyFactory = Callable[[DeploymentConfig], Policy]

ACTIVE, QUARANTINED, RETIRED = "active", "quarantined", "retired"
STATUSES = (ACTIVE, QUARANTINED, RETIRED)


def build_policy(config: DeploymentConfig) -> Policy:
    """The configured policy from the registry, wrapped in the guardrail if configured.

    Raises
    ------
    ConfigError
        Unknown policy name or invalid parameters.
    """
    policy = make_policy(config.policy.name, seed=config.seed, **dict(config.policy.params))
    if config.guardrail is None:
        return policy
    return Guardrail(policy, **dict(config.guardrail.params))


def _restore(fresh: Policy, state: Mapping[str, Any]) -> Policy:
    return type(fresh).from_state(copy.deepcopy(dict(state)))


def _guardrail_events(policy: Any) -> list[Any]:
    events = getattr(policy, "events", None)
    return list(events()) if callable(events) else []


def _event_field(item: Any, *names: str) -> Any:
    for name in names:
        if isinstance(item, Mapping) and name in item:
            return item[name]
        if hasattr(item, name):
            return getattr(item, name)
    return None


def _json_safe(value: Any) -> Any:
    """JSON-able copy with non-finite floats as None (events end up in HTTP replies)."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def _digest(arm_ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(arm_ids).encode()).hexdigest()


class PolicyReplica:
    """The policy and the arm table after ledger event ``seq``.

    Every mutation takes the seq of the event it applies, which must be the next one:
    a replica never skips or re-applies an event.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.seq = 0
        self.arms: dict[str, Arm] = {}
        self.status: dict[str, str] = {}
        self.guard_seen = 0
        self.guard_pending: list[Any] = []

    def _advance(self, seq: int) -> None:
        if seq != self.seq + 1:
            raise LedgerError(f"ledger event {seq} applied after event {self.seq}")
        self.seq = seq

    def live(self) -> list[Arm]:
        """Active arms, in registration order."""
        return [arm for arm_id, arm in self.arms.items() if self.status[arm_id] == ACTIVE]

    def register(self, arm: Arm, *, seq: int) -> None:
        """Event ``register``: a new active arm."""
        if arm.id in self.arms:
            raise LedgerError(f"arm {arm.id!r} registered twice (event {seq})")
        self._advance(seq)
        self.arms[arm.id] = arm
        self.status[arm.id] = ACTIVE

    def set_status(self, arm_id: str, status: str, *, seq: int) -> None:
        """Event ``status``."""
        if arm_id not in self.arms or status not in STATUSES:
            raise LedgerError(f"event {seq}: bad status change {arm_id!r} -> {status!r}")
        self._advance(seq)
        self.status[arm_id] = status

    def skip(self, *, seq: int) -> None:
        """An event without effect on the policy (``censor``)."""
        self._advance(seq)

    def decide(self, n: int, *, seq: int) -> tuple[np.ndarray, np.ndarray, list[Arm]]:
        """Event ``decide``: ``(positions, probabilities, live arms)`` for ``n`` rows."""
        live = self.live()
        if not live:
            raise NoActiveArmError(
                "no active arm can serve: every version is retired or quarantined"
            )
        self._advance(seq)
        probs = np.asarray(self.policy.probabilities(live), dtype=float)
        positions = np.asarray(self.policy.select(live, n), dtype=np.intp)
        self._collect_guard_events()
        return positions, probs, live

    def _collect_guard_events(self) -> None:
        events = _guardrail_events(self.policy)
        self.guard_pending.extend(events[self.guard_seen :])
        self.guard_seen = len(events)

    def drain_guard_events(self) -> list[Any]:
        """Guardrail events raised by the last applied events (quarantines, fallbacks)."""
        pending, self.guard_pending = self.guard_pending, []
        return pending

    def learn(self, updates: Sequence[tuple[str, Sequence[float]]], *, seq: int) -> None:
        """Event ``feedback``: one ``policy.update`` per (arm, rewards)."""
        self._advance(seq)
        for arm_id, rewards in updates:
            self.policy.update(arm_id, np.asarray(rewards, dtype=float))
        self._collect_guard_events()

    def state(self) -> dict[str, Any]:
        """JSON-able state: the rebuilt-equals-live comparison is on this dict."""
        return {
            "seq": self.seq,
            "policy": self.policy.state(),
            "arms": [
                {
                    "id": a.id,
                    "created_at": a.created_at,
                    "validation_score": a.validation_score,
                    "family": a.family,
                    "status": self.status[a.id],
                }
                for a in self.arms.values()
            ],
            "guard_seen": self.guard_seen,
        }

    @classmethod
    def from_state(cls, fresh: Policy, state: Mapping[str, Any]) -> PolicyReplica:
        """Inverse of :meth:`state`; ``fresh`` is a newly built policy of the same config."""
        replica = cls(_restore(fresh, state["policy"]))
        replica.seq = int(state["seq"])
        for item in state["arms"]:
            replica.arms[item["id"]] = Arm(
                item["id"], int(item["created_at"]), item["validation_score"], item["family"]
            )
            replica.status[item["id"]] = item["status"]
        replica.guard_seen = int(state["guard_seen"])
        return replica


def group_updates(pairs: Sequence[tuple[str, float]]) -> list[tuple[str, list[float]]]:
    """Feedback of one batch as one ``update`` per arm, arms in order of first appearance.

    Examples
    --------
    >>> group_updates([("b", 1.0), ("a", 0.0), ("b", 0.0)])
    [('b', [1.0, 0.0]), ('a', [0.0])]
    """
    grouped: dict[str, list[float]] = {}
    for arm_id, reward in pairs:
        grouped.setdefault(arm_id, []).append(float(reward))
    return list(grouped.items())


def apply_events(
    replica: PolicyReplica,
    conn: Connection,
    upto: int,
    *,
    on_register: Callable[[str, Mapping[str, Any]], None] | None = None,
    page: int = 2000,
) -> None:
    """Bring ``replica`` from its ``seq`` to ``upto`` by replaying ledger events.

    The one code path of catch-up (live workers) and rebuild (restart, verification).
    """
    while replica.seq < upto:
        stop = min(upto, replica.seq + page)
        start = replica.seq
        events = LedgerStore.events(conn, start, stop)
        decisions = LedgerStore.decision_arms(conn, start, stop)
        feedback = LedgerStore.feedback_rewards(conn, start, stop)
        if [e.seq for e in events] != list(range(start + 1, stop + 1)):
            raise LedgerError(f"ledger events ({start}, {stop}] are not contiguous")
        for ev in events:
            payload = json.loads(ev.payload)
            seq = int(ev.seq)
            if ev.kind == "register":
                replica.register(
                    Arm(
                        ev.arm_id,
                        int(payload["created_at"]),
                        payload.get("validation_score"),
                        payload.get("family"),
                    ),
                    seq=seq,
                )
                if on_register is not None:
                    on_register(ev.arm_id, payload)
            elif ev.kind == "status":
                replica.set_status(ev.arm_id, payload["status"], seq=seq)
            elif ev.kind == "decide":
                live_ids = [a.id for a in replica.live()]
                if live_ids != payload["live"]:
                    raise LedgerError(
                        f"event {seq}: live arms {live_ids} differ from the ledger's "
                        f"{payload['live']}"
                    )
                positions, _, live = replica.decide(int(payload["n"]), seq=seq)
                served = [live[p].id for p in positions]
                if served != decisions.get(seq, []):
                    raise LedgerError(
                        f"event {seq}: replayed decisions differ from the ledger (policy, seed "
                        "or library changed since the ledger was written)"
                    )
            elif ev.kind == "feedback":
                replica.learn(group_updates(feedback.get(seq, [])), seq=seq)
            elif ev.kind in ("censor", "guardrail"):
                replica.skip(seq=seq)
            else:
                raise LedgerError(f"event {seq} has unknown kind {ev.kind!r}")
            replica.drain_guard_events()  # reproduced; the ledger already holds them


def rebuild_replica(
    config: DeploymentConfig,
    *,
    store: LedgerStore | None = None,
    policy_factory: PolicyFactory | None = None,
    use_snapshot: bool = False,
    upto: int | None = None,
) -> PolicyReplica:
    """Rebuild the policy state from the ledger (from scratch unless ``use_snapshot``).

    Examples
    --------
    See ``tests/serve/test_ledger.py``; in short, for a running deployment
    ``rebuild_replica(config).state() == GET /state``.
    """
    factory = policy_factory or build_policy
    own = store is None
    store = store or LedgerStore(config.store.url)
    try:
        with store.read() as conn:
            head = LedgerStore.head(conn) if upto is None else upto
            replica = PolicyReplica(factory(config))
            if use_snapshot:
                snap = LedgerStore.latest_snapshot(conn)
                if snap is not None and snap[0] <= head:
                    replica = PolicyReplica.from_state(factory(config), snap[1])
            apply_events(replica, conn, head)
        return replica
    finally:
        if own:
            store.dispose()


@dataclass
class _Pending:
    decision_id: str
    arm_id: str
    prediction: int
    status: str
    created: float


class Router:
    """A deployment: models, the policy replica and the ledger, safe across threads.

    Parameters
    ----------
    config : DeploymentConfig
    policy_factory : callable, optional
        ``config -> policy``; defaults to :func:`build_policy` (the registry).
    clock : callable, optional
        Wall-clock time source (tests use it to exercise censoring).
    """

    def __init__(
        self,
        config: DeploymentConfig,
        *,
        policy_factory: PolicyFactory | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._factory = policy_factory or build_policy
        self._clock = clock
        self._lock = threading.RLock()
        self.models: dict[str, LoadedModel] = {}
        self._last_sweep = -math.inf
        self._sweep_every = min(config.feedback.timeout_seconds / 4, 30.0)
        self._factory(config)  # fail fast on an invalid policy configuration
        self.store = LedgerStore(config.store.url)
        self._replica: PolicyReplica | None = None
        self._snapshot_seq = 0
        self._check_fingerprint()
        for path in config.models:
            self._register_model(self._load(path), source="config")

    # -- set-up ----------------------------------------------------------------------
    def close(self) -> None:
        """Release database connections."""
        self.store.dispose()

    def _load(self, path: str | Path) -> LoadedModel:
        sec = self.config.security
        return load_model(
            path,
            trusted_dirs=[self.config.base_dir, *sec.trusted_dirs],
            allow_untrusted=sec.allow_untrusted,
            allow_pickle=sec.allow_pickle,
            trusted_types=sec.trusted_types,
        )

    def _check_fingerprint(self) -> None:
        fingerprint = json.dumps(self.config.policy_fingerprint(), sort_keys=True)
        with self.store.write() as (conn, _head):
            stored = LedgerStore.get_meta(conn, "policy_fingerprint")
            if stored is None:
                LedgerStore.set_meta(conn, "policy_fingerprint", fingerprint)
            elif stored != fingerprint:
                raise ConfigError(
                    f"the ledger at {self.store.url} was written with policy {stored}, the "
                    f"configuration asks for {fingerprint}; a ledger replays only under the "
                    "policy that wrote it: use a new store url"
                )

    def _fresh_replica(self, conn: Connection) -> PolicyReplica:
        """Latest snapshot + the events after it (on the caller's connection)."""
        head = LedgerStore.head(conn)
        snap = LedgerStore.latest_snapshot(conn)
        if snap is not None and snap[0] <= head:
            replica = PolicyReplica.from_state(self._factory(self.config), snap[1])
            self._snapshot_seq = max(self._snapshot_seq, snap[0])
            for arm_id in replica.arms:
                self._ensure_model(arm_id, None, conn)
        else:
            replica = PolicyReplica(self._factory(self.config))
        apply_events(replica, conn, head, on_register=self._on_register(conn))
        return replica

    def _on_register(self, conn: Connection) -> Callable[[str, Mapping[str, Any]], None]:
        return lambda arm_id, payload: self._ensure_model(arm_id, payload, conn)

    def _ensure_model(
        self, arm_id: str, payload: Mapping[str, Any] | None, conn: Connection
    ) -> None:
        """Load the model of an arm another worker registered (path and sha256 from the
        ledger, location re-checked against this configuration's trusted directories)."""
        if arm_id in self.models:
            return
        row = conn.execute(select(arms_table).where(arms_table.c.arm_id == arm_id)).one()
        model = self._load(row.path)
        if model.sha256 != row.sha256:
            raise LedgerError(f"model file {row.path} of arm {arm_id!r} changed since registration")
        self.models[arm_id] = model

    # -- the write path --------------------------------------------------------------
    def _transaction(self, body: Callable[[Connection, int, PolicyReplica], Any]) -> Any:
        """Lock the ledger, catch the replica up, run ``body``; rebuild on any failure."""
        with self._lock:
            try:
                with self.store.write() as (conn, head):
                    replica = self._replica or self._fresh_replica(conn)
                    self._replica = replica
                    apply_events(replica, conn, head, on_register=self._on_register(conn))
                    seq = self._maybe_sweep(conn, replica)
                    result = body(conn, seq, replica)
                    self._maybe_snapshot(conn, replica)
                return result
            except BaseException:
                self._replica = None  # the in-memory state may be ahead of the ledger
                raise

    def _maybe_snapshot(self, conn: Connection, replica: PolicyReplica) -> None:
        every = self.config.store.snapshot_every
        if not every or replica.seq - self._snapshot_seq < every:
            return
        snap = LedgerStore.latest_snapshot(conn)  # another worker may have written one
        if snap is not None:
            self._snapshot_seq = max(self._snapshot_seq, snap[0])
        if replica.seq - self._snapshot_seq >= every:
            LedgerStore.write_snapshot(conn, replica.seq, replica.state())
            self._snapshot_seq = replica.seq

    def _maybe_sweep(self, conn: Connection, replica: PolicyReplica) -> int:
        """Censor decisions older than the feedback timeout; returns the head seq."""
        now = self._clock()
        if now - self._last_sweep < self._sweep_every:
            return replica.seq
        self._last_sweep = now
        cutoff = now - self.config.feedback.timeout_seconds
        rows = conn.execute(
            select(decisions_table.c.decision_id, decisions_table.c.arm_id).where(
                decisions_table.c.status == "pending", decisions_table.c.created < cutoff
            )
        ).all()
        if not rows:
            return replica.seq
        seq = replica.seq + 1
        conn.execute(
            update(decisions_table)
            .where(decisions_table.c.status == "pending", decisions_table.c.created < cutoff)
            .values(status="censored")
        )
        per_arm: dict[str, int] = {}
        for row in rows:
            per_arm[row.arm_id] = per_arm.get(row.arm_id, 0) + 1
        for arm_id, count in per_arm.items():
            conn.execute(
                update(arms_table)
                .where(arms_table.c.arm_id == arm_id)
                .values(censored=arms_table.c.censored + count)
            )
        LedgerStore.append_event(
            conn, seq, "censor", payload={"count": len(rows), "cutoff": cutoff}, at=now
        )
        replica.skip(seq=seq)
        return seq

    def sweep(self) -> None:
        """Censor overdue decisions now (also done on every write, at most every
        ``timeout/4`` seconds)."""
        self._last_sweep = -math.inf
        self._transaction(lambda conn, seq, replica: None)

    # -- arms ------------------------------------------------------------------------
    def _register_model(self, model: LoadedModel, *, source: str) -> bool:
        """Register a loaded model as a new arm; False if it already is (same file)."""

        def body(conn: Connection, seq: int, replica: PolicyReplica) -> bool:
            row = conn.execute(
                select(arms_table.c.sha256).where(arms_table.c.arm_id == model.id)
            ).first()
            if row is not None:
                if row.sha256 != model.sha256:
                    raise ConflictError(
                        f"arm {model.id!r} is already registered with a different model file"
                    )
                return False
            seq += 1
            conn.execute(
                insert(arms_table).values(
                    arm_id=model.id,
                    registered_seq=seq,
                    family=model.family,
                    created_at=model.created_at,
                    validation_score=model.validation_score,
                    threshold=model.threshold,
                    path=str(model.path),
                    sha256=model.sha256,
                    status=ACTIVE,
                    traffic=0,
                    feedback_count=0,
                    reward_sum=0.0,
                    censored=0,
                )
            )
            payload = {
                "created_at": model.created_at,
                "validation_score": model.validation_score,
                "family": model.family,
                "path": str(model.path),
                "sha256": model.sha256,
                "source": source,
            }
            LedgerStore.append_event(conn, seq, "register", arm_id=model.id, payload=payload)
            replica.register(
                Arm(model.id, model.created_at, model.validation_score, model.family), seq=seq
            )
            self.models[model.id] = model
            return True

        return bool(self._transaction(body))

    def register(self, path: str | Path) -> dict[str, Any]:
        """Register the model file at ``path`` (trusted locations only) as a new arm."""
        path = Path(path)
        if not path.is_absolute():
            path = self.config.base_dir / path
        model = self._load(path)
        if not self._register_model(model, source="admin"):
            raise ConflictError(f"arm {model.id!r} is already registered")
        return self.arm(model.id)

    def _status_change(
        self,
        conn: Connection,
        seq: int,
        replica: PolicyReplica,
        arm_id: str,
        status: str,
        reason: str,
        source: str,
    ) -> int:
        seq += 1
        conn.execute(
            update(arms_table)
            .where(arms_table.c.arm_id == arm_id)
            .values(status=status, status_reason=reason)
        )
        LedgerStore.append_event(
            conn,
            seq,
            "status",
            arm_id=arm_id,
            payload={"status": status, "reason": reason, "source": source},
        )
        replica.set_status(arm_id, status, seq=seq)
        return seq

    def _guardrail_event(
        self, conn: Connection, seq: int, replica: PolicyReplica, item: Any
    ) -> int:
        """Mirror one guardrail event in the ledger: a quarantine changes the arm's status,
        other events (fallback, fallback-ended, ...) are recorded as they are."""
        kind = _event_field(item, "kind") or "quarantine"
        arm_id = _event_field(item, "arm_id", "arm", "version")
        reason = str(_event_field(item, "reason") or f"guardrail {kind}")
        known = arm_id is not None and arm_id in replica.arms
        if kind == "quarantine" and known and replica.status[arm_id] == ACTIVE:
            return self._status_change(
                conn, seq, replica, str(arm_id), QUARANTINED, reason, "guardrail"
            )
        seq += 1
        payload = _json_safe(dict(item) if isinstance(item, Mapping) else {"event": str(item)})
        LedgerStore.append_event(
            conn,
            seq,
            "guardrail",
            arm_id=str(arm_id) if known else None,
            payload={"event": payload, "reason": reason, "source": "guardrail"},
        )
        replica.skip(seq=seq)
        return seq

    def retire(self, arm_id: str, *, reason: str = "retired by an operator") -> dict[str, Any]:
        """Retire an arm for good (it never serves again)."""

        def body(conn: Connection, seq: int, replica: PolicyReplica) -> None:
            if arm_id not in replica.arms:
                raise UnknownArmError(f"unknown arm {arm_id!r}")
            if replica.status[arm_id] == RETIRED:
                raise ConflictError(f"arm {arm_id!r} is already retired")
            if [a.id for a in replica.live()] == [arm_id]:
                raise ConflictError(
                    f"arm {arm_id!r} is the last active arm; register another first"
                )
            self._status_change(conn, seq, replica, arm_id, RETIRED, reason, "admin")

        self._transaction(body)
        return self.arm(arm_id)

    def rollback(self, arm_id: str) -> dict[str, Any]:
        """Roll back to ``arm_id``: it becomes active, every active newer arm is quarantined."""

        def body(conn: Connection, seq: int, replica: PolicyReplica) -> None:
            if arm_id not in replica.arms:
                raise UnknownArmError(f"unknown arm {arm_id!r}")
            if replica.status[arm_id] == RETIRED:
                raise ConflictError(f"arm {arm_id!r} is retired; retired arms never serve again")
            target = replica.arms[arm_id]
            if replica.status[arm_id] != ACTIVE:
                seq = self._status_change(
                    conn, seq, replica, arm_id, ACTIVE, "rollback target", "admin"
                )
            for arm in replica.live():
                if arm.created_at > target.created_at:
                    seq = self._status_change(
                        conn, seq, replica, arm.id, QUARANTINED, f"rollback to {arm_id}", "admin"
                    )

        self._transaction(body)
        return self.arm(arm_id)

    # -- predict ---------------------------------------------------------------------
    def _frame(self, rows: Sequence[Mapping[str, Any]], live: Sequence[Arm]) -> pd.DataFrame:
        models = [self.models[a.id] for a in live]
        columns: dict[str, bool] = {}
        for model in models:
            for col in model.feature_columns:
                columns[col] = columns.get(col, False) or model.is_numeric(col)
        data: dict[str, list[Any]] = {c: [] for c in columns}
        for i, row in enumerate(rows):
            unknown = set(row) - set(columns)
            if unknown:
                raise DataError(f"row {i}: unknown feature columns {sorted(unknown)}")
            for col, numeric in columns.items():
                if col not in row:
                    raise DataError(f"row {i}: missing feature column {col!r} (null is allowed)")
                value = row[col]
                if value is None:
                    data[col].append(np.nan)  # as pandas reads a missing value
                elif numeric:
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        raise DataError(f"row {i}: column {col!r} must be a number, got {value!r}")
                    if not math.isfinite(value):
                        raise DataError(f"row {i}: column {col!r} must be finite, got {value!r}")
                    data[col].append(float(value))
                else:
                    if not isinstance(value, str):
                        raise DataError(f"row {i}: column {col!r} must be a string, got {value!r}")
                    data[col].append(value)
        return pd.DataFrame(
            {c: pd.Series(v, dtype="float64" if columns[c] else object) for c, v in data.items()},
            index=pd.RangeIndex(len(rows)),
        )

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Route each row to an arm, predict, log the decisions durably, return them."""
        n = len(rows)
        if n == 0:
            raise DataError("a prediction request needs at least one row")
        if n > self.config.limits.max_rows:
            raise PayloadTooLargeError(
                f"at most {self.config.limits.max_rows} rows per request, got {n}"
            )
        hashes = [
            hashlib.sha256(json.dumps(r, sort_keys=True, default=str).encode()).hexdigest()
            for r in rows
        ]

        def body(conn: Connection, seq: int, replica: PolicyReplica) -> list[dict[str, Any]]:
            frame = self._frame(rows, replica.live())  # validate before any state change
            seq += 1
            positions, probs, live = replica.decide(n, seq=seq)
            now = self._clock()
            served = [live[p].id for p in positions]
            predictions = np.zeros(n, dtype=np.int64)
            scores = np.zeros(n, dtype=float)
            for pos in np.unique(positions):
                mask = positions == pos
                labels, sc = self.models[live[pos].id].predict(frame.loc[mask])
                predictions[mask] = labels
                scores[mask] = sc
            ids = [str(uuid.uuid4()) for _ in range(n)]
            conn.execute(
                insert(decisions_table),
                [
                    {
                        "decision_id": ids[i],
                        "seq": seq,
                        "position": i,
                        "arm_id": served[i],
                        "propensity": float(probs[positions[i]]),
                        "prediction": int(predictions[i]),
                        "score": float(scores[i]),
                        "created": now,
                        "request_hash": hashes[i],
                        "status": "pending",
                    }
                    for i in range(n)
                ],
            )
            counts = np.bincount(positions, minlength=len(live))
            for pos, count in enumerate(counts):
                if count:
                    conn.execute(
                        update(arms_table)
                        .where(arms_table.c.arm_id == live[pos].id)
                        .values(traffic=arms_table.c.traffic + int(count))
                    )
            LedgerStore.append_event(
                conn,
                seq,
                "decide",
                payload={"n": n, "live": [a.id for a in live], "digest": _digest(served)},
                at=now,
            )
            for item in replica.drain_guard_events():
                seq = self._guardrail_event(conn, seq, replica, item)
            return [
                {
                    "prediction": int(predictions[i]),
                    "score": float(scores[i]),
                    "arm": served[i],
                    "decision_id": ids[i],
                    "propensity": float(probs[positions[i]]),
                }
                for i in range(n)
            ]

        return self._transaction(body)  # type: ignore[no-any-return]

    # -- feedback --------------------------------------------------------------------
    def feedback(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Record rewards (or labels) for decisions; all of a batch or nothing.

        Raises
        ------
        UnknownDecisionError
            An id the ledger does not hold (404).
        DuplicateFeedbackError
            An id that already has feedback, was censored, or repeats in the batch (409).
        FeedbackError
            An invalid reward or label (422).
        """
        if not items:
            raise FeedbackError("feedback needs at least one item")
        if len(items) > self.config.limits.max_feedback:
            raise PayloadTooLargeError(
                f"at most {self.config.limits.max_feedback} feedback items per request"
            )
        ids = [str(item["decision_id"]) for item in items]
        seen: set[str] = set()
        for decision_id in ids:
            if decision_id in seen:
                raise DuplicateFeedbackError(f"decision {decision_id} repeats in this batch")
            seen.add(decision_id)
        for item in items:
            if ("label" in item) == ("reward" in item):
                raise FeedbackError(f"decision {item['decision_id']}: give a label or a reward")

        def body(conn: Connection, seq: int, replica: PolicyReplica) -> list[dict[str, Any]]:
            found: dict[str, _Pending] = {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for row in conn.execute(
                    select(
                        decisions_table.c.decision_id,
                        decisions_table.c.arm_id,
                        decisions_table.c.prediction,
                        decisions_table.c.status,
                        decisions_table.c.created,
                    ).where(decisions_table.c.decision_id.in_(chunk))
                ):
                    found[row.decision_id] = _Pending(*row)
            now = self._clock()
            timeout = self.config.feedback.timeout_seconds
            records = []
            for item, decision_id in zip(items, ids, strict=True):
                decision = found.get(decision_id)
                if decision is None:
                    raise UnknownDecisionError(f"unknown decision id {decision_id}")
                if decision.status == "rewarded":
                    raise DuplicateFeedbackError(f"decision {decision_id} already has feedback")
                if decision.status == "censored" or now - decision.created > timeout:
                    raise DuplicateFeedbackError(
                        f"decision {decision_id} is censored: its feedback came later than "
                        f"{timeout:g} s"
                    )
                label = item.get("label")
                if label is not None:
                    if isinstance(label, bool) or label not in (0, 1):
                        raise FeedbackError(f"decision {decision_id}: label must be 0 or 1")
                    reward = reward_for_label(
                        self.config.feedback.reward,
                        label=int(label),
                        prediction=decision.prediction,
                    )
                else:
                    reward = item["reward"]
                    if isinstance(reward, bool) or not isinstance(reward, (int, float)):
                        raise FeedbackError(f"decision {decision_id}: reward must be a number")
                    if not (math.isfinite(reward) and 0.0 <= reward <= 1.0):
                        raise FeedbackError(
                            f"decision {decision_id}: reward must be finite and in [0, 1], "
                            f"got {reward!r}"
                        )
                records.append((decision_id, decision.arm_id, float(reward), label))
            seq += 1
            conn.execute(
                insert(feedback_table),
                [
                    {
                        "decision_id": d,
                        "seq": seq,
                        "arm_id": a,
                        "reward": r,
                        "label": None if lab is None else int(lab),
                        "created": now,
                    }
                    for d, a, r, lab in records
                ],
            )
            for start in range(0, len(ids), 500):
                conn.execute(
                    update(decisions_table)
                    .where(decisions_table.c.decision_id.in_(ids[start : start + 500]))
                    .values(status="rewarded")
                )
            updates = group_updates([(a, r) for _, a, r, _ in records])
            for arm_id, rewards in updates:
                conn.execute(
                    update(arms_table)
                    .where(arms_table.c.arm_id == arm_id)
                    .values(
                        feedback_count=arms_table.c.feedback_count + len(rewards),
                        reward_sum=arms_table.c.reward_sum + float(sum(rewards)),
                    )
                )
            LedgerStore.append_event(conn, seq, "feedback", payload={"count": len(records)}, at=now)
            replica.learn(updates, seq=seq)
            for item in replica.drain_guard_events():
                seq = self._guardrail_event(conn, seq, replica, item)
            return [
                {"decision_id": d, "arm": a, "reward": r, "status": "accepted"}
                for d, a, r, _ in records
            ]

        try:
            return self._transaction(body)  # type: ignore[no-any-return]
        except IntegrityError:
            # the UNIQUE constraint caught a concurrent duplicate: nothing was stored
            raise DuplicateFeedbackError("a decision of this batch already has feedback") from None

    # -- views -----------------------------------------------------------------------
    def _caught_up(self) -> PolicyReplica:
        with self._lock:
            try:
                with self.store.read() as conn:
                    replica = self._replica or self._fresh_replica(conn)
                    self._replica = replica
                    apply_events(
                        replica, conn, LedgerStore.head(conn), on_register=self._on_register(conn)
                    )
                return replica
            except BaseException:
                self._replica = None
                raise

    def state(self) -> dict[str, Any]:
        """The replica state after the latest committed event (compare with a rebuild)."""
        with self._lock:
            return copy.deepcopy(self._caught_up().state())

    def arm(self, arm_id: str) -> dict[str, Any]:
        """One arm of :meth:`arms`."""
        for item in self.arms()["arms"]:
            if item["id"] == arm_id:
                return item
        raise UnknownArmError(f"unknown arm {arm_id!r}")

    def arms(self, *, events_limit: int = 100) -> dict[str, Any]:
        """Every arm with its traffic, reward statistics, status and current share."""
        with self._lock:
            replica = self._caught_up()
            live = replica.live()
            shares = {}
            if live:
                # on a copy: probabilities() may register arms in the policy's statistics
                probs = copy.deepcopy(replica.policy).probabilities(live)
                shares = {a.id: float(p) for a, p in zip(live, probs, strict=True)}
        with self.store.read() as conn:
            rows = conn.execute(select(arms_table).order_by(arms_table.c.registered_seq)).all()
            events = conn.execute(
                select(events_table)
                .where(events_table.c.kind.in_(["status", "register", "guardrail"]))
                .order_by(events_table.c.seq.desc())
                .limit(events_limit)
            ).all()
            pending: dict[Any, Any] = dict(
                conn.execute(
                    select(decisions_table.c.arm_id, func.count())
                    .where(decisions_table.c.status == "pending")
                    .group_by(decisions_table.c.arm_id)
                ).all()
            )
        arms = []
        for row in rows:
            count = int(row.feedback_count)
            arms.append(
                {
                    "id": row.arm_id,
                    "family": row.family,
                    "created_at": int(row.created_at),
                    "validation_score": row.validation_score,
                    "threshold": row.threshold,
                    "status": row.status,
                    "status_reason": row.status_reason,
                    "traffic": int(row.traffic),
                    "feedback": count,
                    "pending": int(pending.get(row.arm_id, 0)),
                    "censored": int(row.censored),
                    "reward_sum": float(row.reward_sum),
                    "reward_mean": float(row.reward_sum) / count if count else None,
                    "share": shares.get(row.arm_id, 0.0),
                }
            )
        return {
            "policy": self.config.policy.name,
            "seq": replica.seq,
            "arms": arms,
            "events": [
                {
                    "seq": int(e.seq),
                    "time": float(e.time),
                    "kind": e.kind,
                    "arm": e.arm_id,
                    **json.loads(e.payload),
                }
                for e in reversed(events)
            ],
        }

    def counters(self) -> dict[str, Any]:
        """Ledger-wide counters for ``/metrics`` (exact across workers)."""
        with self.store.read() as conn:
            rows = conn.execute(select(arms_table)).all()
            head = LedgerStore.head(conn)
        return {"head": head, "arms": rows}

    def health(self) -> dict[str, Any]:
        """Liveness and readiness: the store answers and at least one arm is active."""
        with self.store.read() as conn:
            head = LedgerStore.head(conn)
            active = conn.execute(
                select(func.count()).select_from(arms_table).where(arms_table.c.status == ACTIVE)
            ).scalar_one()
        return {
            "status": "ok" if active else "degraded",
            "ledger_seq": head,
            "active_arms": int(active),
            "store": self.store.dialect,
        }
