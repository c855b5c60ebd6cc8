"""Cold start: a fresh interpreter imports each handler as Lambda does, then serves one request.

Baseline, measured in the same rounds: `import boto3; boto3.client("dynamodb")` (then one PutItem),
the smallest thing a Python function that stores anything does. The floor is what the house requires of
any handler (Powertools' HTTP API resolver, logger and metrics; pydantic with one model) at init, then the
baseline's boto3, client and PutItem at the first request: no handler built on them can start faster.
Rounds interleave the four so the machine's noise falls on all of them; each ratio is the median of the
per-round ratios.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import sqs_event
from postbacks_local.sample_events import api_event
from tests.benchmarks.fakes import SECRET
from tests.benchmarks.lambda_like import lambda_tree, memory_mb, probe_environment, run_probe
from tests.benchmarks.measure import SEEDS, Figure, Section, median, progress, spread

# "ingest-uncompiled": the ingest handler on a layer without bytecode, as `sam build`'s pip builder made it.
TARGETS = ("baseline", "floor", "ingest", "worker", "ingest-uncompiled")
HANDLERS = ("ingest", "worker")
PROBED_AS = {"ingest-uncompiled": "ingest"}
BUDGET = 1.0  # handler init / baseline init
FIRST_REQUEST_BUDGET = 1.5  # handler init + first request / baseline init + one PutItem
# The first postback a new ingest environment serves, and the bundle item a new worker stores.
DLR_SEED = "001_mms_mt_n102_binary.xml"
DLR_TRACKING_ID = b"TU1TXzU5Nzg3OQ=="
MO_SEED = "004_sms_mo_n211.xml"


@dataclass
class ColdRuns:
    init_s: dict[str, list[float]] = field(default_factory=lambda: {target: [] for target in TARGETS})
    total_s: dict[str, list[float]] = field(default_factory=lambda: {target: [] for target in TARGETS})
    rss_kb: dict[str, list[int]] = field(default_factory=lambda: {target: [] for target in TARGETS})
    boto3_at_init: dict[str, bool] = field(default_factory=dict)

    def ratios(self, figures: dict[str, list[float]], target: str, against: str = "baseline") -> list[float]:
        return [ours / base for ours, base in zip(figures[target], figures[against], strict=True)]


def first_request(target: str, resources: StackResources, run: int) -> dict[str, Any]:
    """A request that stores something new, so every run does the full write path."""
    if target in ("baseline", "floor"):
        item = {"pk": {"S": f"bench:{target}:{run}"}, "sk": {"S": "MSG"}}
        return {"TableName": resources.table_name, "Item": item}
    if target in ("ingest", "ingest-uncompiled"):
        run += 100_000 if target == "ingest-uncompiled" else 0  # its own tracking ids: every write is new
        body = (SEEDS / DLR_SEED).read_bytes().replace(DLR_TRACKING_ID, f"BENCH{run:06d}".encode())
        return api_event(body, secret=SECRET, content_type="text/xml", request_id=f"bench-cold-{run}")
    from postbacks.domain import decoding, parsing
    from postbacks.domain.jobs import StoreJob, dump_job

    raw = (SEEDS / MO_SEED).read_bytes().replace(b"MYKEYCODE", f"BENCH{run:06d}".encode())
    (postback,) = parsing.parse(decoding.payload(raw, "text/xml")).postbacks
    body = dump_job(StoreJob(postback=postback, received_at="2026-01-01T00:00:00.000Z"))
    message = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": f"bench-{run}",
        "Body": body,
        "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),  # SQS's checksum of the body
        "Attributes": {"ApproximateReceiveCount": "1"},
    }
    queue_arn = f"arn:aws:sqs:{resources.region}:123456789012:{resources.queue_url.rsplit('/', 1)[-1]}"
    return sqs_event([message], queue_arn, resources.region)


def environments(resources: StackResources, endpoint: str, code_root: Path, folder: Path) -> dict[str, dict[str, str]]:
    """Each process's environment: the handlers and the floor run on the deployed layout, built afresh here."""
    compiled = lambda_tree(code_root, folder / "compiled")
    uncompiled = lambda_tree(code_root, folder / "uncompiled", compiled=False)
    trees = {
        "floor": {"BENCH_LAYER": compiled["layer"]},
        "ingest": {"BENCH_LAYER": compiled["layer"], "BENCH_FUNCTION": compiled["ingest"]},
        "worker": {"BENCH_LAYER": compiled["layer"], "BENCH_FUNCTION": compiled["worker"]},
        "ingest-uncompiled": {"BENCH_LAYER": uncompiled["layer"], "BENCH_FUNCTION": uncompiled["ingest"]},
    }
    return {
        target: probe_environment(PROBED_AS.get(target, target), resources, endpoint, code_root) | trees.get(target, {})
        for target in TARGETS
    }


def measure(resources: StackResources, endpoint: str, rounds: int, code_root: Path) -> ColdRuns:
    runs = ColdRuns()
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as folder:
        progress("cold start: building the deployed layout")
        environment = environments(resources, endpoint, code_root, Path(folder))
        for number in range(-1, rounds):  # round -1 warms the page cache and is not counted
            turn = number % len(TARGETS)
            order = TARGETS[turn:] + TARGETS[:turn]  # who goes first changes every round
            progress(f"cold start round {number + 2}/{rounds + 1}")
            for target in order:
                request = Path(folder) / f"{target}-{number}.json"
                request.write_text(json.dumps(first_request(target, resources, number + 1)))
                figures = run_probe("cold", [PROBED_AS.get(target, target), str(request)], environment[target])
                if not figures.get("ok"):
                    raise RuntimeError(f"{target}: the first request failed: {figures.get('result')}")
                if figures["not_from_layer"]:
                    raise RuntimeError(f"{target} imported {figures['not_from_layer']} from outside the layout")
                if number < 0:
                    continue
                runs.init_s[target].append(figures["init_s"])
                runs.total_s[target].append(figures["init_s"] + figures["first_s"])
                runs.rss_kb[target].append(figures["max_rss_kb"])
                runs.boto3_at_init[target] = figures["boto3_at_init"]
    return runs


def section(runs: ColdRuns, rounds: int) -> Section:
    figures = []
    lines = [
        f"Fresh `python -S` per run, {rounds} rounds, median (min-max) in ms; ratios are medians of per-round ratios.",
        "The handlers and the floor run on the deployed layout (`lambda_like.lambda_tree`: the layer compiled by",
        "`build_layer.compile_tree`, nothing writable, so no bytecode is cached); the baseline's boto3 is",
        "precompiled, as the Lambda runtime's is. `ingest-uncompiled` is the ingest handler on the layer without",
        "bytecode, as the runtime's pip build makes it.",
        "",
        "| process | import + init | / baseline | init + first request | / baseline | boto3 at init | peak RSS |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for target in TARGETS:
        init_ms = [value * 1000 for value in runs.init_s[target]]
        total_ms = [value * 1000 for value in runs.total_s[target]]
        rss_mb = median(runs.rss_kb[target]) / 1024
        init_ratio = median(runs.ratios(runs.init_s, target))
        total_ratio = median(runs.ratios(runs.total_s, target))
        name = {
            "baseline": "baseline: boto3 + DynamoDB client (+ 1 PutItem)",
            "floor": "floor: Powertools resolver, logger, metrics + pydantic; boto3 at first request",
            "ingest-uncompiled": "ingest handler, layer without bytecode",
        }.get(target, f"{target} handler")
        lines.append(
            f"| {name} | {median(init_ms):.0f} ({spread(init_ms)}) | {init_ratio:.2f}x "
            f"| {median(total_ms):.0f} ({spread(total_ms)}) | {total_ratio:.2f}x "
            f"| {'yes' if runs.boto3_at_init[target] else 'no'} | {rss_mb:.0f} MB |"
        )
        if target == "floor":
            figures.append(Figure("cold import + init, floor / baseline", f"{init_ratio:.2f}x: the required libraries"))
            figures.append(
                Figure("cold init + first request, floor / baseline + PutItem", f"{total_ratio:.2f}x: the same")
            )
        if target == "ingest-uncompiled":
            compiled = median(runs.ratios(runs.total_s, "ingest", target))
            figures.append(
                Figure("cold init + first request, ingest / ingest on a layer without bytecode", f"{compiled:.2f}x")
            )
        if target not in HANDLERS:
            continue
        figures.append(
            Figure(
                f"cold import + init, {target} / baseline",
                f"{init_ratio:.2f}x ({median(init_ms):.0f} ms vs {median(runs.init_s['baseline']) * 1000:.0f} ms)",
                f"<= {BUDGET:.1f}x",
                init_ratio <= BUDGET,
            )
        )
        figures.append(
            Figure(
                f"cold init + first request, {target} / baseline + PutItem",
                f"{total_ratio:.2f}x ({median(total_ms):.0f} ms vs {median(runs.total_s['baseline']) * 1000:.0f} ms)",
                f"<= {FIRST_REQUEST_BUDGET:.1f}x",
                total_ratio <= FIRST_REQUEST_BUDGET,
            )
        )
        figures.append(
            Figure(
                f"cold init + first request, {target} / floor",
                f"{median(runs.ratios(runs.total_s, target, 'floor')):.2f}x: what the handler adds to the floor",
            )
        )
        memory = memory_mb(target)
        figure = Figure(
            f"peak RSS, {target} (import + one request)", f"{rss_mb:.0f} MB", f"<= {memory} MB", rss_mb <= memory
        )
        figures.append(figure)
    return Section("Cold start", figures, "\n".join(lines))
