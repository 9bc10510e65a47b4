"""The real-sample corpus ships with the tests, every file with a source and a licence that lets us ship it."""

from pathlib import Path

import pytest

from edi.tests.x12.corpus import CORPUS_DIR, corpus_bytes, corpus_dir, manifest

REPO = Path(__file__).resolve().parents[3]
REDISTRIBUTABLE = {"MIT", "BSD-3-Clause", "Apache-2.0"}


def test_the_corpus_is_in_the_repository(monkeypatch):
    monkeypatch.delenv("X12_CORPUS_DIR", raising=False)
    assert corpus_dir() == CORPUS_DIR and CORPUS_DIR.is_relative_to(REPO)
    rows = manifest()
    assert len(rows) == 32
    assert sorted(p.name for p in CORPUS_DIR.glob("*.edi")) == sorted(row["filename"] for row in rows)


def test_every_file_names_its_source_and_a_licence_we_may_redistribute():
    notice = (CORPUS_DIR / "NOTICE.md").read_text()
    for row in manifest():
        assert row["license"] in REDISTRIBUTABLE, row["filename"]
        assert len(row["commit"]) == 40 and row["source_path"], row["filename"]
        assert f"https://github.com/{row['source_repo']}" in notice, row["source_repo"]
    for licence in (
        "Apache-2.0.txt",
        "BSD-3-Clause-stupidedi.txt",
        "MIT-node-x12.txt",
        "MIT-EDI.Net.txt",
        "MIT-EdiEngine.txt",
    ):
        assert (CORPUS_DIR / "LICENSES" / licence).is_file()


def test_a_missing_corpus_is_an_error_not_a_skip(monkeypatch, tmp_path):
    monkeypatch.setenv("X12_CORPUS_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="X12 corpus manifest not found"):
        manifest()
    with pytest.raises(FileNotFoundError):
        corpus_bytes("850_nodex12_1.edi")
