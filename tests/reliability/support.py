"""What the reliability tests share: the seed and hostile corpora, rewriting a seed, a recording content host."""

from __future__ import annotations

import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.helpers import SEEDS
from tests.moto.media_server import MediaServer

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"

# Lines the tests want printed at the end of the run (the load test's figures), see conftest.py.
REPORT_LINES: list[str] = []


ALL_SEEDS: list[Path] = sorted(SEEDS.iterdir())


_XML_TRACKING_ID = re.compile(rb"(<(TRACKINGID|tracking-id)>)[^<]*(</\2>)")
_JSON_TRACKING_ID = re.compile(rb'("tracking-id"\s*:\s*")[^"]*(")')


def with_tracking_id(raw: bytes, tracking_id: str) -> bytes:
    """A seed example rewritten to carry another tracking id (a different message, same shape)."""
    new = tracking_id.encode()
    rewritten, count = _XML_TRACKING_ID.subn(lambda m: m.group(1) + new + m.group(3), raw)
    if not count:
        rewritten, count = _JSON_TRACKING_ID.subn(lambda m: m.group(1) + new + m.group(2), raw)
    if not count:
        raise ValueError("the example has no tracking id")
    return rewritten


def has_tracking_id(raw: bytes) -> bool:
    return bool(_XML_TRACKING_ID.search(raw) or _JSON_TRACKING_ID.search(raw))


class RecordingServer(MediaServer):
    """A content host that answers every request with `status` and `body`, and remembers the paths asked for."""

    def __init__(self, status: int = 200, body: bytes = b"canary") -> None:
        super().__init__()
        self.status = status
        self.body = body

    def route(self, handler: BaseHTTPRequestHandler) -> None:
        self._send(handler, self.status, self.body, content_type="image/gif")
