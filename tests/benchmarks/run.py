"""`make bench`: every benchmark, a summary table on stdout, and the results written into docs/performance.md.

python -m tests.benchmarks.run                      # everything (~4-5 minutes)
python -m tests.benchmarks.run --only cold --cold-rounds 15
python -m tests.benchmarks.run --only campaign          # 1,000-message campaign: writes, WRU, hot keys (~2 min)
python -m tests.benchmarks.run --only analytics --analytics-postbacks 1000000 --no-write   # reports on DuckDB
python -m tests.benchmarks.run --only amplification --no-write   # memory, queued, stored bytes over the body
python -m tests.benchmarks.run --code-root /tmp/old --only cold,warm --no-write   # another checkout's code
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path

from tests.benchmarks import (
    amplification,
    analytics,
    campaign,
    cold_start,
    cost,
    decode_parse,
    dynamodb_requests,
    footprint,
    media_memory,
    report,
    warm_ingest,
)
from tests.benchmarks.fakes import SECRET
from tests.benchmarks.measure import ROOT, Section, progress
from tests.benchmarks.wire import CountingMotoServer

PARTS = ("cold", "parse", "warm", "requests", "campaign", "cost", "media", "footprint", "analytics", "amplification")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}")
    parser.add_argument("--cold-rounds", type=int, default=9, help="fresh processes per handler (default 9)")
    parser.add_argument("--rounds", type=int, default=7, help="timed batches per in-process figure (default 7)")
    parser.add_argument("--code-root", type=Path, default=ROOT, help="where functions/ and layers/ are read from")
    parser.add_argument(
        "--analytics-postbacks", type=int, default=analytics.DEFAULT_POSTBACKS, help="synthetic postbacks (10,000,000)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    options = parser.parse_args(argv)
    parts = {part.strip() for part in options.only.split(",") if part.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")

    sections: list[Section] = []
    with CountingMotoServer() as server:
        os.environ.update(
            AWS_ENDPOINT_URL=server.endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_REGION="us-east-1",
        )
        os.environ.pop("AWS_PROFILE", None)
        from postbacks_local.stack_resources import create_stack_resources

        progress("creating the template's resources in moto")
        resources = create_stack_resources(ROOT / "template.yaml", f"bench-{uuid.uuid4().hex[:8]}", SECRET)
        if "cold" in parts:
            runs = cold_start.measure(resources, server.endpoint, options.cold_rounds, options.code_root)
            sections.append(cold_start.section(runs, options.cold_rounds))
        if "parse" in parts:
            sections.append(decode_parse.run(options.rounds))
        if "warm" in parts:
            sections.append(warm_ingest.run(resources, server.endpoint, options.rounds, options.code_root))
        if "requests" in parts:
            sections.append(dynamodb_requests.run(server, resources))
        if "campaign" in parts:
            sections.append(campaign.run(server))
        if "cost" in parts:
            sections.extend(cost.run(server, resources))
        if "media" in parts:
            sections.append(media_memory.run(server.endpoint))
    if "footprint" in parts:
        sections.append(footprint.run())
    if "analytics" in parts:
        sections.append(analytics.run(options.analytics_postbacks))
    if "amplification" in parts:
        sections.append(amplification.run())

    print(report.summary_table(sections))
    if options.no_write or options.code_root != ROOT or parts != set(PARTS):
        print("\ndocs/performance.md left alone (a partial run, another code root, or --no-write)")
    else:
        path = report.write(sections, options)
        print(f"\nwritten: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
