"""Reward functions: ``(y_true, y_pred) -> per-row rewards in [0, 1]``.

A reward turns a served prediction and the label that arrives later into the number a
policy learns from. Each dataset has a default reward (its registry entry names it):

``accuracy``
    1 for a correct prediction, 0 otherwise (census income, where both errors cost alike).
``cost``
    Cost-sensitive reward for imbalanced fraud detection. A correct decision earns 1; a
    false alarm costs ``1`` unit (an investigation that finds nothing); a missed fraud
    costs ``cost_ratio`` units (a fraudulent claim paid out). Rewards are
    ``1 - cost / cost_ratio``, so a miss earns 0 and a false alarm ``1 - 1/cost_ratio``.

Why a default ``cost_ratio`` of 10: a missed fraud pays out a whole claim while a false
alarm costs one investigation, typically an order of magnitude cheaper. At 10 the Bayes
decision flags a claim once its fraud probability exceeds 1/11 (about 9 %), i.e. a
model must flag roughly the riskiest tenth of claims to earn more than "never flag",
which is what a fraud team does in practice. The ratio is a parameter: rerun with
``--cost-ratio`` to see how conclusions move with it.

Because the cost reward weighs errors unequally, a model version's decisions must weigh
them too: every version gets a decision threshold tuned on its validation slice for the
reward (see :mod:`banditops.models.pool`), instead of the default 0.5.

Examples
--------
>>> import numpy as np
>>> reward = make_reward("cost", cost_ratio=10)
>>> reward(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])).tolist()
[1.0, 0.9, 0.0, 1.0]
>>> make_reward("accuracy")(np.array([1, 0]), np.array([1, 1])).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np

from banditops.errors import ConfigError, DataError

__all__ = ["REWARDS", "AccuracyReward", "CostReward", "Reward", "make_reward"]


class Reward:
    """Base class: a per-row reward defined by a 2x2 table over (label, decision).

    Subclasses set ``name`` and fill ``self._table`` as rewards for
    (true negative, false positive, false negative, true positive).
    """

    name: ClassVar[str] = "reward"
    symmetric: ClassVar[bool] = True

    def __init__(self) -> None:
        self._table = np.array([1.0, 0.0, 0.0, 1.0])
        self._params: dict[str, Any] = {}

    def params(self) -> dict[str, Any]:
        """The reward's parameters, as given."""
        return dict(self._params)

    @property
    def table(self) -> dict[str, float]:
        """Reward of each outcome: ``{"tn", "fp", "fn", "tp"}``."""
        return dict(zip(("tn", "fp", "fn", "tp"), self._table.tolist(), strict=True))

    @property
    def bayes_threshold(self) -> float:
        """Probability above which a positive decision has the higher expected reward."""
        tn, fp, fn, tp = self._table
        return float((tn - fp) / ((tn - fp) + (tp - fn)))

    def __call__(self, y_true: Any, y_pred: Any) -> np.ndarray:
        """Per-row rewards for labels ``y_true`` and decisions ``y_pred`` (both 0/1).

        Raises
        ------
        DataError
            If the arrays differ in length or hold values other than 0 and 1.
        """
        truth = np.asarray(y_true)
        pred = np.asarray(y_pred)
        if truth.shape != pred.shape or truth.ndim != 1:
            raise DataError(
                f"y_true and y_pred must be 1-D of one length, got {truth.shape} and {pred.shape}"
            )
        for label, arr in (("y_true", truth), ("y_pred", pred)):
            if arr.size and not np.isin(arr, (0, 1)).all():
                raise DataError(f"{label} must hold only 0 and 1")
        return self._table[truth.astype(np.intp) * 2 + pred.astype(np.intp)]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"


class AccuracyReward(Reward):
    """1 for a correct prediction, 0 for a wrong one.

    Examples
    --------
    >>> AccuracyReward().table
    {'tn': 1.0, 'fp': 0.0, 'fn': 0.0, 'tp': 1.0}
    """

    name = "accuracy"
    symmetric = True


class CostReward(Reward):
    """Cost-sensitive reward: a missed positive costs ``cost_ratio`` false alarms.

    Parameters
    ----------
    cost_ratio : float, default 10
        Cost of a missed fraud (false negative) over the cost of a false alarm (false
        positive); must be at least 1.

    Examples
    --------
    >>> CostReward(cost_ratio=4).table
    {'tn': 1.0, 'fp': 0.75, 'fn': 0.0, 'tp': 1.0}
    """

    name = "cost"
    symmetric = False

    def __init__(self, *, cost_ratio: float = 10.0) -> None:
        super().__init__()
        if isinstance(cost_ratio, bool) or not isinstance(cost_ratio, (int, float)):
            raise ConfigError(f"cost_ratio must be a number >= 1, got {cost_ratio!r}")
        if not np.isfinite(cost_ratio) or cost_ratio < 1:
            raise ConfigError(f"cost_ratio must be a finite number >= 1, got {cost_ratio!r}")
        self._params = {"cost_ratio": cost_ratio}
        self._table = np.array([1.0, 1.0 - 1.0 / float(cost_ratio), 0.0, 1.0])


REWARDS: dict[str, type[Reward]] = {"accuracy": AccuracyReward, "cost": CostReward}


def make_reward(name: str, **params: Any) -> Reward:
    """Build a reward by registry name.

    Raises
    ------
    ConfigError
        For an unknown name or parameter.

    Examples
    --------
    >>> make_reward("cost").params()
    {'cost_ratio': 10.0}
    """
    if name not in REWARDS:
        raise ConfigError(f"unknown reward {name!r}; known rewards: {sorted(REWARDS)}")
    cls = REWARDS[name]
    accepted = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ConfigError(
            f"reward {name!r} has no parameter {unknown[0]!r}; accepted: "
            + (", ".join(accepted) or "none")
        )
    return cls(**params)
