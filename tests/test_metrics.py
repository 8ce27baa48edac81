"""Metrics: hand-worked values, undefined cases with reasons, intervals."""

import math

import numpy as np
import pytest
from scipy import stats

from banditops.metrics import (
    chunk_regret,
    classification_metrics,
    mean_ci,
    switches_and_rollbacks,
)


def test_classification_metrics_by_hand():
    m = classification_metrics(np.array([50, 10, 5, 35]))  # tn fp fn tp
    assert m.undefined == {}
    assert m.values["accuracy"] == pytest.approx(85 / 100)
    assert m.values["precision"] == pytest.approx(35 / 45)
    assert m.values["recall"] == pytest.approx(35 / 40)
    p, r = 35 / 45, 35 / 40
    assert m.values["f1"] == pytest.approx(2 * p * r / (p + r))
    assert m.values["balanced_accuracy"] == pytest.approx((35 / 40 + 50 / 60) / 2)


def test_never_flagging_leaves_precision_and_f1_undefined_not_zero():
    m = classification_metrics(np.array([90, 0, 10, 0]))
    assert math.isnan(m.values["precision"]) and math.isnan(m.values["f1"])
    assert m.values["recall"] == 0.0
    assert "no positive decisions" in m.undefined["precision"]
    assert m.values["balanced_accuracy"] == pytest.approx(0.5)


def test_single_class_rows():
    m = classification_metrics(np.array([80, 20, 0, 0]))  # no positive labels
    assert math.isnan(m.values["recall"]) and math.isnan(m.values["balanced_accuracy"])
    assert "single class" in m.undefined["balanced_accuracy"]
    assert m.values["accuracy"] == pytest.approx(0.8)
    m = classification_metrics(np.array([0, 0, 0, 0]))
    assert set(m.undefined) >= {"accuracy", "precision", "recall", "f1"}


def test_f1_undefined_when_precision_and_recall_are_zero():
    m = classification_metrics(np.array([0, 5, 5, 0]))
    assert m.values["precision"] == 0 and m.values["recall"] == 0
    assert math.isnan(m.values["f1"]) and "both 0" in m.undefined["f1"]


def test_mean_ci_matches_scipy():
    values = [0.81, 0.84, 0.79, 0.86, 0.83]
    mean, lo, hi = mean_ci(values)
    ref = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    assert mean == pytest.approx(np.mean(values))
    assert (lo, hi) == pytest.approx(ref)


def test_mean_ci_edge_cases():
    assert mean_ci([0.5, 0.5, 0.5]) == (0.5, 0.5, 0.5)
    mean, lo, hi = mean_ci([0.7])
    assert mean == 0.7 and math.isnan(lo) and math.isnan(hi)
    assert all(math.isnan(x) for x in mean_ci([]))
    assert mean_ci([1.0, float("nan"), 0.0])[0] == 0.5


def test_switches_and_rollbacks():
    created = np.array([0, 5, 5, 10])
    # 0 -> 1 (newer), 1 -> 2 (same release), 2 -> 0 (older: rollback), 0 -> 3 (newer)
    assert switches_and_rollbacks(np.array([0, 1, 1, 2, 0, 0, 3]), created) == (4, 1)
    assert switches_and_rollbacks(np.array([2]), created) == (0, 0)


def test_chunk_regret_never_negative_and_zero_on_the_oracle():
    rng = np.random.default_rng(1)
    sums = rng.uniform(0, 10, size=(20, 4))
    sums[rng.random((20, 4)) < 0.3] = np.nan
    sums[:, 0] = np.where(np.isnan(sums[:, 0]), 5.0, sums[:, 0])  # one live arm at least
    live = ~np.isnan(sums)
    traffic = np.where(live, rng.integers(0, 5, size=(20, 4)), 0)
    sizes = traffic.sum(axis=1) + 1
    traffic[:, 0] += 1
    regret = chunk_regret(traffic, sums * sizes[:, None] / 10, sizes)
    assert (regret >= 0).all()
    best = np.nanargmax(sums, axis=1)
    oracle_traffic = np.zeros_like(traffic)
    oracle_traffic[np.arange(20), best] = sizes
    assert chunk_regret(oracle_traffic, sums, sizes) == pytest.approx(np.zeros(20))
