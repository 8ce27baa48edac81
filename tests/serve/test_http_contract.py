"""The HTTP contract agrees with its documentation (finding 9)."""

from __future__ import annotations

import pytest

from banditops.serve.app import EXAMPLE_ROW, MAX_ERRORS, FeedbackItem


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe{}",  # not UTF-8
        b'{"decision_id": "a", "feedback": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # deep
        b'{"decision_id": "a", "label": 1' + b"1" * 5000 + b"}",  # an int of 5000 digits
        b'{"decision_id": "a", "label": ',  # truncated
    ],
    ids=["utf8", "nesting", "digits", "truncated"],
)
@pytest.mark.parametrize("endpoint", ["/feedback", "/predict"])
def test_malformed_json_is_422(make_client, raw, endpoint):
    client = make_client()
    reply = client.post(endpoint, content=raw, headers={"content-type": "application/json"})
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"][0]["type"] == "json_invalid"


def test_the_openapi_predict_example_is_accepted(make_client):
    client = make_client()
    schema = client.get("/openapi.json").json()["components"]["schemas"]["PredictRequest"]
    (example,) = schema["examples"]
    assert example == {"rows": [EXAMPLE_ROW]}
    reply = client.post("/predict", json=example)
    assert reply.status_code == 200, reply.text
    responses = client.get("/openapi.json").json()["paths"]["/predict"]["post"]["responses"]
    assert {"200", "401", "413", "422", "500", "503"} <= set(responses)


def _schema_accepts(schema, item) -> bool:
    """The one-of of the feedback item schema, evaluated by hand."""

    def has(names):
        return all(n in item for n in names)

    def branch(b):
        return has(b["required"]) and not has(b["not"]["required"])

    types = {"integer": int, "number": (int, float), "string": str}
    props = schema["properties"]
    typed = all(
        isinstance(v, types[props[k]["type"]]) and not isinstance(v, bool)
        for k, v in item.items()
        if k in props
    )
    return typed and set(item) <= set(props) and sum(map(branch, schema["oneOf"])) == 1


@pytest.mark.parametrize(
    "item",
    [
        {"decision_id": "a", "label": 1},
        {"decision_id": "a", "reward": 0.5},
        {"decision_id": "a", "label": 1, "reward": 0.5},
        {"decision_id": "a"},
        {"decision_id": "a", "label": None},
        {"decision_id": "a", "label": None, "reward": 0.5},
        {"decision_id": "a", "reward": None},
    ],
)
def test_feedback_schema_expresses_the_one_of(make_client, item):
    client = make_client()
    schema = client.get("/openapi.json").json()["components"]["schemas"]["FeedbackItem"]
    reply = client.post("/feedback", json=item)
    accepted_by_validation = reply.status_code != 422  # 404: valid, unknown decision
    assert _schema_accepts(schema, item) == accepted_by_validation, reply.text
    assert schema == FeedbackItem.model_json_schema()


def test_error_bodies_are_clean_and_bounded(make_client):
    client = make_client()
    both = client.post("/feedback", json={"decision_id": "a", "label": 1, "reward": 1.0})
    assert both.status_code == 422
    assert both.json()["detail"] == [
        {"loc": ["body"], "msg": "give exactly one of 'label' or 'reward'", "type": "value_error"}
    ]
    bad = client.post("/feedback", json={"feedback": [{"decision_id": "a", "label": 7}]})
    assert bad.json()["detail"][0]["loc"] == ["body", "feedback", 0, "label"]
    junk = {"decision_id": "a", "label": 1} | {f"{'k' * 5000}{i}": 1 for i in range(200)}
    reply = client.post("/feedback", json=junk)
    assert reply.status_code == 422
    detail = reply.json()["detail"]
    assert len(detail) == MAX_ERRORS + 1 and detail[-1]["msg"] == "and 180 more errors"
    assert len(reply.text) < 5000
    row = client.post("/predict", json={"row": {"age": [1]}}).json()["detail"]
    assert row == [
        {
            "loc": ["body", "row", "age"],
            "msg": "a feature value must be a number, a string or null",
            "type": "value_error",
        }
    ]
    for answer in (both, bad, reply):
        assert "function-" not in answer.text and "FeedbackItem" not in answer.text
