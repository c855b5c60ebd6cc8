"""SQS -> worker: each record is one job; a failing record never fails its neighbours."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics, Tracer, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from postbacks.outbound.deadline import Deadline
from postbacks.service.ingest import Stored
from postbacks.service.observability import make_logger, trace_aws_calls
from postbacks.service.settings import get_settings
from postbacks.service.worker import Quarantined, Worker, worker_from_settings

logger = make_logger()
tracer = Tracer(auto_patch=False)  # see trace_aws_calls
metrics = Metrics()
# A batch whose every record failed is still a partial response (all listed), not a function error:
# SQS retries exactly the same records either way, and errors stay a signal of bugs, not of bad input.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# A media fetch stops this long before Lambda's timeout: time to finish the upload, record it and answer SQS.
FETCH_MARGIN_SECONDS = 10.0


@cache
def worker() -> Worker:
    return worker_from_settings(get_settings())


@tracer.capture_method
def handle_record(record: SQSRecord, lambda_context: LambdaContext) -> None:
    deadline = Deadline.after(lambda_context.get_remaining_time_in_millis() / 1000 - FETCH_MARGIN_SECONDS)
    done = worker().handle(record.body, deadline)
    if isinstance(done, Stored):
        metrics.add_metric(name="BundleItemsStored", unit=MetricUnit.Count, value=1)
        return
    if isinstance(done, Quarantined):
        logger.warning("bundle item refused by storage", extra={"detail": done.detail, "kept_at": done.kept_at})
        metrics.add_metric(name="PostbacksRejected", unit=MetricUnit.Count, value=1)
        return
    logger.info("media", extra={"state": done.state, "size": done.size, "detail": done.detail})
    if done.state == "archived":
        metrics.add_metric(name="MediaBytesArchived", unit=MetricUnit.Bytes, value=done.size or 0)
        return
    with single_metric(name="MediaFetchFailed", unit=MetricUnit.Count, value=1) as metric:
        metric.add_dimension(name="reason", value=done.state)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    trace_aws_calls(tracer)
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
