"""The template's analytics resources agree with the code that reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from postbacks.analytics import schema
from postbacks.analytics.athena import names_for
from postbacks_cli import report
from postbacks_local.template import load_template

TEMPLATE = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def test_glue_table_columns_are_the_schemas() -> None:
    table = RESOURCES["AnalyticsTable"]["Properties"]["TableInput"]
    assert table["StorageDescriptor"]["Columns"] == schema.glue_columns()
    assert table["PartitionKeys"] == [{"Name": schema.PARTITION, "Type": "string"}]
    assert table["Name"] == schema.TABLE
    assert table["StorageDescriptor"]["SerdeInfo"]["Parameters"] == {"mapping.detail_type": schema.DETAIL_TYPE_FIELD}


def test_projection_is_the_firehose_prefix_by_day() -> None:
    parameters = RESOURCES["AnalyticsTable"]["Properties"]["TableInput"]["Parameters"]
    prefix = RESOURCES["AnalyticsDeliveryStream"]["Properties"]["ExtendedS3DestinationConfiguration"]["Prefix"]
    assert prefix == report.PREFIX
    assert parameters["projection.dt.format"] == "yyyy/MM/dd"  # schema.DAY_FORMAT in Java's words
    assert parameters["storage.location.template"]["Fn::Sub"].endswith(f"/{prefix}${{!dt}}/")


def test_every_analytics_resource_is_behind_one_condition() -> None:
    analytics = {name: body for name, body in RESOURCES.items() if name.startswith("Analytics")}
    assert len(analytics) >= 8
    assert {body.get("Condition") for body in analytics.values()} == {"Analyzes"}
    assert TEMPLATE["Parameters"]["Analytics"]["Default"] == "true"


def test_workgroup_caps_bytes_and_keeps_its_own_results() -> None:
    configuration = RESOURCES["AnalyticsWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert configuration["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["ResultConfiguration"]["OutputLocation"]["Fn::Sub"].endswith("/analytics/results/")


@pytest.mark.parametrize(
    ("stack", "database"),
    [("postbacks-dev", "postbacks_dev_analytics"), ("Prod", "prod_analytics"), ("a-b-c", "a_b_c_analytics")],
)
def test_names_for_matches_the_templates_join_of_split(stack: str, database: str) -> None:
    name = RESOURCES["AnalyticsDatabase"]["Properties"]["DatabaseInput"]["Name"]
    assert name == {
        "Fn::Join": ["_", [{"Fn::Join": ["_", {"Fn::Split": ["-", {"Ref": "AWS::StackName"}]}]}, "analytics"]]
    }
    assert names_for(stack) == (f"{stack}-analytics", database)
    assert RESOURCES["AnalyticsWorkGroup"]["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}-analytics"}


@pytest.mark.parametrize("switch", ["Analytics", "PublishEvents"])
def test_local_delivery_is_off_with_either_parameter_off(switch: str) -> None:
    from postbacks_local.analytics_delivery import delivery_settings
    from postbacks_local.template import Names

    parameters = {"Analytics": "true", "PublishEvents": "true", switch: "false"}
    assert delivery_settings(TEMPLATE, Names(parameters, {}, "us-east-1", "s")) is None


def test_local_delivery_reads_the_templates_stream_and_rule() -> None:
    from postbacks_local.analytics_delivery import delivery_settings
    from postbacks_local.template import Names

    names = Names({"Analytics": "true", "PublishEvents": "true"}, {"PostbacksBucket": "b"}, "us-east-1", "s")
    settings = delivery_settings(TEMPLATE, names)
    assert settings is not None
    assert (settings.bucket, settings.prefix, settings.gzip, settings.extension) == (
        "b",
        report.PREFIX,
        True,
        ".json.gz",
    )
    assert settings.pattern == {"source": ["postbacks.s"], "detail-type": ["Postback Received", "Media Archived"]}
    assert settings.stream_name == "s-analytics"
