"""The main job: replay a real dataset through deployment strategies, over seeds.

:func:`simulate` loads a dataset, orders and chunks it, builds the prediction cache
(every model version's decisions on every chunk, once), replays every strategy for every
seed over it, and returns a results dict that :func:`write_results` stores as
``results.json`` (full configuration, seeds, per-seed and aggregated figures, per-chunk
curves) and ``summary.csv`` (one row per strategy).

What the seeds vary: the policies' random streams (strategy ``s`` with seed ``i`` uses
``SeedSequence(i, spawn_key=(crc32(s),))``). The stream order (``stream_seed``) and the
model pool (``pool.seed``) are held fixed, so every strategy is judged on the same arms;
rerun with another ``stream_seed`` to vary the stream as well. Deterministic strategies
(naive, validation, ucb) therefore show no spread over seeds.

Strategy names. A strategy is a registry policy name, optionally followed by
``+shaped`` (the policy learns from drop-penalty shaped rewards,
:class:`~banditops.policies.shaping.DropPenalty`, parameters ``shaping_params``) and/or
``+guardrail`` (wrapped in :class:`~banditops.policies.guardrail.Guardrail`, parameters
``guardrail_params``), e.g. ``thompson+guardrail`` or ``ucb+shaped+guardrail``. The
guardrail sees the true rewards; only the base policy sees shaped ones.

Drift. ``drift`` holds scenario specs ``NAME[:key=value,...]``
(:mod:`banditops.data.drift`), applied to the stream (and the serving hook) before the
cache is built. Results then carry a ``drift`` block (resolved scenarios, drift points,
broken versions) and, per strategy, ``recovery_chunks`` and ``post_drift_regret`` per
drift point, ``broken_share`` (rows served by versions a skew scenario broke) and
``exit_chunks`` (chunks from a broken release until less than half of a chunk's rows go to
broken versions), and ``rollbacks_detail`` (rollbacks of the main version and the events of
wrappers: guardrail quarantines and fallbacks, change detections) for every seed.

Examples
--------
>>> config = SimulationConfig(dataset="adult", seeds=2)
>>> config.strategy_specs()[0]
StrategySpec(label='naive', policy='naive', params={}, guardrail=None, shaping=None)
>>> SimulationConfig(dataset="adult", strategies=["ucb+guardrail"]).strategy_specs()[0].guardrail
{}
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from banditops import __version__
from banditops.errors import ConfigError
from banditops.metrics import (
    chunk_regret,
    classification_metrics,
    mean_ci,
    post_drift_regret,
    recovery_chunks,
    rollback_details,
    switches_and_rollbacks,
)
from banditops.models.pool import PoolConfig
from banditops.policies import POLICIES, make_policy
from banditops.policies.base import check_int
from banditops.rewards import Reward, make_reward
from banditops.simulation.cache import PredictionCache, ServingHook, build_prediction_cache
from banditops.simulation.replay import RunResult, child_seed, replay

__all__ = [
    "DEFAULT_STRATEGIES",
    "RESULTS_FORMAT",
    "SimulationConfig",
    "StrategySpec",
    "aggregate_runs",
    "prepare_cache",
    "run_replays",
    "simulate",
    "strategy_entry",
    "summary_rows",
    "train_replay_version",
    "write_results",
]

logger = logging.getLogger(__name__)

RESULTS_FORMAT = 1
DEFAULT_STRATEGIES = ("naive", "validation", "ab-test", "epsilon-greedy", "ucb", "thompson")
METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "balanced_accuracy")


SUFFIXES = ("+shaped", "+guardrail")


def split_strategy(name: str) -> tuple[str, bool, bool]:
    """``(policy, shaped, guardrail)`` of a strategy name such as ``ucb+shaped+guardrail``.

    Examples
    --------
    >>> split_strategy("thompson+guardrail")
    ('thompson', False, True)
    """
    if not isinstance(name, str):
        raise ConfigError(f"a strategy name must be a string, got {name!r}")
    base, *rest = name.split("+")
    extras = ["+" + r for r in rest]
    bad = [e for e in extras if e not in SUFFIXES]
    if bad or len(set(extras)) != len(extras):
        raise ConfigError(
            f"strategy {name!r}: a policy name may be followed by {' and/or '.join(SUFFIXES)}"
            f" (once each), got {''.join(extras)!r}"
        )
    return base, "+shaped" in extras, "+guardrail" in extras


@dataclass(frozen=True)
class StrategySpec:
    """A strategy to replay: a label (unique in a run), a registry policy, its parameters,
    optionally the guardrail's parameters (``None``: no guardrail) and the reward
    shaping's parameters (``None``: no shaping)."""

    label: str
    policy: str
    params: dict[str, Any] = field(default_factory=dict)
    guardrail: dict[str, Any] | None = None
    shaping: dict[str, Any] | None = None

    def build(self, seed: int) -> Any:
        """A fresh policy for replay seed ``seed``."""
        policy: Any = make_policy(self.policy, seed=child_seed(seed, self.label), **self.params)
        if self.shaping is not None:
            from banditops.policies.shaping import DropPenalty

            policy = DropPenalty(policy, **self.shaping)
        if self.guardrail is None:
            return policy
        from banditops.policies.guardrail import Guardrail

        return Guardrail(policy, **self.guardrail)


@dataclass
class SimulationConfig:
    """Everything that defines a simulation run (all of it goes into ``results.json``).

    Parameters
    ----------
    dataset : str
        Registry name (``adult``, ``vehicle-claims``, ``creditcard``, ...).
    strategies : sequence of str
        Registry names of the policies to compare.
    strategy_params : mapping
        ``{strategy: {param: value}}`` overriding policy defaults.
    seeds : int
        Number of replay seeds (``seed``, ``seed + 1``, ...).
    seed : int
        First replay seed.
    chunk_size : int or None
        Rows per chunk (None: the dataset's default).
    stream_seed : int
        Seed of the stream order (adult is a seeded permutation).
    order_by : str or None
        Order the stream by this column instead (a drift of its own).
    label_delay : int
        Chunks before a chunk's labels land.
    reward : str or None
        Reward name (None: the dataset's default); ``reward_params`` its parameters.
    pool : PoolConfig
        Model families and retraining schedule.
    data_dir : str or None
        Where the dataset files are (else ``BANDITOPS_DATA_DIR``, the cache, a download).
    drift : sequence of str
        Drift scenario specs ``NAME[:key=value,...]`` (:mod:`banditops.data.drift`).
    guardrail_params, shaping_params : mapping
        Parameters of the guardrail / the reward shaping of ``+guardrail`` / ``+shaped``
        strategies.
    recovery_margin : float
        Served reward per row within this much of the oracle's counts as recovered.
    post_drift_window : int
        Chunks from a drift point over which post-drift regret is summed.
    """

    dataset: str
    strategies: Sequence[str] = DEFAULT_STRATEGIES
    strategy_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seeds: int = 5
    seed: int = 0
    chunk_size: int | None = None
    stream_seed: int = 0
    order_by: str | None = None
    label_delay: int = 0
    reward: str | None = None
    reward_params: Mapping[str, Any] = field(default_factory=dict)
    pool: PoolConfig = field(default_factory=PoolConfig)
    data_dir: str | None = None
    drift: Sequence[str] = ()
    guardrail_params: Mapping[str, Any] = field(default_factory=dict)
    shaping_params: Mapping[str, Any] = field(default_factory=dict)
    recovery_margin: float = 0.01
    post_drift_window: int = 10

    def __post_init__(self) -> None:
        from banditops.data.drift import parse_scenarios
        from banditops.policies.base import check_range

        if isinstance(self.drift, str):
            raise ConfigError("drift must be a list of scenario specs, not one string")
        parse_scenarios(list(self.drift))  # unknown names, keys and values fail here
        self.drift = tuple(self.drift)
        check_range("recovery_margin", self.recovery_margin, 0, 1)
        check_int("post_drift_window", self.post_drift_window, 1)
        check_int("seeds", self.seeds, 1)
        check_int("seed", self.seed, 0)
        check_int("stream_seed", self.stream_seed, 0)
        check_int("label_delay", self.label_delay, 0)
        if self.chunk_size is not None:
            check_int("chunk_size", self.chunk_size, 1)
        if isinstance(self.strategies, str) or not self.strategies:
            raise ConfigError("strategies must be a non-empty list of names")
        unknown = [s for s in self.strategies if split_strategy(s)[0] not in POLICIES]
        if unknown:
            raise ConfigError(
                f"unknown strategy {unknown[0]!r}; known strategies: {sorted(POLICIES)}"
            )
        if len(set(self.strategies)) != len(self.strategies):
            raise ConfigError(f"strategies must be unique, got {list(self.strategies)}")
        extra = set(self.strategy_params) - set(self.strategies)
        if extra:
            raise ConfigError(f"parameters given for strategies not in the run: {sorted(extra)}")
        self.strategies = tuple(self.strategies)
        # build each policy once now, so a bad parameter fails before any training
        for spec in self.strategy_specs():
            spec.build(0)

    def strategy_specs(self) -> list[StrategySpec]:
        """One spec per strategy, in run order."""
        specs = []
        for name in self.strategies:
            policy, shaped, guarded = split_strategy(name)
            specs.append(
                StrategySpec(
                    name,
                    policy,
                    dict(self.strategy_params.get(name, {})),
                    guardrail=dict(self.guardrail_params) if guarded else None,
                    shaping=dict(self.shaping_params) if shaped else None,
                )
            )
        return specs

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        data = asdict(self)
        data["strategies"] = list(self.strategies)
        data["strategy_params"] = {k: dict(v) for k, v in self.strategy_params.items()}
        data["reward_params"] = dict(self.reward_params)
        data["drift"] = list(self.drift)
        data["guardrail_params"] = dict(self.guardrail_params)
        data["shaping_params"] = dict(self.shaping_params)
        data["pool"]["families"] = list(self.pool.families)
        return data


Progress = Callable[[str, int, int], None]


def prepare_cache(
    config: SimulationConfig,
    *,
    progress: Progress | None = None,
    serving_hook: ServingHook | None = None,
    transform: Callable[[Any], Any] | None = None,
    keep_models: bool = False,
) -> tuple[PredictionCache, Reward]:
    """Load, order and chunk the dataset and build its prediction cache.

    ``transform(stream) -> stream`` may rewrite the stream first (drift scenarios).
    """
    from banditops.data.datasets import load_dataset
    from banditops.data.stream import make_stream

    dataset = load_dataset(config.dataset, data_dir=config.data_dir)
    stream = make_stream(
        dataset, chunk_size=config.chunk_size, seed=config.stream_seed, order_by=config.order_by
    )
    if transform is not None:
        stream = transform(stream)
    plan = None
    if config.drift:
        from banditops.data.drift import parse_scenarios, plan_drift
        from banditops.models.pool import release_chunks

        releases = [
            r.chunk for r in release_chunks(config.pool, stream.n_chunks, config.label_delay)
        ]
        plan = plan_drift(parse_scenarios(list(config.drift)), stream, release_chunks=releases)
        stream = plan.stream
        if plan.serving_hook is not None:
            serving_hook = _chain_hooks(plan.serving_hook, serving_hook)
    reward_name = config.reward or dataset.spec.default_reward
    reward = make_reward(reward_name, **dict(config.reward_params))
    info = {
        "dataset": config.dataset,
        "rows": len(stream.y),
        "chunk_size": int(stream.bounds[1] - stream.bounds[0]),
        "reward": {"name": reward.name, **reward.params(), "table": reward.table},
        "positive_rate": float(np.mean(stream.y)),
    }
    if plan is not None:
        info["drift"] = plan.describe()
        info["drift_points"] = plan.points
    cache = build_prediction_cache(
        stream.X,
        stream.y,
        stream.bounds,
        reward=reward,
        pool=config.pool,
        label_delay=config.label_delay,
        serving_hook=serving_hook,
        keep_models=keep_models,
        progress=progress,
        info=info,
    )
    if plan is not None:
        cache.info["broken_versions"] = [v.id for v in cache.versions if plan.broken(v)]
    return cache, reward


def train_replay_version(config: SimulationConfig, version_id: str) -> tuple[Any, Any]:
    """Train exactly the version ``FAMILY@CHUNK`` the replay of ``config`` creates.

    Only that version's release is trained (same stream, window, reward and seed as in
    the prediction cache), so its decisions equal the cached ones. Returns the
    :class:`~banditops.models.pool.ModelVersion` (pipeline attached) and the feature
    dtypes of the stream.
    """
    from banditops.data.datasets import load_dataset
    from banditops.data.stream import make_stream
    from banditops.models.pool import release_chunks, train_version

    family, sep, chunk_text = version_id.rpartition("@")
    if not sep or not chunk_text.isdigit() or family not in config.pool.families:
        raise ConfigError(
            f"version must be FAMILY@CHUNK with FAMILY one of {list(config.pool.families)}, "
            f"got {version_id!r}"
        )
    dataset = load_dataset(config.dataset, data_dir=config.data_dir)
    stream = make_stream(
        dataset, chunk_size=config.chunk_size, seed=config.stream_seed, order_by=config.order_by
    )
    releases = {
        r.chunk: r for r in release_chunks(config.pool, stream.n_chunks, config.label_delay)
    }
    chunk = int(chunk_text)
    if chunk not in releases:
        raise ConfigError(
            f"the replay releases versions at chunks {sorted(releases)}, not at {chunk}"
        )
    window = releases[chunk].window
    rows = slice(int(stream.bounds[window[0]]), int(stream.bounds[window[1]]))
    reward = make_reward(config.reward or dataset.spec.default_reward, **dict(config.reward_params))
    version = train_version(
        family,
        stream.X.iloc[rows],
        stream.y[rows],
        reward=reward,
        created_at=chunk,
        train_window=window,
        validation_fraction=config.pool.validation_fraction,
        seed=config.pool.seed,
    )
    return version, stream.X.dtypes


def _chain_hooks(first: ServingHook, second: ServingHook | None) -> ServingHook:
    if second is None:
        return first

    def chained(version: Any, X_rows: Any, chunk_of_row: np.ndarray) -> Any:
        return second(version, first(version, X_rows, chunk_of_row), chunk_of_row)

    return chained


def _clean(value: Any) -> Any:
    """NaN and infinities to None (JSON null), numpy scalars to Python."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _policy_events(policy: Any, first_chunk: int, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Events of wrappers (guardrail, change detection), nested ones included, as
    ``{chunk, version, kind, reason}``; a wrapper's step ``s`` is scored chunk ``s``."""
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    while policy is not None and id(policy) not in seen:
        seen.add(id(policy))
        events = getattr(policy, "events", None)
        if callable(events):
            for event in events():
                out.append(
                    {
                        "chunk": first_chunk + int(event["step"]),
                        "version": event.get("arm"),
                        "kind": event["kind"],
                        "policy": getattr(policy, "name", ""),
                        "reason": event.get("reason", ""),
                    }
                )
        policy = getattr(policy, "base", None)
    out.sort(key=lambda e: e["chunk"])
    return out


def _run_summary(
    cache: PredictionCache,
    run: RunResult,
    seed: int,
    *,
    policy: Any = None,
    recovery_margin: float = 0.01,
    post_drift_window: int = 10,
) -> dict[str, Any]:
    sums = cache.chunk_reward_sums()
    sizes = cache.chunk_sizes()
    regret = chunk_regret(run.traffic, sums, sizes)
    served = int(run.traffic.sum())
    quality = classification_metrics(run.confusion.sum(axis=0))
    created = np.array([v.created_at for v in cache.versions])
    switches, rollbacks = switches_and_rollbacks(run.main_arm, created)
    ids = [v.id for v in cache.versions]
    detail: list[dict[str, Any]] = rollback_details(run.main_arm, created, ids, cache.first_chunk)
    if policy is not None:
        detail = sorted(
            detail + _policy_events(policy, cache.first_chunk, ids), key=lambda e: e["chunk"]
        )
    drift = _drift_summary(cache, run, regret, recovery_margin, post_drift_window)
    return {
        "seed": seed,
        "mean_reward": float(run.expected.sum() / served),
        "realized_reward": float(run.realized.sum() / served),
        "cumulative_reward": float(run.expected.sum()),
        "regret": float(regret.sum()),
        "switches": switches,
        "rollbacks": rollbacks,
        "served_rows": served,
        "feedback_rows": run.feedback_rows,
        "metrics": quality.values,
        "undefined": quality.undefined,
        "rollbacks_detail": detail,
        **drift,
        "chunks": {
            "reward": (run.expected / sizes).tolist(),
            "realized_reward": (run.realized / sizes).tolist(),
            "regret": regret.tolist(),
            "main_arm": [ids[i] for i in run.main_arm],
            "traffic": [{ids[v]: int(row[v]) for v in np.flatnonzero(row)} for row in run.traffic],
        },
    }


def _drift_summary(
    cache: PredictionCache,
    run: RunResult,
    regret: np.ndarray,
    margin: float,
    window: int,
) -> dict[str, Any]:
    points = [int(p) for p in cache.info.get("drift_points", [])]
    if not points and not cache.info.get("broken_versions"):
        return {}
    sizes = cache.chunk_sizes()
    served = run.expected / sizes
    oracle = cache.oracle_chunk_rewards() / sizes
    out: dict[str, Any] = {
        "recovery_chunks": recovery_chunks(
            served, oracle, points, first_chunk=cache.first_chunk, margin=margin
        ),
        "post_drift_regret": post_drift_regret(
            regret, points, first_chunk=cache.first_chunk, window=window
        ),
    }
    broken_ids = set(cache.info.get("broken_versions", []))
    if broken_ids:
        broken = np.array([v.id in broken_ids for v in cache.versions])
        share = run.traffic[:, broken].sum(axis=1) / sizes
        out["broken_share"] = float(run.traffic[:, broken].sum() / run.traffic.sum())
        out["broken_share_by_chunk"] = share.tolist()
        releases = sorted({v.created_at for v in cache.versions if v.id in broken_ids})
        exits: list[int | None] = []
        for rel in releases:
            k0 = rel - cache.first_chunk
            below = np.flatnonzero(share[k0:] < 0.5)
            exits.append(int(below[0]) if below.size else None)
        out["exit_chunks"] = exits
    return out


def _aggregate_lists(per_seed: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Per position (drift point), mean and 95 % interval over seeds; ``None`` counted."""
    if key not in per_seed[0]:
        return []
    columns = list(zip(*(r[key] for r in per_seed), strict=True))
    out = []
    for values in columns:
        known = [float(v) for v in values if v is not None]
        m, lo, hi = mean_ci(known) if known else (math.nan, math.nan, math.nan)
        out.append({"mean": m, "ci95": [lo, hi], "missing": len(values) - len(known)})
    return out


def _aggregate_drift(per_seed: list[dict[str, Any]], points: Sequence[int]) -> dict[str, Any]:
    if "post_drift_regret" not in per_seed[0]:
        return {}
    recovery = _aggregate_lists(per_seed, "recovery_chunks")
    post = _aggregate_lists(per_seed, "post_drift_regret")
    totals = [sum(r["post_drift_regret"]) for r in per_seed]
    t_mean, t_lo, t_hi = mean_ci(totals)
    out: dict[str, Any] = {
        "recovery_chunks": [
            {"chunk": int(p), "mean": r["mean"], "ci95": r["ci95"], "not_recovered": r["missing"]}
            for p, r in zip(points, recovery, strict=True)
        ],
        "post_drift_regret": [
            {"chunk": int(p), "mean": r["mean"], "ci95": r["ci95"]}
            for p, r in zip(points, post, strict=True)
        ],
        "post_drift_regret_total": t_mean,
        "post_drift_regret_total_ci95": [t_lo, t_hi],
    }
    if "broken_share" in per_seed[0]:
        share, s_lo, s_hi = mean_ci([r["broken_share"] for r in per_seed])
        out["broken_share"] = share
        out["broken_share_ci95"] = [s_lo, s_hi]
        out["exit_chunks"] = [
            {"mean": e["mean"], "ci95": e["ci95"], "never": e["missing"]}
            for e in _aggregate_lists(per_seed, "exit_chunks")
        ]
    return out


def aggregate_runs(per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and 95 % interval over seeds of every per-seed figure (see the module docstring)."""

    def agg(key: str) -> tuple[float, float, float]:
        return mean_ci([float(r[key]) for r in per_seed])

    mean_reward, lo, hi = agg("mean_reward")
    regret, rlo, rhi = agg("regret")
    metrics: dict[str, float] = {}
    metrics_ci: dict[str, list[float]] = {}
    undefined: dict[str, str] = {}
    for name in METRIC_NAMES:
        values = [r["metrics"][name] for r in per_seed]
        m, mlo, mhi = mean_ci(values)
        metrics[name] = m
        metrics_ci[name] = [mlo, mhi]
        reasons = {r["undefined"][name] for r in per_seed if name in r["undefined"]}
        if reasons:
            undefined[name] = (
                f"undefined in {sum(name in r['undefined'] for r in per_seed)} of "
                f"{len(per_seed)} seeds: " + "; ".join(sorted(reasons))
            )
    return {
        "mean_reward": mean_reward,
        "ci95": [lo, hi],
        "realized_reward": agg("realized_reward")[0],
        "cumulative_reward": agg("cumulative_reward")[0],
        "regret": regret,
        "regret_ci95": [rlo, rhi],
        "switches": agg("switches")[0],
        "rollbacks": agg("rollbacks")[0],
        "served_rows": int(per_seed[0]["served_rows"]),
        "metrics": metrics,
        "metrics_ci95": metrics_ci,
        "undefined": undefined,
    }


def strategy_entry(
    cache: PredictionCache, spec: StrategySpec, per_seed: list[dict[str, Any]]
) -> dict[str, Any]:
    """One strategy's results entry from its per-seed summaries: the spec, the aggregate
    over seeds, the drift figures, the rollback events (each with its seed) and the runs."""
    points = [int(p) for p in cache.info.get("drift_points", [])]
    return {
        "policy": spec.policy,
        "params": spec.params,
        "guardrail": spec.guardrail,
        "shaping": spec.shaping,
        **aggregate_runs(per_seed),
        **_aggregate_drift(per_seed, points),
        "rollbacks_detail": [
            {"seed": r["seed"], **event} for r in per_seed for event in r["rollbacks_detail"]
        ],
        "per_seed": per_seed,
    }


def run_replays(
    cache: PredictionCache,
    specs: Sequence[StrategySpec],
    seeds: Sequence[int],
    *,
    label_delay: int = 0,
    progress: Progress | None = None,
    recovery_margin: float = 0.01,
    post_drift_window: int = 10,
) -> dict[str, dict[str, Any]]:
    """Replay every strategy for every seed; per strategy the aggregate and per-seed runs.

    ``rollbacks_detail`` (over seeds, each event with its seed) and, with drift, the
    recovery and post-drift figures are included (see the module docstring).
    """
    out: dict[str, dict[str, Any]] = {}
    total = len(specs) * len(seeds)
    done = 0
    for spec in specs:
        per_seed = []
        for seed in seeds:
            policy = spec.build(seed)
            run = replay(cache, policy, label_delay=label_delay)
            per_seed.append(
                _run_summary(
                    cache,
                    run,
                    seed,
                    policy=policy,
                    recovery_margin=recovery_margin,
                    post_drift_window=post_drift_window,
                )
            )
            done += 1
            if progress:
                progress("replay", done, total)
        out[spec.label] = strategy_entry(cache, spec, per_seed)
    return out


def simulate(config: SimulationConfig, *, progress: Progress | None = None) -> dict[str, Any]:
    """Run the main job; returns the results dict (see :func:`write_results`)."""
    started = time.perf_counter()
    cache, _ = prepare_cache(config, progress=progress)
    cache_seconds = time.perf_counter() - started
    seeds = list(range(config.seed, config.seed + config.seeds))
    strategies = run_replays(
        cache,
        config.strategy_specs(),
        seeds,
        label_delay=config.label_delay,
        progress=progress,
        recovery_margin=config.recovery_margin,
        post_drift_window=config.post_drift_window,
    )
    results = assemble_results(config.to_dict(), cache, strategies, seeds)
    results["timing"] = {
        "cache_seconds": cache_seconds,
        "replay_seconds": time.perf_counter() - started - cache_seconds,
    }
    return results


def assemble_results(
    config: dict[str, Any],
    cache: PredictionCache,
    strategies: dict[str, dict[str, Any]],
    seeds: Sequence[int],
) -> dict[str, Any]:
    """The results dict (format :data:`RESULTS_FORMAT`) of replays over one cache."""
    oracle = cache.oracle_chunk_rewards()
    sizes = cache.chunk_sizes()
    scored = cache.n_scored_rows
    live_rows = (cache.live * sizes[:, None]).sum(axis=0)
    return {
        "format": RESULTS_FORMAT,
        "banditops_version": __version__,
        "dataset": cache.info.get("dataset"),
        "rows": int(cache.bounds[-1]),
        "chunks": cache.n_chunks,
        "scored_chunks": cache.n_scored_chunks,
        "first_chunk": cache.first_chunk,
        "scored_rows": scored,
        "seeds": list(seeds),
        "config": config,
        "data": cache.info,
        "cache_digest": cache.digest(),
        "oracle": {
            "mean_reward": float(oracle.sum() / scored),
            "cumulative_reward": float(oracle.sum()),
            "chunks": {"reward": (oracle / sizes).tolist()},
        },
        "versions": [
            v.metadata() | {"live_rows": int(rows), "live_reward": float(total / rows)}
            for v, rows, total in zip(
                cache.versions, live_rows, np.nansum(cache.rewards, axis=1), strict=True
            )
        ],
        "baselines": (
            {
                "never_flag": reward_of_constant(cache, 0),
                "always_flag": reward_of_constant(cache, 1),
            }
            if "reward" in cache.info
            else {}
        ),
        "live": [
            [cache.versions[v].id for v in cache.live_versions(k)]
            for k in range(cache.n_scored_chunks)
        ],
        "events": cache.events,
        "drift": {
            "scenarios": cache.info.get("drift", []),
            "points": cache.info.get("drift_points", []),
            "broken_versions": cache.info.get("broken_versions", []),
            "recovery_margin": config.get("recovery_margin"),
            "post_drift_window": config.get("post_drift_window"),
        },
        "strategies": strategies,
    }


def reward_of_constant(cache: PredictionCache, decision: int) -> float:
    """Mean reward of always deciding ``decision`` on the scored rows (a baseline)."""
    by_outcome = cache.info["reward"]["table"]  # keyed by outcome: order is not kept in JSON
    table = np.array([by_outcome[k] for k in ("tn", "fp", "fn", "tp")])
    return float(table[cache.y.astype(np.intp) * 2 + decision].mean())


SUMMARY_FIELDS = (
    "strategy",
    "mean_reward",
    "ci95_low",
    "ci95_high",
    "regret",
    "regret_ci95_low",
    "regret_ci95_high",
    "switches",
    "rollbacks",
    "served_rows",
    *METRIC_NAMES,
)


def summary_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One flat row per strategy (the columns of ``summary.csv``), oracle last."""
    rows = []
    for name, s in results["strategies"].items():
        rows.append(
            {
                "strategy": name,
                "mean_reward": s["mean_reward"],
                "ci95_low": s["ci95"][0],
                "ci95_high": s["ci95"][1],
                "regret": s["regret"],
                "regret_ci95_low": s["regret_ci95"][0],
                "regret_ci95_high": s["regret_ci95"][1],
                "switches": s["switches"],
                "rollbacks": s["rollbacks"],
                "served_rows": s["served_rows"],
                **{m: s["metrics"][m] for m in METRIC_NAMES},
            }
        )
    nan = math.nan
    rows.append(
        {
            "strategy": "oracle",
            "mean_reward": results["oracle"]["mean_reward"],
            "ci95_low": nan,
            "ci95_high": nan,
            "regret": 0.0,
            "regret_ci95_low": nan,
            "regret_ci95_high": nan,
            "switches": nan,
            "rollbacks": nan,
            "served_rows": results["scored_rows"],
            **{m: nan for m in METRIC_NAMES},
        }
    )
    return rows


def summary_json(results: Mapping[str, Any]) -> dict[str, Any]:
    """The compact summary printed by ``banditops simulate --json``."""
    return _clean(
        {
            "dataset": results["dataset"],
            "rows": results["rows"],
            "chunks": results["chunks"],
            "scored_chunks": results["scored_chunks"],
            "seeds": results["seeds"],
            "strategies": {
                name: {
                    key: s[key]
                    for key in (
                        "mean_reward",
                        "ci95",
                        "regret",
                        "regret_ci95",
                        "switches",
                        "rollbacks",
                        "served_rows",
                        "metrics",
                        "undefined",
                        "recovery_chunks",
                        "post_drift_regret",
                        "post_drift_regret_total",
                        "post_drift_regret_total_ci95",
                        "broken_share",
                        "exit_chunks",
                    )
                    if key in s
                }
                for name, s in results["strategies"].items()
            },
            "oracle": {"mean_reward": results["oracle"]["mean_reward"]},
            **({"drift": results["drift"]} if results.get("drift", {}).get("points") else {}),
        }
    )


def dumps_results(results: Mapping[str, Any]) -> str:
    """Deterministic JSON text (sorted keys, NaN as null), without the timing block."""
    body = {k: v for k, v in results.items() if k != "timing"}
    return json.dumps(_clean(body), sort_keys=True, indent=1, allow_nan=False) + "\n"


def write_results(results: Mapping[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """Write ``results.json`` (byte-identical for the same config and seeds),
    ``summary.csv`` and ``timing.json`` (wall times and machine, not reproducible)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": out / "results.json",
        "summary": out / "summary.csv",
        "timing": out / "timing.json",
    }
    _atomic_write(paths["results"], dumps_results(results))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in summary_rows(results):
        writer.writerow(
            {k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        )
    _atomic_write(paths["summary"], buf.getvalue())
    timing = dict(results.get("timing", {}))
    timing["machine"] = {"python": platform.python_version(), "platform": platform.platform()}
    _atomic_write(paths["timing"], json.dumps(timing, indent=1, sort_keys=True) + "\n")
    return paths


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
