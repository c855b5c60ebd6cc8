"""`show`: one message, its timeline of postbacks, its current status and its archived media.

KEY is the message key as `list` prints it: the vendor's tracking id (one beginning with `~` is written
with one more `~`), or a generated key: `~mms:<mms id>` (saveMMS results), `~txn:<transaction id>`,
`~pb:<fingerprint>`. One Query on the table's key reads everything shown.
"""

from __future__ import annotations

import sys
from typing import Any

from postbacks.domain.codes import Kind
from postbacks.storage import keys
from postbacks.storage.store import PostbackStore, StoredEvent, StoredMessage
from postbacks_cli import output
from postbacks_cli.output import Exit


def show(store: PostbackStore, message_key: str, as_json: bool, raw: bool = False, event: str | None = None) -> int:
    message = store.get_message(message_key)
    if message is None:
        output.error(f"no message with key {message_key} (`postbacks list --number NUMBER` finds one by number)")
        return Exit.NOT_FOUND
    if raw:
        return _print_raw(message, event)
    media = media_of(message)
    if as_json:
        output.json_line(
            {
                "message_key": message.message_key,
                "tracking_id": keys.tracking_id_of(message.message_key),
                "status": message.status,
                "status_code": message.status_code,
                "events": [{**item.as_json(), "event_id": item.event_id} for item in message.events],
                "media": media,
            }
        )
        return Exit.OK
    output.line(f"{message.message_key}:", message.status, f"({message.status_code or 'no code'})")
    print()
    output.table(
        ("EVENT AT", "CODE", "STATUS", "VENDOR STATUS", "OPERATOR", "TO", "FROM", "RECEIVED AT", "EVENT"),
        (
            (
                item.event_at,
                item.fields.get("code"),
                item.fields.get("status"),
                _vendor_status(item.fields),
                operator(item.fields),
                item.fields.get("to"),
                item.fields.get("from"),
                item.received_at,
                item.event_id[:12],
            )
            for item in message.events
        ),
    )
    if media:
        print()
        output.table(
            ("EVENT", "FILE", "STATE", "SIZE", "TYPE", "S3 URI", "SOURCE"),
            (
                (
                    entry["event_id"][:12],
                    entry["index"],
                    f"{entry['state']} ({entry['detail']})" if entry.get("detail") else entry["state"],
                    output.human_size(entry["size"]) if "size" in entry else "",
                    entry.get("content_type"),
                    entry.get("s3_uri"),
                    entry.get("url"),
                )
                for entry in media
            ),
        )
    return Exit.OK


def _print_raw(message: StoredMessage, event: str | None) -> int:
    """The bytes one postback arrived in, written to stdout exactly."""
    chosen = [item for item in message.events if event is None or item.event_id.startswith(event)]
    if len(chosen) != 1:
        ids = ", ".join(item.event_id[:12] for item in message.events)
        what = "no postback" if not chosen else f"{len(chosen)} postbacks"
        output.error(f"{what} to print: pick one with --event (event ids: {ids})")
        return Exit.NOT_FOUND if not chosen else Exit.USAGE
    (item,) = chosen
    if item.raw is None:
        output.error(f"postback {item.event_id[:12]} was stored without its raw bytes")
        return Exit.NOT_FOUND
    sys.stdout.flush()
    sys.stdout.buffer.write(item.raw)
    sys.stdout.buffer.flush()
    return Exit.OK


def media_of(message: StoredMessage) -> list[dict[str, Any]]:
    """Every MMS MO file of every MO postback: its archive record when written, else `pending`."""
    records = {(str(record.get("event_id")), int(record.get("index", 0))): record for record in message.media}
    media = []
    for item in message.events:
        for index, url in enumerate(_urls(item)):
            record = records.pop((item.event_id, index), {})
            media.append(_entry(item.event_id, index, record, url))
    # Records whose postback is not (or no longer) listed still show.
    media += [_entry(event_id, index, record, None) for (event_id, index), record in sorted(records.items())]
    return media


def _urls(item: StoredEvent) -> list[str]:
    if item.fields.get("kind") != Kind.MMS_MO.value:
        return []
    return [str(url) for url in item.fields.get("content") or []]


def _entry(event_id: str, index: int, record: dict[str, Any], url: str | None) -> dict[str, Any]:
    entry = {
        "event_id": event_id,
        "index": index,
        "url": record.get("url") or url,
        # A file whose fetch job has not run yet (or sits in the DLQ) has no record.
        "state": record.get("state", "pending"),
        "s3_uri": record.get("s3_uri"),
        "content_type": record.get("content_type"),
        "size": record.get("size"),
        "sha256": record.get("sha256"),
        "detail": record.get("detail"),
    }
    return {name: value for name, value in entry.items() if value is not None}


def operator(fields: dict[str, Any]) -> str:
    operator_id, name = fields.get("operator_id"), fields.get("operator_name")
    return " ".join(str(part) for part in (operator_id, f"({name})" if name else None) if part)


def _vendor_status(fields: dict[str, Any]) -> str:
    text, details = fields.get("status_text"), fields.get("status_details")
    return " - ".join(str(part) for part in (text, details) if part)
