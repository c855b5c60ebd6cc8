"""`postbacks tail` leaves nothing behind: its rule and queue go on SIGINT, SIGTERM and SIGHUP, and what a
killed tail left (tagged, over an hour old) goes with the next tail or `tail --cleanup`.

The tails here are real processes against the moto server, stopped by real signals.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from postbacks_cli import cli
from postbacks_cli.local_stacks import StackResources
from postbacks_cli.tail_listener import NAME_PREFIX, TAG
from tests.helpers import ROOT


@pytest.fixture
def bus(stack: StackResources) -> str:
    """The stack's event bus, named after it as the local stack names it."""
    events = boto3.client("events")
    if stack.stack_name not in {bus["Name"] for bus in events.list_event_buses()["EventBuses"]}:
        events.create_event_bus(Name=stack.stack_name)
    return stack.stack_name


def rules(bus: str) -> set[str]:
    found = boto3.client("events").list_rules(EventBusName=bus, NamePrefix=NAME_PREFIX)["Rules"]
    return {rule["Name"] for rule in found}


def queues() -> set[str]:
    urls = boto3.client("sqs").list_queues(QueueNamePrefix=NAME_PREFIX).get("QueueUrls", [])
    return {url.rsplit("/", 1)[-1] for url in urls}


def leave_listener(bus: str, name: str, age: timedelta | None) -> None:
    """A rule and queue as a killed tail leaves them (`age` None: untagged, someone else's)."""
    tags = [] if age is None else [{"Key": TAG, "Value": (datetime.now(UTC) - age).isoformat()}]
    boto3.client("events").put_rule(
        Name=name, EventBusName=bus, EventPattern='{"source": ["x"]}', **({"Tags": tags} if tags else {})
    )
    queue_tags = {tag["Key"]: tag["Value"] for tag in tags}
    boto3.client("sqs").create_queue(QueueName=name, **({"tags": queue_tags} if queue_tags else {}))


def start_tail(stack: StackResources, moto_endpoint: str) -> subprocess.Popen[str]:
    environment = os.environ | {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "PYTHONPATH": os.pathsep.join(str(ROOT / part) for part in ("layers/postbacks", "tools")),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "postbacks_cli.cli", "--stack", stack.stack_name, "tail"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_tail_removes_its_rule_and_queue_on_each_stop_signal(
    stack: StackResources, bus: str, moto_endpoint: str, stop: signal.Signals
) -> None:
    before_rules, before_queues = rules(bus), queues()
    tail = start_tail(stack, moto_endpoint)
    try:
        wait_for(lambda: queues() - before_queues and rules(bus) - before_rules, "tail made no rule and queue")
        made = queues() - before_queues
        tail.send_signal(stop)
        _, err = tail.communicate(timeout=60)
    finally:
        if tail.poll() is None:
            tail.kill()
    assert tail.returncode == 128 + stop if stop != signal.SIGINT else tail.returncode == 130, err
    assert rules(bus) == before_rules
    assert queues() & made == set()


def test_the_next_tail_removes_what_a_killed_one_left(stack: StackResources, bus: str, moto_endpoint: str) -> None:
    leave_listener(bus, f"{NAME_PREFIX}killed01", timedelta(hours=2))
    tail = start_tail(stack, moto_endpoint)
    try:
        wait_for(lambda: f"{NAME_PREFIX}killed01" not in rules(bus) | queues(), "the stale listener stayed")
        tail.send_signal(signal.SIGTERM)
        tail.communicate(timeout=60)
    finally:
        if tail.poll() is None:
            tail.kill()
    assert rules(bus) == set()


def test_tail_cleanup_removes_only_tagged_listeners_over_an_hour_old(
    stack: StackResources, bus: str, capsys: pytest.CaptureFixture[str]
) -> None:
    leave_listener(bus, f"{NAME_PREFIX}stale001", timedelta(hours=1, minutes=5))
    leave_listener(bus, f"{NAME_PREFIX}fresh001", timedelta(minutes=5))
    leave_listener(bus, f"{NAME_PREFIX}notours1", None)

    assert cli.main(["--stack", stack.stack_name, "tail", "--cleanup"]) == 0

    assert rules(bus) == {f"{NAME_PREFIX}fresh001", f"{NAME_PREFIX}notours1"}
    assert {f"{NAME_PREFIX}fresh001", f"{NAME_PREFIX}notours1"} <= queues()
    assert f"{NAME_PREFIX}stale001" not in queues()
    assert "2 leftovers removed" in capsys.readouterr().out
