"""Load on the local stack: N distinct postbacks over loopback HTTP from several threads, none lost.

The count and the time are bounded so the test fits CI; POSTBACKS_LOAD_COUNT raises the count for a longer run.
Throughput is bounded by moto (~130 writes/s here) and by the local API running one invocation at a time.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from postbacks_cli.local_stacks import StackResources
from postbacks_local.api import ApiEmulator
from tests.helpers import (
    REPORT_LINES,
    SECRET,
    WELL_FORMED_SEEDS,
    content_type_of,
    has_tracking_id,
    stored_events,
    with_tracking_id,
)

COUNT = int(os.environ.get("POSTBACKS_LOAD_COUNT", "300"))
THREADS = 8
SENDER_TIMEOUT = 10.0

# Every well-formed example with a tracking id, Skycore XML, Sinch XML and Sinch JSON alike.
TEMPLATES = [
    (path.read_bytes(), content_type_of(path)) for path in WELL_FORMED_SEEDS if has_tracking_id(path.read_bytes())
]


def test_load_over_loopback_loses_nothing(local_api: ApiEmulator, stack: StackResources) -> None:
    url = local_api.postback_url(SECRET)
    run = uuid.uuid4().hex[:8]
    bodies = [(f"load-{run}-{n:05d}", *TEMPLATES[n % len(TEMPLATES)]) for n in range(COUNT)]
    sessions = threading.local()  # requests.Session is not thread-safe: one per thread, kept alive

    def send(item: tuple[str, bytes, str]) -> int:
        tracking_id, template, content_type = item
        session = getattr(sessions, "session", None) or requests.Session()
        sessions.session = session
        try:
            answer = session.post(
                url,
                data=with_tracking_id(template, tracking_id),
                headers={"Content-Type": content_type},
                timeout=SENDER_TIMEOUT,
            )
        except requests.RequestException:
            return 0  # the sender saw no answer: it would retry later
        return answer.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = Counter(pool.map(send, bodies))
    elapsed = time.monotonic() - started

    sent_ids = {tracking_id for tracking_id, _, _ in bodies}
    stored = len({item["pk"]["S"] for item in stored_events(stack) if item["pk"]["S"] in sent_ids})
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    lost = len(sent_ids) - stored
    line = (
        f"sent={len(bodies)} 2xx={ok} stored={stored} lost={lost} elapsed={elapsed:.1f}s "
        f"rate={len(bodies) / elapsed:.0f}/s threads={THREADS}"
    )
    REPORT_LINES.append(f"load: {line}")
    print(line)
    assert lost == 0, f"{line}; answers {dict(statuses)}"
    assert (ok, stored) == (len(bodies), len(bodies)), dict(statuses)
