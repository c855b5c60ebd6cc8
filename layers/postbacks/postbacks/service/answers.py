"""What the sender is told, and what the metrics count, for each ingest outcome: one place for both."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from postbacks.domain.errors import Reason
from postbacks.service.ingest import IngestResult, Outcome
from postbacks.service.observability import code_dimension

# Refusals that are about the request's shape rather than its content; every other refusal is a 400.
_STATUS_FOR: dict[Reason, int] = {
    Reason.BODY_TOO_LARGE: 413,
    Reason.TOO_MANY_NOTIFICATIONS: 413,
    Reason.SHARED_ATTRIBUTES_TOO_LARGE: 413,
    Reason.UNSPLITTABLE_BUNDLE: 422,
    Reason.WRONG_ROOT: 422,
    Reason.JSON_NOT_OBJECT: 422,
    Reason.MISSING_CODE: 422,
    Reason.INVALID_POSTBACK: 422,
    Reason.UNPARSEABLE: 422,
}


def answer(result: IngestResult) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body for the sender: only a 200 stops its retries."""
    if result.outcome is Outcome.ACCEPTED:
        duplicates = sum(1 for item in result.stored if not item.new)
        body: dict[str, Any] = {"status": "accepted", "stored": len(result.stored), "duplicates": duplicates}
        if result.queued:
            body["queued"] = result.queued
        tracking_ids = sorted({item.message_key for item in result.stored})
        if tracking_ids:
            body["tracking_ids"] = tracking_ids
        return 200, body
    if result.outcome is Outcome.REJECTED and result.rejection is not None:
        reason = result.rejection.reason
        return _STATUS_FOR.get(reason, 400), {"error": reason.value, "detail": result.rejection.detail}
    return 503, {"error": "storage_unavailable", "detail": "The postback could not be stored; retry later."}


def record(metrics: Metrics, result: IngestResult) -> None:
    """Add this outcome to the invocation's one EMF document.

    A breakdown (by code, by reason) is a second dimension set of the same document, so it costs no
    extra log line; a body carrying several codes is counted in the totals only.
    """
    if result.outcome is Outcome.ACCEPTED:
        metrics.add_metric(name="PostbacksReceived", unit=MetricUnit.Count, value=len(result.codes))
        duplicates = sum(1 for item in result.stored if not item.new)
        if duplicates:  # a zero is no data point to CloudWatch's sums, and costs bytes on every postback
            metrics.add_metric(name="Duplicates", unit=MetricUnit.Count, value=duplicates)
        if len(set(result.codes)) == 1:
            metrics.add_dimensions(code=code_dimension(result.codes[0]))
    elif result.outcome is Outcome.REJECTED and result.rejection is not None:
        metrics.add_metric(name="PostbacksRejected", unit=MetricUnit.Count, value=1)
        metrics.add_dimensions(reason=result.rejection.reason.value)
    else:
        metrics.add_metric(name="StorageErrors", unit=MetricUnit.Count, value=1)
