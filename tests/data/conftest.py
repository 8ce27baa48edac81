"""Fixtures for the data tests: an isolated environment with no network, and the real datasets."""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from banditops.data import datasets
from banditops.data.datasets import Dataset, load_dataset


@pytest.fixture(autouse=True)
def isolated_data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No BANDITOPS_DATA_DIR, a cache under tmp_path, a fresh checksum memo, loopback-only HTTP.

    Yields the dataset cache directory (``$BANDITOPS_CACHE_DIR/datasets``).
    """
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    cache_root = tmp_path / "cache-root"
    monkeypatch.setenv(datasets.CACHE_DIR_ENV, str(cache_root))
    monkeypatch.setattr(datasets, "_DIGEST_CACHE", {})
    real_urlopen = urllib.request.urlopen

    def loopback_only(request: Any, *args: Any, **kwargs: Any) -> Any:
        url = request.full_url if isinstance(request, urllib.request.Request) else str(request)
        if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"a test tried to reach the network: {url}")
        return real_urlopen(request, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", loopback_only)
    yield cache_root / "datasets"


@pytest.fixture(scope="session")
def adult(shared_data_dir: Path) -> Dataset:
    return load_dataset("adult", data_dir=shared_data_dir, download=False)


@pytest.fixture(scope="session")
def vehicle_claims(shared_data_dir: Path) -> Dataset:
    return load_dataset("vehicle-claims", data_dir=shared_data_dir, download=False)


@pytest.fixture(scope="session")
def elec2(shared_data_dir: Path) -> Dataset:
    return load_dataset("elec2", data_dir=shared_data_dir, download=False)
