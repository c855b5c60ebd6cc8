"""Bytes through the domain as ingest sends them: the canonical postbacks, or the refusal's reason and detail."""

from __future__ import annotations

from typing import Any

import pytest

from postbacks.domain import decoding, parsing
from postbacks.domain.errors import PostbackRejected, Reason


def parsed(raw: bytes, content_type: str | None = None) -> parsing.ParsedBody:
    return parsing.parse(decoding.payload(raw, content_type))


def canonical(raw: bytes, content_type: str | None = None) -> list[dict[str, Any]]:
    return [postback.canonical() for postback in parsed(raw, content_type).postbacks]


def refusal(raw: bytes, content_type: str | None = None) -> tuple[Reason, str]:
    with pytest.raises(PostbackRejected) as refused:
        parsed(raw, content_type)
    return refused.value.reason, refused.value.detail
