"""Downloads, served by a local ThreadingHTTPServer on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from banditops.data import datasets
from banditops.data.datasets import (
    DATASETS,
    DataFile,
    DatasetSpec,
    ParsedTable,
    load_dataset,
)
from banditops.errors import ChecksumError, DataError, DatasetNotFoundError

TINY_CONTENT = b"x,label\n1,0\n2,1\n3,1\n"


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []

    def url(self, path: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: FileServer

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def server() -> Iterator[FileServer]:
    httpd = FileServer()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def parse_tiny(files: Mapping[str, Path]) -> ParsedTable:
    frame = pd.read_csv(files["tiny.csv"])
    return ParsedTable(frame[["x"]], frame["label"].to_numpy(dtype=np.int8))


def register_tiny(monkeypatch: pytest.MonkeyPatch, url: str) -> DatasetSpec:
    datafile = DataFile("tiny.csv", hashlib.sha256(TINY_CONTENT).hexdigest(), url)
    spec = dataclasses.replace(
        DATASETS["vehicle-claims"],
        name="tiny",
        folder="tiny",
        files=(datafile,),
        parser=parse_tiny,
    )
    monkeypatch.setitem(DATASETS, "tiny", spec)
    return spec


def test_download_verifies_and_writes_atomically_into_the_cache(
    server: FileServer, monkeypatch: pytest.MonkeyPatch, isolated_data_env: Path
) -> None:
    server.files["/tiny.csv"] = TINY_CONTENT
    register_tiny(monkeypatch, server.url("/tiny.csv"))
    replaced: list[tuple[Path, Path, bool]] = []
    real_replace = os.replace

    def recording_replace(src: str | Path, dst: str | Path) -> None:
        replaced.append((Path(src), Path(dst), Path(dst).exists()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    ds = load_dataset("tiny")
    target = isolated_data_env / "tiny" / "tiny.csv"
    assert ds.files == {"tiny.csv": target}
    assert target.read_bytes() == TINY_CONTENT
    assert ds.y.tolist() == [0, 1, 1]
    assert server.requests == ["/tiny.csv"]
    # streamed into a temporary file in the same directory, then moved into place
    [(src, dst, existed)] = replaced
    assert dst == target and src.parent == target.parent and src != target and not existed
    assert sorted(p.name for p in target.parent.iterdir()) == ["tiny.csv"]


def test_second_load_does_not_download_again(
    server: FileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.files["/tiny.csv"] = TINY_CONTENT
    register_tiny(monkeypatch, server.url("/tiny.csv"))
    load_dataset("tiny")
    load_dataset("tiny")
    monkeypatch.setattr(datasets, "_DIGEST_CACHE", {})  # as in a new process: rehash, no fetch
    load_dataset("tiny")
    assert server.requests == ["/tiny.csv"]


def test_wrong_content_is_a_checksum_error_and_leaves_nothing(
    server: FileServer, monkeypatch: pytest.MonkeyPatch, isolated_data_env: Path
) -> None:
    server.files["/tiny.csv"] = TINY_CONTENT.replace(b"3,1", b"3,0")
    register_tiny(monkeypatch, server.url("/tiny.csv"))
    with pytest.raises(ChecksumError) as info:
        load_dataset("tiny")
    assert "tiny.csv" in str(info.value) and server.url("/tiny.csv") in str(info.value)
    assert hashlib.sha256(TINY_CONTENT).hexdigest() in str(info.value)
    assert list((isolated_data_env / "tiny").iterdir()) == []


def test_http_404_is_a_data_error(
    server: FileServer, monkeypatch: pytest.MonkeyPatch, isolated_data_env: Path
) -> None:
    register_tiny(monkeypatch, server.url("/gone.csv"))
    with pytest.raises(DataError, match="HTTP 404") as info:
        load_dataset("tiny")
    assert not isinstance(info.value, ChecksumError | DatasetNotFoundError)
    assert server.url("/gone.csv") in str(info.value)
    assert list((isolated_data_env / "tiny").iterdir()) == []


def test_unreachable_server_is_a_data_error(monkeypatch: pytest.MonkeyPatch) -> None:
    probe = FileServer()  # bind a port, then free it: nothing listens there any more
    url = probe.url("/tiny.csv")
    probe.server_close()
    register_tiny(monkeypatch, url)
    with pytest.raises(DataError, match=r"download of tiny\.csv from"):
        load_dataset("tiny")


def test_download_false_refuses_and_says_so(
    server: FileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.files["/tiny.csv"] = TINY_CONTENT
    register_tiny(monkeypatch, server.url("/tiny.csv"))
    with pytest.raises(DatasetNotFoundError, match=r"is turned off for this command"):
        load_dataset("tiny", download=False)
    assert server.requests == []


def test_adult_downloads_from_its_canonical_layout(
    server: FileServer,
    shared_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    isolated_data_env: Path,
) -> None:
    """The real adult spec with its URLs pointed at the local server: the full download path."""
    spec = DATASETS["adult"]
    files = []
    for datafile in spec.files:
        path = f"/ml/machine-learning-databases/adult/{datafile.name}"
        server.files[path] = gzip.decompress(
            (shared_data_dir / "adult" / f"{datafile.name}.gz").read_bytes()
        )
        files.append(dataclasses.replace(datafile, url=server.url(path)))
    monkeypatch.setitem(DATASETS, "adult", dataclasses.replace(spec, files=tuple(files)))
    ds = load_dataset("adult")
    assert ds.n_rows == 48_842 and int(ds.y.sum()) == 11_687
    assert ds.files["adult.test"] == isolated_data_env / "adult" / "adult.test"
    assert len(server.requests) == 2
