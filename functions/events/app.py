"""Stream trigger: the table's new postback and archived-media items -> events on the bus (docs/events.md)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from postbacks.service import consent, consent_events, events, publisher
from postbacks.service.observability import make_logger
from postbacks.service.settings import get_settings
from postbacks.storage import aws
from postbacks.storage.consent import ConsentLedger
from postbacks.storage.store import PostbackStore

logger = make_logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
EVENT_SOURCE = os.environ["EVENT_SOURCE"]
EVENT_BUS_NAME = os.environ["EVENT_BUS_NAME"]


class NotPublished(Exception):
    """The record's event could not be built or put; the trigger retries it, then parks it in the DLQ."""


@cache
def deciding() -> events.DecidingReader:
    return events.deciding_from(PostbackStore(get_settings().table_name))


@cache
def ledger() -> ConsentLedger:
    return consent.ledger_from_settings()


def consent_changes(image: dict[str, Any]) -> list[events.Event]:
    return consent_events.consent_events_for([image], ledger())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records = event.get("Records") or []
    outcome = publisher.publish(
        records, deciding(), EVENT_SOURCE, EVENT_BUS_NAME, publisher.put_with(aws.events()), more=consent_changes
    )
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=outcome.published)
    metrics.add_metric(name="EventsCut", unit=MetricUnit.Count, value=outcome.cut)

    def record_handler(record: DynamoDBRecord) -> None:
        if record.dynamodb is not None and record.dynamodb.sequence_number in outcome.failed:
            raise NotPublished(record.dynamodb.sequence_number)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
