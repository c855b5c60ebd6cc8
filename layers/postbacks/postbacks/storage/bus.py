"""PutEvents to the stack's bus: entries in calls of at most 10, failed entries (FailedEntryCount) retried.

botocore retries a call that failed as a whole (throttled, 5xx). An answer of 200 can still refuse some
entries, each with its ErrorCode, in the order they were sent: only those are sent again, a bounded number
of times with jittered backoff; what is still refused is returned to the caller, which reports it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

MAX_ENTRIES_PER_CALL = 10  # PutEvents' own limit
ATTEMPTS = 3  # sends of one entry, the first included
BACKOFF_SECONDS = 0.1  # doubled after each attempt, fully jittered


def put_all(
    client: Any,
    entries: Sequence[Mapping[str, Any]],
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[int, str]:
    """Put every entry; returns the entries the bus still refused after `attempts`: index -> error code."""
    pending = list(range(len(entries)))
    refused: dict[int, str] = {}
    for attempt in range(attempts):
        if attempt:
            sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** (attempt - 1)))
        refused = {}
        for start in range(0, len(pending), MAX_ENTRIES_PER_CALL):
            chunk = pending[start : start + MAX_ENTRIES_PER_CALL]
            refused.update(_put(client, [entries[index] for index in chunk], chunk))
        pending = sorted(refused)
        if not pending:
            break
    return refused


def _put(client: Any, entries: list[Mapping[str, Any]], indexes: list[int]) -> dict[int, str]:
    try:
        answer = client.put_events(Entries=entries)
    except (ClientError, BotoCoreError) as error:
        code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
        return dict.fromkeys(indexes, code or type(error).__name__)
    if not answer.get("FailedEntryCount"):
        return {}
    results = answer.get("Entries") or []
    if len(results) != len(entries):  # an answer we cannot map back: every entry again
        return dict.fromkeys(indexes, "UnmappableAnswer")
    pairs = zip(indexes, results, strict=True)
    return {index: str(result["ErrorCode"]) for index, result in pairs if result.get("ErrorCode")}
