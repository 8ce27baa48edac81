"""Benchmark: the banditops replay engine against per-decision loops over the same cache.

One prediction cache (real data: adult, accuracy reward, so every reward is 0 or 1 and
every library's Thompson sampling applies), then, for epsilon-greedy, UCB1 and Thompson
sampling:

* ``banditops engine``: :func:`banditops.simulation.replay.replay`, one ``select`` per
  chunk, the chunk's rows served vectorised, feedback once per chunk;
* ``banditops per-row``: the same policy objects driven one row at a time
  (``select(arms, 1)`` then ``update`` with that row's reward): the engine's speed-up over
  the obvious loop, with the same code;
* ``MABWiser`` and ``River``: their implementations of the same policies, one
  ``predict`` / ``pull`` and one ``partial_fit`` / ``update`` per row, arms added and
  removed as versions are released and retired.

The per-row loops learn after every row, the engine after every chunk (its documented
semantics), so the mean rewards differ a little; they are printed as a sanity check, the
speeds are the point. Per-row loops run on the first ``--rows`` scored rows (rows/s is
what is compared); the engine runs the whole stream, best of three.

Run (about a minute; the cache is built once, or loaded with ``--cache``)::

    BANDITOPS_DATA_DIR=../shared/data python benchmarks/bench_replay.py
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from banditops.models.pool import PoolConfig
from banditops.policies import make_policy
from banditops.simulation.cache import PredictionCache
from banditops.simulation.replay import replay
from banditops.simulation.simulate import SimulationConfig, prepare_cache

POLICIES = ("epsilon-greedy", "ucb", "thompson")


def build_cache(args: argparse.Namespace) -> PredictionCache:
    if args.cache and Path(args.cache).is_file():
        return PredictionCache.load(args.cache)
    config = SimulationConfig(
        dataset=args.dataset,
        strategies=["naive"],
        seeds=1,
        chunk_size=args.chunk_size,
        reward="accuracy",
        pool=PoolConfig(families=tuple(args.families.split(","))),
    )
    cache, _ = prepare_cache(config)
    if args.cache:
        cache.save(args.cache)
    return cache


def banditops_policy(name: str, seed: int) -> Any:
    params = {"epsilon-greedy": {"epsilon": 0.1}, "ucb": {"c": 1.0}, "thompson": {}}[name]
    return make_policy(name, seed=seed, **params)


def run_engine(cache: PredictionCache, name: str, seed: int) -> tuple[float, float, int]:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        run = replay(cache, banditops_policy(name, seed))
        best = min(best, time.perf_counter() - started)
    rows = int(run.traffic.sum())
    return best, float(run.realized.sum() / rows), rows


class _Loop:
    """A per-row loop over the first ``rows`` scored rows of ``cache``."""

    def __init__(self, cache: PredictionCache, rows: int) -> None:
        self.cache = cache
        self.rows = min(rows, cache.n_scored_rows)
        self.ids = [v.id for v in cache.versions]

    def chunks(self) -> Any:
        """(live version indices, positions of the chunk's rows) until ``rows`` are done."""
        for k in range(self.cache.n_scored_chunks):
            span = self.cache.chunk_slice(k)
            stop = min(span.stop, self.rows)
            if span.start >= stop:
                return
            yield self.cache.live_versions(k), range(span.start, stop)

    def time(self, body: Callable[[], float]) -> tuple[float, float, int]:
        started = time.perf_counter()
        total = body()
        return time.perf_counter() - started, total / self.rows, self.rows


def run_banditops_per_row(loop: _Loop, name: str, seed: int) -> tuple[float, float, int]:
    arms_all = loop.cache.arms()
    rewards = loop.cache.rewards

    def body() -> float:
        policy = banditops_policy(name, seed)
        total = 0.0
        for live, positions in loop.chunks():
            arms = [arms_all[v] for v in live]
            for t in positions:
                v = live[int(policy.select(arms, 1)[0])]
                r = rewards[v, t]
                policy.update(arms_all[v].id, np.array([r]))
                total += r
        return total

    return loop.time(body)


def run_mabwiser(loop: _Loop, name: str, seed: int) -> tuple[float, float, int]:
    from mabwiser.mab import MAB, LearningPolicy

    learning = {
        "epsilon-greedy": LearningPolicy.EpsilonGreedy(epsilon=0.1),
        "ucb": LearningPolicy.UCB1(alpha=1.0),
        "thompson": LearningPolicy.ThompsonSampling(),
    }[name]
    rewards = loop.cache.rewards

    def body() -> float:
        mab = None
        current: set[int] = set()
        total = 0.0
        for live, positions in loop.chunks():
            live_set = set(int(v) for v in live)
            if mab is None:
                mab = MAB([loop.ids[v] for v in live], learning, seed=seed)
                # MABWiser predicts only after a first fit: one pull of each arm
                first = [loop.ids[v] for v in live]
                t0 = positions[0]
                mab.fit(first, [float(rewards[v, t0]) for v in live])
            else:
                for v in sorted(live_set - current):
                    mab.add_arm(loop.ids[v])
                for v in sorted(current - live_set):
                    mab.remove_arm(loop.ids[v])
            current = live_set
            index = {loop.ids[v]: int(v) for v in live}
            for t in positions:
                arm = mab.predict()
                r = float(rewards[index[arm], t])
                mab.partial_fit([arm], [r])
                total += r
        return total

    return loop.time(body)


def run_river(loop: _Loop, name: str, seed: int) -> tuple[float, float, int]:
    from river import bandit, proba

    def make() -> Any:
        if name == "epsilon-greedy":
            return bandit.EpsilonGreedy(epsilon=0.1, seed=seed)
        if name == "ucb":
            return bandit.UCB(delta=1.0, seed=seed)
        return bandit.ThompsonSampling(reward_obj=proba.Beta(), seed=seed)

    rewards = loop.cache.rewards

    def body() -> float:
        policy = make()
        total = 0.0
        for live, positions in loop.chunks():
            ids = [loop.ids[v] for v in live]
            index = {loop.ids[v]: int(v) for v in live}
            for t in positions:
                arm = policy.pull(ids)
                r = float(rewards[index[arm], t])
                policy.update(arm, r if name != "thompson" else bool(r))
                total += r
        return total

    return loop.time(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="adult")
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--families", default="logreg,naive-bayes")
    parser.add_argument("--rows", type=int, default=8000, help="rows for the per-row loops")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", help="load (or save) the prediction cache here (.npz)")
    args = parser.parse_args()

    started = time.perf_counter()
    cache = build_cache(args)
    print(
        f"prediction cache: {args.dataset}, {cache.n_scored_rows} scored rows in "
        f"{cache.n_scored_chunks} chunks, {len(cache.versions)} versions "
        f"({time.perf_counter() - started:.1f} s)\n"
    )
    loop = _Loop(cache, args.rows)
    runners = [
        ("banditops per-row", run_banditops_per_row),
        ("MABWiser per-row", run_mabwiser),
        ("River per-row", run_river),
    ]
    header = f"{'policy':<15} {'implementation':<20} {'rows':>7} {'rows/s':>12} {'engine is':>11}"
    print(header + f" {'mean reward':>12}")
    print("-" * (len(header) + 13))
    for name in POLICIES:
        seconds, mean, rows = run_engine(cache, name, args.seed)
        engine_rate = rows / seconds
        print(
            f"{name:<15} {'banditops engine':<20} {rows:>7} {engine_rate:>12,.0f} "
            f"{'1.0x':>11} {mean:>12.4f}"
        )
        for label, runner in runners:
            seconds, mean, rows = runner(loop, name, args.seed)
            rate = rows / seconds
            print(
                f"{'':<15} {label:<20} {rows:>7} {rate:>12,.0f} "
                f"{engine_rate / rate:>10,.0f}x {mean:>12.4f}"
            )
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
