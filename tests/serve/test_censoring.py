"""Censoring is durable and does not wait for unrelated writes (finding 3)."""

from __future__ import annotations

import json

import pytest
from _testpolicies import factory
from conftest import rows_of, write_config

from banditops.serve.config import load_config
from banditops.serve.exceptions import DuplicateFeedbackError
from banditops.serve.router import Router, rebuild_replica


def _router(tmp_path, models_dir, now, timeout=100):
    path = write_config(tmp_path, models_dir, f"\n[feedback]\ntimeout_seconds = {timeout}\n")
    return Router(load_config(path), policy_factory=factory, clock=lambda: now[0])


def test_late_feedback_marks_the_decision_censored(tmp_path, models_dir, adult):
    """The tester's case: the due sweep ran inside the refused transaction and was lost."""
    X, _ = adult
    now = [1000.0]
    router = _router(tmp_path, models_dir, now)
    (decision,) = router.predict(rows_of(X, 0, 1))
    now[0] += 150
    with pytest.raises(DuplicateFeedbackError, match="censored"):
        router.feedback([{"decision_id": decision["decision_id"], "label": 1}])
    arm = router.arm(decision["arm"])
    assert (arm["pending"], arm["censored"]) == (0, 1), arm
    router.close()


@pytest.mark.parametrize("sweep_recent", [False, True])
def test_refused_late_feedback_still_censors_the_decision(
    tmp_path, models_dir, adult, sweep_recent
):
    X, _ = adult
    now = [1000.0]
    router = _router(tmp_path, models_dir, now)
    preds = router.predict(rows_of(X, 0, 3))
    now[0] += 60
    router.predict(rows_of(X, 3, 4))
    now[0] += 90  # 150 s after the first decisions, 90 s after the last one
    if sweep_recent:  # a sweep ran 1 s ago, just before the first decisions expired
        router._last_sweep = now[0] - 1
    replica = router._replica
    late = [{"decision_id": preds[0]["decision_id"], "label": 1}]
    with pytest.raises(DuplicateFeedbackError, match="censored"):
        router.feedback(late)
    assert router._replica is replica  # a refusal costs no rebuild
    by_arm = {a["id"]: a for a in router.arms()["arms"]}
    assert sum(a["censored"] for a in by_arm.values()) == 3  # durably, not rolled back
    assert sum(a["pending"] for a in by_arm.values()) == 1  # the 10 s younger decision
    assert by_arm[preds[0]["arm"]]["censored"] >= 1
    with pytest.raises(DuplicateFeedbackError, match="censored"):
        router.feedback(late)  # still refused, now as censored
    # a fresh router on the same ledger reads the same (the censor event is committed)
    router.close()
    again = Router(router.config, policy_factory=factory, clock=lambda: now[0])
    assert sum(a["censored"] for a in again.arms()["arms"]) == 3
    assert json.dumps(again.state(), sort_keys=True) == json.dumps(
        rebuild_replica(router.config, policy_factory=factory).state(), sort_keys=True
    )
    again.close()


def test_a_mixed_batch_with_one_late_item_is_refused_whole(tmp_path, models_dir, adult):
    X, _ = adult
    now = [1000.0]
    router = _router(tmp_path, models_dir, now)
    old = router.predict(rows_of(X, 0, 1))[0]
    now[0] += 150
    young = router.predict(rows_of(X, 1, 2))[0]
    router._last_sweep = now[0]  # as if a sweep had just run before the old one expired
    batch = [
        {"decision_id": young["decision_id"], "reward": 1.0},
        {"decision_id": old["decision_id"], "reward": 1.0},
    ]
    with pytest.raises(DuplicateFeedbackError):
        router.feedback(batch)
    arms = router.arms()["arms"]
    assert (sum(a["feedback"] for a in arms), sum(a["censored"] for a in arms)) == (0, 1)
    router.feedback(batch[:1])  # the young one alone is accepted
    router.close()


def test_reads_sweep_without_any_write(tmp_path, models_dir, adult):
    X, _ = adult
    now = [1000.0]
    router = _router(tmp_path, models_dir, now, timeout=40)
    router.predict(rows_of(X, 0, 5))
    now[0] += 41
    assert sum(a["censored"] for a in router.arms()["arms"]) == 5  # /arms swept
    router.predict(rows_of(X, 5, 7))
    now[0] += 41
    head = router.counters()["head"]  # /metrics swept
    assert sum(int(r.censored) for r in router.counters()["arms"]) == 7
    assert head == router.state()["seq"]
    router.close()


def test_the_app_timer_sweeps_an_idle_deployment(tmp_path, models_dir, adult):
    import time

    from fastapi.testclient import TestClient

    from banditops.serve.app import create_app

    X, _ = adult
    path = write_config(tmp_path, models_dir, "\n[feedback]\ntimeout_seconds = 0.4\n")
    with TestClient(create_app(load_config(path), policy_factory=factory)) as client:
        router = client.app.state.router
        client.post("/predict", json={"rows": rows_of(X, 0, 4)})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with router.store.read() as conn:
                from sqlalchemy import func, select

                from banditops.serve.store import decisions_table

                censored = conn.execute(
                    select(func.count()).where(decisions_table.c.status == "censored")
                ).scalar_one()
            if censored == 4:
                break
            time.sleep(0.05)
        assert censored == 4  # no request touched the router after the prediction
