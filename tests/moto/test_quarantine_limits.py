"""Kept bodies within S3's hard limits: a long Content-Type or detail is still a refusal (4xx), never a 503.

moto does not enforce S3's 2 KB user-metadata or 1,024-byte key limits, so these tests reach it through a
stand-in on the wire that refuses exactly as S3 does, sharing the moto server's state in this process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.exceptions import ClientError

from postbacks.storage.kept_metadata import MAX_KEY_BYTES, MAX_METADATA_BYTES, SIDECAR_SUFFIX
from postbacks.storage.quarantine import KeptBody, Quarantine
from postbacks_cli.local_stacks import StackResources
from tests.helpers import Invoke, free_port, kept_keys, post, reset_cached_settings

_META = "HTTP_X_AMZ_META_"
LONG_CONTENT_TYPE = "text/xml; charset=utf-8; note=" + "ü" * 1500  # 3,000+ bytes of UTF-8


def _refusal(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'.encode()
    )


def s3_limits(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """moto's WSGI app, refusing what S3 refuses: user metadata over 2 KB, keys over 1,024 bytes."""

    def checked(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        metadata = {k.removeprefix(_META): v for k, v in environ.items() if k.startswith(_META)}
        # WSGI hands header values over as latin-1 text: their bytes are what S3 counts.
        size = sum(len(k) + len(v.encode("latin-1")) for k, v in metadata.items())
        key = unquote(environ.get("PATH_INFO", "")).lstrip("/").partition("/")[2]
        refusal = None
        if size > MAX_METADATA_BYTES:
            refusal = _refusal("MetadataTooLarge", f"Your metadata headers exceed the maximum allowed size: {size}")
        elif len(key.encode()) > MAX_KEY_BYTES:
            refusal = _refusal("KeyTooLongError", "Your key is too long")
        if refusal is None:
            return app(environ, start_response)
        start_response("400 Bad Request", [("Content-Type", "application/xml"), ("Content-Length", str(len(refusal)))])
        return [refusal]

    return checked


@pytest.fixture(scope="module")
def limited_s3(moto_endpoint: str) -> Iterator[str]:
    """An S3 endpoint with S3's limits, in front of the same moto state as `moto_endpoint`."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    port = free_port()
    server = make_server("127.0.0.1", port, s3_limits(DomainDispatcherApplication(create_backend_app)), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def quarantine(stack: StackResources, limited_s3: str) -> Quarantine:
    return Quarantine(stack.bucket_name, boto3.client("s3", endpoint_url=limited_s3))


def test_the_stand_in_refuses_metadata_over_2_kb_as_s3_does(stack: StackResources, limited_s3: str) -> None:
    s3 = boto3.client("s3", endpoint_url=limited_s3)
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=stack.bucket_name, Key="quarantine/x", Body=b"", Metadata={"detail": "d" * 2100})
    assert raised.value.response["Error"]["Code"] == "MetadataTooLarge"


def test_long_content_type_and_detail_are_kept_and_read_back_whole(quarantine: Quarantine) -> None:
    kept = KeptBody(
        "malformed_xml", "not well-formed: " + "€" * 2000, LONG_CONTENT_TYPE, "req-long", "2026-12-01T10:00:00Z"
    )

    uri = quarantine.keep_rejected(b"<broken", kept)

    key = uri.split("/", 3)[3]
    listed = [item.key for item in quarantine.list_kept()]
    assert listed == [key]  # the sidecar is not a kept body
    described = quarantine.describe_kept(key)
    assert (described.content_type, described.detail) == (kept.content_type, kept.detail)
    raw, read = quarantine.read_kept(key)
    assert raw == b"<broken"
    assert read.cut == ("content-type", "detail")


def test_deleting_a_cut_body_removes_its_sidecar_too(quarantine: Quarantine, stack: StackResources) -> None:
    kept = KeptBody("malformed_xml", "refused", LONG_CONTENT_TYPE, "req-del", "2026-12-01T10:00:00Z")
    key = quarantine.keep_rejected(b"<broken", kept).split("/", 3)[3]
    assert kept_keys(stack, "quarantine/") == sorted([key, key + SIDECAR_SUFFIX])

    _, read = quarantine.read_kept(key)
    quarantine.delete_kept(key, read)

    assert kept_keys(stack, "quarantine/") == []


def test_refusal_with_a_long_content_type_is_a_4xx_and_kept(
    ingest: Invoke, stack: StackResources, limited_s3: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given S3 with its real limits behind the ingest function's S3 client
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", limited_s3)
    reset_cached_settings()

    status, answer = post(ingest, b"<POSTBACK><NOTIFICATION>", content_type=LONG_CONTENT_TYPE)

    assert (status, answer["error"]) == (400, "malformed_xml")
    (key,) = [key for key in kept_keys(stack, "quarantine/") if not key.endswith(SIDECAR_SUFFIX)]
    described = Quarantine(stack.bucket_name, boto3.client("s3")).describe_kept(key)
    assert described.content_type == LONG_CONTENT_TYPE
