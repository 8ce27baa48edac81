"""File resolution order, layouts, checksum failures and not-found messages (no network)."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pytest

from banditops.data import datasets
from banditops.data.datasets import DATASETS, load_dataset, resolve_file, search_dirs
from banditops.errors import ChecksumError, ConfigError, DatasetNotFoundError

CLAIMS = DATASETS["vehicle-claims"]
CLAIMS_FILE = CLAIMS.files[0]


def place_claims(shared_data_dir: Path, directory: Path) -> Path:
    """Copy the verified fraud_oracle.csv.gz into ``<directory>/fraud/``."""
    (directory / "fraud").mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(shared_data_dir / "fraud" / "fraud_oracle.csv.gz", directory / "fraud"))


def test_explicit_dir_beats_env_beats_cache(
    shared_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    isolated_data_env: Path,
) -> None:
    explicit = place_claims(shared_data_dir, tmp_path / "explicit")
    env = place_claims(shared_data_dir, tmp_path / "env")
    cached = place_claims(shared_data_dir, isolated_data_env)
    monkeypatch.setenv("BANDITOPS_DATA_DIR", str(tmp_path / "env"))
    assert search_dirs(tmp_path / "explicit") == [
        tmp_path / "explicit",
        tmp_path / "env",
        isolated_data_env,
    ]
    assert resolve_file(CLAIMS, CLAIMS_FILE, data_dir=tmp_path / "explicit") == explicit
    assert resolve_file(CLAIMS, CLAIMS_FILE) == env
    monkeypatch.delenv("BANDITOPS_DATA_DIR")
    assert resolve_file(CLAIMS, CLAIMS_FILE) == cached
    ds = load_dataset("vehicle-claims")
    assert ds.files == {"fraud_oracle.csv": cached} and ds.n_rows == 15_420


def test_cache_dir_follows_the_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_data_env: Path
) -> None:
    assert datasets.cache_dir() == isolated_data_env
    monkeypatch.delenv("BANDITOPS_CACHE_DIR")
    assert datasets.cache_dir().name == "datasets"
    assert "banditops" in str(datasets.cache_dir())


def test_layouts_plain_before_gzip_and_flat_directory(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    packed = place_claims(shared_data_dir, tmp_path)
    plain = tmp_path / "fraud" / "fraud_oracle.csv"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))
    assert resolve_file(CLAIMS, CLAIMS_FILE, data_dir=tmp_path) == plain
    flat = tmp_path / "flat"
    flat.mkdir()
    shutil.copy(plain, flat)
    assert resolve_file(CLAIMS, CLAIMS_FILE, data_dir=flat) == flat / "fraud_oracle.csv"


def test_corrupted_copy_is_a_checksum_error_naming_the_file(
    shared_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = gzip.decompress((shared_data_dir / "adult" / "adult.data.gz").read_bytes())
    corrupt = data.replace(b"State-gov", b"State-gOv", 1)
    (tmp_path / "adult").mkdir()
    (tmp_path / "adult" / "adult.data").write_bytes(corrupt)
    # a good copy further down the search order must not hide the corrupt one
    monkeypatch.setenv("BANDITOPS_DATA_DIR", str(shared_data_dir))
    with pytest.raises(ChecksumError) as info:
        load_dataset("adult", data_dir=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path / "adult" / "adult.data") in message
    assert DATASETS["adult"].files[0].sha256 in message
    assert hashlib.sha256(corrupt).hexdigest() in message


def test_corrupted_gzip_copy(tmp_path: Path) -> None:
    (tmp_path / "fraud").mkdir()
    (tmp_path / "fraud" / "fraud_oracle.csv.gz").write_bytes(gzip.compress(b"a,b\r\n1,2\r\n"))
    with pytest.raises(ChecksumError, match=r"fraud_oracle\.csv\.gz"):
        load_dataset("vehicle-claims", data_dir=tmp_path)
    (tmp_path / "fraud" / "fraud_oracle.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(datasets.DataError, match="not a valid gzip file"):
        load_dataset("vehicle-claims", data_dir=tmp_path)


def test_a_replaced_file_is_rehashed(shared_data_dir: Path, tmp_path: Path) -> None:
    path = place_claims(shared_data_dir, tmp_path)
    assert resolve_file(CLAIMS, CLAIMS_FILE, data_dir=tmp_path) == path
    path.write_bytes(gzip.compress(b"tampered\r\n"))  # new size and mtime: a new cache key
    with pytest.raises(ChecksumError):
        resolve_file(CLAIMS, CLAIMS_FILE, data_dir=tmp_path)


def test_missing_vehicle_claims_lists_the_searched_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_data_env: Path
) -> None:
    monkeypatch.setenv("BANDITOPS_DATA_DIR", str(tmp_path / "env"))
    (tmp_path / "explicit").mkdir()
    with pytest.raises(DatasetNotFoundError) as info:
        load_dataset("vehicle-claims", data_dir=tmp_path / "explicit")
    message = str(info.value)
    for directory in (tmp_path / "explicit", tmp_path / "env", isolated_data_env):
        assert str(directory / "fraud" / "fraud_oracle.csv") in message
        assert str(directory / "fraud" / "fraud_oracle.csv.gz") in message
        assert str(directory / "fraud_oracle.csv") in message
    assert f"into {tmp_path / 'explicit' / 'fraud'}/" in message
    assert CLAIMS_FILE.sha256 in message
    assert isinstance(info.value, FileNotFoundError)  # the built-in a caller might catch


def test_bad_names_and_dirs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="adult, creditcard, elec2, vehicle-claims"):
        load_dataset("census")
    with pytest.raises(ConfigError, match="is not a directory"):
        load_dataset("adult", data_dir=tmp_path / "nowhere")
