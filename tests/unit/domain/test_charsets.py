"""A header's charset is believed only where the bytes leave their encoding open."""

from __future__ import annotations

import pytest

from postbacks.domain import charsets


@pytest.mark.parametrize(
    ("charset", "codec"),
    [("ISO-8859-1", "iso8859-1"), ("UTF8", "utf-8"), ("utf-16", "utf-16"), ("no-such", None), ("", None), (None, None)],
)
def test_a_charset_names_its_codec_or_none(charset: str | None, codec: str | None) -> None:
    assert charsets.codec(charset) == codec


def test_utf8_or_no_codec_never_needs_another_reading() -> None:
    assert not charsets.needed(b"\xff", None)
    assert not charsets.needed(b"\xff", "utf-8")


def test_utf16_and_utf32_are_needed_only_for_bytes_with_nuls() -> None:
    assert charsets.needed(b"<\x00", "utf-16-le")
    assert not charsets.needed(b"<A", "utf-16-le")
    assert charsets.needed(b"\x00\x00\x00<", "utf-32-be")
    assert not charsets.needed(b"<A", "utf-32")


def test_a_single_byte_charset_is_needed_only_for_bytes_that_are_not_utf8() -> None:
    assert charsets.needed(b"caf\xe9", "iso8859-1")
    assert not charsets.needed("café".encode(), "iso8859-1")


def test_decode_reads_the_charset_where_needed_and_utf8_otherwise() -> None:
    assert charsets.decode(b"caf\xe9", "latin-1") == "café"
    assert charsets.decode("café".encode(), "latin-1") == "café"
    assert charsets.decode("café".encode(), "no-such") == "café"
    assert charsets.decode("<A".encode("utf-16-le"), "utf-16-le") == "<A"


def test_decode_of_bytes_no_charset_can_read_raises() -> None:
    with pytest.raises(UnicodeDecodeError):
        charsets.decode(b"caf\xe9", None)
