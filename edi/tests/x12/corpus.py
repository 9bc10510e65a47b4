"""Shared fixtures: where the real-sample corpus lives and what its manifest says."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def corpus_dir() -> Path:
    """The shared corpus folder, or ``X12_CORPUS_DIR`` when set."""
    override = os.environ.get("X12_CORPUS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "x12"


def require_corpus() -> None:
    """Skip when the shared corpus is not on this machine (a checkout without /work/shared)."""
    if not (corpus_dir() / "MANIFEST.tsv").exists():
        pytest.skip(f"X12 corpus not found at {corpus_dir()} (set X12_CORPUS_DIR)")


def manifest() -> list[dict[str, str]]:
    path = corpus_dir() / "MANIFEST.tsv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def corpus_bytes(name: str) -> bytes:
    path = corpus_dir() / name
    if not path.exists():
        pytest.skip(f"corpus file {name} not available")
    return path.read_bytes()
