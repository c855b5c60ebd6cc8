"""Over real HTTP: every vendor example posted to the postback URL, then read back from DynamoDB and S3."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from postbacks_local.sample_events import content_type_for
from tests.helpers import SEEDS
from tests.integration.conftest import Target
from tests.moto.media_server import SMALL_BODY, MediaServer, generated
from tests.unit.test_seed_examples import BROKEN, WELL_FORMED


def post(url: str, body: bytes, content_type: str = "text/xml") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def eventually[T](check: Callable[[], T | None], seconds: float = 30.0) -> T:
    """The queue worker runs on its own time: poll until `check` gives a value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not true within {seconds} s")


def items(target: Target, key: str) -> list[dict[str, Any]]:
    answer = target.client("dynamodb").query(
        TableName=target.table_name,
        KeyConditionExpression="pk = :k",
        ExpressionAttributeValues={":k": {"S": key}},
        ConsistentRead=True,
    )
    return answer["Items"]  # type: ignore[no-any-return]


@pytest.fixture
def media() -> Iterator[MediaServer]:
    with MediaServer() as server:
        yield server


@pytest.mark.parametrize("name", sorted(WELL_FORMED))
def test_every_well_formed_seed_is_stored(target: Target, name: str) -> None:
    status, answer = post(target.postback_url, (SEEDS / name).read_bytes(), content_type_for(name))
    assert status == 200, answer
    (key,) = answer["tracking_ids"]
    codes = [item["code"]["S"] for item in items(target, key) if item["sk"]["S"].startswith("S#")]
    assert WELL_FORMED[name]["code"] in codes


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_every_broken_seed_is_refused_and_quarantined(target: Target, name: str) -> None:
    status, answer = post(target.postback_url, (SEEDS / name).read_bytes(), content_type_for(name))
    assert (status, answer["error"]) == (400, BROKEN[name].value)
    listing = target.client("s3").list_objects_v2(Bucket=target.bucket_name, Prefix=f"quarantine/{answer['error']}/")
    assert listing.get("KeyCount", 0) >= 1


def test_wrong_secret_is_refused(target: Target) -> None:
    url = target.postback_url.rsplit("/", 1)[0] + "/not-the-secret"
    assert post(url, (SEEDS / "001_sms_mt_n202.xml").read_bytes())[0] == 403


def test_bundle_of_sms_mo_becomes_one_record_each(target: Target) -> None:
    run = uuid.uuid4().int % 10**7
    numbers = [f"1555{run:07d}{n}" for n in range(3)]
    notifications = "".join(
        f'<NOTIFICATION id="{n}" created="2011-09-28 17:31:02.835577-04"><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE>'
        f"<BODY><FROM>{number}</FROM><TO>86717</TO><KEYWORD>STOP</KEYWORD>"
        "<RECEIVED>2011-09-28 17:31:02.278751-04</RECEIVED></BODY></NOTIFICATION>"
        for n, number in enumerate(numbers)
    )
    status, answer = post(target.postback_url, f"<POSTBACK>{notifications}</POSTBACK>".encode())
    assert (status, answer["queued"]) == (200, 3)
    dynamodb = target.client("dynamodb")

    def stored(number: str) -> int | None:
        found = dynamodb.query(
            TableName=target.table_name,
            IndexName="by_subscriber",
            KeyConditionExpression="subscriber = :n",
            ExpressionAttributeValues={":n": {"S": number}},
        )["Count"]
        return found or None

    assert [eventually(lambda number=number: stored(number)) for number in numbers] == [1, 1, 1]


def test_mms_mo_media_lands_in_s3_and_in_show(target: Target, media: MediaServer) -> None:
    if not target.serves_loopback_media:
        pytest.skip("a deployed worker cannot fetch from this machine's loopback media server")
    tracking_id = f"MMS_MO_{uuid.uuid4().hex[:10]}"
    urls = [media.url("/small.gif"), media.url("/generated?size=9000000")]
    body = (
        "<POSTBACK><NOTIFICATION><ORIGIN>MMS_MO</ORIGIN><CODE>N401</CODE><FROM>13217949521</FROM><TO>74700</TO>"
        f"<KEYWORD>all</KEYWORD><TRACKINGID>{tracking_id}</TRACKINGID><TIMESTAMP>2014-02-03T11:19:49-05:00</TIMESTAMP>"
        f"<CONTENT>{''.join(f'<FILE>{url}</FILE>' for url in urls)}</CONTENT></NOTIFICATION></POSTBACK>"
    ).encode()
    assert post(target.postback_url, body)[0] == 200

    def shown() -> dict[str, Any] | None:
        completed = subprocess.run(
            [sys.executable, "-m", "postbacks_cli.cli", "show", tracking_id, "--json"],
            capture_output=True,
            text=True,
            env=target.cli_environment(),
            check=False,
        )
        document: dict[str, Any] = json.loads(completed.stdout) if completed.returncode == 0 else {}
        done = [entry for entry in document.get("media", []) if entry["state"] != "pending"]
        return document if len(done) == len(urls) else None

    document = eventually(shown)
    assert document["status"] == "received"
    s3 = target.client("s3")
    for entry, source in zip(document["media"], [SMALL_BODY, b"".join(generated(9000000))], strict=True):
        assert entry["state"] == "archived"
        assert entry["sha256"] == hashlib.sha256(source).hexdigest()
        bucket, key = entry["s3_uri"].removeprefix("s3://").split("/", 1)
        assert hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest() == entry["sha256"]
