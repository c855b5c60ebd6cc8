"""Powertools logging with personal data masked in every record, whoever logs it."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from postbacks.domain.privacy import mask

# Powertools' own keys: identifiers and times, never personal data (and full of digits).
_TRUSTED = frozenset(
    {
        "timestamp",
        "level",
        "location",
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "correlation_id",
        "xray_trace_id",
        "sampling_rate",
    }
)


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        return super().serialize({key: value if key in _TRUSTED else mask(value, key) for key, value in log.items()})


def make_logger() -> Logger:
    return Logger(logger_formatter=MaskingFormatter())


@cache
def trace_aws_calls(tracer: Tracer) -> None:
    """Trace boto3 calls as X-Ray subsegments, from the first request on.

    Handlers create their Tracer with `auto_patch=False`: X-Ray's botocore patch imports botocore's client
    machinery (about 60 ms), which only the first request needs, together with its first client.
    """
    tracer.patch(["botocore"])
