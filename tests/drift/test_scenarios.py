"""Drift scenarios change exactly what they claim, and nothing before their start chunk."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from banditops.data.drift import UNSEEN_LEVEL, parse_scenario, parse_scenarios, plan_drift
from banditops.data.stream import Stream, chunk_bounds
from banditops.errors import ConfigError, DataError

N_CHUNKS, CHUNK = 10, 200


def toy_stream() -> Stream:
    rng = np.random.default_rng(5)
    n = N_CHUNKS * CHUNK
    X = pd.DataFrame(
        {
            "x": np.arange(n, dtype=float),  # unique: identifies a row
            "z": rng.normal(size=n),
            "c": pd.Categorical(rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])),
        }
    )
    y = (rng.random(n) < 0.3).astype(np.int8)
    return Stream("toy", X, y, np.arange(n), chunk_bounds(n, CHUNK))


def chunk_rows(t: int) -> slice:
    return slice(t * CHUNK, (t + 1) * CHUNK)


SPECS = [
    "covariate:column=z,shift=2,start=4",
    "covariate:column=z,scale=3,shape=gradual,width=3,start=4",
    "covariate:column=c,level=c,weight=6,start=4",
    "covariate:column=c,level=b,shape=recurring,period=2,start=4",
    "prior:rate=0.6,start=4",
    "prior:rate=0.05,shape=gradual,width=4,start=4",
    "concept:column=c,level=a,start=4",
    "concept:column=z,low=0,mode=positive,start=4,shape=recurring,period=2",
]


@pytest.mark.parametrize("spec", SPECS)
def test_nothing_changes_before_the_start_chunk(spec: str) -> None:
    stream = toy_stream()
    plan = plan_drift([parse_scenario(spec)], stream)
    cut = 4 * CHUNK
    pd.testing.assert_frame_equal(
        plan.stream.X.iloc[:cut].astype({"x": float, "z": float}), stream.X.iloc[:cut]
    )
    np.testing.assert_array_equal(plan.stream.y[:cut], stream.y[:cut])
    assert len(plan.stream.X) == len(stream.X) and plan.stream.bounds.tolist() == list(
        stream.bounds
    )
    # something did change after it
    after_x = plan.stream.X.iloc[cut:]
    changed_x = not after_x.equals(stream.X.iloc[cut:])
    assert changed_x or not np.array_equal(plan.stream.y[cut:], stream.y[cut:])
    # the input stream is left alone
    pd.testing.assert_frame_equal(stream.X, toy_stream().X)


def test_prior_shift_hits_the_target_rate_and_keeps_chunk_sizes() -> None:
    stream = toy_stream()
    plan = plan_drift([parse_scenario("prior:rate=0.6,start=4")], stream)
    for t in range(4, N_CHUNKS):
        assert plan.stream.y[chunk_rows(t)].mean() == pytest.approx(round(0.6 * CHUNK) / CHUNK)
        # rows come from the same chunk (x identifies the original row)
        xs = plan.stream.X["x"].iloc[chunk_rows(t)]
        assert xs.between(t * CHUNK, (t + 1) * CHUNK - 1).all()
        # features travel with their label
        original = stream.y[xs.to_numpy().astype(int)]
        np.testing.assert_array_equal(original, plan.stream.y[chunk_rows(t)])


def test_gradual_prior_shift_ramps_linearly() -> None:
    stream = toy_stream()
    plan = plan_drift([parse_scenario("prior:rate=0.9,shape=gradual,width=4,start=4")], stream)
    for step, t in enumerate(range(4, 8), start=1):
        own = stream.y[chunk_rows(t)].mean()
        target = own + step / 4 * (0.9 - own)
        assert plan.stream.y[chunk_rows(t)].mean() == pytest.approx(round(target * CHUNK) / CHUNK)
    assert plan.stream.y[chunk_rows(9)].mean() == pytest.approx(0.9)


def test_numeric_covariate_shift_moves_exactly_that_column() -> None:
    stream = toy_stream()
    plan = plan_drift([parse_scenario("covariate:column=z,shift=2,scale=0.5,start=4")], stream)
    ref = stream.X["z"].iloc[: 4 * CHUNK]
    mean, std = ref.mean(), ref.std(ddof=0)
    after = slice(4 * CHUNK, None)
    expected = mean + 0.5 * (stream.X["z"].iloc[after] - mean) + 2 * std
    np.testing.assert_allclose(plan.stream.X["z"].iloc[after], expected)
    pd.testing.assert_frame_equal(plan.stream.X[["x", "c"]], stream.X[["x", "c"]])
    np.testing.assert_array_equal(plan.stream.y, stream.y)
    assert plan.scenarios[0]["params"]["method"] == "replace values"


def test_categorical_reweighting_resamples_rows_of_the_chunk() -> None:
    stream = toy_stream()
    plan = plan_drift([parse_scenario("covariate:column=c,level=c,weight=6,start=4")], stream)
    before = (stream.X["c"].iloc[4 * CHUNK :] == "c").mean()
    after = (plan.stream.X["c"].iloc[4 * CHUNK :] == "c").mean()
    # expected share 6p / (6p + 1 - p) = 0.6 for p = 0.2
    assert before < 0.25 and 0.5 < after < 0.7
    for t in range(4, N_CHUNKS):
        xs = plan.stream.X["x"].iloc[chunk_rows(t)].to_numpy().astype(int)
        assert ((xs >= t * CHUNK) & (xs < (t + 1) * CHUNK)).all()
        np.testing.assert_array_equal(plan.stream.y[chunk_rows(t)], stream.y[xs])
        assert (
            plan.stream.X["c"].iloc[chunk_rows(t)].to_numpy() == stream.X["c"].to_numpy()[xs]
        ).all()


def test_concept_drift_flips_the_subgroup_only() -> None:
    stream = toy_stream()
    plan = plan_drift([parse_scenario("concept:column=c,level=a,start=4")], stream)
    group = (stream.X["c"] == "a").to_numpy()
    after = np.arange(len(stream.y)) >= 4 * CHUNK
    np.testing.assert_array_equal(plan.stream.y[group & after], 1 - stream.y[group & after])
    np.testing.assert_array_equal(plan.stream.y[~(group & after)], stream.y[~(group & after)])
    pd.testing.assert_frame_equal(plan.stream.X, stream.X)


def test_concept_drift_on_a_numeric_range() -> None:
    stream = toy_stream()
    plan = plan_drift([parse_scenario("concept:column=z,low=-0.5,high=0.5,mode=negative")], stream)
    start = N_CHUNKS // 2  # the default start
    z = stream.X["z"].to_numpy()
    hit = (z >= -0.5) & (z < 0.5) & (np.arange(len(z)) >= start * CHUNK)
    assert (plan.stream.y[hit] == 0).all()
    np.testing.assert_array_equal(plan.stream.y[~hit], stream.y[~hit])
    assert plan.scenarios[0]["params"]["start"] == start


def test_recurring_drift_is_off_in_its_off_periods() -> None:
    stream = toy_stream()
    plan = plan_drift(
        [parse_scenario("concept:column=c,level=a,start=2,shape=recurring,period=2")], stream
    )
    on = {2, 3, 6, 7}
    for t in range(N_CHUNKS):
        same = np.array_equal(plan.stream.y[chunk_rows(t)], stream.y[chunk_rows(t)])
        assert same is (t not in on), t
    assert plan.points == [2, 4, 6, 8]


def test_gradual_drift_affects_a_growing_share_of_rows() -> None:
    stream = toy_stream()
    plan = plan_drift(
        [parse_scenario("concept:column=c,level=a,start=4,shape=gradual,width=4")], stream
    )
    shares = []
    for t in range(4, N_CHUNKS):
        rows = chunk_rows(t)
        group = (stream.X["c"].iloc[rows] == "a").to_numpy()
        shares.append(float((plan.stream.y[rows][group] != stream.y[rows][group]).mean()))
    assert shares[0] < shares[1] < shares[3] and shares[3:] == [1.0, 1.0, 1.0]
    assert plan.points == [4]


def test_scenarios_are_seeded() -> None:
    spec = "concept:column=c,level=a,start=4,shape=gradual,width=4"
    one = plan_drift([parse_scenario(spec)], toy_stream()).stream.y
    again = plan_drift([parse_scenario(spec)], toy_stream()).stream.y
    other = plan_drift([parse_scenario(spec + ",seed=1")], toy_stream()).stream.y
    np.testing.assert_array_equal(one, again)
    assert not np.array_equal(one, other)


def test_scenarios_compose_in_order() -> None:
    prior, concept = parse_scenarios(["prior:rate=0.5,start=3", "concept:column=c,level=b,start=6"])
    both = plan_drift([prior, concept], toy_stream())
    step = plan_drift([prior], toy_stream())
    chained = plan_drift([concept], step.stream)
    np.testing.assert_array_equal(both.stream.y, chained.stream.y)
    assert both.points == [3, 6]


def version(created_at: int, family: str = "logreg") -> SimpleNamespace:
    return SimpleNamespace(created_at=created_at, family=family, id=f"{family}@{created_at}")


def serve(plan, v, lo: int, hi: int) -> pd.DataFrame:
    X = plan.stream.X.iloc[lo:hi]
    chunks = np.repeat(np.arange(N_CHUNKS), CHUNK)[lo:hi]
    return plan.serving_hook(v, X, chunks)


def test_skew_corrupts_the_column_of_broken_versions_only() -> None:
    stream = toy_stream()
    plan = plan_drift(
        [parse_scenario("skew:column=z,factor=1000,start=4")], stream, release_chunks=[1, 3, 5, 7]
    )
    assert plan.scenarios[0]["broken_releases"] == [5, 7] and plan.points == [5, 7]
    pd.testing.assert_frame_equal(plan.stream.X, stream.X)  # training data stay clean
    np.testing.assert_array_equal(plan.stream.y, stream.y)
    clean = serve(plan, version(3), 3 * CHUNK, 8 * CHUNK)
    pd.testing.assert_frame_equal(clean, stream.X.iloc[3 * CHUNK : 8 * CHUNK])
    broken = serve(plan, version(5), 5 * CHUNK, 9 * CHUNK)
    original = stream.X.iloc[5 * CHUNK : 9 * CHUNK]
    np.testing.assert_allclose(broken["z"], original["z"] * 1000)
    pd.testing.assert_frame_equal(broken[["x", "c"]], original[["x", "c"]])
    assert plan.broken(version(7)) and not plan.broken(version(3))


def test_skew_of_one_named_release_and_family() -> None:
    plan = plan_drift(
        [parse_scenario("skew:release=3,family=hist-gb,fault=nan,column=z")],
        toy_stream(),
        release_chunks=[1, 3, 5],
    )
    assert plan.scenarios[0]["params"]["start"] == 3
    hit = serve(plan, version(3, "hist-gb"), 3 * CHUNK, 6 * CHUNK)
    assert hit["z"].isna().all()
    for other in (version(3, "logreg"), version(5, "hist-gb")):
        out = serve(plan, other, 3 * CHUNK, 6 * CHUNK)
        assert not out["z"].isna().any()


def test_skew_unseen_level_and_gradual_rollout() -> None:
    plan = plan_drift(
        [parse_scenario("skew:fault=unseen,column=c,start=5,shape=gradual,width=5")],
        toy_stream(),
        release_chunks=[0, 5],
    )
    out = serve(plan, version(5), 5 * CHUNK, 10 * CHUNK)
    unseen = (out["c"] == UNSEEN_LEVEL).to_numpy().reshape(5, CHUNK).mean(axis=1)
    assert unseen[0] < unseen[2] < 1.0 and unseen[4] == 1.0
    assert set(out["c"].astype(str)) <= {"a", "b", "c", UNSEEN_LEVEL}


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("drifty", ["drifty", "covariate"]),
        ("prior:rate", ["key=value", "rate"]),
        ("prior:speed=2", ["speed", "accepted"]),
        ("prior:rate=1.5", ["rate", "[0, 1]"]),
        ("prior:rate=abc", ["rate", "abc"]),
        ("concept:shape=zigzag", ["shape", "zigzag"]),
        ("concept:start=-1", ["start"]),
        ("concept:start=2.5", ["start", "2.5"]),
        ("skew:fault=melt", ["fault", "melt"]),
        ("covariate:level=a,shift=1", ["level", "shift"]),
        ("concept:mode=swap", ["mode", "swap"]),
        ("prior:rate=0.2,rate=0.3", ["rate", "twice"]),
    ],
)
def test_bad_specs_raise_config_errors_naming_the_problem(spec: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_scenario(spec)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    ("spec", "word"),
    [
        ("concept:column=nope", "nope"),
        ("concept:column=c,level=zz", "zz"),
        ("concept:column=z,level=1", "categorical"),
        ("prior:start=99", "99"),
        ("skew:fault=units,column=c", "numeric"),
        ("skew:release=4", "release"),
    ],
)
def test_specs_that_do_not_fit_the_stream_raise(spec: str, word: str) -> None:
    with pytest.raises(ConfigError, match=word):
        plan_drift([parse_scenario(spec)], toy_stream(), release_chunks=[1, 3])


def test_prior_shift_needs_rows_of_both_classes() -> None:
    stream = toy_stream()
    stream.y[6 * CHUNK : 7 * CHUNK] = 0
    with pytest.raises(DataError, match="chunk 6"):
        plan_drift([parse_scenario("prior:rate=0.5,start=4")], stream)


def test_defaults_resolve_and_are_recorded() -> None:
    plan = plan_drift(parse_scenarios(["covariate", "concept", "prior", "skew"]), toy_stream())
    params = [s["params"] for s in plan.scenarios]
    assert params[0]["column"] == "x" and params[0]["method"] == "replace values"
    assert params[1]["column"] == "c" and params[1]["level"] == "a"
    assert params[2]["rate"] == 0.5
    assert params[3]["column"] == "x" and params[3]["fault"] == "units"
    assert all(p["start"] == N_CHUNKS // 2 for p in params)
