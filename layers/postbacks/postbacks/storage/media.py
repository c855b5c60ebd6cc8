"""Archive one MMS MO file: fetch a public URL without reaching private networks, stream it into S3."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urljoin, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from postbacks.storage import aws

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) for IPv4, (host, port, flowinfo, scope_id) for IPv6, as getaddrinfo gives them.
SocketAddress = tuple[Any, ...]

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


class _Permanent(Exception):
    """An answer that will not change on retry; archive() turns it into an ArchivedFile."""

    def __init__(self, detail: str, state: FileState = FileState.FAILED) -> None:
        super().__init__(detail)
        self.detail = detail
        self.state = state


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
    try:
        return _follow(url, target, bucket=bucket, key=key, limits=limits, s3=s3)
    except _Permanent as exc:
        return ArchivedFile(exc.state, url, detail=exc.detail)


def _follow(url: str, target: _Target, *, bucket: str, key: str, limits: FetchLimits, s3: S3Client) -> ArchivedFile:
    """GET with redirects followed by hand, so that each hop passes the same checks as the first."""
    current = url
    for redirects in range(limits.max_redirects + 1):
        connection = _connection(target, _resolve(target, limits), limits)
        try:
            response = _get(connection, target)
            if response.status not in _REDIRECTS:
                return _store(response, url=url, bucket=bucket, key=key, limits=limits, s3=s3)
            location = (response.getheader("Location") or "").strip()
        finally:
            connection.close()
        if not location:
            raise _Permanent(f"HTTP {response.status} without Location")
        if redirects == limits.max_redirects:
            break
        # Every hop is checked afresh: a public host may redirect to a private one.
        current = urljoin(current, location)
        next_target = _parse_target(current)
        if isinstance(next_target, str):
            raise _Permanent(f"redirect to {current!r}: {next_target}", FileState.REFUSED)
        target = next_target
    raise _Permanent(f"more than {limits.max_redirects} redirects")


def address_refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why connecting to `address` is refused, or None for a public unicast address."""
    if address in _METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
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


def _resolve(target: _Target, limits: FetchLimits) -> list[tuple[int, SocketAddress]]:
    """Every address the host resolves to, all checked: one refused address refuses the host."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_NONAME:
            raise _Permanent(f"host {target.host!r} does not resolve") from exc
        raise TransientFetchError(f"cannot resolve {target.host!r}: {exc}") from exc
    addresses: list[tuple[int, SocketAddress]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        reason = address_refusal(ipaddress.ip_address(sockaddr[0]), allow_loopback=limits.allow_loopback)
        if reason:
            raise _Permanent(f"host {target.host!r}: {reason}", FileState.REFUSED)
        addresses.append((family, sockaddr))
    if not addresses:
        raise _Permanent(f"host {target.host!r} has no IP address")
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses checked beforehand, never to a fresh DNS answer; Host stays the URL's host."""

    def __init__(self, host: str, port: int, addresses: list[tuple[int, SocketAddress]], limits: FetchLimits) -> None:
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


def _store(
    response: http.client.HTTPResponse, *, url: str, bucket: str, key: str, limits: FetchLimits, s3: S3Client
) -> ArchivedFile:
    body = _Body(response, limits.max_bytes)
    content_type = _content_type(response.getheader("Content-Type"))
    part = body.read_part()
    try:
        if len(part) < PART_SIZE:
            body.check_complete()
            metadata = _metadata(url, body.digest.hexdigest(), body.size)
            s3.put_object(
                Bucket=bucket,
                Key=key,
                # botocore takes a bytearray as it is (its stubs say bytes): no copy of the part.
                Body=part,  # type: ignore[arg-type]
                ContentType=content_type,
                Metadata=metadata,
            )
        else:
            upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)["UploadId"]
            try:
                parts: list[CompletedPartTypeDef] = []
                while part:
                    number = len(parts) + 1
                    answer = s3.upload_part(
                        Bucket=bucket,
                        Key=key,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=part,  # type: ignore[arg-type]
                    )
                    parts.append({"ETag": answer["ETag"], "PartNumber": number})
                    del part  # one part in memory at a time: free this one before reading the next
                    part = body.read_part()
                body.check_complete()
                s3.complete_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
            except BaseException:
                _abort(s3, bucket, key, upload_id)
                raise
            # S3 fixes metadata when the upload is created, before the sha256 and size exist: a copy onto
            # itself sets them. Until then the object has no sha256, so a retry does not trust it.
            s3.copy_object(
                Bucket=bucket,
                Key=key,
                CopySource={"Bucket": bucket, "Key": key},
                MetadataDirective="REPLACE",
                ContentType=content_type,
                Metadata=_metadata(url, body.digest.hexdigest(), body.size),
            )
    except (ClientError, BotoCoreError) as exc:
        raise TransientFetchError(f"S3 write of s3://{bucket}/{key} failed: {exc}") from exc
    return ArchivedFile(
        FileState.ARCHIVED,
        url,
        s3_uri=f"s3://{bucket}/{key}",
        content_type=content_type,
        size=body.size,
        sha256=body.digest.hexdigest(),
    )


class _Body:
    """The response body read part by part, hashed and counted as it arrives, never past the limit."""

    def __init__(self, response: http.client.HTTPResponse, max_bytes: int) -> None:
        self._response = response
        self._max_bytes = max_bytes
        self._declared = response.length  # None when chunked or delimited by close
        if self._declared is not None and self._declared > max_bytes:
            raise _Permanent(f"Content-Length {self._declared} exceeds {max_bytes} bytes", FileState.TOO_LARGE)
        self.digest = hashlib.sha256()
        self.size = 0

    def read_part(self) -> bytearray:
        """The next PART_SIZE bytes, fewer only at the end of the body."""
        # One byte past the limit is enough to know the body is too large.
        limit = min(PART_SIZE, self._max_bytes + 1 - self.size)
        if self._declared is not None:
            limit = min(limit, self._declared - self.size)  # a small file gets a small buffer
        buffer = bytearray(limit)
        view = memoryview(buffer)
        filled = 0
        try:
            while filled < limit:
                count = self._response.readinto(view[filled:])
                if not count:
                    break
                self.digest.update(view[filled : filled + count])
                filled += count
        except (OSError, http.client.HTTPException) as exc:
            raise TransientFetchError(f"reading the body failed after {self.size + filled} bytes: {exc!r}") from exc
        finally:
            view.release()
        self.size += filled
        if self.size > self._max_bytes:
            raise _Permanent(f"body exceeds {self._max_bytes} bytes", FileState.TOO_LARGE)
        del buffer[filled:]  # shrinks in place: the short last part costs no copy
        return buffer

    def check_complete(self) -> None:
        # http.client reports a connection closed early as a plain end of body; Content-Length tells them apart.
        if self._declared is not None and self.size != self._declared:
            raise TransientFetchError(f"connection closed after {self.size} of {self._declared} bytes")


def _abort(s3: S3Client, bucket: str, key: str, upload_id: str) -> None:
    # The original failure matters more; the bucket's lifecycle rule sweeps an upload this cannot abort.
    with contextlib.suppress(ClientError, BotoCoreError):
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def _already_archived(url: str, *, bucket: str, key: str, s3: S3Client) -> ArchivedFile | None:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if aws.is_not_found(exc):
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
