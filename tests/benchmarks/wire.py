"""A moto server that counts the AWS requests it receives, by service and operation: requests on the wire.

Counting at the server sees what the functions really send, retries included, whichever client sent it.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

from tests.helpers import free_port

Operation = tuple[str, str]  # (service, operation), e.g. ("dynamodb", "PutItem")

_TARGET_PREFIXES = {"DynamoDB_20120810": "dynamodb", "AmazonSQS": "sqs", "secretsmanager": "secretsmanager"}
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")


def operation_of(environ: dict[str, Any]) -> Operation:
    """Which AWS operation an HTTP request is, from what SigV4 clients put on the wire."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        prefix, _, name = target.partition(".")
        return _TARGET_PREFIXES.get(prefix, prefix.lower()), name
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(1) if scope else "unsigned"
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if service == "s3":
        return service, _s3_operation(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/"), query, environ)
    if "Action" not in query and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        # The query protocol puts Action in the body: read it, then hand the app an unread copy.
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        query = parse_qs(body.decode("utf-8", "replace"))
    return service, query.get("Action", [environ["REQUEST_METHOD"]])[0]


def _s3_operation(method: str, path: str, query: dict[str, list[str]], environ: dict[str, Any]) -> str:
    has_key = path.strip("/").count("/") >= 1
    if method == "PUT" and "partNumber" in query:
        return "UploadPart"
    if method == "PUT" and environ.get("HTTP_X_AMZ_COPY_SOURCE"):
        return "CopyObject"
    if method == "POST" and "uploads" in query:
        return "CreateMultipartUpload"
    if method == "POST" and "uploadId" in query:
        return "CompleteMultipartUpload"
    if method == "DELETE" and "uploadId" in query:
        return "AbortMultipartUpload"
    names = {"HEAD": "Head", "GET": "Get", "PUT": "Put", "DELETE": "Delete", "POST": "Post"}
    return f"{names.get(method, method)}{'Object' if has_key else 'Bucket'}"


class CountingMotoServer:
    """moto's WSGI app behind a counting middleware, served on 127.0.0.1 from a daemon thread."""

    def __init__(self) -> None:
        self._counts: Counter[Operation] = Counter()
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.endpoint = ""

    def __enter__(self) -> CountingMotoServer:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass  # the benchmark prints figures, not access logs

        moto_app = DomainDispatcherApplication(create_backend_app)

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            operation = operation_of(environ)
            with self._lock:
                self._counts[operation] += 1
            return moto_app(environ, start_response)  # type: ignore[no-any-return]

        port = free_port()
        self._server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.endpoint = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join()

    def snapshot(self) -> Counter[Operation]:
        with self._lock:
            return Counter(self._counts)

    @contextlib.contextmanager
    def counting(self) -> Iterator[Counter[Operation]]:
        """The requests received while the block runs (filled in when it ends)."""
        counted: Counter[Operation] = Counter()
        before = self.snapshot()
        try:
            yield counted
        finally:
            counted.update(self.snapshot() - before)
