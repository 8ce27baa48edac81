"""Real datasets (registry, checksums, cache, download) and their streams of chunks.

Examples
--------
>>> from banditops.data import DATASETS, chunk_bounds
>>> DATASETS["creditcard"].default_chunk_size
5000
>>> chunk_bounds(2500, 1000).tolist()
[0, 1000, 2000, 2500]
"""

from __future__ import annotations

from banditops.data.datasets import (
    DATASETS,
    DataFile,
    Dataset,
    DatasetSpec,
    ParsedTable,
    cache_dir,
    content_sha256,
    dataset_from_files,
    load_dataset,
    resolve_file,
    search_dirs,
)
from banditops.data.stream import Stream, chunk_bounds, make_stream, stream_order

__all__ = [
    "DATASETS",
    "DataFile",
    "Dataset",
    "DatasetSpec",
    "ParsedTable",
    "Stream",
    "cache_dir",
    "chunk_bounds",
    "content_sha256",
    "dataset_from_files",
    "load_dataset",
    "make_stream",
    "resolve_file",
    "search_dirs",
    "stream_order",
]
