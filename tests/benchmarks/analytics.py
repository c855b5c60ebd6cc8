"""Analytics at scale: synthetic analytics files (the real line format) for N postbacks, each report's DuckDB
time on this machine, the bytes Athena would scan for 30 days of 1 million postbacks a day, and the cost
of the analytics path per million postbacks.

The files are written by DuckDB itself (COPY ... FORMAT JSON, gzip), one folder per day in Firehose's
`YYYY/MM/DD/HH/` layout, one line per `Postback Received` event with the fields the stack publishes.
A message has a send report and, for 95 in 100, an outcome (90 delivered); 2 in 100 postbacks arrive twice.
DuckDB's report times are given beside a plain scan of the same files in the same run (the floor).
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from pathlib import Path

from postbacks.analytics import reports
from postbacks.analytics.duckdb_engine import DuckDbEngine
from postbacks.analytics.result import athena_cost
from tests.benchmarks.measure import Figure, Section, progress

DEFAULT_POSTBACKS = 10_000_000
PER_DAY = 1_000_000  # the Athena figures: 30 days of this many postbacks a day
ATHENA_DAYS = 30
# us-east-1, 2026-12.
FIREHOSE_PER_GB = 0.029  # Direct PUT ingestion, each record rounded up to 5 KB
FIREHOSE_INCREMENT = 5 * 1024
S3_PER_GB_MONTH = 0.023
S3_PUT_PER_1000 = 0.005
FIREHOSE_OBJECTS_PER_DAY = 96  # a 15-minute buffer: at most this many files a day below 128 MB each
LAMBDA_RUN = 0.0000133334 * 0.25 * 60 + 0.0000002  # one 256 MB arm64 minute of waiting on Athena
GB = 1024**3

# One `Postback Received` line, as the rule hands it to Firehose: the envelope and the detail the stack builds.
_LINE = """
SELECT
    '0' AS version,
    gen_random_uuid()::VARCHAR AS id,
    'Postback Received' AS "detail-type",
    'postbacks.bench' AS source,
    '123456789012' AS account,
    strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS time,
    'us-east-1' AS region,
    []::VARCHAR[] AS resources,
    {
        'message_key': 'TRK' || m::VARCHAR,
        'event_id': substr(md5(i::VARCHAR), 1, 32),
        'received_at': strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ'),
        'event_at': strftime(ts, '%Y-%m-%dT%H:%M:%S.000Z'),
        'precedence': 'S#' || (CASE WHEN i % 2 = 0 THEN '010' ELSE '020' END) || '#'
            || strftime(ts, '%Y-%m-%dT%H:%M:%S.000Z') || '#' || substr(md5(i::VARCHAR), 1, 32),
        'postback': {
            'dialect': 'skycore_xml',
            'code': CASE WHEN i % 2 = 0 THEN 'N201' WHEN m % 100 < 90 THEN 'N202' ELSE 'E201' END,
            'kind': 'sms_mt',
            'status': CASE WHEN i % 2 = 0 THEN 'sent' WHEN m % 100 < 90 THEN 'delivered' ELSE 'failed' END,
            'status_text': CASE WHEN i % 2 = 0 THEN 'Message Sent' WHEN m % 100 < 90
                THEN 'Message Sent/Delivered' ELSE 'Message Sent/Failed' END,
            'tracking_id': 'TRK' || m::VARCHAR,
            'from': '6085' || (m % 7)::VARCHAR,
            'to': '1650' || lpad((m % 10000000)::VARCHAR, 7, '0'),
            'operator_id': ['0001570', '0001140', '31002', '31003'][1 + m % 4],
            'operator_name': ['T-Mobile', 'Alltel-Verizon', 'AT&T', 'Verizon'][1 + m % 4],
            'aggregator_id': '11529-64807-97508-73852-97658',
            'timestamp': strftime(ts, '%Y-%m-%dT%H:%M:%S.000000Z'),
            'timestamp_original': strftime(ts, '%Y-%m-%dT%H:%M:%S-00:00'),
            'client_reference': 'campaign-' || (m % 50)::VARCHAR
        },
        'message': {
            'status': CASE WHEN i % 2 = 0 THEN 'sent' ELSE 'delivered' END,
            'status_code': 'N202',
            'final': i % 2 = 1,
            'decided_by': substr(md5((i + 1)::VARCHAR), 1, 32)
        }
    } AS detail
FROM (
    SELECT i, i // 2 AS m,
        TIMESTAMP '@day@' + INTERVAL (((i // 2) * 86400 // @per_day@) % 86400) SECOND
            + INTERVAL (CASE WHEN i % 2 = 1 THEN 5 + (i // 2) % 600 ELSE 0 END) SECOND AS ts
    FROM range(@start@, @end@) AS r(i)
    -- a message's outcome is missing 5 times in 100; 2 postbacks in 100 come twice
    WHERE NOT (i % 2 = 1 AND (i // 2) % 100 >= 95)
    UNION ALL BY NAME
    SELECT i, i // 2 AS m, TIMESTAMP '@day@' + INTERVAL (((i // 2) * 86400 // @per_day@) % 86400) SECOND AS ts
    FROM range(@start@, @end@) AS r(i) WHERE i % 50 = 0
)
"""


def generate(folder: Path, postbacks: int, days: int) -> list[Path]:
    import duckdb

    per_day = math.ceil(postbacks / days)
    files = []
    connection = duckdb.connect(":memory:")
    for day in range(days):
        date = f"2026-11-{day + 1:02d}"
        # One file per thread, as Firehose writes many per day: readers can share the work.
        path = folder / "analytics/events" / date.replace("-", "/") / "12"
        path.parent.mkdir(parents=True, exist_ok=True)
        start, end = day * per_day, min(postbacks, (day + 1) * per_day)
        query = _LINE
        for name, value in (("day", date), ("per_day", per_day), ("start", start), ("end", end)):
            query = query.replace(f"@{name}@", str(value))
        connection.execute(f"COPY ({query}) TO '{path}' (FORMAT JSON, COMPRESSION GZIP, PER_THREAD_OUTPUT true)")
        files.extend(sorted(path.iterdir()))
    connection.close()
    return files


def timed(engine: DuckDbEngine, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    result = engine.run(query)
    return time.perf_counter() - started, len(result.rows)


def run(postbacks: int = DEFAULT_POSTBACKS) -> Section:
    days = max(1, min(30, postbacks // PER_DAY or 1))
    folder = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    try:
        progress(f"writing analytics files for {postbacks:,} postbacks over {days} days (DuckDB)")
        started = time.perf_counter()
        files = generate(folder, postbacks, days)
        generated = time.perf_counter() - started
        size = sum(path.stat().st_size for path in files)
        lines = _count(files)
        engine = DuckDbEngine(files)
        window = reports.window("2026-11-01T00:00:00.000000Z", f"2026-11-{days:02d}T23:59:59.999999Z", "carrier")
        values = window.values() | {"cutoff": f"2026-11-{days:02d}T12:00:00.000000Z"}
        progress("the floor: one scan of every line")
        floor, _ = timed(engine, "SELECT count(*), max(detail.precedence) FROM postback_events")
        seconds: dict[str, float] = {}
        for name in reports.REPORTS:
            progress(f"report {name} on DuckDB")
            seconds[name], _ = timed(engine, reports.bind(reports.sql(name), values))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return section(postbacks, lines, days, size, generated, floor, seconds)


def _count(files: list[Path]) -> int:
    return int(DuckDbEngine(files).run("SELECT count(*) AS n FROM postback_events").rows[0][0])


def section(
    postbacks: int, lines: int, days: int, size: int, generated: float, floor: float, seconds: dict[str, float]
) -> Section:
    per_line = size / lines
    line_bytes = _line_bytes()
    month = reports.window("2026-10-01T00:00:00.000000Z", "2026-10-30T23:59:59.999999Z")
    week = reports.window("2026-10-24T00:00:00.000000Z", "2026-10-30T23:59:59.999999Z")
    scanned_month = int(per_line * PER_DAY * len(month.days()))
    scanned_week = int(per_line * PER_DAY * len(week.days()))
    firehose = math.ceil(line_bytes / FIREHOSE_INCREMENT) * FIREHOSE_INCREMENT * 1_000_000 / GB * FIREHOSE_PER_GB
    storage = per_line * 1_000_000 / GB * S3_PER_GB_MONTH  # one month kept
    puts = FIREHOSE_OBJECTS_PER_DAY * 30 / 1000 * S3_PUT_PER_1000 / (PER_DAY * 30 / 1_000_000)
    lookback = reports.window("2026-10-13T00:00:00.000000Z", "2026-10-27T00:00:00.000000Z", older_than_hours=72)
    daily_run = athena_cost(int(per_line * PER_DAY * len(lookback.days()))) + LAMBDA_RUN
    scheduled = daily_run * 30 / (PER_DAY * 30 / 1_000_000)
    total = firehose + storage + puts + scheduled
    month_cost = athena_cost(scanned_month)
    figures = [
        Figure(
            "analytics: files written (DuckDB)", f"{lines:,} lines in {generated:.0f} s, {size / lines:.0f} B/line gz"
        ),
        Figure("analytics: DuckDB scan of every line (floor)", f"{floor:.2f} s"),
        *(
            Figure(
                f"analytics: DuckDB `{name}` over {postbacks / 1e6:g}M postbacks",
                f"{value:.2f} s ({value / floor:.1f}x floor)",
            )
            for name, value in seconds.items()
        ),
        Figure(
            "analytics: Athena bytes, any report, 30 days x 1M/day",
            f"{scanned_month / GB:.2f} GB, ${athena_cost(scanned_month):.4f}",
        ),
        Figure(
            "analytics: Athena bytes, any report, 7 days x 1M/day",
            f"{scanned_week / GB:.2f} GB, ${athena_cost(scanned_week):.4f}",
        ),
        Figure("analytics: path cost per million postbacks", f"${total:.3f}"),
    ]
    detail = "\n".join(
        [
            "### Analytics",
            "",
            f"{postbacks:,} synthetic postbacks ({lines:,} lines with duplicates) over {days} days, gzip JSON lines, "
            f"{size / 1024**2:.0f} MB; a real event line is {line_bytes} B before compression.",
            "",
            "| report | DuckDB s | x floor | Athena GB (30 d x 1M/day) | Athena $ per run |",
            "| --- | --- | --- | --- | --- |",
            *(
                f"| {name} | {value:.2f} | {value / floor:.1f} | {scanned_month / GB:.2f} | {month_cost:.4f} |"
                for name, value in seconds.items()
            ),
            "",
            "Every report reads the same days (JSON lines are read whole): the window plus "
            f"{reports.DAYS_BEFORE} day before and up to {reports.DAYS_AFTER} after, {len(month.days())} days for 30.",
            "",
            "| analytics path, per million postbacks | $ |",
            "| --- | --- |",
            f"| Firehose ingestion ({line_bytes} B billed as 5 KB, ${FIREHOSE_PER_GB}/GB) | {firehose:.4f} |",
            f"| S3 storage, one month ({per_line:.0f} B/line gz) | {storage:.4f} |",
            f"| S3 PUTs (one object per 15 minutes) | {puts:.5f} |",
            f"| Daily unresolved run (Athena over {len(lookback.days())} days + Lambda), at 1M/day | {scheduled:.4f} |",
            "| Glue catalog (2 objects, projection: no partitions stored; free tier) | 0 |",
            "| EventBridge rule to Firehose (events are billed once, when published) | 0 |",
            f"| **total** | **{total:.3f}** |",
        ]
    )
    return Section("Analytics", figures, detail)


def _line_bytes() -> int:
    """Bytes of a real `Postback Received` event line: a seed's item through the events code."""
    import json

    from postbacks.domain import decoding, parsing
    from postbacks.service import events
    from postbacks.storage import codec
    from tests.benchmarks.measure import SEEDS

    [postback] = parsing.parse(decoding.payload((SEEDS / "000_sms_mt_n202.xml").read_bytes(), None)).postbacks
    item = codec.postback_item(postback, "2026-11-22T10:00:00.000000Z", None)
    detail = events.postback_received(item, None).detail
    envelope = {"version": "0", "id": "x" * 36, "detail-type": events.POSTBACK_RECEIVED, "source": "postbacks.prod"}
    envelope |= {"account": "123456789012", "time": "2026-11-22T10:00:00Z", "region": "us-east-1", "resources": []}
    return len(json.dumps({**envelope, "detail": detail}, separators=(",", ":")).encode())
