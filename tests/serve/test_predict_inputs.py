"""/predict input validation: numbers the models cannot take, failing models (findings 1, 9)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import rows_of

from banditops.serve.router import FEATURE_MAX


def _head(client) -> int:
    return int(client.get("/health").json()["ledger_seq"])


@pytest.mark.parametrize("value", [10**400, 1e39, 3.5e38, -3.5e38, 10**39])
@pytest.mark.parametrize("models", [["random-forest@4"], ["logreg@1", "random-forest@4"]])
def test_numbers_beyond_float32_are_422_and_change_nothing(make_client, adult, value, models):
    X, _ = adult
    client = make_client(models=models)
    before = (_head(client), client.get("/arms").json()["arms"])
    for _ in range(3):  # whichever arm would be drawn
        reply = client.post("/predict", json={"row": rows_of(X, 0, 1)[0] | {"age": value}})
        assert reply.status_code == 422, reply.text
        assert "float32" in reply.text and len(reply.text) < 500
    assert (_head(client), client.get("/arms").json()["arms"]) == before


def test_largest_float32_is_served_by_a_forest(make_client, adult):
    X, _ = adult
    client = make_client(models=["random-forest@4"])
    rows = rows_of(X, 0, 2)
    rows[0]["capital-gain"], rows[1]["age"] = FEATURE_MAX, -FEATURE_MAX
    reply = client.post("/predict", json={"rows": rows})
    assert reply.status_code == 200, reply.text
    assert all(0 <= p["score"] <= 1 for p in reply.json()["predictions"])


class _Exploding:
    def predict_proba(self, X):
        raise ValueError("secret internals /srv/models: boom")


class _NaNScores:
    def predict_proba(self, X):
        return np.full((len(X), 2), np.nan)


@pytest.mark.parametrize("pipeline", [_Exploding(), _NaNScores()])
def test_a_failing_model_is_an_opaque_500_and_leaves_no_decision(make_client, adult, pipeline):
    X, _ = adult
    client = make_client(models=["logreg@1", "naive-bayes@2"])
    router = client.app.state.router
    good = router.models["naive-bayes@2"]
    router.models["naive-bayes@2"] = dataclasses.replace(good, pipeline=pipeline)
    head = _head(client)
    failed = 0
    for k in range(6):
        reply = client.post("/predict", json={"rows": rows_of(X, 10 * k, 10 * k + 10)})
        if reply.status_code == 500:
            failed += 1
            assert set(reply.json()) == {"detail", "error_id"}
            assert reply.json()["detail"] == "internal server error"
            assert "boom" not in reply.text and "nan" not in reply.text.lower()
        else:
            assert reply.status_code == 200
            assert {p["arm"] for p in reply.json()["predictions"]} == {"logreg@1"}
            head += 1
    assert failed
    assert _head(client) == head  # the failed requests appended nothing
    arms = {a["id"]: a for a in client.get("/arms").json()["arms"]}
    assert arms["naive-bayes@2"]["traffic"] == 0
    from banditops.serve.router import rebuild_replica

    router.models["naive-bayes@2"] = good
    assert router.state() == rebuild_replica(router.config, policy_factory=router._factory).state()
