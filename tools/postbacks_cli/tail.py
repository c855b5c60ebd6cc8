"""Print the stack's events as they are published, until Ctrl-C.

`tail` listens through a temporary rule and SQS queue that it creates on the stack's event bus (the
EventBusName output; locally the bus the local stack made) and deletes when it stops, on Ctrl-C, SIGTERM
or SIGHUP (a closed terminal). Both are named `postbacks-tail-*` and tagged `postbacks-tail` with their
creation time: a tail killed outright leaves them, and the next `tail` (or `tail --cleanup`, which only
cleans) removes those older than an hour. Its IAM needs: events:PutRule/PutTargets/RemoveTargets/
DeleteRule/ListRules/ListTagsForResource/TagResource and sqs:CreateQueue/TagQueue/ListQueues/ListQueueTags/
SetQueueAttributes/GetQueueAttributes/ReceiveMessage/DeleteMessage/DeleteQueue on `postbacks-tail-*`.
Events published before it started are not shown: replay those from the stack's EventBridge archive.
--code and --number filter what is printed; numbers are masked unless --json.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, TextIO

from postbacks.domain.privacy import mask_number, mask_text
from postbacks.storage import keys
from postbacks_cli import consent as consent_command
from postbacks_cli import output
from postbacks_cli.output import Exit
from postbacks_cli.tail_listener import Listener, Stopped, clean_stale, stopping_on_signals

_NUMBER_FIELDS = ("to", "from", "mobile")


def cleanup(listener: Listener) -> int:
    """`tail --cleanup`: remove what killed tails left, and say what."""
    removed = clean_stale(listener.events, listener.sqs, listener.bus)
    for name in removed:
        output.line("removed", name)
    output.line(f"{output.plural(len(removed), 'leftover')} removed (rules and queues of tails over an hour old)")
    return Exit.OK


def wanted(event: dict[str, Any], code: str | None, number: str | None) -> bool:
    postback = (event.get("detail") or {}).get("postback") or {}
    if code and str(postback.get("code", "")).upper() != code.upper():
        return False
    if number:
        wanted_key = keys.number_key(number)
        return wanted_key is not None and any(
            keys.number_key(str(postback.get(name) or "")) == wanted_key for name in _NUMBER_FIELDS
        )
    return True


def line(event: dict[str, Any]) -> str:
    """One event for a person: time, type, message, what happened; phone numbers masked, keys and URIs exact."""
    if (consent_line := consent_command.tail_line(event)) is not None:
        return output.visible(consent_line)
    detail = event.get("detail") or {}
    shown = output.visible
    kind, key = shown(event.get("detail-type", "")), shown(detail.get("message_key", ""))
    head = f"{shown(event.get('time', ''))}  {kind:<17}  {key}"
    if "postback" in detail:
        postback, message = detail["postback"], detail.get("message") or {}
        final = " (final)" if message.get("final") else ""
        numbers = " ".join(
            f"{name} {shown(mask_number(str(postback[name])))}" for name in _NUMBER_FIELDS if postback.get(name)
        )
        said = mask_text(f"{postback.get('code', '')} {postback.get('status', '')}")
        return f"{head}  {shown(said)}  {numbers}  -> message {shown(message.get('status', ''))}{final}"
    size = output.human_size(_size(detail.get("size")))
    what = mask_text(f"{detail.get('content_type', '')} {size}")
    return f"{head}  file {shown(detail.get('index'))}  {shown(what)}  {shown(detail.get('s3_uri', ''))}"


def _size(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


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
    try:
        with stopping_on_signals():
            _clean_before(listener)
            with listener:
                print(f"tail: listening on bus {listener.bus} for {listener.source} (Ctrl-C stops)", file=sys.stderr)
                _print_events(listener, as_json, code, number, limit, out)
    except Stopped as stopped:
        return 128 + stopped.signum
    return Exit.OK


def _clean_before(listener: Listener) -> None:
    try:
        removed = clean_stale(listener.events, listener.sqs, listener.bus)
    except Exception as error:  # noqa: BLE001 - a listing refused must not stop tailing
        output.error(f"tail: could not look for leftovers of killed tails: {error}")
        return
    if removed:
        print(f"tail: removed leftovers of killed tails: {', '.join(removed)}", file=sys.stderr)


def _print_events(
    listener: Listener, as_json: bool, code: str | None, number: str | None, limit: int | None, out: TextIO
) -> None:
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
                return
