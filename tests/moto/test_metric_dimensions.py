"""A sender's code reaches the metrics only as a listed code or `unrecognised`, never in clear."""

from __future__ import annotations

import json

import pytest

from tests.helpers import Invoke, post
from tests.leaks import leaks

PHONE_AS_CODE = b'{"origin": "MMS_MT", "code": "16501112222", "tracking-id": "dim-1", "to": "16505550199"}'


def emf_documents(printed: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in printed.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_an_unknown_code_is_counted_as_unrecognised_and_never_written(
    ingest: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    assert post(ingest, PHONE_AS_CODE, "application/json")[0] == 200
    printed = capsys.readouterr().out
    [document] = emf_documents(printed)
    assert document["code"] == "unrecognised"
    assert "16501112222" not in printed
    assert leaks(printed) == []


def test_a_listed_code_is_its_own_dimension(ingest: Invoke, capsys: pytest.CaptureFixture[str]) -> None:
    body = PHONE_AS_CODE.replace(b"16501112222", b"E101").replace(b"dim-1", b"dim-2")
    assert post(ingest, body, "application/json")[0] == 200
    [document] = emf_documents(capsys.readouterr().out)
    assert document["code"] == "E101"
