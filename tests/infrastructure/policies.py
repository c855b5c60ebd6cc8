"""Each function's role as the deployed template grants it, and moto's IAM evaluator asked about one request.

moto's evaluator (`moto.iam.access_control.IAMPolicy`) matches actions and resources with `*` wildcards,
lets an explicit Deny win and ignores what it cannot read. Its matching is a regular expression built
from the pattern as written, so patterns are normalised first the way IAM reads them: actions case
blind, `?` one character, every other character literal. Conditions, NotAction and NotResource are
refused here by name: a role using them needs a stronger evaluator before this check can vouch for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.aws_managed_policies import aws_managed_policies_data

from tests.infrastructure.deployed import Resolver
from tests.infrastructure.iam_calls import Request

_MANAGED = json.loads(aws_managed_policies_data)
_UNSUPPORTED = ("Condition", "NotAction", "NotResource", "NotPrincipal")


@dataclass(frozen=True)
class Grant:
    """One action on one resource pattern, as a statement of the role's own policies writes it."""

    policy: str
    sid: str
    action: str
    resource: str
    position: int  # the resource's place in its statement: the same grant in any stack

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.policy, self.sid, self.action, self.position)


@dataclass(frozen=True)
class Role:
    function: str
    name: str
    inline: Mapping[str, dict[str, Any]]  # policy name -> resolved document (written in the template)
    managed: Mapping[str, dict[str, Any]]  # managed policy ARN -> its document (added by SAM)

    def documents(self) -> Iterator[tuple[str, dict[str, Any]]]:
        yield from self.inline.items()
        yield from self.managed.items()

    def allows(self, request: Request) -> bool:
        results = [_evaluate(document, request) for _, document in self.documents()]
        return PermissionResult.DENIED not in results and PermissionResult.PERMITTED in results

    def grants(self) -> Iterator[Grant]:
        for policy, document in self.inline.items():
            for statement in _statements(document):
                if statement.get("Effect") != "Allow":
                    continue
                for action in _listed(statement["Action"]):
                    for position, resource in enumerate(_listed(statement.get("Resource", "*"))):
                        yield Grant(policy, str(statement.get("Sid", "")), action, resource, position)

    def grant_covers(self, grant: Grant, request: Request) -> bool:
        document = {"Statement": [{"Effect": "Allow", "Action": grant.action, "Resource": grant.resource}]}
        return _evaluate(document, request) is PermissionResult.PERMITTED


def _listed(value: Any) -> list[str]:
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def _statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return list(statements) if isinstance(statements, list) else [statements]


def _pattern(text: str) -> str:
    # moto turns `*` into `.*` and matches the rest as a regular expression: make the rest literal.
    return "".join("*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)


def _normalised(document: Mapping[str, Any]) -> str:
    statements = []
    for statement in _statements(document):
        unsupported = [key for key in _UNSUPPORTED if key in statement]
        if unsupported:
            raise ValueError(f"statement {statement.get('Sid', statement)} uses {unsupported}: not evaluated here")
        statements.append(
            {
                "Effect": statement["Effect"],
                "Action": [_pattern(a.lower()) for a in _listed(statement["Action"])],
                "Resource": [_pattern(r) for r in _listed(statement.get("Resource", "*"))],
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _evaluate(document: Mapping[str, Any], request: Request) -> PermissionResult:
    return IAMPolicy(_normalised(document)).is_action_permitted(request.action.lower(), request.resource)


def function_roles(template: Mapping[str, Any], resolver: Resolver) -> dict[str, Role]:
    """Every Lambda function of the transformed template and the role it runs as, policies resolved."""
    resources = template["Resources"]
    roles: dict[str, Role] = {}
    for name, body in resources.items():
        if body["Type"] != "AWS::Lambda::Function" or not _created(body, resolver):
            continue
        role_name = body["Properties"]["Role"]["Fn::GetAtt"][0]
        properties = resources[role_name]["Properties"]
        policies = properties.get("Policies", [])
        inline = {policy["PolicyName"]: resolver.resolve(policy["PolicyDocument"]) for policy in policies}
        managed = {arn: _managed(arn) for arn in resolver.resolve(properties.get("ManagedPolicyArns", []))}
        roles[name] = Role(name, role_name, inline, managed)
    return roles


def _created(body: Mapping[str, Any], resolver: Resolver) -> bool:
    return "Condition" not in body or resolver.condition(body["Condition"])


def _managed(arn: str) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    if name not in _MANAGED:
        raise ValueError(f"managed policy {arn} is not in moto's copy of AWS's managed policies")
    document: dict[str, Any] = _MANAGED[name]["Document"]
    return document


def platform_requests(template: Mapping[str, Any], function: str, resolver: Resolver) -> list[Request]:
    """What Lambda itself does with the function's role: read its event sources, send failures, log, trace.

    From the Lambda developer guide's lists of execution-role permissions per event source.
    """
    region, account = resolver.region, resolver.account
    requests = [
        Request("logs:CreateLogStream", f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{function}:*"),
        Request("logs:PutLogEvents", f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{function}:*"),
    ]
    body = template["Resources"][function]["Properties"]
    if (body.get("TracingConfig") or {}).get("Mode") == "Active":
        requests += [Request("xray:PutTraceSegments", "*"), Request("xray:PutTelemetryRecords", "*")]
    for mapping in template["Resources"].values():
        properties = mapping.get("Properties") or {}
        if mapping["Type"] != "AWS::Lambda::EventSourceMapping" or properties.get("FunctionName") != {"Ref": function}:
            continue
        if not _created(mapping, resolver):
            continue
        source = str(resolver.resolve(properties["EventSourceArn"]))
        if source.startswith("arn:aws:sqs:"):
            requests += [Request(f"sqs:{a}", source, "event source") for a in _SQS_SOURCE]
        elif ":dynamodb:" in source:
            requests += [Request(f"dynamodb:{a}", source, "event source") for a in _STREAM_SOURCE]
        destination = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if destination is not None:
            target = str(resolver.resolve(destination))
            action = "sqs:SendMessage" if target.startswith("arn:aws:sqs:") else "sns:Publish"
            requests.append(Request(action, target, "on-failure destination"))
    return requests


_SQS_SOURCE = ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
_STREAM_SOURCE = ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")


def athena_requests(template: Mapping[str, Any], resolver: Resolver, started: list[Request]) -> list[Request]:
    """What Athena does with the caller's role for each query it starts: reads the catalog and the table's files,
    writes and reads the results in the workgroup's output location (Athena user guide: access to Glue and S3).

    Offline nothing runs the SQL; the resources come from the template's workgroup and Glue tables.
    """
    requests: list[Request] = []
    resources = template["Resources"]
    for start in started:
        workgroup = start.resource.rsplit("/", 1)[-1]
        for body in resources.values():
            properties = body.get("Properties") or {}
            if body["Type"] == "AWS::Athena::WorkGroup" and resolver.resolve(properties["Name"]) == workgroup:
                output = resolver.resolve(properties["WorkGroupConfiguration"]["ResultConfiguration"]["OutputLocation"])
                requests += _athena_s3(output, ("PutObject", "GetObject", "AbortMultipartUpload"), "query-id.csv")
        for body in resources.values():
            if body["Type"] == "AWS::Glue::Table" and _created(body, resolver):
                requests += _athena_table(resolver, body["Properties"], resources)
    return requests


def _athena_table(resolver: Resolver, properties: Mapping[str, Any], resources: Mapping[str, Any]) -> list[Request]:
    prefix = f"arn:aws:glue:{resolver.region}:{resolver.account}"
    database = str(resolver.resolve(properties["DatabaseName"]))
    table = str(resolver.resolve(properties["TableInput"]["Name"]))
    catalog, database_arn = f"{prefix}:catalog", f"{prefix}:database/{database}"
    table_arn = f"{prefix}:table/{database}/{table}"
    glue = [Request("glue:GetDatabase", arn, "Athena, as the caller") for arn in (catalog, database_arn)]
    glue += [
        Request(f"glue:{action}", arn, "Athena, as the caller")
        for action in ("GetTable", "GetPartitions")
        for arn in (catalog, database_arn, table_arn)
    ]
    location = str(resolver.resolve(properties["TableInput"]["StorageDescriptor"]["Location"]))
    return glue + _athena_s3(location, ("GetObject",), "2026/01/01/events.json")


def _athena_s3(location: str, actions: tuple[str, ...], key: str) -> list[Request]:
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    bucket_arn = f"arn:aws:s3:::{bucket}"
    found = [Request(f"s3:{a}", bucket_arn, "Athena, as the caller") for a in ("GetBucketLocation", "ListBucket")]
    return found + [Request(f"s3:{a}", f"{bucket_arn}/{prefix}{key}", "Athena, as the caller") for a in actions]
