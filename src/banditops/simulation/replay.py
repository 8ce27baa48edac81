"""The replay engine: a policy serves a stream whose every prediction is cached.

Chunk semantics, stated once:

* every decision inside scored chunk ``t`` uses the policy state at the start of ``t``
  (one ``select(arms, n_rows)`` call per chunk; a policy may split the chunk's rows
  between arms);
* feedback for chunk ``t`` lands after ``label_delay`` chunks, i.e. before chunk
  ``t + 1 + label_delay`` is served; feedback still pending at the end is never seen;
* a policy only ever receives the rewards of the rows it served, one ``update`` per arm
  per chunk, rows in stream order, arms in version order.

Assumption (why the cache is valid): labels arrive whatever model served a request, so
the training schedule and every version's predictions do not depend on the policy.

Rewards and regret. ``realized`` is the reward of the rows actually served. ``expected``
is the reward of the chunk's *traffic allocation*: each arm's share of the chunk times
that arm's mean reward on the chunk, the expectation of the realized reward over which
rows went to which arm. Regret is measured on it against the per-chunk oracle (the best
live version in hindsight), so it is never negative and carries no row-assignment luck.

Examples
--------
>>> import numpy as np
>>> from banditops.policies.base import Arm, BasePolicy
>>> class First(BasePolicy):
...     name = "first"
...     def _probabilities(self, arms):
...         return np.eye(len(arms))[0]
>>> cache = toy_cache()
>>> run = replay(cache, First(seed=0))
>>> run.traffic.tolist()
[[4, 0], [4, 0]]
>>> float(run.expected.sum()), float(cache.oracle_chunk_rewards().sum())
(4.0, 7.0)
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from banditops.policies.base import Policy, check_int
from banditops.simulation.cache import PredictionCache

__all__ = ["RunResult", "child_seed", "replay", "toy_cache"]


def child_seed(seed: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of strategy ``name`` for replay seed ``seed``.

    Keyed by the strategy's name, so adding or reordering strategies never changes
    another's random stream.

    Examples
    --------
    >>> child_seed(0, "thompson").spawn_key == child_seed(1, "thompson").spawn_key
    True
    """
    return np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),))


@dataclass
class RunResult:
    """What one policy did on one replay (arrays over scored chunks).

    Attributes
    ----------
    traffic : ndarray of int, shape (n_scored_chunks, n_versions)
        Rows each version served per chunk.
    realized : ndarray of float
        Reward of the served rows per chunk.
    expected : ndarray of float
        Reward of the chunk's traffic allocation (see the module docstring).
    confusion : ndarray of int, shape (n_scored_chunks, 4)
        Served decisions per chunk as (tn, fp, fn, tp).
    feedback_rows : int
        Rows whose reward reached the policy before the end.
    """

    traffic: np.ndarray
    realized: np.ndarray
    expected: np.ndarray
    confusion: np.ndarray
    feedback_rows: int

    @property
    def main_arm(self) -> np.ndarray:
        """Per chunk, the version that served most rows (lowest index on ties)."""
        return np.argmax(self.traffic, axis=1)


def replay(
    cache: PredictionCache,
    policy: Policy,
    *,
    label_delay: int = 0,
    on_chunk: Callable[[int, np.ndarray], None] | None = None,
) -> RunResult:
    """Replay ``policy`` over ``cache``.

    Parameters
    ----------
    cache : PredictionCache
    policy : Policy
        A fresh policy (its state is changed).
    label_delay : int, default 0
        Chunks before a chunk's feedback lands.
    on_chunk : callable, optional
        ``on_chunk(k, versions_per_row)`` after each scored chunk is served.
    """
    label_delay = check_int("label_delay", label_delay, 0)
    n_chunks, n_versions = cache.live.shape
    arms_all = cache.arms()
    traffic = np.zeros((n_chunks, n_versions), dtype=np.int64)
    realized = np.zeros(n_chunks)
    expected = np.zeros(n_chunks)
    confusion = np.zeros((n_chunks, 4), dtype=np.int64)
    pending: dict[int, list[tuple[str, np.ndarray]]] = defaultdict(list)
    chunk_sums = cache.chunk_reward_sums()
    sizes = cache.chunk_sizes()
    feedback_rows = 0

    for k in range(n_chunks):
        for arm_id, rewards in pending.pop(k, ()):
            policy.update(arm_id, rewards)
            feedback_rows += rewards.size
        live = cache.live_versions(k)
        rows = cache.chunk_slice(k)
        n = rows.stop - rows.start
        picks = policy.select([arms_all[v] for v in live], n)
        versions = live[picks]
        counts = np.bincount(versions, minlength=n_versions)
        traffic[k] = counts
        cols = np.arange(rows.start, rows.stop)
        served_rewards = cache.rewards[versions, cols]
        served_preds = cache.predictions[versions, cols]
        realized[k] = served_rewards.sum()
        used = np.flatnonzero(counts)
        expected[k] = float(np.dot(counts[used], chunk_sums[k, used] / sizes[k]))
        confusion[k] = np.bincount(cache.y[rows].astype(np.intp) * 2 + served_preds, minlength=4)
        land = k + 1 + label_delay
        if land < n_chunks:
            if used.size == 1:
                pending[land].append((arms_all[used[0]].id, served_rewards))
            else:
                for v in used:
                    pending[land].append((arms_all[v].id, served_rewards[versions == v]))
        if on_chunk is not None:
            on_chunk(k, versions)
    return RunResult(traffic, realized, expected, confusion, feedback_rows)


def toy_cache() -> PredictionCache:
    """A two-version, two-chunk cache for examples and tests.

    Version ``a@0`` earns 1, 0, 1, 0 on each chunk; ``b@0`` earns 1, 1, 1, 0 then 1, 1, 1, 1.

    Examples
    --------
    >>> toy_cache().oracle_chunk_rewards().tolist()
    [3.0, 4.0]
    """
    from banditops.models.pool import ModelVersion

    y = np.array([1, 1, 0, 0, 1, 1, 0, 0], dtype=np.int8)
    pred_a = np.array([1, 0, 0, 1, 1, 0, 0, 1], dtype=np.int8)
    pred_b = np.array([1, 1, 0, 1, 1, 1, 0, 0], dtype=np.int8)
    predictions = np.stack([pred_a, pred_b])
    rewards = (predictions == y).astype(float)
    versions = [
        ModelVersion(fam, 0, (0, 1), 0.5, score, 10, 5, ["x"])
        for fam, score in (("a", 0.6), ("b", 0.7))
    ]
    return PredictionCache(
        bounds=np.array([0, 4, 8, 12]),
        first_chunk=1,
        y=y,
        versions=versions,
        live=np.ones((2, 2), dtype=bool),
        predictions=predictions,
        rewards=rewards,
        info={"dataset": "toy"},
    )
