"""Create the template's storage resources (table, bucket, queues, secret) in a local moto server.

The template is the single source of truth: the table, bucket and queues are created from its own
definitions through moto's CloudFormation, so local runs and tests use exactly the deployed shapes.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from postbacks_cli.local_stacks import (
    DEFAULT_BATCH_SIZE,
    TAG_BATCH_SIZE,
    TAG_SECRET_PARAMETER,
    StackError,
    StackResources,
    find_stack_resources,
    moto_client,
    resolve_region,
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
SECRET_PARAMETER = "SecretParameterName"  # noqa: S105 - the parameter's name, not a secret


# --- reading the template -------------------------------------------------------------------------


# libyaml's loader parses the template several times faster; PyYAML without libyaml still works.
class _TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A YAML loader that understands CloudFormation's short-form intrinsic functions."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise StackError(f"cannot read !{tag_suffix} at {node.start_mark}")
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        # The short form "Resource.Attribute" is a two-item list in the long form.
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {f"Fn::{tag_suffix}": value}


_TemplateLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template (YAML or JSON) into its long, JSON form."""
    # Tests create a stack each; parsing once per file version keeps that cheap.
    return copy.deepcopy(_parsed_template(str(path.resolve()), path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _parsed_template(path: str, mtime_ns: int) -> dict[str, Any]:
    with open(path, encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise StackError(f"{path} is not a CloudFormation template (no Resources)")
    return document


_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def _references(value: Any) -> Iterator[str]:
    """Logical ids (resources, parameters) that a template fragment refers to."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt" and isinstance(item, list) and item:
                yield str(item[0])
            elif key == "Fn::Sub":
                text, local_names = (item[0], item[1]) if isinstance(item, list) else (item, {})
                for variable in _SUB_VARIABLE.findall(str(text)):
                    name = variable.split(".", 1)[0]  # ${Bucket.Arn} refers to Bucket
                    if name not in local_names:
                        yield name
                if isinstance(item, list):
                    yield from _references(item[1])
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


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
        for key in [k for k, v in properties.items() if dropped & set(_references(v))]:
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


def _parameter_default(template: dict[str, Any], name: str) -> Any:
    return (template.get("Parameters") or {}).get(name, {}).get("Default")


def _resolve_int(template: dict[str, Any], value: Any, default: int) -> int:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        value = _parameter_default(template, value["Ref"])
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def worker_batch_size(template: dict[str, Any]) -> int:
    """BatchSize of the first SQS event source in the template (the worker's)."""
    for body in template["Resources"].values():
        events = (body.get("Properties") or {}).get("Events") or {}
        for event in events.values():
            if event.get("Type") == "SQS":
                size = (event.get("Properties") or {}).get("BatchSize")
                return _resolve_int(template, size, DEFAULT_BATCH_SIZE)
    return DEFAULT_BATCH_SIZE


def secret_parameter_name(template: dict[str, Any], stack_name: str) -> str:
    """The template's secret parameter name, moved under the stack's own path to keep stacks apart."""
    default = _parameter_default(template, SECRET_PARAMETER) or "/postbacks/url-secret"
    return f"/{stack_name}/{str(default).rstrip('/').rsplit('/', 1)[-1]}"


def create_stack_resources(template: Path, stack_name: str, secret: str, region: str | None = None) -> StackResources:
    """Create the template's table, bucket and queues as a moto stack, plus the URL secret."""
    region = resolve_region(region)
    document = load_template(template)
    secret_name = secret_parameter_name(document, stack_name)
    batch_size = worker_batch_size(document)
    local = storage_template(document)
    parameters = []
    if SECRET_PARAMETER in (local.get("Parameters") or {}):
        parameters.append({"ParameterKey": SECRET_PARAMETER, "ParameterValue": secret_name})

    cloudformation = moto_client("cloudformation", region)
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(local, default=str),
        Parameters=parameters,
        Tags=[
            {"Key": TAG_SECRET_PARAMETER, "Value": secret_name},
            {"Key": TAG_BATCH_SIZE, "Value": str(batch_size)},
        ],
    )
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise StackError(f"{stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")

    # The real template expects the operator to create this SecureString; locally the stack does.
    moto_client("ssm", region).put_parameter(Name=secret_name, Value=secret, Type="SecureString", Overwrite=True)
    return find_stack_resources(stack_name, region)
