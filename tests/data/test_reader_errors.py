"""Unreadable or hostile data files: every reader raises DataError naming the file.

Truncated or fake gzip, non-UTF-8 text, header-only files, integers beyond int64,
non-ASCII digits, a BOM, a missing path or a directory: never a raw EOFError,
BadGzipFile, UnicodeDecodeError, OverflowError, FileNotFoundError or IsADirectoryError.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from banditops.data import datasets
from banditops.data.datasets import (
    CREDITCARD_COLUMNS,
    DATASETS,
    VEHICLE_CLAIMS_COLUMNS,
    read_adult,
    read_creditcard,
    read_elec2,
    read_vehicle_claims,
    resolve_file,
)
from banditops.errors import DataError, DatasetNotFoundError

CC_HEADER = ",".join(f'"{n}"' for n in CREDITCARD_COLUMNS) + "\n"
CC_ROW = ",".join(["0"] + ["0.5"] * 28 + ["149.62", '"1"']) + "\n"
ADULT_ROW = (
    "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, "
    "White, Male, 2174, 0, 40, United-States, <=50K\n"
)
ELEC2_ROW = "0,2,0,0.056443,0.439155,0.003467,0.422915,0.414912,UP\n"
ELEC2_ARFF = (
    "@relation elec\n"
    + "".join(
        f"@attribute {name} numeric\n"
        for name in ("date", "day", "period", "nswprice", "nswdemand", "vicprice")
    )
    + "@attribute vicdemand numeric\n@attribute transfer numeric\n"
    "@attribute class {UP,DOWN}\n@data\n" + ELEC2_ROW
)

READERS: dict[str, Callable[[Path], object]] = {
    "adult": read_adult,
    "vehicle-claims": read_vehicle_claims,
    "elec2": read_elec2,
    "creditcard": read_creditcard,
}


def _named(path: Path) -> str:
    return re.escape(str(path))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cc.csv.gz", gzip.compress((CC_HEADER + CC_ROW * 3000).encode())[:-30]),  # truncated
        ("cc.csv.gz", (CC_HEADER + CC_ROW).encode()),  # not gzip at all
        ("cc.csv", (CC_HEADER + CC_ROW.replace("149.62", "1\xe49")).encode("latin-1")),
        ("cc.csv", CC_HEADER.encode()),  # header only
        ("cc.csv", (CC_HEADER + "\n\n").encode()),  # header and blank lines
    ],
    ids=["truncated-gzip", "not-gzip", "latin-1", "header-only", "header-blank-lines"],
)
def test_read_creditcard_bad_files_raise_data_error(
    tmp_path: Path, name: str, content: bytes
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=_named(tmp_path / name)):
        read_creditcard(tmp_path / name)


def test_header_only_creditcard_says_no_data_rows(tmp_path: Path) -> None:
    (tmp_path / "cc.csv").write_text(CC_HEADER)
    with pytest.raises(DataError, match="no data rows"):
        read_creditcard(tmp_path / "cc.csv")


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_or_fake_gzip_is_a_data_error_in_every_reader(
    tmp_path: Path, reader: str, suffix: str
) -> None:
    body = {"adult": ADULT_ROW, "vehicle-claims": ADULT_ROW, "elec2": ELEC2_ROW}.get(
        reader, CC_HEADER + CC_ROW
    )
    path = tmp_path / f"x.csv{suffix or '.gz'}"
    data = gzip.compress(body.encode() * 500)[:-30] if suffix else body.encode()
    path.write_bytes(data)
    with pytest.raises(DataError, match="not a valid gzip file"):
        READERS[reader](path)


@pytest.mark.parametrize("reader", list(READERS))
def test_latin_1_text_is_a_data_error_in_every_reader(tmp_path: Path, reader: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("caf\xe9,1\n".encode("latin-1"))
    with pytest.raises(DataError, match=_named(path)):
        READERS[reader](path)


@pytest.mark.parametrize("reader", list(READERS))
def test_missing_path_or_directory_is_a_data_error(tmp_path: Path, reader: str) -> None:
    (tmp_path / "x.csv").mkdir()
    with pytest.raises(DataError, match=f"{_named(tmp_path / 'x.csv')}: is a directory"):
        READERS[reader](tmp_path / "x.csv")
    with pytest.raises(DatasetNotFoundError, match=f"{_named(tmp_path / 'missing.csv')}: no such"):
        READERS[reader](tmp_path / "missing.csv")


@pytest.mark.parametrize(
    "value", ["99999999999999999999999", "9223372036854775808", "-9223372036854775809"]
)
def test_adult_integer_beyond_int64_is_a_data_error(tmp_path: Path, value: str) -> None:
    path = tmp_path / "a.data"
    path.write_text(ADULT_ROW + ADULT_ROW.replace("77516", value))
    with pytest.raises(DataError, match=f"{_named(path)}: line 2: column 'fnlwgt'.*int64"):
        read_adult(path)


def test_adult_int64_bounds_and_leading_zeros_still_parse(tmp_path: Path) -> None:
    path = tmp_path / "a.data"
    path.write_text(
        ADULT_ROW.replace("77516", "9223372036854775807")
        + ADULT_ROW.replace("77516", "-9223372036854775808")
        + ADULT_ROW.replace("77516", "000000000000000000000012")
    )
    assert read_adult(path).X["fnlwgt"].tolist() == [2**63 - 1, -(2**63), 12]


def _claims(tmp_path: Path, age: str) -> Path:
    values = {name: "1" for name in VEHICLE_CLAIMS_COLUMNS} | {"FraudFound_P": "0", "Age": age}
    path = tmp_path / "claims.csv"
    path.write_text(
        ",".join(VEHICLE_CLAIMS_COLUMNS)
        + "\n"
        + ",".join(values[n] for n in VEHICLE_CLAIMS_COLUMNS)
        + "\n",
        encoding="utf-8",
    )
    return path


def test_vehicle_claims_integer_beyond_int64_is_a_data_error(tmp_path: Path) -> None:
    path = _claims(tmp_path, "99999999999999999999999")
    with pytest.raises(DataError, match=f"{_named(path)}: line 2: column 'Age'.*int64"):
        read_vehicle_claims(path)


@pytest.mark.parametrize(
    "digits",
    ["\u0663\u0669", "\uff13\uff19", "3\u0669"],
    ids=["arabic-indic", "fullwidth", "mixed"],
)
def test_non_ascii_digits_are_not_integers(tmp_path: Path, digits: str) -> None:
    path = tmp_path / "a.data"
    path.write_text(ADULT_ROW.replace("39, State-gov", f"{digits}, State-gov"), encoding="utf-8")
    with pytest.raises(
        DataError, match=f"{_named(path)}: line 1: column 'age': expected an integer"
    ):
        read_adult(path)
    with pytest.raises(DataError, match="column 'Age': expected an integer"):
        read_vehicle_claims(_claims(tmp_path, digits))


@pytest.mark.parametrize(
    "digits", ["\uff11\uff14\uff19", "\u0661\u0664\u0669"], ids=["fullwidth", "arabic-indic"]
)
def test_non_ascii_digits_are_not_floats(tmp_path: Path, digits: str) -> None:
    cc = tmp_path / "cc.csv"
    cc.write_text(CC_HEADER + CC_ROW.replace("149.62", digits), encoding="utf-8")
    with pytest.raises(DataError, match="line 2, column 'Amount'"):
        read_creditcard(cc)
    elec = tmp_path / "elec.csv"
    elec.write_text(ELEC2_ROW.replace("0.056443", digits), encoding="utf-8")
    with pytest.raises(DataError, match="column 'nswprice': expected a finite number"):
        read_elec2(elec)


@pytest.mark.parametrize(
    ("name", "text", "reader"),
    [
        ("elecNormNew.arff", ELEC2_ARFF, read_elec2),
        ("elecNormNew.csv", ELEC2_ROW, read_elec2),
        ("a.data", ADULT_ROW, read_adult),
        ("cc.csv", CC_HEADER + CC_ROW, read_creditcard),
    ],
)
def test_a_utf8_bom_is_accepted_by_every_reader(
    tmp_path: Path, name: str, text: str, reader
) -> None:
    plain, bom = tmp_path / name, tmp_path / f"bom-{name}"
    plain.write_text(text, encoding="utf-8")
    bom.write_text("\ufeff" + text, encoding="utf-8")
    with_bom, without = reader(bom), reader(plain)
    assert with_bom.X.equals(without.X) and (with_bom.y == without.y).all()


def test_resolve_file_reports_a_directory_named_like_the_data_file(tmp_path: Path) -> None:
    spec = DATASETS["creditcard"]
    (tmp_path / spec.folder / "creditcard.csv").mkdir(parents=True)
    with pytest.raises(DataError, match=r"creditcard\.csv: is a directory") as info:
        resolve_file(spec, spec.files[0], data_dir=tmp_path, download=False)
    assert not isinstance(info.value, DatasetNotFoundError)


def test_load_dataset_reports_a_directory_named_like_the_data_file(tmp_path: Path) -> None:
    (tmp_path / "fraud_oracle.csv").mkdir()
    with pytest.raises(DataError, match="is a directory"):
        datasets.load_dataset("vehicle-claims", data_dir=tmp_path, download=False)
