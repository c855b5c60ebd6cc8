"""Run in a fresh interpreter: import a handler the way Lambda does, invoke it, write the figures as JSON.

    python -S probe.py cold OUT TARGET [FIRST]   TARGET: baseline, floor, ingest or worker; FIRST: a request (JSON)
    python -S probe.py warm OUT EVENTS ROUNDS    the ingest handler, its storage swapped for in-memory fakes

The parent runs it with `python -S` and sets the environment (see cold_start.py): nothing is loaded
before the clock starts but the interpreter's own modules and `os`/`resource`, so a handler and the
boto3 baseline are charged for everything they import. (No `from __future__` or `typing` here either.)
"""

import functools
import os
import resource
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Lambda's bootstrap sets this per invocation; with it the X-Ray recorder traces like a sampled request.
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


class _Context:
    """The attributes of Lambda's context object that Powertools reads."""

    function_version = "$LATEST"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_stream_name = "2026/01/01/[$LATEST]bench"

    def __init__(self) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


class _LayerOnly:
    """A meta path finder that hides the installed packages the layer does not ship (dev tools, test servers).

    The dev virtualenv holds more than the layer; an import that would fail on Lambda (or a module that
    Powertools' tracer would patch only because it is present) must fail here too.
    """

    def __init__(self, allowed: set[str], site_packages: str) -> None:
        from importlib.machinery import PathFinder

        self.allowed = allowed
        self.site_packages = [site_packages]
        self.path_finder = PathFinder

    def find_spec(self, name: str, path: "Any" = None, target: "Any" = None) -> None:
        # None lets the usual finders look; raising makes the package absent. Submodules follow their package.
        if path is not None or name in self.allowed or name in sys.stdlib_module_names:
            return
        if self.path_finder.find_spec(name, self.site_packages) is not None:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the layer)", name=name)


def _prepare(target: str) -> None:
    # Not this script's folder (a benchmark module could shadow a real one); site-packages as `site` would add it.
    sys.path[0:1] = []
    site_packages = os.environ["BENCH_SITE_PACKAGES"]
    sys.path.append(site_packages)
    allowed = os.environ.get("BENCH_LAYER_MODULES")
    if allowed:
        sys.meta_path.insert(0, _LayerOnly(set(allowed.split(",")), site_packages))
    layer = os.environ.get("BENCH_LAYER")
    if layer and target != "baseline":
        # The deployed layout (lambda_like.lambda_tree); /opt and /var/task are read-only: no bytecode is cached.
        sys.dont_write_bytecode = True
        function = os.environ.get("BENCH_FUNCTION")
        sys.path[:0] = [function, layer] if function else [layer]
    elif target in ("ingest", "worker"):
        code = os.environ["BENCH_CODE_ROOT"]
        # Lambda puts the function's folder first, then the layer (/opt/python).
        sys.path[:0] = [f"{code}/functions/{target}", f"{code}/layers/postbacks"]


def _read_json(path: str) -> "Any":
    import json

    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _write_json(path: str, figures: "dict[str, Any]") -> None:
    import json

    with open(path, "w", encoding="utf-8") as file:
        json.dump(figures, file)


def _peak_rss_kb() -> int:
    # VmHWM starts afresh at exec; ru_maxrss does not (Linux carries it over from the forking parent).
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _accepted(target: str, result: "Any") -> bool:
    if target == "ingest":
        return bool(result.get("statusCode") == 200)
    return result == {"batchItemFailures": []}


def _floor() -> "Any":
    """What the house requires of any handler: Powertools' resolver, logger and metrics, pydantic with one model.

    boto3 waits for the first request, as in the handlers: init holds the libraries alone.
    """
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from pydantic import BaseModel

    class Minimal(BaseModel):
        key: str

    Logger(service="floor")
    Metrics(namespace="floor")
    APIGatewayHttpResolver()

    def first(request: "dict[str, Any]") -> None:
        import boto3

        Minimal(key=request["Item"]["pk"]["S"])
        boto3.client("dynamodb").put_item(**request)

    return first


def cold(target: str, out: str, first_path: str | None) -> None:
    _prepare(target)
    started = time.perf_counter()
    if target == "baseline":
        import boto3

        client = boto3.client("dynamodb")
    elif target == "floor":
        floor_request = _floor()
    else:
        import importlib

        handler = importlib.import_module("app")
    init = time.perf_counter() - started
    figures: dict[str, Any] = {
        "init_s": init,
        "modules_at_init": len(sys.modules),
        "boto3_at_init": "boto3" in sys.modules,
        "botocore_client_at_init": "botocore.client" in sys.modules,
    }
    if first_path is not None:
        request = _read_json(first_path)
        os.environ["_X_AMZN_TRACE_ID"] = TRACE_HEADER
        started = time.perf_counter()
        if target == "baseline":
            client.put_item(**request)
            ok = True
        elif target == "floor":
            floor_request(request)
            ok = True
        else:
            result = handler.lambda_handler(request, _Context())
            ok = _accepted(target, result)
        figures["first_s"] = time.perf_counter() - started
        figures["ok"] = ok
        if not ok:
            figures["result"] = repr(result)[:2000]
    figures["max_rss_kb"] = _peak_rss_kb()
    figures["not_from_layer"] = _not_from_layer()
    _write_json(out, figures)


def _not_from_layer() -> "list[str]":
    """Layer packages that were imported from anywhere but the deployed layout under test (should be none)."""
    layer, allowed = os.environ.get("BENCH_LAYER"), os.environ.get("BENCH_LAYER_MODULES", "")
    if not layer:
        return []
    names = (set(allowed.split(",")) - set(os.environ.get("BENCH_RUNTIME_MODULES", "").split(","))) | {"postbacks"}
    files = {name: getattr(sys.modules[name], "__file__", None) or "" for name in names if name in sys.modules}
    return sorted(name for name, file in files.items() if not file.startswith(layer))


def warm(out: str, events_path: str, rounds: int) -> None:
    _prepare("ingest")
    import importlib

    handler = importlib.import_module("app")
    sys.path.insert(0, os.environ["BENCH_ROOT"])
    from tests.benchmarks.fakes import SECRET, in_memory_ingestor
    from tests.benchmarks.measure import interleaved

    # The handler looks both up by module global at each request: swapping them swaps the storage out.
    fake = in_memory_ingestor()
    handler.ingestor = lambda: fake
    handler.accepted_secrets = lambda _name: [SECRET]
    os.environ["_X_AMZN_TRACE_ID"] = TRACE_HEADER
    events: list[dict[str, Any]] = _read_json(events_path)
    context = _Context()

    def call(event: "dict[str, Any]") -> None:
        result = handler.lambda_handler(event, context)
        if result.get("statusCode") != 200:
            raise SystemExit(f"warm: {result}")

    calls = {entry["name"]: functools.partial(call, entry["event"]) for entry in events}
    samples = interleaved(calls, rounds)
    _write_json(out, {"per_call_s": samples, "max_rss_kb": _peak_rss_kb()})


if __name__ == "__main__":
    mode, out, *arguments = sys.argv[1:]
    if mode == "cold":
        cold(arguments[0], out, arguments[1] if len(arguments) > 1 else None)
    elif mode == "warm":
        warm(out, arguments[0], int(arguments[1]))
    else:
        raise SystemExit(__doc__)
