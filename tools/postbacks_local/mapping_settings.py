"""What the template says of a DynamoDB stream event source mapping, with AWS's defaults where it is silent,
and its filter: which records reach the function."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from postbacks_local.template import Names

MAPPING_TYPE = "AWS::Lambda::EventSourceMapping"


@dataclass(frozen=True)
class MappingSettings:
    """What the template's mapping says (AWS's defaults where it is silent)."""

    function: str  # logical id
    table: str  # logical id of the table whose stream it reads
    starting_position: str = "LATEST"
    batch_size: int = 100
    window_seconds: float = 0.0
    bisect: bool = False
    max_retries: int = -1  # -1: until the record is too old or leaves the stream
    max_age_seconds: int = -1
    report_failures: bool = False
    patterns: tuple[dict[str, Any], ...] = ()
    destination: str | None = None  # logical id of the on-failure queue


def mapping_settings(template: Mapping[str, Any], names: Names) -> list[MappingSettings]:
    """The template's mappings on a DynamoDB stream whose Condition holds."""
    found = []
    for logical_id, body in template["Resources"].items():
        if body.get("Type") != MAPPING_TYPE:
            continue
        if body.get("Condition") and not names.holds(str(body["Condition"]), logical_id):
            continue
        source = (body.get("Properties") or {}).get("EventSourceArn") or {}
        if isinstance(source, dict) and source.get("Fn::GetAtt", [None, None])[1] == "StreamArn":
            found.append(_settings(logical_id, body.get("Properties") or {}, names))
    return found


def _settings(logical_id: str, properties: Mapping[str, Any], names: Names) -> MappingSettings:
    def number(name: str, default: float) -> float:
        return float(names.resolve(properties.get(name, default), f"{logical_id}.{name}"))

    destination = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    filters = (properties.get("FilterCriteria") or {}).get("Filters") or []
    return MappingSettings(
        function=str(properties["FunctionName"]["Ref"]),
        table=str(properties["EventSourceArn"]["Fn::GetAtt"][0]),
        starting_position=str(properties.get("StartingPosition", "LATEST")),
        batch_size=int(number("BatchSize", 100)),
        window_seconds=number("MaximumBatchingWindowInSeconds", 0),
        bisect=bool(properties.get("BisectBatchOnFunctionError", False)),
        max_retries=int(number("MaximumRetryAttempts", -1)),
        max_age_seconds=int(number("MaximumRecordAgeInSeconds", -1)),
        report_failures="ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or []),
        patterns=tuple(json.loads(entry["Pattern"]) for entry in filters),
        destination=str(destination["Fn::GetAtt"][0]) if isinstance(destination, dict) else None,
    )


def matches(patterns: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """A mapping passes a record matching any of its filters (all of them when it has none)."""
    from moto.events.models import EventPattern

    event: Any = dict(record)
    return not patterns or any(EventPattern(None, dict(p)).matches_event(event) for p in patterns)
