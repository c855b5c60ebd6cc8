"""The template reader: each function's environment is the template's, Globals merged, !Ref resolved locally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from postbacks_cli.local_stacks import StackError
from postbacks_local.lambda_events import Route
from postbacks_local.stack_resources import storage_template
from postbacks_local.template import (
    Names,
    api_function,
    api_routes,
    function_definitions,
    load_template,
    parameter_defaults,
    worker_batch_size,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"

TEMPLATE: dict[str, Any] = {
    "Parameters": {"Days": {"Type": "Number", "Default": 7}, "Name": {"Type": "String", "Default": "/p/secret"}},
    "Globals": {
        "Function": {
            "Timeout": 5,
            "Environment": {"Variables": {"LOG_LEVEL": "INFO", "TABLE": {"Ref": "Table"}, "DAYS": {"Ref": "Days"}}},
        }
    },
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table"},
        "Api": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/api/",
                "Handler": "app.lambda_handler",
                "MemorySize": 256,
                "Environment": {"Variables": {"LOG_LEVEL": "DEBUG", "SECRET": {"Ref": "Name"}, "LOOPBACK": False}},
                "Events": {"Post": {"Type": "HttpApi", "Properties": {"Path": "/hooks/{secret}", "Method": "post"}}},
            },
        },
        "Worker": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/worker/",
                "Handler": "app.lambda_handler",
                "Timeout": 60,
                "Environment": {"Variables": {"URL": {"Fn::Sub": "https://${AWS::Region}.example/${Table}"}}},
                "Events": {"Work": {"Type": "SQS", "Properties": {"Queue": "q", "BatchSize": 4}}},
            },
        },
    },
}


def names(**parameters: Any) -> Names:
    return Names(
        parameters=parameter_defaults(TEMPLATE) | parameters,
        resources={"Table": "local-table"},
        region="eu-west-1",
        stack_name="local",
    )


def definition(logical_id: str) -> Any:
    [found] = [d for d in function_definitions(TEMPLATE) if d.logical_id == logical_id]
    return found


def test_globals_are_merged_under_the_functions_own_variables() -> None:
    environment = definition("Api").environment(names())

    assert environment == {
        "LOG_LEVEL": "DEBUG",
        "TABLE": "local-table",
        "DAYS": "7",
        "SECRET": "/p/secret",
        "LOOPBACK": "false",
    }


def test_a_function_without_variables_of_its_own_gets_the_globals() -> None:
    environment = definition("Worker").environment(names())

    assert environment["LOG_LEVEL"] == "INFO"
    assert environment["URL"] == "https://eu-west-1.example/local-table"


def test_a_parameter_given_locally_wins_over_its_default() -> None:
    assert definition("Api").environment(names(Name="/local/url-secret"))["SECRET"] == "/local/url-secret"


def test_a_ref_to_something_the_local_stack_lacks_names_the_variable() -> None:
    local = Names(parameters={}, resources={}, region="eu-west-1", stack_name="local")

    with pytest.raises(StackError, match=r"Api\.Environment\.TABLE: !Ref Table"):
        definition("Api").environment(local)


def test_an_intrinsic_the_local_stack_cannot_resolve_is_refused_by_name() -> None:
    template = {
        "Resources": {
            "F": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "f/",
                    "Handler": "app.h",
                    "Environment": {"Variables": {"X": {"Fn::Select": [0, ["a", "b"]]}}},
                },
            }
        }
    }
    [function] = function_definitions(template)

    with pytest.raises(StackError, match=r"F\.Environment\.X: Fn::Select"):
        function.environment(names())


def test_timeout_and_memory_come_from_the_function_else_the_globals_else_lambdas_defaults() -> None:
    api, worker = definition("Api"), definition("Worker")

    assert (api.timeout_seconds(), api.memory_mb()) == (5.0, 256)
    assert (worker.timeout_seconds(), worker.memory_mb()) == (60.0, 128)


def test_the_handler_is_found_from_code_uri_and_handler() -> None:
    api = definition("Api")

    assert api.handler_path(ROOT) == ROOT / "functions" / "api" / "app.py"
    assert api.module_name == "api_app"


def test_http_api_events_give_the_routes_and_the_api_function() -> None:
    assert api_routes(TEMPLATE) == [Route("/hooks/{secret}", frozenset({"POST"}))]
    assert api_function(TEMPLATE) == "Api"


def test_batch_size_is_the_sqs_events() -> None:
    assert worker_batch_size(TEMPLATE) == 4


def test_the_real_template_gives_every_variable_the_functions_read() -> None:
    template = load_template(ROOT / "template.yaml")
    resources = {name: f"local-{name}" for name in template["Resources"]}
    local = Names(parameter_defaults(template), resources, "us-east-1", "postbacks-local", template["Conditions"])
    environments = {d.logical_id: d.environment(local) for d in function_definitions(template)}

    for environment in environments.values():
        assert {"LOG_LEVEL", "RETENTION_DAYS", "TABLE_NAME", "BUCKET_NAME", "QUEUE_URL"} <= set(environment)
        assert environment["TABLE_NAME"] == "local-PostbacksTable"
    assert "MAX_BODY_BYTES" in environments["IngestFunction"]
    assert "MEDIA_MAX_BYTES" in environments["WorkerFunction"]


def test_short_form_tags_become_long_form(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Q:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      A: !Ref Other\n"
        "      B: !GetAtt Dlq.Arn\n"
        "      C: !Sub '${AWS::StackName}-x'\n"
        "      D: !If [Cond, !Equals [!Ref P, 0], !Ref AWS::NoValue]\n"
    )

    properties = load_template(path)["Resources"]["Q"]["Properties"]

    assert properties == {
        "A": {"Ref": "Other"},
        "B": {"Fn::GetAtt": ["Dlq", "Arn"]},
        "C": {"Fn::Sub": "${AWS::StackName}-x"},
        "D": {"Fn::If": ["Cond", {"Fn::Equals": [{"Ref": "P"}, 0]}, {"Ref": "AWS::NoValue"}]},
    }


def test_storage_template_keeps_only_what_moto_can_create() -> None:
    template = load_template(TEMPLATE_PATH)

    local = storage_template(template)

    kept = {body["Type"] for body in local["Resources"].values()}
    assert kept == {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue"}
    assert not {"Outputs", "Transform", "Globals"} & set(local)
    assert local["Parameters"] == template["Parameters"]


def test_storage_template_drops_properties_wired_to_dropped_resources() -> None:
    template = {
        "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "DependsOn": ["Fn"],
                "Properties": {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "NotificationConfiguration": {
                        "LambdaConfigurations": [{"Function": {"Fn::GetAtt": ["Fn", "Arn"]}}]
                    },
                },
            },
        }
    }

    bucket = storage_template(template)["Resources"]["Bucket"]

    assert bucket == {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}}


def test_api_routes_come_from_the_api_events() -> None:
    assert api_routes(load_template(TEMPLATE_PATH)) == [Route("/postbacks/{secret}", frozenset({"POST"}))]
