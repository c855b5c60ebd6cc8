"""The events and context Lambda hands a function, built from local HTTP requests, SQS messages and stream records.

Shapes follow what an HTTP API (payload format 2.0) and the SQS event source mapping send, as
`sam local generate-event apigateway http-api-proxy` and `sqs receive-message` show them.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from postbacks_cli.bodies import decode_body, encode_body

ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs line up with the queues it reports


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    region: str = "us-east-1"
    memory_limit_in_mb: int = 128
    timeout_seconds: float = 30.0
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{datetime.now(UTC):%Y/%m/%d}/[{self.function_version}]local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# --- API Gateway (HTTP API, Lambda proxy integration, payload format 2.0) --------------------------


@dataclass(frozen=True)
class Route:
    """One API route path such as /postbacks/{secret}, with the methods it accepts."""

    resource: str
    methods: frozenset[str] = frozenset({"POST"})

    @property
    def pattern(self) -> re.Pattern[str]:
        parts = []
        for segment in self.resource.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                parts.append(f"(?P<{segment[1:-2]}>.+)")
            elif segment.startswith("{") and segment.endswith("}"):
                parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
            else:
                parts.append(re.escape(segment))
        return re.compile("^/" + "/".join(parts) + "$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when this route takes the request, else None."""
        found = self.pattern.match(path)
        if found is None or not ({method.upper(), "ANY"} & self.methods):
            return None
        return found.groupdict()

    def key(self, method: str) -> str:
        """The route key API Gateway logs and hands the function: "POST /postbacks/{secret}"."""
        return f"{method.upper()} {self.resource}"


POSTBACK_ROUTE = Route("/postbacks/{secret}")
DEFAULT_STAGE = "$default"
# HTTP APIs pass these bodies as text and base64-encode every other (form posts included).
_TEXT_TYPES = frozenset({"application/json", "application/javascript", "application/xml"})


def _is_text_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_TYPES or media_type.endswith(("+json", "+xml"))


def api_gateway_event(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    route: Route,
    path_parameters: Mapping[str, str],
    stage: str = DEFAULT_STAGE,
) -> dict[str, Any]:
    """The payload 2.0 event an HTTP API sends for one request (target is the request line's path+query)."""
    url = urlsplit(target)
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()  # HTTP APIs lower-case names and join repeated headers with commas
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:
            joined[key] = f"{joined[key]},{value}" if key in joined else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value

    encoded_body, is_base64 = encode_body(body)
    if encoded_body is not None and not is_base64 and not _is_text_type(joined.get("content-type")):
        encoded_body, is_base64 = base64.b64encode(body).decode("ascii"), True

    # A named stage is part of the path; the $default stage is not.
    raw_path = url.path if stage == DEFAULT_STAGE else f"/{stage}{url.path}"
    route_key = route.key(method)
    host = joined.get("host", "local.execute-api.localhost")
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": url.query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": stage,
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    # Absent rather than empty, as API Gateway sends them.
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if encoded_body is not None:
        event["body"] = encoded_body
    return event


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def proxy_response(result: Any) -> HttpResponse:
    """The HTTP response an HTTP API makes of a payload 2.0 function's return value.

    A result without statusCode is taken as a 200 JSON body, as API Gateway does. Raises ValueError
    for a malformed result, which API Gateway answers with 500.
    """
    if isinstance(result, str) or (isinstance(result, Mapping) and "statusCode" not in result):
        text = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(status=200, headers=[("content-type", "application/json")], body=text.encode("utf-8"))
    if not isinstance(result, Mapping):
        raise ValueError(f"the function returned {type(result).__name__}, not an object")
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"statusCode {result.get('statusCode')!r} is not a number") from error
    headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise ValueError("body must be a string")
    raw = decode_body(body, bool(result.get("isBase64Encoded")))
    return HttpResponse(status=status, headers=headers, body=raw)


# --- SQS event source mapping ---------------------------------------------------------------------


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    binary = value.get("BinaryValue")
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(binary).decode("ascii") if binary is not None else None,
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [base64.b64encode(item).decode("ascii") for item in value.get("BinaryListValues", [])],
        "dataType": value.get("DataType", "String"),
    }


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller sends for messages from boto3's receive_message."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {
                    name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def failed_message_ids(result: Any, message_ids: Sequence[str]) -> set[str]:
    """The messages a ReportBatchItemFailures response leaves on the queue.

    As on AWS: no response or an empty list means all succeeded; an identifier that is empty or not
    in the batch makes the whole batch fail.
    """
    if not isinstance(result, Mapping):
        return set()
    failures = result.get("batchItemFailures") or []
    if not isinstance(failures, list):
        return set(message_ids)
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in message_ids:
            return set(message_ids)
        failed.add(identifier)
    return failed


# --- DynamoDB stream event source mapping ---------------------------------------------------------


def stream_record(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A boto3 GetRecords record as Lambda hands it on: binary as base64, times as epoch seconds."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            return base64.b64encode(value).decode()
        if isinstance(value, datetime):
            return int(value.timestamp())
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    return {**plain(dict(record)), "awsRegion": region, "eventSourceARN": stream_arn}


def stream_event(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The event Lambda's DynamoDB stream poller sends for a batch of records."""
    return {"Records": [dict(record) for record in records]}
