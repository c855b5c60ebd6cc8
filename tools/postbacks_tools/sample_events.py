"""API Gateway (REST, proxy) events for the vendor's examples: `events/*.json`, usable with `sam local invoke -e`.

`python -m postbacks_tools.sample_events` rewrites `events/` from `tests/fixtures/seeds/`.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "seeds"
EVENTS = ROOT / "events"
PLACEHOLDER_SECRET = "REPLACE-WITH-URL-SECRET"  # noqa: S105 - a placeholder, not a secret
RESOURCE = "/postbacks/{secret}"


def api_event(
    body: bytes,
    *,
    secret: str = PLACEHOLDER_SECRET,
    content_type: str | None = "text/xml",
    method: str = "POST",
    path: str | None = None,
    stage: str = "dev",
    request_id: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The event API Gateway hands the ingest function for one HTTP request to the postback URL."""
    path = path if path is not None else f"/postbacks/{secret}"
    headers = {"Host": "example.execute-api.us-east-1.amazonaws.com", "User-Agent": "postback-sender"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    headers |= extra_headers or {}
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        # API Gateway base64-encodes bodies it cannot pass as text.
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    request_id = request_id or str(uuid.uuid4())
    matched = path.startswith("/postbacks/") and path.count("/") == 2
    return {
        "resource": RESOURCE if matched else path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"secret": path.rsplit("/", 1)[1]} if matched else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": RESOURCE if matched else path,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "postback-sender"},
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }


def _content_type(name: str) -> str | None:
    return "application/json" if name.endswith(".json") else "text/xml"


def write_events(fixtures: Path = FIXTURES, events: Path = EVENTS) -> list[Path]:
    events.mkdir(exist_ok=True)
    written = []
    for fixture in sorted(fixtures.iterdir()):
        event = api_event(
            fixture.read_bytes(),
            content_type=_content_type(fixture.name),
            request_id=f"sample-{fixture.stem}",
        )
        stem = fixture.name.replace(".curl.txt", "_curl").rsplit(".", 1)[0]
        target = events / f"{stem}.json"
        target.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write_events():
        print(path.relative_to(ROOT))
