"""banditops: multi-armed bandits that decide which model version serves production traffic.

Each deployed model version is an *arm*; a *policy* decides which arm serves each request
and learns only from the rewards of what it served. The same policies run in the replay
engine (simulation on real data, many seeds) and in the live router.

The public API is re-exported here and loaded lazily, so ``import banditops`` stays cheap.

Examples
--------
>>> import banditops
>>> policy = banditops.make_policy("thompson", seed=0)
>>> arms = [banditops.Arm("v1", created_at=0), banditops.Arm("v2", created_at=1)]
>>> policy.select(arms, 4).shape
(4,)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # policies
    "Arm": "banditops.policies",
    "BasePolicy": "banditops.policies",
    "Guardrail": "banditops.policies",
    "POLICIES": "banditops.policies",
    "load_policy": "banditops.policies",
    "make_policy": "banditops.policies",
    # data
    "DATASETS": "banditops.data",
    "load_dataset": "banditops.data",
    "make_stream": "banditops.data",
    # models, rewards
    "PoolConfig": "banditops.models.pool",
    "REWARDS": "banditops.rewards",
    "make_reward": "banditops.rewards",
    # replay
    "PredictionCache": "banditops.simulation.cache",
    "build_prediction_cache": "banditops.simulation.cache",
    "replay": "banditops.simulation.replay",
    "SimulationConfig": "banditops.simulation.simulate",
    "StrategySpec": "banditops.simulation.simulate",
    "simulate": "banditops.simulation.simulate",
    "write_results": "banditops.simulation.simulate",
    # errors
    "BanditOpsError": "banditops.errors",
    "ConfigError": "banditops.errors",
    "DataError": "banditops.errors",
    "FeedbackError": "banditops.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'banditops' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
