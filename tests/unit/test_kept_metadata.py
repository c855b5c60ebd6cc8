"""What is recorded beside a kept body always fits S3's hard limits, and nothing cut is lost."""

from __future__ import annotations

import string
from dataclasses import replace
from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from postbacks.storage.kept_metadata import (
    CUT_MARK,
    MAX_METADATA_BYTES,
    KeptBody,
    fit,
    kept_body,
    object_name,
    sidecar_body,
    size,
)

SHORT = KeptBody("malformed_xml", "line 1: not well-formed", "text/xml; charset=utf-8", "req-1", "2026-12-01T10:00:00Z")


def read_back(kept: KeptBody) -> KeptBody:
    """What a reader gets: the fitted metadata, plus the sidecar when one was written."""
    fitted = fit(kept)
    sidecar = sidecar_body(fitted.full) if fitted.full is not None else None
    return kept_body(kept.request_id, fitted.metadata, sidecar, "unknown")


def test_short_values_are_kept_as_they_are_without_a_sidecar() -> None:
    fitted = fit(SHORT)

    assert fitted.full is None
    assert "cut" not in fitted.metadata
    assert read_back(SHORT) == SHORT


def test_long_content_type_is_cut_within_2_kb_and_kept_whole_in_the_sidecar() -> None:
    kept = KeptBody("malformed_xml", "refused", "text/xml; note=" + "é" * 3000, "req-2", "2026-12-01T10:00:00Z")
    fitted = fit(kept)

    assert size(fitted.metadata) <= MAX_METADATA_BYTES
    assert fitted.metadata["cut"] == "content-type"
    assert fitted.full == {"content-type": kept.content_type}
    assert read_back(kept).content_type == kept.content_type


def test_long_detail_is_cut_on_a_character_and_marked() -> None:
    kept = KeptBody("unrecognised", "€" * 5000, "text/xml", "req-3", "2026-12-01T10:00:00Z")
    fitted = fit(kept)

    shown = unquote(fitted.metadata["detail"], errors="strict")
    assert shown.endswith(CUT_MARK)
    assert set(shown.removesuffix(CUT_MARK)) == {"€"}
    assert fitted.metadata["cut"] == "detail"
    assert read_back(kept).detail == kept.detail


def test_both_long_leave_the_detail_some_room_and_keep_both_whole() -> None:
    kept = KeptBody("malformed_xml", "d" * 4000, "t/" + "x" * 4000, "req-4", "2026-12-01T10:00:00Z")
    fitted = fit(kept)

    assert size(fitted.metadata) <= MAX_METADATA_BYTES
    assert fitted.metadata["cut"] == "content-type detail"
    assert len(fitted.metadata["detail"]) >= 200
    assert read_back(kept) == replace(kept, cut=("content-type", "detail"))


@given(
    detail=st.text(max_size=3000),
    content_type=st.none() | st.text(max_size=3000),
    received_at=st.text(string.printable, max_size=40),
)
def test_any_values_fit_as_ascii_and_read_back_whole(detail: str, content_type: str | None, received_at: str) -> None:
    kept = KeptBody("malformed_xml", detail, content_type, "req", received_at)
    fitted = fit(kept)

    assert size(fitted.metadata) <= MAX_METADATA_BYTES
    # Header values: printable ASCII, and no blank at either end for HTTP to drop
    assert all(value.isascii() and value.isprintable() for value in fitted.metadata.values())
    assert all(value == value.strip() for value in fitted.metadata.values())
    back = read_back(kept)
    assert (back.detail, back.content_type or None, back.received_at) == (detail, content_type or None, received_at)


def test_request_id_too_long_for_a_key_becomes_its_digest() -> None:
    assert object_name("abc-123") == "abc-123"
    long_name = object_name("é" * 500)
    assert long_name.startswith("sha256-")
    assert len(long_name) < 100
    assert object_name("é" * 500) == long_name  # a retry of the same request lands on the same key
