"""The guardrail: quarantine of a clearly failing arm, and no punishment without evidence."""

from __future__ import annotations

import json
import logging
import math

import numpy as np
import pytest
from scipy import stats

from banditops.errors import ConfigError, FeedbackError
from banditops.policies import (
    Arm,
    EpsilonGreedy,
    Guardrail,
    Naive,
    ThompsonSampling,
    load_policy,
)
from banditops.policies.guardrail import confidence_bounds

good = Arm("good", created_at=0, validation_score=0.80)
bad = Arm("bad", created_at=1, validation_score=0.95)
bad2 = Arm("bad2", created_at=1, validation_score=0.90)
later = Arm("later", created_at=2, validation_score=0.70)


def hoeffding(n: float) -> float:
    return math.sqrt(math.log(2 / 0.05) / (2 * n))


def rewards(n: int, ones: int) -> list[float]:
    return [1.0] * ones + [0.0] * (n - ones)


def failing_release(**params: object) -> Guardrail:
    """naive over good (150 rewards, mean 0.9), then a newer bad arm (100, mean 0.2)."""
    guard = Guardrail(Naive(), **{"min_samples": 100, **params})  # type: ignore[arg-type]
    guard.select([good], 150)
    guard.update("good", rewards(150, 135))
    assert guard.select([good, bad], 100).tolist() == [1] * 100  # naive: the newest
    guard.update("bad", rewards(100, 20))
    return guard


def test_quarantines_a_clearly_failing_arm_and_falls_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = failing_release()
    with caplog.at_level(logging.WARNING, logger="banditops.policies.guardrail"):
        picks = guard.select([good, bad], 50)
    assert picks.tolist() == [0] * 50
    assert guard.quarantined() == ["bad"]
    assert guard.holding() == "good"
    quarantine, fallback = guard.events()
    assert quarantine["kind"] == "quarantine" and quarantine["arm"] == "bad"
    assert quarantine["incumbent"] == "good"
    assert quarantine["ucb"] == pytest.approx(0.2 + hoeffding(100))  # 0.336
    assert quarantine["lcb"] == pytest.approx(0.9 - hoeffding(150))  # 0.789
    assert (quarantine["n_arm"], quarantine["n_incumbent"]) == (100, 150)
    assert (quarantine["step"], quarantine["observed"]) == (2, 250)
    assert "0.3358" in quarantine["reason"] and "0.7891" in quarantine["reason"]
    assert (fallback["kind"], fallback["arm"], fallback["quarantined"]) == (
        "fallback",
        "good",
        "bad",
    )
    assert any("quarantine" in r.getMessage() and "bad" in r.getMessage() for r in caplog.records)
    assert guard.probabilities([good, bad]).tolist() == [1.0, 0.0]


def test_fallback_is_the_last_good_version_not_the_next_of_the_release() -> None:
    guard = Guardrail(Naive(), min_samples=100)
    guard.select([good], 150)
    guard.update("good", rewards(150, 135))
    guard.select([good, bad, bad2], 100)  # naive: bad (best score of the release)
    guard.update("bad", rewards(100, 20))
    # without the hold, naive would now serve bad2, untested, of the same release
    assert guard.select([good, bad, bad2], 10).tolist() == [0] * 10
    plain = Guardrail(Naive(), min_samples=100, fallback="base")
    plain.select([good], 150)
    plain.update("good", rewards(150, 135))
    plain.select([good, bad, bad2], 100)
    plain.update("bad", rewards(100, 20))
    assert plain.select([good, bad, bad2], 10).tolist() == [2] * 10
    assert plain.holding() is None


def test_a_new_release_ends_the_hold() -> None:
    guard = failing_release()
    guard.select([good, bad], 10)
    assert guard.holding() == "good"
    assert guard.select([good, bad, later], 5).tolist() == [2] * 5  # naive decides again
    assert guard.events()[-1]["kind"] == "fallback-ended"
    assert guard.probabilities([good, bad, later]).tolist() == [0.0, 0.0, 1.0]


def test_quarantined_arm_is_never_passed_to_the_base_policy() -> None:
    base = EpsilonGreedy(epsilon=1.0, seed=0)  # pure exploration: would pick every arm
    guard = Guardrail(base, min_samples=50, fallback="base")
    guard.select([good, bad], 10)
    guard.update("good", rewards(100, 90))
    guard.update("bad", rewards(100, 10))
    picks = guard.select([good, bad, later], 3000)
    assert guard.quarantined() == ["bad"]
    assert set(picks.tolist()) == {0, 2}
    np.testing.assert_allclose(guard.probabilities([good, bad, later]), [0.5, 0.0, 0.5])


def test_leaves_an_arm_with_no_data_alone() -> None:
    guard = Guardrail(Naive(), min_samples=100)
    guard.select([good], 500)
    guard.update("good", rewards(500, 480))
    for _ in range(20):
        guard.select([good, bad], 0)  # bad is live but gets no rows
    assert guard.quarantined() == [] and guard.events() == []


def test_leaves_an_arm_with_too_few_samples_alone() -> None:
    guard = Guardrail(Naive(), min_samples=100)
    guard.select([good], 500)
    guard.update("good", rewards(500, 480))
    guard.select([good, bad], 99)
    guard.update("bad", [0.0] * 99)  # dreadful, but one reward short
    guard.select([good, bad], 1)
    assert guard.quarantined() == []
    guard.update("bad", [0.0])
    guard.select([good, bad], 1)
    assert guard.quarantined() == ["bad"]


def test_an_arm_with_only_empty_updates_is_never_quarantined() -> None:
    guard = Guardrail(Naive(), min_samples=10)
    guard.select([good], 100)
    guard.update("good", rewards(100, 95))
    guard.select([good, bad], 100)
    before = json.dumps(guard.state(), sort_keys=True)
    for _ in range(50):
        guard.update("bad", [])  # the metric was undefined for this chunk
        guard.update("bad", np.zeros(0))
    assert json.dumps(guard.state(), sort_keys=True) == before
    guard.select([good, bad], 10)
    assert guard.quarantined() == []
    assert guard.stats("bad").count == 0


def test_the_incumbent_needs_min_samples_too() -> None:
    guard = Guardrail(Naive(), min_samples=100)
    guard.select([good], 50)
    guard.update("good", [1.0] * 50)  # perfect, but too little evidence
    guard.select([good, bad], 1000)
    guard.update("bad", [0.3] * 1000)
    guard.select([good, bad], 1)
    assert guard.quarantined() == []


def test_an_arm_within_the_noise_is_left_alone() -> None:
    guard = Guardrail(Naive(), min_samples=100)
    guard.select([good], 400)
    guard.update("good", rewards(400, 340))  # 0.85
    guard.select([good, bad], 400)
    guard.update("bad", rewards(400, 320))  # 0.80: worse, but not clearly
    guard.select([good, bad], 1)
    assert guard.quarantined() == []


def test_normal_bounds() -> None:
    guard = failing_release(bound="normal")
    guard.select([good, bad], 1)
    event = guard.events()[0]
    z = stats.norm.ppf(0.975)
    assert event["ucb"] == pytest.approx(0.2 + z * np.std(rewards(100, 20), ddof=1) / 10)
    assert event["lcb"] == pytest.approx(
        0.9 - z * np.std(rewards(150, 135), ddof=1) / math.sqrt(150)
    )


def test_confidence_bounds_are_clipped_and_vacuous_without_data() -> None:
    from banditops.policies.base import ArmStats

    assert confidence_bounds(ArmStats(), 0.95, "hoeffding") == (0.0, 1.0)
    s = ArmStats()
    s.add(np.ones(10))
    lower, upper = confidence_bounds(s, 0.95, "hoeffding")
    assert upper == 1.0 and lower == pytest.approx(1 - hoeffding(10))


def test_every_live_arm_quarantined_gives_the_base_all_of_them() -> None:
    guard = failing_release(fallback="base")
    guard.select([good, bad], 1)
    assert guard.quarantined() == ["bad"]
    assert guard.select([bad], 3).tolist() == [0, 0, 0]  # good retired: bad must serve
    assert guard.events()[-1]["kind"] == "no-healthy-arm"
    guard.select([bad], 3)
    assert [e["kind"] for e in guard.events()].count("no-healthy-arm") == 1


def test_feedback_is_forwarded_to_the_base_policy() -> None:
    base = ThompsonSampling(seed=1)
    guard = Guardrail(base)
    guard.select([good, bad], 10)
    guard.update("good", [1.0, 1.0, 0.0])
    assert base.posterior("good") == (3.0, 2.0)
    with pytest.raises(FeedbackError):
        guard.update("good", [0.5, float("nan")])
    assert base.posterior("good") == (3.0, 2.0) and guard.stats("good").count == 3


def test_state_round_trip_includes_the_base_and_nests() -> None:
    guard = failing_release()
    guard.select([good, bad], 1)
    loaded = load_policy(json.loads(json.dumps(guard.state(), allow_nan=False)))
    assert isinstance(loaded, Guardrail) and isinstance(loaded.base, Naive)
    assert loaded.state() == guard.state()
    nested = Guardrail(Guardrail(EpsilonGreedy(seed=3)), min_samples=10)
    nested.select([good, bad], 20)
    again = Guardrail.from_state(json.loads(json.dumps(nested.state())))
    assert again.select([good, bad], 50).tolist() == nested.select([good, bad], 50).tolist()
    assert again.label == "guardrail(guardrail)"


def test_base_policy_must_be_a_policy_object() -> None:
    with pytest.raises(ConfigError, match="base_policy"):
        Guardrail(EpsilonGreedy)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="base_policy"):
        Guardrail("naive")  # type: ignore[arg-type]


def test_params_exclude_the_base_and_label_names_it() -> None:
    guard = Guardrail(EpsilonGreedy(epsilon=0.3), min_samples=50, confidence=0.9)
    assert guard.params() == {
        "min_samples": 50,
        "confidence": 0.9,
        "bound": "hoeffding",
        "fallback": "last-good",
    }
    assert guard.label == "guardrail(epsilon-greedy)"
    assert guard.base.params()["epsilon"] == 0.3


def test_guardrail_satisfies_the_policy_protocol() -> None:
    from banditops.policies import Policy

    guard = Guardrail(Naive())
    assert isinstance(guard, Policy)
    assert guard.stochastic is False and Guardrail(EpsilonGreedy()).stochastic is True
