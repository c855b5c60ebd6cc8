"""Which resources `postbacks` works on: a stack's CloudFormation outputs, flags, the local stack; and the errors."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Iterator

import boto3
import pytest

from postbacks.storage import aws
from postbacks.storage.store import PostbackStore
from postbacks_cli import cli, targets
from postbacks_cli.local_stacks import StackResources
from postbacks_cli.output import Exit
from tests.helpers import free_port, save_seed, seed


def deployed_like(stack: StackResources) -> str:
    """A CloudFormation stack whose Outputs name the resources, as the deployed template's do."""
    name = f"deployed-{uuid.uuid4().hex[:8]}"
    template = {
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "TableName": {"Value": stack.table_name},
            "BucketName": {"Value": stack.bucket_name},
            "QueueUrl": {"Value": stack.queue_url},
            "DeadLetterQueueUrl": {"Value": stack.dead_letter_queue_url},
        },
    }
    boto3.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


def no_ambient_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TABLE_NAME", "BUCKET_NAME", "QUEUE_URL", "DEAD_LETTER_QUEUE_URL"):
        monkeypatch.delenv(name, raising=False)


def namespace(**values: str | None) -> argparse.Namespace:
    fields = dict.fromkeys(("stack", "table", "bucket", "queue_url", "dlq_url")) | values
    return argparse.Namespace(**fields)


def test_stack_outputs_name_every_resource(stack: StackResources, monkeypatch: pytest.MonkeyPatch) -> None:
    no_ambient_names(monkeypatch)
    name = deployed_like(stack)

    target = targets.resolve_target(namespace(stack=name))

    assert (target.table_name, target.bucket_name) == (stack.table_name, stack.bucket_name)
    assert (target.queue_url, target.dead_letter_queue_url) == (stack.queue_url, stack.dead_letter_queue_url)
    assert target.where == f"stack {name} in us-east-1"


def test_show_reads_the_stack_named_by_its_outputs(
    stack: StackResources, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_ambient_names(monkeypatch)
    save_seed(PostbackStore(stack.table_name), seed("000_sms_mt_n201.xml"))

    assert cli.main(["--stack", deployed_like(stack), "show", "U01TXzgwNjc4", "--json"]) == 0

    assert json.loads(capsys.readouterr().out)["status"] == "sent"


def test_target_options_also_work_after_the_command(
    stack: StackResources, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_ambient_names(monkeypatch)
    save_seed(PostbackStore(stack.table_name), seed("000_sms_mt_n201.xml"))

    assert cli.main(["show", "U01TXzgwNjc4", "--stack", deployed_like(stack), "--json"]) == 0

    assert json.loads(capsys.readouterr().out)["tracking_id"] == "U01TXzgwNjc4"


def test_a_flag_overrides_the_stacks_output(stack: StackResources, monkeypatch: pytest.MonkeyPatch) -> None:
    no_ambient_names(monkeypatch)

    target = targets.resolve_target(namespace(stack=deployed_like(stack), table="another-table"))

    assert target.table_name == "another-table"
    assert target.bucket_name == stack.bucket_name


def test_a_stack_the_local_stack_made_is_found_by_its_resources(
    stack: StackResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_ambient_names(monkeypatch)

    target = targets.resolve_target(namespace(stack=stack.stack_name))

    assert target.dead_letter_queue_url == stack.dead_letter_queue_url


@pytest.fixture
def restored_region(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # --region rewrites the process's AWS settings: put them, and the clients made from them, back.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    yield
    aws.reset_clients()


@pytest.mark.usefixtures("restored_region")
def test_missing_stack_names_the_region(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--stack", "nope", "--region", "eu-west-1", "show", "x"]) == Exit.USAGE

    assert "no stack named nope in eu-west-1" in capsys.readouterr().err


def test_unreachable_endpoint_asks_whether_the_local_stack_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead)
    no_ambient_names(monkeypatch)

    assert cli.main(["list", "--number", "16501112222"]) == Exit.USAGE

    assert f"AWS_ENDPOINT_URL {dead} unreachable" in capsys.readouterr().err


def test_a_resource_the_target_lacks_says_which_flag_names_it(
    stack: StackResources, capsys: pytest.CaptureFixture[str]
) -> None:
    # The functions' environment names the table, bucket and queue, not the dead-letter queue.
    assert cli.main(["dlq"]) == Exit.USAGE

    assert "--dlq-url" in capsys.readouterr().err
