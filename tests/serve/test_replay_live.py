"""Live equals offline: a real adult stream through a real uvicorn vs the replay engine."""

from __future__ import annotations

import pytest
from conftest import write_config

from banditops.serve.config import load_config
from banditops.serve.replay_live import compare_runs, replay_live, replay_offline


@pytest.mark.parametrize(
    ("policy", "params", "delay"),
    [("thompson", "", 1), ("epsilon-greedy", "epsilon = 0.2", 0), ("ucb", "", 2)],
)
def test_live_equals_offline(tmp_path, models_dir, adult, server_factory, policy, params, delay):
    X, y = adult
    X, y = X.iloc[2000:3500].reset_index(drop=True), y[2000:3500]  # rows no version saw
    path = write_config(tmp_path, models_dir, policy=policy, params=params, seed=21)
    server = server_factory(path)
    live = replay_live(server.url, X, y, chunk_size=50, label_delay=delay)
    offline = replay_offline(load_config(path), X, y, chunk_size=50, label_delay=delay)
    result = compare_runs(live, offline)
    assert result["rows"] == 1500
    assert result["identical"], result
    assert len(result["traffic_live"]) >= 2  # it really explored
    # every row whose feedback was due was rewarded
    due = sum(len(c) for c in live.rewards[: len(live.rewards) - 1 - delay])
    assert sum(r == r for chunk in live.rewards for r in chunk) == due


def test_replay_live_check_refuses_a_router_that_already_served(
    tmp_path, models_dir, adult, server_factory, shared_data_dir
):
    import httpx

    from banditops.errors import ConfigError
    from banditops.serve.replay_live import replay_live_check

    X, _ = adult
    path = write_config(tmp_path, models_dir, policy="thompson", params="", seed=21)
    server = server_factory(path)
    row = {k: (None if v != v else v) for k, v in X.iloc[0].to_dict().items()}
    assert httpx.post(f"{server.url}/predict", json={"row": row}).status_code == 200
    with pytest.raises(ConfigError, match="live equals offline only from a fresh start"):
        replay_live_check(str(path), server.url, data_dir=str(shared_data_dir), n_chunks=2)
