"""`postbacks`: read what the receiver stored, from the local stack or a deployed one.

Target: `--table/--bucket` (or TABLE_NAME/BUCKET_NAME), else `--stack NAME` (a deployed stack's outputs),
else the local stack found at AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from postbacks.storage.store import INDEX_FOR, PostbackStore, StorageUnavailable, StoredEvent

# The most selective lookup serves the query; the others become filters on its results.
_INDEX_PREFERENCE = ("mms_id", "to", "from", "code")
EXIT_NOT_FOUND = 3
EXIT_TARGET = 2


@dataclass(frozen=True, slots=True)
class Target:
    table_name: str
    bucket_name: str | None


class TargetError(Exception):
    pass


def resolve_target(args: argparse.Namespace) -> Target:
    table = args.table or os.environ.get("TABLE_NAME")
    if table:
        return Target(table, args.bucket or os.environ.get("BUCKET_NAME"))
    if args.stack:
        return _deployed_stack(args.stack, args.region)
    if os.environ.get("AWS_ENDPOINT_URL"):
        from postbacks_tools.stack_resources import find_stack_resources

        try:
            local = find_stack_resources(region=args.region)
        except Exception as error:  # noqa: BLE001 - any failure here means "no local stack there"
            raise TargetError(
                f"no local stack at AWS_ENDPOINT_URL={os.environ['AWS_ENDPOINT_URL']} ({error}); is `make run` up?"
            ) from error
        return Target(local.table_name, local.bucket_name)
    raise TargetError("no target: pass --stack NAME, set TABLE_NAME, or set AWS_ENDPOINT_URL to the local stack")


def _deployed_stack(name: str, region: str | None) -> Target:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("cloudformation", region_name=region)
    try:
        stack = client.describe_stacks(StackName=name)["Stacks"][0]
    except (ClientError, BotoCoreError) as error:
        raise TargetError(f"no stack named {name} in {client.meta.region_name} ({error})") from error
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    if "TableName" not in outputs:
        raise TargetError(f"stack {name} has no TableName output: is it a postbacks stack?")
    return Target(outputs["TableName"], outputs.get("BucketName"))


def show(store: PostbackStore, tracking_id: str, as_json: bool) -> int:
    message = store.get_message(tracking_id)
    if message is None:
        print(f"no message with tracking id {tracking_id}", file=sys.stderr)
        return EXIT_NOT_FOUND
    document = {
        "tracking_id": message.message_key,
        "status": message.status,
        "status_code": message.status_code,
        "events": [event.as_json() for event in message.events],
        "content": message.content,
    }
    if as_json:
        print(json.dumps(document, ensure_ascii=False))
        return 0
    print(f"{message.message_key}  {message.status} ({message.status_code})")
    for event in message.events:
        fields = event.fields
        when = fields.get("timestamp") or f"received {event.received_at}"
        print(f"  {when:<26} {fields.get('code', ''):<5} {fields.get('status', ''):<14} {fields.get('status_text', '')}")
    for entry in message.content:
        print(f"  file {entry.get('index')}: {entry.get('state')} {entry.get('s3_uri') or entry.get('url', '')}")
    return 0


def list_events(store: PostbackStore, args: argparse.Namespace) -> int:
    wanted = {name: value for name in _INDEX_PREFERENCE if (value := getattr(args, name)) is not None}
    if not wanted:
        print("list needs at least one of --to, --from, --mms-id, --code (each served by an index)", file=sys.stderr)
        return EXIT_TARGET
    attribute = next(name for name in _INDEX_PREFERENCE if name in wanted)
    filters = {name: value for name, value in wanted.items() if name != attribute}
    events = store.list_events(attribute, wanted[attribute], filters=filters, since=args.since, until=args.until)
    for count, event in enumerate(_limited(events, args.limit), start=1):
        if args.json:
            print(json.dumps(event.as_json(), ensure_ascii=False))
        else:
            fields = event.fields
            print(
                f"{event.event_at:<26} {event.message_key:<28} {fields.get('code', ''):<5}"
                f" {fields.get('status', ''):<14} to={fields.get('to', '')} from={fields.get('from', '')}"
            )
        if count % 1000 == 0:
            sys.stdout.flush()
    return 0


def _limited(events: Iterator[StoredEvent], limit: int | None) -> Iterator[StoredEvent]:
    for count, event in enumerate(events):
        if limit is not None and count >= limit:
            return
        yield event


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="postbacks", description=__doc__)
    root.add_argument("--stack", help="a deployed stack's name (reads its CloudFormation outputs)")
    root.add_argument("--region", help="AWS region (default: the AWS environment's)")
    root.add_argument("--table", help="DynamoDB table name (overrides --stack)")
    root.add_argument("--bucket", help="S3 bucket name (overrides --stack)")
    commands = root.add_subparsers(dest="command", required=True)

    show_cmd = commands.add_parser("show", help="one message and its timeline")
    show_cmd.add_argument("tracking_id")
    show_cmd.add_argument("--json", action="store_true", help="one JSON object")

    list_cmd = commands.add_parser("list", help="events by recipient, sender, MMS id or code (index queries)")
    list_cmd.add_argument("--to", help=f"recipient (index {INDEX_FOR['to']})")
    list_cmd.add_argument("--from", dest="from", help=f"sender (index {INDEX_FOR['from']})")
    list_cmd.add_argument("--mms-id", dest="mms_id", help=f"MMS id (index {INDEX_FOR['mms_id']})")
    list_cmd.add_argument("--code", help=f"postback code (index {INDEX_FOR['code']})")
    list_cmd.add_argument("--since", help="UTC ISO 8601 lower bound on the event time")
    list_cmd.add_argument("--until", help="UTC ISO 8601 upper bound on the event time")
    list_cmd.add_argument("--limit", type=int, help="at most this many events (newest first)")
    list_cmd.add_argument("--json", action="store_true", help="JSON lines")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        target = resolve_target(args)
    except TargetError as error:
        print(f"postbacks: {error}", file=sys.stderr)
        return EXIT_TARGET
    store = PostbackStore(target.table_name)
    try:
        if args.command == "show":
            return show(store, args.tracking_id, args.json)
        return list_events(store, args)
    except StorageUnavailable as error:
        print(f"postbacks: cannot read table {target.table_name}: {error}", file=sys.stderr)
        return EXIT_TARGET
    except BrokenPipeError:  # `postbacks list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())

