"""Redeliveries add nothing, concurrent deliveries add one event, and arrival order never changes the final status.

The expected status is worked out here from the rule, not read from the code: a final outcome (delivered,
failed, rejected, expired) beats "sent" whenever it arrives; between outcomes the later vendor timestamp wins.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from postbacks_local.api import ApiEmulator
from tests.helpers import (
    SECRET,
    SEEDS,
    WELL_FORMED_SEEDS,
    Invoke,
    content_type_of,
    drain,
    post,
    save_seed,
    stored_events,
)
from tests.reliability.fuzzing import examples

# --- duplicates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", WELL_FORMED_SEEDS, ids=lambda path: path.name)
def test_each_example_delivered_five_times_is_one_event(ingest: Invoke, stack: StackResources, path: Path) -> None:
    answers = [post(ingest, path.read_bytes(), content_type_of(path)) for _ in range(5)]
    assert [status for status, _ in answers] == [200] * 5
    assert [answer["duplicates"] for _, answer in answers] == [0, 1, 1, 1, 1]
    assert len(stored_events(stack)) == 1


def sms_mo_bundle(count: int) -> bytes:
    items = "".join(
        f'<NOTIFICATION id="{n}"><ORIGIN>SMS_MO</ORIGIN><CODE>N211</CODE><BODY><FROM>1555000{n:04d}</FROM>'
        "<TO>86717</TO><KEYWORD>STOP</KEYWORD><RECEIVED>2011-09-28 17:31:02.278751-04</RECEIVED></BODY></NOTIFICATION>"
        for n in range(count)
    )
    return f"<POSTBACK>{items}</POSTBACK>".encode()


def test_bundle_delivered_five_times_is_one_event_per_notification(
    ingest: Invoke, worker: Invoke, stack: StackResources
) -> None:
    for _ in range(5):
        assert post(ingest, sms_mo_bundle(4))[0] == 200
    assert drain(stack, worker) == []
    assert len(stored_events(stack)) == 4


CONCURRENT = 50
ONE_POSTBACK = (SEEDS / "002_mms_mt_n102_binary.xml").read_bytes()  # tracking id TU1TXzU5Nzg3OQ==


def test_fifty_concurrent_deliveries_are_one_event(ingest: Invoke, stack: StackResources) -> None:
    # A warm container, as under real load: clients and the secret are ready before the burst.
    assert post(ingest, (SEEDS / "000_sms_mt_n201.xml").read_bytes())[0] == 200
    start = threading.Barrier(CONCURRENT)

    def deliver(_: int) -> tuple[int, dict[str, object]]:
        start.wait()  # all at once, into the runtime's one-invocation-at-a-time lock, as the local stack does
        return post(ingest, ONE_POSTBACK)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        answers = list(pool.map(deliver, range(CONCURRENT)))
    assert [status for status, _ in answers] == [200] * CONCURRENT
    # At most one answer says "new" (none, if the winner's reply was lost and botocore retried its write).
    assert sum(1 for _, answer in answers if answer["duplicates"] == 0) <= 1
    message = PostbackStore(stack.table_name).get_message("TU1TXzU5Nzg3OQ==")
    assert message is not None
    assert (len(message.events), message.status) == (1, "delivered")


def test_fifty_concurrent_saves_race_in_dynamodb_and_store_one_event(stack: StackResources) -> None:
    # Below the handler there is no process-wide state: the conditional writes race in DynamoDB itself.
    store = PostbackStore(stack.table_name)
    start = threading.Barrier(CONCURRENT)

    def save(_: int) -> None:
        start.wait()
        save_seed(store, ONE_POSTBACK)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        list(pool.map(save, range(CONCURRENT)))
    message = store.get_message("TU1TXzU5Nzg3OQ==")
    assert message is not None
    assert (len(message.events), message.status) == (1, "delivered")


def test_fifty_concurrent_deliveries_over_http_are_one_event(local_api: ApiEmulator, stack: StackResources) -> None:
    start = threading.Barrier(CONCURRENT)
    url = local_api.postback_url(SECRET)

    def deliver(_: int) -> int:
        start.wait()
        answer = requests.post(url, data=ONE_POSTBACK, headers={"Content-Type": "text/xml"}, timeout=10)
        return answer.status_code

    with ThreadPoolExecutor(CONCURRENT) as pool:
        statuses = list(pool.map(deliver, range(CONCURRENT)))
    assert statuses == [200] * CONCURRENT
    assert len(stored_events(stack)) == 1


# --- order ----------------------------------------------------------------------------------------------

# What each vendor status text means for the message, as the vendor's documentation says.
FINAL_OUTCOMES = frozenset({"delivered", "failed", "rejected", "expired"})


@dataclass(frozen=True)
class Event:
    code: str
    origin: str
    status_text: str
    status: str  # what the message shows once this is the deciding event


MMS_MT = (
    Event("N101", "MMS_MT", "Message Sent", "sent"),
    Event("N102", "MMS_MT", "Message Sent/Delivered", "delivered"),
    Event("E102", "MMS_MT", "Message Sent/Rejected", "rejected"),
)
SMS_MT = (
    Event("N201", "SMS_MT", "Message Sent", "sent"),
    Event("N202", "SMS_MT", "Message Sent/Delivered", "delivered"),
    Event("E202", "SMS_MT", "Message Sent/Failed", "failed"),
)
MMS_MT_EXPIRED = (*MMS_MT, Event("N103", "MMS_MT", "Message Sent/Expired", "expired"))


def expected_status(timeline: list[tuple[Event, datetime]]) -> str:
    """Highest rank first (an outcome beats "sent"), then the latest vendor timestamp."""
    event, _ = max(timeline, key=lambda item: (item[0].status in FINAL_OUTCOMES, item[1]))
    return event.status


def postback(tracking_id: str, event: Event, at: datetime) -> bytes:
    return (
        f"<POSTBACK><ORIGIN>{event.origin}</ORIGIN><CODE>{event.code}</CODE><STATUS>{event.status_text}</STATUS>"
        f"<TO>16501112222</TO><TRACKINGID>{tracking_id}</TRACKINGID><TIMESTAMP>{at.isoformat()}</TIMESTAMP></POSTBACK>"
    ).encode()


def final_status(ingest: Invoke, stack: StackResources, timeline: list[tuple[Event, datetime]]) -> str:
    """Deliver the timeline in the order given, as a fresh message; the status its head shows afterwards."""
    tracking_id = f"order-{uuid.uuid4().hex[:12]}"
    for event, at in timeline:
        assert post(ingest, postback(tracking_id, event, at))[0] == 200
    message = PostbackStore(stack.table_name).get_message(tracking_id)
    assert message is not None
    return message.status


BASE = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
TIMES = [BASE, BASE + timedelta(seconds=1), BASE + timedelta(minutes=5)]


@pytest.mark.parametrize("family", [MMS_MT, SMS_MT], ids=["N101-N102-E102", "N201-N202-E202"])
def test_every_arrival_order_gives_the_same_final_status(
    ingest: Invoke, stack: StackResources, family: tuple[Event, ...]
) -> None:
    # Every way of giving the three events distinct times, each delivered in every order: 6 x 6 messages.
    for times in itertools.permutations(TIMES):
        timeline = list(zip(family, times, strict=True))
        wanted = expected_status(timeline)
        seen = {final_status(ingest, stack, list(order)) for order in itertools.permutations(timeline)}
        assert seen == {wanted}, [(event.code, at.time().isoformat()) for event, at in timeline]


distinct_seconds = st.lists(st.integers(0, 10 * 365 * 86_400), min_size=4, max_size=4, unique=True)
offsets = st.lists(st.integers(-14 * 60, 14 * 60), min_size=4, max_size=4)


@settings(deadline=None, max_examples=examples(15), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seconds=distinct_seconds, minutes=offsets, order=st.permutations(range(4)))
def test_arrival_order_and_time_zones_never_change_the_final_status(
    ingest: Invoke, stack: StackResources, seconds: list[int], minutes: list[int], order: list[int]
) -> None:
    # The same instants written with other UTC offsets: the latest is decided in UTC, not by the text.
    times = [
        (BASE + timedelta(seconds=second)).astimezone(timezone(timedelta(minutes=offset)))
        for second, offset in zip(seconds, minutes, strict=True)
    ]
    timeline = list(zip(MMS_MT_EXPIRED, times, strict=True))
    assert final_status(ingest, stack, [timeline[i] for i in order]) == expected_status(timeline)
