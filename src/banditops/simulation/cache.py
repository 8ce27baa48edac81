"""The prediction cache: every version's decisions and rewards on every chunk, once.

Labels arrive whatever model served a request (no performative effects), so the
retraining schedule, hence the set of live versions and every version's predictions on
every chunk, does not depend on the deployment policy. The cache computes them once per
(dataset, drift scenario, stream seed, pool configuration); replaying a policy is then
bookkeeping over it (:mod:`banditops.simulation.replay`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from banditops.models.pool import PoolConfig
>>> from banditops.rewards import make_reward
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"x": rng.normal(size=1200)})
>>> y = (X["x"] + rng.normal(scale=0.5, size=1200) > 0).astype(np.int8).to_numpy()
>>> cache = build_prediction_cache(
...     X, y, np.arange(0, 1201, 200), reward=make_reward("accuracy"),
...     pool=PoolConfig(families=("logreg", "naive-bayes"), warmup_chunks=2, retrain_every=2,
...                     train_window=2, max_arms=3))
>>> cache.n_chunks, cache.first_chunk, [v.id for v in cache.versions]
(6, 2, ['logreg@2', 'naive-bayes@2', 'logreg@4', 'naive-bayes@4'])
>>> cache.live.astype(int).tolist()  # chunks 2..5 x versions
[[1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 1, 1], [0, 1, 1, 1]]
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from banditops.errors import ConfigError, DataError, ResultsError
from banditops.models.pool import (
    ModelVersion,
    PoolConfig,
    release_chunks,
    retire_over_cap,
    train_version,
)
from banditops.policies.base import Arm, check_int
from banditops.rewards import Reward

__all__ = ["CACHE_FORMAT", "PredictionCache", "ServingHook", "build_prediction_cache"]

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1

#: ``hook(version, X_rows, chunk_of_row) -> X_rows``: what the version actually receives
#: when it serves those rows (used by drift scenarios such as training-serving skew).
ServingHook = Callable[[ModelVersion, pd.DataFrame, np.ndarray], pd.DataFrame]


@dataclass
class PredictionCache:
    """Every live version's decisions and rewards on every scored chunk.

    Attributes
    ----------
    bounds : ndarray of int, shape (n_chunks + 1,)
        Row boundaries of the chunks in stream order.
    first_chunk : int
        First scored chunk (the warm-up chunks before it are not scored).
    y : ndarray of int8
        Labels of the scored rows (``bounds[first_chunk]`` onwards).
    versions : list of ModelVersion
        Every version created, in creation order (pipelines detached unless kept).
    live : ndarray of bool, shape (n_scored_chunks, n_versions)
        Whether a version is live (an arm) during a scored chunk.
    predictions : ndarray of int8, shape (n_versions, n_scored_rows)
        Decisions, -1 where the version is not live.
    rewards : ndarray of float, shape (n_versions, n_scored_rows)
        Per-row rewards, NaN where the version is not live.
    events : list of dict
        Releases, retirements and skipped trainings, in order, with reasons.
    info : dict
        Free-form provenance (dataset, reward, pool and drift configuration).
    """

    bounds: np.ndarray
    first_chunk: int
    y: np.ndarray
    versions: list[ModelVersion]
    live: np.ndarray
    predictions: np.ndarray
    rewards: np.ndarray
    events: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    # -- shape ------------------------------------------------------------------------
    @property
    def n_chunks(self) -> int:
        """Number of chunks in the stream (warm-up included)."""
        return len(self.bounds) - 1

    @property
    def n_scored_chunks(self) -> int:
        """Number of scored chunks."""
        return self.n_chunks - self.first_chunk

    @property
    def n_scored_rows(self) -> int:
        """Number of scored rows."""
        return int(self.bounds[-1] - self.bounds[self.first_chunk])

    def chunk_slice(self, k: int) -> slice:
        """Positions (into the scored rows) of the ``k``-th scored chunk."""
        offset = self.bounds[self.first_chunk]
        t = self.first_chunk + k
        return slice(int(self.bounds[t] - offset), int(self.bounds[t + 1] - offset))

    def live_versions(self, k: int) -> np.ndarray:
        """Indices of the versions live in the ``k``-th scored chunk, oldest first."""
        return np.flatnonzero(self.live[k])

    def arms(self) -> list[Arm]:
        """The policy's view of every version, aligned with :attr:`versions`."""
        return [v.arm() for v in self.versions]

    def chunk_reward_sums(self) -> np.ndarray:
        """Sum of each version's rewards per scored chunk, NaN where not live."""
        starts = np.array([self.chunk_slice(k).start for k in range(self.n_scored_chunks)])
        sums = np.add.reduceat(np.nan_to_num(self.rewards, nan=0.0), starts, axis=1).T
        return np.where(self.live, sums, np.nan)

    def chunk_sizes(self) -> np.ndarray:
        """Rows per scored chunk."""
        return np.diff(self.bounds[self.first_chunk :])

    def oracle_chunk_rewards(self) -> np.ndarray:
        """Per scored chunk, the reward sum of the best live version in hindsight."""
        return np.nanmax(self.chunk_reward_sums(), axis=1)

    # -- persistence ------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the cache to ``path`` (a ``.npz`` file; pipelines are not saved)."""
        path = Path(path)
        meta = {
            "format": CACHE_FORMAT,
            "first_chunk": self.first_chunk,
            "versions": [
                v.metadata() | {"feature_columns": v.feature_columns} for v in self.versions
            ],
            "events": self.events,
            "info": self.info,
        }
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                bounds=self.bounds,
                y=self.y,
                live=self.live,
                predictions=self.predictions,
                rewards=self.rewards,
                meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8),
            )
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> PredictionCache:
        """Read a cache written by :meth:`save`."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                if meta.get("format") != CACHE_FORMAT:
                    raise ResultsError(
                        f"{path}: prediction cache format {meta.get('format')!r}, "
                        f"this banditops reads format {CACHE_FORMAT}"
                    )
                versions = [
                    ModelVersion(
                        family=m["family"],
                        created_at=m["created_at"],
                        train_window=tuple(m["train_window"]),
                        threshold=m["threshold"],
                        validation_score=m["validation_score"],
                        n_train=m["n_train"],
                        n_validation=m["n_validation"],
                        feature_columns=m["feature_columns"],
                    )
                    for m in meta["versions"]
                ]
                return cls(
                    bounds=data["bounds"],
                    first_chunk=meta["first_chunk"],
                    y=data["y"],
                    versions=versions,
                    live=data["live"],
                    predictions=data["predictions"],
                    rewards=data["rewards"],
                    events=meta["events"],
                    info=meta["info"],
                )
        except (OSError, ValueError, KeyError) as exc:
            if isinstance(exc, ResultsError):
                raise
            raise ResultsError(f"{path}: not a readable prediction cache ({exc})") from None

    def digest(self) -> str:
        """sha256 of the cache's arrays and metadata (identity of its content)."""
        h = hashlib.sha256()
        for arr in (self.bounds, self.y, self.live, self.predictions, self.rewards):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(json.dumps([v.metadata() for v in self.versions], sort_keys=True).encode())
        return h.hexdigest()


def build_prediction_cache(
    X: pd.DataFrame,
    y: np.ndarray,
    bounds: Sequence[int] | np.ndarray,
    *,
    reward: Reward,
    pool: PoolConfig | None = None,
    label_delay: int = 0,
    serving_hook: ServingHook | None = None,
    keep_models: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    info: dict[str, Any] | None = None,
) -> PredictionCache:
    """Train every release and let every live version predict its chunks once.

    Parameters
    ----------
    X, y : DataFrame and array
        The stream in order (features; 0/1 labels).
    bounds : array of int
        Chunk boundaries (``bounds[0] == 0``, ``bounds[-1] == len(y)``).
    reward : Reward
        Turns decisions into rewards (and tunes thresholds when asymmetric).
    pool : PoolConfig
        Families and retraining schedule.
    label_delay : int
        Chunks before labels land (decides which chunks a release can train on).
    serving_hook : callable, optional
        Transforms what a version receives when it serves (skew scenarios).
    keep_models : bool
        Keep the fitted pipelines on the versions (for export); off by default to save
        memory.
    progress : callable, optional
        ``progress(phase, done, total)`` callback.

    A release whose training window lacks one class cannot train: it is skipped, the
    live versions stay, and an event says why.
    """
    pool = pool or PoolConfig()
    label_delay = check_int("label_delay", label_delay, 0)
    bounds = np.asarray(bounds, dtype=np.int64)
    y = np.asarray(y).astype(np.int8)
    if len(X) != len(y):
        raise DataError(f"X has {len(X)} rows but y has {len(y)}")
    if bounds[0] != 0 or bounds[-1] != len(y) or np.any(np.diff(bounds) <= 0):
        raise ConfigError("chunk bounds must rise strictly from 0 to the number of rows")
    n_chunks = len(bounds) - 1
    releases = release_chunks(pool, n_chunks, label_delay)
    first = pool.warmup_chunks
    n_scored = n_chunks - first

    versions: list[ModelVersion] = []
    live_sets: list[list[int]] = []
    events: list[dict[str, Any]] = []
    current: list[int] = []
    next_release = 0
    total_fits = len(releases) * len(pool.families)
    fits = 0
    for t in range(first, n_chunks):
        if next_release < len(releases) and releases[next_release].chunk == t:
            rel = releases[next_release]
            next_release += 1
            rows = slice(int(bounds[rel.window[0]]), int(bounds[rel.window[1]]))
            X_win, y_win = X.iloc[rows], y[rows]
            new: list[int] = []
            for fam in pool.families:
                try:
                    version = train_version(
                        fam,
                        X_win,
                        y_win,
                        reward=reward,
                        created_at=t,
                        train_window=rel.window,
                        validation_fraction=pool.validation_fraction,
                        seed=pool.seed,
                    )
                except DataError as exc:
                    events.append(
                        {"chunk": t, "event": "skipped", "family": fam, "reason": str(exc)}
                    )
                    logger.warning("release at chunk %d: %s skipped: %s", t, fam, exc)
                    fits += 1
                    continue
                versions.append(version)
                new.append(len(versions) - 1)
                events.append(
                    {
                        "chunk": t,
                        "event": "released",
                        "version": version.id,
                        "validation_score": version.validation_score,
                        "threshold": version.threshold,
                    }
                )
                fits += 1
                if progress:
                    progress("train", fits, total_fits)
            if new:
                candidates = current + new
                kept = retire_over_cap([versions[i] for i in candidates], pool.max_arms)
                kept_ids = {id(v) for v in kept}
                for i in candidates:
                    if id(versions[i]) not in kept_ids and i in current:
                        events.append(
                            {
                                "chunk": t,
                                "event": "retired",
                                "version": versions[i].id,
                                "reason": "max_arms",
                            }
                        )
                current = [i for i in candidates if id(versions[i]) in kept_ids]
        if not current:
            raise DataError(
                f"no model version could be trained for chunk {t}: "
                + "; ".join(e["reason"] for e in events if e["event"] == "skipped")
            )
        live_sets.append(list(current))

    live = np.zeros((n_scored, len(versions)), dtype=bool)
    for k, members in enumerate(live_sets):
        live[k, members] = True

    offset = int(bounds[first])
    n_rows = int(bounds[-1]) - offset
    chunk_of_row = np.repeat(np.arange(first, n_chunks), np.diff(bounds[first:]))
    predictions = np.full((len(versions), n_rows), -1, dtype=np.int8)
    rewards = np.full((len(versions), n_rows), np.nan)
    y_scored = y[offset:]
    for v, version in enumerate(versions):
        chunks = np.flatnonzero(live[:, v])
        # a version is live over one contiguous run of chunks
        lo = int(bounds[first + chunks[0]]) - offset
        hi = int(bounds[first + chunks[-1] + 1]) - offset
        X_rows = X.iloc[offset + lo : offset + hi]
        if serving_hook is not None:
            X_rows = serving_hook(version, X_rows, chunk_of_row[lo:hi])
        pred = version.predict(X_rows)
        predictions[v, lo:hi] = pred
        rewards[v, lo:hi] = reward(y_scored[lo:hi], pred)
        if not keep_models:
            version.pipeline = None
        if progress:
            progress("predict", v + 1, len(versions))

    return PredictionCache(
        bounds=bounds,
        first_chunk=first,
        y=y_scored,
        versions=versions,
        live=live,
        predictions=predictions,
        rewards=rewards,
        events=events,
        info=dict(info or {}),
    )
