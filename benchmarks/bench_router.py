"""Router speed on this machine: decision time, HTTP overhead, feedback ingestion.

Prints p50/p99 latencies and ratios against the baseline measured in the same run:
calling the served model directly (one row, in process). Bounded: a few hundred
requests per measurement, well under two minutes. Traffic goes to 127.0.0.1 only.

    PYTHONPATH=src python benchmarks/bench_router.py
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from banditops.data.datasets import load_dataset  # noqa: E402
from banditops.data.stream import stream_order  # noqa: E402
from banditops.serve.config import load_config  # noqa: E402
from banditops.serve.example import build_example_models  # noqa: E402
from banditops.serve.router import Router  # noqa: E402

N = 300


def pct(samples: list[float]) -> tuple[float, float]:
    arr = np.asarray(samples) * 1e3
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def timed(fn, n: int = N) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def json_row(frame, i: int) -> dict:
    row = frame.iloc[i].to_dict()
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}


def main() -> None:
    data_dir = os.environ.get("BANDITOPS_DATA_DIR", str(ROOT / ".." / "shared" / "data"))
    work = Path(tempfile.mkdtemp(prefix="bench-router-"))
    try:
        shutil.copy(ROOT / "examples" / "deployment.toml", work / "deployment.toml")
        build_example_models(work / "models", data_dir=data_dir, rows=4000)
        os.environ.setdefault("BANDITOPS_TOKEN", "bench-token-123")
        config = load_config(work / "deployment.toml")
        data = load_dataset("adult", data_dir=data_dir, download=False)
        order = stream_order(data, seed=0)[8000 : 8000 + 2 * N]
        X = data.X.iloc[order].reset_index(drop=True)
        rows = [json_row(X, i) for i in range(len(X))]

        router = Router(config)
        model = router.models["logreg@1"]
        one = X.iloc[[0]]
        base = timed(lambda: model.predict(one))
        replica = router._replica
        live = replica.live()
        policy = replica.policy
        decide = timed(lambda: (policy.probabilities(live), policy.select(live, 1)))
        i = iter(range(10**9))
        routed = timed(lambda: router.predict([rows[next(i) % len(rows)]]))
        router.close()

        port = free_port()
        env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
        (work / "banditops-state.sqlite").unlink(missing_ok=True)
        code = (
            "from banditops.serve import run; "
            f"run({str(work / 'deployment.toml')!r}, '127.0.0.1', {port}, 1, log_level='warning')"
        )
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_up(url)
            with httpx.Client(base_url=url, timeout=30) as http:
                ids: list[str] = []

                def post_one() -> None:
                    reply = http.post("/predict", json={"row": rows[len(ids) % len(rows)]})
                    ids.append(reply.json()["predictions"][0]["decision_id"])

                http_predict = timed(post_one)
                batch = {"rows": rows[:100]}
                http_batch = timed(lambda: http.post("/predict", json=batch), n=30)
                health = timed(lambda: http.get("/health"))
                start = time.perf_counter()
                for d in ids:
                    http.post("/feedback", json={"decision_id": d, "reward": 1.0})
                single_rate = len(ids) / (time.perf_counter() - start)
                more = []
                for _ in range(10):
                    more += [
                        p["decision_id"]
                        for p in http.post("/predict", json=batch).json()["predictions"]
                    ]
                start = time.perf_counter()
                for k in range(0, len(more), 100):
                    items = [{"decision_id": d, "reward": 0.5} for d in more[k : k + 100]]
                    http.post("/feedback", json={"feedback": items})
                batch_rate = len(more) / (time.perf_counter() - start)
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)

        b50, b99 = pct(base)
        label = "baseline: model.predict, 1 row, in process"
        print(f"{label:45s} p50 {b50:7.3f} ms  p99 {b99:7.3f} ms")
        for name, samples in (
            ("policy decision (probabilities+select)", decide),
            ("Router.predict in process (durable)", routed),
            ("HTTP POST /predict, 1 row", http_predict),
            ("HTTP GET /health", health),
        ):
            p50, p99 = pct(samples)
            print(
                f"{name:45s} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms   "
                f"x{p50 / b50:6.1f} / x{p99 / b99:6.1f} baseline"
            )
        p50, p99 = pct(http_predict)
        print(
            "HTTP routing overhead over the direct model call: "
            f"p50 {p50 - b50:.3f} ms, p99 {p99 - b99:.3f} ms"
        )
        p50, p99 = pct(http_batch)
        print(
            f"{'HTTP POST /predict, 100 rows':45s} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms   "
            f"({100 / p50 * 1e3:.0f} rows/s)"
        )
        print(f"feedback ingestion, 1 item per request: {single_rate:8.0f} items/s")
        print(
            f"feedback ingestion, 100 items per request: {batch_rate:8.0f} items/s  "
            f"(x{batch_rate / single_rate:.1f})"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


if __name__ == "__main__":
    main()
