"""Create the template's storage resources (table, bucket, queues, secret) in a local moto server.

The template is the single source of truth: the table, bucket and queues are created from its own
definitions through moto's CloudFormation, so local runs and tests use exactly the deployed shapes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from postbacks_cli.local_stacks import (
    TAG_BATCH_SIZE,
    TAG_URL_SECRET,
    StackError,
    StackResources,
    find_stack_resources,
    moto_client,
    resolve_region,
)
from postbacks_local.template import (
    Names,
    function_definitions,
    load_template,
    parameter_defaults,
    references,
    worker_batch_size,
)

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"

# Everything else (functions, layers, the API, roles, alarms) is run or faked by the local stack itself.
# AWS::S3::BucketPolicy is left out too: moto's CloudFormation does not implement it (it warns and
# lists a resource without a type), and moto enforces no bucket policy, so it would change nothing.
KEPT_TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue"})
# Without these a resource is meaningless; losing one to a dropped reference is an error, not a skip.
REQUIRED_PROPERTIES = {
    "AWS::DynamoDB::Table": ("KeySchema", "AttributeDefinitions"),
    "AWS::SQS::Queue": (),
    "AWS::S3::Bucket": (),
}
# moto's CloudFormation cannot create a secret: the local stack creates it with the value it is given.
BUS_TYPE = "AWS::Events::EventBus"
SECRET_TYPE = "AWS::SecretsManager::Secret"  # noqa: S105 - a resource type, not a secret


def storage_template(template: dict[str, Any]) -> dict[str, Any]:
    """The part of the template moto's CloudFormation can create: parameters, conditions, storage.

    moto skips Serverless resources and fails on outputs that name them (e.g. ServerlessRestApi),
    so the transform, globals and outputs go too.
    """
    resources: dict[str, Any] = template["Resources"]
    kept = {name: dict(body) for name, body in resources.items() if body.get("Type") in KEPT_TYPES}
    dropped = set(resources) - set(kept)
    for name, body in list(kept.items()):
        properties = dict(body.get("Properties") or {})
        # A property wired to a function, role or topic has nothing to point at locally.
        for key in [k for k, v in properties.items() if dropped & set(references(v))]:
            del properties[key]
        missing = [k for k in REQUIRED_PROPERTIES[body["Type"]] if k not in properties]
        if missing:
            raise StackError(f"{name} needs {missing}, which refer to resources not created locally")
        body["Properties"] = properties
        depends_on = body.get("DependsOn")
        if depends_on is not None:
            names = [depends_on] if isinstance(depends_on, str) else list(depends_on)
            names = [n for n in names if n not in dropped]
            if names:
                body["DependsOn"] = names
            else:
                del body["DependsOn"]
        kept[name] = body
    local: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": kept}
    for section in ("Parameters", "Conditions", "Mappings"):
        if template.get(section):
            local[section] = template[section]
    return local


def secret_logical_id(template: dict[str, Any]) -> str:
    """The template's URL secret (its one Secrets Manager secret)."""
    found = [str(name) for name, body in template["Resources"].items() if body.get("Type") == SECRET_TYPE]
    if len(found) != 1:
        raise StackError(f"expected one {SECRET_TYPE} in the template, found {found}")
    return found[0]


def create_stack_resources(template: Path, stack_name: str, secret: str, region: str | None = None) -> StackResources:
    """Create the template's table, bucket and queues as a moto stack, plus the URL secret."""
    region = resolve_region(region)
    document = load_template(template)
    secret_logical_id(document)
    batch_size = worker_batch_size(document)
    local = storage_template(document)
    # The template's secret has a generated value; locally it is the caller's, so tests and `make run` know it.
    secrets = moto_client("secretsmanager", region)
    secret_arn = secrets.create_secret(Name=f"{stack_name}/url-secret", SecretString=secret)["ARN"]

    cloudformation = moto_client("cloudformation", region)
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(local, default=str),
        Tags=[
            {"Key": TAG_URL_SECRET, "Value": secret_arn},
            {"Key": TAG_BATCH_SIZE, "Value": str(batch_size)},
        ],
    )
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise StackError(f"{stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    return find_stack_resources(stack_name, region)


def local_names(template: dict[str, Any], resources: StackResources) -> Names:
    """What the template's !Refs mean in this local stack: its resources, and parameters as created."""
    cloudformation = moto_client("cloudformation", resources.region)
    listed = cloudformation.describe_stack_resources(StackName=resources.stack_name)["StackResources"]
    created = {item["LogicalResourceId"]: item["PhysicalResourceId"] for item in listed}
    created[secret_logical_id(template)] = resources.url_secret_arn  # a secret's Ref is its ARN
    names = Names(
        parameters=parameter_defaults(template),
        resources=created,
        region=resources.region,
        stack_name=resources.stack_name,
        conditions=template.get("Conditions") or {},
    )
    # A bus's Ref is its name; the events mapping creates it (postbacks_local.stream_mapping).
    for logical_id, body in template["Resources"].items():
        if body.get("Type") == BUS_TYPE:
            created[logical_id] = str(names.resolve((body.get("Properties") or {}).get("Name"), logical_id))
    return names


def function_environments(resources: StackResources, template: Path = DEFAULT_TEMPLATE) -> dict[str, dict[str, str]]:
    """Each function's variables as the template gives them (by logical id), resolved against these resources."""
    document = load_template(template)
    names = local_names(document, resources)
    return {definition.logical_id: definition.environment(names) for definition in function_definitions(document)}
