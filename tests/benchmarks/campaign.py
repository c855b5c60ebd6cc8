"""A campaign through the real ingest handler, counted on the wire: writes, write units and hot keys.

1,000 MMS MT messages from one shortcode and one MMS template id: each gets an N101, then an N102, or
for one message in ten an E102 without TIMESTAMP (as in the vendor's examples). Reported:
- DynamoDB write requests per postback, counted by the moto server while the handler ran;
- write units per postback, by DynamoDB's item-size rule applied to the stored items and to the entry
  each makes in each index (its projection + 100 B);
- the largest share of the campaign's postbacks on any one partition key of the table or of an index.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import boto3

from postbacks.storage import keys
from postbacks_cli.local_stacks import StackResources
from postbacks_local.stack_resources import create_stack_resources
from tests.benchmarks import dynamodb_requests
from tests.benchmarks.fakes import SECRET
from tests.benchmarks.measure import ROOT, Figure, Section, progress
from tests.benchmarks.wire import CountingMotoServer, Operation

MESSAGES = 1000
FAILING_EVERY = 10  # one message in ten ends in E102
SHORTCODE, MMS_ID = "60856", "39597"
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
MAX_SHARE = 0.02


def postback(n: int, code: str) -> bytes:
    status = {"N101": "Message Sent", "N102": "Message Sent/Delivered", "E102": "Message Sent/Rejected"}[code]
    # E102 comes without TIMESTAMP; N102 a few seconds after its N101.
    stamp = {
        "N101": "<TIMESTAMP>2026-11-22T10:00:00-05:00</TIMESTAMP>",
        "N102": "<TIMESTAMP>2026-11-22T10:00:07-05:00</TIMESTAMP>",
    }.get(code, "")
    return (
        f"<?xml version='1.0'?>\n<POSTBACK>\n  <ORIGIN>MMS_MT</ORIGIN>\n  <CODE>{code}</CODE>\n  <SENTAS>MMS</SENTAS>\n"
        f"  <STATUS>{status}</STATUS>\n  <MMSID>{MMS_ID}</MMSID>\n  <FROM>{SHORTCODE}</FROM>\n"
        f"  <TO>1650{n:07d}</TO>\n  <TRACKINGID>TU1TXzcampaign{n:06d}</TRACKINGID>\n  <SPID>0001570</SPID>\n"
        f"  {stamp}\n</POSTBACK>\n"
    ).encode()


def campaign() -> list[bytes]:
    first = [postback(n, "N101") for n in range(MESSAGES)]
    outcomes = [postback(n, "E102" if n % FAILING_EVERY == 0 else "N102") for n in range(MESSAGES)]
    return first + outcomes


def run(server: CountingMotoServer) -> Section:
    progress(f"campaign of {MESSAGES} messages (moto, on the wire)")
    resources = create_stack_resources(ROOT / "template.yaml", f"campaign-{uuid.uuid4().hex[:8]}", SECRET)
    scenario = dynamodb_requests.Scenario(server, resources)
    bodies = campaign()
    counted: Counter[Operation] = Counter()
    for body in bodies:
        status, requests = scenario.post(body)
        if status != 200:
            raise RuntimeError(f"campaign postback: HTTP {status}")
        counted += requests
    postbacks = len(bodies)
    writes = sum(n for (service, name), n in counted.items() if service == "dynamodb" and name in WRITES)
    items = _items(resources)
    indexes = dynamodb_requests.table_indexes(resources)
    units = {item["sk"]["S"]: dynamodb_requests.write_units_of(item, indexes).total for item in items}
    by_code = _units_by_code(items, units)
    share, where = _largest_share(items, indexes, postbacks)
    all_failing = max(Counter(keys.failure_bucket(f"m{n}", "2026-11-22") for n in range(MESSAGES)).values())
    figures = [
        Figure(
            "campaign: DynamoDB write requests per postback", f"{writes / postbacks:g}", "<= 1", writes <= postbacks
        ),
        Figure(
            "campaign: write units per postback (mean)",
            f"{sum(units.values()) / postbacks:.3g} WRU ({', '.join(f'{c} {u:g}' for c, u in by_code.items())})",
            "delivery receipt = 1",
            by_code.get("N102", 99) == 1,
        ),
        Figure(
            "campaign: largest share of its postbacks on one partition key",
            f"{share:.2%} ({where})",
            f"<= {MAX_SHARE:.0%}",
            share <= MAX_SHARE,
        ),
    ]
    detail = "\n".join(
        [
            f"`python -m tests.benchmarks.run --only campaign`: {MESSAGES} messages x (N101, then N102 or, one in "
            f"{FAILING_EVERY}, E102 without TIMESTAMP), one shortcode ({SHORTCODE}), one MMS id ({MMS_ID}), "
            f"{postbacks} postbacks through the ingest handler.",
            "",
            f"- write requests: {writes} for {postbacks} postbacks ({_describe(counted)})",
            f"- write units: {sum(units.values())} in all; per postback by code: "
            + ", ".join(f"{code} {value:g}" for code, value in by_code.items()),
            f"- largest share on one key: {share:.2%} ({where}); the shortcode and the MMS id key nothing",
            f"- if every message failed, the fullest failure shard would hold {all_failing} of {MESSAGES} failures "
            f"({all_failing / postbacks:.2%} of the campaign's postbacks)",
        ]
    )
    print(detail, flush=True)  # the three figures with the command that measured them
    return Section("A campaign: writes, write units, hot keys", figures, detail)


def _items(resources: StackResources) -> list[dict[str, Any]]:
    paginator = boto3.client("dynamodb").get_paginator("scan")
    return [item for page in paginator.paginate(TableName=resources.table_name) for item in page["Items"]]


def _units_by_code(items: list[dict[str, Any]], units: dict[str, int]) -> dict[str, float]:
    totals: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for item in items:
        code = item["code"]["S"]
        totals[code] += units[item["sk"]["S"]]
        counts[code] += 1
    return {code: totals[code] / counts[code] for code in sorted(counts)}


def _largest_share(items: list[dict[str, Any]], indexes: list[dict[str, Any]], postbacks: int) -> tuple[float, str]:
    """The fullest partition key of the table and of each index, as a share of the campaign's postbacks."""
    places: dict[str, Counter[str]] = {"table pk": Counter(item["pk"]["S"] for item in items)}
    for index in indexes:
        hash_key = next(key["AttributeName"] for key in index["KeySchema"] if key["KeyType"] == "HASH")
        places[index["IndexName"]] = Counter(item[hash_key]["S"] for item in items if hash_key in item)
    fullest = {name: counts.most_common(1)[0][1] for name, counts in places.items() if counts}
    name = max(fullest, key=lambda place: fullest[place])
    summary = ", ".join(f"{place} {count}" for place, count in fullest.items())
    return fullest[name] / postbacks, f"most on one key: {summary}"


def _describe(counted: Counter[Operation]) -> str:
    return ", ".join(f"{service} {name} {n}" for (service, name), n in sorted(counted.items())) or "none"
