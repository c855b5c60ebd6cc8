"""Daily: the unresolved report on Athena -> one `Messages Unresolved` event and the MessagesUnresolved metric."""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from postbacks.analytics import unresolved
from postbacks.analytics.athena import AthenaEngine, names_for
from postbacks.service.observability import make_logger

logger = make_logger()
metrics = Metrics()


@cache
def engine() -> AthenaEngine:
    workgroup, database = names_for(os.environ["STACK_NAME"])
    return AthenaEngine(workgroup, database)


@cache
def events_client() -> Any:
    import boto3

    return boto3.client("events")


def settings() -> unresolved.Settings:
    return unresolved.Settings(
        older_than_hours=float(os.environ.get("OLDER_THAN_HOURS", "72")),
        lookback_days=int(os.environ.get("LOOKBACK_DAYS", "14")),
    )


def bus_name() -> str:
    return os.environ["STACK_NAME"] if os.environ.get("EVENT_BUS_TARGET", "stack") == "stack" else "default"


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = unresolved.run(engine(), settings())
    metrics.add_metric(name="MessagesUnresolved", unit=MetricUnit.Count, value=detail["count"])
    events_client().put_events(
        Entries=[
            {
                "Source": f"postbacks.{os.environ['STACK_NAME']}",
                "DetailType": unresolved.MESSAGES_UNRESOLVED,
                "Detail": json.dumps(detail),
                "EventBusName": bus_name(),
            }
        ]
    )
    logger.info("unresolved messages", extra={"count": detail["count"], "bytes_scanned": detail["bytes_scanned"]})
    return detail
