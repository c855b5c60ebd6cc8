"""Run the pages' console examples against the local stack `make run` starts; check them or write them back.

    .venv/bin/python -m tests.docs.examples                  # run every page's examples, print what differs
    .venv/bin/python -m tests.docs.examples --update         # write each example's actual output into its page
    .venv/bin/python -m tests.docs.examples --update README.md docs/operate.md

Each command runs in its own `bash -c` from the repository root, with POSTBACK_URL and AWS_ENDPOINT_URL of
the local stack and this checkout's CLI on PATH as `postbacks`; stdout and stderr are read together, as a
terminal shows them. Every page starts on an empty stack (table, bucket and queues emptied).
"""

from __future__ import annotations

import argparse
import difflib
import functools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from postbacks_cli.local_stacks import LOCAL_STACK_NAME, resolve_region
from tests.docs import normalise, pages
from tests.helpers import free_port, start_local_stack

COMMAND_SECONDS = 60
SETTLE_SECONDS = 30
# Fixed terminal size: table and help layouts depend on it.
TERMINAL = {"COLUMNS": "120", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
_STACK_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "TABLE_NAME", "BUCKET_NAME", "QUEUE_URL", "POSTBACK_URL")


@dataclass(frozen=True)
class StackNames:
    table: str
    bucket: str
    queues: tuple[str, ...]
    work_queues: tuple[str, ...]  # the ones a worker reads (they redrive to a dead-letter queue)


@dataclass
class LocalStack:
    """One `make run` process and what a page's commands need to reach it."""

    process: subprocess.Popen[str]
    postback_url: str
    endpoint: str
    bin_dir: Path

    @property
    def values(self) -> normalise.RunValues:
        api, moto = urlsplit(self.postback_url), urlsplit(self.endpoint)
        return normalise.RunValues(
            api_port=api.port or 0, moto_port=moto.port or 0, secret=api.path.rstrip("/").rsplit("/", 1)[-1]
        )

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in _STACK_VARIABLES}
        return (
            env
            | TERMINAL
            | {
                "POSTBACK_URL": self.postback_url,
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": resolve_region(),
                "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                "PYTHONPATH": os.pathsep.join([str(pages.ROOT / "layers" / "postbacks"), str(pages.ROOT / "tools")]),
                "PYTHONUNBUFFERED": "1",
            }
        )

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.endpoint,
            region_name=resolve_region(),
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    @functools.cached_property
    def resources(self) -> StackNames:
        cloudformation, sqs = self.client("cloudformation"), self.client("sqs")
        by_type: dict[str, list[str]] = {}
        for resource in cloudformation.describe_stack_resources(StackName=LOCAL_STACK_NAME)["StackResources"]:
            by_type.setdefault(resource["ResourceType"], []).append(resource["PhysicalResourceId"])
        queues = [sqs.get_queue_url(QueueName=url.rsplit("/", 1)[-1])["QueueUrl"] for url in by_type["AWS::SQS::Queue"]]
        redriving = [
            url
            for url in queues
            if "RedrivePolicy" in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        ]
        (table,), (bucket,) = by_type["AWS::DynamoDB::Table"], by_type["AWS::S3::Bucket"]
        return StackNames(table, bucket, tuple(queues), tuple(redriving))

    def settle(self) -> None:
        """Wait until the worker has taken every job a command queued (media fetches, bundle items)."""
        sqs = self.client("sqs")
        deadline = time.monotonic() + SETTLE_SECONDS
        for url in self.resources.work_queues:
            while time.monotonic() < deadline:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                if not any(int(value) for value in attributes.values()):
                    break
                time.sleep(0.1)

    def reset(self) -> None:
        """An empty stack for the next page: no items, no kept bodies or files, no queued jobs."""
        self.settle()
        names = self.resources
        dynamodb, s3, sqs = self.client("dynamodb"), self.client("s3"), self.client("sqs")
        for page in dynamodb.get_paginator("scan").paginate(TableName=names.table, ProjectionExpression="pk, sk"):
            for item in page["Items"]:
                dynamodb.delete_item(TableName=names.table, Key=item)
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=names.bucket):
            for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                s3.delete_object(Bucket=names.bucket, Key=version["Key"], VersionId=version["VersionId"])
        for url in names.queues:  # not PurgeQueue: SQS allows one a minute per queue
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
                entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
                sqs.delete_message_batch(QueueUrl=url, Entries=entries)

    def run(self, script: str) -> list[str]:
        """One command as a reader would type it; what it printed, normalised."""
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=pages.ROOT,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: a command that never ends is stopped whole
        )
        try:
            printed, _ = process.communicate(timeout=COMMAND_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            printed, _ = process.communicate()
            printed += f"\n[still running after {COMMAND_SECONDS} s: stopped by the example runner]"
        self.settle()
        return pages.trim(self.values.normalise(printed).split("\n"))


@contextmanager
def local_stack() -> Iterator[LocalStack]:
    """`make run` as a subprocess on free ports, with this checkout's `postbacks` command beside it."""
    env = {key: value for key, value in os.environ.items() if key not in _STACK_VARIABLES}
    env |= {
        "PORT": str(free_port()),
        "PYTHONPATH": os.pathsep.join([str(pages.ROOT / "tools"), str(pages.ROOT / "layers" / "postbacks")]),
        "AWS_DEFAULT_REGION": resolve_region(),
    }
    process, printed = start_local_stack(env)
    try:
        if len(printed) < 2:
            raise RuntimeError("the local stack did not print POSTBACK_URL and AWS_ENDPOINT_URL within 60 s")
        with tempfile.TemporaryDirectory(prefix="postbacks-docs-") as bin_dir:
            # The console script of this checkout (an installed one may point at another tree).
            script = Path(bin_dir) / "postbacks"
            script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m postbacks_cli.cli "$@"\n')
            script.chmod(0o755)
            yield LocalStack(process, printed["POSTBACK_URL"], printed["AWS_ENDPOINT_URL"], Path(bin_dir))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def runnable(page_text: str) -> list[pages.Block]:
    return [block for block in pages.blocks(page_text) if not block.needs_aws]


def run_page(stack: LocalStack, page_text: str) -> dict[int, list[list[str]]]:
    """Every runnable block's commands, in page order, on an empty stack: their outputs by block."""
    stack.reset()
    return {
        block.first_line: [stack.run(command.script) for command in block.commands] for block in runnable(page_text)
    }


def expected_outputs(page_text: str) -> dict[int, list[list[str]]]:
    """What the page shows for each runnable block, with the run-dependent values made the runner's."""
    return {
        block.first_line: [
            pages.trim(normalise.content("\n".join(command.expected)).split("\n")) for command in block.commands
        ]
        for block in runnable(page_text)
    }


def differences(page: Path, page_text: str, actual: dict[int, list[list[str]]]) -> str:
    """A unified diff of the page as it is against the page as its examples print it; empty when they agree."""
    shown = pages.rewrite(page_text, expected_outputs(page_text))
    printed = pages.rewrite(page_text, actual)
    return "".join(
        difflib.unified_diff(
            shown.splitlines(keepends=True),
            printed.splitlines(keepends=True),
            fromfile=f"{page.name} (as the page shows it)",
            tofile=f"{page.name} (as the commands print it)",
        )
    )


def keeping_shown(page_text: str, actual: dict[int, list[list[str]]]) -> dict[int, list[list[str]]]:
    """The actual outputs, except that a line the page shows which normalises to the same text stays as shown
    (a rewrite then changes only what really changed, and a page keeps its readable dates)."""
    kept: dict[int, list[list[str]]] = {}
    for block in runnable(page_text):
        outputs = []
        for command, printed in zip(block.commands, actual[block.first_line], strict=True):
            shown = command.expected
            normalised = normalise.content("\n".join(shown)).split("\n")
            aligned = len(normalised) == len(shown)
            outputs.append(
                [
                    shown[i] if aligned and i < len(shown) and normalised[i] == line else line
                    for i, line in enumerate(printed)
                ]
            )
        kept[block.first_line] = outputs
    return kept


def _name(page: Path) -> str:
    return str(page.relative_to(pages.ROOT)) if page.is_relative_to(pages.ROOT) else str(page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.docs.examples", description=__doc__.split("\n")[0])
    parser.add_argument("--update", action="store_true", help="write the actual outputs into the pages")
    parser.add_argument("pages", nargs="*", type=Path, help="pages to run (default: README.md and docs/**/*.md)")
    args = parser.parse_args(argv)
    chosen = [path.resolve() for path in args.pages] or pages.pages()
    failed = 0
    with local_stack() as stack:
        for page in chosen:
            text = page.read_text(encoding="utf-8")
            if not runnable(text):
                continue
            actual = run_page(stack, text)
            if args.update:
                page.write_text(pages.rewrite(text, keeping_shown(text, actual)), encoding="utf-8")
                print(f"{_name(page)}: {len(actual)} block(s) written")
                continue
            diff = differences(page, text, actual)
            failed += bool(diff)
            print(diff or f"{_name(page)}: {len(actual)} block(s) agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
