"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The project's verified real data, ``../shared/data`` beside the project root (read-only).

    Fails (never skips) when the directory is missing: the real-data tests are part of the
    suite, and a silently skipped suite would prove nothing.
    """
    project_root = Path(__file__).resolve().parents[1]
    path = (project_root / ".." / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.fail(
            f"the shared data directory {path} does not exist; the tests need the verified "
            f"datasets in ../shared/data beside the project root ({project_root})",
            pytrace=False,
        )
    return path
