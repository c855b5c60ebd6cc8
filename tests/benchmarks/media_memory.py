"""Peak memory of archiving one MMS file into S3 (boto3's transfer manager), at 20 MiB and at MediaMaxBytes.

Each archive runs alone in a child process, so moto's own memory and earlier runs do not count. The baseline
is one S3 part (PART_SIZE): streaming holds a bounded number of parts, whatever the file's size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from tests.benchmarks.measure import LAYER, ROOT, Figure, Section, progress

MiB = 1024 * 1024
# The template's MediaMaxBytes default.
MEDIA_MAX_BYTES = 104_857_600
# Two parts in flight at most (the one being read, the one S3 is sent); more means a copy grew with the file.
BUDGET_PARTS = 2.5

_CHILD = """
import json, re, sys, tracemalloc
import boto3
from postbacks.storage.media import FetchLimits, archive

def status_kib(field):
    return int(re.search(field + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))

args = json.loads(sys.argv[1])
s3 = boto3.client("s3", endpoint_url=args["endpoint"])
s3.head_bucket(Bucket=args["bucket"])  # the client's own first-request allocations are not the archive's
limits = FetchLimits(
    max_bytes=args["max_bytes"], connect_timeout=5, read_timeout=30, max_redirects=0, allow_loopback=True
)
open("/proc/self/clear_refs", "w").write("5")  # the kernel's RSS high-water mark restarts from here
rss_before = status_kib("VmRSS")
tracemalloc.start()
result = archive(args["url"], bucket=args["bucket"], key=args["key"], limits=limits, s3=s3)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
growth = (status_kib("VmHWM") - rss_before) * 1024
outcome = {"state": result.state, "size": result.size, "sha256": result.sha256}
print(json.dumps(outcome | {"peak": peak, "rss_growth": growth}))
"""


def measure(endpoint: str, url: str, bucket: str, size: int) -> dict[str, int | str]:
    """Archive `url` (`size` bytes) in a fresh process; its state, size, sha256, peak and RSS growth."""
    args = {"endpoint": endpoint, "url": url, "bucket": bucket, "key": f"media/bench/{size}", "max_bytes": size}
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(LAYER), str(ROOT / "tools")])}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(args)], capture_output=True, text=True, env=env, check=True
    )
    measured: dict[str, int | str] = json.loads(done.stdout)
    if (measured["state"], measured["size"]) != ("archived", size):
        raise RuntimeError(f"archive of {size} bytes ended {measured}")
    return measured


def run(endpoint: str) -> Section:
    import boto3

    from postbacks.storage.media import PART_SIZE
    from tests.moto.media_server import MediaServer

    bucket = f"bench-media-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    runs = [(20 * MiB, "content-length"), (MEDIA_MAX_BYTES, "content-length"), (MEDIA_MAX_BYTES, "chunked")]
    rows: dict[tuple[int, str], dict[str, int | str]] = {}
    with MediaServer() as server:
        for size, framing in runs:
            progress(f"media archive peak memory, {size / MiB:.0f} MiB, {framing}")
            url = server.url(f"/generated?size={size}&framing={framing}")
            rows[size, framing] = measure(endpoint, url, bucket, size)
    worst = max((row for (size, _), row in rows.items() if size == MEDIA_MAX_BYTES), key=lambda row: int(row["peak"]))
    peak_parts = int(worst["peak"]) / PART_SIZE
    lines = [
        f"`upload_fileobj` (s3transfer, no threads), parts of {PART_SIZE // MiB} MiB, body read from a local HTTP "
        "server; tracemalloc's peak, and the growth of the RSS high-water mark (VmHWM, reset before) across "
        "`archive()`. A chunked body is joined from its chunks, so one part briefly exists twice.",
        "",
        "| file | framing | peak traced | in parts | RSS growth |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for (size, framing), row in rows.items():
        peak = int(row["peak"])
        lines.append(
            f"| {size / MiB:.0f} MiB | {framing} | {peak / MiB:.1f} MiB | {peak / PART_SIZE:.2f} | "
            f"{int(row['rss_growth']) / MiB:.1f} MiB |"
        )
    return Section(
        "Media archive memory",
        [
            Figure(
                f"peak memory archiving {MEDIA_MAX_BYTES / MiB:.0f} MiB (MediaMaxBytes)",
                f"{int(worst['peak']) / MiB:.1f} MiB = {peak_parts:.2f} parts",
                f"<= {BUDGET_PARTS} parts",
                peak_parts <= BUDGET_PARTS,
            )
        ],
        "\n".join(lines),
    )
