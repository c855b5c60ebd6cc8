"""`tail`'s listener: a temporary rule and queue on the stack's bus, removed on exit or, left by a killed tail,
by the next one; and the signals that stop `tail` the way Ctrl-C does."""

from __future__ import annotations

import json
import secrets
import signal
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from postbacks_cli import output

NAME_PREFIX = "postbacks-tail-"
TAG = "postbacks-tail"  # its value: when the listener was made (ISO 8601, UTC)
STALE_AFTER = timedelta(hours=1)  # a listener this old belongs to no running tail: its queue keeps 1 h
WAIT_SECONDS = 5  # one long poll; Ctrl-C ends it at once
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class Listener:
    """A rule on the bus for the stack's source, feeding a queue of its own; both removed on exit."""

    events: Any
    sqs: Any
    bus: str
    source: str
    name: str = field(default_factory=lambda: NAME_PREFIX + secrets.token_hex(4))
    queue_url: str | None = None
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _rule_made: bool = False

    def __enter__(self) -> Listener:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _open(self) -> None:
        pattern = json.dumps({"source": [self.source]})
        made_at = self.made_at.isoformat()
        rule_arn = self.events.put_rule(
            Name=self.name, EventBusName=self.bus, EventPattern=pattern, Tags=[{"Key": TAG, "Value": made_at}]
        )["RuleArn"]
        self._rule_made = True
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": "*",
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
        self.queue_url = self.sqs.create_queue(
            QueueName=self.name,
            Attributes={"Policy": json.dumps(policy), "SqsManagedSseEnabled": "true", "MessageRetentionPeriod": "3600"},
            tags={TAG: made_at},
        )["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.events.put_targets(Rule=self.name, EventBusName=self.bus, Targets=[{"Id": "tail", "Arn": queue_arn}])

    def close(self) -> None:
        # Best effort, each step on its own: a half-made listener is still taken down, and a second
        # Ctrl-C or SIGTERM while it is does not stop it halfway.
        with _signals_held():
            self._remove()

    def _remove(self) -> None:
        if self._rule_made:
            _quietly(self.events.remove_targets, Rule=self.name, EventBusName=self.bus, Ids=["tail"])
            _quietly(self.events.delete_rule, Name=self.name, EventBusName=self.bus)
            self._rule_made = False
        if self.queue_url:
            _quietly(self.sqs.delete_queue, QueueUrl=self.queue_url)
            self.queue_url = None

    def receive(self, wait_seconds: int = WAIT_SECONDS) -> list[dict[str, Any]]:
        """The events that arrived (waiting up to `wait_seconds`), removed from the queue."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        if messages:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return [json.loads(message["Body"]) for message in messages]


def _quietly(call: Any, **arguments: Any) -> bool:
    try:
        call(**arguments)
    except Exception as error:  # noqa: BLE001 - cleanup reports and goes on
        output.error(f"tail: could not remove {arguments}: {error}")
        return False
    return True


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: ends `tail` the way Ctrl-C does, through the listener's cleanup."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(signum)


@contextmanager
def _handling(signums: tuple[signal.Signals, ...], handler: Any) -> Iterator[None]:
    """`handler` for these signals while inside (signals reach the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, previous in saved.items():
            signal.signal(signum, previous)


def stopping_on_signals() -> AbstractContextManager[None]:
    """SIGTERM and SIGHUP raise while listening as SIGINT does, so the listener's cleanup runs."""
    return _handling(STOP_SIGNALS[1:], _stop)


def _signals_held() -> AbstractContextManager[None]:
    """Signals that would stop `tail` are ignored while it removes what it made."""
    return _handling(STOP_SIGNALS, signal.SIG_IGN)


def _stale(tags: dict[str, str], now: datetime) -> bool:
    made = tags.get(TAG)
    if made is None:
        return False  # not ours: a name alone is not proof
    try:
        return now - datetime.fromisoformat(made) > STALE_AFTER
    except ValueError:
        return False


def clean_stale(events_client: Any, sqs: Any, bus: str, now: datetime | None = None) -> list[str]:
    """Remove the rules and queues killed tails left on `bus`'s account (tagged, over an hour old); their names."""
    now = now or datetime.now(UTC)
    removed: list[str] = []
    for page in events_client.get_paginator("list_rules").paginate(EventBusName=bus, NamePrefix=NAME_PREFIX):
        for rule in page.get("Rules", []):
            listed = events_client.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])
            if not _stale({tag["Key"]: tag["Value"] for tag in listed}, now):
                continue
            targets = events_client.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus).get("Targets", [])
            if targets:
                ids = [target["Id"] for target in targets]
                _quietly(events_client.remove_targets, Rule=rule["Name"], EventBusName=bus, Ids=ids)
            if _quietly(events_client.delete_rule, Name=rule["Name"], EventBusName=bus):
                removed.append(f"rule {rule['Name']}")
    for page in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=NAME_PREFIX):
        for queue_url in page.get("QueueUrls", []):
            if _stale(sqs.list_queue_tags(QueueUrl=queue_url).get("Tags", {}), now) and _quietly(
                sqs.delete_queue, QueueUrl=queue_url
            ):
                removed.append(f"queue {queue_url.rsplit('/', 1)[-1]}")
    return removed
