"""Parser strictness on small files in tmp_path that reproduce each quirk of the originals."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from banditops.data.datasets import (
    CREDITCARD_COLUMNS,
    dataset_from_files,
    load_dataset,
    read_adult,
    read_creditcard,
    read_elec2,
    read_vehicle_claims,
)
from banditops.errors import ChecksumError, ConfigError, DataError

# ---------------------------------------------------------------------------- adult

ADULT_ROW_1 = (
    "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White,"
    " Male, 2174, 0, 40, United-States, <=50K"
)
ADULT_ROW_2 = (
    "52, Self-emp-inc, 287927, HS-grad, 9, Married-civ-spouse, ?, Wife, White, Female,"
    " 15024, 0, 40, ?, >50K"
)


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    return path


def test_adult_train_format(tmp_path: Path) -> None:
    path = write(tmp_path / "adult.data", f"{ADULT_ROW_1}\n{ADULT_ROW_2}\n\n")
    table = read_adult(path)
    assert table.y.tolist() == [0, 1]
    assert table.X["workclass"].tolist() == ["State-gov", "Self-emp-inc"]
    assert table.X["occupation"].isna().tolist() == [False, True]
    assert table.X["native-country"].isna().tolist() == [False, True]
    assert table.X["age"].dtype == np.int64
    assert table.time is None


def test_adult_test_format_junk_line_and_trailing_dots(tmp_path: Path) -> None:
    text = f"|1x3 Cross validator\n{ADULT_ROW_1}.\n{ADULT_ROW_2}.\n\n"
    table = read_adult(write(tmp_path / "adult.test", text))
    assert table.y.tolist() == [0, 1]
    assert len(table.X) == 2
    assert table.X.loc[0, "age"] == 39


def test_adult_files_concatenate_in_order_with_shared_categories(tmp_path: Path) -> None:
    train = write(tmp_path / "adult.data", f"{ADULT_ROW_1}\n")
    test = write(tmp_path / "adult.test", f"|1x3 Cross validator\n{ADULT_ROW_2}.\n")
    table = read_adult(train, test)
    assert table.y.tolist() == [0, 1]
    assert list(table.X["sex"].cat.categories) == ["Female", "Male"]


def test_adult_gzip_and_crlf_are_transparent(tmp_path: Path) -> None:
    text = f"{ADULT_ROW_1}\r\n{ADULT_ROW_2}\r\n"
    plain = read_adult(write(tmp_path / "adult.data", text))
    packed = tmp_path / "adult.data.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    zipped = read_adult(packed)
    pd.testing.assert_frame_equal(plain.X, zipped.X)
    assert plain.X.loc[0, "native-country"] == "United-States"
    assert zipped.y.tolist() == [0, 1]


def test_adult_wrong_field_count_names_file_and_line(tmp_path: Path) -> None:
    short = ADULT_ROW_2.replace(" 15024,", "")
    path = write(tmp_path / "adult.test", f"|1x3 Cross validator\n{ADULT_ROW_1}.\n{short}.\n")
    with pytest.raises(DataError, match=r"adult\.test: line 3: expected 15 .*found 14"):
        read_adult(path)
    path = write(tmp_path / "adult.data", f"{ADULT_ROW_1}, extra\n")
    with pytest.raises(DataError, match=r"adult\.data: line 1: expected 15 .*found 16"):
        read_adult(path)


def test_adult_unknown_label_names_file_and_line(tmp_path: Path) -> None:
    bad = ADULT_ROW_2.replace(">50K", ">50K+")
    path = write(tmp_path / "adult.data", f"{ADULT_ROW_1}\n{bad}\n")
    with pytest.raises(DataError, match=r"adult\.data: line 2: unknown label '>50K\+'"):
        read_adult(path)


def test_adult_error_line_numbers_continue_into_the_second_file(tmp_path: Path) -> None:
    train = write(tmp_path / "adult.data", f"{ADULT_ROW_1}\n{ADULT_ROW_1}\n")
    bad = ADULT_ROW_2.replace("52,", "fifty-two,")
    test = write(tmp_path / "adult.test", f"|1x3 Cross validator\n{ADULT_ROW_2}.\n{bad}.\n")
    with pytest.raises(DataError, match=r"adult\.test: line 3: column 'age': expected an integer"):
        read_adult(train, test)


def test_adult_blank_line_inside_data_and_empty_field_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "adult.data", f"{ADULT_ROW_1}\n\n{ADULT_ROW_2}\n")
    with pytest.raises(DataError, match=r"line 2: empty line inside the data"):
        read_adult(path)
    path = write(tmp_path / "adult.data", ADULT_ROW_1.replace("State-gov", "") + "\n")
    with pytest.raises(DataError, match=r"line 1: empty field in column 'workclass'"):
        read_adult(path)
    with pytest.raises(DataError, match="no data rows"):
        read_adult(write(tmp_path / "empty.data", "|1x3 Cross validator\n\n"))


def test_adult_question_mark_in_an_integer_column_becomes_nan(tmp_path: Path) -> None:
    row = ADULT_ROW_1.replace(" 77516,", " ?,")
    table = read_adult(write(tmp_path / "adult.data", f"{row}\n{ADULT_ROW_2}\n"))
    assert table.X["fnlwgt"].dtype == np.float64
    assert table.X["fnlwgt"].isna().tolist() == [True, False]


# ---------------------------------------------------------------------------- vehicle claims


@pytest.fixture
def claims_sample(shared_data_dir: Path) -> list[str]:
    """The header and the first five data lines of the real file (CRLF stripped)."""
    with gzip.open(shared_data_dir / "fraud" / "fraud_oracle.csv.gz", "rt", newline="") as fh:
        return [next(fh).rstrip("\r\n") for _ in range(6)]


def write_claims(path: Path, lines: list[str], newline: str = "\r\n") -> Path:
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    return path


def test_vehicle_claims_sample(tmp_path: Path, claims_sample: list[str]) -> None:
    table = read_vehicle_claims(write_claims(tmp_path / "fraud_oracle.csv", claims_sample))
    assert table.X.shape == (5, 31)
    assert "PolicyNumber" not in table.X and "FraudFound_P" not in table.X
    assert table.X.loc[0, "BasePolicy"] == "Liability"  # no '\r' left on the last column
    assert table.X.loc[0, "Age"] == 21


def test_vehicle_claims_bom_lf_and_gzip(tmp_path: Path, claims_sample: list[str]) -> None:
    reference = read_vehicle_claims(write_claims(tmp_path / "a.csv", claims_sample))
    bom = ["\ufeff" + claims_sample[0], *claims_sample[1:]]
    lf = read_vehicle_claims(write_claims(tmp_path / "b.csv", bom, newline="\n"))
    packed = tmp_path / "c.csv.gz"
    packed.write_bytes(gzip.compress(("\r\n".join(claims_sample) + "\r\n").encode()))
    for other in (lf, read_vehicle_claims(packed)):
        pd.testing.assert_frame_equal(reference.X, other.X)
        np.testing.assert_array_equal(reference.y, other.y)


def test_vehicle_claims_missing_and_extra_columns(tmp_path: Path, claims_sample: list[str]) -> None:
    header = claims_sample[0].replace("RepNumber", "Rep_Number")
    path = write_claims(tmp_path / "fraud_oracle.csv", [header, *claims_sample[1:]])
    with pytest.raises(DataError, match=r"missing columns \['RepNumber'\].*\['Rep_Number'\]"):
        read_vehicle_claims(path)
    header = claims_sample[0].replace(",BasePolicy", "")
    rows = [line.rsplit(",", 1)[0] for line in claims_sample[1:]]
    with pytest.raises(DataError, match=r"missing columns \['BasePolicy'\]"):
        read_vehicle_claims(write_claims(tmp_path / "short.csv", [header, *rows]))


def test_vehicle_claims_strict_rows(tmp_path: Path, claims_sample: list[str]) -> None:
    lines = list(claims_sample)
    lines[3] = lines[3] + ",surplus"
    with pytest.raises(DataError, match=r"line 4: expected 33 comma-separated fields, found 34"):
        read_vehicle_claims(write_claims(tmp_path / "a.csv", lines))
    names = claims_sample[0].split(",")
    fields = claims_sample[2].split(",")
    fields[names.index("FraudFound_P")] = "2"
    lines = [claims_sample[0], claims_sample[1], ",".join(fields)]
    with pytest.raises(DataError, match=r"line 3: unknown label '2' in column 'FraudFound_P'"):
        read_vehicle_claims(write_claims(tmp_path / "b.csv", lines))
    fields = claims_sample[2].split(",")
    fields[names.index("Age")] = "thirty"
    lines = [claims_sample[0], ",".join(fields)]
    with pytest.raises(DataError, match=r"line 2: column 'Age': expected an integer"):
        read_vehicle_claims(write_claims(tmp_path / "c.csv", lines))


# ---------------------------------------------------------------------------- creditcard


def synthetic_creditcard(path: Path, n_rows: int = 40, *, seed: int = 0) -> Path:
    """A file of the original's schema: quoted header, quoted Class values, Time ascending."""
    rng = np.random.default_rng(seed)
    header = ",".join(f'"{name}"' for name in CREDITCARD_COLUMNS)
    lines = [header]
    times = np.sort(rng.integers(0, 1000, n_rows))
    for i in range(n_rows):
        features = [f"{value:.6f}" for value in rng.normal(size=28)]
        amount = f"{rng.uniform(0, 500):.2f}"
        label = '"1"' if i % 10 == 3 else '"0"'
        lines.append(",".join([f"{times[i]}", *features, amount, label]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_creditcard_synthetic_schema(tmp_path: Path) -> None:
    path = synthetic_creditcard(tmp_path / "creditcard.csv")
    ds = dataset_from_files("creditcard", {"creditcard.csv": path}, verify=False)
    assert ds.n_rows == 40
    assert list(ds.X.columns) == [f"V{i}" for i in range(1, 29)] + ["Amount"]
    assert (ds.X.dtypes == np.float64).all()
    assert int(ds.y.sum()) == 4 and ds.y.dtype == np.int8
    assert ds.time is not None and (np.diff(ds.time) >= 0).all()
    raw = pd.read_csv(path)
    np.testing.assert_allclose(ds.X.to_numpy(), raw[list(ds.X.columns)].to_numpy())
    np.testing.assert_array_equal(ds.time, raw["Time"].to_numpy())


def test_creditcard_gzip_is_transparent(tmp_path: Path) -> None:
    plain = synthetic_creditcard(tmp_path / "creditcard.csv")
    packed = tmp_path / "creditcard.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = read_creditcard(plain), read_creditcard(packed)
    pd.testing.assert_frame_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)


def test_creditcard_synthetic_file_fails_the_strict_paths(tmp_path: Path) -> None:
    path = synthetic_creditcard(tmp_path / "creditcard" / "creditcard.csv")
    with pytest.raises(ChecksumError, match=r"creditcard\.csv"):
        dataset_from_files("creditcard", {"creditcard.csv": path})
    with pytest.raises(ChecksumError, match="76274b691b16a6c49d3f159c883398e03ccd6d1e"):
        load_dataset("creditcard", data_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"no path given for creditcard\.csv"):
        dataset_from_files("creditcard", {}, verify=False)


def test_creditcard_bad_content(tmp_path: Path) -> None:
    lines = synthetic_creditcard(tmp_path / "ok.csv", 5).read_text().splitlines()
    bad_header = [lines[0].replace('"Amount"', '"amount"'), *lines[1:]]
    path = tmp_path / "a.csv"
    path.write_text("\n".join(bad_header) + "\n")
    with pytest.raises(DataError, match=r"missing columns \['Amount'\]"):
        read_creditcard(path)
    for number, broken, pattern in [
        (3, lambda s: s.replace('"0"', '"2"'), r"line 3: unknown label '2'"),
        (4, lambda s: s.rsplit(",", 2)[0] + ',"0"', r"line 4: empty or missing field"),
        (2, lambda s: s.replace(",", ",x", 1), r"line 2, column 'V1': 'x"),
        (5, lambda s: s + ",1", r"Expected 31 fields in line 5, saw 32"),
    ]:
        changed = list(lines)
        changed[number - 1] = broken(changed[number - 1])
        path.write_text("\n".join(changed) + "\n")
        with pytest.raises(DataError, match=pattern):
            read_creditcard(path)


# ---------------------------------------------------------------------------- elec2

ARFF_HEADER = """@relation electricity-test

@attribute date numeric
@attribute day {1,2,3,4,5,6,7}
@attribute period numeric
@attribute nswprice numeric
@attribute nswdemand numeric
@attribute vicprice numeric
@attribute vicdemand numeric
@attribute transfer numeric
@attribute class {UP,DOWN}

@data
"""
ELEC2_ROWS = [
    "0,2,0,0.056443,0.439155,0.003467,0.422915,0.414912,UP",
    "0,2,0.021277,0.051699,0.415055,0.003467,0.422915,0.414912,DOWN",
    "0.9158,7,1,0.050679,0.288753,0.003542,0.355256,0.23114,DOWN",
]


def test_elec2_arff_and_csv_agree(tmp_path: Path) -> None:
    body = "\n".join(ELEC2_ROWS)  # like the originals: no newline after the last row
    arff = read_elec2(write(tmp_path / "elecNormNew.arff", ARFF_HEADER + body))
    csv = read_elec2(write(tmp_path / "elecNormNew.csv", body))
    pd.testing.assert_frame_equal(arff.X, csv.X)
    assert arff.y.tolist() == [1, 0, 0] == csv.y.tolist()
    assert arff.X["day"].tolist() == ["2", "2", "7"]


def test_elec2_strict(tmp_path: Path) -> None:
    wrong = ARFF_HEADER.replace("nswprice", "price")
    with pytest.raises(DataError, match="ARFF attributes"):
        read_elec2(write(tmp_path / "a.arff", wrong + "\n".join(ELEC2_ROWS)))
    rows = [*ELEC2_ROWS[:2], ELEC2_ROWS[2].replace("DOWN", "FLAT")]
    with pytest.raises(DataError, match=r"line 16: unknown label 'FLAT'"):
        read_elec2(write(tmp_path / "b.arff", ARFF_HEADER + "\n".join(rows)))
    rows = [ELEC2_ROWS[0].replace(",2,", ",8,", 1)]
    with pytest.raises(DataError, match=r"line 1: column 'day': unknown level '8'"):
        read_elec2(write(tmp_path / "c.csv", "\n".join(rows)))
    rows = [ELEC2_ROWS[0], ELEC2_ROWS[1].replace("0.051699", "?")]
    with pytest.raises(DataError, match=r"line 2: column 'nswprice': expected a finite number"):
        read_elec2(write(tmp_path / "d.csv", "\n".join(rows)))
    with pytest.raises(DataError, match=r"line 1: expected 9 comma-separated fields, found 8"):
        read_elec2(write(tmp_path / "e.csv", ELEC2_ROWS[0].rsplit(",", 1)[0]))
    with pytest.raises(DataError, match="no @data line"):
        read_elec2(write(tmp_path / "f.arff", ARFF_HEADER.replace("@data", "")))
