"""The HTTP contract, through FastAPI's TestClient, on versions trained on real adult rows."""

from __future__ import annotations

import json

import pytest
from conftest import TOKEN, rows_of

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_predict_one_row_and_a_batch(make_client, adult):
    X, _ = adult
    client = make_client()
    one = client.post("/predict", json={"row": rows_of(X, 0, 1)[0]})
    assert one.status_code == 200
    [item] = one.json()["predictions"]
    assert set(item) == {"prediction", "score", "arm", "decision_id", "propensity"}
    assert item["arm"] in {"logreg@1", "naive-bayes@2", "logreg@3"}
    assert 0 < item["propensity"] <= 1 and item["prediction"] in (0, 1)
    batch = client.post("/predict", json={"rows": rows_of(X, 1, 51)}).json()["predictions"]
    assert len(batch) == 50 and len({p["decision_id"] for p in batch}) == 50
    # the broken version (threshold 0) flags every row it serves
    assert all(p["prediction"] == 1 for p in batch if p["arm"] == "logreg@3")


def test_feedback_label_and_reward_then_arms(make_client, adult):
    X, y = adult
    client = make_client()
    preds = client.post("/predict", json={"rows": rows_of(X, 0, 20)}).json()["predictions"]
    items = [{"decision_id": p["decision_id"], "label": int(y[i])} for i, p in enumerate(preds)]
    reply = client.post("/feedback", json={"feedback": items[:19]})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["accepted"] == 19
    for i, res in enumerate(body["results"]):
        assert res["reward"] == float(preds[i]["prediction"] == y[i])
    single = client.post(
        "/feedback", json={"decision_id": preds[19]["decision_id"], "reward": 0.25}
    )
    assert single.status_code == 200 and single.json()["results"][0]["reward"] == 0.25
    arms = client.get("/arms").json()
    assert sum(a["traffic"] for a in arms["arms"]) == 20
    assert sum(a["feedback"] for a in arms["arms"]) == 20
    assert sum(a["pending"] for a in arms["arms"]) == 0
    assert abs(sum(a["share"] for a in arms["arms"]) - 1) < 1e-9
    assert [e["kind"] for e in arms["events"]] == ["register"] * 3


def test_feedback_is_idempotent_and_atomic(make_client, adult):
    X, _ = adult
    client = make_client()
    preds = client.post("/predict", json={"rows": rows_of(X, 0, 3)}).json()["predictions"]
    first = {"decision_id": preds[0]["decision_id"], "reward": 1.0}
    assert client.post("/feedback", json=first).status_code == 200
    again = client.post("/feedback", json=first)
    assert again.status_code == 409 and "already has feedback" in again.json()["detail"]
    # a batch with one bad id changes nothing
    batch = [{"decision_id": preds[1]["decision_id"], "reward": 1.0}, first]
    assert client.post("/feedback", json={"feedback": batch}).status_code == 409
    unknown = [
        {"decision_id": preds[1]["decision_id"], "reward": 1.0},
        {"decision_id": "no-such-decision", "reward": 1.0},
    ]
    assert client.post("/feedback", json={"feedback": unknown}).status_code == 404
    dup = [{"decision_id": preds[2]["decision_id"], "reward": 1.0}] * 2
    assert client.post("/feedback", json={"feedback": dup}).status_code == 409
    arms = client.get("/arms").json()["arms"]
    assert sum(a["feedback"] for a in arms) == 1
    assert sum(a["reward_sum"] for a in arms) == 1.0


@pytest.mark.parametrize(
    "raw",
    [
        '{"decision_id": "%s", "reward": NaN}',
        '{"decision_id": "%s", "reward": Infinity}',
        '{"decision_id": "%s", "reward": -Infinity}',
        '{"decision_id": "%s", "reward": 1.5}',
        '{"decision_id": "%s", "reward": -0.1}',
        '{"decision_id": "%s", "reward": "0.5"}',
        '{"decision_id": "%s", "reward": true}',
        '{"decision_id": "%s", "reward": [1]}',
        '{"decision_id": "%s", "label": 2}',
        '{"decision_id": "%s", "label": true}',
        '{"decision_id": "%s", "label": "1"}',
        '{"decision_id": "%s", "label": 0.5}',
        '{"decision_id": "%s"}',
        '{"decision_id": "%s", "label": 1, "reward": 1.0}',
        '{"decision_id": "%s", "reward": 1.0, "extra": 1}',
        '{"decision_id": "%s", "reward": 1.0',
    ],
)
def test_invalid_feedback_is_422_and_changes_nothing(make_client, adult, raw):
    X, _ = adult
    client = make_client()
    [pred] = client.post("/predict", json={"row": rows_of(X, 0, 1)[0]}).json()["predictions"]
    reply = client.post(
        "/feedback", content=raw % pred["decision_id"], headers={"content-type": "application/json"}
    )
    assert reply.status_code == 422, reply.text
    assert "Traceback" not in reply.text
    # the decision can still take its (valid) feedback: nothing was stored
    ok = client.post("/feedback", json={"decision_id": pred["decision_id"], "reward": 1.0})
    assert ok.status_code == 200


def test_unknown_decision_is_404(make_client):
    client = make_client()
    reply = client.post("/feedback", json={"decision_id": "0" * 36, "label": 1})
    assert reply.status_code == 404 and "unknown decision" in reply.json()["detail"]


@pytest.mark.parametrize(
    ("row_patch", "fragment"),
    [
        ({"age": "old"}, "must be a number"),
        ({"age": True}, "age"),
        ({"workclass": 3}, "must be a string"),
        ({"surprise": 1}, "unknown feature"),
        ({"age": float("nan")}, "age"),
    ],
)
def test_invalid_rows_are_422(make_client, adult, row_patch, fragment):
    X, _ = adult
    client = make_client()
    row = rows_of(X, 0, 1)[0] | row_patch
    reply = client.post(
        "/predict",
        content=json.dumps({"row": row}),  # json.dumps writes NaN, which the server refuses
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 422, reply.text
    assert fragment in reply.text


def test_missing_column_and_bad_shapes_are_422(make_client, adult):
    X, _ = adult
    client = make_client()
    row = rows_of(X, 0, 1)[0]
    del row["age"]
    assert client.post("/predict", json={"row": row}).status_code == 422
    assert client.post("/predict", json={"rows": []}).status_code == 422
    assert client.post("/predict", json={"row": {}, "rows": []}).status_code == 422
    assert client.post("/predict", json=[1, 2]).status_code == 422
    assert (
        client.post(
            "/predict", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    # missing values are fine: null
    ok = client.post(
        "/predict", json={"row": rows_of(X, 0, 1)[0] | {"age": None, "workclass": None}}
    )
    assert ok.status_code == 200


def test_size_limits_are_413(make_client, adult):
    X, _ = adult
    client = make_client(extra="\n[limits]\nmax_rows = 10\nmax_body_bytes = 20000\n")
    assert client.post("/predict", json={"rows": rows_of(X, 0, 11)}).status_code == 413
    assert client.post("/predict", json={"rows": rows_of(X, 0, 10)}).status_code == 200
    huge = b'{"rows": [' + b"1," * 20000 + b"1]}"
    reply = client.post("/predict", content=huge, headers={"content-type": "application/json"})
    assert reply.status_code == 413
    assert client.get("/arms").json()["seq"] == 4  # 3 registrations + one decision


def test_admin_endpoints_need_the_token(make_client, models_dir):
    client = make_client(models=["logreg@1", "naive-bayes@2"])
    path = str(models_dir / "logreg@3.skops")
    assert client.post("/arms", json={"path": path}).status_code == 401
    bad = client.post("/arms", json={"path": path}, headers={"Authorization": "Bearer nope-nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    assert client.post("/arms/logreg@1/retire").status_code == 401
    assert client.post("/arms/logreg@1/rollback").status_code == 401
    assert client.get("/state").status_code == 401
    added = client.post("/arms", json={"path": path}, headers=AUTH)
    assert added.status_code == 201 and added.json()["id"] == "logreg@3"
    assert client.post("/arms", json={"path": path}, headers=AUTH).status_code == 409
    assert client.post("/arms/nope/retire", headers=AUTH).status_code == 404
    retired = client.post("/arms/naive-bayes@2/retire", headers=AUTH)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert client.post("/arms/naive-bayes@2/retire", headers=AUTH).status_code == 409
    assert client.post("/arms/naive-bayes@2/rollback", headers=AUTH).status_code == 409
    back = client.post("/arms/logreg@1/rollback", headers=AUTH)
    assert back.status_code == 200
    status = {a["id"]: a["status"] for a in client.get("/arms").json()["arms"]}
    assert status == {"logreg@1": "active", "naive-bayes@2": "retired", "logreg@3": "quarantined"}
    # the last active arm cannot be retired; then everything serves from logreg@1
    assert client.post("/arms/logreg@1/retire", headers=AUTH).status_code == 409
    X_row = client.get("/arms").json()
    assert X_row["events"][-1]["reason"] == "rollback to logreg@1"


def test_register_refuses_untrusted_locations(make_client, tmp_path_factory, models_dir):
    import shutil

    client = make_client(models=["logreg@1"])
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    for suffix in (".skops", ".json"):
        shutil.copy(models_dir / f"logreg@3{suffix}", elsewhere / f"logreg@3{suffix}")
    reply = client.post("/arms", json={"path": str(elsewhere / "logreg@3.skops")}, headers=AUTH)
    assert reply.status_code == 400 and "outside the trusted directories" in reply.json()["detail"]


def test_predict_token_required_when_configured(tmp_path, models_dir, adult):
    from _testpolicies import factory
    from conftest import write_config
    from fastapi.testclient import TestClient

    from banditops.serve.app import create_app
    from banditops.serve.config import load_config

    path = write_config(tmp_path, models_dir)
    path.write_text(path.read_text().replace("[security]", "[security]\nprotect_predict = true"))
    X, _ = adult
    with TestClient(create_app(load_config(path), policy_factory=factory)) as client:
        row = {"row": rows_of(X, 0, 1)[0]}
        assert client.post("/predict", json=row).status_code == 401
        assert client.post("/predict", json=row, headers=AUTH).status_code == 200
        assert client.get("/health").status_code == 200  # health stays open


def test_no_token_disables_admin(tmp_path, models_dir):
    from _testpolicies import factory
    from conftest import write_config
    from fastapi.testclient import TestClient

    from banditops.serve.app import create_app
    from banditops.serve.config import load_config

    path = write_config(tmp_path, models_dir)
    path.write_text(path.read_text().replace(f'token = "{TOKEN}"', ""))
    with TestClient(create_app(load_config(path), policy_factory=factory)) as client:
        assert client.post("/arms/logreg@1/retire", headers=AUTH).status_code == 403


def test_metrics_health_and_openapi(make_client, adult):
    from prometheus_client.parser import text_string_to_metric_families

    X, y = adult
    client = make_client()
    preds = client.post("/predict", json={"rows": rows_of(X, 0, 10)}).json()["predictions"]
    client.post(
        "/feedback",
        json={
            "feedback": [
                {"decision_id": p["decision_id"], "label": int(y[i])} for i, p in enumerate(preds)
            ]
        },
    )
    text = client.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    decisions = sum(
        s.value for s in families["banditops_decisions"].samples if s.name.endswith("_total")
    )
    assert decisions == 10
    feedback = sum(
        s.value for s in families["banditops_feedback"].samples if s.name.endswith("_total")
    )
    assert feedback == 10
    assert "banditops_request_seconds" in families
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["active_arms"] == 3 and health["store"] == "sqlite"
    schema = client.get("/openapi.json").json()
    for name in (
        "PredictRequest",
        "PredictResponse",
        "FeedbackItem",
        "FeedbackBatch",
        "ArmsResponse",
    ):
        assert name in schema["components"]["schemas"]
    assert "409" in schema["paths"]["/feedback"]["post"]["responses"]


def test_internal_errors_do_not_leak(tmp_path, models_dir, adult):
    from _testpolicies import EpsilonGreedyForTests
    from conftest import write_config
    from fastapi.testclient import TestClient

    from banditops.serve.app import create_app
    from banditops.serve.config import load_config

    class Exploding(EpsilonGreedyForTests):
        def _select(self, arms, n):
            raise RuntimeError("secret internal detail")

    config = load_config(write_config(tmp_path, models_dir))
    app = create_app(config, policy_factory=lambda c: Exploding(seed=1))
    X, _ = adult
    with TestClient(app, raise_server_exceptions=False) as client:
        reply = client.post("/predict", json={"row": rows_of(X, 0, 1)[0]})
        assert reply.status_code == 500
        assert "secret" not in reply.text and "Traceback" not in reply.text
        assert set(reply.json()) == {"detail", "error_id"}
        # nothing was logged as a decision
        assert client.get("/arms").json()["seq"] == 3
