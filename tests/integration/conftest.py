"""Integration targets: the local stack (always, started here) and a deployed stack (when AWS_SAM_STACK_NAME is set).

The same tests run against both, so the deployed-stack path is never dead code.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from postbacks_cli.local_stacks import resolve_region
from tests.helpers import free_port, start_local_stack

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Target:
    name: str
    postback_url: str
    table_name: str
    bucket_name: str
    endpoint_url: str | None  # None: real AWS
    serves_loopback_media: bool

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=resolve_region())

    def cli_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.endpoint_url:
            env |= {
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": "x",
                "AWS_SECRET_ACCESS_KEY": "x",
                "AWS_DEFAULT_REGION": resolve_region(),
            }
            env.pop("TABLE_NAME", None)
        else:
            env["TABLE_NAME"] = self.table_name
        return env


@pytest.fixture(scope="session")
def local_target() -> Iterator[Target]:
    env = dict(os.environ)
    env |= {
        "PORT": str(free_port()),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tools"), str(ROOT / "layers" / "postbacks")]),
        "AWS_DEFAULT_REGION": resolve_region(),
    }
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "TABLE_NAME", "BUCKET_NAME", "QUEUE_URL"):
        env.pop(name, None)
    process, ready = start_local_stack(env)
    if len(ready) < 2:
        process.kill()
        pytest.fail("the local stack did not print POSTBACK_URL and AWS_ENDPOINT_URL within 60 s")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "x")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "x")
    from postbacks_cli.local_stacks import LOCAL_STACK_NAME

    cloudformation = boto3.client(
        "cloudformation", endpoint_url=ready["AWS_ENDPOINT_URL"], region_name=resolve_region()
    )
    resources = {
        item["ResourceType"]: item["PhysicalResourceId"]
        for item in cloudformation.describe_stack_resources(StackName=LOCAL_STACK_NAME)["StackResources"]
    }
    yield Target(
        name="local",
        postback_url=ready["POSTBACK_URL"],
        table_name=resources["AWS::DynamoDB::Table"],
        bucket_name=resources["AWS::S3::Bucket"],
        endpoint_url=ready["AWS_ENDPOINT_URL"],
        serves_loopback_media=True,
    )
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def deployed_target() -> Target:
    stack_name = os.environ.get("AWS_SAM_STACK_NAME")
    if not stack_name:
        pytest.skip("AWS_SAM_STACK_NAME is not set: no deployed stack to test (the local stack is tested instead)")
    cloudformation = boto3.client("cloudformation", region_name=resolve_region())
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    value = boto3.client("secretsmanager", region_name=resolve_region()).get_secret_value(
        SecretId=outputs["UrlSecretArn"]
    )
    secret = value["SecretString"].split(",")[0].strip()
    return Target(
        name=stack_name,
        postback_url=outputs["PostbackUrl"] + secret,
        table_name=outputs["TableName"],
        bucket_name=outputs["BucketName"],
        endpoint_url=None,
        serves_loopback_media=False,
    )


@pytest.fixture(params=["local", "deployed"])
def target(request: pytest.FixtureRequest) -> Target:
    return request.getfixturevalue(f"{request.param}_target")  # type: ignore[no-any-return]
