"""API Gateway's stand-in: HTTP requests on werkzeug's server become proxy events for one function.

werkzeug parses the request (chunked bodies included) and enforces the payload limit; this module only
routes, builds the event and relays the function's answer.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from postbacks_local.lambda_events import POSTBACK_ROUTE, Route, api_gateway_event, proxy_response
from postbacks_local.runtime import LocalFunction

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

DEFAULT_PORT = 3000  # what `sam local start-api` uses, so habits carry over
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# Connection-level headers are the server's to set, not the function's.
_HOP_BY_HOP = frozenset({"content-length", "connection", "transfer-encoding"})
NO_ROUTE = "(no route)"  # what a request that matched no route is logged as

log = logging.getLogger("postbacks_local.api")


class _Answer(Response):
    # API Gateway adds no Content-Type the function did not set.
    default_mimetype = None


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are logged once by the emulator, with the route instead of the secret in the path."""


class ApiEmulator:
    """Serves the template's routes on host:port and invokes `function` for each request (an event source)."""

    def __init__(
        self,
        function: LocalFunction,
        routes: Sequence[Route] = (POSTBACK_ROUTE,),
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
    ):
        self.function = function
        self.routes = tuple(routes)
        self.server = make_server(host, port, self._serve, threaded=True, request_handler=_QuietRequestHandler)
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="api", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def postback_url(self, secret: str) -> str:
        return f"{self.url}/postbacks/{secret}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    def _serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self._answer(Request(environ))(environ, start_response)

    def _answer(self, request: Request) -> Response:
        started = time.monotonic()
        # The request target as sent: API Gateway passes the path still percent-encoded.
        target = str(request.environ.get("REQUEST_URI") or request.full_path)
        path = target.split("?", 1)[0]
        matched = next(
            ((route, params) for route in self.routes if (params := route.match(request.method, path)) is not None),
            None,
        )
        # Logs and answers show the route, never the path: it carries the secret, near misses too.
        shown = matched[0].resource if matched else NO_ROUTE
        # werkzeug stops a chunked body at the limit without an error: one byte more tells it was longer.
        request.max_content_length = MAX_REQUEST_BYTES + 1
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            body = None
        except BadRequest:  # a malformed chunked body, or a client gone mid-body
            return self._json(request, 400, {"message": "Bad Request"}, shown, close=True)
        if body is None or len(body) > MAX_REQUEST_BYTES:
            # The rest of the body is never read, so the connection cannot carry another request.
            return self._json(request, 413, {"message": "Request Too Long"}, shown, close=True)
        if matched is None:
            detail = "No route for this method and path: postbacks are POSTed to /postbacks/{secret}."
            return self._json(request, 404, {"error": "not_found", "detail": detail}, shown)
        route, params = matched
        event = api_gateway_event(
            method=request.method,
            target=target,
            headers=self._forwarded_headers(request),
            body=body,
            source_ip=str(request.remote_addr),
            route=route,
            path_parameters=params,
        )
        try:
            response = proxy_response(self.function.invoke(event))
        except Exception:  # noqa: BLE001 - any failure in the function is API Gateway's 502
            traceback.print_exc()
            return self._json(request, 502, {"message": "Internal server error"}, shown)
        headers = [(name, value) for name, value in response.headers if name.lower() not in _HOP_BY_HOP]
        log.info("%s %s -> %d (%.0f ms)", request.method, shown, response.status, (time.monotonic() - started) * 1000)
        return _Answer(response.body, status=response.status, headers=headers)

    def _forwarded_headers(self, request: Request) -> list[tuple[str, str]]:
        # API Gateway adds these; a function that logs the caller finds them where it would on AWS.
        headers = [(name, value) for name, value in request.headers.items() if name.lower() != "x-forwarded-for"]
        names = {name.lower() for name, _ in headers}
        forwarded_for = request.headers.get("X-Forwarded-For")
        client = str(request.remote_addr)
        headers.append(("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client))
        if "x-forwarded-proto" not in names:
            headers.append(("X-Forwarded-Proto", "http"))
        if "x-forwarded-port" not in names:
            headers.append(("X-Forwarded-Port", str(self.server.port)))
        return headers

    @staticmethod
    def _json(request: Request, status: int, payload: dict[str, Any], shown: str, *, close: bool = False) -> Response:
        log.info("%s %s -> %d", request.method, shown, status)
        answer = _Answer(json.dumps(payload).encode("utf-8"), status=status, mimetype="application/json")
        if close:
            answer.headers["Connection"] = "close"
        return answer
