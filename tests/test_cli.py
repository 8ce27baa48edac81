"""The command line: output, files, and clear errors with exit code 2."""

import gzip
import json
import shutil

import pytest

from banditops.cli import main, parse_param
from banditops.errors import ConfigError

SMALL = [
    "--chunk-size",
    "2000",
    "--families",
    "logreg,naive-bayes",
    "--warmup-chunks",
    "2",
    "--retrain-every",
    "3",
    "--train-window",
    "4",
    "--seeds",
    "2",
    "-q",
]


def test_simulate_json_and_files(shared_data_dir, tmp_path, capsys):
    code = main(
        [
            "simulate",
            "--dataset",
            "vehicle-claims",
            "--data-dir",
            str(shared_data_dir),
            "--out",
            str(tmp_path),
            "--json",
            *SMALL,
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert {"dataset", "rows", "chunks", "seeds", "strategies", "oracle"} <= set(summary)
    assert summary["dataset"] == "vehicle-claims" and summary["rows"] == 15420
    for s in summary["strategies"].values():
        assert {
            "mean_reward",
            "ci95",
            "regret",
            "switches",
            "rollbacks",
            "served_rows",
            "metrics",
        } <= set(s)
        assert s["mean_reward"] <= summary["oracle"]["mean_reward"]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["seeds"] == [0, 1] and results["config"]["chunk_size"] == 2000
    assert (tmp_path / "summary.csv").read_text().count("\n") == 7 + 1  # header, 6, oracle


def test_simulate_table(shared_data_dir, tmp_path, capsys):
    code = main(
        [
            "simulate",
            "--dataset",
            "vehicle-claims",
            "--data-dir",
            str(shared_data_dir),
            "--out",
            str(tmp_path),
            "--strategies",
            "naive,thompson",
            *SMALL,
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "thompson" in out and "oracle" in out and "95% CI" in out
    assert "reward cost (cost_ratio=10.0)" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "census"], "unknown dataset 'census'"),
        (["--dataset", "adult", "--strategies", "naive,greedy"], "unknown strategy 'greedy'"),
        (["--dataset", "adult", "--param", "ucb.c=-1", "--strategies", "ucb"], "c must"),
        (["--dataset", "adult", "--param", "ucb.gamma=1", "--strategies", "ucb"], "gamma"),
        (["--dataset", "adult", "--param", "nonsense"], "STRATEGY.KEY=VALUE"),
        (["--dataset", "adult", "--seeds", "0"], "seeds"),
        (["--dataset", "vehicle-claims", "--chunk-size", "99999"], "15420"),
        (["--dataset", "adult", "--cost-ratio", "0.5", "--reward", "cost"], "cost_ratio"),
        (["--dataset", "adult", "--families", "svm"], "unknown model family"),
        (["--dataset", "adult", "--strategies", ""], "names no strategy"),
        (["--dataset", "adult", "--strategies", " , "], "names no strategy"),
        (["--dataset", "adult", "--cost-ratio", "5"], "'accuracy' has no parameter 'cost_ratio'"),
    ],
)
def test_bad_input_is_a_clear_error(args, message, shared_data_dir, tmp_path, capsys):
    code = main(["simulate", "--data-dir", str(shared_data_dir), "--out", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err


def test_missing_data_file_says_where_to_put_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BANDITOPS_DATA_DIR", raising=False)
    monkeypatch.setenv("BANDITOPS_CACHE_DIR", str(tmp_path / "cache"))
    code = main(
        [
            "simulate",
            "--dataset",
            "vehicle-claims",
            "--data-dir",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "fraud_oracle.csv not found" in err and str(tmp_path) in err
    code = main(["simulate", "--dataset", "creditcard", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "creditcard.csv" in err
    assert "76274b691b16a6c49d3f159c883398e03ccd6d1ee12d9d8ee38f4b4b98551a89" in err


def test_corrupt_data_file_names_the_file(shared_data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BANDITOPS_DATA_DIR", raising=False)
    target = tmp_path / "fraud"
    target.mkdir()
    with gzip.open(shared_data_dir / "fraud" / "fraud_oracle.csv.gz", "rb") as src:
        data = bytearray(src.read())
    data[5000] = ord("X") if data[5000] != ord("X") else ord("Y")
    (target / "fraud_oracle.csv").write_bytes(bytes(data))
    code = main(["simulate", "--dataset", "vehicle-claims", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "fraud_oracle.csv" in err and "sha256" in err
    shutil.rmtree(target)


def test_parse_param():
    assert parse_param("epsilon-greedy.epsilon=0.05") == ("epsilon-greedy", "epsilon", 0.05)
    assert parse_param("ab-test.max_test_rows=null") == ("ab-test", "max_test_rows", None)
    with pytest.raises(ConfigError):
        parse_param("epsilon=0.1")


def test_strategies_and_datasets_listings(capsys, tmp_path):
    from banditops.data.datasets import DATASETS
    from banditops.policies import POLICIES

    assert main(["strategies"]) == 0
    out = capsys.readouterr().out
    for name in POLICIES:
        assert name in out
    assert "epsilon=0.1" in out and "c=1.0" in out
    assert main(["datasets", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in DATASETS:
        assert name in out
    assert f"searched, in order: {tmp_path}" in out


def test_unwritable_output_fails_before_any_work(shared_data_dir, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = main(
        [
            "simulate",
            "--dataset",
            "adult",
            "--data-dir",
            str(shared_data_dir),
            "--out",
            str(blocker / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "cannot write to the output directory" in err
    assert "[banditops]" not in err  # nothing was trained or replayed
