"""The local bus's rules into SQS queues: what the stack's own readers of the bus (its tap, the analytics
delivery) listen through."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any


def ensure_bus(events: Any, bus_name: str) -> None:
    """The named bus, made if it is not there yet (the default bus always is)."""
    if bus_name != "default":
        with contextlib.suppress(events.exceptions.ResourceAlreadyExistsException):
            events.create_event_bus(Name=bus_name)


def rule_to_queue(events: Any, sqs: Any, bus_name: str, name: str, pattern: Mapping[str, Any]) -> str:
    """A rule `name` on the bus sending what matches `pattern` to a queue of the same name; the queue's URL."""
    queue_url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName=bus_name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=bus_name, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url
