"""The emulator's 404: a near miss of the postback URL is answered and logged without its path (the secret)."""

from __future__ import annotations

import http.client
import json
import logging

import pytest

from postbacks_local.api import ApiEmulator
from tests.helpers import RecordingHandler
from tests.moto.test_local_api import api, ingest  # noqa: F401 - the emulator and its recording function

SECRET = "Near-Miss-Secret-7f3a9c"
NEAR_MISSES = [
    ("POST", f"/postbacks/{SECRET}/"),
    ("GET", f"/postbacks/{SECRET}"),
    ("PUT", f"/postbacks/{SECRET}"),
    ("POST", f"/postbacks//{SECRET}"),
    ("POST", f"/POSTBACKS/{SECRET}"),
    ("POST", f"/Postbacks/{SECRET.upper()}"),
    ("POST", f"/postbacks/{SECRET}/extra"),
    ("POST", f"/postback/{SECRET}"),
    ("POST", f"/postbacks/{SECRET}/%2F"),
]


def request(emulator: ApiEmulator, method: str, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(emulator.server.host, emulator.server.port, timeout=10)
    try:
        connection.request(method, path, body=b"<x/>", headers={"Content-Type": "text/xml"})
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize(("method", "path"), NEAR_MISSES)
def test_a_near_miss_is_404_and_neither_answer_nor_log_repeats_the_path(
    api: ApiEmulator,  # noqa: F811
    ingest: RecordingHandler,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
) -> None:
    with caplog.at_level(logging.INFO, logger="postbacks_local.api"):
        status, body = request(api, method, path)
    assert status == 404
    assert json.loads(body)["error"] == "not_found"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "-> 404" in logged
    for secret in (SECRET, SECRET.upper(), SECRET.lower()):
        assert secret not in body
        assert secret not in logged
    assert ingest.events == []
