"""Every report, on the real path (ingest -> table -> stream -> events -> local Firehose -> S3 -> DuckDB),
equals what the DynamoDB records say, message by message, for campaigns posted shuffled and duplicated."""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postbacks.analytics import reports
from postbacks.analytics.duckdb_engine import DuckDbEngine
from postbacks.domain import carriers, timestamps
from postbacks.storage.codec import StoredEvent
from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from postbacks_local.analytics_delivery import AnalyticsDelivery, make_delivery
from postbacks_local.runtime import LocalFunction
from postbacks_local.stack_resources import local_names
from postbacks_local.stream_mapping import StreamMapping, make_mapping
from postbacks_local.template import load_template
from tests import helpers
from tests.analytics_campaign import Campaign, campaigns
from tests.helpers import ROOT, Invoke, load_function

FAILURES = ("failed", "expired", "rejected", "not_supported")
FINAL = ("delivered", *FAILURES)


class Analytics:
    """The stack's events pipe and local Firehose, driven by the test, and the reports over what they wrote."""

    def __init__(self, stack: StackResources, pipe: StreamMapping, delivery: AnalyticsDelivery, folder: Path) -> None:
        self.stack = stack
        self.pipe = pipe
        self.delivery = delivery
        self.folder = folder

    def publish(self) -> None:
        while self.pipe.poll_once(wait_seconds=0):
            pass
        self.delivery.flush()

    def files(self) -> list[Path]:
        s3 = boto3.client("s3")
        listed = s3.list_objects_v2(Bucket=self.stack.bucket_name, Prefix="analytics/events/").get("Contents", [])
        paths = []
        for item in listed:
            path = self.folder / item["Key"]
            path.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(self.stack.bucket_name, item["Key"], str(path))
            paths.append(path)
        return paths

    def report(self, name: str, window: reports.Window) -> list[dict[str, Any]]:
        query = reports.bind(reports.sql(name), window.values())
        return DuckDbEngine(self.files()).run(query).records()


@pytest.fixture
def analytics(stack: StackResources, tmp_path: Path) -> Analytics:
    template = load_template(ROOT / "template.yaml")
    names = local_names(template, stack)
    made = make_mapping(template, names, LocalFunction("EventsFunction", load_function("events")).invoke)
    delivery = make_delivery(template, names)
    assert made is not None
    assert delivery is not None
    return Analytics(stack, made[0], delivery, tmp_path)


def wide_window(**extra: Any) -> reports.Window:
    now = datetime.now(UTC)
    return reports.window(timestamps.to_utc_iso(now - timedelta(days=30)), timestamps.to_utc_iso(now), **extra)


# --- the truth, from DynamoDB ----------------------------------------------------------------------------


def truth(stack: StackResources) -> dict[str, dict[str, Any]]:
    """Each stored message as `postbacks show` sees it: its status and deciding postback by the layer's rule."""
    store = PostbackStore(stack.table_name)
    keys = {event.message_key for event in store.scan(since="0000")}
    found = {}
    for key in keys:
        message = store.get_message(key)
        deciding = store.current(key)
        assert message is not None
        assert deciding is not None
        found[key] = {"status": message.status, "events": message.events, "deciding": deciding}
    return found


def fields_of(events: list[StoredEvent], name: str) -> set[str]:
    return {str(event.fields[name]) for event in events if event.fields.get(name)}


def carrier_of(events: list[StoredEvent]) -> str:
    [spid] = fields_of(events, "operator_id")  # the campaign gives a message one carrier
    return carriers.operator_name(spid) or spid


def is_mt(events: list[StoredEvent]) -> bool:
    return any(event.fields.get("kind") in ("sms_mt", "mms_mt") for event in events)


def sent_at(events: list[StoredEvent]) -> str | None:
    return min((event.event_at for event in events if event.fields.get("status") == "sent"), default=None)


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# --- the test ----------------------------------------------------------------------------------------------


def post_shuffled(ingest: Invoke, campaign: Campaign, seed: int) -> None:
    # Examples share the stack (and the truth and the reports are of everything in it): keys must not collide.
    run = uuid.uuid4().hex[:8].encode()
    bodies = [body.replace(b"CAMP-", b"CAMP-" + run).replace(b"mo-", b"mo-" + run) for body in campaign.bodies()]
    shuffled = random.Random(seed).sample(bodies, len(bodies))
    for body in shuffled + shuffled[: len(shuffled) // 3]:  # a third delivered twice
        status, answer = helpers.post(ingest, body)
        assert status == 200, answer


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(campaign=campaigns(), order=st.integers(0, 2**32))
def test_every_report_equals_the_records_message_by_message(
    analytics: Analytics, ingest: Invoke, campaign: Campaign, order: int
) -> None:
    post_shuffled(ingest, campaign, order)
    analytics.publish()
    messages = truth(analytics.stack)
    window = wide_window()

    # delivery by carrier: counts of each status of MT messages
    expected: dict[str, Counter[str]] = defaultdict(Counter)
    for found in messages.values():
        if is_mt(found["events"]):
            expected[carrier_of(found["events"])][found["status"]] += 1
    rows = {
        row["group_key"]: row
        for row in analytics.report("delivery", reports.window(window.since, window.until, "carrier"))
    }
    assert set(rows) == set(expected)
    for carrier, statuses in expected.items():
        row = rows[carrier]
        decided = sum(statuses[s] for s in FINAL)
        assert row["messages"] == sum(statuses.values())
        assert row["delivered"] == statuses["delivered"]
        assert row["failed"] == sum(statuses[s] for s in FAILURES)
        assert (row["expired"], row["rejected"]) == (statuses["expired"], statuses["rejected"])
        assert row["pending"] == sum(statuses.values()) - decided
        assert row["delivery_rate"] == (round(statuses["delivered"] / decided, 4) if decided else None)

    # failures: by carrier, code, status and the vendor's text of the deciding postback
    failures: Counter[tuple[str, str, str, str]] = Counter()
    for found in messages.values():
        if found["status"] in FAILURES:
            fields = found["deciding"].fields
            failures[(carrier_of(found["events"]), fields["code"], found["status"], fields.get("status_text", ""))] += 1
    got = {
        (r["carrier"], r["code"], r["status"], r["status_text"]): r["messages"]
        for r in analytics.report("failures", window)
    }
    assert got == dict(failures)

    # latency: send report -> deciding outcome, nearest-rank percentiles by carrier
    latencies: dict[str, list[float]] = defaultdict(list)
    for found in messages.values():
        sent = sent_at(found["events"])
        if is_mt(found["events"]) and sent and found["status"] in FINAL:
            seconds = (_instant(found["deciding"].event_at) - _instant(sent)).total_seconds()
            latencies[carrier_of(found["events"])].append(seconds)
    got_latency = {row["carrier"]: row for row in analytics.report("latency", window)}
    assert set(got_latency) == set(latencies)
    for carrier, values in latencies.items():
        row = got_latency[carrier]
        assert row["messages"] == len(values)
        for q, column in ((0.5, "p50_seconds"), (0.95, "p95_seconds"), (0.99, "p99_seconds")):
            # Athena times are millisecond timestamps: a latency is exact to the millisecond.
            assert row[column] == pytest.approx(nearest_rank(values, q), abs=0.001)

    # unresolved: sent more than 72 h ago, no final outcome
    cutoff = reports.cutoff_before(window.until, 72)
    expected_keys = {
        key
        for key, found in messages.items()
        if (sent := sent_at(found["events"])) and sent < cutoff and found["status"] not in FINAL
    }
    unresolved = analytics.report("unresolved", wide_window(older_than_hours=72))
    assert {row["message_key"] for row in unresolved} == expected_keys
    for row in unresolved:
        assert row["sent_at"] == sent_at(messages[row["message_key"]]["events"])
        assert row["carrier"] == carrier_of(messages[row["message_key"]]["events"])

    # inbound: MO messages by shortcode and keyword
    inbound: Counter[tuple[str, str]] = Counter()
    for found in messages.values():
        fields = found["deciding"].fields
        if fields.get("kind") == "sms_mo":
            inbound[(fields["to"], (fields.get("keyword") or fields["text"].split()[0]).upper())] += 1
    assert {(r["shortcode"], r["keyword"]): r["messages"] for r in analytics.report("inbound", window)} == dict(inbound)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
