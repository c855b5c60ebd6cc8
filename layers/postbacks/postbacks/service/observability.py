"""Powertools logging with personal data masked in every record, whoever logs it.

Tracing is Lambda's own (`Tracing: Active`): each invocation's init, duration and errors, with no SDK
in the code. The X-Ray SDK, which also traced each AWS call, is in maintenance (end of support
2027-02-25), so AWS calls are timed by the metrics and the API's access log instead.
"""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from postbacks.domain.codes import CODES, UNRECOGNISED
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


def code_dimension(code: str) -> str:
    """A metric's `code` dimension: a code of the list, or `unrecognised`.

    A dimension value the sender chooses would put whatever it wrote (a phone number) in the log in clear,
    and make each new value a new custom metric, each billed.
    """
    return code if code in CODES else UNRECOGNISED.status.value


def make_logger() -> Logger:
    return Logger(logger_formatter=MaskingFormatter())


def log_detail(logger: Logger, message: str, **extra: Any) -> None:
    """A routine line (one per accepted postback): DEBUG, except in an invocation the sample rate picked.

    Lambda's log-level filter (ApplicationLogLevel INFO) drops DEBUG lines whatever Powertools decides,
    so a sampled invocation, where Powertools runs at DEBUG, writes this line at INFO to be seen at all.
    """
    if logger.log_level <= logging.DEBUG:
        logger.info(message, extra=extra)
    else:
        logger.debug(message, extra=extra)
