"""A real uvicorn on 127.0.0.1 (subprocess): round trip, kill -9 crash, concurrent feedback.

Bounded loops only; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from _testpolicies import factory
from conftest import TOKEN, rows_of, write_config
from sqlalchemy import select

from banditops.serve.config import load_config
from banditops.serve.router import rebuild_replica
from banditops.serve.store import LedgerStore, decisions_table, feedback_table

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def canonical(state) -> str:
    return json.dumps(state, sort_keys=True)


def test_real_server_round_trip(tmp_path, models_dir, adult, server_factory):
    X, y = adult
    server = server_factory(write_config(tmp_path, models_dir))
    with httpx.Client(base_url=server.url, timeout=30) as http:
        preds = http.post("/predict", json={"rows": rows_of(X, 0, 30)}).json()["predictions"]
        feedback = [
            {"decision_id": p["decision_id"], "label": int(y[i])} for i, p in enumerate(preds)
        ]
        assert http.post("/feedback", json={"feedback": feedback}).status_code == 200
        assert http.post("/feedback", json=feedback[0]).status_code == 409
        assert (
            http.post(
                "/feedback", content=b"{", headers={"content-type": "application/json"}
            ).status_code
            == 422
        )
        assert sum(a["feedback"] for a in http.get("/arms").json()["arms"]) == 30
        assert "banditops_decisions_total" in http.get("/metrics").text
        state = http.get("/state", headers=AUTH).json()["state"]
    config = load_config(server.config_path)
    assert canonical(state) == canonical(rebuild_replica(config, policy_factory=factory).state())


def test_kill9_loses_no_acknowledged_decision_or_feedback(
    tmp_path, models_dir, adult, server_factory
):
    X, y = adult
    path = write_config(tmp_path, models_dir, "\n[store]\nsnapshot_every = 25\n")
    server = server_factory(path)
    acked_decisions: list[str] = []
    acked_feedback: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            pending: list[dict] = []
            for k in range(2000):  # bounded; the kill ends it much earlier
                if stop.is_set():
                    return
                try:
                    start = (k * 5) % 5000
                    reply = http.post("/predict", json={"rows": rows_of(X, start, start + 5)})
                    if reply.status_code == 200:
                        preds = reply.json()["predictions"]
                        acked_decisions.extend(p["decision_id"] for p in preds)
                        pending += [
                            {"decision_id": p["decision_id"], "label": int(y[start + i])}
                            for i, p in enumerate(preds)
                        ]
                    if len(pending) >= 10:
                        batch, pending = pending[:5], pending[5:]
                        reply = http.post("/feedback", json={"feedback": batch})
                        if reply.status_code == 200:
                            acked_feedback.extend(item["decision_id"] for item in batch)
                except httpx.TransportError:
                    return

    thread = threading.Thread(target=load)
    thread.start()
    deadline = time.monotonic() + 20
    while len(acked_feedback) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()  # mid-load
    stop.set()
    thread.join(timeout=30)
    assert len(acked_decisions) >= 150 and len(acked_feedback) >= 150

    config = load_config(path)
    store = LedgerStore(config.store.url)
    with store.read() as conn:
        decisions = set(conn.execute(select(decisions_table.c.decision_id)).scalars())
        feedback = set(conn.execute(select(feedback_table.c.decision_id)).scalars())
    store.dispose()
    assert set(acked_decisions) <= decisions
    assert set(acked_feedback) <= feedback

    restarted = server_factory(path)
    with httpx.Client(base_url=restarted.url, timeout=30) as http:
        state = http.get("/state", headers=AUTH).json()["state"]
        assert canonical(state) == canonical(
            rebuild_replica(config, policy_factory=factory).state()
        )
        # and it keeps serving from there
        assert http.post("/predict", json={"rows": rows_of(X, 0, 5)}).status_code == 200


def _concurrent_feedback(server, X, n_decisions: int = 240, threads: int = 8):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        preds = []
        for start in range(0, n_decisions, 40):
            preds += http.post("/predict", json={"rows": rows_of(X, start, start + 40)}).json()[
                "predictions"
            ]
    rewards = {p["decision_id"]: (i % 4) / 4 for i, p in enumerate(preds)}
    # every decision is posted twice, from different threads: exactly one may count
    posts = [(d, r) for d, r in rewards.items()] * 2
    local = threading.local()
    clients: list[httpx.Client] = []

    def post(item):
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=server.url, timeout=60)
            clients.append(local.http)
        decision_id, reward = item
        return local.http.post(
            "/feedback", json={"decision_id": decision_id, "reward": reward}
        ).status_code

    try:
        with ThreadPoolExecutor(threads) as pool:
            codes = list(pool.map(post, posts))
    finally:
        for client in clients:
            client.close()
    return preds, rewards, codes


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_concurrent_feedback_two_workers_loses_nothing(
    backend, tmp_path, models_dir, adult, server_factory, request
):
    X, _ = adult
    store = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    path = write_config(tmp_path, models_dir, store=store)
    server = server_factory(path, workers=2)
    preds, rewards, codes = _concurrent_feedback(server, X)
    assert codes.count(200) == len(rewards)
    assert codes.count(409) == len(rewards)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        arms = http.get("/arms").json()["arms"]
        per_arm: dict[str, list[float]] = {}
        for p in preds:
            per_arm.setdefault(p["arm"], []).append(rewards[p["decision_id"]])
        for arm in arms:
            assert arm["traffic"] == len(per_arm.get(arm["id"], []))
            assert arm["feedback"] == len(per_arm.get(arm["id"], []))
            assert arm["reward_sum"] == pytest.approx(sum(per_arm.get(arm["id"], [])), abs=1e-9)
        state = http.get("/state", headers=AUTH).json()["state"]
    config = load_config(path)
    rebuilt = rebuild_replica(config, policy_factory=factory).state()
    assert canonical(state) == canonical(rebuilt)
    counts = {a: s["count"] for a, s in rebuilt["policy"]["stats"].items()}
    assert counts == {a: float(len(v)) for a, v in per_arm.items()} | {
        a: 0.0 for a in counts if a not in per_arm
    }
