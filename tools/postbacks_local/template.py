"""Read the SAM template the way the local stack needs it: functions, their environment, routes and queues.

The template is the single source of truth: what a function is given on AWS (Globals merged with its own
Properties, !Ref resolved) is what it is given locally, with the local resources' names.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from postbacks_cli.local_stacks import DEFAULT_BATCH_SIZE, StackError
from postbacks_local.lambda_events import ACCOUNT_ID, POSTBACK_ROUTE, Route

FUNCTION_TYPE = "AWS::Serverless::Function"
LAYER_TYPE = "AWS::Serverless::LayerVersion"
# REST (Api) and HTTP API (HttpApi) events both put a route in front of a function.
API_EVENT_TYPES = frozenset({"Api", "HttpApi"})


# --- parsing ----------------------------------------------------------------------------------------


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


def references(value: Any) -> Iterator[str]:
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
                    yield from references(item[1])
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


# --- values -----------------------------------------------------------------------------------------


def parameter_defaults(template: Mapping[str, Any]) -> dict[str, Any]:
    return {name: body.get("Default") for name, body in (template.get("Parameters") or {}).items()}


@dataclass(frozen=True)
class Names:
    """What a !Ref can name locally: parameter values, the local stack's resources, pseudo parameters."""

    parameters: Mapping[str, Any]
    resources: Mapping[str, str]
    region: str
    stack_name: str
    conditions: Mapping[str, Any] = field(default_factory=dict)  # the template's Conditions section

    def lookup(self, name: str, where: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::StackName": self.stack_name,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        for table in (self.parameters, self.resources, pseudo):
            if name in table and table[name] is not None:
                return table[name]
        raise StackError(f"{where}: !Ref {name} names nothing the local stack has")

    def resolve(self, value: Any, where: str) -> Any:
        """A template value with !Ref and !Sub resolved; other intrinsics are refused by name."""
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.lookup(str(value["Ref"]), where)
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            return _SUB_VARIABLE.sub(lambda found: _text(self.lookup(found.group(1), where)), value["Fn::Sub"])
        if set(value) == {"Fn::If"} and isinstance(value["Fn::If"], list) and len(value["Fn::If"]) == 3:
            condition, when_true, when_false = value["Fn::If"]
            return self.resolve(when_true if self.holds(str(condition), where) else when_false, where)
        raise StackError(f"{where}: {next(iter(value), value)} is not supported by the local stack")

    def holds(self, condition: str, where: str) -> bool:
        """A named condition of the template, evaluated against the parameters."""
        if condition not in self.conditions:
            raise StackError(f"{where}: the template has no condition {condition}")
        return self._true(self.conditions[condition], where)

    def _true(self, value: Any, where: str) -> bool:
        (function, arguments), *_ = value.items()
        if function == "Condition":
            return self.holds(str(arguments), where)
        if function == "Fn::Equals":
            left, right = (_text(self.resolve(argument, where)) for argument in arguments)
            return left == right
        if function in ("Fn::And", "Fn::Or"):
            found = [self._true(argument, where) for argument in arguments]
            return all(found) if function == "Fn::And" else any(found)
        if function == "Fn::Not":
            return not self._true(arguments[0], where)
        raise StackError(f"{where}: {function} is not supported by the local stack")


def _text(value: Any) -> str:
    # CloudFormation hands environment values to Lambda as strings; YAML booleans become "true"/"false".
    return str(value).lower() if isinstance(value, bool) else str(value)


def _as_int(value: Any, names: Names | None, where: str, default: int) -> int:
    resolved = names.resolve(value, where) if names is not None else value
    try:
        return int(resolved)
    except (TypeError, ValueError):
        return default


# --- functions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionDefinition:
    """One AWS::Serverless::Function, Globals merged in, values still as the template writes them."""

    logical_id: str
    code_uri: str
    handler: str
    timeout: Any
    memory_size: Any
    variables: Mapping[str, Any]
    events: Mapping[str, Mapping[str, Any]]

    @property
    def module_name(self) -> str:
        """A module name for the handler's file that cannot clash with another function's (ingest_app)."""
        return f"{Path(self.code_uri).name}_{self.handler.rsplit('.', 1)[0]}"

    def handler_path(self, root: Path) -> Path:
        return root / self.code_uri / (self.handler.rsplit(".", 1)[0].replace(".", "/") + ".py")

    def environment(self, names: Names) -> dict[str, str]:
        """The variables Lambda would set for this function, resolved against the local stack."""
        where = f"{self.logical_id}.Environment"
        return {key: _text(names.resolve(value, f"{where}.{key}")) for key, value in self.variables.items()}

    def timeout_seconds(self, names: Names | None = None) -> float:
        return float(_as_int(self.timeout, names, f"{self.logical_id}.Timeout", 3))

    def memory_mb(self, names: Names | None = None) -> int:
        return _as_int(self.memory_size, names, f"{self.logical_id}.MemorySize", 128)

    def events_of_type(self, *types: str) -> list[Mapping[str, Any]]:
        """The Properties of this function's events of the given types (Api, SQS, ...)."""
        return [event.get("Properties") or {} for event in self.events.values() if event.get("Type") in types]


def _variables(properties: Mapping[str, Any]) -> dict[str, Any]:
    return dict(((properties.get("Environment") or {}).get("Variables")) or {})


def function_definitions(template: Mapping[str, Any]) -> list[FunctionDefinition]:
    """Every function in the template, with Globals.Function merged under its own Properties."""
    defaults = (template.get("Globals") or {}).get("Function") or {}
    found = []
    for name, body in template["Resources"].items():
        if body.get("Type") != FUNCTION_TYPE:
            continue
        properties = {**defaults, **(body.get("Properties") or {})}
        code_uri, handler = properties.get("CodeUri"), properties.get("Handler")
        if not isinstance(code_uri, str) or not isinstance(handler, str):
            raise StackError(f"{name}: the local stack needs a CodeUri folder and a Handler")
        found.append(
            FunctionDefinition(
                logical_id=name,
                code_uri=code_uri,
                handler=handler,
                timeout=properties.get("Timeout", 3),
                memory_size=properties.get("MemorySize", 128),
                # SAM merges Globals' variables with the function's own, the function's winning.
                variables={**_variables(defaults), **_variables(body.get("Properties") or {})},
                events=dict(properties.get("Events") or {}),
            )
        )
    return found


def layer_folders(template: Mapping[str, Any], root: Path) -> list[Path]:
    """The content folders of the template's layers, which Lambda puts on the import path."""
    resources = template["Resources"]
    return [
        root / str(body["Properties"]["ContentUri"])
        for body in resources.values()
        if body.get("Type") == LAYER_TYPE and isinstance((body.get("Properties") or {}).get("ContentUri"), str)
    ]


def api_routes(template: Mapping[str, Any]) -> list[Route]:
    """The API routes the template's Api/HttpApi events declare (POST /postbacks/{secret} if none)."""
    methods: dict[str, set[str]] = {}
    for function in function_definitions(template):
        for event in function.events_of_type(*API_EVENT_TYPES):
            if isinstance(event.get("Path"), str):
                methods.setdefault(event["Path"], set()).add(str(event.get("Method", "any")).upper())
    return [Route(path, frozenset(m)) for path, m in methods.items()] or [POSTBACK_ROUTE]


def api_function(template: Mapping[str, Any]) -> str:
    """The logical id of the function behind the API (the one with Api/HttpApi events)."""
    for function in function_definitions(template):
        if function.events_of_type(*API_EVENT_TYPES):
            return function.logical_id
    raise StackError("no function in the template has an Api or HttpApi event")


def batch_size(event: Mapping[str, Any], names: Names, where: str) -> int:
    """An SQS event's BatchSize, SAM's default when it is left out."""
    return _as_int(event.get("BatchSize", DEFAULT_BATCH_SIZE), names, where, DEFAULT_BATCH_SIZE)


def worker_batch_size(template: Mapping[str, Any]) -> int:
    """BatchSize of the first SQS event source in the template (the worker's)."""
    names = Names(parameter_defaults(template), {}, "", "")
    for function in function_definitions(template):
        for event in function.events_of_type("SQS"):
            return batch_size(event, names, f"{function.logical_id}.BatchSize")
    return DEFAULT_BATCH_SIZE
