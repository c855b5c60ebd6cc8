"""API Gateway -> ingest: authenticate the URL secret, hand the body to the ingestor, answer the sender."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics, Tracer, single_metric
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from postbacks.domain.errors import Reason
from postbacks.service.auth import is_authorised
from postbacks.service.ingest import Ingestor, IngestRequest, IngestResult, Outcome, ingestor_from_settings
from postbacks.service.observability import make_logger, trace_aws_calls
from postbacks.service.settings import get_settings
from postbacks.storage.secrets import accepted_secrets

logger = make_logger()
tracer = Tracer(auto_patch=False)  # see trace_aws_calls
metrics = Metrics()
app = APIGatewayRestResolver()

# Refusals that are about the request's shape rather than its content.
_STATUS_FOR: dict[Reason, int] = {
    Reason.BODY_TOO_LARGE: 413,
    Reason.TOO_MANY_NOTIFICATIONS: 413,
    Reason.WRONG_ROOT: 422,
    Reason.JSON_NOT_OBJECT: 422,
    Reason.MISSING_CODE: 422,
    Reason.INVALID_POSTBACK: 422,
    Reason.UNPARSEABLE: 422,
}


@cache
def ingestor() -> Ingestor:
    return ingestor_from_settings(get_settings())


@app.post("/postbacks/<secret>")
@tracer.capture_method
def receive(secret: str) -> Response[str]:
    trace_aws_calls(tracer)
    try:
        accepted = accepted_secrets(get_settings().secret_parameter_name)
    except Exception:  # SSM unreachable: the sender must retry, not be told it is unauthorised
        logger.exception("secret unavailable")
        metrics.add_metric(name="StorageErrors", unit=MetricUnit.Count, value=1)
        return _json(503, {"error": "secret_unavailable", "detail": "The receiver cannot check secrets; retry later."})
    if not is_authorised(secret, accepted):
        metrics.add_metric(name="Unauthorised", unit=MetricUnit.Count, value=1)
        return _json(403, {"error": "forbidden", "detail": "The postback URL's secret is missing or wrong."})
    event = app.current_event
    request = IngestRequest(
        body=event.body,
        is_base64=bool(event.is_base64_encoded),
        content_type=event.headers.get("content-type"),  # Powertools' headers are case-insensitive
        request_id=event.request_context.request_id,
    )
    return _answer(ingestor().ingest(request))


def _answer(result: IngestResult) -> Response[str]:
    if result.outcome is Outcome.ACCEPTED:
        new = sum(1 for item in result.stored if item.new)
        duplicates = len(result.stored) - new
        tracking_ids = sorted({item.tracking_id for item in result.stored})
        metrics.add_metric(name="PostbacksReceived", unit=MetricUnit.Count, value=len(result.codes))
        for code, count in Counter(result.codes).items():
            _count("PostbacksAccepted", count, code=code)
        metrics.add_metric(name="Duplicates", unit=MetricUnit.Count, value=duplicates)
        logger.append_keys(tracking_ids=tracking_ids)
        logger.info("accepted", extra={"codes": result.codes, "new": new, "queued": result.queued})
        body: dict[str, Any] = {"status": "accepted", "stored": len(result.stored), "duplicates": duplicates}
        if result.queued:
            body["queued"] = result.queued
        if tracking_ids:
            body["tracking_ids"] = tracking_ids
        return _json(200, body)
    if result.outcome is Outcome.REJECTED and result.rejection is not None:
        reason = result.rejection.reason
        metrics.add_metric(name="PostbacksRejected", unit=MetricUnit.Count, value=1)
        _count("PostbacksRejected", 1, reason=reason.value)
        logger.warning(
            "rejected", extra={"reason": reason, "detail": result.rejection.detail, "kept_at": result.kept_at}
        )
        return _json(_STATUS_FOR.get(reason, 400), {"error": reason.value, "detail": result.rejection.detail})
    metrics.add_metric(name="StorageErrors", unit=MetricUnit.Count, value=1)
    logger.error("storage unavailable", extra={"kept_at": result.kept_at})
    return _json(503, {"error": "storage_unavailable", "detail": "The postback could not be stored; retry later."})


def _count(name: str, value: int, **dimensions: str) -> None:
    # A metric with its own dimension (code, reason) needs its own EMF blob.
    with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
