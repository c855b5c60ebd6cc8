"""`postbacks`: find, explain, replay and redrive what the receiver stored, on the local stack or a deployed one.

Target: `--stack NAME` (a deployed stack's CloudFormation outputs; honours AWS_PROFILE / --profile and
--region), else resources named with --table/--bucket/--queue-url/--dlq-url or TABLE_NAME, else the
local stack at AWS_ENDPOINT_URL (`make run` prints it).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.domain import timestamps
from postbacks.domain.codes import Status
from postbacks.storage.quarantine import Quarantine, QuarantineUnavailable
from postbacks.storage.store import PostbackStore, StorageUnavailable
from postbacks_cli import clients, dlq, listing, messages, output, replay, report, send, stats, tail, targets, url, when
from postbacks_cli import consent as consent_command
from postbacks_cli.output import Exit
from postbacks_cli.targets import Target, TargetError

_EPILOG = """\
exit codes: 0 ok, 1 some items failed, 2 usage or target error, 3 not found.
examples:
  postbacks show 'TU1TXzU5Nzg3OQ=='
  postbacks list --number 16501112222 --since 7d
  postbacks list --status rejected --since 24h
  postbacks --stack postbacks-prod --region eu-west-1 stats --since 24h
  postbacks url --stack postbacks-prod
"""


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="postbacks", description=__doc__, epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _target_options(root, default=None)
    # The same options after the command (`postbacks list --stack X`); SUPPRESS keeps the root's value otherwise.
    common = argparse.ArgumentParser(add_help=False)
    _target_options(common, default=argparse.SUPPRESS)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show_cmd = commands.add_parser(
        "show",
        parents=[common],
        help="one message: status, timeline, archived media with S3 URIs",
        description=messages.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show_cmd.add_argument("key", help="the message key as `list` prints it: a tracking id, or ~mms:<id>, ~txn:<id> ...")
    show_cmd.add_argument("--json", action="store_true", help="one JSON object (the canonical fields)")
    show_cmd.add_argument("--raw", action="store_true", help="the bytes one postback arrived in, exactly, to stdout")
    show_cmd.add_argument("--event", metavar="ID", help="with --raw: which postback (a prefix of its event id)")

    list_cmd = commands.add_parser(
        "list",
        parents=[common],
        help="a subscriber number's messages with their status now, or failures in a window (newest first)",
        description=listing.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    list_cmd.add_argument("--number", help="a subscriber's number: MT recipient, MO sender, subscription mobile")
    list_cmd.add_argument(
        "--code",
        type=str.upper,
        help="postback code, e.g. E102: with --number, of each message's status now; alone, failures",
    )
    list_cmd.add_argument(
        "--status",
        choices=[status.value for status in Status],
        metavar="STATUS",
        help="failed, rejected, expired, not_supported, encoding_failed (alone: failures index); any with --number "
        "(each message's status now)",
    )
    _window(list_cmd, since_default=None)
    list_cmd.add_argument("--limit", type=_positive, help="at most this many postbacks")
    list_cmd.add_argument("--full", action="store_true", help="read each whole postback (one GetItem each)")
    list_cmd.add_argument("--json", action="store_true", help="JSON lines")

    stats_cmd = commands.add_parser(
        "stats",
        parents=[common],
        help="counts by code, status and operator, and the delivery rate, over a time window",
        description=stats.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _window(stats_cmd, since_default="24h")
    stats_cmd.add_argument(
        "--source",
        choices=("auto", "metrics", "table", "analytics"),
        default="auto",
        help="metrics (CloudWatch), table (scan) or analytics (the reports); auto: analytics when its files exist, "
        "else table for a local stack, else metrics",
    )
    stats_cmd.add_argument("--json", action="store_true", help="one JSON object")

    rejected_cmd = commands.add_parser(
        "rejected", parents=[common], help="bodies kept in S3 because they were refused or could not be stored"
    )
    rejected_cmd.add_argument("--reason", help="one reason, e.g. malformed_xml, or storage_unavailable for unstored/")
    rejected_cmd.add_argument("--limit", type=_positive, help="at most this many bodies")
    rejected_cmd.add_argument("--detail", action="store_true", help="add the recorded detail (one request per body)")
    rejected_cmd.add_argument("--json", action="store_true", help="JSON lines")

    replay_cmd = commands.add_parser(
        "replay",
        parents=[common],
        help="run kept bodies again through the current parser and store",
        description=replay.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay_cmd.add_argument("keys", nargs="*", metavar="KEY", help="keys as `rejected` prints them, or s3:// URIs")
    replay_cmd.add_argument("--reason", help="every body kept with this reason")
    replay_cmd.add_argument("--all", action="store_true", help="every kept body (quarantine/ and unstored/)")
    replay_cmd.add_argument("--json", action="store_true", help="JSON lines, one per body")

    dlq_cmd = commands.add_parser(
        "dlq",
        parents=[common],
        help="what sits in the dead-letter queue and why (a peek: nothing is consumed)",
        description=dlq.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dlq_cmd.add_argument("--limit", type=_positive, default=50, help="at most this many messages (default 50)")
    dlq_cmd.add_argument("--json", action="store_true", help="JSON lines")

    redrive_cmd = commands.add_parser(
        "redrive", parents=[common], help="move the dead-letter queue's messages back to the work queue"
    )
    redrive_cmd.add_argument("--limit", type=_positive, help="move at most this many")

    tail_cmd = commands.add_parser(
        "tail",
        parents=[common],
        help="print the stack's events as they are published, until Ctrl-C",
        description=tail.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tail_cmd.add_argument("--code", type=str.upper, help="only postbacks with this code, e.g. E102")
    tail_cmd.add_argument("--number", help="only postbacks to or from this subscriber number")
    tail_cmd.add_argument("--limit", type=_positive, help="stop after printing this many events")
    tail_cmd.add_argument("--json", action="store_true", help="the events as EventBridge delivers them, JSON lines")
    tail_cmd.add_argument(
        "--cleanup",
        action="store_true",
        help="only remove the rules and queues of killed tails (tagged, over an hour old), then exit",
    )

    report.add_parser(commands, common)

    consent_command.register(commands, common)
    commands.add_parser(
        "url", parents=[common], help="the whole postback URL, secret included, for the vendor's settings page"
    )

    send_cmd = commands.add_parser(
        "send",
        help="POST sample postbacks to a postback URL and print each answer (a smoke test)",
        description=send.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    send_cmd.add_argument("files", nargs="+", type=Path, metavar="FILE", help="events/*.json, .xml or .json bodies")
    send_cmd.add_argument(
        "--url", default=os.environ.get("POSTBACK_URL"), help="the postback URL with its secret (default $POSTBACK_URL)"
    )
    send_cmd.add_argument("--form", choices=send.FORMS, default="raw", help="raw body, xml= form field, or JSON")
    send_cmd.add_argument("--timeout", type=float, default=10.0, help="seconds per request (the vendor waits 10)")
    return root


def _target_options(parser: argparse.ArgumentParser, default: object) -> None:
    group = parser.add_argument_group("target (before or after the command)")
    group.add_argument("--stack", default=default, help="a deployed stack's name (reads its CloudFormation outputs)")
    group.add_argument("--region", default=default, help="AWS region (default: AWS_DEFAULT_REGION / the profile's)")
    group.add_argument("--profile", default=default, help="AWS profile (default: AWS_PROFILE)")
    group.add_argument("--table", default=default, help="DynamoDB table name (overrides the stack's)")
    group.add_argument("--bucket", default=default, help="S3 bucket name (overrides the stack's)")
    group.add_argument("--queue-url", dest="queue_url", default=default, help="work queue URL (overrides the stack's)")
    group.add_argument(
        "--dlq-url", dest="dlq_url", default=default, help="dead-letter queue URL (overrides the stack's)"
    )


def _window(command: argparse.ArgumentParser, since_default: str | None) -> None:
    default = when.since(since_default) if since_default else None
    command.add_argument(
        "--since",
        type=when.since,
        default=default,
        help=f"events at or after: {when.FORMS}" + (f" (default {since_default})" if since_default else ""),
    )
    command.add_argument("--until", type=when.until, help="events at or before (a bare date includes that day)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        # Human output cannot drive the terminal, whichever command prints it; JSON output stays exact.
        with output.guarded(stdout=not getattr(args, "json", False)):
            return _run(args)
    except TargetError as error:
        output.error(str(error))
        return Exit.USAGE
    except (StorageUnavailable, QuarantineUnavailable, BotoCoreError, ClientError) as error:
        output.error(targets.explain(error))
        return Exit.USAGE
    except BrokenPipeError:  # `postbacks list | head`
        return Exit.OK
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "send":
        return send.run(args.files, args.url, args.form, args.timeout)
    if args.command == "replay" and sum((bool(args.keys), args.reason is not None, args.all)) != 1:
        output.error("replay needs exactly one of: KEY..., --reason REASON, --all")
        return Exit.USAGE
    if args.command == "report" and args.files:  # a folder of analytics files needs no AWS at all
        return report.run(None, args)
    targets.use_aws(args.profile, args.region)
    target = targets.resolve_target(args)
    command = args.command
    if command == "show":
        return messages.show(store(target), args.key, args.json, args.raw, args.event)
    if command == "list":
        return listing.run(store(target), args)
    if command == "stats":
        return stats.run(_stats(target, args), args.json)
    if command == "rejected":
        return replay.list_rejected(
            Quarantine(target.bucket(), client=clients.s3()), args.reason, args.limit, args.detail, args.json
        )
    if command == "replay":
        return _replay(target, args)
    if command == "dlq":
        return dlq.show(clients.sqs(), target.dead_letter_queue(), args.limit, args.json)
    if command == "tail":
        listener = tail.listener_for(target.event_bus(), target.source())
        if args.cleanup:
            return tail.cleanup(listener)
        return tail.run(listener, args.json, args.code, args.number, args.limit)
    if command == "url":
        return url.run(target)
    if command == "report":
        return report.run(target, args)
    if command == "consent":
        return consent_command.run(target.table(), args)
    if command == "redrive":
        return dlq.redrive(clients.sqs(), target.dead_letter_queue(), target.queue(), args.limit)
    raise AssertionError(f"unhandled command {command}")


def _stats(target: Target, args: argparse.Namespace) -> stats.WindowStats:
    source = args.source
    if source == "analytics" or (source == "auto" and target.bucket_name and report.has_files(target.bucket_name)):
        return report.window_stats(target, args)
    if source == "auto":
        source = "table" if targets._is_loopback(os.environ.get("AWS_ENDPOINT_URL")) else "metrics"
    if source == "table":
        return stats.collect(store(target), args.since, args.until)
    from postbacks_cli import stats_metrics

    return stats_metrics.collect(clients.cloudwatch(), args.since, args.until, timestamps.utc_now_iso())


def store(target: Target) -> PostbackStore:
    return PostbackStore(target.table(), client=clients.dynamodb())


def _replay(target: Target, args: argparse.Namespace) -> int:
    ingestor = replay.ingestor_for(target)
    return replay.replay(ingestor, target.bucket(), args.keys, args.reason, args.json)


if __name__ == "__main__":
    sys.exit(main())
