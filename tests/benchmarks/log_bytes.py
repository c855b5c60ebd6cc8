"""CloudWatch Logs bytes per accepted DLR: what the ingest function writes, plus the API's access log line.

The function's share is measured: the real handler serves one new DLR against moto with its stdout
(Powertools' logs and the EMF document) captured. Lambda's own START/END/REPORT lines are off
(`SystemLogLevel: WARN`). The access log line is the template's format with a real request's values.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from tests.benchmarks.lambda_like import template
from tests.benchmarks.measure import Figure, Section

# CloudWatch Logs counts each event's message plus 26 bytes of its own.
EVENT_OVERHEAD_BYTES = 26
# What API Gateway puts in each field for a DLR posted by the vendor (the widest realistic values).
ACCESS_LOG_VALUES = {
    "requestId": "Jq0VZhNXIAMEbPQ=",
    "requestTime": "01/Dec/2026:22:00:00 +0000",
    "routeKey": "POST /postbacks/{secret}",
    "status": "200",
    "identity.sourceIp": "203.0.113.250",
    "identity.userAgent": "Apache-HttpClient/4.5.13 (Java/11.0.21)",
    "responseLength": "88",
    "integrationLatency": "27",
    "responseLatency": "29",
    "integrationErrorMessage": "-",
    "error.message": "-",
}


@dataclass(frozen=True)
class LogBytes:
    function_bytes: int
    function_events: int
    access_bytes: int

    @property
    def total(self) -> int:
        return self.function_bytes + self.access_bytes + EVENT_OVERHEAD_BYTES * (self.function_events + 1)


def captured_stdout(call: Callable[[], object]) -> bytes:
    """What `call` writes to file descriptor 1 (Powertools writes there, not to sys.stdout's object)."""
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        try:
            call()
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
        sink.seek(0)
        return sink.read()


def access_log_line() -> str:
    api = template()["Resources"]["PostbacksApi"]["Properties"]
    line = " ".join(str(api["AccessLogSettings"]["Format"]).split())
    return re.sub(r"\$context\.([A-Za-z.]+)", lambda found: ACCESS_LOG_VALUES[found.group(1)], line)


def measure(output: bytes) -> LogBytes:
    lines = [line for line in output.splitlines() if line.strip()]
    return LogBytes(sum(len(line) for line in lines), len(lines), len(access_log_line().encode()))


def section(figures: LogBytes) -> Section:
    lines = [
        f"One new DLR through the real ingest handler: {figures.function_events} line(s), "
        f"{figures.function_bytes} bytes written by the function (the EMF metrics document included); the access "
        f"log line is {figures.access_bytes} bytes; CloudWatch adds {EVENT_OVERHEAD_BYTES} bytes per event.",
        "",
        f"Access log line: `{access_log_line()}`",
    ]
    return Section(
        "Log bytes per accepted DLR",
        [Figure("CloudWatch Logs bytes per accepted DLR (function + access log)", f"{figures.total} B")],
        "\n".join(lines),
    )
