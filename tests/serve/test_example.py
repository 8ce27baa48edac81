"""examples/deployment.toml and examples/request.json run on versions trained on adult."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import DATA_DIR

ROOT = Path(__file__).parents[2]


def test_example_deployment_serves_the_sample_request(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from banditops.serve.app import create_app
    from banditops.serve.config import load_config
    from banditops.serve.example import build_example_models

    shutil.copy(ROOT / "examples" / "deployment.toml", tmp_path / "deployment.toml")
    build_example_models(tmp_path / "models", data_dir=str(DATA_DIR), rows=2000)
    monkeypatch.setenv("BANDITOPS_TOKEN", "example-token-123")
    request = json.loads((ROOT / "examples" / "request.json").read_text())
    with TestClient(create_app(load_config(tmp_path / "deployment.toml"))) as client:
        reply = client.post("/predict", json=request)
        assert reply.status_code == 200, reply.text
        assert len(reply.json()["predictions"]) == len(request["rows"])
        arms = client.get("/arms").json()["arms"]
        assert [a["id"] for a in arms] == ["logreg@1", "naive-bayes@2", "random-forest@3"]
