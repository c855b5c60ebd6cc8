"""PutEvents as the events function makes it: calls of at most 10, only refused entries sent again, bounded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from postbacks.service import events, publisher
from postbacks.storage import bus


class Bus:
    """A PutEvents answering as AWS does: entries in request order, refused ones with an ErrorCode."""

    def __init__(self, refuse: Mapping[str, int] | None = None, fail_calls: int = 0) -> None:
        self.refuse = dict(refuse or {})  # Detail -> how many more times it is refused
        self.fail_calls = fail_calls
        self.calls: list[list[str]] = []
        self.put: list[str] = []

    def put_events(self, Entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        assert len(Entries) <= 10
        self.calls.append([entry["Detail"] for entry in Entries])
        if self.fail_calls:
            self.fail_calls -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "PutEvents")
        results: list[dict[str, str]] = []
        for entry in Entries:
            if self.refuse.get(entry["Detail"], 0) > 0:
                self.refuse[entry["Detail"]] -= 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                self.put.append(entry["Detail"])
                results.append({"EventId": f"id-{len(self.put)}"})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def entries(count: int) -> list[dict[str, str]]:
    return [{"Source": "s", "DetailType": "T", "Detail": f'{{"n":{n}}}'} for n in range(count)]


def no_sleep(seconds: float) -> None:
    assert 0 <= seconds <= 1


def test_entries_go_in_calls_of_at_most_ten() -> None:
    fake = Bus()
    assert bus.put_all(fake, entries(23), sleep=no_sleep) == {}
    assert [len(call) for call in fake.calls] == [10, 10, 3]


def test_only_the_refused_entries_are_sent_again() -> None:
    fake = Bus(refuse={'{"n":3}': 1, '{"n":7}': 1})
    assert bus.put_all(fake, entries(10), sleep=no_sleep) == {}
    assert fake.calls[1] == ['{"n":3}', '{"n":7}']
    assert sorted(fake.put) == sorted(entry["Detail"] for entry in entries(10))  # each exactly once


def test_an_entry_refused_every_time_is_returned_after_the_bounded_attempts() -> None:
    fake = Bus(refuse={'{"n":1}': 100})
    assert bus.put_all(fake, entries(3), sleep=no_sleep) == {1: "InternalFailure"}
    assert len(fake.calls) == bus.ATTEMPTS
    assert fake.refuse['{"n":1}'] == 100 - bus.ATTEMPTS


def test_a_call_refused_as_a_whole_is_sent_again() -> None:
    fake = Bus(fail_calls=1)
    assert bus.put_all(fake, entries(2), sleep=no_sleep) == {}
    assert len(fake.put) == 2


def stream_record(sequence: str, image: dict[str, Any]) -> dict[str, Any]:
    return {"eventName": "INSERT", "dynamodb": {"SequenceNumber": sequence, "NewImage": image}}


def postback(event_id: str) -> dict[str, Any]:
    return {
        "pk": {"S": "K"},
        "sk": {"S": f"S#010#-#{event_id}"},
        "item": {"S": "postback"},
        "message_key": {"S": "K"},
        "event_id": {"S": event_id},
        "code": {"S": "N101"},
        "status": {"S": "sent"},
    }


def test_records_whose_events_were_refused_are_the_ones_reported() -> None:
    records = [stream_record(str(100 + n), postback(f"e{n}")) for n in range(12)]
    refused_detail = events.postback_received(events.plain_image(postback("e4")), None)
    fake = Bus(refuse={refused_detail.entry("s", "b")["Detail"]: 100})
    outcome = publisher.publish(records, lambda key: None, "s", "b", lambda e: bus.put_all(fake, e, sleep=no_sleep))
    assert outcome.failed == {"104"}
    assert outcome.published == 11


def test_a_record_whose_status_read_fails_is_reported_and_the_others_go_on() -> None:
    def deciding(key: str) -> None:
        if key == "BAD":
            raise RuntimeError("throttled")

    bad = {**postback("e1"), "pk": {"S": "BAD"}, "message_key": {"S": "BAD"}}
    records = [stream_record("1", bad), stream_record("2", postback("e2"))]
    fake = Bus()
    outcome = publisher.publish(records, deciding, "s", "b", lambda e: bus.put_all(fake, e, sleep=no_sleep))
    assert (outcome.failed, outcome.published) == ({"1"}, 1)


def test_an_oversized_event_is_put_cut() -> None:
    huge = {**postback("e1"), "text": {"S": "😀" * 40_000}}
    fake = Bus()
    outcome = publisher.publish([stream_record("1", huge)], lambda key: None, "s", "b", lambda e: bus.put_all(fake, e))
    assert (outcome.cut, outcome.published, outcome.failed) == (1, 1, set())
    assert '"truncated":true' in fake.put[0]
