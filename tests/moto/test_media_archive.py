"""MMS media archive: the safe fetch composed with S3. A real HTTP server on 127.0.0.1 streams into moto's S3.

What the fetch itself refuses, follows and times out is tests/moto/test_outbound_fetch.py; here, what each of
its outcomes leaves in the bucket.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from postbacks.storage.media import PART_SIZE, FetchLimits, FileState, TransientFetchError, archive
from tests.benchmarks import media_memory
from tests.moto.media_server import SMALL_BODY, MediaServer, generated

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024
LOCAL = FetchLimits(max_bytes=64 * MiB, connect_timeout=2.0, read_timeout=5.0, max_redirects=3, allow_loopback=True)


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
    media: MediaServer, s3: S3Client, bucket: str, s3_calls: list[str], framing: str
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
    # botocore checks the whole object's CRC32 on the way, as any reader would
    for chunk in s3.get_object(Bucket=bucket, Key="media/big/000", ChecksumMode="ENABLED")["Body"].iter_chunks(MiB):
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


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_streaming_holds_parts_not_the_file(media: MediaServer, moto_endpoint: str, bucket: str, framing: str) -> None:
    # Given a three-part file; when archive() runs alone in a child process (moto's own memory would count here)
    size = 3 * PART_SIZE
    url = media.url(f"/generated?size={size}&framing={framing}")
    measured = media_memory.measure(moto_endpoint, url, bucket, size)

    assert measured["sha256"] == generated_sha256(size)
    # Then at most the part being read and the part being sent are held (make bench measures MediaMaxBytes)
    assert int(measured["peak"]) < 2.5 * PART_SIZE < size


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
    assert again == replace(first, detail="already archived")
    assert keys_in(s3, bucket) == ["media/k/001"]


def test_object_at_key_from_another_url_is_fetched_again(media: MediaServer, s3: S3Client, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket, Key="media/k/002", Body=b"old", Metadata={"source-url": "http://elsewhere/", "sha256": "0"}
    )

    result = archive(media.url("/small.gif"), bucket=bucket, key="media/k/002", limits=LOCAL, s3=s3)

    assert result.state is FileState.ARCHIVED
    assert media.hits == ["/small.gif"]
    assert s3.get_object(Bucket=bucket, Key="media/k/002")["Body"].read() == SMALL_BODY


# --- what each outcome leaves in the bucket ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "state"),
    [
        ("/status?code=404", FileState.NOT_FOUND),
        ("/status?code=403", FileState.FAILED),
        ("/claims-huge", FileState.TOO_LARGE),
        ("/redirect?to=http://169.254.169.254/", FileState.REFUSED),
    ],
)
def test_final_outcome_is_recorded_and_leaves_nothing(
    media: MediaServer, s3: S3Client, bucket: str, path: str, state: FileState
) -> None:
    result = archive(media.url(path), bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    assert (result.state, result.s3_uri) == (state, None)
    assert result.detail
    assert keys_in(s3, bucket) == []


def test_url_refused_before_any_request_costs_no_s3_call(s3: S3Client, bucket: str, s3_calls: list[str]) -> None:
    result = archive("file:///etc/passwd", bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)

    assert result.state is FileState.REFUSED
    assert s3_calls == []


def test_key_longer_than_s3_takes_is_failed_before_any_call(s3: S3Client, bucket: str, s3_calls: list[str]) -> None:
    result = archive("https://example.com/a.jpg", bucket=bucket, key="media/" + "k" * 1020, limits=LOCAL, s3=s3)

    assert (result.state, result.detail) == (FileState.FAILED, "S3 key of 1026 bytes: S3 takes 1024")
    assert s3_calls == []


def test_limit_above_what_s3_can_copy_is_held_to_5_gib(media: MediaServer, s3: S3Client, bucket: str) -> None:
    # Given a MediaMaxBytes above CopyObject's 5 GiB (the copy that sets a multipart object's metadata)
    limits = FetchLimits(max_bytes=10**13, connect_timeout=2.0, read_timeout=5.0, max_redirects=0, allow_loopback=True)
    result = archive(media.url("/claims-huge"), bucket=bucket, key="media/k/000", limits=limits, s3=s3)

    assert (result.state, result.detail) == (
        FileState.TOO_LARGE,
        f"Content-Length 1000000000000 exceeds {5 * 1024**3} bytes",
    )


def test_server_error_raises_transient_and_leaves_nothing(media: MediaServer, s3: S3Client, bucket: str) -> None:
    with pytest.raises(TransientFetchError, match="HTTP 503"):
        archive(media.url("/status?code=503"), bucket=bucket, key="media/k/000", limits=LOCAL, s3=s3)
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


def test_body_over_limit_after_multipart_began_is_too_large_and_leaves_nothing(
    media: MediaServer, s3: S3Client, bucket: str
) -> None:
    # Given no Content-Length (chunked), so only counting the bytes can tell, and two parts already sent
    limits = FetchLimits(
        max_bytes=20 * MiB, connect_timeout=2.0, read_timeout=5.0, max_redirects=0, allow_loopback=True
    )
    url = media.url(f"/generated?size={30 * MiB}&framing=chunked")
    result = archive(url, bucket=bucket, key="media/k/000", limits=limits, s3=s3)

    assert (result.state, result.detail) == (FileState.TOO_LARGE, f"body exceeds {20 * MiB} bytes")
    assert (keys_in(s3, bucket), open_uploads(s3, bucket)) == ([], [])


# --- one file per key, whatever the URL --------------------------------------------------------------------------


def test_same_url_under_two_keys_is_archived_twice(media: MediaServer, s3: S3Client, bucket: str) -> None:
    # Given two MO postbacks that name the same file: each has its own key and keeps its own copy
    url = media.url("/small.gif")
    first = archive(url, bucket=bucket, key="media/MMS_MO_1/e1/000", limits=LOCAL, s3=s3)
    second = archive(url, bucket=bucket, key="media/MMS_MO_1/e2/000", limits=LOCAL, s3=s3)

    assert (first.s3_uri, second.s3_uri) == (
        f"s3://{bucket}/media/MMS_MO_1/e1/000",
        f"s3://{bucket}/media/MMS_MO_1/e2/000",
    )
    assert sorted(keys_in(s3, bucket)) == ["media/MMS_MO_1/e1/000", "media/MMS_MO_1/e2/000"]
    assert first.sha256 == second.sha256 == hashlib.sha256(SMALL_BODY).hexdigest()
