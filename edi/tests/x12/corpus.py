"""Shared fixtures: where the real-sample corpus lives and what its manifest says.

The corpus ships with the code (``edi/tests/x12/corpus/``, sources and licences in its
``NOTICE.md``); ``X12_CORPUS_DIR`` points the tests at another folder. A missing corpus or file is
an error, never a skip: a test that silently skips proves nothing.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


def corpus_dir() -> Path:
    """The corpus folder shipped with the tests, or ``X12_CORPUS_DIR`` when set."""
    override = os.environ.get("X12_CORPUS_DIR")
    return Path(override) if override else CORPUS_DIR


def manifest() -> list[dict[str, str]]:
    """The manifest's rows; raises when the corpus folder has none."""
    path = corpus_dir() / "MANIFEST.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"X12 corpus manifest not found at {path} (check X12_CORPUS_DIR)")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows:
        raise ValueError(f"X12 corpus manifest {path} lists no files")
    return rows


def corpus_bytes(name: str) -> bytes:
    """One corpus file's bytes; raises when it is missing."""
    return (corpus_dir() / name).read_bytes()
