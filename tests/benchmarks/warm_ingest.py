"""Warm ingest: the whole handler (Powertools resolver, logging, metrics, tracing, decode, parse, validate,
the key rule and fingerprint) per postback, with DynamoDB, S3, SQS and SSM swapped for in-memory fakes.

It runs in a Lambda-like process (tracing on, as the template has it) after a first request, so it is
what a warm execution environment spends on CPU before and after its storage requests.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from postbacks_cli.local_stacks import StackResources
from postbacks_local.sample_events import api_event
from tests.benchmarks.fakes import SECRET
from tests.benchmarks.lambda_like import probe_environment, run_probe
from tests.benchmarks.measure import Figure, Section, bundle, median, progress, spread, well_formed_seeds

BUNDLE_ITEMS = 100


def run(resources: StackResources, endpoint: str, rounds: int, code_root: Path) -> Section:
    seeds = well_formed_seeds()
    events = [
        {"name": seed.name, "event": api_event(seed.raw, secret=SECRET, content_type=seed.content_type)}
        for seed in seeds
    ]
    bundle_name = f"bundle of {BUNDLE_ITEMS} SMS MO"
    events.append({"name": bundle_name, "event": api_event(bundle(BUNDLE_ITEMS), secret=SECRET)})
    progress(f"warm ingest handler, {len(events)} requests x {rounds} rounds")
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as folder:
        path = Path(folder) / "events.json"
        path.write_text(json.dumps(events))
        figures = run_probe(
            "warm", [str(path), str(rounds)], probe_environment("ingest", resources, endpoint, code_root), timeout=600
        )
    per_call = {name: [value * 1e6 for value in values] for name, values in figures["per_call_s"].items()}
    singles = [median(per_call[seed.name]) for seed in seeds]
    per_item = median(per_call[bundle_name]) / BUNDLE_ITEMS

    lines = [
        f"One process, {rounds} interleaved batches of >= 20 ms per request; median (min-max) microseconds per call.",
        "",
        "| request | handler time |",
        "| --- | ---: |",
    ]
    for name, values in per_call.items():
        lines.append(f"| `{name}` | {median(values):.0f} ({spread(values)}) |")
    lines.append(f"\nBundle: {per_item:.0f} us per item (validated whole, then queued as one job per item).")
    return Section(
        "Warm ingest handler (storage excluded)",
        [
            Figure(
                f"warm ingest handler per postback, storage excluded ({len(seeds)} examples)",
                f"median {median(singles):.0f} us (max {max(singles):.0f} us), {1e6 / median(singles):,.0f}/s",
            ),
            Figure("warm ingest handler per bundle item, storage excluded", f"{per_item:.0f} us"),
        ],
        "\n".join(lines),
    )
