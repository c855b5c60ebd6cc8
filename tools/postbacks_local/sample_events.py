"""HTTP API (payload 2.0) events for the vendor's examples: `events/*.json`, usable with `sam local invoke -e`.

`python -m postbacks_local.sample_events` rewrites `events/` from `tests/fixtures/seeds/`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from postbacks_local.lambda_events import POSTBACK_ROUTE, Route, api_gateway_event

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "seeds"
EVENTS = ROOT / "events"
PLACEHOLDER_SECRET = "REPLACE-WITH-URL-SECRET"  # noqa: S105 - a placeholder, not a secret


def api_event(
    body: bytes,
    *,
    secret: str = PLACEHOLDER_SECRET,
    content_type: str | None = "text/xml",
    path: str | None = None,
    request_id: str | None = None,
    source_ip: str = "192.0.2.10",
) -> dict[str, Any]:
    """The event API Gateway hands the ingest function for one POST to the postback URL (or to `path`)."""
    target = path if path is not None else f"/postbacks/{secret}"
    headers = [("Host", "example.execute-api.us-east-1.amazonaws.com"), ("User-Agent", "postback-sender")]
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    parameters = POSTBACK_ROUTE.match("POST", target)
    event = api_gateway_event(
        method="POST",
        target=target,
        headers=headers,
        body=body,
        source_ip=source_ip,
        route=POSTBACK_ROUTE if parameters is not None else Route(target),
        path_parameters=parameters or {},
    )
    if request_id is not None:
        event["requestContext"]["requestId"] = request_id
    return event


# Sample events carry a fixed time, so regenerating `events/` changes only what changed.
SAMPLE_TIME = {"time": "05/Nov/2013:10:41:08 +0000", "timeEpoch": 1383648068000}


def content_type_for(name: str) -> str:
    """The Content-Type a sample file is sent with: JSON for `.json`, XML for everything else."""
    return "application/json" if name.endswith(".json") else "text/xml"


def write_events(fixtures: Path = FIXTURES, events: Path = EVENTS) -> list[Path]:
    events.mkdir(exist_ok=True)
    written = []
    for fixture in sorted(fixtures.iterdir()):
        event = api_event(
            fixture.read_bytes(),
            content_type=content_type_for(fixture.name),
            request_id=f"sample-{fixture.stem}",
        )
        event["requestContext"].update(SAMPLE_TIME)
        stem = fixture.name.replace(".curl.txt", "_curl").rsplit(".", 1)[0]
        target = events / f"{stem}.json"
        target.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_events():
        print(path.relative_to(ROOT))
