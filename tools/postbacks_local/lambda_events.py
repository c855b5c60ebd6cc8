"""The events and context Lambda hands a function, built from local HTTP requests and SQS messages.

Shapes follow what API Gateway (REST, proxy integration) and the SQS event source mapping send,
as `sam local generate-event apigateway aws-proxy` and `sqs receive-message` show them.
"""

from __future__ import annotations

import base64
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
LOCAL_STAGE = "local"


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


# --- API Gateway (REST API, Lambda proxy integration) ---------------------------------------------


@dataclass(frozen=True)
class Route:
    """One API resource path such as /postbacks/{secret}, with the methods it accepts."""

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


POSTBACK_ROUTE = Route("/postbacks/{secret}")


def api_gateway_event(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    route: Route,
    path_parameters: Mapping[str, str],
    stage: str = LOCAL_STAGE,
) -> dict[str, Any]:
    """The proxy event API Gateway sends for one request (target is the request line's path+query)."""
    url = urlsplit(target)
    # REST APIs pass the path still percent-encoded and the query string decoded.
    path = url.path
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value  # the last of repeated headers wins, as on API Gateway
        multi_headers.setdefault(name, []).append(value)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)

    # Bodies that are not UTF-8 text reach the function base64-encoded, as binary media types do.
    encoded_body, is_base64 = encode_body(body)

    now = datetime.now(UTC)
    user_agent = next((v for k, v in single_headers.items() if k.lower() == "user-agent"), None)
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": route.resource,
            "httpMethod": method.upper(),
            "path": f"/{stage}{path}",
            "stage": stage,
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {
                "sourceIp": source_ip,
                "userAgent": user_agent,
                "accountId": None,
                "accessKey": None,
                "caller": None,
                "user": None,
                "userArn": None,
                "cognitoIdentityPoolId": None,
                "cognitoIdentityId": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
            },
        },
        "body": encoded_body,
        "isBase64Encoded": is_base64,
    }


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def proxy_response(result: Any) -> HttpResponse:
    """The HTTP response API Gateway makes of a proxy integration's return value.

    Raises ValueError for a malformed result, which API Gateway answers with 502.
    """
    if not isinstance(result, Mapping):
        raise ValueError(f"the function returned {type(result).__name__}, not an object")
    try:
        status = int(result["statusCode"])
    except KeyError as error:
        raise ValueError("the result has no statusCode") from error
    except (TypeError, ValueError) as error:
        raise ValueError(f"statusCode {result.get('statusCode')!r} is not a number") from error
    headers: list[tuple[str, str]] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(value)) for value in values)
    multi_names = {name.lower() for name, _ in headers}
    for name, value in (result.get("headers") or {}).items():
        if str(name).lower() not in multi_names:
            headers.append((str(name), str(value)))
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
