"""Archive one MMS MO file: fetch a public URL without reaching private networks, stream it into S3."""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urljoin, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SocketAddress = tuple[str, int] | tuple[str, int, int, int]

# S3 wants parts of 5 MiB or more (except the last); one part is all this module ever holds in memory.
PART_SIZE: Final = 8 * 1024 * 1024
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_GONE: Final = frozenset({404, 410})
# The server may answer these later: SQS redelivers the job.
_RETRY_LATER: Final = frozenset({408, 429})
_USER_AGENT: Final = "postbacks-media/1"
_DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"
# A header value S3 accepts and a reader can trust: printable ASCII, bounded.
_CONTENT_TYPE_RE: Final = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,199}")
# S3 caps user metadata at 2 KB in all; a longer URL is remembered by its digest instead.
_MAX_METADATA_URL: Final = 1024

# Instance metadata and host services of the clouds; most are also link-local or private, some are not.
_METADATA_ADDRESSES: Final = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack instance metadata
        "fd00:ec2::254",  # AWS instance metadata over IPv6 (Nitro)
        "169.254.170.2",  # AWS ECS task metadata and credentials
        "169.254.169.123",  # AWS time sync
        "168.63.129.16",  # Azure WireServer: a public address
        "100.100.100.200",  # Alibaba Cloud metadata
        "192.0.0.192",  # Oracle Cloud metadata
    )
)
# NAT64 (RFC 6052): the packet goes to the IPv4 address in the last 32 bits.
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")


class FileState(StrEnum):
    ARCHIVED = "archived"
    TOO_LARGE = "too_large"
    NOT_FOUND = "not_found"
    REFUSED = "refused"
    FAILED = "failed"  # permanent: another 4xx, too many redirects, a certificate that does not verify


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int
    connect_timeout: float
    read_timeout: float
    max_redirects: int
    allow_loopback: bool


@dataclass(frozen=True, slots=True)
class ArchivedFile:
    state: FileState
    url: str
    detail: str = ""
    s3_uri: str | None = None
    content_type: str | None = None
    size: int | None = None
    sha256: str | None = None


class TransientFetchError(Exception):
    """5xx, timeouts, connection resets, S3 errors: SQS should retry."""


@dataclass(frozen=True, slots=True)
class _Target:
    """One URL split into what the connection needs; host is ASCII (IDNA) and port explicit."""

    scheme: str
    host: str
    port: int
    request_path: str


def archive(url: str, *, bucket: str, key: str, limits: FetchLimits, s3: S3Client) -> ArchivedFile:
    """Fetch `url` into s3://bucket/key. A retry of the same url and key finds the object and stops there."""
    target = _parse_target(url)
    if isinstance(target, str):
        return ArchivedFile(FileState.REFUSED, url, detail=target)
    done = _already_archived(url, bucket=bucket, key=key, s3=s3)
    if done is not None:
        return done
    current, hop = url, target
    for redirects in range(limits.max_redirects + 1):
        addresses = _resolve(hop, limits)
        if isinstance(addresses, str):
            return ArchivedFile(FileState.REFUSED, url, detail=addresses)
        connection = _connection(hop, addresses, limits)
        try:
            response = _get(connection, hop)
            if response.status not in _REDIRECTS:
                return _store(response, url=url, bucket=bucket, key=key, limits=limits, s3=s3)
            location = response.getheader("Location")
            if not location:
                return ArchivedFile(FileState.FAILED, url, detail=f"HTTP {response.status} without Location")
        finally:
            connection.close()
        if redirects == limits.max_redirects:
            break
        # Every hop is checked afresh: a public host may redirect to a private one.
        current = urljoin(current, location.strip())
        next_hop = _parse_target(current)
        if isinstance(next_hop, str):
            return ArchivedFile(FileState.REFUSED, url, detail=f"redirect to {current!r}: {next_hop}")
        hop = next_hop
    return ArchivedFile(FileState.FAILED, url, detail=f"more than {limits.max_redirects} redirects")


def address_refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why connecting to `address` is refused, or None for a public unicast address."""
    if address in _METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if inner is not None:
            # These forms deliver to the IPv4 address inside: judge that one alone.
            reason = address_refusal(inner, allow_loopback=allow_loopback)
            return f"{address} embeds {inner}: {reason}" if reason else None
        tunnelled = [address.sixtofour] if address.sixtofour else list(address.teredo or ())
        for embedded in tunnelled:
            reason = address_refusal(embedded, allow_loopback=False)
            if reason:
                return f"{address} embeds {embedded}: {reason}"
    if address.is_loopback:
        return None if allow_loopback else f"{address} is loopback"
    checks = (
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    )
    for name, hit in checks:
        if hit:
            return f"{address} is {name}"
    return None


def _parse_target(url: str) -> _Target | str:
    """The URL's parts, or why it is refused before any network use."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return "URL contains whitespace or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        return f"malformed URL: {exc}"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f"scheme {scheme or '(none)'!r} is not http or https"
    if not host:
        return "URL has no host"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    # Only what http.client cannot send is escaped; existing %XX escapes stay as they are.
    request_path = quote(path, safe="!#$%&'()*+,/:;=?@[]~")
    default_port = 443 if scheme == "https" else 80
    return _Target(scheme, host, port or default_port, request_path)


def _resolve(target: _Target, limits: FetchLimits) -> list[tuple[int, SocketAddress]] | str:
    """Every address the host resolves to, all checked; one refused address refuses the host."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_NONAME:
            return f"host {target.host!r} does not resolve"
        raise TransientFetchError(f"cannot resolve {target.host!r}: {exc}") from exc
    addresses: list[tuple[int, SocketAddress]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(sockaddr[0])
        reason = address_refusal(address, allow_loopback=limits.allow_loopback)
        if reason:
            return f"host {target.host!r}: {reason}"
        addresses.append((family, sockaddr))
    if not addresses:
        return f"host {target.host!r} has no IP address"
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses checked beforehand, never to a fresh DNS answer; Host stays the URL's host."""

    def __init__(
        self, host: str, port: int, addresses: list[tuple[int, SocketAddress]], limits: FetchLimits
    ) -> None:
        super().__init__(host, port, timeout=limits.read_timeout)
        self._addresses = addresses
        self._connect_timeout = limits.connect_timeout

    def connect(self) -> None:
        error: OSError | None = None
        for family, sockaddr in self._addresses:
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            try:
                sock.settimeout(self._connect_timeout)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            # From here on the timeout bounds each read, not the whole body.
            sock.settimeout(self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = sock
            return
        raise error or OSError(f"no address to connect to for {self.host}")


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def connect(self) -> None:
        super().connect()
        # The certificate is verified against the URL's host name, not the pinned address.
        self.sock = _tls_context().wrap_socket(self.sock, server_hostname=self.host)


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _connection(
    target: _Target, addresses: list[tuple[int, SocketAddress]], limits: FetchLimits
) -> _PinnedHTTPConnection:
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    return kind(target.host, target.port, addresses, limits)


def _get(connection: _PinnedHTTPConnection, target: _Target) -> http.client.HTTPResponse:
    """Send the GET and classify the status; only 200 and redirects come back."""
    try:
        connection.request(
            "GET",
            target.request_path,
            # identity: the object must be the bytes the URL names, not a compressed form of them.
            headers={"User-Agent": _USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"},
        )
        response = connection.getresponse()
    except ssl.SSLCertVerificationError as exc:
        raise _Permanent(f"TLS certificate of {target.host!r} does not verify: {exc.verify_message}") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise TransientFetchError(f"GET {target.host}: {exc!r}") from exc
    status = response.status
    if status == 200 or status in _REDIRECTS:
        return response
    if status in _GONE:
        raise _Permanent(f"HTTP {status}", FileState.NOT_FOUND)
    if status >= 500 or status in _RETRY_LATER:
        raise TransientFetchError(f"GET {target.host}: HTTP {status}")
    raise _Permanent(f"HTTP {status}")


class _Permanent(Exception):
    """An answer that will not change on retry; archive() turns it into an ArchivedFile."""

    def __init__(self, detail: str, state: FileState = FileState.FAILED) -> None:
        super().__init__(detail)
        self.detail = detail
        self.state = state


def _store(
    response: http.client.HTTPResponse, *, url: str, bucket: str, key: str, limits: FetchLimits, s3: S3Client
) -> ArchivedFile:
    declared = response.length  # None when chunked or delimited by close
    if declared is not None and declared > limits.max_bytes:
        return _too_large(url, f"Content-Length {declared} > {limits.max_bytes}")
    content_type = _content_type(response.getheader("Content-Type"))
    digest = hashlib.sha256()
    part = _read_part(response, min(PART_SIZE, limits.max_bytes + 1), digest)
    if len(part) > limits.max_bytes:
        return _too_large(url, f"body exceeds {limits.max_bytes} bytes")
    try:
        if len(part) < PART_SIZE:
            _check_complete(len(part), declared)
            metadata = _metadata(url, digest.hexdigest(), len(part))
            s3.put_object(Bucket=bucket, Key=key, Body=part, ContentType=content_type, Metadata=metadata)
            size = len(part)
        else:
            size = _multipart(response, part, digest, declared, url=url, bucket=bucket, key=key, limits=limits, s3=s3)
    except (ClientError, BotoCoreError) as exc:
        raise TransientFetchError(f"S3 write of s3://{bucket}/{key} failed: {exc}") from exc
    if size < 0:
        return _too_large(url, f"body exceeds {limits.max_bytes} bytes")
    return ArchivedFile(
        FileState.ARCHIVED,
        url,
        s3_uri=f"s3://{bucket}/{key}",
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def _multipart(
    response: http.client.HTTPResponse,
    first: bytearray,
    digest: hashlib._Hash,
    declared: int | None,
    *,
    url: str,
    bucket: str,
    key: str,
    limits: FetchLimits,
    s3: S3Client,
) -> int:
    """Upload part by part; the size, or -1 when the body outgrew the limit (nothing is left behind)."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    try:
        parts: list[CompletedPartTypeDef] = []
        size = 0
        part = first
        del first  # only `part` may keep a buffer alive
        while part:
            number = len(parts) + 1
            etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=part)["ETag"]
            parts.append({"ETag": etag, "PartNumber": number})
            size += len(part)
            del part  # free this part before the next one is read
            part = _read_part(response, min(PART_SIZE, limits.max_bytes + 1 - size), digest)
            if size + len(part) > limits.max_bytes:
                _abort(s3, bucket, key, upload_id)
                return -1
        _check_complete(size, declared)
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        _abort(s3, bucket, key, upload_id)
        raise
    # S3 fixes metadata when the upload is created, before the sha256 and size exist: copying the object
    # onto itself is how they are set. Until then the object lacks sha256, so a retry will not trust it.
    s3.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key},
        MetadataDirective="REPLACE",
        ContentType=_content_type(response.getheader("Content-Type")),
        Metadata=_metadata(url, digest.hexdigest(), size),
    )
    return size


def _read_part(response: http.client.HTTPResponse, limit: int, digest: hashlib._Hash) -> bytearray:
    """Up to `limit` bytes of the body, hashed as they arrive; shorter only at the end of the body."""
    buffer = bytearray(limit)
    view = memoryview(buffer)
    filled = 0
    try:
        while filled < limit:
            count = response.readinto(view[filled:])
            if not count:
                break
            digest.update(view[filled : filled + count])
            filled += count
    except (OSError, http.client.HTTPException) as exc:
        raise TransientFetchError(f"reading the body failed after {filled} bytes of a part: {exc!r}") from exc
    finally:
        view.release()
    # Shrinks in place: the short last part costs no copy.
    del buffer[filled:]
    return buffer


def _check_complete(size: int, declared: int | None) -> None:
    # http.client reports a connection closed early as a plain end of body; Content-Length tells them apart.
    if declared is not None and size != declared:
        raise TransientFetchError(f"connection closed after {size} of {declared} bytes")


def _abort(s3: S3Client, bucket: str, key: str, upload_id: str) -> None:
    try:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except (ClientError, BotoCoreError):
        pass  # the original failure matters more; the bucket's lifecycle rule sweeps what is left


def _already_archived(url: str, *, bucket: str, key: str, s3: S3Client) -> ArchivedFile | None:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise TransientFetchError(f"S3 HEAD of s3://{bucket}/{key} failed: {exc}") from exc
    except BotoCoreError as exc:
        raise TransientFetchError(f"S3 HEAD of s3://{bucket}/{key} failed: {exc}") from exc
    metadata = head.get("Metadata", {})
    sha256 = metadata.get("sha256")
    if metadata.get("source-url") != _metadata_url(url) or not sha256:
        return None
    return ArchivedFile(
        FileState.ARCHIVED,
        url,
        detail="already archived",
        s3_uri=f"s3://{bucket}/{key}",
        content_type=head.get("ContentType"),
        size=head.get("ContentLength"),
        sha256=sha256,
    )


def _metadata(url: str, sha256: str, size: int) -> dict[str, str]:
    return {"source-url": _metadata_url(url), "sha256": sha256, "size": str(size)}


def _metadata_url(url: str) -> str:
    # Metadata travels as HTTP headers: ASCII only, and a few hundred bytes at most.
    quoted = quote(url, safe="!#$%&'()*+,/:;=?@[]~")
    if len(quoted) <= _MAX_METADATA_URL:
        return quoted
    return "sha256:" + hashlib.sha256(url.encode()).hexdigest()


def _content_type(value: str | None) -> str:
    value = (value or "").strip()
    return value if _CONTENT_TYPE_RE.fullmatch(value) else _DEFAULT_CONTENT_TYPE


def _too_large(url: str, detail: str) -> ArchivedFile:
    return ArchivedFile(FileState.TOO_LARGE, url, detail=detail)
