"""Fixtures of the router tests: real adult data, trained versions, deployments, servers."""

from __future__ import annotations

import dataclasses
import gzip
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from _testpolicies import factory

from banditops.serve.artifacts import export_model
from banditops.serve.config import DeploymentConfig, load_config

ROOT = Path(__file__).parents[2]
DATA_DIR = ROOT / ".." / "shared" / "data"
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip
TOKEN = "test-admin-token-123"


def load_adult_slice(rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The first ``rows`` rows of adult.data (read-only, from ../shared/data)."""
    path = DATA_DIR / "adult" / "adult.data.gz"
    if not path.is_file():
        raise FileNotFoundError(
            f"the real adult data is missing at {path.resolve()}: the router tests need "
            "../shared/data beside the repository"
        )
    with gzip.open(path, "rt") as handle:
        frame = pd.read_csv(
            handle,
            header=None,
            names=ADULT_COLUMNS,
            skipinitialspace=True,
            na_values="?",
            nrows=rows,
        )
    y = (frame.pop("income").str.strip() == ">50K").astype(np.int8).to_numpy()
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].astype(object)
        else:
            frame[col] = frame[col].astype("float64")
    return frame, y


@pytest.fixture(scope="session")
def adult() -> tuple[pd.DataFrame, np.ndarray]:
    return load_adult_slice(6000)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory, adult) -> Path:
    """Three versions trained on real adult rows: two good ones and a broken one."""
    from banditops.models.pool import train_version
    from banditops.rewards import make_reward

    X, y = adult
    folder = tmp_path_factory.mktemp("models")
    reward = make_reward("accuracy")
    good = train_version(
        "logreg", X[:2000], y[:2000], reward=reward, created_at=1, train_window=(0, 1)
    )
    nb = train_version(
        "naive-bayes", X[:2000], y[:2000], reward=reward, created_at=2, train_window=(0, 1)
    )
    # training-serving skew stand-in: a newer version that flags everyone
    broken = dataclasses.replace(good, created_at=3, threshold=0.0)
    for version in (good, nb, broken):
        export_model(
            version,
            folder / f"{version.id}.skops",
            feature_dtypes=X.dtypes.astype(str).to_dict(),
            dataset="adult",
            reward="accuracy",
        )
    return folder


def write_config(folder: Path, models_dir: Path, extra: str = "", **opts) -> Path:
    """A deployment.toml in ``folder`` serving the versions of ``models_dir``."""
    models = opts.pop("models", ["logreg@1", "naive-bayes@2", "logreg@3"])
    policy = opts.pop("policy", "test-epsilon")
    params = opts.pop("params", "epsilon = 0.3")
    seed = opts.pop("seed", 11)
    store = opts.pop("store", None)
    assert not opts, opts
    model_list = ", ".join(f'"{(models_dir / (m + ".skops")).as_posix()}"' for m in models)
    text = f"""
seed = {seed}
models = [{model_list}]

[policy]
name = "{policy}"
params = {{ {params} }}

[security]
token = "{TOKEN}"
trusted_dirs = ["{models_dir.as_posix()}"]
"""
    if store:
        text += f'\n[store]\nurl = "{store}"\n'
    text += extra
    path = folder / "deployment.toml"
    path.write_text(text)
    return path


@pytest.fixture
def deployment(tmp_path, models_dir) -> DeploymentConfig:
    return load_config(write_config(tmp_path, models_dir))


@pytest.fixture
def make_client(tmp_path, models_dir):
    from fastapi.testclient import TestClient

    from banditops.serve.app import create_app

    clients = []

    def make(extra: str = "", folder: Path | None = None, **opts):
        folder = folder or tmp_path
        config = load_config(write_config(folder, models_dir, extra, **opts))
        client = TestClient(create_app(config, policy_factory=factory))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def rows_of(X: pd.DataFrame, start: int, stop: int) -> list[dict]:
    """JSON rows (NaN as null) of ``X[start:stop]``."""
    part = X.iloc[start:stop]
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in part.to_dict(orient="records")
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A real uvicorn on 127.0.0.1 serving a deployment, as a subprocess."""

    def __init__(self, config_path: Path, workers: int = 1) -> None:
        self.config_path = config_path
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = config_path.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 60.0) -> Server:
        env = os.environ | {
            "BANDITOPS_SERVE_CONFIG": str(self.config_path),
            "BANDITOPS_SERVE_POLICY_FACTORY": "_testpolicies:factory",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(Path(__file__).parent)]),
        }
        cmd = [
            sys.executable, "-m", "uvicorn", "banditops.serve.app:create_app_from_env",
            "--factory", "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers), "--log-level", "warning",
        ]  # fmt: skip
        self._log_handle = self.log.open("ab")
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self._log_handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()[-4000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    # with several workers, wait until each has started
                    time.sleep(0.5 if self.workers > 1 else 0)
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log.read_text()[-4000:]}")

    def kill9(self) -> None:
        """SIGKILL the whole process group (uvicorn and its workers)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, 9)
        self.proc.wait(timeout=30)
        self._log_handle.close()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, 15)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=20)
        self._log_handle.close()


@pytest.fixture
def server_factory() -> Iterator:
    servers: list[Server] = []

    def start(config_path: Path, workers: int = 1) -> Server:
        server = Server(config_path, workers).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server():
    """The session's throwaway PostgreSQL (fails the test, loudly, if it cannot start)."""
    from pgserver import PostgresServer

    try:
        server = PostgresServer(free_port()).start()
    except Exception as exc:  # never skip: the PostgreSQL tests must run for real
        pytest.fail(f"could not start a throwaway PostgreSQL server: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    return postgres_server.new_database()
