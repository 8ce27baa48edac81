"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    """Refuse every socket connection that is not to this machine (loopback or unix)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise AssertionError(f"a test tried to reach the network: {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
