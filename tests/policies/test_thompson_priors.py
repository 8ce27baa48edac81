"""Thompson sampling: ``select`` must follow ``probabilities`` over the whole prior range.

With small priors float64 Beta draws collapse onto exactly 0.0 / 1.0 and tie (argmax then
favoured the first arm); with huge ones identical posteriors draw identical values. The
logged propensities must be the real traffic shares.
"""

from __future__ import annotations

import numpy as np
import pytest

from banditops.errors import ConfigError
from banditops.policies import Arm, make_policy
from banditops.policies.thompson import PRIOR_MAX, PRIOR_MIN, prob_max_beta, select_max_beta

ARMS = [Arm("a"), Arm("b"), Arm("c")]
ROWS = 100_000


def _frequencies(policy, arms=ARMS) -> np.ndarray:
    return np.bincount(policy.select(arms, ROWS), minlength=len(arms)) / ROWS


@pytest.mark.parametrize("prior", [PRIOR_MIN, 1e-3, 0.01, 0.05, 0.5, 1.0, 1e6, PRIOR_MAX])
@pytest.mark.parametrize("rewards", [[], [1.0], [1.0, 0.0, 1.0]], ids=["fresh", "one", "three"])
def test_select_frequencies_match_probabilities(prior: float, rewards: list[float]) -> None:
    policy = make_policy("thompson", seed=1, prior_alpha=prior, prior_beta=prior)
    policy.probabilities(ARMS)
    if rewards:
        policy.update("a", rewards)
    probs = policy.probabilities(ARMS)
    freq = _frequencies(policy)
    assert np.allclose(freq, probs, atol=0.02), (probs, freq)


@pytest.mark.parametrize("prior", [1e-3, 0.01])
def test_a_tiny_prior_is_not_a_bias_towards_the_first_arm(prior: float) -> None:
    policy = make_policy("thompson", seed=2, prior_alpha=prior, prior_beta=prior)
    assert np.allclose(policy.probabilities(ARMS), 1 / 3, atol=1e-3)
    assert np.allclose(_frequencies(policy), 1 / 3, atol=0.01)


def test_probabilities_with_a_tiny_prior_after_a_reward() -> None:
    # Beta(1.01, 0.01) against two Beta(0.01, 0.01): the latter are each near 1 half of
    # the time and then about as close to 1 as the former, so P(a) is about
    # 1/4 (neither) + 1/2 * 1/2 (one) + 1/4 * 1/3 (both) = 7/12 (the x-scale integral said
    # 0.573, float64 argmax gave 0.79)
    p = prob_max_beta(np.array([1.01, 0.01, 0.01]), np.array([0.01, 0.01, 0.01]))
    assert p[0] == pytest.approx(7 / 12, abs=0.01)
    policy = make_policy("thompson", seed=3, prior_alpha=0.01, prior_beta=0.01)
    policy.probabilities(ARMS)
    policy.update("a", [1.0])
    assert _frequencies(policy)[0] == pytest.approx(p[0], abs=0.01)


def test_logit_integration_agrees_with_the_direct_one_for_moderate_shapes() -> None:
    from banditops.policies.thompson import _prob_max_beta_logit

    alpha, beta = np.array([2.0, 3.5, 1.0, 40.0]), np.array([1.0, 2.0, 5.0, 30.0])
    direct = prob_max_beta(alpha, beta)
    assert np.allclose(_prob_max_beta_logit(alpha, beta, 512), direct, atol=1e-12)


@pytest.mark.parametrize("bad", [1e-7, 0.0, 1e300, 1e10, 10**400])
def test_priors_outside_the_verified_range_are_refused(bad: float) -> None:
    for key in ("prior_alpha", "prior_beta"):
        with pytest.raises(ConfigError, match=key):
            make_policy("thompson", **{key: bad})


def test_blocked_draws_give_the_stream_of_one_beta_call() -> None:
    alpha, beta = np.array([2.0, 3.0, 1.0]), np.array([1.0, 5.0, 2.0])
    n = 200_000  # several blocks
    picks = select_max_beta(np.random.default_rng(3), alpha, beta, n)
    one_call = np.argmax(np.random.default_rng(3).beta(alpha, beta, size=(n, 3)), axis=1)
    assert np.array_equal(picks, one_call)


@pytest.mark.parametrize("prior", [1e-3, 0.01, 1.0, 1e6])
def test_discounted_thompson_select_matches_probabilities(prior: float) -> None:
    policy = make_policy("discounted-thompson", seed=1, prior_alpha=prior, prior_beta=prior)
    probs = policy.probabilities(ARMS)
    assert np.allclose(_frequencies(policy), probs, atol=0.02), probs
