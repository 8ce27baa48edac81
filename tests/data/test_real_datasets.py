"""The real files in ../shared/data: counts, quirks and dtypes as documented in its README."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from banditops.data import datasets
from banditops.data.datasets import (
    ADULT_COLUMNS,
    ADULT_INTEGER_COLUMNS,
    DATASETS,
    ELEC2_COLUMNS,
    VEHICLE_CLAIMS_COLUMNS,
    VEHICLE_CLAIMS_INTEGER_COLUMNS,
    Dataset,
    load_dataset,
)
from banditops.errors import DatasetNotFoundError

ADULT_TRAIN_ROWS = 32_561


def test_registry_names_and_defaults() -> None:
    assert sorted(DATASETS) == ["adult", "creditcard", "elec2", "vehicle-claims"]
    chunk_sizes = {name: spec.default_chunk_size for name, spec in DATASETS.items()}
    assert chunk_sizes == {
        "adult": 1000,
        "vehicle-claims": 500,
        "creditcard": 5000,
        "elec2": 1000,
    }
    assert DATASETS["adult"].stream_order == "seeded permutation"
    for name in ("vehicle-claims", "creditcard", "elec2"):
        assert DATASETS[name].stream_order == "file order"
    assert {name: spec.default_reward for name, spec in DATASETS.items()} == {
        "adult": "accuracy",
        "vehicle-claims": "cost",
        "creditcard": "cost",
        "elec2": "accuracy",
    }
    for spec in DATASETS.values():
        assert spec.name in DATASETS and spec.source and spec.licence and spec.description


def test_adult_rows_and_balance(adult: Dataset) -> None:
    assert adult.n_rows == 48_842
    assert int(adult.y.sum()) == 11_687
    assert adult.positive_rate == pytest.approx(0.2393, abs=5e-5)
    assert adult.y.dtype == np.int8
    assert set(np.unique(adult.y)) == {0, 1}
    # file order: train part then test part
    assert int(adult.y[:ADULT_TRAIN_ROWS].sum()) == 7_841
    assert len(adult.y[ADULT_TRAIN_ROWS:]) == 16_281
    assert int(adult.y[ADULT_TRAIN_ROWS:].sum()) == 3_846
    assert adult.files["adult.data"].name == "adult.data.gz"
    assert adult.files["adult.test"].name == "adult.test.gz"


def test_adult_first_rows_are_the_files_first_lines(adult: Dataset) -> None:
    first = adult.X.iloc[0]
    assert first["age"] == 39 and first["workclass"] == "State-gov" and first["fnlwgt"] == 77516
    # first data line of adult.test (after the junk line "|1x3 Cross validator")
    test_first = adult.X.iloc[ADULT_TRAIN_ROWS]
    assert test_first["age"] == 25 and test_first["education"] == "11th"
    assert adult.y[ADULT_TRAIN_ROWS] == 0


@pytest.mark.parametrize(
    ("column", "train", "test"),
    [("workclass", 1_836, 963), ("occupation", 1_843, 966), ("native-country", 583, 274)],
)
def test_adult_question_marks_are_nan(adult: Dataset, column: str, train: int, test: int) -> None:
    missing = adult.X[column].isna().to_numpy()
    assert int(missing[:ADULT_TRAIN_ROWS].sum()) == train
    assert int(missing[ADULT_TRAIN_ROWS:].sum()) == test


def test_adult_columns_dtypes_and_clean_levels(adult: Dataset) -> None:
    assert tuple(adult.X.columns) == ADULT_COLUMNS
    assert "income" not in adult.X
    other = set(ADULT_COLUMNS) - {"workclass", "occupation", "native-country"}
    assert not adult.X[sorted(other)].isna().any().any()
    for column in ADULT_COLUMNS:
        dtype = adult.X[column].dtype
        if column in ADULT_INTEGER_COLUMNS:
            assert dtype == np.int64, column
        else:
            assert isinstance(dtype, pd.CategoricalDtype), column
            levels = [str(level) for level in dtype.categories]
            assert "?" not in levels
            assert all(level == level.strip() and level for level in levels), column
    # labels parsed (no '>50K.' left over anywhere: y is 0/1 and both files have positives)
    assert adult.y[:ADULT_TRAIN_ROWS].max() == 1 and adult.y[ADULT_TRAIN_ROWS:].max() == 1


def test_vehicle_claims(vehicle_claims: Dataset) -> None:
    ds = vehicle_claims
    assert ds.n_rows == 15_420
    assert int(ds.y.sum()) == 923
    expected = [c for c in VEHICLE_CLAIMS_COLUMNS if c not in ("FraudFound_P", "PolicyNumber")]
    assert list(ds.X.columns) == expected
    assert ds.X.shape[1] == 31
    assert not ds.X.isna().any().any()
    for column in expected:
        if column in VEHICLE_CLAIMS_INTEGER_COLUMNS:
            assert ds.X[column].dtype == np.int64, column
        else:
            assert isinstance(ds.X[column].dtype, pd.CategoricalDtype), column
    # quirks kept as they are
    assert ds.X.loc[1516, "DayOfWeekClaimed"] == "0"  # PolicyNumber 1517
    assert ds.X.loc[1516, "MonthClaimed"] == "0"
    assert int((ds.X["Age"] == 0).sum()) == 320
    assert set(ds.X.loc[ds.X["Age"] == 0, "AgeOfPolicyHolder"]) == {"16 to 17"}
    # file order is claim order: Year never decreases
    assert (np.diff(ds.X["Year"].to_numpy()) >= 0).all()
    assert ds.files["fraud_oracle.csv"].name == "fraud_oracle.csv.gz"


def test_elec2_from_arff(elec2: Dataset) -> None:
    assert elec2.n_rows == 45_312
    assert int(elec2.y.sum()) == 19_237
    assert tuple(elec2.X.columns) == ELEC2_COLUMNS  # date kept as a feature
    assert elec2.files["elecNormNew.arff"].name == "elecNormNew.arff.gz"
    assert not elec2.X.isna().any().any()
    assert list(elec2.X["day"].cat.categories) == ["1", "2", "3", "4", "5", "6", "7"]
    assert elec2.X.loc[0, "day"] == "2"  # 7 May 1996 was a Tuesday
    # the README's quirk: constant Victorian values over the first 17,424 rows
    assert elec2.X.loc[:17_423, "vicprice"].nunique() == 1
    assert elec2.X.loc[17_424:, "vicprice"].nunique() > 1
    assert int((np.diff(elec2.X["date"].to_numpy()) < 0).sum()) == 5  # date is not a clock


def test_elec2_csv_copy_is_accepted_alone(
    shared_data_dir: Path, tmp_path: Path, elec2: Dataset
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "elec2").mkdir(parents=True)
    shutil.copy(shared_data_dir / "elec2" / "elecNormNew.csv.gz", data_dir / "elec2")
    from_csv = load_dataset("elec2", data_dir=data_dir, download=False)
    assert from_csv.files["elecNormNew.arff"] == data_dir / "elec2" / "elecNormNew.csv.gz"
    pd.testing.assert_frame_equal(from_csv.X, elec2.X)
    np.testing.assert_array_equal(from_csv.y, elec2.y)


def test_creditcard_is_missing_here_with_a_helpful_error(shared_data_dir: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("creditcard", data_dir=shared_data_dir)
    message = str(info.value)
    assert str(shared_data_dir / "creditcard" / "creditcard.csv") in message
    assert "76274b691b16a6c49d3f159c883398e03ccd6d1ee12d9d8ee38f4b4b98551a89" in message
    assert "mlg-ulb/creditcardfraud" in message


def test_loading_twice_hashes_once(shared_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[Path] = []
    real_hash = datasets._hash_file

    def counting_hash(path: Path) -> str:
        hashed.append(path)
        return real_hash(path)

    monkeypatch.setattr(datasets, "_hash_file", counting_hash)
    first = load_dataset("adult", data_dir=shared_data_dir, download=False)
    second = load_dataset("adult", data_dir=shared_data_dir, download=False)
    assert sorted(p.name for p in hashed) == ["adult.data.gz", "adult.test.gz"]
    pd.testing.assert_frame_equal(first.X, second.X)
