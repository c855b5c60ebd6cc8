"""Record the AWS calls a function makes and name what IAM authorises each one as: (action, resource ARN).

A botocore hook on every client a function creates records the operation and its parameters. The table
below turns each into the IAM requests AWS evaluates (S3 per object key, DynamoDB per table or index,
SQS per queue); an operation it does not know fails the check by name, so a new kind of call cannot
pass unexamined.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from postbacks.storage import aws


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: dict[str, Any]


@dataclass(frozen=True, order=True)
class Request:
    """One IAM authorisation: what the function's role must allow for a call to succeed."""

    action: str
    resource: str
    why: str = ""


class UnknownOperation(LookupError):
    """A recorded call this table cannot translate into IAM terms yet."""


class Recorder:
    """Every API call made through the layer's clients (and boto3's default session) while recording.

    One per process (`RECORDER`): botocore keeps a hook registered under one id once per session.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._active = False
        self._lock = threading.Lock()  # the S3 transfer manager calls from its own threads
        self.workgroups: dict[str, str] = {}  # Athena query id -> the workgroup it runs in

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self._active:
            service, recorded = model.service_model.service_name, dict(params)
            if service == "athena" and recorded.get("QueryExecutionId") in self.workgroups:
                # IAM checks a query's later calls against the workgroup it was started in.
                recorded["WorkGroup"] = self.workgroups[recorded["QueryExecutionId"]]
            with self._lock:
                self.calls.append(Call(service, model.name, recorded))

    def started(self, parsed: dict[str, Any], **_: Any) -> None:
        """After StartQueryExecution: its id, with the workgroup of the call just recorded."""
        if self._active and "QueryExecutionId" in parsed:
            start = next(c for c in reversed(self.calls) if c.operation == "StartQueryExecution")
            self.workgroups[parsed["QueryExecutionId"]] = start.params.get("WorkGroup", "primary")

    def attach(self) -> None:
        # Clients copy their session's hooks when created: attach before the function makes its clients.
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        for session in (aws._session(), boto3.DEFAULT_SESSION):
            assert session is not None
            session.events.register("provide-client-params", self, unique_id="least-privilege-recorder")
            session.events.register(
                "after-call.athena.StartQueryExecution", self.started, unique_id="least-privilege-athena"
            )

    @contextmanager
    def recording(self) -> Iterator[list[Call]]:
        """The calls made inside the block (the list fills as they happen)."""
        calls: list[Call] = []
        self.calls, self._active = calls, True
        try:
            yield calls
        finally:
            self._active = False


RECORDER = Recorder()


def _table(region: str, account: str, name: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"


def _queue(url: str, region: str) -> str:
    # https://sqs.<region>.amazonaws.com/<account>/<name>, or moto's http://host:port/<account>/<name>
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def _s3(params: dict[str, Any], action: str, why: str = "") -> list[Request]:
    return [Request(action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}", why)]


def _bucket(params: dict[str, Any], action: str, why: str = "") -> list[Request]:
    return [Request(action, f"arn:aws:s3:::{params['Bucket']}", why)]


_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
_SQS_ACTIONS = {
    "SendMessage": "SendMessage",
    "SendMessageBatch": "SendMessage",
    "ReceiveMessage": "ReceiveMessage",
    "DeleteMessage": "DeleteMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibility": "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    "GetQueueAttributes": "GetQueueAttributes",
}
_S3_OBJECT_ACTIONS = {
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts",
    "DeleteObject": "s3:DeleteObject",
}
_MISSING_AS_404 = "without it a missing key answers 403, not 404"


def _dynamodb(call: Call, region: str, account: str) -> list[Request]:
    params, op = call.params, call.operation
    if op in ("TransactWriteItems", "TransactGetItems"):
        return [
            Request(f"dynamodb:{_TRANSACT.get(kind, 'GetItem')}", _table(region, account, body["TableName"]))
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    if op in ("BatchWriteItem", "BatchGetItem"):
        return [Request(f"dynamodb:{op}", _table(region, account, name)) for name in params["RequestItems"]]
    if op in ("PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable"):
        table = _table(region, account, params["TableName"])
        index = params.get("IndexName")
        return [Request(f"dynamodb:{op}", f"{table}/index/{index}" if index else table)]
    raise UnknownOperation(f"dynamodb {op}")


def _streams(call: Call, region: str, account: str) -> list[Request]:
    if call.operation == "GetRecords":
        # A shard iterator belongs to one stream; IAM checks GetRecords against it. Recorded with its stream.
        return [Request("dynamodb:GetRecords", call.params["StreamArn"])]
    if call.operation in ("DescribeStream", "GetShardIterator"):
        return [Request(f"dynamodb:{call.operation}", call.params["StreamArn"])]
    if call.operation == "ListStreams":
        return [Request("dynamodb:ListStreams", f"arn:aws:dynamodb:{region}:{account}:table/*/stream/*")]
    raise UnknownOperation(f"dynamodbstreams {call.operation}")


def _s3_requests(call: Call) -> list[Request]:
    op, params = call.operation, call.params
    if op in _S3_OBJECT_ACTIONS:
        return _s3(params, _S3_OBJECT_ACTIONS[op])
    if op == "CopyObject":
        source = params["CopySource"]
        if isinstance(source, str):  # "bucket/key[?versionId=...]"
            bucket, _, key = source.lstrip("/").partition("/")
            source = {"Bucket": bucket, "Key": key.split("?versionId=")[0]}
        return _s3(source, "s3:GetObject", "copy source") + _s3(params, "s3:PutObject")
    if op in ("GetObject", "HeadObject"):
        return _s3(params, "s3:GetObject") + _bucket(params, "s3:ListBucket", _MISSING_AS_404)
    if op in ("ListObjectsV2", "ListObjects", "HeadBucket"):
        return _bucket(params, "s3:ListBucket")
    if op == "ListMultipartUploads":
        return _bucket(params, "s3:ListBucketMultipartUploads")
    raise UnknownOperation(f"s3 {op}")


def _events(call: Call, region: str, account: str) -> list[Request]:
    if call.operation != "PutEvents":
        raise UnknownOperation(f"events {call.operation}")
    buses = {entry.get("EventBusName") or "default" for entry in call.params["Entries"]}
    arns = {bus if bus.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{bus}" for bus in buses}
    return [Request("events:PutEvents", arn) for arn in sorted(arns)]


_ATHENA = ("StartQueryExecution", "GetQueryExecution", "GetQueryResults")


def _athena(call: Call, region: str, account: str) -> list[Request]:
    if call.operation not in _ATHENA or "WorkGroup" not in call.params:
        raise UnknownOperation(f"athena {call.operation}")
    workgroup = f"arn:aws:athena:{region}:{account}:workgroup/{call.params['WorkGroup']}"
    return [Request(f"athena:{call.operation}", workgroup)]


def requests_for(call: Call, region: str, account: str) -> list[Request]:
    """The IAM requests AWS evaluates for one call (several for a transaction or a GetObject of a missing key)."""
    handlers: dict[str, Callable[[], list[Request]]] = {
        "dynamodb": lambda: _dynamodb(call, region, account),
        "dynamodbstreams": lambda: _streams(call, region, account),
        "s3": lambda: _s3_requests(call),
        "events": lambda: _events(call, region, account),
        "athena": lambda: _athena(call, region, account),
    }
    if call.service in handlers:
        return handlers[call.service]()
    if call.service == "sqs" and call.operation in _SQS_ACTIONS:
        return [Request(f"sqs:{_SQS_ACTIONS[call.operation]}", _queue(call.params["QueueUrl"], region))]
    if call.service == "secretsmanager" and call.operation in ("GetSecretValue", "DescribeSecret"):
        secret = call.params["SecretId"]
        if not secret.startswith("arn:"):
            raise UnknownOperation(f"secretsmanager {call.operation} by name {secret!r}: IAM checks the ARN")
        return [Request(f"secretsmanager:{call.operation}", secret)]
    raise UnknownOperation(f"{call.service} {call.operation}")
