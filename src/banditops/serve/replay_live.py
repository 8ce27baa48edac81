"""Live equals offline: stream a dataset through a running router, compare with the replay.

:func:`replay_live` is a streaming client: chunk by chunk it posts the rows to
``/predict`` (one request per chunk, so one ``select`` per chunk, as in the replay) and,
``label_delay`` chunks later, their labels to ``/feedback``. :func:`replay_offline`
replays the *same* policy (same configuration and seed) over the *same* model files with
the replay engine :func:`banditops.simulation.replay.replay`, on a prediction cache
built from those files. :func:`compare_runs` compares the arm served to every row.

The schedules are made identical on purpose, following the engine's chunk semantics:
the feedback of chunk ``t`` is sent before chunk ``t + 1 + label_delay`` is predicted,
in one request whose items are ordered by arm (registration order, which is the
engine's version order) and by row within an arm, so the router's one ``update`` per
arm per batch equals the engine's. With a fresh ledger (the router's state starts
empty) the decisions are then identical row for row, for deterministic and stochastic
policies alike: both draw from one generator seeded by the config's ``seed``.

Examples
--------
>>> live = LiveRun(served=[["a", "b"], ["b", "b"]], propensities=[[0.5, 0.5], [0.9, 0.9]],
...                rewards=[[1.0, 0.0], [1.0, 1.0]])
>>> compare_runs(live, LiveRun(served=[["a", "b"], ["b", "a"]]))["identical"]
False
>>> compare_runs(live, LiveRun(served=[["a", "b"], ["b", "b"]]))["first_mismatch"] is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from banditops.errors import ConfigError
from banditops.serve.config import DeploymentConfig
from banditops.serve.exceptions import RouterRequestError

__all__ = [
    "LiveRun",
    "check_base_url",
    "compare_runs",
    "replay_live",
    "replay_live_check",
    "replay_offline",
]


@dataclass
class LiveRun:
    """Per chunk, the arm that served each row (and, live, propensities and rewards)."""

    served: list[list[str]]
    propensities: list[list[float]] = field(default_factory=list)
    rewards: list[list[float]] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        """Rows served."""
        return sum(len(c) for c in self.served)


def _json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.to_dict(orient="records")
    return [
        {
            str(k): (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
            for k, v in r.items()
        }
        for r in rows
    ]


def _count(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def check_base_url(url: str) -> str:
    """An ``http(s)://host[:port][/prefix]`` router URL, or :class:`ConfigError`.

    Examples
    --------
    >>> check_base_url("http://127.0.0.1:8000")
    'http://127.0.0.1:8000'
    >>> check_base_url("ftp://example.org")
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: router URL must be http(s)://HOST[:PORT], got 'ftp://example.org'
    """
    import httpx

    try:
        parsed = httpx.URL(url)
        port = parsed.port
        ok = (
            parsed.scheme in ("http", "https")
            and bool(parsed.host)
            and (port is None or 1 <= port <= 65535)
        )
    except (httpx.InvalidURL, TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"router URL must be http(s)://HOST[:PORT], got {url!r}"[:300])
    return url


def _reply(http: Any, method: str, path: str, **kwargs: Any) -> Any:
    """One request; a transport failure or an error status is a RouterRequestError."""
    import httpx

    try:
        reply = http.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise RouterRequestError(
            f"cannot reach the router at {http.base_url}: {exc or type(exc).__name__}"
        ) from None
    if reply.status_code >= 400:
        try:
            detail = reply.json().get("detail")
        except ValueError:
            detail = reply.text
        text = str(detail)
        text = text if len(text) <= 300 else text[:297] + "..."
        raise RouterRequestError(
            f"{method} {path} answered {reply.status_code}: {text}".replace("\n", " ")
        )
    return reply.json()


def _chunks(n_rows: int, chunk_size: int, n_chunks: int | None) -> list[tuple[int, int]]:
    _count("chunk_size", chunk_size, 1)
    if n_chunks is not None:
        _count("n_chunks", n_chunks, 1)
    bounds = [(s, min(s + chunk_size, n_rows)) for s in range(0, n_rows, chunk_size)]
    return bounds if n_chunks is None else bounds[:n_chunks]


def replay_live(
    base_url: str,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    chunk_size: int,
    label_delay: int = 0,
    n_chunks: int | None = None,
    arm_order: Sequence[str] | None = None,
    token: str | None = None,
    timeout: float = 60.0,
) -> LiveRun:
    """Stream ``X`` (in order) through the router at ``base_url``, labels ``y`` delayed.

    Parameters
    ----------
    base_url : str
        E.g. ``http://127.0.0.1:8000``.
    X, y : DataFrame, array
        Rows in stream order and their 0/1 labels.
    chunk_size : int
        Rows per ``/predict`` request (one chunk).
    label_delay : int
        Chunks before a chunk's labels are sent.
    n_chunks : int, optional
        Stop after this many chunks.
    arm_order : sequence of str, optional
        Order of arms inside a feedback batch (default: the order of ``GET /arms``,
        i.e. registration order, the engine's version order).
    token : str, optional
        Bearer token, if the router protects predict and feedback.

    Returns
    -------
    LiveRun
    """
    import httpx

    check_base_url(base_url)
    _count("label_delay", label_delay, 0)
    chunks = _chunks(len(X), chunk_size, n_chunks)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    y = np.asarray(y)
    run = LiveRun(served=[], propensities=[], rewards=[])
    with httpx.Client(base_url=base_url, timeout=timeout, headers=headers) as http:
        if arm_order is None:
            arms = _reply(http, "GET", "/arms")
            arm_order = [a["id"] for a in arms["arms"]]
        rank = {arm: i for i, arm in enumerate(arm_order)}
        pending: dict[int, list[dict[str, Any]]] = {}
        reward_of: dict[str, float] = {}
        decision_ids: list[list[str]] = []

        def send(items: list[dict[str, Any]]) -> None:
            reply = _reply(http, "POST", "/feedback", json={"feedback": items})
            for res in reply["results"]:
                reward_of[res["decision_id"]] = res["reward"]

        for k, (start, stop) in enumerate(chunks):
            batch = pending.pop(k, None)
            if batch:
                send(batch)
            reply = _reply(http, "POST", "/predict", json={"rows": _json_rows(X.iloc[start:stop])})
            preds = reply["predictions"]
            run.served.append([p["arm"] for p in preds])
            run.propensities.append([p["propensity"] for p in preds])
            items = [
                (rank.get(p["arm"], len(rank)), i, p["decision_id"], int(y[start + i]))
                for i, p in enumerate(preds)
            ]
            land = k + 1 + label_delay
            if land < len(chunks):  # as in the engine: feedback after the end is never seen
                pending[land] = [
                    {"decision_id": d, "label": label} for _, _, d, label in sorted(items)
                ]
            decision_ids.append([p["decision_id"] for p in preds])
    run.rewards = [[reward_of.get(d, float("nan")) for d in chunk] for chunk in decision_ids]
    return run


def replay_offline(
    config: DeploymentConfig,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    chunk_size: int,
    label_delay: int = 0,
    n_chunks: int | None = None,
    policy_factory: Any = None,
) -> LiveRun:
    """The same stream through the replay engine, over the deployment's model files.

    Builds a :class:`~banditops.simulation.cache.PredictionCache` from the files (every
    version live in every chunk) and runs :func:`banditops.simulation.replay.replay`
    with the deployment's policy and seed.
    """
    from banditops.models.pool import ModelVersion
    from banditops.rewards import make_reward
    from banditops.serve.artifacts import load_model
    from banditops.serve.router import build_policy
    from banditops.simulation.cache import PredictionCache
    from banditops.simulation.replay import replay

    sec = config.security
    models = [
        load_model(
            p,
            trusted_dirs=[config.base_dir, *sec.trusted_dirs],
            allow_untrusted=sec.allow_untrusted,
            allow_pickle=sec.allow_pickle,
            trusted_types=sec.trusted_types,
        )
        for p in config.models
    ]
    chunks = _chunks(len(X), chunk_size, n_chunks)
    stop = chunks[-1][1]
    frame = X.iloc[:stop]
    labels = np.asarray(y)[:stop].astype(np.int8)
    spec = config.feedback.reward
    reward = (
        make_reward("accuracy")
        if spec.name == "accuracy"
        else make_reward("cost", cost_ratio=spec.cost_ratio)
    )
    predictions = np.stack([m.predict(frame)[0] for m in models]).astype(np.int8)
    rewards = np.stack([reward(labels, p) for p in predictions])
    versions = []
    for m in models:
        version = ModelVersion(
            family=m.family,
            created_at=m.created_at,
            train_window=(0, 0),
            threshold=m.threshold,
            validation_score=m.validation_score if m.validation_score is not None else np.nan,
            n_train=0,
            n_validation=0,
            feature_columns=list(m.feature_columns),
        )
        if version.id != m.id:
            raise ConfigError(
                f"model {m.id!r} is not named family@created_at; the engine names it {version.id}"
            )
        versions.append(version)
    cache = PredictionCache(
        bounds=np.array([s for s, _ in chunks] + [stop]),
        first_chunk=0,
        y=labels,
        versions=versions,
        live=np.ones((len(chunks), len(models)), dtype=bool),
        predictions=predictions,
        rewards=rewards,
        info={"source": "replay_offline"},
    )
    policy = (policy_factory or build_policy)(config)
    served: list[list[str]] = []
    ids = [v.id for v in versions]
    replay(
        cache,
        policy,
        label_delay=label_delay,
        on_chunk=lambda k, rows: served.append([ids[v] for v in rows]),
    )
    return LiveRun(served=served)


def compare_runs(live: LiveRun, offline: LiveRun) -> dict[str, Any]:
    """Row-by-row comparison of the arms served live and offline.

    Returns
    -------
    dict
        ``identical``, ``rows``, ``mismatched_rows``, ``first_mismatch`` (chunk, row) or
        None, and the traffic per arm of each run.
    """
    mismatched = 0
    first = None
    for k, (a, b) in enumerate(zip(live.served, offline.served, strict=False)):
        for i, (x, z) in enumerate(zip(a, b, strict=False)):
            if x != z:
                mismatched += 1
                first = first or (k, i)
        if len(a) != len(b):
            mismatched += abs(len(a) - len(b))
            first = first or (k, min(len(a), len(b)))
    if len(live.served) != len(offline.served):
        first = first or (min(len(live.served), len(offline.served)), 0)
        mismatched += 1

    def traffic(run: LiveRun) -> dict[str, int]:
        counts: dict[str, int] = {}
        for chunk in run.served:
            for arm in chunk:
                counts[arm] = counts.get(arm, 0) + 1
        return counts

    return {
        "identical": mismatched == 0,
        "rows": live.n_rows,
        "mismatched_rows": mismatched,
        "first_mismatch": first,
        "traffic_live": traffic(live),
        "traffic_offline": traffic(offline),
    }


def replay_live_check(
    config_path: str,
    base_url: str,
    *,
    dataset: str = "adult",
    data_dir: str | None = None,
    stream_seed: int = 0,
    chunk_size: int = 100,
    label_delay: int = 1,
    n_chunks: int | None = 20,
    token: str | None = None,
) -> dict[str, Any]:
    """What ``banditops replay-live`` runs: load a real dataset in stream order, stream
    it through the router at ``base_url`` (which must have started on a fresh ledger
    with the config at ``config_path``), replay it offline, and compare."""
    import httpx

    from banditops.data.datasets import load_dataset
    from banditops.data.stream import stream_order
    from banditops.serve.config import load_config

    config = load_config(config_path)
    check_base_url(base_url)
    _count("chunk_size", chunk_size, 1)
    _count("label_delay", label_delay, 0)
    _count("stream_seed", stream_seed, 0)
    if n_chunks is not None:
        _count("chunks", n_chunks, 1)
    limit = min(config.limits.max_rows, config.limits.max_feedback)
    if chunk_size > limit:
        raise ConfigError(
            f"chunk size {chunk_size} is above what the router takes in one request "
            f"([limits] max_rows {config.limits.max_rows}, max_feedback "
            f"{config.limits.max_feedback} in {config_path})"
        )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=base_url, timeout=10.0, headers=headers) as http:
        health = _reply(http, "GET", "/health")  # unreachable: fail before loading any data
    fresh = len(config.models)  # a fresh ledger holds one registration per model file
    if int(health.get("ledger_seq", fresh)) != fresh:
        raise ConfigError(
            f"the router at {base_url} has a ledger of {health.get('ledger_seq')} events, a fresh "
            f"start holds {fresh} (one registration per model): decisions depend on the whole "
            "history, so live equals offline only from a fresh start; stop the router, remove "
            "its state store (the [store] url; by default banditops-state.sqlite* beside the "
            "config) and start it again"
        )
    data = load_dataset(dataset, data_dir=data_dir, download=False)
    order = stream_order(data, seed=stream_seed)
    X = data.X.iloc[order].reset_index(drop=True)
    y = np.asarray(data.y)[order]
    live = replay_live(
        base_url, X, y, chunk_size=chunk_size, label_delay=label_delay, n_chunks=n_chunks,
        token=token,
    )  # fmt: skip
    offline = replay_offline(
        config, X, y, chunk_size=chunk_size, label_delay=label_delay, n_chunks=n_chunks
    )
    return compare_runs(live, offline) | {
        "dataset": dataset,
        "chunk_size": chunk_size,
        "label_delay": label_delay,
        "chunks": len(live.served),
        "policy": config.policy.name,
        "seed": config.seed,
    }
