"""Run the whole service on this machine: moto for AWS, a local API Gateway, and an SQS poller.

`python -m postbacks_local.local_stack` starts a moto server, creates the template's resources in it,
serves `POST /postbacks/{secret}` through the ingest function, feeds the work queue to the worker
function, prints `POSTBACK_URL=...` and `AWS_ENDPOINT_URL=...`, and runs until Ctrl-C.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from postbacks_cli.local_stacks import DEFAULT_REGION, LOCAL_STACK_NAME, StackResources, resolve_region
from postbacks_local.lambda_events import (
    POSTBACK_ROUTE,
    LambdaContext,
    Route,
    api_gateway_event,
    failed_message_ids,
    proxy_response,
    sqs_event,
)
from postbacks_local.stack_resources import DEFAULT_TEMPLATE, create_stack_resources, load_template

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

ROOT = DEFAULT_TEMPLATE.parent
DEFAULT_PORT = 3000  # what `sam local start-api` uses, so habits carry over
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
RECEIVE_WAIT_SECONDS = 1  # short long-polls keep shutdown quick

Handler = Callable[[dict[str, Any], LambdaContext], Any]

log = logging.getLogger("postbacks_local.local_stack")


# Both functions share this process, and Powertools keeps logger keys and pending metrics in state
# shared by every Logger/Metrics of one service: one invocation at a time keeps each one's own.
_INVOCATION_LOCK = threading.Lock()


@dataclass
class LocalFunction:
    """A handler run the way a Lambda execution environment runs it: one invocation at a time."""

    name: str
    handler: Handler
    region: str = DEFAULT_REGION
    timeout_seconds: float = 30.0
    memory_mb: int = 128

    def invoke(self, event: dict[str, Any]) -> Any:
        with _INVOCATION_LOCK:
            context = LambdaContext(
                function_name=self.name,
                region=self.region,
                memory_limit_in_mb=self.memory_mb,
                timeout_seconds=self.timeout_seconds,
            )
            return self.handler(event, context)


# --- the API ----------------------------------------------------------------------------------------


class _ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets a burst of connections; a front door queues them.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], function: LocalFunction, routes: Sequence[Route]):
        super().__init__(address, _ApiRequestHandler)
        self.function = function
        self.routes = routes


class _ApiRequestHandler(BaseHTTPRequestHandler):
    """Plays API Gateway: one request in, one proxy event to the ingest function, its answer out."""

    server: _ApiServer
    protocol_version = "HTTP/1.1"

    def do_request(self) -> None:
        started = time.monotonic()
        path = self.path.split("?", 1)[0]
        matched = next(
            (
                (route, params)
                for route in self.server.routes
                if (params := route.match(self.command, path)) is not None
            ),
            None,
        )
        # Logs show the route, never the secret the path carries.
        shown = matched[0].resource if matched else path
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send_json(400, {"message": "Bad Request"}, shown)
            return
        if body is None:
            self._send_json(413, {"message": "Request Too Long"}, shown)
            return
        if matched is None:
            self._send_json(404, {"error": "not_found", "detail": f"No route for {self.command} {path}."}, shown)
            return
        route, params = matched
        event = api_gateway_event(
            method=self.command,
            target=self.path,
            headers=self._forwarded_headers(),
            body=body,
            source_ip=self.client_address[0],
            route=route,
            path_parameters=params,
        )
        try:
            response = proxy_response(self.server.function.invoke(event))
        except Exception:  # noqa: BLE001 - any failure in the function is API Gateway's 502
            traceback.print_exc()
            self._send_json(502, {"message": "Internal server error"}, shown)
            return
        self._send(response.status, response.headers, response.body)
        elapsed = (time.monotonic() - started) * 1000
        log.info("%s %s -> %d (%.0f ms)", self.command, shown, response.status, elapsed)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_request

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is over API Gateway's limit (ValueError if unreadable)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            size = 0
            while (length := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                size += length
                if size > MAX_REQUEST_BYTES:
                    self.close_connection = True
                    return None
                chunks.append(self.rfile.read(length))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers end with an empty line
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def _forwarded_headers(self) -> list[tuple[str, str]]:
        # API Gateway adds these; a function that logs the caller finds them where it would on AWS.
        headers = [(name, value) for name, value in self.headers.items()]
        names = {name.lower() for name, _ in headers}
        forwarded_for = self.headers.get("X-Forwarded-For")
        client = self.client_address[0]
        headers = [(n, v) for n, v in headers if n.lower() != "x-forwarded-for"]
        headers.append(("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client))
        if "x-forwarded-proto" not in names:
            headers.append(("X-Forwarded-Proto", "http"))
        if "x-forwarded-port" not in names:
            headers.append(("X-Forwarded-Port", str(self.server.server_address[1])))
        return headers

    def _send_json(self, status: int, payload: dict[str, str], shown: str) -> None:
        body = json.dumps(payload).encode("utf-8")
        self._send(status, [("Content-Type", "application/json")], body)
        log.info("%s %s -> %d", self.command, shown, status)

    def _send(self, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are logged once by do_request, without the secret in the path."""


# --- the worker's event source ----------------------------------------------------------------------


class QueuePoller:
    """Lambda's SQS event source mapping with ReportBatchItemFailures, for one queue and function."""

    def __init__(self, sqs: SQSClient, queue_url: str, function: LocalFunction, batch_size: int):
        self.sqs = sqs
        self.queue_url = queue_url
        self.function = function
        self.batch_size = max(1, min(batch_size, 10))  # one receive_message returns at most 10
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqs-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=RECEIVE_WAIT_SECONDS + 10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as error:  # noqa: BLE001 - a poller outlives a bad receive, as on AWS
                log.warning("worker: polling %s failed: %s", self.queue_url, error)
                self._stop.wait(1)

    def poll_once(self, wait_seconds: int = RECEIVE_WAIT_SECONDS) -> int:
        """Receive one batch, invoke the function, delete what succeeded; returns the batch size."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        ids = [message["MessageId"] for message in messages]
        event = sqs_event(messages, self.queue_arn, self.function.region)
        try:
            result = self.function.invoke(event)
        except Exception:  # noqa: BLE001 - a raising handler fails the whole batch, as on AWS
            traceback.print_exc()
            log.info("worker: %d messages, the handler raised; all left for retry", len(ids))
            return len(messages)
        failed = failed_message_ids(result, ids)
        # What is not deleted comes back after the visibility timeout, and redrives to the DLQ.
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:  # at most batch_size (<= 10) messages: one batch call
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        log.info("worker: %d messages, %d failed", len(ids), len(failed))
        return len(messages)


# --- the stack --------------------------------------------------------------------------------------


class LocalStack:
    """The API server and the queue poller in front of the two functions."""

    def __init__(
        self,
        resources: StackResources,
        ingest: LocalFunction,
        worker: LocalFunction,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        routes: Sequence[Route] = (POSTBACK_ROUTE,),
        sqs: SQSClient | None = None,
    ):
        import boto3

        self.resources = resources
        self.api = _ApiServer((host, port), ingest, routes)
        client = sqs or boto3.session.Session().client("sqs", region_name=resources.region)
        self.poller = QueuePoller(client, resources.queue_url, worker, resources.worker_batch_size)
        self._api_thread = threading.Thread(
            target=self.api.serve_forever, kwargs={"poll_interval": 0.2}, name="api", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.api.server_address[:2]
        return f"http://{host!s}:{port}"

    def postback_url(self, secret: str) -> str:
        return f"{self.url}/postbacks/{secret}"

    def start(self, poll: bool = True) -> None:
        self._api_thread.start()
        if poll:
            self.poller.start()

    def stop(self) -> None:
        self.poller.stop()
        if self._api_thread.is_alive():
            self.api.shutdown()
        self.api.server_close()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


# --- wiring it to the template and the code ---------------------------------------------------------


def load_handler(path: Path, module_name: str) -> Handler:
    """Import a function's `lambda_handler` from its file, as Lambda does from /var/task."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    handler: Handler = module.lambda_handler
    return handler


@dataclass(frozen=True)
class FunctionSettings:
    name: str
    timeout_seconds: float
    memory_mb: int


def _function_settings(template: dict[str, Any], event_type: str, fallback: str) -> FunctionSettings:
    """Name, timeout and memory of the template's function triggered by `event_type` events."""
    defaults = (template.get("Globals") or {}).get("Function") or {}
    for name, body in template["Resources"].items():
        properties = body.get("Properties") or {}
        events = (properties.get("Events") or {}).values()
        if body.get("Type") == "AWS::Serverless::Function" and any(e.get("Type") == event_type for e in events):
            timeout = properties.get("Timeout", defaults.get("Timeout", 3))
            memory = properties.get("MemorySize", defaults.get("MemorySize", 128))
            return FunctionSettings(
                name=name,
                timeout_seconds=float(timeout) if isinstance(timeout, int | float) else 30.0,
                memory_mb=int(memory) if isinstance(memory, int) else 128,
            )
    return FunctionSettings(name=fallback, timeout_seconds=30.0, memory_mb=128)


def api_routes(template: dict[str, Any]) -> list[Route]:
    """The REST API routes the template's Api events declare (POST /postbacks/{secret} if none)."""
    methods: dict[str, set[str]] = {}
    for body in template["Resources"].values():
        for event in ((body.get("Properties") or {}).get("Events") or {}).values():
            properties = event.get("Properties") or {}
            if event.get("Type") == "Api" and isinstance(properties.get("Path"), str):
                method = str(properties.get("Method", "any")).upper()
                methods.setdefault(properties["Path"], set()).add(method)
    return [Route(path, frozenset(m)) for path, m in methods.items()] or [POSTBACK_ROUTE]


def _use_local_aws(endpoint: str, region: str) -> None:
    # boto3 needs credentials to sign requests; moto accepts any.
    if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        os.environ["AWS_ACCESS_KEY_ID"] = "testing"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"  # noqa: S105 - moto's dummy credentials
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ["AWS_REGION"] = region  # what Lambda sets; Powertools reads it
    os.environ["AWS_ENDPOINT_URL"] = endpoint


def _set_function_environment(resources: StackResources) -> None:
    os.environ.update(resources.function_environment())
    os.environ["MEDIA_ALLOW_LOOPBACK"] = "true"
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "postbacks")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Postbacks")


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


def _local_function(
    template: dict[str, Any], folder: str, module_name: str, event_type: str, region: str
) -> LocalFunction:
    settings = _function_settings(template, event_type, fallback=f"{folder}-function")
    return LocalFunction(
        name=settings.name,
        handler=load_handler(ROOT / "functions" / folder / "app.py", module_name),
        region=region,
        timeout_seconds=settings.timeout_seconds,
        memory_mb=settings.memory_mb,
    )


def main() -> int:
    stopping = threading.Event()
    # Installed first, so Ctrl-C during start-up still ends in the clean shutdown below.
    _stop_on_signals(stopping)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("local-stack: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request

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

    stack: LocalStack | None = None
    try:
        template = load_template(DEFAULT_TEMPLATE)
        secret = os.environ.get("POSTBACK_SECRET") or secrets.token_urlsafe(24)
        resources = create_stack_resources(DEFAULT_TEMPLATE, LOCAL_STACK_NAME, secret, region)
        _set_function_environment(resources)
        print(
            "local-stack: warning: MEDIA_ALLOW_LOOPBACK=true, the worker may fetch media from "
            "loopback and private addresses because this is a local stack",
            file=sys.stderr,
            flush=True,
        )

        # The layer's code is importable the way Lambda's /opt/python makes it.
        layer = str(ROOT / "layers" / "postbacks")
        if layer not in sys.path:
            sys.path.insert(0, layer)
        ingest = _local_function(template, "ingest", "ingest_app", "Api", region)
        worker = _local_function(template, "worker", "worker_app", "SQS", region)
        try:
            stack = LocalStack(resources, ingest, worker, port=port, routes=api_routes(template))
        except OSError as error:
            log.error("cannot listen on 127.0.0.1:%d: %s (set PORT to a free port)", port, error)
            return 1
        stack.start()

        print(f"POSTBACK_URL={stack.postback_url(secret.split(',')[0])}", flush=True)
        print(f"AWS_ENDPOINT_URL={endpoint}", flush=True)
        while not stopping.wait(0.5):
            pass
        log.info("stopping")
        return 0
    finally:
        if stack is not None:
            stack.stop()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
