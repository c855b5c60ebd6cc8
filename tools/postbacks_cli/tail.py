"""Print the stack's events as they are published, until Ctrl-C.

`tail` listens through a temporary rule and SQS queue that it creates on the stack's event bus (the
EventBusName output; locally the bus the local stack made) and deletes when it stops: nothing to deploy,
nothing left running. Its IAM needs: events:PutRule/PutTargets/RemoveTargets/DeleteRule and
sqs:CreateQueue/SetQueueAttributes/ReceiveMessage/DeleteMessage/DeleteQueue on `postbacks-tail-*`.
Events published before it started are not shown: replay those from the stack's EventBridge archive.
--code and --number filter what is printed; numbers are masked unless --json.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from postbacks.domain.privacy import mask_number, mask_text
from postbacks_cli import consent as consent_command
from postbacks_cli import output
from postbacks_cli.output import Exit

NAME_PREFIX = "postbacks-tail-"
WAIT_SECONDS = 5  # one long poll; Ctrl-C ends it at once
_NUMBER_FIELDS = ("to", "from", "mobile")


@dataclass
class Listener:
    """A rule on the bus for the stack's source, feeding a queue of its own; both removed on exit."""

    events: Any
    sqs: Any
    bus: str
    source: str
    name: str = field(default_factory=lambda: NAME_PREFIX + secrets.token_hex(4))
    queue_url: str | None = None
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
        rule_arn = self.events.put_rule(Name=self.name, EventBusName=self.bus, EventPattern=pattern)["RuleArn"]
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
        )["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.events.put_targets(Rule=self.name, EventBusName=self.bus, Targets=[{"Id": "tail", "Arn": queue_arn}])

    def close(self) -> None:
        # Best effort, each step on its own: a half-made listener is still taken down.
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


def _quietly(call: Any, **arguments: Any) -> None:
    try:
        call(**arguments)
    except Exception as error:  # noqa: BLE001 - cleanup reports and goes on
        output.error(f"tail: could not remove {arguments}: {error}")


def wanted(event: dict[str, Any], code: str | None, number: str | None) -> bool:
    postback = (event.get("detail") or {}).get("postback") or {}
    if code and str(postback.get("code", "")).upper() != code.upper():
        return False
    if number:
        digits = re.sub(r"\D", "", number)
        return any(re.sub(r"\D", "", str(postback.get(name) or "")) == digits for name in _NUMBER_FIELDS)
    return True


def line(event: dict[str, Any]) -> str:
    """One event for a person: time, type, message, what happened; phone numbers masked."""
    if (consent_line := consent_command.tail_line(event)) is not None:
        return consent_line
    detail = event.get("detail") or {}
    head = f"{event.get('time', '')}  {event.get('detail-type', ''):<17}  {detail.get('message_key', '')}"
    if "postback" in detail:
        postback, message = detail["postback"], detail.get("message") or {}
        final = " (final)" if message.get("final") else ""
        numbers = " ".join(
            f"{name} {mask_number(str(postback[name]))}" for name in _NUMBER_FIELDS if postback.get(name)
        )
        text = f"{head}  {postback.get('code', '')} {postback.get('status', '')}  {numbers}"
        text += f"  -> message {message.get('status', '')}{final}"
    else:
        size = output.human_size(int(detail.get("size") or 0))
        text = (
            f"{head}  file {detail.get('index')}  {detail.get('content_type', '')} {size}  {detail.get('s3_uri', '')}"
        )
    return mask_text(text)


def events(listener: Listener) -> Iterator[dict[str, Any]]:
    """The events as they arrive, forever."""
    while True:
        yield from listener.receive()


def listener_for(bus: str, source: str) -> Listener:
    from postbacks_cli import clients

    return Listener(clients.events(), clients.sqs(), bus, source)


def run(
    listener: Listener,
    as_json: bool,
    code: str | None,
    number: str | None,
    limit: int | None = None,
    stream: TextIO | None = None,
) -> int:
    out = stream or sys.stdout
    with listener:
        print(f"tail: listening on bus {listener.bus} for {listener.source} (Ctrl-C stops)", file=sys.stderr)
        for event in events(listener):
            if not wanted(event, code, number):
                continue
            if as_json:
                output.json_line(event, out)
            else:
                print(line(event), file=out, flush=True)
            if limit is not None:
                limit -= 1
                if limit <= 0:
                    break
    return Exit.OK
