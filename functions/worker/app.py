"""SQS -> worker: each record is one job; a failing record never fails its neighbours."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from postbacks.outbound.deadline import Deadline
from postbacks.service.ingest import Stored
from postbacks.service.observability import log_detail, make_logger
from postbacks.service.settings import worker_settings
from postbacks.service.worker import BundleStored, MediaQueued, Quarantined, Worker, worker_from_settings

worker_settings()  # at init: a missing or malformed variable fails here, named
logger = make_logger()
metrics = Metrics()
# A batch whose every record failed is still a partial response (all listed), not a function error:
# SQS retries exactly the same records either way, and errors stay a signal of bugs, not of bad input.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# A media fetch stops this long before Lambda's timeout: time to finish the upload, record it and answer SQS.
FETCH_MARGIN_SECONDS = 10.0
# Media outcomes other than "archived", counted over the batch and written with its one EMF document.
failed_fetches: Counter[str] = Counter()


@cache
def worker() -> Worker:
    return worker_from_settings(worker_settings())


def handle_record(record: SQSRecord, lambda_context: LambdaContext) -> None:
    deadline = Deadline.after(lambda_context.get_remaining_time_in_millis() / 1000 - FETCH_MARGIN_SECONDS)
    done = worker().handle(record.body, deadline)
    if isinstance(done, Stored):
        metrics.add_metric(name="BundleItemsStored", unit=MetricUnit.Count, value=1)
        return
    if isinstance(done, BundleStored):
        metrics.add_metric(name="BundleItemsStored", unit=MetricUnit.Count, value=len(done.stored))
        for refused in done.refused:
            _refused(refused)
        return
    if isinstance(done, Quarantined):
        _refused(done)
        return
    if isinstance(done, MediaQueued):
        log_detail(logger, "media queued", files=done.files)
        return
    log_detail(logger, "media", state=done.state, size=done.size, detail=done.detail)
    if done.state == "archived":
        metrics.add_metric(name="MediaBytesArchived", unit=MetricUnit.Bytes, value=done.size or 0)
    else:
        failed_fetches[done.state] += 1


def _refused(done: Quarantined) -> None:
    logger.warning("bundle item refused by storage", extra={"detail": done.detail, "kept_at": done.kept_at})
    metrics.add_metric(name="PostbacksRejected", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    failed_fetches.clear()
    response = process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
    if failed_fetches:
        metrics.add_metric(name="MediaFetchFailed", unit=MetricUnit.Count, value=failed_fetches.total())
        metrics.add_metadata(key="media_failed", value={str(state): n for state, n in failed_fetches.items()})
    return response
