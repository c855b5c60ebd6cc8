"""Bounds through the whole path (ingest, queue, worker, store): the calls the answer waits for do not grow with
the fan-out, queued and stored bytes stay a small multiple of the body, and each item keeps its own bytes.

AWS calls are counted as they leave botocore (one `before-send` per HTTP attempt), bytes as their request bodies.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from postbacks.domain.parsing import MAX_NOTIFICATIONS
from postbacks.storage import aws
from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from tests import helpers
from tests.helpers import Invoke, drain

# Queued and stored bytes over the body's, at most: docs/limits.md states the measured figures.
AMPLIFICATION_BOUND = 4
# Past one job's share of items (ingest.BUNDLE_CHUNK), a bundle goes through S3: the most calls it costs.
PAST_ONE_JOB = 101


@dataclass
class Calls:
    operations: Counter[str] = field(default_factory=Counter)
    bytes: Counter[str] = field(default_factory=Counter)

    def __call__(self, request: Any, event_name: str, **_: Any) -> None:
        operation = event_name.split(".", 2)[-1]
        self.operations[operation] += 1
        body = request.body
        self.bytes[operation] += len(body) if isinstance(body, bytes | str) else 0

    def clear(self) -> None:
        self.operations.clear()
        self.bytes.clear()


@pytest.fixture
def calls(stack: StackResources) -> Iterator[Calls]:
    helpers.reset_cached_settings()  # clients made after this carry the hook
    counter = Calls()
    aws._session().events.register("before-send", counter)
    yield counter
    aws._session().events.unregister("before-send", counter)


def bundle(count: int, envelope: str = "", tag: str = "NOTIFICATION", root: str = "POSTBACK") -> bytes:
    items = "".join(f"<{tag}><CODE>N211</CODE><FROM>1555{n:07d}</FROM></{tag}>" for n in range(count))
    return f"<{root}>{envelope}{items}</{root.split()[0]}>".encode()


def mms_mo(urls: list[str]) -> bytes:
    files = "".join(f"<FILE>{url}</FILE>" for url in urls)
    return (
        "<POSTBACK><ORIGIN>MMS_MO</ORIGIN><CODE>N401</CODE><FROM>13217949521</FROM><TO>74700</TO>"
        f"<TRACKINGID>MMS_MO_bounds</TRACKINGID><CONTENT>{files}</CONTENT></POSTBACK>"
    ).encode()


def answer_calls(ingest: Invoke, calls: Calls, body: bytes) -> Counter[str]:
    """The AWS calls one delivery makes before its answer (the URL secret read once per container left out)."""
    calls.clear()
    status, answer = helpers.post(ingest, body)
    assert status == 200, answer
    made = Counter(calls.operations)
    made.pop("GetSecretValue", None)
    return made


def stored_raws(stack: StackResources) -> dict[str, bytes]:
    store = PostbackStore(stack.table_name)
    raws: dict[str, bytes] = {}
    for item in helpers.stored_events(stack):
        message = store.get_message(item["pk"]["S"])
        assert message is not None
        for event in message.events:
            raws[event.fields["from"]] = event.raw or b""
    return raws


# --- the answer's calls do not grow with the fan-out (symptom: 503 on every delivery) ----------------------


def test_a_thousand_notifications_cost_the_answer_the_same_calls_as_a_few_hundred(ingest: Invoke, calls: Calls) -> None:
    made = {count: answer_calls(ingest, calls, bundle(count)) for count in (PAST_ONE_JOB, MAX_NOTIFICATIONS)}
    assert made[PAST_ONE_JOB] == made[MAX_NOTIFICATIONS] == Counter(PutObject=1, SendMessageBatch=1)
    assert answer_calls(ingest, calls, bundle(2)) == Counter(SendMessageBatch=1)


def test_a_thousand_files_cost_the_answer_the_same_calls_as_one(ingest: Invoke, calls: Calls) -> None:
    one = answer_calls(ingest, calls, mms_mo(["https://media.example.com/0.jpg"]))
    thousand = answer_calls(ingest, calls, mms_mo([f"https://media.example.com/{n}.jpg" for n in range(1000)]))
    assert one == thousand == Counter(PutItem=1, SendMessageBatch=1)


def test_the_worker_fans_a_thousand_files_out_from_one_job(
    ingest: Invoke, worker: Invoke, stack: StackResources
) -> None:
    urls = [f"https://media.example.com/{n}.jpg" for n in range(1001)]
    assert helpers.post(ingest, mms_mo(urls))[0] == 200
    assert helpers.deliver_once(stack, worker) == (1, set())  # the media job, turned into fetch jobs
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    # At least once: a batch botocore retried after a timeout may be queued twice (fetching is idempotent).
    assert int(attributes["Attributes"]["ApproximateNumberOfMessages"]) >= 1000
    message = PostbackStore(stack.table_name).get_message("MMS_MO_bounds")
    assert message is not None
    fields = message.events[0].fields
    assert (fields["content"], fields["extra"]) == (urls[:1000], {"set-aside:content[1000]": urls[1000]})


# --- work linear in the body (symptom: a 360 KB envelope copied into every item) ----------------------------


def test_a_large_envelope_is_kept_once_and_bytes_stay_linear_in_the_body(
    ingest: Invoke, worker: Invoke, stack: StackResources, calls: Calls
) -> None:
    body = bundle(MAX_NOTIFICATIONS, envelope=f"<ACCOUNT>{'a' * 360_000}</ACCOUNT>")
    calls.clear()
    assert helpers.post(ingest, body)[0] == 200
    assert drain(stack, worker) == []
    queued = calls.bytes["SendMessageBatch"] + calls.bytes["PutObject"]
    stored = calls.bytes["PutItem"]
    assert queued <= AMPLIFICATION_BOUND * len(body)
    assert stored <= AMPLIFICATION_BOUND * len(body)
    events = helpers.stored_events(stack)
    assert len(events) == MAX_NOTIFICATIONS
    assert sum(1 for item in events if "ACCOUNT" in str(item)) == 1  # the context, with the first item


def test_notifications_at_the_bound_are_stored_and_above_it_refused_and_kept(
    ingest: Invoke, stack: StackResources
) -> None:
    assert helpers.post(ingest, bundle(MAX_NOTIFICATIONS))[0] == 200
    status, answer = helpers.post(ingest, bundle(MAX_NOTIFICATIONS + 1))
    assert (status, answer["error"]) == (413, "too_many_notifications")
    assert len(helpers.kept_keys(stack, "quarantine/too_many_notifications/")) == 1


def test_shared_attributes_at_the_bound_are_accepted_and_above_it_refused_and_kept(
    ingest: Invoke, stack: StackResources
) -> None:
    from postbacks.domain.parsing import MAX_SHARED_ATTRIBUTES

    def attributes(size: int) -> str:
        return f'POSTBACK a="{"v" * (size - len("POSTBACK@a"))}"'

    assert helpers.post(ingest, bundle(2, root=attributes(MAX_SHARED_ATTRIBUTES)))[0] == 200
    status, answer = helpers.post(ingest, bundle(2, root=attributes(MAX_SHARED_ATTRIBUTES + 1)))
    assert (status, answer["error"]) == (413, "shared_attributes_too_large")
    assert len(helpers.kept_keys(stack, "quarantine/shared_attributes_too_large/")) == 1


# --- exact bytes: namespaced, folded, UTF-16 (symptoms: whole bundle per item, lost last byte) ----------------


@pytest.mark.parametrize(
    ("root", "tag"),
    [
        ('POSTBACK xmlns="urn:postbacks"', "NOTIFICATION"),
        ('POSTBACK xmlns:p="urn:p"', "p:NOTIFICATION"),
        ("POSTBACK", "NOTI_FICATION"),
    ],
)
def test_each_item_of_a_namespaced_or_folded_bundle_keeps_only_its_own_bytes(
    ingest: Invoke, worker: Invoke, stack: StackResources, root: str, tag: str
) -> None:
    assert helpers.post(ingest, bundle(3, tag=tag, root=root))[0] == 200
    assert drain(stack, worker) == []
    raws = stored_raws(stack)
    assert raws == {
        f"1555{n:07d}": f"<{tag}><CODE>N211</CODE><FROM>1555{n:07d}</FROM></{tag}>".encode() for n in range(3)
    }


def test_each_item_of_a_utf16_bundle_keeps_its_notification_to_the_last_byte(
    ingest: Invoke, worker: Invoke, stack: StackResources
) -> None:
    body = b"\xff\xfe" + bundle(3).decode().encode("utf-16-le")
    assert helpers.post(ingest, body)[0] == 200
    assert drain(stack, worker) == []
    assert stored_raws(stack) == {
        f"1555{n:07d}": f"<NOTIFICATION><CODE>N211</CODE><FROM>1555{n:07d}</FROM></NOTIFICATION>".encode("utf-16-le")
        for n in range(3)
    }


def test_a_refused_utf16_item_is_kept_in_a_form_that_replays_to_the_same_postback(
    ingest: Invoke, worker: Invoke, stack: StackResources
) -> None:
    # Within every limit of the parser, over DynamoDB's 400 KB once stored (3 bytes in UTF-8, 2 in UTF-16).
    huge = "".join(f"<X{n}>{'中' * 4096}</X{n}>" for n in range(35))
    text = bundle(2).decode().replace("</FROM>", f"</FROM>{huge}", 1)
    body = b"\xff\xfe" + text.encode("utf-16-le")
    assert helpers.post(ingest, body)[0] == 200
    assert drain(stack, worker) == []
    assert list(stored_raws(stack)) == ["15550000001"]
    (kept,) = helpers.kept_keys(stack, "quarantine/invalid_postback/")
    alone = boto3.client("s3").get_object(Bucket=stack.bucket_name, Key=kept)["Body"].read()
    from postbacks.service.ingest import parse_body, same

    _, parsed = parse_body(body, "text/xml")
    _, replayed = parse_body(alone, "text/xml")
    (postback,) = replayed.postbacks
    assert same(postback, parsed.postbacks[0])


def test_a_bundle_too_large_for_one_message_goes_through_s3_once(
    worker: Invoke, stack: StackResources, monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    from postbacks.service.ingest import IngestRequest, Outcome, ingestor_from_settings
    from postbacks.service.settings import Settings, from_environment

    monkeypatch.setenv("MAX_BODY_BYTES", "1048576")  # the most the settings allow
    ingestor = ingestor_from_settings(from_environment(Settings))
    body = bundle(3, envelope=f"<ACCOUNT>{'a' * 900_000}</ACCOUNT>")
    calls.clear()
    result = ingestor.ingest(IngestRequest(body, {"content-type": "text/xml"}, "req-large"))
    assert (result.outcome, result.queued) == (Outcome.ACCEPTED, 3)
    assert calls.operations == Counter(PutObject=1, SendMessageBatch=1)
    assert len(helpers.kept_keys(stack, "bundles/")) == 1
    assert drain(stack, worker) == []
    # The first item carries the 900 KB context: over DynamoDB's item limit, it is kept aside whole.
    assert sorted(stored_raws(stack)) == ["15550000001", "15550000002"]
    assert len(helpers.kept_keys(stack, "quarantine/invalid_postback/")) == 1


# --- scalar bounds, through ingest and store ---------------------------------------------------------------


def sms(extra: str = "", padding: int = 0) -> bytes:
    body = f"<POSTBACK><CODE>N201</CODE><TRACKINGID>SMS_bounds</TRACKINGID>{extra}<!--{'p' * padding}--></POSTBACK>"
    return body.encode()


def stored_fields(stack: StackResources, key: str = "SMS_bounds") -> dict[str, Any]:
    message = PostbackStore(stack.table_name).get_message(key)
    assert message is not None
    return message.events[0].fields


def test_a_body_at_the_cap_is_stored_and_one_byte_over_is_413(ingest: Invoke, stack: StackResources) -> None:
    cap = int(os.environ["MAX_BODY_BYTES"])  # the template's, set by the stack fixture
    at_cap = sms(padding=cap - len(sms()))
    assert len(at_cap) == cap
    assert helpers.post(ingest, at_cap)[0] == 200
    status, answer = helpers.post(ingest, sms(padding=cap - len(sms()) + 1))
    assert (status, answer["error"]) == (413, "body_too_large")


@pytest.mark.parametrize(("tag", "field", "bound"), [("TEXT", "text", 4096), ("FROM", "from", 200), ("TO", "to", 200)])
def test_a_value_at_its_bound_is_its_field_and_one_over_is_kept_in_extra(
    ingest: Invoke, stack: StackResources, tag: str, field: str, bound: int
) -> None:
    assert helpers.post(ingest, sms(f"<{tag}>{'7' * bound}</{tag}>"))[0] == 200
    assert stored_fields(stack)[field] == "7" * bound
    over = sms(f"<{tag}>{'7' * (bound + 1)}</{tag}>").replace(b"SMS_bounds", b"SMS_bounds2")
    assert helpers.post(ingest, over)[0] == 200
    fields = stored_fields(stack, "SMS_bounds2")
    assert (fields.get(field), fields["extra"]) == (None, {field: "7" * (bound + 1)})
