"""Metrics of a replay: reward, regret, served-prediction quality, switches, rollbacks.

Definitions (per strategy and seed):

``mean_reward``
    Reward of the traffic allocation per scored row (see :mod:`banditops.simulation.replay`).
``realized_reward``
    Reward of the rows actually served, per row.
``regret``
    Cumulative regret against the per-chunk oracle (the best live version of each chunk in
    hindsight): ``sum_k sum_a rows_a,k * (oracle_k - mean_a,k)``, never negative.
``accuracy, precision, recall, f1, balanced_accuracy``
    Quality of the served decisions, pooled over all scored rows. An undefined value (no
    positive decision for precision, no positive label for recall, ...) is NaN, and its
    reason is in ``undefined``; never a silent 0 or 1.
``switches``
    Chunks whose main version (the one serving most rows) differs from the previous chunk's.
``rollbacks``
    Switches to a version created before the previous chunk's main version
    (:func:`rollback_details` lists them with chunk, version and reason).
``recovery_chunks``
    After a drift point ``d`` (a chunk index), the number of chunks until the served
    reward per row is back within ``margin`` of the oracle's (the best live version of the
    chunk in hindsight): 0 when chunk ``d`` itself is within the margin, ``None`` when no
    chunk before the next drift point (or the end) is (:func:`recovery_chunks`).
``post_drift_regret``
    Regret summed over the ``window`` chunks from a drift point on
    (:func:`post_drift_regret`).

Aggregation over seeds: the mean and a 95 % Student-t interval; with a single seed the
interval is undefined (NaN).

Examples
--------
>>> import numpy as np
>>> m = classification_metrics(np.array([50, 10, 5, 35]))  # tn, fp, fn, tp
>>> round(m.values["precision"], 4), round(m.values["recall"], 4)
(0.7778, 0.875)
>>> classification_metrics(np.array([90, 0, 10, 0])).undefined
{'precision': 'no positive decisions were served', 'f1': 'precision is undefined'}
>>> mean_ci([0.5, 0.7, 0.6])
(0.6, 0.35159, 0.84841)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

__all__ = [
    "ClassificationMetrics",
    "chunk_regret",
    "classification_metrics",
    "mean_ci",
    "post_drift_regret",
    "recovery_chunks",
    "rollback_details",
    "switches_and_rollbacks",
]


@dataclass
class ClassificationMetrics:
    """Pooled quality of served decisions: values (NaN when undefined) and reasons."""

    values: dict[str, float]
    undefined: dict[str, str] = field(default_factory=dict)


def classification_metrics(confusion: np.ndarray) -> ClassificationMetrics:
    """Accuracy, precision, recall, F1 and balanced accuracy from ``(tn, fp, fn, tp)``."""
    tn, fp, fn, tp = (int(x) for x in np.asarray(confusion).reshape(4))
    undefined: dict[str, str] = {}
    total = tn + fp + fn + tp
    nan = math.nan

    def ratio(num: int, den: int, key: str, reason: str) -> float:
        if den == 0:
            undefined[key] = reason
            return nan
        return num / den

    accuracy = ratio(tp + tn, total, "accuracy", "no rows were served")
    precision = ratio(tp, tp + fp, "precision", "no positive decisions were served")
    recall = ratio(tp, tp + fn, "recall", "no positive labels among the served rows")
    specificity = ratio(tn, tn + fp, "specificity", "no negative labels among the served rows")
    if math.isnan(precision) or math.isnan(recall):
        f1 = nan
        undefined["f1"] = (
            "precision is undefined" if math.isnan(precision) else "recall is undefined"
        )
    elif precision + recall == 0:
        f1 = nan
        undefined["f1"] = "precision and recall are both 0"
    else:
        f1 = 2 * precision * recall / (precision + recall)
    if math.isnan(recall) or math.isnan(specificity):
        balanced = nan
        undefined["balanced_accuracy"] = "served rows hold a single class"
    else:
        balanced = (recall + specificity) / 2
    undefined.pop("specificity", None)
    return ClassificationMetrics(
        {
            "accuracy": accuracy,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "balanced_accuracy": balanced,
        },
        undefined,
    )


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of ``values`` (NaN values are dropped).

    With fewer than two values the interval is (NaN, NaN); with zero spread it is the
    mean itself.
    """
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if arr.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(arr.mean())
    if arr.size < 2:
        return mean, math.nan, math.nan
    sem = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    half = float(stats.t.ppf(0.5 + level / 2, arr.size - 1)) * sem
    return mean, mean - half, mean + half


def switches_and_rollbacks(main_arm: np.ndarray, created_at: np.ndarray) -> tuple[int, int]:
    """Count switches of the main version, and the switches to an older version.

    Examples
    --------
    >>> switches_and_rollbacks(np.array([0, 0, 1, 0, 2]), np.array([0, 5, 10]))
    (3, 1)
    """
    main_arm = np.asarray(main_arm)
    if main_arm.size < 2:
        return 0, 0
    prev, cur = main_arm[:-1], main_arm[1:]
    switched = prev != cur
    created = np.asarray(created_at)
    rolled = switched & (created[cur] < created[prev])
    return int(switched.sum()), int(rolled.sum())


def chunk_regret(traffic: np.ndarray, chunk_sums: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Per-chunk regret of a traffic allocation against the best live version.

    ``traffic[k, a]`` rows served by version ``a`` in chunk ``k``; ``chunk_sums[k, a]`` its
    reward sum there (NaN where not live); ``sizes[k]`` rows of chunk ``k``. Each served
    row adds the gap between the oracle's and its version's mean reward on the chunk, so
    the result is never negative.

    Examples
    --------
    >>> sums = np.array([[3.0, 4.0], [2.0, np.nan]])
    >>> chunk_regret(np.array([[2, 2], [4, 0]]), sums, np.array([4, 4])).tolist()
    [0.5, 0.0]
    """
    means = chunk_sums / np.asarray(sizes, dtype=float)[:, None]
    oracle = np.nanmax(means, axis=1, keepdims=True)
    gaps = np.where(traffic > 0, oracle - np.nan_to_num(means, nan=0.0), 0.0)
    return np.maximum((traffic * gaps).sum(axis=1), 0.0)


def rollback_details(
    main_arm: np.ndarray, created_at: np.ndarray, ids: Sequence[str], first_chunk: int = 0
) -> list[dict[str, object]]:
    """Each rollback (a switch of the main version to an older one) as a dict.

    Examples
    --------
    >>> (event,) = rollback_details(
    ...     np.array([0, 1, 0]), np.array([0, 5]), ["v@0", "v@5"], first_chunk=3)
    >>> event["chunk"], event["version"], event["from"]
    (5, 'v@0', 'v@5')
    """
    main_arm = np.asarray(main_arm)
    created = np.asarray(created_at)
    out: list[dict[str, object]] = []
    for k in range(1, main_arm.size):
        prev, cur = int(main_arm[k - 1]), int(main_arm[k])
        if prev != cur and created[cur] < created[prev]:
            out.append(
                {
                    "chunk": first_chunk + k,
                    "version": ids[cur],
                    "from": ids[prev],
                    "kind": "rollback",
                    "reason": (
                        f"main version switched from {ids[prev]} (created at chunk "
                        f"{int(created[prev])}) to the older {ids[cur]} (created at chunk "
                        f"{int(created[cur])})"
                    ),
                }
            )
    return out


def recovery_chunks(
    served: np.ndarray,
    oracle: np.ndarray,
    points: Sequence[int],
    *,
    first_chunk: int = 0,
    margin: float = 0.01,
) -> list[int | None]:
    """Chunks from each drift point until the served reward is within ``margin`` of the oracle.

    ``served`` and ``oracle`` are per-row rewards per scored chunk (scored chunk ``k`` is
    stream chunk ``first_chunk + k``); ``points`` are stream chunk indices. The search for
    a point stops at the next point (or the end); ``None`` means not recovered by then.
    Points before the first scored chunk count from the first scored chunk.

    Examples
    --------
    >>> served = np.array([0.9, 0.5, 0.6, 0.89, 0.9, 0.4])
    >>> oracle = np.full(6, 0.9)
    >>> recovery_chunks(served, oracle, [1, 5], first_chunk=0, margin=0.02)
    [2, None]
    """
    gap = np.asarray(oracle, dtype=float) - np.asarray(served, dtype=float)
    n = gap.size
    ends = [*points[1:], first_chunk + n]
    out: list[int | None] = []
    for point, end in zip(points, ends, strict=True):
        lo = max(point - first_chunk, 0)
        hi = min(max(end - first_chunk, lo), n)
        within = np.flatnonzero(gap[lo:hi] <= margin)
        out.append(int(within[0]) if within.size else None)
    return out


def post_drift_regret(
    regret: np.ndarray, points: Sequence[int], *, first_chunk: int = 0, window: int = 10
) -> list[float]:
    """Regret summed over ``window`` chunks from each drift point (clipped to the stream).

    Examples
    --------
    >>> post_drift_regret(np.array([0.0, 5.0, 1.0, 0.0, 2.0]), [1, 4], window=2)
    [6.0, 2.0]
    """
    regret = np.asarray(regret, dtype=float)
    out = []
    for point in points:
        lo = max(point - first_chunk, 0)
        out.append(float(regret[lo : lo + window].sum()))
    return out
