"""A loopback reverse proxy in front of a real registry that injects scripted faults (stdlib only).

    with FaultProxy("127.0.0.1:5000", script=[429, 200]) as proxy:
        ...  # http://{proxy.host}: the first request gets 429 (Retry-After: 0), the rest pass

`paginate_tags` ("relative" or "absolute") makes the proxy paginate tag lists the way the OCI
distribution spec describes (`n`, `last`, `Link: <...>; rel="next"`): Debian's docker-registry
2.8 ignores `n` for tags/list, while distribution 3, Harbor, GHCR and Docker Hub paginate.

`drop_headers` names upstream response headers to leave out (e.g. Docker-Content-Digest).

Script items: an HTTP status to answer instead of forwarding (200 means "forward this one"),
or "close" to drop the connection without an answer. After the script, every request is
forwarded, or answered with `persistent` when that is set.

With `bearer=BearerGate(...)` the proxy also acts like a token-protected registry: requests
without `Authorization: Bearer <token>` get a 401 Bearer challenge whose realm is the proxy's
own `/token` endpoint, which checks HTTP Basic credentials and issues the token.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import socket
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Union
from urllib.parse import parse_qs, urlsplit

Step = Union[int, str]

# Hop-by-hop headers (RFC 9110 7.6.1) are not forwarded.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "host", "content-length"}
)
# A proxy answers at most this many requests, so a client stuck in a loop cannot hang a test.
MAX_REQUESTS = 2000


@dataclass
class BearerGate:
    """Token-auth settings: who may get a token, and the `service` the challenge names.

    `users` maps usernames to passwords; `anonymous` allows a token without credentials.
    `realm` overrides the challenge's realm URL (default: this proxy's /token).
    """

    users: Mapping[str, str] = field(default_factory=dict)
    anonymous: bool = False
    service: str = "test"
    realm: str | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Seen:
    """One request the proxy received, and what it did with it."""

    method: str
    path: str
    answered: Step | None  # the injected answer, or None when forwarded
    authorization: str | None


@dataclass(frozen=True)
class TokenRequest:
    """One request to the /token endpoint."""

    username: str | None
    service: str | None
    scope: str | None
    granted: bool


class FaultProxy:
    """A threaded reverse proxy on 127.0.0.1 in front of `upstream` (host:port, plain HTTP)."""

    def __init__(
        self,
        upstream: str,
        *,
        script: Iterable[Step] = (),
        persistent: Step | None = None,
        retry_after: str | None = "0",
        bearer: BearerGate | None = None,
        drop_headers: Iterable[str] = (),
        paginate_tags: str | None = None,
    ) -> None:
        if paginate_tags not in (None, "relative", "absolute"):
            raise ValueError("paginate_tags is None, 'relative' or 'absolute'")
        self.paginate_tags = paginate_tags
        self.upstream = upstream
        self.drop_headers = frozenset(h.lower() for h in drop_headers)
        self.retry_after = retry_after
        self.persistent = persistent
        self.bearer = bearer
        self.seen: list[Seen] = []
        self.token_requests: list[TokenRequest] = []
        self._script: list[Step] = list(script)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="faultproxy", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """host:port of the proxy, usable as a registry name."""
        return f"127.0.0.1:{self.port}"

    @property
    def token_realm(self) -> str:
        return f"http://{self.host}/token"

    def set_script(self, script: Sequence[Step], persistent: Step | None = None) -> None:
        """Replace the pending script (and the persistent answer)."""
        with self._lock:
            self._script = list(script)
            self.persistent = persistent

    def close(self) -> None:
        """Stop serving and wait for the server thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- request handling ------------------------------------------------------------------

    def _next_step(self) -> Step | None:
        with self._lock:
            if len(self.seen) >= MAX_REQUESTS:
                return 503
            if self._script:
                step = self._script.pop(0)
                return None if step == 200 else step
            return self.persistent

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10  # seconds a connection may idle; bounds every handler thread

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # keep test output quiet

            def do_GET(self) -> None:
                self._handle()

            def do_HEAD(self) -> None:
                self._handle()

            def do_PUT(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def do_PATCH(self) -> None:
                self._handle()

            def do_DELETE(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if proxy.bearer is not None and urlsplit(self.path).path == "/token":
                    self._token()
                    return
                step = proxy._next_step()
                authorization = self.headers.get("Authorization")
                with proxy._lock:
                    proxy.seen.append(Seen(self.command, self.path, step, authorization))
                if step == "close":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)  # no answer at all
                    return
                if isinstance(step, int):
                    self._inject(step)
                    return
                gate = proxy.bearer
                if gate is not None and authorization != f"Bearer {gate.token}":
                    realm = gate.realm or proxy.token_realm
                    name = urlsplit(self.path).path.removeprefix("/v2/").split("/tags/")[0].split("/manifests/")[0]
                    challenge = f'Bearer realm="{realm}",service="{gate.service}",scope="repository:{name}:pull"'
                    self._answer(401, {"WWW-Authenticate": challenge}, _error_body("UNAUTHORIZED", "authentication required"))
                    return
                self._forward(body)

            def _inject(self, status: int) -> None:
                headers = {}
                if status == 429 and proxy.retry_after is not None:
                    headers["Retry-After"] = proxy.retry_after
                code = {400: "NAME_INVALID", 401: "UNAUTHORIZED", 403: "DENIED", 429: "TOOMANYREQUESTS"}.get(status, "UNKNOWN")
                self._answer(status, headers, _error_body(code, f"injected HTTP {status}"))

            def _answer(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _forward(self, body: bytes) -> None:
                connection = http.client.HTTPConnection(proxy.upstream, timeout=10)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    if proxy.bearer is not None:
                        headers.pop("Authorization", None)  # the upstream registry is open
                    url = urlsplit(self.path)
                    paginate = proxy.paginate_tags is not None and url.path.endswith("/tags/list")
                    target = url.path if paginate else self.path
                    connection.request(self.command, target, body=body or None, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                    extra: dict[str, str] = {}
                    if paginate and response.status == 200:
                        payload, link = self._page(url.path, parse_qs(url.query), payload)
                        if link:
                            extra["Link"] = link
                    self.send_response(response.status)
                    for name, value in response.getheaders():
                        if name.lower() not in _HOP_BY_HOP | proxy.drop_headers:
                            self.send_header(name, value)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                finally:
                    connection.close()

            def _page(self, path: str, query: Mapping[str, list[str]], payload: bytes) -> tuple[bytes, str | None]:
                """One page of the upstream tag list: lexical order, after `last`, `n` long."""
                body = json.loads(payload)
                tags = sorted(body.get("tags") or [])
                last = _first(query, "last")
                if last is not None:
                    tags = [t for t in tags if t > last]
                n = _first(query, "n")
                link = None
                if n is not None and len(tags) > int(n):
                    tags = tags[: int(n)]
                    following = f"{path}?n={n}&last={tags[-1]}"
                    if proxy.paginate_tags == "absolute":
                        following = f"http://{proxy.host}{following}"
                    link = f'<{following}>; rel="next"'
                body["tags"] = tags
                return json.dumps(body).encode(), link

            def _token(self) -> None:
                gate = proxy.bearer
                assert gate is not None
                query = parse_qs(urlsplit(self.path).query)
                username: str | None = None
                granted = False
                authorization = self.headers.get("Authorization") or ""
                if authorization.startswith("Basic "):
                    try:
                        pair = base64.b64decode(authorization[6:], validate=True).decode()
                    except ValueError:
                        pair = ""
                    username, _, password = pair.partition(":")
                    granted = gate.users.get(username) == password and username in gate.users
                else:
                    granted = gate.anonymous
                with proxy._lock:
                    proxy.token_requests.append(
                        TokenRequest(username, _first(query, "service"), _first(query, "scope"), granted)
                    )
                if not granted:
                    self._answer(401, {}, _error_body("UNAUTHORIZED", "bad credentials"))
                    return
                self._answer(200, {}, json.dumps({"token": gate.token, "expires_in": 300}).encode())

        return Handler


def _first(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"errors": [{"code": code, "message": message}]}).encode()
