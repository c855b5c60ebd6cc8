"""Pipe enrichment: the table's new postback and archived-media items -> the events the pipe publishes."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from postbacks.service import consent, consent_events, events
from postbacks.service.observability import make_logger
from postbacks.service.settings import get_settings
from postbacks.storage.consent import ConsentLedger
from postbacks.storage.store import PostbackStore

logger = make_logger()
metrics = Metrics()


@cache
def deciding() -> events.DecidingReader:
    return events.deciding_from(PostbackStore(get_settings().table_name))


@cache
def ledger() -> ConsentLedger:
    return consent.ledger_from_settings()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: list[dict[str, Any]], context: LambdaContext) -> list[dict[str, Any]]:
    # The pipe's enrichment InputTemplate hands over each record's NewImage; a raise retries the batch.
    images = [events.plain_image(image) for image in event]
    published = events.events_for(images, deciding()) + consent_events.consent_events_for(images, ledger())
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=len(published))
    return [item.as_pipe_output() for item in published]
