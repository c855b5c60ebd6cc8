"""The events path end to end on moto: stream -> the mapping (filter, batching, failure handling) -> the events
function (build, cut, PutEvents) -> bus -> tap queue; failures injected on the wire.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from postbacks.service import events
from postbacks.storage import aws
from postbacks_cli.local_stacks import StackResources
from tests import helpers
from tests.helpers import Invoke, drain, seed
from tests.moto.conftest import Tap
from tests.moto.media_server import SMALL_BODY, MediaServer
from tests.moto.test_worker import mms_mo


def post(ingest: Invoke, name: str) -> None:
    status, answer = helpers.post(ingest, seed(name))
    assert status == 200, answer


def test_new_postback_publishes_one_postback_received(tap: Tap, ingest: Invoke, stack: StackResources) -> None:
    post(ingest, "001_mms_mt_n101_binary.xml")
    [event] = tap.published()
    assert event["source"] == f"postbacks.{stack.stack_name}"
    assert event["detail-type"] == "Postback Received"
    detail = event["detail"]
    assert detail["message_key"] == "TU1TXzU5Nzg3OQ=="
    assert detail["postback"]["code"] == "N101"
    assert detail["postback"]["to"] == "16501112222"
    assert detail["message"] == {
        "status": "sent",
        "status_code": "N101",
        "final": False,
        "decided_by": detail["event_id"],
    }


def test_detail_never_carries_the_raw_body(tap: Tap, ingest: Invoke) -> None:
    post(ingest, "001_mms_mt_n101_binary.xml")
    [event] = tap.published()
    assert "raw" not in event["detail"]["postback"]
    assert "<POSTBACK>" not in json.dumps(event)


def test_duplicate_publishes_nothing(tap: Tap, ingest: Invoke) -> None:
    post(ingest, "001_mms_mt_n101_binary.xml")
    assert len(tap.published()) == 1
    post(ingest, "001_mms_mt_n101_binary.xml")
    assert tap.published() == []


def test_outcome_after_sent_gives_the_final_status(tap: Tap, ingest: Invoke) -> None:
    post(ingest, "001_mms_mt_n101_binary.xml")
    tap.published()
    post(ingest, "001_mms_mt_n102_binary.xml")
    [event] = tap.published()
    assert event["detail"]["postback"]["code"] == "N102"
    assert event["detail"]["message"]["status"] == "delivered"
    assert event["detail"]["message"]["final"] is True


def test_late_sent_reports_the_status_it_did_not_change(tap: Tap, ingest: Invoke) -> None:
    post(ingest, "001_mms_mt_n102_binary.xml")
    [delivered] = tap.published()
    post(ingest, "001_mms_mt_n101_binary.xml")
    [late] = tap.published()
    assert late["detail"]["postback"]["code"] == "N101"
    assert late["detail"]["message"]["status"] == "delivered"
    assert late["detail"]["message"]["decided_by"] == delivered["detail"]["event_id"]


def test_bad_input_is_never_published(tap: Tap, ingest: Invoke) -> None:
    status, _ = helpers.post(ingest, b"<POSTBACK><CODE>N101</CODE")
    assert 400 <= status < 500
    status, _ = helpers.post(ingest, seed("001_mms_mt_n101_binary.xml"), secret="wrong")
    assert status != 200
    assert tap.published() == []


def test_one_archived_file_gives_one_media_archived(
    tap: Tap, ingest: Invoke, worker: Invoke, stack: StackResources, media: MediaServer
) -> None:
    status, answer = helpers.post(ingest, mms_mo([media.url("/small.gif")]))
    assert status == 200, answer
    assert drain(stack, worker) == []
    published = tap.published()
    assert [event["detail-type"] for event in published] == ["Postback Received", "Media Archived"]
    detail = published[1]["detail"]
    assert detail["message_key"] == "MMS_MO_test1"
    assert detail["event_id"] == published[0]["detail"]["event_id"]
    assert detail["index"] == 0
    assert detail["size"] == len(SMALL_BODY)
    assert detail["sha256"] == hashlib.sha256(SMALL_BODY).hexdigest()
    assert detail["content_type"] == "image/gif"
    bucket, key = detail["s3_uri"].removeprefix("s3://").split("/", 1)
    assert boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read() == SMALL_BODY


def test_file_that_could_not_be_archived_publishes_nothing(
    tap: Tap, ingest: Invoke, worker: Invoke, stack: StackResources, media: MediaServer
) -> None:
    status, _ = helpers.post(ingest, mms_mo([media.url("/missing.gif")]))
    assert status == 200
    drain(stack, worker)
    assert [event["detail-type"] for event in tap.published()] == ["Postback Received"]


def test_the_greatest_precedence_is_the_message_status(tap: Tap, ingest: Invoke) -> None:
    post(ingest, "001_mms_mt_n102_binary.xml")
    post(ingest, "001_mms_mt_n101_binary.xml")  # late: it changes nothing
    published = [event["detail"] for event in tap.published()]
    deciding = max(published, key=lambda detail: detail["precedence"])
    assert deciding["postback"]["status"] == deciding["message"]["status"] == "delivered"
    assert all(detail["message"]["decided_by"] == deciding["event_id"] for detail in published)
    assert all(detail["precedence"].startswith("S#") for detail in published)


# --- an event larger than the bus takes -------------------------------------------------------------------


def with_account(name: str, value: str) -> bytes:
    """A seed with one more field, which the postback keeps in `extra`."""
    return seed(name).replace(b"<POSTBACK>", f"<POSTBACK><ACCOUNT>{value}</ACCOUNT>".encode(), 1)


def dead_letters(tap: Tap) -> list[dict[str, Any]]:
    assert tap.mapping.destination_url is not None
    sqs = boto3.client("sqs")
    found = []
    while messages := sqs.receive_message(QueueUrl=tap.mapping.destination_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=tap.mapping.destination_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_a_postback_too_large_for_the_bus_is_published_cut_and_the_stream_goes_on(tap: Tap, ingest: Invoke) -> None:
    # 95,000 emoji: 380 KB in the item, 1.1 MB as escaped JSON, over the bus's 1 MiB entry.
    status, answer = helpers.post(ingest, with_account("001_mms_mt_n101_binary.xml", "\U0001f600" * 95_000))
    assert status == 200, answer
    post(ingest, "001_mms_mt_n102_binary.xml")
    [cut, behind] = tap.published()
    assert cut["detail"]["truncated"] is True
    assert cut["detail"]["cut"] == ["postback.extra"]
    assert cut["detail"]["postback"]["code"] == "N101"
    assert cut["detail"]["message_key"] == "TU1TXzU5Nzg3OQ=="
    entry = {"Source": cut["source"], "DetailType": cut["detail-type"], "Detail": json.dumps(cut["detail"])}
    assert events.entry_size(entry) <= events.MAX_ENTRY_BYTES
    assert behind["detail"]["postback"]["code"] == "N102"
    assert dead_letters(tap) == []


# --- the bus refusing entries (FailedEntryCount), injected on the wire ------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class RefusingBus:
    """PutEvents answered as AWS answers a partial failure: the chosen entries refused with an ErrorCode,
    the others put on the moto bus; `times` refusals of each chosen entry (None: every time)."""

    def __init__(self, refuse: Callable[[Mapping[str, Any]], bool], times: int | None = None) -> None:
        self.refuse = refuse
        self.left = times
        self.calls: list[int] = []  # entries per PutEvents call the function made
        self.client = aws.events()
        self.moto = boto3.client("events")
        self.client.meta.events.register("before-send.eventbridge.PutEvents", self._answer, unique_id=id(self))

    def _answer(self, request: Any, **_: Any) -> AWSResponse | None:
        entries = json.loads(request.body)["Entries"]
        self.calls.append(len(entries))
        refused = {i for i, entry in enumerate(entries) if self.refuse(entry)} if self.left != 0 else set()
        if not refused:
            return None
        if self.left is not None:
            self.left -= 1
        others = [entry for i, entry in enumerate(entries) if i not in refused]
        put = iter(self.moto.put_events(Entries=others)["Entries"] if others else [])
        results = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "Internal Failure"} if i in refused else next(put)
            for i in range(len(entries))
        ]
        body = json.dumps({"FailedEntryCount": len(refused), "Entries": results}).encode()
        headers = HTTPHeaders.from_dict({"x-amzn-RequestId": "injected", "Content-Type": "application/x-amz-json-1.1"})
        return AWSResponse(request.url, 200, headers, _Body(body))

    def stop(self) -> None:
        self.client.meta.events.unregister("before-send.eventbridge.PutEvents", unique_id=id(self))


@pytest.fixture
def refusing() -> Iterator[Callable[..., RefusingBus]]:
    started: list[RefusingBus] = []

    def start(refuse: Callable[[Mapping[str, Any]], bool], times: int | None = None) -> RefusingBus:
        started.append(RefusingBus(refuse, times))
        return started[-1]

    yield start
    for bus in started:
        bus.stop()


def code_is(code: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda entry: json.loads(entry["Detail"]).get("postback", {}).get("code") == code


def test_a_refused_entry_is_put_again_alone_and_published_once(
    tap: Tap, ingest: Invoke, refusing: Callable[..., RefusingBus]
) -> None:
    bus = refusing(code_is("N101"), times=1)
    post(ingest, "001_mms_mt_n101_binary.xml")
    post(ingest, "002_mms_mt_n102_binary.xml")
    published = tap.published()
    assert sorted(event["detail"]["postback"]["code"] for event in published) == ["N101", "N102"]
    assert bus.calls == [2, 1]  # the second call carried only the refused entry
    assert dead_letters(tap) == []


def stream_sequence(stack: StackResources, event_id: str) -> str:
    """The sequence number of the stream record that inserted this postback."""
    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=stack.table_name)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    for record in streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]:
        if record["dynamodb"].get("NewImage", {}).get("event_id", {}).get("S") == event_id:
            return str(record["dynamodb"]["SequenceNumber"])
    raise AssertionError(f"no stream record for {event_id}")


def test_an_entry_the_bus_keeps_refusing_is_parked_and_the_records_behind_it_are_published(
    tap: Tap, ingest: Invoke, stack: StackResources, refusing: Callable[..., RefusingBus]
) -> None:
    refusing(code_is("N101"))
    for name in ("001_mms_mt_n101_binary.xml", "001_mms_mt_n102_binary.xml", "004_sms_mo_n211.xml"):
        post(ingest, name)
    published = {event["detail"]["postback"]["code"] for event in tap.published()}
    assert published == {"N102", "N211"}
    [parked] = dead_letters(tap)
    [n101] = [item for item in helpers.stored_events(stack) if item["code"]["S"] == "N101"]
    info = parked["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == stream_sequence(stack, n101["event_id"]["S"])
    assert info["streamArn"] == tap.mapping.stream_arn
    assert parked["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert parked["requestContext"]["approximateInvokeCount"] == tap.mapping.settings.max_retries + 1
    post(ingest, "002_mms_mt_n102_binary.xml")  # the stream is not stalled
    assert [event["detail"]["postback"]["code"] for event in tap.published()] == ["N102"]
    assert dead_letters(tap) == []
