"""Which resources a command works on: a deployed stack's outputs, the local stack, or names given outright.

Order: `--stack NAME` (the stack's CloudFormation outputs); else names given with `--table`/`--bucket`/
`--queue-url`/`--dlq-url` or TABLE_NAME (with BUCKET_NAME, QUEUE_URL, DEAD_LETTER_QUEUE_URL); else the
local stack at AWS_ENDPOINT_URL. A name given with a flag always wins over the one found.
"""

from __future__ import annotations

import argparse
import os
import socket
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)

from postbacks.storage import aws
from postbacks_cli import clients

# CloudFormation output -> Target field; the template's Outputs section declares these.
OUTPUTS: dict[str, str] = {
    "TableName": "table_name",
    "BucketName": "bucket_name",
    "QueueUrl": "queue_url",
    "DeadLetterQueueUrl": "dead_letter_queue_url",
    "EventBusName": "event_bus_name",
    "EventSource": "event_source",
    "PostbackUrl": "postback_url",
    "UrlSecretArn": "url_secret_arn",
}
_ENVIRONMENT: dict[str, str] = {
    "table_name": "TABLE_NAME",
    "bucket_name": "BUCKET_NAME",
    "queue_url": "QUEUE_URL",
    "dead_letter_queue_url": "DEAD_LETTER_QUEUE_URL",
}
_FLAGS: dict[str, str] = {
    "table_name": "table",
    "bucket_name": "bucket",
    "queue_url": "queue_url",
    "dead_letter_queue_url": "dlq_url",
}
_WHAT: dict[str, tuple[str, str]] = {
    "table_name": ("DynamoDB table", "--table"),
    "bucket_name": ("S3 bucket", "--bucket"),
    "queue_url": ("work queue", "--queue-url"),
    "dead_letter_queue_url": ("dead-letter queue", "--dlq-url"),
    "event_bus_name": ("event bus (is PublishEvents on?)", "--stack NAME"),
    "event_source": ("event source (is PublishEvents on?)", "--stack NAME"),
}


class TargetError(Exception):
    """No usable target: the message says what to do."""


@dataclass(frozen=True, slots=True)
class Target:
    where: str  # for messages: "stack postbacks-dev in eu-west-1", "local stack at http://..."
    table_name: str | None = None
    bucket_name: str | None = None
    queue_url: str | None = None
    dead_letter_queue_url: str | None = None
    event_bus_name: str | None = None
    event_source: str | None = None
    postback_url: str | None = None  # without its secret, as the stack's output gives it
    url_secret_arn: str | None = None

    def table(self) -> str:
        return self._need("table_name")

    def bucket(self) -> str:
        return self._need("bucket_name")

    def queue(self) -> str:
        return self._need("queue_url")

    def dead_letter_queue(self) -> str:
        return self._need("dead_letter_queue_url")

    def event_bus(self) -> str:
        return self._need("event_bus_name")

    def source(self) -> str:
        return self._need("event_source")

    def _need(self, name: str) -> str:
        value: str | None = getattr(self, name)
        if not value:
            what, flag = _WHAT[name]
            raise TargetError(f"the {what} of {self.where} is unknown: pass --stack NAME or {flag}")
        return value


def use_aws(profile: str | None, region: str | None) -> None:
    """Make --profile / --region reach every client: the layer's (storage/aws.py) and boto3's read the environment."""
    if profile:
        os.environ["AWS_PROFILE"] = profile
    if not region and os.environ.get("AWS_ENDPOINT_URL") and not region_name():
        from postbacks_cli.local_stacks import DEFAULT_REGION

        region = DEFAULT_REGION  # where `make run` creates the local stack when no region is configured
    if region:
        os.environ["AWS_DEFAULT_REGION"] = region
        os.environ["AWS_REGION"] = region
    local = _is_loopback(os.environ.get("AWS_ENDPOINT_URL"))
    if local and not profile and not _has_credentials():
        # moto accepts any credentials; a local stack needs none from the user.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    if profile or region or local:
        aws.reset_clients()
        clients.reset()


def _is_loopback(endpoint: str | None) -> bool:
    from urllib.parse import urlsplit

    return bool(endpoint) and urlsplit(endpoint).hostname in ("127.0.0.1", "localhost", "::1")


def _has_credentials() -> bool:
    import boto3

    return boto3.session.Session().get_credentials() is not None


def resolve_target(args: argparse.Namespace) -> Target:
    flags = {field: getattr(args, flag, None) for field, flag in _FLAGS.items()}
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        _check_reachable(endpoint)
    if args.stack:
        base = _deployed_stack(args.stack)
    elif any(flags.values()) or os.environ.get("TABLE_NAME"):
        names = {field: os.environ.get(variable) or None for field, variable in _ENVIRONMENT.items()}
        table = flags["table_name"] or names["table_name"]
        base = Target(where=f"table {table}" if table else "the resources named", **names)
    elif endpoint:
        base = _local_stack(endpoint)
    else:
        raise TargetError(
            "no target: pass --stack NAME (a deployed stack), set AWS_ENDPOINT_URL to the local stack"
            " (`make run` prints it), or name the resources with --table/--bucket or TABLE_NAME"
        )
    return replace(base, **{field: value for field, value in flags.items() if value})


def region_name() -> str | None:
    import boto3

    return boto3.session.Session().region_name


def _deployed_stack(name: str) -> Target:
    import boto3

    try:
        session = boto3.session.Session()
        region = session.region_name
        if not region:
            raise TargetError("no AWS region: pass --region or set AWS_DEFAULT_REGION")
        stack = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        if "does not exist" in message:
            raise TargetError(
                f"no stack named {name} in {region}: check the name (`aws cloudformation list-stacks`),"
                " --region and AWS_PROFILE"
            ) from error
        raise TargetError(explain(error)) from error
    except BotoCoreError as error:
        raise TargetError(explain(error)) from error
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    if "TableName" not in outputs:
        if os.environ.get("AWS_ENDPOINT_URL"):
            # Stacks the local stack creates in moto carry resources but no outputs.
            return _resources_of(name, region, f"stack {name} at {os.environ['AWS_ENDPOINT_URL']}")
        raise TargetError(f"stack {name} in {region} has no TableName output: is it a postbacks stack?")
    fields = {field: outputs.get(output) for output, field in OUTPUTS.items()}
    return Target(where=f"stack {name} in {region}", **fields)


def _local_stack(endpoint: str) -> Target:
    from postbacks_cli.local_stacks import LOCAL_STACK_NAME

    return _resources_of(LOCAL_STACK_NAME, region_name(), f"the local stack at {endpoint}")


def _resources_of(name: str, region: str | None, where: str) -> Target:
    from postbacks_cli.local_stacks import StackError, find_stack_resources

    try:
        found = find_stack_resources(name, region)
    except ClientError as error:
        if "does not exist" in error.response.get("Error", {}).get("Message", ""):
            raise TargetError(
                f"no stack named {name} at AWS_ENDPOINT_URL={os.environ.get('AWS_ENDPOINT_URL')}:"
                " `make run` creates the local stack (or pass --stack NAME)"
            ) from error
        raise TargetError(explain(error)) from error
    except (StackError, BotoCoreError) as error:
        raise TargetError(f"{where}: {explain(error)}") from error
    return Target(
        where=where,
        table_name=found.table_name,
        bucket_name=found.bucket_name,
        queue_url=found.queue_url,
        dead_letter_queue_url=found.dead_letter_queue_url,
        # The local stack's events function publishes to a bus named after the stack (stream_mapping).
        event_bus_name=name,
        event_source=f"postbacks.{name}",
    )


def _check_reachable(endpoint: str) -> None:
    """One TCP connect: a stopped local stack is reported at once, not after boto3's retries."""
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "localhost", port), timeout=2):
            pass
    except OSError as error:
        raise TargetError(
            f"AWS_ENDPOINT_URL {endpoint} unreachable ({error.strerror or error}): is `make run` up?"
        ) from error


def explain(error: BaseException) -> str:
    """A sentence for an AWS failure, found anywhere in the exception's chain, that says what to do."""
    for cause in _chain(error):
        if isinstance(cause, EndpointConnectionError):
            endpoint = os.environ.get("AWS_ENDPOINT_URL")
            if endpoint:
                return f"AWS_ENDPOINT_URL {endpoint} unreachable: is `make run` up?"
            return f"cannot reach AWS ({cause}): check the network and --region"
        if isinstance(cause, NoCredentialsError):
            return "no AWS credentials: set AWS_PROFILE (or pass --profile), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        if isinstance(cause, NoRegionError):
            return "no AWS region: pass --region or set AWS_DEFAULT_REGION"
        if isinstance(cause, ProfileNotFound):
            return f"{cause}: check --profile / AWS_PROFILE against ~/.aws/config"
        if isinstance(cause, ClientError):
            return _client_error(cause)
    return str(error)


def _client_error(error: ClientError) -> str:
    details = error.response.get("Error", {})
    code, message = str(details.get("Code", "")), str(details.get("Message", ""))
    operation = error.operation_name
    if code in ("ResourceNotFoundException", "NoSuchBucket", "AWS.SimpleQueueService.NonExistentQueue"):
        return f"{operation}: {message or code}: is the target right (--stack, --region)?"
    if "AccessDenied" in code or code in ("UnauthorizedOperation", "AuthorizationError"):
        return f"{operation} refused: {message or code}: your role needs that permission"
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        return "the AWS credentials have expired: refresh them (e.g. `aws sso login`)"
    if code in ("UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId"):
        return f"AWS does not know these credentials ({code}): check AWS_PROFILE"
    return f"{operation}: {code}: {message}"


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
