"""The ledger on a real PostgreSQL server (throwaway, started for the session)."""

from __future__ import annotations

import json

import pytest
from _testpolicies import factory
from conftest import rows_of, write_config

from banditops.serve.config import load_config
from banditops.serve.exceptions import DuplicateFeedbackError
from banditops.serve.router import Router, rebuild_replica

pytestmark = pytest.mark.postgres


def test_router_on_postgres_rebuilds_exactly(tmp_path, models_dir, adult, postgres_url):
    X, y = adult
    config = load_config(write_config(tmp_path, models_dir, store=postgres_url))
    router = Router(config, policy_factory=factory)
    assert router.health()["store"] == "postgresql"
    for k in range(6):
        preds = router.predict(rows_of(X, k * 20, (k + 1) * 20))
        router.feedback(
            [
                {"decision_id": p["decision_id"], "label": int(y[k * 20 + i])}
                for i, p in enumerate(preds)
            ]
        )
    with pytest.raises(DuplicateFeedbackError):
        router.feedback([{"decision_id": preds[0]["decision_id"], "reward": 1.0}])
    assert sum(a["feedback"] for a in router.arms()["arms"]) == 120
    live = json.dumps(router.state(), sort_keys=True)
    router.close()
    assert (
        json.dumps(rebuild_replica(config, policy_factory=factory).state(), sort_keys=True) == live
    )
