"""Rollback to a version the guardrail quarantined really makes it serve (finding 2)."""

from __future__ import annotations

import json

from conftest import TOKEN, rows_of, write_config
from fastapi.testclient import TestClient

from banditops.serve.app import create_app
from banditops.serve.config import load_config
from banditops.serve.router import Router, rebuild_replica

AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXTRA = "\n[guardrail]\nmin_samples = 30\n"


def _drive(client, X, y, start: int, chunks: int, size: int = 25) -> list[str]:
    served = []
    for k in range(chunks):
        lo = start + k * size
        preds = client.post("/predict", json={"rows": rows_of(X, lo, lo + size)}).json()
        preds = preds["predictions"]
        served += [p["arm"] for p in preds]
        items = [{"decision_id": p["decision_id"], "label": int(y[lo + i])} for i, p in
                 enumerate(preds)]  # fmt: skip
        assert client.post("/feedback", json={"feedback": items}).status_code == 200
    return served


def _canonical(state) -> str:
    return json.dumps(state, sort_keys=True)


def test_rollback_lifts_the_guardrail_quarantine(tmp_path, models_dir, adult):
    X, y = adult
    path = write_config(
        tmp_path, models_dir, EXTRA, policy="epsilon-greedy", params="epsilon = 0.5"
    )
    config = load_config(path)
    with TestClient(create_app(config)) as client:  # the real registry and Guardrail
        _drive(client, X, y, 0, 40)
        arms = {a["id"]: a for a in client.get("/arms").json()["arms"]}
        assert arms["logreg@3"]["status"] == "quarantined"
        assert arms["logreg@3"]["status_reason"].startswith("logreg@3: upper bound")
        reply = client.post("/arms/logreg@3/rollback", headers=AUTH)
        assert reply.status_code == 200 and reply.json()["status"] == "active"
        assert reply.json()["share"] > 0  # /arms tells the truth: the policy will serve it
        state = client.get("/state", headers=AUTH).json()["state"]
        assert "logreg@3" not in state["policy"]["quarantined"]
        assert state["policy"]["stats"]["logreg@3"]["count"] == 0  # fresh evidence
        served = [
            p["arm"]
            for p in client.post("/predict", json={"rows": rows_of(X, 1000, 1300)}).json()[
                "predictions"
            ]
        ]
        assert served.count("logreg@3") > 20
        event = client.get("/arms").json()["events"][-1]
        assert (event["kind"], event["arm"], event["status"], event["source"]) == (
            "status", "logreg@3", "active", "admin",
        )  # fmt: skip
        assert event["released_quarantine"] is True
        # the live state after the release equals a rebuild from the ledger
        assert _canonical(client.app.state.router.state()) == _canonical(
            rebuild_replica(config).state()
        )
        # new evidence only: the broken version is quarantined again once it has
        # min_samples rewards observed after the rollback
        _drive(client, X, y, 1300, 30)
        view = client.get("/arms").json()
        assert {a["id"]: a for a in view["arms"]}["logreg@3"]["status"] == "quarantined"
        again = [e for e in view["events"] if e["kind"] == "status" and e["seq"] > event["seq"]]
        assert again[0]["arm"] == "logreg@3" and again[0]["source"] == "guardrail"
    # a restarted router (snapshot + replay) agrees with the rebuild
    router = Router(config)
    assert _canonical(router.state()) == _canonical(rebuild_replica(config).state())
    router.close()


def test_rollback_of_an_arm_the_guardrail_never_held_adds_no_release(make_client):
    client = make_client()
    client.post("/arms/logreg@1/rollback", headers=AUTH)  # quarantines the two newer ones
    reply = client.post("/arms/naive-bayes@2/rollback", headers=AUTH)
    assert reply.status_code == 200 and reply.json()["status"] == "active"
    events = [e for e in client.get("/arms").json()["events"] if e["kind"] == "status"]
    assert events[-1]["arm"] == "naive-bayes@2" and "released_quarantine" not in events[-1]
