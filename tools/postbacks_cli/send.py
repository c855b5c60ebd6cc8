"""`send`: POST sample postbacks to a postback URL the way the vendor does, and print each answer.

A file is an HTTP API payload 2.0 event (`events/*.json`: its `body` is sent) or a raw body (`.xml`, a JSON
postback, a vendor example). `--form` picks the wire format: `raw` (the body as is: XML as text/xml,
JSON as application/json, an event with its own Content-Type), `xml` (an `xml=` form field,
percent-encoded), or `json` (application/json; JSON postbacks only).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit, urlunsplit

from postbacks_cli import output
from postbacks_cli.bodies import decode_body
from postbacks_cli.output import Exit

FORMS = ("raw", "xml", "json")
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_USER_AGENT = "postbacks-send/1"


class SendError(Exception):
    """A file or URL we cannot use: a usage error, nothing was sent for it."""


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    body: bytes
    content_type: str


def load(path: Path) -> Sample:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SendError(f"cannot read {path}: {error.strerror}") from error
    event = _api_gateway_event(raw) if path.suffix == ".json" else None
    if event is None:
        return Sample(str(path), raw, _sniffed_type(raw))
    body = event.get("body") or ""
    data = decode_body(str(body), bool(event.get("isBase64Encoded")))
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    return Sample(str(path), data, headers.get("content-type") or _sniffed_type(data))


def _api_gateway_event(raw: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(raw)
    except ValueError:
        return None
    if isinstance(document, dict) and document.get("version") == "2.0" and "requestContext" in document:
        return document
    return None


def _sniffed_type(data: bytes) -> str:
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"{", b"["):
        return "application/json"
    if data.lstrip().lower().startswith(b"xml="):
        return FORM_CONTENT_TYPE
    return "text/xml"


def wire(sample: Sample, form: str) -> tuple[bytes, str]:
    """The bytes and Content-Type to post for `sample` in the chosen form."""
    if form == "raw":
        return sample.body, sample.content_type
    if form == "xml":
        if sample.content_type == FORM_CONTENT_TYPE:
            return sample.body, FORM_CONTENT_TYPE  # already a form body
        return b"xml=" + quote_plus(sample.body).encode("ascii"), FORM_CONTENT_TYPE
    if _sniffed_type(sample.body) != "application/json":
        raise SendError(f"{sample.name} is not JSON: --form json posts JSON postbacks only (try --form raw or xml)")
    return sample.body, "application/json"


def post(url: str, body: bytes, content_type: str, timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s) in run()
        url, data=body, method="POST", headers={"Content-Type": content_type, "User-Agent": _USER_AGENT}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - see above
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read().decode("utf-8", "replace")


def shown_url(url: str) -> str:
    """The URL without its secret (the last path segment), for printing."""
    parts = urlsplit(url)
    head, _, secret = parts.path.rstrip("/").rpartition("/")
    path = f"{head}/<secret>" if secret else parts.path
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def run(files: list[Path], url: str | None, form: str, timeout: float) -> int:
    if not url:
        output.error("send needs --url (or POSTBACK_URL, which `make run` prints)")
        return Exit.USAGE
    if urlsplit(url).scheme not in ("http", "https"):
        output.error(f"--url {shown_url(url)} is not an http(s) URL")
        return Exit.USAGE
    try:
        prepared = [(sample, *wire(sample, form)) for sample in map(load, files)]
    except SendError as error:
        output.error(str(error))
        return Exit.USAGE
    print(f"POST {shown_url(url)} ({form})")
    failed = 0
    for sample, body, content_type in prepared:
        try:
            status, answer = post(url, body, content_type, timeout)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            output.error(f"{shown_url(url)} unreachable ({reason}): is `make run` up, or the stack deployed?")
            return Exit.USAGE
        failed += not 200 <= status < 300
        output.line(sample.name, status, answer.strip(), sep="  ")
    if failed:
        print(f"{failed} of {len(prepared)} not accepted")
    return Exit.FAILED if failed else Exit.OK
