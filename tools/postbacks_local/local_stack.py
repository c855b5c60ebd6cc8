"""Run the whole service on this machine: moto for AWS, a local API Gateway, and the queue's poller.

`python -m postbacks_local.local_stack` starts a moto server, creates the template's resources in it,
serves the template's routes through the API function, feeds each queue to its function and the table's
stream through the events function to a moto EventBridge bus (postbacks_local.stream_mapping), prints
`POSTBACK_URL=...` and `AWS_ENDPOINT_URL=...`, and runs until Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from postbacks_cli.local_stacks import LOCAL_STACK_NAME, StackResources, moto_client, resolve_region
from postbacks_local.analytics_delivery import analytics_deliveries
from postbacks_local.api import DEFAULT_PORT, ApiEmulator
from postbacks_local.runtime import EventSource, LocalRuntime, load_functions
from postbacks_local.sqs_poller import sqs_pollers
from postbacks_local.stack_resources import DEFAULT_TEMPLATE, create_stack_resources, local_names
from postbacks_local.stream_mapping import stream_mappings
from postbacks_local.template import Names, api_function, api_routes, load_template

ROOT = DEFAULT_TEMPLATE.parent

log = logging.getLogger("postbacks_local")

# Every event source beside the API: each reads the template and returns the sources it declares.
SourceFactory = Callable[[Mapping[str, Any], LocalRuntime, Names], Iterable[EventSource]]


def _queues(template: Mapping[str, Any], runtime: LocalRuntime, names: Names) -> Iterable[EventSource]:
    return sqs_pollers(template, runtime, names, moto_client("sqs", names.region))


SOURCES: tuple[SourceFactory, ...] = (_queues, stream_mappings, analytics_deliveries)


def build_runtime(
    resources: StackResources, template_path: Path = DEFAULT_TEMPLATE, *, host: str = "127.0.0.1", port: int = 0
) -> tuple[LocalRuntime, ApiEmulator]:
    """The template's functions on these resources, the API in front of one and every other source."""
    template = load_template(template_path)
    names = local_names(template, resources)
    runtime = LocalRuntime(load_functions(template, template_path.parent, names))
    api = ApiEmulator(runtime.function(api_function(template)), api_routes(template), host=host, port=port)
    runtime.add(api)  # first, so it stops taking requests before the pollers stop
    for factory in SOURCES:
        for source in factory(template, runtime, names):
            runtime.add(source)
    return runtime, api


def _use_local_aws(endpoint: str, region: str) -> None:
    # boto3 needs credentials to sign requests; moto accepts any.
    if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        os.environ["AWS_ACCESS_KEY_ID"] = "testing"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"  # noqa: S105 - moto's dummy credentials
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ["AWS_REGION"] = region  # what Lambda sets; Powertools reads it
    os.environ["AWS_ENDPOINT_URL"] = endpoint


def _stop_on_signals(stopping: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("local-stack: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request


def main() -> int:
    stopping = threading.Event()
    # Installed first, so Ctrl-C during start-up still ends in the clean shutdown below.
    _stop_on_signals(stopping)
    _log_to_stderr()

    from moto.server import ThreadedMotoServer

    region = resolve_region()
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    moto_port = int(os.environ.get("MOTO_PORT") or 0)
    if not _is_free(port):
        log.error("cannot listen on 127.0.0.1:%d (set PORT to a free port)", port)
        return 1
    if moto_port and not _is_free(moto_port):
        # ThreadedMotoServer.start() would wait forever for a server that failed to bind.
        log.error("cannot listen on 127.0.0.1:%d (set MOTO_PORT to a free port, or unset it)", moto_port)
        return 1
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    moto_host, moto_port = moto.get_host_and_port()
    endpoint = f"http://{moto_host}:{moto_port}"
    _use_local_aws(endpoint, region)

    runtime: LocalRuntime | None = None
    try:
        secret = os.environ.get("POSTBACK_SECRET") or secrets.token_urlsafe(24)
        resources = create_stack_resources(DEFAULT_TEMPLATE, LOCAL_STACK_NAME, secret, region)
        print(
            "local-stack: warning: MEDIA_ALLOW_LOOPBACK=true, the worker may fetch media from "
            "loopback and private addresses because this is a local stack",
            file=sys.stderr,
            flush=True,
        )
        try:
            runtime, api = build_runtime(resources, port=port)
        except OSError as error:
            log.error("cannot listen on 127.0.0.1:%d: %s (set PORT to a free port)", port, error)
            return 1
        runtime.start()

        print(f"POSTBACK_URL={api.postback_url(secret.split(',')[0])}", flush=True)
        print(f"AWS_ENDPOINT_URL={endpoint}", flush=True)
        while not stopping.wait(0.5):
            pass
        log.info("stopping")
        return 0
    finally:
        if runtime is not None:
            runtime.stop()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
