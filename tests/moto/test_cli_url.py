"""`postbacks url --stack NAME`: the postback URL from the stack's outputs, with the secret the stack generated."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

from postbacks_cli import cli

# The outputs `url` reads, as template.yaml declares them. moto's CloudFormation cannot create a secret,
# so the test generates one the way GenerateSecretString does and hands its ARN in.
STACK_TEMPLATE = {
    "Parameters": {"UrlSecret": {"Type": "String"}},
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            },
        },
    },
    "Outputs": {
        "TableName": {"Value": {"Ref": "Table"}},
        "PostbackUrl": {"Value": "https://abc123.execute-api.us-east-1.amazonaws.com/postbacks/"},
        "UrlSecretArn": {"Value": {"Ref": "UrlSecret"}},
    },
}


def create_stack(template: dict[str, Any]) -> str:
    name = f"url-{uuid.uuid4().hex[:8]}"
    secrets = boto3.client("secretsmanager")
    value = secrets.get_random_password(PasswordLength=40, ExcludePunctuation=True)["RandomPassword"]
    arn = secrets.create_secret(Name=f"{name}/url-secret", SecretString=value)["ARN"]
    boto3.client("cloudformation").create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "UrlSecret", "ParameterValue": arn}],
    )
    return name


@pytest.fixture
def deployed(moto_endpoint: str) -> str:
    return create_stack(STACK_TEMPLATE)


def secret_arn(stack_name: str) -> str:
    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]["Outputs"]
    return next(output["OutputValue"] for output in outputs if output["OutputKey"] == "UrlSecretArn")


def test_url_prints_the_postback_url_with_the_generated_secret(
    deployed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn(deployed))["SecretString"]

    assert cli.main(["url", "--stack", deployed]) == 0

    assert (
        capsys.readouterr().out.strip() == f"https://abc123.execute-api.us-east-1.amazonaws.com/postbacks/{generated}"
    )


def test_during_a_rotation_url_prints_the_new_secret(deployed: str, capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("secretsmanager").put_secret_value(SecretId=secret_arn(deployed), SecretString="n3w,0ld")

    assert cli.main(["url", "--stack", deployed]) == 0

    assert capsys.readouterr().out.strip().endswith("/postbacks/n3w")


def test_a_stack_without_the_outputs_is_a_usage_error(moto_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    name = create_stack({**STACK_TEMPLATE, "Outputs": {"TableName": {"Value": {"Ref": "Table"}}}})

    assert cli.main(["url", "--stack", name]) == 2

    assert "PostbackUrl" in capsys.readouterr().err
