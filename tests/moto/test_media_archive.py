"""MMS media archive: a real HTTP server on 127.0.0.1 streams into S3 on moto's HTTP endpoint."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from postbacks.outbound import pinned
from postbacks.outbound.deadline import Deadline
from postbacks.storage.media import PART_SIZE, DeadlineExceeded, FetchLimits, FileState, TransientFetchError, archive
from postbacks.storage.store import PostbackStore
from postbacks_cli.local_stacks import StackResources
from postbacks_local.lambda_events import LambdaContext
from tests import helpers
from tests.helpers import Invoke, free_port, load_function
from tests.moto.media_server import SLOW_SECONDS, SMALL_BODY, MediaServer, generated, self_signed_certificate
from tests.queue_drain import deliver_once

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
LOCAL = FetchLimits(max_bytes=64 * MiB, connect_timeout=2.0, read_timeout=5.0, max_redirects=3, allow_loopback=True)
INTERNET = FetchLimits(max_bytes=64 * MiB, connect_timeout=2.0, read_timeout=5.0, max_redirects=3, allow_loopback=False)


@pytest.fixture(scope="module")
def media() -> Iterator[MediaServer]:
    with MediaServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _forget_hits(media: MediaServer) -> None:
    media.hits.clear()
    media.host_headers.clear()


@pytest.fixture
def s3(moto_endpoint: str) -> S3Client:
    return boto3.client("s3", endpoint_url=moto_endpoint)


@pytest.fixture
def s3_calls(s3: S3Client) -> list[str]:
    """The S3 operations the client makes, in order."""
    calls: list[str] = []
    s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    return calls


@pytest.fixture
def bucket(s3: S3Client) -> str:
    name = f"media-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def keys_in(s3: S3Client, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def open_uploads(s3: S3Client, bucket: str) -> list[str]:
    return [upload["Key"] for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def generated_sha256(size: int) -> str:
    digest = hashlib.sha256()
    for block in generated(size):
        digest.update(block)
    return digest.hexdigest()


# --- files that arrive -----------------------------------------------------------------------------------


def test_small_file_is_archived_with_its_bytes_sha256_and_metadata(
    media: MediaServer, s3: S3Client, bucket: str, s3_calls: list[str]
) -> None:
    url = media.url("/small.gif")
    result = archive(url, bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    sha256 = hashlib.sha256(SMALL_BODY).hexdigest()
    assert result.state is FileState.ARCHIVED
    assert (result.s3_uri, result.size, result.sha256) == (f"s3://{bucket}/media/k/000", len(SMALL_BODY), sha256)
    assert result.content_type == "image/gif"
    stored = s3.get_object(Bucket=bucket, Key="media/k/000")
    assert stored["Body"].read() == SMALL_BODY
    assert stored["ContentType"] == "image/gif"
    assert stored["Metadata"] == {"source-url": url, "sha256": sha256, "size": str(len(SMALL_BODY))}
    assert s3_calls[:2] == ["HeadObject", "PutObject"]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_20_mib_file_is_streamed_in_parts_and_keeps_its_sha256(
    media: MediaServer, s3: S3Client, moto_endpoint: str, bucket: str, s3_calls: list[str], framing: str
) -> None:
    size = 20 * MiB
    url = media.url(f"/generated?size={size}&framing={framing}")
    result = archive(url, bucket=bucket, key="media/big/000", limits=LOCAL, s3=s3)

    expected = generated_sha256(size)
    assert (result.state, result.size, result.sha256) == (FileState.ARCHIVED, size, expected)
    head = s3.head_object(Bucket=bucket, Key="media/big/000")
    assert head["ContentLength"] == size
    assert head["ContentType"] == "video/mp4"
    # The copy onto itself put the digest that was only known at the end into the metadata.
    assert head["Metadata"] == {"source-url": url, "sha256": expected, "size": str(size)}
    stored = hashlib.sha256()
    # moto reports the composite CRC32 of the parts without S3's "-<parts>" suffix: botocore must not check it.
    reader = boto3.client("s3", endpoint_url=moto_endpoint, config=Config(response_checksum_validation="when_required"))
    for chunk in reader.get_object(Bucket=bucket, Key="media/big/000")["Body"].iter_chunks(MiB):
        stored.update(chunk)
    assert stored.hexdigest() == expected
    parts = -(-size // PART_SIZE)
    assert s3_calls[: 4 + parts] == [
        "HeadObject",
        "CreateMultipartUpload",
        *["UploadPart"] * parts,
        "CompleteMultipartUpload",
        "CopyObject",
    ]
    assert open_uploads(s3, bucket) == []


_MEASURE_PEAK = """
import json, sys, tracemalloc
import boto3
from postbacks.storage.media import FetchLimits, archive
args = json.loads(sys.argv[1])
s3 = boto3.client("s3", endpoint_url=args["endpoint"])
tracemalloc.start()
result = archive(args["url"], bucket=args["bucket"], key=args["key"], limits=FetchLimits(**args["limits"]), s3=s3)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({"state": result.state, "sha256": result.sha256, "peak": peak}))
"""


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_streaming_holds_parts_not_the_file(media: MediaServer, moto_endpoint: str, bucket: str, framing: str) -> None:
    # Given a three-part file; when archive() runs alone in a child process (moto's own memory would count here)
    size = 3 * PART_SIZE
    args = {
        "endpoint": moto_endpoint,
        "url": media.url(f"/generated?size={size}&framing={framing}"),
        "bucket": bucket,
        "key": "media/peak/000",
        "limits": {"max_bytes": 64 * MiB, "connect_timeout": 2.0, "read_timeout": 5.0, "max_redirects": 0}
        | {"allow_loopback": True},
    }
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "postbacks"), str(ROOT / "tools")])}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE_PEAK, json.dumps(args)], capture_output=True, text=True, env=env, check=True
    )
    measured = json.loads(done.stdout)

    print(f"peak traced memory streaming {size // MiB} MiB ({framing}): {measured['peak'] / MiB:.2f} MiB")
    assert (measured["state"], measured["sha256"]) == ("archived", generated_sha256(size))
    # Then at most the part being read and the part being sent are held (make bench measures MediaMaxBytes)
    assert measured["peak"] < 2.5 * PART_SIZE < size


def test_redirect_is_followed_to_the_file(media: MediaServer, s3: S3Client, bucket: str) -> None:
    url = media.url("/redirect?code=301&to=/small.gif")
    result = archive(url, bucket=bucket, key="media/r/000", limits=LOCAL, s3=s3)

    assert result.state is FileState.ARCHIVED
    assert result.url == url
    assert media.hits == ["/redirect?code=301&to=/small.gif", "/small.gif"]
    assert s3.get_object(Bucket=bucket, Key="media/r/000")["Body"].read() == SMALL_BODY


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), "localhost")


@pytest.fixture(scope="module")
def tls_server(certificate: Path) -> Iterator[MediaServer]:
    with MediaServer(certificate) as server:
        yield server


@pytest.fixture
def tls_media(tls_server: MediaServer) -> MediaServer:
    tls_server.hits.clear()
    return tls_server


@pytest.fixture
def trusted(certificate: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test certificate is the only trusted CA, read the way the default context reads one."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    pinned.tls_context.cache_clear()
    yield
    pinned.tls_context.cache_clear()


@pytest.mark.usefixtures("trusted")
def test_https_is_archived_when_the_certificate_names_the_url_host(
    tls_media: MediaServer, s3: S3Client, bucket: str
) -> None:
    # Given a certificate for "localhost"; the connection goes to the checked 127.0.0.1, TLS still names localhost
    result = archive(tls_media.url("/small.gif", host="localhost"), bucket=bucket, key="k", limits=LOCAL, s3=s3)

    assert result.state is FileState.ARCHIVED
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == SMALL_BODY


@pytest.mark.usefixtures("trusted")
def test_https_certificate_for_another_host_is_failed(tls_media: MediaServer, s3: S3Client, bucket: str) -> None:
    result = archive(tls_media.url("/small.gif", host="127.0.0.1"), bucket=bucket, key="k", limits=LOCAL, s3=s3)

    assert result.state is FileState.FAILED
    assert "does not verify" in result.detail
    assert tls_media.hits == []


def test_https_untrusted_certificate_is_failed(tls_media: MediaServer, s3: S3Client, bucket: str) -> None:
    pinned.tls_context.cache_clear()
    result = archive(tls_media.url("/small.gif", host="localhost"), bucket=bucket, key="k", limits=LOCAL, s3=s3)

    assert result.state is FileState.FAILED
    assert "does not verify" in result.detail
    assert tls_media.hits == []


# --- retries and idempotency -------------------------------------------------------------------------------


def test_second_archive_of_same_url_and_key_does_not_refetch(
    media: MediaServer, s3: S3Client, bucket: str, s3_calls: list[str]
) -> None:
    url = media.url("/small.gif")
    first = archive(url, bucket=bucket, key="media/k/001", limits=LOCAL, s3=s3)
    s3_calls.clear()

    again = archive(url, bucket=bucket, key="media/k/001", limits=LOCAL, s3=s3)

    assert media.hits == ["/small.gif"]
    assert s3_calls == ["HeadObject"]
    assert again.state is FileState.ARCHIVED
    assert (again.s3_uri, again.size, again.sha256, again.content_type) == (
        first.s3_uri,
        first.size,
        first.sha256,
        first.content_type,
    )
    assert keys_in(s3, bucket) == ["media/k/001"]


def test_object_at_key_from_another_url_is_fetched_again(media: MediaServer, s3: S3Client, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket, Key="media/k/002", Body=b"old", Metadata={"source-url": "http://elsewhere/", "sha256": "0"}
    )

    result = archive(media.url("/small.gif"), bucket=bucket, key="media/k/002", limits=LOCAL, s3=s3)

    assert result.state is FileState.ARCHIVED
    assert media.hits == ["/small.gif"]
    assert s3.get_object(Bucket=bucket, Key="media/k/002")["Body"].read() == SMALL_BODY


# --- answers that will not change ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [404, 410])
def test_missing_file_is_not_found(media: MediaServer, s3: S3Client, bucket: str, code: int) -> None:
    result = archive(media.url(f"/status?code={code}"), bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    assert result.state is FileState.NOT_FOUND
    assert result.detail == f"HTTP {code}"
    assert keys_in(s3, bucket) == []


@pytest.mark.parametrize("code", [400, 401, 403, 451])
def test_other_client_error_is_failed(media: MediaServer, s3: S3Client, bucket: str, code: int) -> None:
    result = archive(media.url(f"/status?code={code}"), bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    assert result.state is FileState.FAILED
    assert result.detail == f"HTTP {code}"


def test_too_many_redirects_is_failed_after_the_limit(media: MediaServer, s3: S3Client, bucket: str) -> None:
    result = archive(media.url("/loop"), bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    assert result.state is FileState.FAILED
    assert "more than 3 redirects" in result.detail
    assert len(media.hits) == 1 + LOCAL.max_redirects


def test_no_redirect_allowed_fails_on_the_first(media: MediaServer, s3: S3Client, bucket: str) -> None:
    limits = FetchLimits(max_bytes=MiB, connect_timeout=2.0, read_timeout=5.0, max_redirects=0, allow_loopback=True)
    result = archive(media.url("/redirect?to=/small.gif"), bucket=bucket, key="media/k/000", limits=limits, s3=s3)

    assert result.state is FileState.FAILED
    assert media.hits == ["/redirect?to=/small.gif"]


# --- answers worth retrying ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503, 429])
def test_server_error_raises_transient(media: MediaServer, s3: S3Client, bucket: str, code: int) -> None:
    with pytest.raises(TransientFetchError, match=f"HTTP {code}"):
        archive(media.url(f"/status?code={code}"), bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)
    assert keys_in(s3, bucket) == []


def test_server_slower_than_read_timeout_raises_transient(media: MediaServer, s3: S3Client, bucket: str) -> None:
    limits = FetchLimits(max_bytes=MiB, connect_timeout=2.0, read_timeout=0.3, max_redirects=0, allow_loopback=True)
    assert limits.read_timeout < SLOW_SECONDS

    with pytest.raises(TransientFetchError, match="timed out") as raised:
        archive(media.url("/slow"), bucket=bucket, key="media/k/000", limits=limits, s3=s3)
    assert isinstance(raised.value.__cause__, TimeoutError)
    assert keys_in(s3, bucket) == []


def test_refused_connection_raises_transient(s3: S3Client, bucket: str) -> None:
    # Given a port nobody listens on
    port = free_port()
    with pytest.raises(TransientFetchError) as raised:
        archive(f"http://127.0.0.1:{port}/x", bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)


def test_body_cut_short_of_its_content_length_raises_transient(media: MediaServer, s3: S3Client, bucket: str) -> None:
    with pytest.raises(TransientFetchError, match="500 of 1000 bytes"):
        archive(media.url("/truncated"), bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)
    assert keys_in(s3, bucket) == []


def test_s3_failure_raises_transient_with_the_client_error_as_cause(media: MediaServer, s3: S3Client) -> None:
    missing_bucket = f"absent-{uuid.uuid4().hex[:12]}"

    with pytest.raises(TransientFetchError) as raised:
        archive(media.url("/small.gif"), bucket=missing_bucket, key="media/k/000", limits=LOCAL, s3=s3)
    assert isinstance(raised.value.__cause__, ClientError)


def test_s3_failure_mid_multipart_aborts_the_upload(media: MediaServer, s3: S3Client, bucket: str) -> None:
    def fail_second_part(params: dict[str, Any], **_: Any) -> None:
        if params["PartNumber"] == 2:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "UploadPart")

    s3.meta.events.register("before-parameter-build.s3.UploadPart", fail_second_part)

    with pytest.raises(TransientFetchError, match="injected"):
        archive(media.url(f"/generated?size={20 * MiB}"), bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)
    assert open_uploads(s3, bucket) == []
    assert keys_in(s3, bucket) == []


# --- too large -------------------------------------------------------------------------------------------------


def test_declared_length_over_limit_is_too_large_without_reading(media: MediaServer, s3: S3Client, bucket: str) -> None:
    limits = FetchLimits(max_bytes=MiB, connect_timeout=2.0, read_timeout=5.0, max_redirects=0, allow_loopback=True)
    result = archive(media.url("/claims-huge"), bucket=bucket, key="media/k/000", limits=limits, s3=s3)

    assert result.state is FileState.TOO_LARGE
    assert "Content-Length 1000000000000" in result.detail
    assert keys_in(s3, bucket) == []


@pytest.mark.parametrize(
    ("size", "max_bytes"),
    [(5000, 4999), (20 * MiB, 10 * MiB)],
    ids=["within-first-part", "after-multipart-began"],
)
def test_streamed_body_over_limit_is_too_large_and_leaves_nothing(
    media: MediaServer, s3: S3Client, bucket: str, size: int, max_bytes: int
) -> None:
    # Given no Content-Length (chunked), so only counting the bytes can tell
    limits = FetchLimits(
        max_bytes=max_bytes, connect_timeout=2.0, read_timeout=5.0, max_redirects=0, allow_loopback=True
    )
    url = media.url(f"/generated?size={size}&framing=chunked")
    result = archive(url, bucket=bucket, key="media/k/000", limits=limits, s3=s3)

    assert result.state is FileState.TOO_LARGE
    assert result.detail == f"body exceeds {max_bytes} bytes"
    assert keys_in(s3, bucket) == []
    assert open_uploads(s3, bucket) == []


def test_body_exactly_at_the_limit_is_archived(media: MediaServer, s3: S3Client, bucket: str) -> None:
    limits = FetchLimits(max_bytes=5000, connect_timeout=2.0, read_timeout=5.0, max_redirects=0, allow_loopback=True)
    result = archive(media.url("/generated?size=5000&framing=chunked"), bucket=bucket, key="k", limits=limits, s3=s3)

    assert (result.state, result.size) == (FileState.ARCHIVED, 5000)


# --- refused before any connection -----------------------------------------------------------------------------


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address any socket in this process connects to while the test runs."""
    seen: list[Any] = []
    real_connect = socket.socket.connect

    def spy(sock: socket.socket, address: Any) -> None:
        seen.append(address)
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    return seen


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://10.0.0.8/media.jpg",
    ],
)
def test_url_on_a_metadata_or_private_address_is_refused_even_with_loopback_allowed(
    s3: S3Client, bucket: str, connections: list[Any], url: str
) -> None:
    result = archive(url, bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    assert result.state is FileState.REFUSED
    assert not any(address[0] in url for address in connections)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/file.gif", "file:///etc/passwd", "gopher://127.0.0.1:70/", "//x/y"])
def test_non_http_scheme_is_refused(s3: S3Client, bucket: str, s3_calls: list[str], url: str) -> None:
    result = archive(url, bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    assert result.state is FileState.REFUSED
    assert "is not http or https" in result.detail
    assert s3_calls == []


def test_localhost_is_refused_when_loopback_is_not_allowed(media: MediaServer, s3: S3Client, bucket: str) -> None:
    result = archive(
        media.url("/small.gif", host="localhost"), bucket=bucket, key="media/k/000", limits=INTERNET, s3=s3
    )

    assert result.state is FileState.REFUSED
    assert "is loopback" in result.detail
    assert media.hits == []


def test_redirect_to_metadata_address_is_refused_without_connecting(
    media: MediaServer, s3: S3Client, bucket: str, connections: list[Any]
) -> None:
    url = media.url("/redirect?to=http://169.254.169.254/latest/meta-data/")
    result = archive(url, bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    assert result.state is FileState.REFUSED
    assert "169.254.169.254 is a cloud metadata address" in result.detail
    assert media.hits == ["/redirect?to=http://169.254.169.254/latest/meta-data/"]
    assert [a for a in connections if a[0] == "169.254.169.254"] == []


def test_redirect_to_another_scheme_is_refused(media: MediaServer, s3: S3Client, bucket: str) -> None:
    url = media.url("/redirect?to=file:///etc/passwd")
    result = archive(url, bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    assert result.state is FileState.REFUSED
    assert "redirect to 'file:///etc/passwd'" in result.detail


def test_host_is_resolved_once_and_the_checked_address_is_the_one_used(
    media: MediaServer, s3: S3Client, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a name whose second answer differs from its first (DNS rebinding); nothing listens on 127.0.0.2
    answers = iter(["127.0.0.1", "127.0.0.2"])
    lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        return real_getaddrinfo(next(answers), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    result = archive(media.url("/small.gif", host="rebind.example"), bucket=bucket, key="k", limits=LOCAL, s3=s3)

    assert result.state is FileState.ARCHIVED
    assert lookups == ["rebind.example"]
    assert media.host_headers == [f"rebind.example:{media.port}"]


# --- the overall deadline --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_server_trickling_bytes_is_given_up_at_the_deadline(
    media: MediaServer, s3: S3Client, bucket: str, path: str
) -> None:
    # Given a server sending a byte every 50 ms: no read ever waits near the 5 s read timeout
    deadline = Deadline.after(0.5)

    with pytest.raises(DeadlineExceeded):
        archive(media.url(path), bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3, deadline=deadline)
    assert media.hits == [path]
    assert (keys_in(s3, bucket), open_uploads(s3, bucket)) == ([], [])


@pytest.mark.usefixtures("trusted")
def test_server_trickling_over_tls_is_given_up_at_the_deadline(
    tls_media: MediaServer, s3: S3Client, bucket: str
) -> None:
    url = tls_media.url("/trickle", host="localhost")

    with pytest.raises(DeadlineExceeded):
        archive(url, bucket=bucket, key="k", limits=LOCAL, s3=s3, deadline=Deadline.after(0.5))
    assert tls_media.hits == ["/trickle"]
    assert keys_in(s3, bucket) == []


def test_file_that_arrives_before_the_deadline_is_archived(media: MediaServer, s3: S3Client, bucket: str) -> None:
    url = media.url("/trickle?bytes=5&gap=0.01")
    result = archive(url, bucket=bucket, key="k", limits=LOCAL, s3=s3, deadline=Deadline.after(60))

    assert (result.state, result.size) == (FileState.ARCHIVED, 5)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"xxxxx"


def test_deadline_already_passed_connects_to_nothing(media: MediaServer, s3: S3Client, bucket: str) -> None:
    with pytest.raises(DeadlineExceeded):
        archive(media.url("/small.gif"), bucket=bucket, key="k", limits=LOCAL, s3=s3, deadline=Deadline.after(-1))
    assert media.hits == []


def test_worker_gives_a_trickling_download_up_before_its_invocation_ends(
    ingest: Invoke, stack: StackResources, media: MediaServer
) -> None:
    # Given an MMS MO whose file trickles for minutes, and a worker invocation with 2 s left after its margin
    status, _ = helpers.post(ingest, mms_mo(media.url("/trickle")))
    assert status == 200
    handler = load_function("worker")
    margin = inspect.unwrap(handler).__globals__["FETCH_MARGIN_SECONDS"]
    context = LambdaContext("postbacks-test", timeout_seconds=margin + 2)

    received, failed = deliver_once(stack, lambda event: handler(event, context))

    # Then the record is handed back to SQS for a retry, and nothing is archived or recorded
    assert (received, len(failed)) == (1, 1)
    assert keys_in(boto3.client("s3"), stack.bucket_name) == []
    message = PostbackStore(stack.table_name).get_message("MMS_MO_deadline")
    assert message is not None
    assert message.content == []


def mms_mo(url: str) -> bytes:
    return (
        "<POSTBACK><NOTIFICATION><ORIGIN>MMS_MO</ORIGIN><CODE>N401</CODE><FROM>13217949521</FROM><TO>74700</TO>"
        "<TRACKINGID>MMS_MO_deadline</TRACKINGID><TIMESTAMP>2014-02-03T11:19:49-05:00</TIMESTAMP>"
        f"<CONTENT><FILE>{url}</FILE></CONTENT></NOTIFICATION></POSTBACK>"
    ).encode()
