"""A batch of stream records -> events on the bus; which records' events could not be put.

Each record's event is built (service.events), cut to the bound and put; a record whose event could not be
built (its status read failed) or was still refused after bus.put_all's retries is returned by its sequence
number, for the handler to report as a batch item failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from postbacks.service import events
from postbacks.storage import bus

log = logging.getLogger(__name__)

Put = Callable[[Sequence[Mapping[str, Any]]], dict[int, str]]  # entries -> refused: index -> error code
# A new item -> the further events it makes (the consent ledger's), owned by the same stream record.
More = Callable[[dict[str, Any]], Sequence[events.Event]]


@dataclass
class Outcome:
    published: int = 0
    cut: int = 0
    failed: set[str] = field(default_factory=set)  # sequence numbers


def publish(
    records: Sequence[Mapping[str, Any]],
    deciding_item: events.DecidingReader,
    source: str,
    bus_name: str,
    put: Put,
    more: More | None = None,
) -> Outcome:
    outcome = Outcome()
    reader = events.once_per_message(deciding_item)
    entries: list[dict[str, str]] = []
    owners: list[str] = []
    for record in records:
        stream = record.get("dynamodb") or {}
        sequence = str(stream.get("SequenceNumber", ""))
        try:
            image = events.plain_image(stream.get("NewImage") or {})
            event = events.event_for(image, reader)
            built = ([] if event is None else [event]) + list(more(image) if more else [])
        except Exception:  # one record's failure is reported, never the batch's
            log.exception("could not build the event of stream record %s", sequence)
            outcome.failed.add(sequence)
            continue
        for each in built:
            published = events.fitted(each, source)
            outcome.cut += published is not each
            entries.append(published.entry(source, bus_name))
            owners.append(sequence)
    refused = put(entries) if entries else {}
    for index, code in sorted(refused.items()):
        log.warning("the bus refused the event of stream record %s: %s", owners[index], code)
        outcome.failed.add(owners[index])
    outcome.published = len(entries) - len(refused)
    return outcome


def put_with(client: Any) -> Put:
    return lambda entries: bus.put_all(client, entries)
