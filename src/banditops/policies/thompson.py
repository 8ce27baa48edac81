"""``thompson``: Beta-Bernoulli Thompson sampling.

The posterior
-------------
Each version's mean reward gets a ``Beta(prior_alpha, prior_beta)`` prior (default
``Beta(1, 1)``, uniform). A reward ``r`` in [0, 1] updates it fractionally::

    alpha += r        beta += 1 - r

Why this posterior: the Beta is conjugate to Bernoulli rewards, and banditops' rewards
lie in [0, 1] and are mostly 0/1 (accuracy of one prediction; the cost-sensitive fraud
reward takes a few fixed values). For 0/1 rewards the update is the exact Bayesian
posterior; for fractional rewards it keeps the posterior mean equal to the (prior-
smoothed) observed mean, and the posterior concentrates like one of ``n`` Bernoulli
trials. The alternative, the "Bernoulli trick" of Agrawal and Goyal (2012, "Analysis of
Thompson Sampling for the Multi-armed Bandit Problem"), draws a 0/1 outcome with success
probability ``r`` and updates with it; it has the same expectation but adds noise and
consumes randomness in ``update``, which the fractional update avoids (updates stay
deterministic, so a batch update equals the same updates one by one exactly).

Decisions
---------
Each row is an independent posterior draw per live version; the row goes to the version
with the largest draw. When every shape parameter is at least 1 the draws are
``rng.beta`` calls of shape ``(rows, k)`` (in blocks of rows, which gives the same stream
as one call). A shape below 1 puts mass so close to 0 and 1 that float64 draws collapse
onto exactly 0.0 and 1.0 and tie (argmax would then hand the tie to the first arm, so
the traffic would not follow ``probabilities``). Then the draws are compared on the
logit scale instead, which is exact in distribution and never underflows:
``logit(X) = log G_a - log G_b`` for independent gammas, with
``log Gamma(a) = log Gamma(a + 1) + log(U) / a`` for ``a < 1``.

Probabilities
-------------
``probabilities`` is deterministic and consumes no randomness. It computes
``P(version i has the largest draw) = integral of prod_{j != i} F_j(x) dF_i(x)`` by a
Stieltjes trapezoid rule on the union of quantile grids of all posteriors
(``grid_size`` quantiles each, so the grid is fine exactly where each posterior has its
mass). The error is at most ``1 / (2 * grid_size)`` and in practice far smaller
(below 1e-5 in the tests against a closed form); the result is renormalised to sum to 1.
With a shape below 1 the integral is taken on the logit scale, with the CDF and its
complement each computed where they are small (``I_x(a, b) ~ x^a / (a B(a, b))`` below
``1e-280``), for the same reason as the draws.

The prior
---------
``prior_alpha`` and ``prior_beta`` lie in ``[PRIOR_MIN, PRIOR_MAX] = [1e-6, 1e9]``, the
range over which the tests check that the traffic of ``select`` follows
``probabilities`` (beyond ``1e9`` two posteriors with the same huge shapes would draw
bit-identical values; below ``1e-6`` the logit scale itself overflows).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from scipy import special, stats

from banditops.errors import UnknownArmError
from banditops.policies.base import Arm, BasePolicy, SeedLike, check_range

__all__ = ["PRIOR_MAX", "PRIOR_MIN", "ThompsonSampling", "prob_max_beta", "select_max_beta"]

GRID_SIZE = 512
PRIOR_MIN = 1e-6
"""Smallest accepted prior shape (see the module docstring)."""
PRIOR_MAX = 1e9
"""Largest accepted prior shape (see the module docstring)."""
_BLOCK_ROWS = 1 << 16  # rows drawn at a time: bounds the memory of a large chunk
_LOG_TINY = math.log(1e-280)  # below this a Beta CDF is its leading power term


class ThompsonSampling(BasePolicy):
    """Beta-Bernoulli Thompson sampling with the fractional update.

    Parameters
    ----------
    prior_alpha : float, default 1.0
        First shape parameter of the prior, in [1e-6, 1e9].
    prior_beta : float, default 1.0
        Second shape parameter of the prior, in [1e-6, 1e9].
    seed : int, SeedSequence or None
        Seed of the policy's random generator.

    Examples
    --------
    >>> from banditops.policies.base import Arm
    >>> arms = [Arm("a"), Arm("b")]
    >>> policy = ThompsonSampling(seed=0)
    >>> policy.probabilities(arms).round(3).tolist()
    [0.5, 0.5]
    >>> policy.update("a", [1, 1, 0.5])
    >>> policy.posterior("a")
    (3.5, 1.5)
    >>> policy.probabilities(arms).round(3).tolist()
    [0.7, 0.3]
    >>> policy.select(arms, 8).tolist()
    [1, 0, 0, 0, 0, 0, 1, 1]
    """

    name: ClassVar[str] = "thompson"
    stochastic: ClassVar[bool] = True
    adaptive: ClassVar[bool] = True
    example_params: ClassVar[dict[str, object]] = {"prior_alpha": 1.0, "prior_beta": 2.0}
    invalid_params: ClassVar[list[dict[str, object]]] = [
        {"prior_alpha": 0.0},
        {"prior_alpha": -1.0},
        {"prior_beta": 0},
        {"prior_beta": float("inf")},
        {"prior_alpha": float("nan")},
        {"prior_beta": "1"},
        {"prior_alpha": 1e-7},
        {"prior_beta": 1e300},
    ]

    def __init__(
        self, *, prior_alpha: float = 1.0, prior_beta: float = 1.0, seed: SeedLike = None
    ) -> None:
        super().__init__(seed=seed)
        self._prior_alpha = check_range("prior_alpha", prior_alpha, PRIOR_MIN, PRIOR_MAX)
        self._prior_beta = check_range("prior_beta", prior_beta, PRIOR_MIN, PRIOR_MAX)
        self._set_params(prior_alpha=prior_alpha, prior_beta=prior_beta)

    def posterior(self, arm_id: str) -> tuple[float, float]:
        """The ``(alpha, beta)`` of one arm's Beta posterior."""
        if arm_id not in self._stats:
            raise UnknownArmError(f"unknown arm {arm_id!r}; known arms: {self.known_arms()}")
        s = self._stats[arm_id]
        return self._prior_alpha + s.total, self._prior_beta + s.count - s.total

    def _shapes(self, arms: Sequence[Arm]) -> tuple[np.ndarray, np.ndarray]:
        counts = np.array([self._stats[a.id].count for a in arms])
        totals = np.array([self._stats[a.id].total for a in arms])
        return self._prior_alpha + totals, self._prior_beta + counts - totals

    def _select(self, arms: Sequence[Arm], n: int) -> np.ndarray:
        alpha, beta = self._shapes(arms)
        return select_max_beta(self._rng, alpha, beta, n)

    def _probabilities(self, arms: Sequence[Arm]) -> np.ndarray:
        alpha, beta = self._shapes(arms)
        return prob_max_beta(alpha, beta)


def select_max_beta(
    rng: np.random.Generator, alpha: np.ndarray, beta: np.ndarray, n: int
) -> np.ndarray:
    """Index of the largest of independent ``Beta(alpha_i, beta_i)`` draws, for ``n`` rows.

    Exact in distribution for any positive shapes: with a shape below 1 the draws are
    compared on the logit scale (see the module docstring), so they never tie.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> picks = select_max_beta(rng, np.array([1e-3, 1e-3]), np.array([1e-3, 1e-3]), 10_000)
    >>> bool(abs(picks.mean() - 0.5) < 0.02)  # float64 draws would tie at 0.0 / 1.0
    True
    """
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    k = alpha.size
    exact_scale = bool(alpha.min() >= 1.0 and beta.min() >= 1.0)
    picks = np.empty(n, dtype=np.intp)
    for start in range(0, n, _BLOCK_ROWS):
        size = (min(_BLOCK_ROWS, n - start), k)
        if exact_scale:
            draws = rng.beta(alpha, beta, size=size)
        else:
            draws = _log_gamma(rng, alpha, size) - _log_gamma(rng, beta, size)
        picks[start : start + size[0]] = np.argmax(draws, axis=1)
    return picks


def _log_gamma(rng: np.random.Generator, shape: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``log`` of ``Gamma(shape)`` draws, without underflow for shapes below 1."""
    boost = shape < 1.0
    out = np.log(rng.standard_gamma(np.where(boost, shape + 1.0, shape), size=size))
    if boost.any():
        uniform = 1.0 - rng.random(size)  # in (0, 1]
        out += np.where(boost, np.log(uniform) / shape, 0.0)
    return out


def prob_max_beta(alpha: np.ndarray, beta: np.ndarray, grid_size: int = GRID_SIZE) -> np.ndarray:
    """Probability that each of independent ``Beta(alpha_i, beta_i)`` draws is the largest.

    Deterministic numerical integration (see the module docstring).

    Examples
    --------
    >>> prob_max_beta(np.array([2.0, 1.0]), np.array([1.0, 1.0])).round(4).tolist()
    [0.6667, 0.3333]
    >>> prob_max_beta(np.array([1.01, 0.01]), np.array([0.01, 0.01])).round(4).tolist()
    [0.7499, 0.2501]
    """
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    k = alpha.size
    if k == 1:
        return np.ones(1)
    if alpha.min() < 1.0 or beta.min() < 1.0:
        return _prob_max_beta_logit(alpha, beta, grid_size)
    levels = np.linspace(0.0, 1.0, grid_size + 1)
    grid = np.unique(
        np.concatenate([stats.beta.ppf(levels, a, b) for a, b in zip(alpha, beta, strict=True)])
    )
    cdf = stats.beta.cdf(grid[None, :], alpha[:, None], beta[:, None])  # (k, m)
    return _integrate_max(cdf, np.diff(cdf, axis=1))


def _prob_max_beta_logit(alpha: np.ndarray, beta: np.ndarray, grid_size: int) -> np.ndarray:
    """:func:`prob_max_beta` on the logit scale ``t = log(x / (1 - x))``."""
    levels = np.linspace(0.0, 1.0, grid_size + 1)
    grid = np.unique(
        np.concatenate(
            [
                _log_quantile(levels, a, b) - _log_quantile(1.0 - levels, b, a)
                for a, b in zip(alpha, beta, strict=True)
            ]
        )
    )
    cdf, sf = _beta_cdf_sf_logit(grid[None, :], alpha[:, None], beta[:, None])
    # the mass of each interval from whichever of cdf and sf is small (and so precise)
    mass = np.where(grid[None, 1:] <= 0.0, np.diff(cdf, axis=1), -np.diff(sf, axis=1))
    return _integrate_max(cdf, mass)


def _log_quantile(levels: np.ndarray, a: float, b: float) -> np.ndarray:
    """``log`` of the Beta(a, b) quantiles at ``levels``, precise where they are tiny."""
    with np.errstate(divide="ignore"):  # level 0: log 0 = -inf, as it should be
        x = stats.beta.ppf(levels, a, b)
        leading = (np.log(levels) + math.log(a) + special.betaln(a, b)) / a
        return np.where(x > 1e-280, np.log(np.maximum(x, 1e-300)), leading)


def _beta_cdf_sf_logit(
    t: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CDF and survival function of Beta(a, b) at ``x = 1 / (1 + exp(-t))``."""
    log_x = -np.logaddexp(0.0, -t)
    log_1mx = -np.logaddexp(0.0, t)
    log_b = special.betaln(a, b)
    lower = np.where(
        log_x < _LOG_TINY,
        np.exp(np.minimum(a * log_x - np.log(a) - log_b, 0.0)),
        special.betainc(a, b, np.exp(log_x)),
    )
    upper = np.where(
        log_1mx < _LOG_TINY,
        np.exp(np.minimum(b * log_1mx - np.log(b) - log_b, 0.0)),
        special.betainc(b, a, np.exp(log_1mx)),
    )
    left = t <= 0.0
    return np.where(left, lower, 1.0 - upper), np.where(left, 1.0 - lower, upper)


def _integrate_max(cdf: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """Stieltjes trapezoid rule for ``P(i is the largest)`` from CDFs on a common grid.

    ``cdf`` is ``(k, m)``, ``mass`` the ``(k, m - 1)`` probability of each interval.
    """
    ones = np.ones((1, cdf.shape[1]))
    before = np.cumprod(np.vstack([ones, cdf[:-1]]), axis=0)  # prod_{j < i} F_j
    after = np.cumprod(np.vstack([ones, cdf[:0:-1]]), axis=0)[::-1]  # prod_{j > i} F_j
    others = before * after  # prod_{j != i} F_j, shape (k, m)
    mid = 0.5 * (others[:, 1:] + others[:, :-1])
    p = np.maximum((mass * mid).sum(axis=1), 0.0)
    return p / p.sum()
