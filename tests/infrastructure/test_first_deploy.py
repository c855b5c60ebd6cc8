"""A first deploy, as close as it gets offline: the SAM transform of template.yaml created in moto's CloudFormation.

moto creates what it has a model for and skips the rest with a warning (recorded below, so a newly skipped
type is seen); cfn-lint checks every region's resource types; a region-limited resource is refused at deploy
time by a template rule that names the parameter to change. See docs/deploy.md.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from postbacks_local.template import load_template
from tests.infrastructure.deployed import (
    ARTIFACTS_BUCKET,
    ROOT,
    TEMPLATE,
    Resolver,
    artifact_key,
    resource_values,
    transformed,
)

Deployed = tuple[dict[str, Any], Any, list[Any]]  # the template, the stack, its resources as listed

# What moto 5.2.5's CloudFormation has no model for: it lists them without an id and creates nothing.
SKIPPED_BY_MOTO = frozenset(
    {
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::Athena::WorkGroup",
        "AWS::CloudWatch::Alarm",
        "AWS::Glue::Database",
        "AWS::Glue::Table",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::S3::BucketPolicy",
        "AWS::SecretsManager::Secret",
    }
)


def moto_ready(template: dict[str, Any], skipped_getatts: bool = True) -> dict[str, Any]:
    """The changes moto needs: an archive's EventPattern as a JSON string (CloudFormation takes either), a
    rule's bus by name (moto's Ref of a bus is its object, not its name: the bus is named after the stack),
    and each GetAtt of a resource moto skips replaced by the ARN CloudFormation would give (moto fails on it)."""
    for body in template["Resources"].values():
        properties = body.get("Properties") or {}
        pattern = properties.get("EventPattern")
        if body["Type"] == "AWS::Events::Archive" and isinstance(pattern, dict):
            properties["EventPattern"] = _as_sub(pattern)
        if body["Type"] == "AWS::Events::Rule" and "EventBusName" in properties:
            bus = json.dumps(properties["EventBusName"])
            properties["EventBusName"] = json.loads(bus.replace('{"Ref": "EventBus"}', '{"Ref": "AWS::StackName"}'))
    if not skipped_getatts:
        return template
    skipped = {name: body["Type"] for name, body in template["Resources"].items() if body["Type"] in SKIPPED_BY_MOTO}
    return dict(_without_getatts_of(template, skipped))


# The ARN of each skipped type that something in the template reads with GetAtt; a new one fails by name.
_SKIPPED_ARNS = {
    "AWS::KinesisFirehose::DeliveryStream": "arn:${AWS::Partition}:firehose:${AWS::Region}:${AWS::AccountId}"
    ":deliverystream/{name}",
}


def _without_getatts_of(value: Any, skipped: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_without_getatts_of(item, skipped) for item in value]
    if not isinstance(value, dict):
        return value
    target = value.get("Fn::GetAtt")
    if len(value) == 1 and target is not None:
        name, attribute = target if isinstance(target, list) else target.split(".", 1)
        if name in skipped:
            if attribute != "Arn" or skipped[name] not in _SKIPPED_ARNS:
                raise AssertionError(f"GetAtt {name}.{attribute}: no value known for a resource moto skips")
            return {"Fn::Sub": _SKIPPED_ARNS[skipped[name]].replace("{name}", name)}
    return {key: _without_getatts_of(item, skipped) for key, item in value.items()}


def _as_sub(pattern: dict[str, Any]) -> dict[str, Any]:
    """A JSON object holding intrinsics as one Fn::Sub string, each intrinsic a Sub variable."""
    variables: dict[str, Any] = {}

    def text(value: Any) -> Any:
        if isinstance(value, dict):
            name = f"v{len(variables)}"
            variables[name] = value
            return f"${{{name}}}"
        return [text(item) for item in value] if isinstance(value, list) else value

    return {"Fn::Sub": [json.dumps({key: text(value) for key, value in pattern.items()}), variables]}


def upload_artifacts(template: dict[str, Any]) -> None:
    """What `sam package` uploads: one zip per code folder (an empty handler file is enough for CloudFormation)."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
    for body in load_template(TEMPLATE)["Resources"].values():
        folder = (body.get("Properties") or {}).get("CodeUri") or (body.get("Properties") or {}).get("ContentUri")
        if isinstance(folder, str):
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w") as zipped:
                zipped.writestr("app.py", "")
            s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=artifact_key(folder), Body=archive.getvalue())


ANALYTICS_TYPES = frozenset(
    {"AWS::KinesisFirehose::DeliveryStream", "AWS::Glue::Database", "AWS::Glue::Table", "AWS::Athena::WorkGroup"}
)


# The defaults (analytics on: GetAtts of the skipped delivery stream given their ARN), and Analytics=false
# as the template is, unchanged but for the archive's pattern and the rule's bus.
@pytest.fixture(scope="module", params=["true", "false"], ids=["Analytics=true", "Analytics=false"])
def deployed(moto_endpoint: str, request: pytest.FixtureRequest) -> Deployed:
    analytics = str(request.param)
    template = transformed()
    upload_artifacts(template)
    cloudformation = boto3.client("cloudformation")
    name = f"first-{uuid.uuid4().hex[:8]}"
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(moto_ready(template, skipped_getatts=analytics == "true")),
        Parameters=[{"ParameterKey": "Analytics", "ParameterValue": analytics}],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    listed = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    return template, stack, listed


def expected_resources(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, str]:
    """The resources a stack with these parameters (defaults otherwise) has (their Condition holds), by id."""
    refs, attributes = resource_values(template, {})
    resolver = Resolver(template, refs, attributes, parameters)
    return {
        name: body["Type"]
        for name, body in template["Resources"].items()
        if "Condition" not in body or resolver.condition(body["Condition"])
    }


def test_the_transformed_template_is_created_and_only_known_types_are_skipped(
    deployed: Deployed,
) -> None:
    template, stack, listed = deployed
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    created = {item["LogicalResourceId"] for item in listed if item.get("LogicalResourceId")}
    expected = expected_resources(template, parameters)
    skipped = {kind for name, kind in expected.items() if name not in created}
    analytics = parameters["Analytics"] == "true"
    assert skipped == (SKIPPED_BY_MOTO if analytics else SKIPPED_BY_MOTO - ANALYTICS_TYPES)
    assert created <= set(expected), f"created though its condition fails: {sorted(created - set(expected))}"
    # Everything else is there: the functions with their roles, the layer, table, bucket, queues, bus, logs.
    assert {expected[name] for name in created} >= {
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::EventSourceMapping",
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
    }


def test_each_function_is_created_with_its_role_and_resolved_variables(
    deployed: Deployed,
) -> None:
    _, _, listed = deployed
    physical = {
        item["LogicalResourceId"]: item.get("PhysicalResourceId") for item in listed if item.get("LogicalResourceId")
    }
    configuration = boto3.client("lambda").get_function_configuration(FunctionName=physical["IngestFunction"])
    assert configuration["Role"].endswith(f"/{physical['IngestFunctionRole']}")
    assert configuration["Environment"]["Variables"]["TABLE_NAME"] == physical["PostbacksTable"]
    # The role carries the template's own grants, as written.
    names = boto3.client("iam").list_role_policies(RoleName=physical["WorkerFunctionRole"])["PolicyNames"]
    assert names == ["WorkerFunctionRolePolicy0", "WorkerFunctionRolePolicy1"]


# --- every region -------------------------------------------------------------------------------------------------


def cfn_lint(*options: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("cfn-lint")
    return subprocess.run(  # the venv's own cfn-lint on the repository's template
        [str(executable), "--regions", "ALL_REGIONS", *options, "--", str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
    )


def _parameters_of(value: Any, template: dict[str, Any]) -> set[str]:
    """Parameters a condition (or any fragment) depends on, through the conditions it names."""
    if isinstance(value, list):
        return set().union(*(_parameters_of(item, template) for item in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, item in value.items():
        if key == "Ref" and item in (template.get("Parameters") or {}):
            found.add(item)
        elif key == "Condition" and isinstance(item, str):
            found |= _parameters_of(template["Conditions"][item], template)
        else:
            found |= _parameters_of(item, template)
    return found


@pytest.fixture(scope="module")
def region_findings() -> list[dict[str, Any]]:
    """cfn-lint in every region, its per-resource exclusions overridden for E3006 (a type a region lacks)."""
    result = cfn_lint("--format", "json", "--mandatory-checks", "E3006")
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


@pytest.mark.slow
def test_cfn_lint_in_every_region_finds_only_region_limited_types_the_template_excludes(
    region_findings: list[dict[str, Any]],
) -> None:
    # Plain `cfn-lint --regions ALL_REGIONS template.yaml` (make validate) is then clean.
    template = load_template(TEMPLATE)
    for finding in region_findings:
        assert finding["Rule"]["Id"] == "E3006", finding["Message"]
        resource = template["Resources"][finding["Location"]["Path"][1]]
        ignored = resource.get("Metadata", {}).get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])
        assert "E3006" in ignored, finding["Message"]


@pytest.mark.slow
def test_a_region_limited_resource_is_refused_at_deploy_time_by_a_rule_naming_its_parameter(
    region_findings: list[dict[str, Any]],
) -> None:
    missing: dict[str, set[str]] = {}
    for finding in region_findings:
        region = finding["Message"].rsplit("'", 2)[-2]
        missing.setdefault(finding["Location"]["Path"][1], set()).add(region)
    template = load_template(TEMPLATE)
    for resource, regions in missing.items():
        body = template["Resources"][resource]
        assert "Condition" in body, f"{resource} is missing in {sorted(regions)} and nothing can turn it off"
        parameters = _parameters_of({"Condition": body["Condition"]}, template)
        rules = (template.get("Rules") or {}).values()
        refusing = [rule for rule in rules if _refuses(rule, regions, parameters, template)]
        assert refusing, f"no rule refuses {resource} in {sorted(regions)} naming one of {sorted(parameters)}"


def _refuses(rule: dict[str, Any], regions: set[str], parameters: set[str], template: dict[str, Any]) -> bool:
    """The rule applies in those regions, and one of its assertions fails with the default parameters,
    depends on a parameter that turns the resource off, and names it in its message."""
    condition = rule.get("RuleCondition") or {}
    listed, region = (condition.get("Fn::Contains") or [[], None])[:2]
    if region != {"Ref": "AWS::Region"} or not regions <= set(listed):
        return False
    defaults = Resolver(template, {}, {})
    return any(
        not defaults.resolve(assertion["Assert"])
        and any(
            parameter in assertion.get("AssertDescription", "")
            for parameter in parameters & _parameters_of(assertion["Assert"], template)
        )
        for assertion in rule["Assertions"]
    )


# --- make deploy's region -----------------------------------------------------------------------------------------


def deploy_region(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`make deploy-region` (run first by `make deploy`) with no AWS settings but what is given."""
    sam_venv = tmp_path / "sam"
    (sam_venv / "bin").mkdir(parents=True)
    (sam_venv / ".installed").touch()
    python = sam_venv / "bin" / "python"  # this venv's python: boto3 reads the region as SAM CLI does
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "none")}
    return subprocess.run(
        ["make", "-s", "deploy-region", f"SAM_VENV={sam_venv}", *(a for a in arguments if not a.startswith("AWS_"))],
        cwd=ROOT,
        env=environment | dict(a.split("=", 1) for a in arguments if a.startswith("AWS_")),  # exported ones
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_deploy_without_a_region_stops_before_building_and_says_how_to_give_one(tmp_path: Path) -> None:
    result = deploy_region(tmp_path)
    assert result.returncode != 0
    assert "No AWS region: run make deploy REGION=eu-west-1" in result.stdout


@pytest.mark.parametrize("given", ["REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"])
def test_make_deploy_names_the_region_it_deploys_to(tmp_path: Path, given: str) -> None:
    result = deploy_region(tmp_path, given)
    assert (result.returncode, result.stdout.strip()) == (0, "Deploying postbacks-dev to eu-west-1")
