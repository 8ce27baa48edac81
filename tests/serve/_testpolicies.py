"""Small policies for the router tests (importable by server subprocesses too).

``test-epsilon`` is a stochastic epsilon-greedy policy; ``test-guarded`` wraps it with a
minimal guardrail exposing ``events()`` (quarantine an arm whose mean reward, after
``min_samples`` rewards, is below ``floor``), the interface the router expects from
:class:`banditops.policies.guardrail.Guardrail`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from banditops.policies.base import BasePolicy, check_range


class EpsilonGreedyForTests(BasePolicy):
    name = "test-epsilon"
    stochastic = True

    def __init__(self, *, epsilon: float = 0.2, seed: Any = None) -> None:
        super().__init__(seed=seed)
        self._set_params(epsilon=check_range("epsilon", epsilon, 0, 1), seed=seed)

    def _probabilities(self, arms):
        means = np.array(
            [self._stats[a.id].mean if self._stats[a.id].count else np.inf for a in arms]
        )
        eps = self._params["epsilon"]
        p = np.full(len(arms), eps / len(arms))
        p[int(np.argmax(means))] += 1 - eps
        return p


class GuardedForTests(EpsilonGreedyForTests):
    name = "test-guarded"

    def __init__(self, *, epsilon=0.2, floor=0.5, min_samples=20, seed=None) -> None:
        super().__init__(epsilon=epsilon, seed=seed)
        self._set_params(floor=floor, min_samples=min_samples)
        self._events: list[dict[str, Any]] = []
        self._quarantined: list[str] = []

    def _probabilities(self, arms):
        p = super()._probabilities(arms)
        keep = np.array([a.id not in self._quarantined for a in arms], dtype=float)
        if keep.sum() == 0:
            return p
        p = p * keep
        return p if p.sum() > 0 else keep

    def _update(self, arm_id, rewards):
        super()._update(arm_id, rewards)
        stats = self._stats[arm_id]
        if (
            arm_id not in self._quarantined
            and stats.count >= self._params["min_samples"]
            and stats.mean < self._params["floor"]
        ):
            self._quarantined.append(arm_id)
            self._events.append({"arm_id": arm_id, "reason": f"mean {stats.mean:.3f} below floor"})

    def events(self):
        return list(self._events)

    def _learned_state(self):
        return {"events": self._events, "quarantined": self._quarantined}

    def _load_learned_state(self, learned):
        self._events = list(learned.get("events", []))
        self._quarantined = list(learned.get("quarantined", []))


TEST_POLICIES = {cls.name: cls for cls in (EpsilonGreedyForTests, GuardedForTests)}


def factory(config):
    """Policy factory: the test policies by name, else the real registry."""
    if config.policy.name in TEST_POLICIES:
        return TEST_POLICIES[config.policy.name](seed=config.seed, **dict(config.policy.params))
    from banditops.serve.router import build_policy

    return build_policy(config)
