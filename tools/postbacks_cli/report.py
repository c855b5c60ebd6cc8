"""`report NAME`: answers over many messages, from the analytics files (docs/analytics.md).

  delivery    MT messages per day (or --by carrier|shortcode|campaign|mms-id|code): messages, delivered,
              failed (expired, rejected, not_supported among them), pending, delivery rate
  latency     seconds from the send report to the final outcome, p50/p95/p99, by carrier
  failures    failed messages by carrier, code and the vendor's text
  inbound     MO messages by shortcode and keyword
  unresolved  send reports older than --older-than (default 72h) with no final outcome

A message counts once, with its status by the rule `postbacks show` uses. A deployed stack's reports run
on Athena in the stack's workgroup (its bytes scanned and cost are printed); the local stack's run the
same SQL on DuckDB, in-process, over the analytics files in its bucket.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from postbacks.analytics import reports
from postbacks.analytics.result import Result, athena_cost
from postbacks.domain.privacy import mask_number
from postbacks.domain.timestamps import utc_now_iso
from postbacks_cli import clients, output, stats, targets, when
from postbacks_cli.output import Exit, Progress
from postbacks_cli.targets import Target, TargetError

PREFIX = "analytics/events/"  # template.yaml, AnalyticsDeliveryStream's Prefix
_ENGINES = ("auto", "athena", "duckdb")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    command = commands.add_parser(
        "report",
        parents=[common],
        help="delivery, latency, failures, inbound or unresolved, over the analytics files (Athena or DuckDB)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("name", choices=reports.REPORTS, metavar="NAME", help=", ".join(reports.REPORTS))
    command.add_argument("--since", type=when.since, default=when.since("7d"), help=f"{when.FORMS} (default 7d)")
    command.add_argument("--until", type=when.until, help="at or before (default now)")
    command.add_argument("--by", choices=reports.GROUPINGS, default="day", help="delivery: the grouping")
    command.add_argument(
        "--older-than", dest="older_than", type=_hours, default=None, help="unresolved: age of the send report (72h)"
    )
    command.add_argument("--engine", choices=_ENGINES, default="auto", help="auto: DuckDB for a local stack")
    command.add_argument("--files", type=Path, help="run on DuckDB over this folder of analytics files")
    formats = command.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="one JSON object per row")
    formats.add_argument("--csv", action="store_true", help="CSV with a header row")


def _hours(text: str) -> float:
    try:
        seconds = _duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return seconds / 3600


def _duration(text: str) -> float:
    units = {"m": 60, "h": 3600, "d": 86_400, "w": 604_800}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"{text!r} is not a duration: use 72h, 3d, 90m")
    return int(text[:-1]) * units[text[-1]]


def window_of(args: argparse.Namespace) -> reports.Window:
    older = args.older_than
    if args.name == "unresolved" and older is None:
        older = reports.DEFAULT_OLDER_THAN_HOURS
    return reports.window(args.since, args.until or utc_now_iso(), args.by, older)


def run(target: Target | None, args: argparse.Namespace) -> int:
    try:
        window = window_of(args)
    except reports.ReportError as error:
        output.error(str(error))
        return Exit.USAGE
    query = reports.bind(reports.sql(args.name), window.values())
    with Progress(f"report {args.name}") as progress:

        def note(text: str) -> None:
            progress.advance(1, text)

        with tempfile.TemporaryDirectory(prefix="postbacks-report-") as folder:
            result = _engine(target, args, window, Path(folder), note).run(query, note)
        progress.clear()
    print_result(result, args)
    return Exit.OK


def _engine(
    target: Target | None, args: argparse.Namespace, window: reports.Window, folder: Path, note: Callable[[str], None]
) -> Any:
    from postbacks.analytics.duckdb_engine import DuckDbEngine

    if args.files:
        return DuckDbEngine(sorted(path for path in args.files.rglob("*") if path.is_file()))
    engine = args.engine
    if engine == "auto":
        engine = "duckdb" if targets._is_loopback(os.environ.get("AWS_ENDPOINT_URL")) else "athena"
    if engine == "athena":
        from postbacks.analytics.athena import AthenaEngine, names_for

        if not args.stack:
            raise TargetError("an Athena report needs --stack NAME (its workgroup and database)")
        workgroup, database = names_for(args.stack)
        return AthenaEngine(workgroup, database)
    if target is None:
        raise TargetError("a DuckDB report needs a bucket (the local stack, --bucket) or --files DIR")
    return DuckDbEngine(download(target.bucket(), window.days(), folder, note))


def download(bucket: str, days: list[str], folder: Path, note: Callable[[str], None]) -> list[Path]:
    """The window's analytics files, copied from the bucket into `folder` under their own keys."""
    s3 = clients.s3()
    # A month is listed day by day; a longer window lists the whole prefix once and keeps its days.
    prefixes = [f"{PREFIX}{day}/" for day in days] if len(days) <= 31 else [PREFIX]
    first, last = days[0], days[-1]
    files: list[Path] = []
    pages = s3.get_paginator("list_objects_v2")
    for prefix in prefixes:
        for page in pages.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if not first <= item["Key"][len(PREFIX) : len(PREFIX) + 10] <= last:
                    continue
                path = folder / item["Key"]
                path.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, item["Key"], str(path))
                files.append(path)
                note(f"{len(files)} files copied")
    return files


def print_result(result: Result, args: argparse.Namespace) -> None:
    records = [_renamed(record, args.by) for record in result.records()]
    if args.json:
        for record in records:
            output.json_line(record)
    elif args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0]) if records else _columns(result, args.by))
        writer.writeheader()
        writer.writerows(records)
    else:
        shown = [_masked(record) for record in records]
        columns = _columns(result, args.by)
        output.table([column.upper() for column in columns], ([record[c] for c in columns] for record in shown))
    print(_footer(result, len(records)), file=sys.stderr if args.json or args.csv else sys.stdout)


def _columns(result: Result, by: str) -> list[str]:
    return [by if column == "group_key" else column for column in result.columns]


def _renamed(record: dict[str, Any], by: str) -> dict[str, Any]:
    return {(by if name == "group_key" else name): value for name, value in record.items()}


def _masked(record: dict[str, Any]) -> dict[str, Any]:
    if record.get("number"):
        return {**record, "number": mask_number(str(record["number"]))}
    return record


def _footer(result: Result, rows: int) -> str:
    size = output.human_size(result.bytes_scanned)
    if result.engine == "athena":
        cost = athena_cost(result.bytes_scanned)
        return f"{output.plural(rows, 'row')}; Athena scanned {size}, ${cost:.6f} at $5/TB (query {result.query_id})"
    return f"{output.plural(rows, 'row')}; DuckDB read {size} of analytics files"


# --- `postbacks stats` from the reports --------------------------------------------------------------------


def has_files(bucket: str) -> bool:
    """Whether the analytics delivery has written anything to this bucket (one List request)."""
    from botocore.exceptions import ClientError

    try:
        return bool(clients.s3().list_objects_v2(Bucket=bucket, Prefix=PREFIX, MaxKeys=1).get("KeyCount"))
    except ClientError:  # no right to list it: the other sources answer
        return False


def window_stats(target: Target, args: argparse.Namespace) -> stats.WindowStats:
    """`stats` from the delivery report by code and by carrier: MT messages, each once, by its status."""
    window = reports.window(args.since, args.until or utc_now_iso(), "code")
    options = argparse.Namespace(**{**vars(args), "files": None, "engine": "auto", "name": "delivery"})
    with tempfile.TemporaryDirectory(prefix="postbacks-stats-") as folder:
        files_engine = _engine(target, options, window, Path(folder), lambda _: None)
        by_code = files_engine.run(reports.bind(reports.sql("delivery"), window.values())).records()
        by_carrier_window = reports.window(window.since, window.until, "carrier")
        by_carrier = files_engine.run(reports.bind(reports.sql("delivery"), by_carrier_window.values())).records()
    found = stats.WindowStats(since=args.since, until=args.until)
    for row in by_code:
        found.events += row["messages"]
        found.by_code[str(row["group_key"])] += row["messages"]
        found.by_status.update(_statuses(row))
    for row in by_carrier:
        carrier = str(row["group_key"])
        found.by_operator[carrier] = stats.OperatorCounts(name=None, events=row["messages"], statuses=_statuses(row))
    source = "Athena" if files_engine.name == "athena" else "DuckDB"
    output.error(f"stats: from the analytics reports on {source}: MT messages, each once, by its status now")
    return found


def _statuses(row: dict[str, Any]) -> Counter[str]:
    counted = Counter({name: int(row[name]) for name in ("delivered", "expired", "rejected", "not_supported")})
    counted["failed"] = int(row["failed"]) - sum(counted[name] for name in ("expired", "rejected", "not_supported"))
    counted["sent"] = int(row["pending"])
    return +counted  # zero counts dropped


# --- long failure listings ---------------------------------------------------------------------------------

LONG_LISTING_DAYS = 7


def long_listing_hint(since: str, until: str | None) -> str | None:
    """For `list --status` over more than a week: what it will cost, and the report that answers it at once."""
    from datetime import date

    from postbacks.storage import keys

    days = (date.fromisoformat((until or utc_now_iso())[:10]) - date.fromisoformat(since[:10])).days + 1
    if days <= LONG_LISTING_DAYS:
        return None
    queries = days * keys.FAILURE_SHARDS  # one per day and shard (storage.keys.failure_buckets)
    return (
        f"about {queries:,} index queries for {days} days; `postbacks report failures --since {since[:10]}` "
        "answers it in one query over the analytics files"
    )
