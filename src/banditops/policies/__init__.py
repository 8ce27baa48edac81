"""Deployment strategies (policies) and their registry.

``POLICIES`` maps each registry name (used in the CLI, JSON and tables) to its class.
Add a policy by adding one file and one line here; a test checks that the registry and
``__all__`` agree. :class:`Guardrail` is not in the registry: it wraps any policy
(``Guardrail(make_policy("naive"))``) and is itself a policy; so is the reward shaping
:class:`DropPenalty` (``DropPenalty(make_policy("thompson"))``). :func:`load_policy`
rebuilds any of them from ``state()``.

Examples
--------
>>> from banditops.policies import make_policy, policy_names
>>> policy_names()
['naive', 'validation', 'ab-test', 'epsilon-greedy', 'ucb', 'thompson', 'sw-ucb',
 'discounted-thompson', 'change-detection']
>>> make_policy("epsilon-greedy", seed=1, epsilon=0.05)
EpsilonGreedy(epsilon=0.05, initial_value=1.0, decay=0.0)
>>> make_policy("greedy")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
banditops.errors.ConfigError: unknown policy 'greedy'; known policies: naive, validation, ...
"""

from __future__ import annotations

import inspect
from typing import Any

from banditops.errors import ConfigError
from banditops.policies.ab_test import ABTest
from banditops.policies.base import Arm, ArmStats, BasePolicy, Policy, SeedLike
from banditops.policies.change_detection import ChangeDetection
from banditops.policies.discounted_thompson import DiscountedThompson
from banditops.policies.epsilon_greedy import EpsilonGreedy
from banditops.policies.guardrail import Guardrail, load_policy
from banditops.policies.naive import Naive
from banditops.policies.shaping import DropPenalty
from banditops.policies.sw_ucb import SlidingWindowUCB
from banditops.policies.thompson import ThompsonSampling
from banditops.policies.ucb import UCB1
from banditops.policies.validation import ValidationBest

__all__ = [
    "POLICIES",
    "UCB1",
    "ABTest",
    "Arm",
    "ArmStats",
    "BasePolicy",
    "ChangeDetection",
    "DiscountedThompson",
    "DropPenalty",
    "EpsilonGreedy",
    "Guardrail",
    "Naive",
    "Policy",
    "SlidingWindowUCB",
    "ThompsonSampling",
    "ValidationBest",
    "accepted_params",
    "load_policy",
    "make_policy",
    "policy_names",
]

POLICIES: dict[str, type[BasePolicy]] = {
    Naive.name: Naive,
    ValidationBest.name: ValidationBest,
    ABTest.name: ABTest,
    EpsilonGreedy.name: EpsilonGreedy,
    UCB1.name: UCB1,
    ThompsonSampling.name: ThompsonSampling,
    SlidingWindowUCB.name: SlidingWindowUCB,
    DiscountedThompson.name: DiscountedThompson,
    ChangeDetection.name: ChangeDetection,
}


def policy_names() -> list[str]:
    """Registry names, in registry order."""
    return list(POLICIES)


def _lookup(name: str) -> type[BasePolicy]:
    if not isinstance(name, str) or name not in POLICIES:
        raise ConfigError(f"unknown policy {name!r}; known policies: {', '.join(POLICIES)}")
    return POLICIES[name]


def accepted_params(name: str) -> dict[str, Any]:
    """The hyperparameters a policy accepts, with their defaults (``seed`` excluded).

    Examples
    --------
    >>> accepted_params("ucb")
    {'c': 1.0}
    """
    signature = inspect.signature(_lookup(name).__init__)
    return {
        p.name: p.default
        for p in signature.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "seed"
    }


def make_policy(name: str, *, seed: SeedLike = None, **params: Any) -> BasePolicy:
    """Build a registered policy by name.

    Raises
    ------
    ConfigError
        For an unknown name (listing the known ones), an unknown parameter (naming it and
        listing the accepted ones) or an invalid value (naming the allowed range).

    Examples
    --------
    >>> make_policy("ucb", c=2.0)
    UCB1(c=2.0)
    >>> make_policy("ucb", epsilon=0.1)
    Traceback (most recent call last):
    ...
    banditops.errors.ConfigError: policy 'ucb' has no parameter 'epsilon'; accepted: c
    """
    cls = _lookup(name)
    accepted = accepted_params(name)
    unknown = [key for key in params if key not in accepted]
    if unknown:
        listed = ", ".join(accepted) if accepted else "none"
        names = ", ".join(repr(key) for key in unknown)
        plural = "s" if len(unknown) > 1 else ""
        raise ConfigError(f"policy {name!r} has no parameter{plural} {names}; accepted: {listed}")
    return cls(seed=seed, **params)
