"""Find and explain messages: `show` (one message, its timeline, its media) and `list` (events by index).

Which index serves which `list` filter (all GSIs are keyed on event items, sorted by `event_at`):
  --to: by_to   --from: by_from   --mms-id: by_mms_id   --code: by_code
With several, the most selective serves the query (mms id, then to, from, code) and the others, and
--status, filter its results. --since/--until bound the index's sort key. --status alone (or a time
window alone) has no index: it needs --scan, which reads the whole table.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

from postbacks.domain.codes import Kind
from postbacks.storage.store import INDEX_FOR, PostbackStore, StoredEvent, StoredMessage
from postbacks_cli import output
from postbacks_cli.output import Exit, Progress, StreamingTable

# The most selective lookup serves the query; the others become filters on its results.
INDEX_PREFERENCE = ("mms_id", "to", "from", "code")
# Below this many pages a listing is quick: a progress line would only flicker.
_PAGES_BEFORE_PROGRESS = 2


def show(store: PostbackStore, message_key: str, as_json: bool) -> int:
    message = store.get_message(message_key)
    if message is None:
        output.error(f"no message with tracking id {message_key} (`postbacks list --to NUMBER` finds one by number)")
        return Exit.NOT_FOUND
    media = media_of(message)
    if as_json:
        output.json_line(
            {
                "tracking_id": message.message_key,
                "status": message.status,
                "status_code": message.status_code,
                "events": [event.as_json() for event in message.events],
                "content": message.content,
                "media": media,
            }
        )
        return Exit.OK
    print(f"{message.message_key}: {message.status} ({message.status_code or 'no code'})")
    print()
    output.table(
        ("EVENT AT", "CODE", "STATUS", "VENDOR STATUS", "OPERATOR", "TO", "FROM", "RECEIVED AT"),
        (
            (
                event.event_at,
                event.fields.get("code"),
                event.fields.get("status"),
                _vendor_status(event.fields),
                _operator(event.fields),
                event.fields.get("to"),
                event.fields.get("from"),
                event.received_at,
            )
            for event in message.events
        ),
    )
    if media:
        print()
        output.table(
            ("FILE", "STATE", "SIZE", "TYPE", "S3 URI", "SOURCE"),
            (
                (
                    item["index"],
                    f"{item['state']} ({item['detail']})" if item.get("detail") else item["state"],
                    output.human_size(item["size"]) if "size" in item else "",
                    item.get("content_type"),
                    item.get("s3_uri"),
                    item.get("url"),
                )
                for item in media
            ),
        )
    return Exit.OK


def media_of(message: StoredMessage) -> list[dict[str, Any]]:
    """Every MMS MO file: its archive record when the worker has written one, else `pending`."""
    urls: list[str] = []
    for event in message.events:
        if event.fields.get("kind") == Kind.MMS_MO.value and event.fields.get("content"):
            urls = [str(url) for url in event.fields["content"]]
            break
    records = {int(record.get("index", 0)): record for record in message.content}
    media = []
    for index in sorted(set(range(len(urls))) | set(records)):
        record = records.get(index, {})
        item = {
            "index": index,
            "url": record.get("url") or (urls[index] if index < len(urls) else None),
            # A file whose fetch job has not run yet (or sits in the DLQ) has no record.
            "state": record.get("state", "pending"),
            "s3_uri": record.get("s3_uri"),
            "content_type": record.get("content_type"),
            "size": record.get("size"),
            "sha256": record.get("sha256"),
            "detail": record.get("detail"),
        }
        media.append({name: value for name, value in item.items() if value is not None})
    return media


def list_events(store: PostbackStore, args: argparse.Namespace) -> int:
    wanted = {name: value for name in INDEX_PREFERENCE if (value := getattr(args, name)) is not None}
    status = {"status": args.status} if args.status else {}
    if wanted:
        attribute = next(name for name in INDEX_PREFERENCE if name in wanted)
        filters = {name: value for name, value in wanted.items() if name != attribute} | status
        events = store.list_events(attribute, wanted[attribute], filters=filters, since=args.since, until=args.until)
        operation = "Query"
    elif args.scan:
        events = store.scan_events(filters=status, since=args.since, until=args.until)
        operation = "Scan"
    else:
        alone = "--status" if args.status else "--since/--until" if args.since or args.until else "nothing"
        output.error(
            f"{alone} alone has no index: add --to, --from, --mms-id or --code (each served by an index),"
            " or pass --scan to read the whole table (slow and billed per item on a large table)"
        )
        return Exit.USAGE
    progress = Progress("reading pages", quiet_until=_PAGES_BEFORE_PROGRESS)
    with progress, _count_pages(store, operation, progress):
        _print_events(islice(events, args.limit), args.json, progress)
    return Exit.OK


def _print_events(events: Iterable[StoredEvent], as_json: bool, progress: Progress) -> None:
    rows = StreamingTable(
        (("EVENT AT", 24), ("MESSAGE", 35), ("CODE", 4), ("STATUS", 13), ("TO", 13), ("FROM", 13), ("OPERATOR", 0))
    )
    for event in events:
        progress.clear()
        if as_json:
            output.json_line(event.as_json())
            continue
        fields = event.fields
        rows.row(
            (
                event.event_at,
                event.message_key,
                fields.get("code"),
                fields.get("status"),
                fields.get("to"),
                fields.get("from"),
                _operator(fields),
            )
        )


@contextmanager
def _count_pages(store: PostbackStore, operation: str, progress: Progress) -> Iterator[None]:
    """Advance `progress` once per page the paginator fetches, without the store knowing of it."""
    if not progress.enabled:
        yield
        return
    events = store.client.meta.events
    name = f"after-call.dynamodb.{operation}"
    unique_id = f"postbacks-progress-{id(progress)}"

    def on_page(**_: Any) -> None:
        progress.advance()

    events.register(name, on_page, unique_id=unique_id)
    try:
        yield
    finally:
        events.unregister(name, unique_id=unique_id)


def _operator(fields: dict[str, Any]) -> str:
    operator_id, name = fields.get("operator_id"), fields.get("operator_name")
    return " ".join(str(part) for part in (operator_id, f"({name})" if name else None) if part)


def _vendor_status(fields: dict[str, Any]) -> str:
    text, details = fields.get("status_text"), fields.get("status_details")
    return " - ".join(str(part) for part in (text, details) if part)


def index_help(attribute: str) -> str:
    return f"served by the {INDEX_FOR[attribute]} index"
