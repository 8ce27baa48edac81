"""Replay engine: chunk semantics, bandit feedback, label delay, regret, determinism."""

import json

import numpy as np
import pandas as pd
import pytest

from banditops.models.pool import PoolConfig
from banditops.policies import make_policy
from banditops.policies.base import BasePolicy
from banditops.rewards import make_reward
from banditops.simulation.cache import build_prediction_cache
from banditops.simulation.replay import child_seed, replay, toy_cache
from banditops.simulation.simulate import StrategySpec, run_replays


class Spy(BasePolicy):
    """Uniform random per row; records every select and update it sees."""

    name = "spy"
    stochastic = True

    def __init__(self, *, seed=None):
        super().__init__(seed=seed)
        self.log = []

    def _probabilities(self, arms):
        return np.full(len(arms), 1.0 / len(arms))

    def select(self, arms, n):
        picks = super().select(arms, n)
        self.log.append(("select", [a.id for a in arms], picks.copy()))
        return picks

    def update(self, arm_id, rewards):
        self.log.append(("update", arm_id, np.asarray(rewards).copy()))
        super().update(arm_id, rewards)


@pytest.fixture(scope="module")
def cache():
    rng = np.random.default_rng(0)
    n = 2400
    X = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b"], size=n)})
    drift = np.where(np.arange(n) > 1400, -1.0, 1.0)  # the relation flips late
    y = (drift * X["x"] + rng.normal(scale=0.7, size=n) > 0).astype(np.int8).to_numpy()
    pool = PoolConfig(
        families=("logreg", "naive-bayes"),
        warmup_chunks=2,
        retrain_every=3,
        train_window=4,
        max_arms=4,
    )
    return build_prediction_cache(
        X, y, np.arange(0, n + 1, 200), reward=make_reward("accuracy"), pool=pool
    )


@pytest.mark.parametrize("delay", [0, 1, 3])
def test_policy_receives_exactly_the_rewards_of_the_rows_it_served(cache, delay):
    spy = Spy(seed=1)
    run = replay(cache, spy, label_delay=delay)
    selects = [e for e in spy.log if e[0] == "select"]
    assert len(selects) == cache.n_scored_chunks
    expected_updates = []
    for k, (_, ids, picks) in enumerate(selects):
        live = cache.live_versions(k)
        assert ids == [cache.versions[v].id for v in live]  # only live arms offered
        rows = cache.chunk_slice(k)
        versions = live[picks]
        assert run.traffic[k].sum() == rows.stop - rows.start
        for v in np.unique(versions):
            served = cache.rewards[v, rows][versions == v]
            expected_updates.append((k + 1 + delay, cache.versions[v].id, served))
    # feedback of chunk k lands before chunk k + 1 + delay, never earlier
    position = {id(e): i for i, e in enumerate(spy.log)}
    select_index = [position[id(e)] for e in selects]
    updates = [e for e in spy.log if e[0] == "update"]
    landed = [u for u in expected_updates if u[0] < cache.n_scored_chunks]
    assert len(updates) == len(landed)
    for (land, arm, rewards), event in zip(landed, updates, strict=True):
        assert event[1] == arm
        np.testing.assert_array_equal(event[2], rewards)
        i = position[id(event)]
        assert select_index[land - 1] < i < select_index[land]
    assert run.feedback_rows == sum(u[2].size for u in landed)


def test_regret_never_negative_and_oracle_dominates(cache):
    specs = [
        StrategySpec(name, name)
        for name in ("naive", "validation", "ab-test", "epsilon-greedy", "ucb", "thompson")
    ]
    out = run_replays(cache, specs, [0, 1, 2])
    oracle = cache.oracle_chunk_rewards().sum() / cache.n_scored_rows
    for name, result in out.items():
        for run in result["per_seed"]:
            assert run["regret"] >= 0, name
            assert min(run["chunks"]["regret"]) >= 0, name
            assert run["mean_reward"] <= oracle + 1e-12, name
            assert run["served_rows"] == cache.n_scored_rows, name
            # regret is exactly the gap to the oracle, in rows
            gap = (oracle - run["mean_reward"]) * cache.n_scored_rows
            assert run["regret"] == pytest.approx(gap, abs=1e-6)


def test_bandits_move_off_a_broken_release_that_naive_keeps_serving():
    rng = np.random.default_rng(0)
    n = 2400
    X = pd.DataFrame({"x": rng.normal(size=n)})
    y = (X["x"] + rng.normal(scale=0.5, size=n) > 0).astype(np.int8).to_numpy()

    def skew(version, X_rows, chunks):  # the release at chunk 5 gets its input negated
        return X_rows.assign(x=-X_rows["x"]) if version.created_at == 5 else X_rows

    pool = PoolConfig(
        families=("logreg",), warmup_chunks=2, retrain_every=3, train_window=4, max_arms=3
    )
    broken = build_prediction_cache(
        X, y, np.arange(0, n + 1, 200), reward=make_reward("accuracy"), pool=pool, serving_hook=skew
    )
    specs = [StrategySpec(s, s) for s in ("naive", "thompson", "epsilon-greedy", "ucb")]
    out = run_replays(broken, specs, [0, 1, 2])
    assert out["naive"]["per_seed"][0]["chunks"]["main_arm"][3:6] == ["logreg@5"] * 3
    for name in ("thompson", "epsilon-greedy", "ucb"):
        assert out[name]["regret"] < out["naive"]["regret"] / 2, name


def test_same_seed_same_run_and_seeds_are_keyed_by_name(cache):
    def run(seed, label):
        policy = make_policy("epsilon-greedy", seed=child_seed(seed, label))
        return replay(cache, policy).traffic

    np.testing.assert_array_equal(run(3, "epsilon-greedy"), run(3, "epsilon-greedy"))
    assert not np.array_equal(run(3, "epsilon-greedy"), run(4, "epsilon-greedy"))
    a = run_replays(cache, [StrategySpec("thompson", "thompson")], [5])
    b = run_replays(cache, [StrategySpec("ucb", "ucb"), StrategySpec("thompson", "thompson")], [5])
    assert json.dumps(a["thompson"], sort_keys=True) == json.dumps(b["thompson"], sort_keys=True)


def test_toy_cache_by_hand():
    cache = toy_cache()
    spy = Spy(seed=0)
    run = replay(cache, spy)
    # chunk sums: a = 2, 2; b = 3, 4; the expected reward weighs them by traffic
    for k, expected in enumerate(run.expected):
        share = run.traffic[k] / 4
        assert expected == pytest.approx(share[0] * 2 + share[1] * [3, 4][k])
    assert run.confusion.sum() == 8
