"""`stats` for a deployed stack, from the functions' CloudWatch metrics: no table reads.

PostbacksReceived is emitted per request, with a `code` dimension set when the body carries one code;
the status of each code is the code list's (a failure whose exact outcome is in the vendor's text counts
as "failed").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from postbacks.domain.codes import lookup
from postbacks_cli.stats import WindowStats

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

NAMESPACE = "Postbacks"  # POWERTOOLS_METRICS_NAMESPACE in template.yaml
METRIC = "PostbacksReceived"
_PER_CALL = 500  # GetMetricData's limit of queries per request


def collect(cloudwatch: CloudWatchClient, since: str, until: str | None, now: str) -> WindowStats:
    start, end = _time(since), _whole_minute(_time(until or now))
    period = _period(start, end)
    metrics = [
        metric
        for page in cloudwatch.get_paginator("list_metrics").paginate(Namespace=NAMESPACE, MetricName=METRIC)
        for metric in page.get("Metrics", [])
        if any(dimension["Name"] == "code" for dimension in metric.get("Dimensions", []))
    ]
    stats = WindowStats(since=since, until=until)
    for first in range(0, len(metrics), _PER_CALL):
        batch = metrics[first : first + _PER_CALL]
        queries: list[Any] = [
            {"Id": f"m{n}", "MetricStat": {"Metric": metric, "Period": period, "Stat": "Sum"}, "ReturnData": True}
            for n, metric in enumerate(batch)
        ]
        for page in cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries, StartTime=start, EndTime=end
        ):
            for result in page.get("MetricDataResults", []):
                metric = batch[int(result["Id"][1:])]
                code = next(d["Value"] for d in metric.get("Dimensions", []) if d["Name"] == "code")
                count = int(sum(result.get("Values", [])))
                stats.events += count
                stats.by_code[code] += count
                stats.by_status[lookup(code).status.value] += count
    stats.by_code = +stats.by_code  # codes without data points in the window are left out
    stats.by_status = +stats.by_status
    return stats


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _whole_minute(moment: datetime) -> datetime:
    # CloudWatch keeps minute data points and drops a window's partial last second: end on the next minute.
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def _period(start: datetime, end: datetime) -> int:
    # Whole window in as few points as CloudWatch allows: a multiple of 60 s, at least a minute.
    seconds = max(60, int((end - start).total_seconds()))
    return -(-seconds // 60) * 60
