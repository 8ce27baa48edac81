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
    Switches to a version created before the previous chunk's main version.

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
