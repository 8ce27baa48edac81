"""Model sidecars are validated strictly on load; refusals are 400 (finding 5)."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import TOKEN

from banditops.serve.artifacts import load_model
from banditops.serve.exceptions import ArtifactError

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _copy(models_dir, folder, patch: dict, drop: tuple = ()) -> str:
    shutil.copy(models_dir / "naive-bayes@2.skops", folder / "m.skops")
    meta = json.loads((models_dir / "naive-bayes@2.json").read_text()) | {"id": "nb-x"} | patch
    for key in drop:
        meta.pop(key)
    (folder / "m.json").write_text(json.dumps(meta))
    return "m.skops"


BAD = [
    {"created_at": "abc"},
    {"created_at": 2.7},
    {"created_at": True},
    {"created_at": -1},
    {"created_at": 2**63},
    {"validation_score": "high"},
    {"validation_score": float("inf")},
    {"feature_dtypes": ["x"]},
    {"feature_dtypes": {"age": "nosuchtype"}},
    {"threshold": "nan"},
    {"threshold": 5},
    {"threshold": -0.1},
    {"threshold": True},
    {"feature_columns": "age"},
    {"feature_columns": []},
    {"feature_columns": ["age", "age"]},
    {"id": ""},
    {"id": "a/b"},
    {"id": "has space"},
    {"id": 7},
    {"id": "x" * 201},
    {"family": ""},
    {"sha256": "abc"},
    {"format_version": 2},
    {"dataset": 3},
    {"surprise": 1},
]


@pytest.mark.parametrize("patch", BAD, ids=[json.dumps(p)[:40] for p in BAD])
def test_register_refuses_a_bad_sidecar_with_400(make_client, models_dir, tmp_path, patch):
    client = make_client()
    before = client.get("/arms").json()
    reply = client.post("/arms", json={"path": _copy(models_dir, tmp_path, patch)}, headers=AUTH)
    assert reply.status_code == 400, reply.text
    assert "sidecar" in reply.json()["detail"] and len(reply.text) < 1000
    assert client.get("/arms").json() == before


@pytest.mark.parametrize("drop", ["feature_dtypes", "sha256", "id"])
def test_a_sidecar_missing_a_key_is_refused(models_dir, tmp_path, drop):
    path = tmp_path / _copy(models_dir, tmp_path, {}, drop=(drop,))
    with pytest.raises(ArtifactError, match=f"lacks \\['{drop}'\\]"):
        load_model(path, trusted_dirs=[tmp_path])


def test_sidecar_columns_must_be_the_fitted_ones(models_dir, tmp_path):
    meta = json.loads((models_dir / "naive-bayes@2.json").read_text())
    cols = list(reversed(meta["feature_columns"]))
    path = tmp_path / _copy(models_dir, tmp_path, {"feature_columns": cols})
    with pytest.raises(ArtifactError, match="was fitted on columns"):
        load_model(path, trusted_dirs=[tmp_path])


def test_sidecar_not_json_or_with_nan_is_refused(models_dir, tmp_path):
    path = tmp_path / _copy(models_dir, tmp_path, {})
    text = (tmp_path / "m.json").read_text()
    for bad in ["[1, 2]", text.replace('"threshold": ', '"threshold": NaN, "x": '), "\xff"]:
        (tmp_path / "m.json").write_text(bad, encoding="latin-1")
        with pytest.raises(ArtifactError, match="sidecar"):
            load_model(path, trusted_dirs=[tmp_path])


@pytest.mark.parametrize("path", ["a\x00.skops", "a" * 4096, "d/" * 3000 + "m.skops", "/"])
def test_register_a_bad_path_is_400(make_client, path):
    client = make_client()
    reply = client.post("/arms", json={"path": path}, headers=AUTH)
    assert reply.status_code in (400, 422), reply.text
    assert len(reply.text) < 1000


def test_register_a_valid_copy_is_201_and_openapi_lists_400(make_client, models_dir, tmp_path):
    client = make_client()
    reply = client.post("/arms", json={"path": _copy(models_dir, tmp_path, {})}, headers=AUTH)
    assert reply.status_code == 201, reply.text
    assert reply.json()["id"] == "nb-x"
    responses = client.get("/openapi.json").json()["paths"]["/arms"]["post"]["responses"]
    assert {"400", "401", "403", "409", "422"} <= set(responses)
