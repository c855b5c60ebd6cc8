"""`list`: postbacks by subscriber number, or failures in a time window; newest first, never a scan.

  --number N                 index by_subscriber: MT `to`, MO `from`, subscription `mobile` (never a shortcode);
                             delivery receipts are not indexed: a message shows up through its send report or
                             failure, and each line says the message's status now (one Query per message);
                             --since/--until bound it, --code/--status keep messages whose status now is that.
  --status S / --code C      alone: index by_failure (failures only: failed, rejected, expired, not_supported,
                             encoding_failed), one query per day and shard of the window (--since, default 24h).
  saveMMS results by MMS id: `postbacks show '~mms:<id>'` (the table's own key).
The indexes hold each postback's keys, time, code and status; --full reads each whole postback (one GetItem).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

from postbacks.domain import codes, status
from postbacks.storage.store import IndexHit, PostbackStore, StoredEvent
from postbacks_cli import output, report, when
from postbacks_cli.messages import operator
from postbacks_cli.output import Exit, Progress, StreamingTable

# Below this many pages a listing is quick: a progress line would only flicker.
_PAGES_BEFORE_PROGRESS = 2
FAILURE_WINDOW = "24h"


def run(store: PostbackStore, args: argparse.Namespace) -> int:
    if args.number:
        found = _with_status_now(store, store.by_subscriber(args.number, since=args.since, until=args.until))
        hits: Iterable[Listed] = _filtered(found, args.code, args.status)
    elif args.status or args.code:
        refusal = _not_a_failure(args.status, args.code)
        if refusal:
            output.error(refusal)
            return Exit.USAGE
        filters = {name: value for name, value in (("status", args.status), ("code", args.code)) if value}
        since = args.since or when.since(FAILURE_WINDOW)
        hint = report.long_listing_hint(since, args.until)
        if hint:
            output.error(hint)
        failures = store.failures(since=since, until=args.until, filters=filters)
        hits = _with_status_now(store, failures)
    else:
        output.error("list needs --number N, or --status / --code of a failure (each served by an index)")
        return Exit.USAGE
    progress = Progress("reading pages", quiet_until=_PAGES_BEFORE_PROGRESS)
    with progress, _count_pages(store, progress):
        _print(store, islice(hits, args.limit), args.json, args.full, progress)
    return Exit.OK


def _not_a_failure(wanted_status: str | None, code: str | None) -> str | None:
    """Why a failures query cannot answer this; None when it can."""
    if wanted_status and not status.is_failure(wanted_status):
        return f"--status {wanted_status} alone has no index (failures only): add --number N"
    info = codes.lookup(code) if code else None
    if info is not None and not (info.failure_from_text or status.is_failure(info.status)):
        return f"--code {code} is not a failure code: only failures are indexed by time; add --number N"
    return None


Listed = tuple[IndexHit, StoredEvent | None]  # an index hit and the postback deciding its message's status now


def _with_status_now(store: PostbackStore, hits: Iterable[IndexHit]) -> Iterator[Listed]:
    """Each hit with its message's deciding postback: one Query per message, however many of its hits follow."""
    deciding: dict[str, StoredEvent | None] = {}
    for hit in hits:
        if hit.message_key not in deciding:
            deciding[hit.message_key] = store.current(hit.message_key)
        yield hit, deciding[hit.message_key]


def _filtered(listed: Iterable[Listed], code: str | None, wanted_status: str | None) -> Iterator[Listed]:
    # A receipt is indexed only when its message has no other postback there: "delivered" is asked of the status now.
    for hit, now in listed:
        fields = now.fields if now is not None else {"code": hit.code, "status": hit.status}
        if (code is None or fields.get("code") == code) and (wanted_status in (None, fields.get("status"))):
            yield hit, now


def _print(store: PostbackStore, listed: Iterable[Listed], as_json: bool, full: bool, progress: Progress) -> None:
    with StreamingTable(("EVENT AT", "MESSAGE", "CODE", "STATUS", "NOW", "TO", "FROM", "OPERATOR")) as rows:
        _rows(store, listed, as_json, full, progress, rows)


def _rows(
    store: PostbackStore, listed: Iterable[Listed], as_json: bool, full: bool, progress: Progress, rows: StreamingTable
) -> None:
    for hit, now in listed:
        status_now = now.fields.get("status") if now is not None else None
        fields: dict[str, Any] = {"code": hit.code, "status": hit.status}
        received_at = None
        if full:
            event = store.event(hit)
            if event is not None:
                fields, received_at = event.fields, event.received_at
        progress.clear()
        if as_json:
            document = {"message_key": hit.message_key, "event_id": hit.event_id, "event_at": hit.event_at, **fields}
            if now is not None:
                document |= {"message_status": status_now, "message_code": now.fields.get("code")}
            output.json_line(document | ({"received_at": received_at} if received_at else {}))
            continue
        rows.row(
            (
                hit.event_at,
                hit.message_key,
                fields.get("code"),
                fields.get("status"),
                status_now,
                fields.get("to"),
                fields.get("from"),
                operator(fields),
            )
        )


@contextmanager
def _count_pages(store: PostbackStore, progress: Progress) -> Iterator[None]:
    """Advance `progress` once per page fetched, without the store knowing of it."""
    if not progress.enabled:
        yield
        return
    events = store.client.meta.events
    name = "after-call.dynamodb.Query"
    unique_id = f"postbacks-progress-{id(progress)}"

    def on_page(**_: Any) -> None:
        progress.advance()

    events.register(name, on_page, unique_id=unique_id)
    try:
        yield
    finally:
        events.unregister(name, unique_id=unique_id)
