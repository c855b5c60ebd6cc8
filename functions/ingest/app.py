"""HTTP API -> ingest: check the caller, hand the posted bytes to the ingestor, answer the sender."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from postbacks.domain.errors import PostbackRejected
from postbacks.service.answers import answer, record
from postbacks.service.api_request import ingest_request
from postbacks.service.auth import is_allowed_source, is_authorised
from postbacks.service.ingest import Ingestor, IngestResult, Outcome, ingestor_from_settings
from postbacks.service.observability import log_detail, make_logger
from postbacks.service.settings import ingest_settings
from postbacks.storage import aws
from postbacks.storage.secrets import SecretUnavailable, accepted_secrets

ingest_settings()  # at init: a missing or malformed variable fails here, named
logger = make_logger()
metrics = Metrics()
app = APIGatewayHttpResolver()


@cache
def ingestor() -> Ingestor:
    return ingestor_from_settings(ingest_settings())


@app.post("/postbacks/<secret>")
def receive(secret: str) -> Response[str]:
    event = app.current_event
    if not is_allowed_source(event.request_context.http.source_ip, ingest_settings().allowed_source_cidrs):
        metrics.add_metric(name="SourceRefused", unit="Count", value=1)
        return _json(403, {"error": "forbidden_source", "detail": "Postbacks are not accepted from this address."})
    try:
        accepted = accepted_secrets(ingest_settings().url_secret_arn)
    except SecretUnavailable:  # the sender must retry, not be told it is unauthorised
        logger.exception("secret unavailable")
        metrics.add_metric(name="StorageErrors", unit="Count", value=1)
        return _json(503, {"error": "secret_unavailable", "detail": "The receiver cannot check secrets; retry later."})
    if not is_authorised(secret, accepted):
        metrics.add_metric(name="Unauthorised", unit="Count", value=1)
        return _json(403, {"error": "forbidden", "detail": "The postback URL's secret is missing or wrong."})
    try:
        request = ingest_request(event, ingest_settings().max_body_bytes)
    except PostbackRejected as rejection:  # too large, or not the base64 it claims: nothing to keep
        return _reply(IngestResult(Outcome.REJECTED, rejection=rejection))
    return _reply(ingestor().ingest(request))


def _reply(result: IngestResult) -> Response[str]:
    status, body = answer(result)
    record(metrics, result)
    if result.outcome is Outcome.ACCEPTED:
        log_detail(logger, "accepted", codes=result.codes, tracking_ids=body.get("tracking_ids"))
    elif result.outcome is Outcome.REJECTED and result.rejection is not None:
        logger.warning("rejected", extra={"reason": result.rejection.reason, "kept_at": result.kept_at})
    else:
        logger.error("storage unavailable", extra={"kept_at": result.kept_at})
    return _json(status, body)


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    budget = min(ingest_settings().answer_budget_seconds, context.get_remaining_time_in_millis() / 1000)
    with aws.deadline(budget):
        return app.resolve(event, context)
