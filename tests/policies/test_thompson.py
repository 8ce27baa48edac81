"""Thompson sampling: the Beta posterior and the probability of being the best."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from banditops.policies import Arm, ThompsonSampling
from banditops.policies.thompson import prob_max_beta

a, b, c = Arm("a"), Arm("b"), Arm("c")


def prob_b_beats_a(alpha_a: int, beta_a: int, alpha_b: int, beta_b: int) -> float:
    """Closed form of P(X_b > X_a) for Beta variables with integer alpha_b (E. Miller)."""
    i = np.arange(alpha_b)
    terms = (
        special.betaln(alpha_a + i, beta_a + beta_b)
        - np.log(beta_b + i)
        - special.betaln(1 + i, beta_b)
        - special.betaln(alpha_a, beta_a)
    )
    return float(np.exp(terms).sum())


def test_posterior_after_given_rewards() -> None:
    policy = ThompsonSampling()
    policy.select([a, b], 1)
    policy.update("a", [1, 0, 1, 1, 0.5])
    assert policy.posterior("a") == (4.5, 2.5)  # 1 + 3.5, 1 + 1.5
    assert policy.posterior("b") == (1.0, 1.0)

    informed = ThompsonSampling(prior_alpha=2.0, prior_beta=3.0)
    informed.select([a], 1)
    informed.update("a", [1.0, 0.0, 0.0, 1.0])
    assert informed.posterior("a") == (4.0, 5.0)


def test_fractional_update_keeps_posterior_mean_at_observed_mean() -> None:
    policy = ThompsonSampling(prior_alpha=1e-6, prior_beta=1e-6)  # the smallest prior
    policy.select([a], 1)
    rewards = np.array([0.2, 0.7, 0.4, 0.9])
    policy.update("a", rewards)
    alpha, beta = policy.posterior("a")
    assert alpha / (alpha + beta) == pytest.approx(rewards.mean(), rel=1e-6)


@pytest.mark.parametrize(
    ("post_a", "post_b"),
    [((1, 1), (1, 1)), ((3, 1), (1, 1)), ((8, 4), (5, 5)), ((2, 9), (4, 3)), ((60, 40), (58, 42))],
)
def test_two_arm_probabilities_against_the_closed_form(
    post_a: tuple[int, int], post_b: tuple[int, int]
) -> None:
    p = prob_max_beta(np.array([post_a[0], post_b[0]]), np.array([post_a[1], post_b[1]]))
    expected_b = prob_b_beats_a(*post_a, *post_b)
    assert p[1] == pytest.approx(expected_b, abs=1e-5)
    assert p.sum() == pytest.approx(1.0)


def test_concentrated_posteriors_against_the_closed_form() -> None:
    # 100,000 rewards each, means 0.850 and 0.852: the mass lies in a tiny interval
    alpha = np.array([85_000.0, 85_200.0])
    beta = np.array([15_000.0, 14_800.0])
    p = prob_max_beta(alpha, beta)
    expected_b = prob_b_beats_a(85_000, 15_000, 85_200, 14_800)
    assert 0.8 < expected_b < 0.95
    assert p[1] == pytest.approx(expected_b, abs=1e-4)


def test_fractional_shapes_against_quadrature() -> None:
    alpha = np.array([2.5, 1.3])
    beta = np.array([1.7, 0.6])

    def integrand(x: float) -> float:
        return float(stats.beta.pdf(x, alpha[0], beta[0]) * stats.beta.cdf(x, alpha[1], beta[1]))

    expected_a, _ = integrate.quad(integrand, 0, 1, limit=200)
    assert prob_max_beta(alpha, beta)[0] == pytest.approx(expected_a, abs=1e-4)


def test_three_arm_probabilities_against_a_big_monte_carlo() -> None:
    policy = ThompsonSampling()
    policy.select([a, b, c], 1)
    policy.update("a", [1.0] * 6 + [0.0] * 4)
    policy.update("b", [1.0] * 12 + [0.0] * 8)
    policy.update("c", [1.0, 0.0])
    p = policy.probabilities([a, b, c])
    rng = np.random.default_rng(12345)
    draws = rng.beta([7, 13, 2], [5, 9, 2], size=(1_000_000, 3))
    monte_carlo = np.bincount(draws.argmax(axis=1), minlength=3) / 1_000_000
    np.testing.assert_allclose(p, monte_carlo, atol=2e-3)


def test_select_is_one_vectorised_posterior_draw_per_row() -> None:
    policy = ThompsonSampling(seed=77)
    policy.select([a, b], 0)
    policy.update("a", [1.0, 0.0, 1.0])
    policy.update("b", [0.0, 0.0])
    picks = policy.select([a, b], 500)
    # the same generator, seeded alike, draws the posterior of every row at once
    draws = np.random.default_rng(77).beta([3.0, 1.0], [2.0, 3.0], size=(500, 2))
    assert picks.tolist() == draws.argmax(axis=1).tolist()


def test_new_arm_gets_the_prior() -> None:
    policy = ThompsonSampling(prior_alpha=2.0, prior_beta=5.0)
    policy.select([a], 1)
    policy.update("a", [1.0])
    policy.select([a, b], 1)
    assert policy.posterior("b") == (2.0, 5.0)


def test_single_arm_gets_everything() -> None:
    assert ThompsonSampling().probabilities([a]).tolist() == [1.0]
