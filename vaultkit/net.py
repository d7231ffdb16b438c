"""The one shared HTTP layer: a thread-safe httpx client with per-host limits, retries and a private-address guard.

httpx is imported inside functions, so a one-note CLI hook that stays offline never pays for it.

    NetError (VaultkitError)   a request could not produce a response; `kind` says why:
        blocked             the host resolves to a private/loopback/link-local address (no request made)
        dns                 the host name does not resolve
        connect             the connection failed (refused, reset, network unreachable)
        timeout             every try timed out
        redirect-loop       a redirect came back to a URL already in the chain
        too-many-redirects  the chain is longer than `max_redirects`
        invalid-url         not an http(s) URL, or a redirect's Location is unusable
        too-large           the body (decompressed) is over the `limit` a caller set
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
import zlib
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping

from vaultkit.config import NetConfig
from vaultkit.errors import VaultkitError
from vaultkit.guard import (  # noqa: F401  (re-exported: the guard is part of the client's API)
    BLOCKED, RESERVED_TLDS, Resolver, address_problem, host_allowed, pinned_backend, proxied, reserved_name,
    system_resolver,
)

if TYPE_CHECKING:
    import httpx

NetErrorKind = Literal["blocked", "dns", "connect", "timeout", "redirect-loop", "too-many-redirects", "invalid-url",
                       "too-large"]
Guard = Callable[[str], tuple[bool, str]]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER = 60.0  # the cap on how long one Retry-After may hold us


class NetError(VaultkitError):
    """A request failed before any usable response; `kind` is one of NetErrorKind."""

    def __init__(self, kind: NetErrorKind, url: str, detail: str = "", tries: int = 1) -> None:
        super().__init__(f"{url}: {detail or kind}")
        self.kind: NetErrorKind = kind
        self.url = url
        self.detail = detail or kind
        self.tries = tries


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _retryable(code: int) -> bool:
    """408, 429 and 5xx are worth another try; 501 means "never", and LinkedIn's 999 is a bot wall."""
    return code in (408, 429) or (500 <= code < 600 and code != 501)


class HttpClient:
    """One shared httpx.Client for a run; call `request` from any thread."""

    def __init__(
        self,
        config: NetConfig,
        *,
        retries: int = 2,
        backoff: float = 0.5,
        max_total: int | None = None,
        max_redirects: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        guard: Guard | None = None,
        transport: Any = None,
        resolver: Resolver | None = None,
    ) -> None:
        import httpx

        self.config = config
        self.retries = retries
        self.backoff = backoff
        max_total = max(1, max_total if max_total is not None else config.max_total)
        self.max_total = max_total
        self.max_redirects = max_redirects
        self.sleep = sleep
        self._guard = guard
        self._resolver = resolver or system_resolver
        self._private_hosts: set[str] = set()  # hosts a caller allowed private addresses for (the [llm] server)
        self._lock = threading.Lock()
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._allowed: dict[tuple[str, bool], tuple[bool, str]] = {}
        self._total = threading.BoundedSemaphore(max_total)
        behind_proxy = transport is None and proxied()
        pinned = None if transport is not None else self._pinned_transport(httpx, max_total)
        self._client = httpx.Client(
            headers={"User-Agent": config.user_agent},
            timeout=config.timeout,
            follow_redirects=False,  # we follow them ourselves so the guard sees every hop
            limits=httpx.Limits(max_connections=max_total, max_keepalive_connections=max_total),
            # (behind an HTTP proxy the proxy resolves names and connects: httpx's own proxy transports,
            # from the *_PROXY variables, with the guard on every hop as before)
            transport=None if behind_proxy else transport or pinned,
        )
        if behind_proxy:
            # Names in NO_PROXY are connected to directly, through the client's default transport:
            # the pinned one, as without a proxy (httpx takes no transport beside its proxies).
            self._client._transport = pinned

    def _pinned_transport(self, httpx: Any, max_total: int) -> Any:
        """httpx transports with the pinned network backend in their connection pools, one per host."""
        backend = pinned_backend(self._vet, self._resolver)
        size = max(1, min(self.config.max_per_host, max_total))

        def pool() -> Any:
            transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=size, max_keepalive_connections=size))
            transport._pool._network_backend = backend  # (httpx has no argument for it)
            return transport

        return per_host(httpx, pool)

    def _vet(self, host: str, address: str) -> str:
        """Why the connection to `address` (for `host`) must not be made, or ''."""
        if self._guard is not None and host.strip("[]") == address:  # an injected guard decides literal hosts;
            ok, why = self._guard(host)  # a name's addresses are always checked (a guard cannot rebind)
            return "" if ok else why
        with self._lock:
            private_ok = self.config.allow_private or host.lower().strip("[]") in self._private_hosts
        return "" if private_ok else address_problem(address)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def allowed(self, host: str, allow_private: bool | None = None) -> tuple[bool, str]:
        """`host_allowed` (or the injected guard), remembered per host for the client's life (one run)."""
        if self._guard is not None and allow_private is None:
            return self._guard(host)
        policy = self.config.allow_private if allow_private is None else allow_private
        key = (host.lower(), policy)
        with self._lock:
            known = self._allowed.get(key)
        if known is None:
            known = host_allowed(host, policy, self._resolver)
            with self._lock:
                self._allowed[key] = known
        return known

    def _host_slot(self, host: str) -> threading.BoundedSemaphore:
        """The semaphore that keeps at most `max_per_host` requests in flight to one host."""
        with self._lock:
            slot = self._hosts.get(host)
            if slot is None:
                slot = self._hosts[host] = threading.BoundedSemaphore(max(1, self.config.max_per_host))
            return slot

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Exponential backoff, jittered over its upper half, unless the server said how long (capped)."""
        if response is not None:
            asked = retry_after(response.headers.get("Retry-After"))
            if asked is not None:
                return min(asked, MAX_RETRY_AFTER)
        return self.backoff * (2**attempt) * (0.5 + random.random() / 2)

    def _send(self, method: str, url: httpx.URL, host: str, read: bool, kw: Mapping[str, Any],
              pace: Callable[[], None] | None = None, limit: int | None = None,
              types: tuple[str, ...] | None = None) -> httpx.Response:
        """One hop, with retries; the body is read (or dropped) while the host's slot is held."""
        import httpx

        slot = self._host_slot(host)
        tries = self.retries + 1
        for attempt in range(tries):
            last = attempt + 1 == tries
            if pace is not None:
                pace()  # a service's published rate applies to retries too
            response: httpx.Response | None = None
            with slot, self._total:
                try:
                    response = self._client.send(self._client.build_request(method, url, **kw), stream=True)
                    again = _retryable(response.status_code) and not last
                    redirect = response.status_code in REDIRECTS and "Location" in response.headers
                    # An empty HEAD body is read so the connection goes back to the pool.
                    if not again and (method == "HEAD" or (read and not redirect)):
                        if types is not None and response.status_code == 200 and _mime(response) not in types:
                            pass  # a type the caller cannot read: its body is never downloaded
                        elif limit is None:
                            response.read()
                        else:
                            _read_capped(response, limit)
                except httpx.TimeoutException as exc:
                    if last:
                        raise NetError("timeout", str(url), f"timed out after {tries} tries", tries) from exc
                except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                    if last:  # a reset mid-request is often transient
                        raise NetError("connect", str(url), f"connection reset after {tries} tries", tries) from exc
                except httpx.TransportError as exc:
                    if str(exc).startswith(BLOCKED):  # the address the name gave at connect time is private
                        raise NetError("blocked", str(url), str(exc)[len(BLOCKED):]) from exc
                    # Refused or unreachable: retrying only slows an offline run down.
                    raise NetError("connect", str(url), f"connection failed: {exc}" if str(exc) else "connection failed") from exc
                else:
                    response.extensions["vaultkit_tries"] = attempt + 1
                    if not again:
                        return response
                finally:
                    if response is not None:
                        response.close()
            # The slots are released while we wait, so other work goes on.
            self.sleep(self._delay(attempt, response))
        raise AssertionError("unreachable")  # pragma: no cover

    def request(
        self, method: str, url: str, *, read: bool = True, allow_private: bool | None = None,
        pace: Callable[[], None] | None = None, limit: int | None = None, types: tuple[str, ...] | None = None,
        **kw: Any
    ) -> httpx.Response:
        """Send `method` to `url`, following redirects by hand (guard on every hop) and retrying transient failures.

        Returns the final response, closed (its `history` holds the redirect hops); 4xx/5xx are
        responses, not errors. With `read=False` the body is not downloaded. `pace` is called
        before every try (a rate limiter's `wait`). `limit` caps the body in bytes after decoding
        (so a gzip bomb stops there too: NetError "too-large"); with `types`, a 200 whose media type
        is not one of them is answered without its body. Raises NetError.
        """
        import httpx

        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise NetError("invalid-url", url, f"invalid URL: {exc}") from exc
        seen: set[str] = set()
        history: list[httpx.Response] = []
        while True:
            if target.scheme not in ("http", "https") or not target.host:
                raise NetError("invalid-url", str(target), "not an http(s) URL")
            seen.add(str(target))
            host = target.raw_host.decode("ascii")
            ok, why = self.allowed(host, allow_private)
            if ok and allow_private:
                with self._lock:
                    self._private_hosts.add(host.lower().strip("[]"))
            if not ok:
                if why == "dns":
                    raise NetError("dns", str(target), "host does not resolve")
                raise NetError("blocked", str(target), why)
            response = self._send(method, target, host, read, kw, pace, limit, types)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or location is None:
                response.history = history
                return response
            history.append(response)
            try:
                target = target.join(location)
            except httpx.InvalidURL as exc:
                raise NetError("invalid-url", str(target), f"bad redirect Location: {location!r}") from exc
            if str(target) in seen:
                raise NetError("redirect-loop", str(target), "redirect loop")
            if len(history) > self.max_redirects:
                raise NetError("too-many-redirects", str(target), f"more than {self.max_redirects} redirects")
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method, kw = "GET", {k: v for k, v in kw.items() if k not in ("content", "data", "json", "files")}


def _mime(response: httpx.Response) -> str:
    """The media type of a response, lowercase, without parameters ('' when none is given)."""
    return response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def _read_capped(response: httpx.Response, limit: int) -> None:
    """Read the body, decoded, but never more than `limit` bytes of it: a declared length over the
    limit is refused unread, and a stream (or a compressed body) that inflates past it is cut off."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit and "Content-Encoding" not in response.headers:
        raise NetError("too-large", str(response.url), f"{int(declared):,} bytes, over the limit of {limit:,}")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    chunks: list[bytes] = []
    size = 0

    def keep(data: bytes) -> None:
        nonlocal size
        size += len(data)
        if size > limit:
            raise NetError("too-large", str(response.url), f"over the limit of {limit:,} bytes")
        chunks.append(data)

    if encoding in ("gzip", "x-gzip", "deflate"):  # inflated here, never past the limit (httpx would inflate
        inflate = zlib.decompressobj(32 + zlib.MAX_WBITS)  # a whole chunk at once); 32: gzip or zlib header
        try:
            for raw in response.iter_raw():
                while raw:
                    keep(inflate.decompress(raw, limit + 1 - size))
                    raw = inflate.unconsumed_tail
            keep(inflate.flush())
        except zlib.error as exc:
            raise NetError("connect", str(response.url), f"a broken {encoding} body: {exc}") from exc
    else:
        for chunk in response.iter_bytes():
            keep(chunk)
    response._content = b"".join(chunks)  # (what Response.read() sets: `.content` works as after a read)


class Session:
    """A run's network access for passes: one HttpClient, made on first use, closed at the end.

    `Context.net` is a Session only when the run is online; offline runs get None,
    so a pass cannot reach the network by accident.
    """

    def __init__(self, config: NetConfig, **client_options: Any) -> None:
        self.config = config
        self._options = client_options
        self._client: HttpClient | None = None
        self._lock = threading.Lock()

    def client(self) -> HttpClient:
        """The shared client (created lazily: httpx is imported only when a pass goes online)."""
        with self._lock:
            if self._client is None:
                self._client = HttpClient(self.config, **self._options)
            return self._client

    def close(self) -> None:
        """Close the client if one was made."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def per_host(httpx: Any, make: Callable[[], Any]) -> Any:
    """An httpx transport that keeps one connection pool per host (`make()` each): a request locks
    and scans only its own host's few connections. With one pool for every host, 64 threads queued
    on its lock and scanned its 80 connections for each request (1,000 links over 20 hosts: 2 ms of
    CPU a link, twice the wait for the answers)."""

    class PerHost(httpx.BaseTransport):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self._pools: dict[tuple[bytes, bytes, int | None], Any] = {}
            self._lock = threading.Lock()

        def handle_request(self, request: Any) -> Any:
            key = (request.url.raw_scheme, request.url.raw_host, request.url.port)
            with self._lock:
                pool = self._pools.get(key)
                if pool is None:
                    pool = self._pools[key] = make()
            return pool.handle_request(request)

        def close(self) -> None:
            with self._lock:
                pools, self._pools = list(self._pools.values()), {}
            for pool in pools:
                pool.close()

    return PerHost()

