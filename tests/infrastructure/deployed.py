"""The template as CloudFormation receives it: the SAM transform, run offline, and its intrinsics resolved.

`sam deploy` packages each code folder to S3 and CloudFormation applies the SAM transform; here the
folders become `s3://` placeholders and aws-sam-translator (the transform's own code) runs with a fake
account and region, so what the tests read is the deployed template, roles and all.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from postbacks_local.lambda_events import ACCOUNT_ID
from postbacks_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ARTIFACTS_BUCKET = "postbacks-artifacts"
_CODE_PROPERTIES = ("CodeUri", "ContentUri")


def packaged(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template as `sam package` leaves it: every local code folder replaced by an S3 location."""
    document = copy.deepcopy(dict(template))
    for body in document["Resources"].values():
        properties = body.get("Properties") or {}
        for key in _CODE_PROPERTIES:
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://{ARTIFACTS_BUCKET}/{artifact_key(properties[key])}"
    return document


def artifact_key(folder: str) -> str:
    return folder.strip("/").replace("/", "-") + ".zip"


def transformed(path: Path = TEMPLATE, region: str = REGION, account: str = ACCOUNT_ID) -> dict[str, Any]:
    """The SAM transform of the template, offline: plain CloudFormation, as the stack is created from."""
    session = boto3.session.Session(region_name=region)
    translator = Translator(None, Parser(), boto_session=session)
    result: dict[str, Any] = translator.translate(
        packaged(load_template(path)), parameter_values={"AWS::AccountId": account}, get_managed_policy_map=dict
    )
    return result


# --- intrinsic functions ------------------------------------------------------------------------------------------

NO_VALUE = object()
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class Unresolvable(LookupError):
    """A template value names something this resolver cannot give a value for."""


@dataclass
class Resolver:
    """Ref, GetAtt, Sub, Join, If, Select and Split against given parameters and resources' values.

    `refs` maps a logical id to what its Ref returns; `attributes` maps (logical id, attribute) to a value,
    or a callable computing it on demand.
    """

    template: Mapping[str, Any]
    refs: Mapping[str, Any]
    attributes: Mapping[tuple[str, str], Any | Callable[[], Any]]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    region: str = REGION
    account: str = ACCOUNT_ID
    stack_name: str = "postbacks"

    def parameter_values(self) -> dict[str, Any]:
        defaults = {name: body.get("Default") for name, body in (self.template.get("Parameters") or {}).items()}
        return {**defaults, **self.parameters}

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        for table in (self.parameter_values(), self.refs, pseudo):
            if name in table:
                return table[name]
        raise Unresolvable(f"Ref {name}")

    def get_att(self, name: str, attribute: str) -> Any:
        if (name, attribute) not in self.attributes:
            raise Unresolvable(f"GetAtt {name}.{attribute}")
        value = self.attributes[(name, attribute)]
        return value() if callable(value) else value

    def condition(self, name: str) -> bool:
        return bool(self.resolve((self.template.get("Conditions") or {})[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not NO_VALUE}
        ((key, argument),) = value.items()
        if key == "Ref":
            return self.ref(argument)
        if key == "Fn::GetAtt":
            name, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.get_att(name, attribute)
        if key == "Fn::Sub":
            return self._sub(argument)
        if key == "Fn::Join":
            delimiter, items = argument
            return str(delimiter).join(str(item) for item in self.resolve(items))
        if key == "Fn::If":
            name, when_true, when_false = argument
            return self.resolve(when_true if self.condition(name) else when_false)
        if key == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(self.resolve(index))]
        if key == "Fn::Split":
            delimiter, text = argument
            return str(self.resolve(text)).split(delimiter)
        if key == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.resolve(argument[0])
        if key == "Fn::And":
            return all(self.resolve(item) for item in argument)
        if key == "Fn::Or":
            return any(self.resolve(item) for item in argument)
        if key == "Condition":
            return self.condition(argument)
        if key.startswith("Fn::"):
            raise Unresolvable(key)
        return {key: self.resolve(argument)}

    def _sub(self, argument: Any) -> str:
        text, local = (argument[0], self.resolve(argument[1])) if isinstance(argument, list) else (argument, {})

        def value(found: re.Match[str]) -> str:
            name = found.group(1)
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                return str(self.get_att(*name.split(".", 1)))
            return str(self.ref(name))

        return _SUB.sub(value, str(text)).replace("${!", "${")


# --- what each resource's Ref and attributes are, once deployed under given physical names -----------------------


def resource_values(
    template: Mapping[str, Any],
    physical: Mapping[str, str],
    region: str = REGION,
    account: str = ACCOUNT_ID,
    stack_name: str = "postbacks",
) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    """Ref and GetAtt values of the resources, from their physical ids (a queue's is its URL, a secret's its ARN).

    A resource not given one is named as the template names it (`Name: !Ref AWS::StackName`), else by its id.
    """
    refs: dict[str, Any] = {}
    attributes: dict[tuple[str, str], Any] = {}
    prefix = f"{region}:{account}"
    for name, body in template["Resources"].items():
        given = (body.get("Properties") or {}).get("Name")
        named = stack_name if given == {"Ref": "AWS::StackName"} else given if isinstance(given, str) else name
        kind, ident = body["Type"], physical.get(name, named)
        refs[name] = ident
        if kind == "AWS::DynamoDB::Table":
            arn = f"arn:aws:dynamodb:{prefix}:table/{ident}"
            attributes |= {(name, "Arn"): arn, (name, "StreamArn"): f"{arn}/stream/2026-01-01T00:00:00.000"}
        elif kind == "AWS::S3::Bucket":
            attributes[(name, "Arn")] = f"arn:aws:s3:::{ident}"
        elif kind == "AWS::SQS::Queue":
            queue = ident.rsplit("/", 1)[-1]
            attributes |= {(name, "Arn"): f"arn:aws:sqs:{prefix}:{queue}", (name, "QueueName"): queue}
        elif kind == "AWS::Events::EventBus":
            attributes[(name, "Arn")] = f"arn:aws:events:{prefix}:event-bus/{ident}"
        elif kind == "AWS::Lambda::Function":
            attributes[(name, "Arn")] = f"arn:aws:lambda:{prefix}:function:{ident}"
        elif kind == "AWS::IAM::Role":
            attributes[(name, "Arn")] = f"arn:aws:iam::{account}:role/{ident}"
        elif kind == "AWS::Logs::LogGroup":
            attributes[(name, "Arn")] = f"arn:aws:logs:{prefix}:log-group:{ident}:*"
        elif kind == "AWS::SNS::Topic":
            refs[name] = f"arn:aws:sns:{prefix}:{ident}"
        elif kind == "AWS::SecretsManager::Secret" and not ident.startswith("arn:"):
            refs[name] = f"arn:aws:secretsmanager:{prefix}:secret:{ident}-AbCdEf"
    return refs, attributes
