"""Fetching a page for the worker, and only what it may fetch.

http and https only; no credentials in links; every address a name resolves to must be public
(loopback, private, link-local, multicast and reserved addresses are refused unless in
FACTCARDS_FETCH_ALLOW_NETWORKS), at every redirect; the connection goes to the address that was
checked, so a name can't resolve to another one in between. A page is at most
FACTCARDS_FETCH_MAX_BYTES once decompressed, and a fetch, redirects included, takes at most
FACTCARDS_FETCH_TIMEOUT seconds. Each refusal and failure is a FetchError saying why."""

import http.client
import io
import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils import timezone
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

USER_AGENT = "factcards/1.0 (+source intake)"
MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


class FetchError(Exception):
    """Why a link was not fetched: `code` for the program, the message for a reporter."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


class FetchRefused(FetchError):
    """Our own rules refuse the link (scheme, credentials, address, size, redirects)."""


class FetchFailed(FetchError):
    """The network failed us (timeout, no such domain, refused, TLS, not HTTP)."""


class Response:
    """What Fetched and ArchivedResponse share: headers as (name, value) pairs and a body."""

    def header(self, name, default=""):
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), default)

    @property
    def content_type(self):
        return self.header("content-type").split(";")[0].strip().lower()

    @property
    def charset(self):
        found = re.search(r"charset=[\"']?([\w.:-]+)", self.header("content-type"), re.I)
        return found[1].lower() if found else None

    def text(self):
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            return self.body.decode("utf-8", errors="replace")


@dataclass
class Fetched(Response):
    url: str
    final_url: str
    status: int
    reason: str
    headers: list
    body: bytes
    redirects: list = field(default_factory=list)  # [(status, location)], one per hop
    elapsed: timedelta = timedelta(0)
    address: str = ""  # the IP connected to
    fetched_at: datetime = None


@dataclass
class ArchivedResponse(Response):
    url: str
    status: int
    headers: list
    body: bytes


def fetch(url, *, method="GET", max_bytes=None, timeout=None):
    """The response at the end of `url`'s redirects (any status: callers read it)."""
    max_bytes = max_bytes or getattr(settings, "FACTCARDS_FETCH_MAX_BYTES", 5_000_000)
    timeout = timeout or getattr(settings, "FACTCARDS_FETCH_TIMEOUT", 10)
    started = time.monotonic()
    deadline = started + timeout
    current, redirects = url, []
    while True:
        page = fetch_once(current, method, max_bytes, timeout, deadline)
        location = page.header("location")
        if page.status not in REDIRECT_STATUSES or not location:
            break
        current = urljoin(current, location.strip())
        redirects.append((page.status, current))
        if len(redirects) > MAX_REDIRECTS:
            raise FetchRefused(
                "redirects",
                f"The link redirects more than {MAX_REDIRECTS} times; factcards stopped at "
                f"{current}. Give the article's own address.",
            )
    page.url, page.redirects = url, redirects
    page.elapsed = timedelta(seconds=time.monotonic() - started)
    return page


def fetch_once(url, method, max_bytes, timeout, deadline):
    parts, host, port = vet_url(url)
    address = vet_address(host, port)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    # Host header, SNI and certificate checks use `host`; the socket goes to `address`.
    connection = connection_class(host, port, timeout=remaining(deadline, timeout))

    def to_checked_address(where, timeout=None, source_address=None):
        return socket.create_connection((address, where[1]), timeout, source_address)

    connection._create_connection = to_checked_address  # what the connection class calls
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    # Socket timeouts only bound each read: a site sending its headers a byte at a time
    # would never trip them, so the connection is cut at the deadline.
    watchdog = threading.Timer(remaining(deadline, timeout), cut, [connection])
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(
            method,
            target,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                "Accept-Encoding": "gzip, deflate",
            },
        )
        response = connection.getresponse()
        headers = response.getheaders()
        body = b""
        if response.status not in REDIRECT_STATUSES and method != "HEAD":
            body = read_body(connection, response, max_bytes, timeout, deadline)
    except FetchError:
        raise
    except (OSError, http.client.HTTPException) as error:
        raise failure(error, host, timeout, deadline) from None
    finally:
        watchdog.cancel()
        connection.close()
    return Fetched(
        url=url,
        final_url=url,
        status=response.status,
        reason=response.reason or "",
        headers=headers,
        body=body,
        address=address,
        fetched_at=timezone.now(),
    )


def cut(connection):
    """Stop a fetch past its deadline: its reads end at once."""
    try:
        if connection.sock is not None:
            connection.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def failure(error, host, timeout, deadline):
    """The FetchFailed for what the network did."""
    if isinstance(error, TimeoutError) or time.monotonic() >= deadline:
        return timed_out(timeout)
    if isinstance(error, ssl.SSLError):
        reason = getattr(error, "reason", None) or str(error)
        return FetchFailed(
            "tls", f"The secure connection to {host} failed ({reason}): nothing was fetched."
        )
    if isinstance(error, http.client.HTTPException):
        return FetchFailed(
            "protocol", f"{host} did not answer as a web server does ({type(error).__name__})."
        )
    return FetchFailed("connection", f"Could not connect to {host}: {error.strerror or error}.")


def read_body(connection, response, max_bytes, timeout, deadline):
    """The body, decompressed, refused past max_bytes and past the deadline."""
    length = response.getheader("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise too_big(max_bytes)
    encoding = response.getheader("content-encoding", "").strip().lower()
    decoder = None
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = zlib.decompressobj()
    body = bytearray()
    while True:
        if connection.sock is not None:
            connection.sock.settimeout(remaining(deadline, timeout))
        chunk = response.read1(CHUNK)
        if time.monotonic() > deadline:
            raise timed_out(timeout)
        if not chunk:
            break
        if decoder is not None:
            try:
                chunk = decoder.decompress(chunk, max_bytes + 1 - len(body))
            except zlib.error:
                raise FetchFailed(
                    "protocol", "The page's compressed body is damaged: nothing was stored."
                ) from None
            if decoder.unconsumed_tail:
                raise too_big(max_bytes)
        body += chunk
        if len(body) > max_bytes:
            raise too_big(max_bytes)
    return bytes(body)


def remaining(deadline, timeout):
    left = deadline - time.monotonic()
    if left <= 0:
        raise timed_out(timeout)
    return left


def timed_out(timeout):
    return FetchFailed("timeout", f"The site did not answer within {timeout:g} seconds.")


def too_big(max_bytes):
    return FetchRefused(
        "too_big",
        f"The page is larger than {max_bytes:,} bytes; save it from your browser and upload it "
        "as a file, or paste its text.",
    )


def vet_url(url):
    """The link's parts, host and port, or the rule it breaks."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except (ValueError, AttributeError):
        raise FetchRefused("url", f"“{url}” is not a link factcards can read.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        named = f"“{scheme}:”" if scheme else "a link without one"
        raise FetchRefused(
            "scheme", f"factcards only fetches http and https links; {named} was refused."
        )
    if parts.username is not None or parts.password is not None:
        raise FetchRefused(
            "credentials",
            "This link has a user name or password in it; factcards fetches public pages only.",
        )
    if not parts.hostname:
        raise FetchRefused("url", f"“{url}” names no site.")
    return parts, parts.hostname, port or (443 if scheme == "https" else 80)


def vet_address(host, port):
    """The address to connect to: every address `host` resolves to must be one we may fetch
    (one bad answer among good ones is refused: the connection could go to any of them)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        if error.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise FetchFailed("dns", f"The domain {host} does not exist (any more).") from None
        raise FetchFailed(
            "connection", f"The name {host} could not be looked up now ({error.strerror})."
        ) from None
    except UnicodeError:
        raise FetchRefused("url", f"“{host}” is not a site name factcards can read.") from None
    allowed = [
        ipaddress.ip_network(network, strict=False)
        for network in getattr(settings, "FACTCARDS_FETCH_ALLOW_NETWORKS", [])
    ]
    addresses = []
    for *_, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if getattr(address, "ipv4_mapped", None):
            address = address.ipv4_mapped
        public = address.is_global and not address.is_multicast
        if not public and not any(address in network for network in allowed):
            raise FetchRefused(
                "address",
                f"This link points to a private or local address ({address}), which factcards "
                "does not fetch.",
            )
        addresses.append(str(address))
    if not addresses:
        raise FetchFailed("dns", f"The domain {host} has no address.")
    return addresses[0]


# --- our archived copy: a WARC record ---------------------------------------------------------

# The body is stored decoded: these headers would describe another one.
NOT_STORED = {"content-encoding", "content-length", "transfer-encoding"}


def warc_record(page):
    """A gzipped WARC/1.1 file with one response record: the page as fetched."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    headers = [(name, value) for name, value in page.headers if name.lower() not in NOT_STORED]
    headers.append(("Content-Length", str(len(page.body))))
    http_headers = StatusAndHeaders(
        f"{page.status} {page.reason}".strip(), headers, protocol="HTTP/1.1"
    )
    warc_headers = {"WARC-Date": datetime_to_iso_date(page.fetched_at or timezone.now())}
    if page.address:
        warc_headers["WARC-IP-Address"] = page.address
    record = writer.create_warc_record(
        page.final_url,
        "response",
        payload=io.BytesIO(page.body),
        length=len(page.body),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )
    writer.write_record(record)
    return out.getvalue()


def read_warc(data):
    """The response kept in a WARC file written by warc_record."""
    for record in ArchiveIterator(io.BytesIO(data)):
        if record.rec_type == "response":
            http_headers = record.http_headers
            return ArchivedResponse(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=int(http_headers.get_statuscode()),
                headers=list(http_headers.headers),
                body=record.content_stream().read(),
            )
    raise ValueError("This archived copy holds no response.")
