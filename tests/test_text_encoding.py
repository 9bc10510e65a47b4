"""How a stored file's start is shown to a person: its byte order mark named, its text decoded."""

from __future__ import annotations

import pytest

from gateway.text_encoding import preview


@pytest.mark.parametrize(
    ("data", "shown", "note"),
    [
        (b"ISA*00~", "ISA*00~", ""),
        (b"\xef\xbb\xbfISA*00~", "ISA*00~", "UTF-8 byte order mark: shown decoded as UTF-8, without the mark."),
        (
            "\ufeffISA*00~".encode("utf-16-le"),
            "ISA*00~",
            "UTF-16 byte order mark: shown decoded as UTF-16, without the mark.",
        ),
        (
            "\ufeffISA*00~".encode("utf-16-be"),
            "ISA*00~",
            "UTF-16 byte order mark: shown decoded as UTF-16, without the mark.",
        ),
        (
            "\ufeffISA*00~".encode("utf-32-le"),
            "ISA*00~",
            "UTF-32 byte order mark: shown decoded as UTF-32, without the mark.",
        ),
        (
            "\ufeffISA*00~".encode("utf-32-be"),
            "ISA*00~",
            "UTF-32 byte order mark: shown decoded as UTF-32, without the mark.",
        ),
        ("ISA*00~".encode("utf-16-le"), "ISA*00~", "UTF-16 without a byte order mark: shown decoded as UTF-16."),
    ],
)
def test_a_files_start_is_shown_as_its_text(data, shown, note):
    assert preview(data) == (shown, note)
