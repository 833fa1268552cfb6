"""Read what a repository holds through the OCI distribution API: its tags and manifest digests.

A small async client on httpx. It only lists tags and looks up manifest digests, which is all a
publish plan needs, and it does so the way we want it to behave in CI:

* anonymous first; on 401 it follows the registry's challenge (Basic, or a Bearer token from the
  realm) and fails closed when credentials are missing or refused;
* 429, 5xx, connection failures and timeouts are retried with exponential backoff (honouring a
  short Retry-After), then reported as one-line errors that name the registry;
* the password never appears in a repr, a log record or an exception message.

Why not an existing OCI client: we need two read-only calls (tag list, manifest HEAD). The
Python ORAS client (`oras` on PyPI, 0.2.x) is synchronous, pulls in requests and jsonschema,
and its retry decorator retries 500s and exceptions with fixed sleeps but treats 429 and
Retry-After like any other answer. httpx is already installed with dagger-io.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

import anyio
import httpx
import semver

from go_publish.errors import GoPublishError, InputError
from go_publish.plan import RegistryView
from go_publish.references import Repository, is_valid_tag
from go_publish.versions import LATEST, stable_version_of

__all__ = [
    "MANIFEST_MEDIA_TYPES",
    "Credentials",
    "RateLimitedError",
    "RegistryAuthError",
    "RegistryError",
    "RegistryReader",
    "RegistryUnreachableError",
    "parse_challenges",
]

log = logging.getLogger(__name__)

# Every manifest kind a tag of ours may point at; the registry answers with the digest of the
# manifest as stored (an index for multi-platform images), which is what a re-push would produce.
MANIFEST_MEDIA_TYPES: Final = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)

# A Retry-After longer than this is not waited for in full: a CLI run should fail fast
# rather than sleep for minutes; the retry budget still bounds the attempts.
MAX_RETRY_AFTER: Final = 5.0
# Upper bound on pages of a tag list, so that a registry answering with a Link loop cannot
# keep the reader busy forever.
MAX_TAG_PAGES: Final = 1000

_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
_TOKEN_CHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_SCHEME_RE = re.compile(rf"\s*({_TOKEN_CHARS})")
_PARAM_RE = re.compile(rf"\s*({_TOKEN_CHARS})\s*=\s*(?:\"((?:[^\"\\]|\\.)*)\"|({_TOKEN_CHARS}))")
_TOKEN68_RE = re.compile(r"\s*[A-Za-z0-9\-._~+/]+=*\s*(?=,|$)")


@dataclass(frozen=True)
class Credentials:
    """A registry account. `repr()` and `str()` show the username only, never the password.

    Docker Hub's names (docker.io, index.docker.io, registry-1.docker.io) are one registry:
    `Repository` canonicalizes them to docker.io, so one set of credentials serves all three.
    """

    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        """Refuse a username that HTTP Basic auth cannot carry (the first ':' splits the pair)."""
        if not self.username:
            raise InputError("--username", "must not be empty when credentials are given")
        if ":" in self.username:
            raise InputError("--username", "must not contain ':' (HTTP Basic auth splits at it)")

    def __repr__(self) -> str:
        """The username and a mask, so that logs and tracebacks never carry the password."""
        return f"Credentials(username={self.username!r}, password='***')"

    __str__ = __repr__

    def basic_header(self) -> str:
        """The `Authorization: Basic` value; username and password are sent as UTF-8, byte-exact."""
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


class RegistryError(GoPublishError):
    """A registry could not answer what we asked; the message is one line naming the registry."""

    def __init__(self, registry: str, problem: str) -> None:
        self.registry = registry
        self.problem = " ".join(problem.split())
        super().__init__(f"registry {registry}: {self.problem}")


class RegistryAuthError(RegistryError):
    """Authentication was needed and failed: credentials missing, refused, or access denied."""


class RateLimitedError(RegistryError):
    """The registry kept answering 429 Too Many Requests until the retry budget was spent."""


class RegistryUnreachableError(RegistryError):
    """The registry could not be reached: connection refused, DNS, TLS or timeouts."""


@dataclass(frozen=True)
class Challenge:
    """One `WWW-Authenticate` challenge: the scheme (lowercase) and its parameters."""

    scheme: str
    params: Mapping[str, str]


def parse_challenges(values: Iterable[str]) -> list[Challenge]:
    """Parse `WWW-Authenticate` header values (RFC 9110), e.g. `Bearer realm="...",scope="a,b"`.

    Quoted values may contain commas and escaped quotes; several challenges may share one header
    value. Parameter names are lowercased. Unparseable trailing text is ignored.
    """
    challenges: list[Challenge] = []
    for value in values:
        pos = 0
        while pos < len(value):
            # Skip separators between challenges.
            while pos < len(value) and value[pos] in " \t,":
                pos += 1
            scheme = _SCHEME_RE.match(value, pos)
            if scheme is None:
                break
            pos = scheme.end()
            params: dict[str, str] = {}
            token68 = _TOKEN68_RE.match(value, pos)
            if token68 is not None and _PARAM_RE.match(value, pos) is None:
                pos = token68.end()
            else:
                while True:
                    param = _PARAM_RE.match(value, pos)
                    if param is None:
                        break
                    name, quoted, bare = param.groups()
                    if quoted is not None:
                        params[name.lower()] = re.sub(r"\\(.)", r"\1", quoted)
                    else:
                        params[name.lower()] = bare
                    pos = param.end()
                    comma = re.compile(r"\s*,").match(value, pos)
                    if comma is None:
                        break
                    # A comma followed by `name=` continues this challenge; anything else
                    # (a bare token) starts the next challenge.
                    if _PARAM_RE.match(value, comma.end()) is None:
                        pos = comma.end()
                        break
                    pos = comma.end()
            challenges.append(Challenge(scheme.group(1).lower(), params))
    return challenges


def _is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error_codes(response: httpx.Response) -> list[str]:
    """The `errors[].code` values of a distribution API error body, if it has one."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    codes = []
    for error in body["errors"]:
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            # Codes are short upper-case identifiers; keep them that way in a one-line message.
            codes.append(re.sub(r"[^A-Za-z0-9_]", "", error["code"])[:64])
    return [c for c in codes if c]


def _retry_after(response: httpx.Response) -> float | None:
    """The Retry-After delay in seconds when given as a number (HTTP dates are ignored)."""
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER)) if seconds == seconds else None


def _describe_transport_error(exc: httpx.TransportError) -> str:
    """A short human reason for a transport failure, from the exception and its causes."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    for cause in seen:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(cause, OSError) and "Name or service not known" in str(cause):
            return "host name not found"
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "host name not found"
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    return "connection broke"


def _is_tls_verification_error(exc: httpx.TransportError) -> bool:
    """Certificate problems do not go away by retrying."""
    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return False
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        current = current.__cause__ or current.__context__
    return False


class RegistryReader:
    """An async reader of one repository's tags and manifest digests.

    Use it as an async context manager::

        async with RegistryReader(repository, credentials) as reader:
            view = await reader.view("0.2.0")

    `retries` is how many times a 429, a 5xx, a connection failure or a timeout is retried
    (so at most `retries + 1` attempts per request); the wait starts at `backoff` seconds and
    doubles, or follows a numeric Retry-After up to `MAX_RETRY_AFTER` seconds. `transport`
    replaces httpx's network transport (e.g. to pin where requests may go in tests).
    """

    def __init__(
        self,
        repository: Repository,
        credentials: Credentials | None = None,
        *,
        retries: int = 3,
        backoff: float = 0.2,
        timeout: float = 10.0,
        page_size: int = 1000,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Prepare a client; no request is made until a method is awaited."""
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        self.repository = repository
        self._credentials = credentials
        self._retries = retries
        self._backoff = backoff
        self._page_size = page_size
        scheme = "http" if repository.plain_http else "https"
        self._base = httpx.URL(f"{scheme}://{repository.api_host}")
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )
        # The Authorization value that worked (or was issued) for this repository; reused by
        # every later request of this reader. Never logged.
        self._authorization: str | None = None
        self._authorization_has_credentials = False

    def __repr__(self) -> str:
        """The repository and the account name; no secrets."""
        account = self._credentials.username if self._credentials else None
        return f"RegistryReader({self.repository.name!r}, username={account!r})"

    async def __aenter__(self) -> RegistryReader:
        """Return the reader itself."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the HTTP connections."""
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections; the reader cannot be used afterwards."""
        await self._client.aclose()

    # -- public API -------------------------------------------------------------------------

    async def tags(self) -> list[str]:
        """Every tag of the repository, following `Link: <...>; rel="next"` pagination.

        A repository that does not exist yet (404, NAME_UNKNOWN) has no tags: `[]`.
        """
        path = f"/v2/{self.repository.path}/tags/list"
        url = self._base.copy_with(path=path, params={"n": str(self._page_size)})
        found: list[str] = []
        seen_urls: set[str] = set()
        for _ in range(MAX_TAG_PAGES):
            seen_urls.add(str(url))
            response = await self._request("GET", url, what=f"GET {path}")
            if response.status_code == 404:
                return []
            self._expect_ok(response, f"GET {path}")
            found.extend(self._parse_tag_page(response, path))
            following = self._next_page(response)
            if following is None:
                return found
            if str(following) in seen_urls:
                raise RegistryError(
                    self.repository.registry, f"tag list pagination of {path} loops back to a page already read"
                )
            url = following
        raise RegistryError(
            self.repository.registry, f"tag list of {path} has more than {MAX_TAG_PAGES} pages"
        )

    async def digest(self, tag: str) -> str | None:
        """The manifest digest `tag` points at (an index digest for multi-platform images).

        HEAD with every manifest media type we know; when the registry does not send
        `Docker-Content-Digest`, GET the manifest and hash its bytes. A missing tag: None.
        """
        if not is_valid_tag(tag):
            raise InputError("tag", f"{tag!r} does not match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}")
        path = f"/v2/{self.repository.path}/manifests/{tag}"
        url = self._base.copy_with(path=path)
        accept = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
        response = await self._request("HEAD", url, what=f"HEAD {path}", headers=accept)
        if response.status_code == 404:
            return None
        self._expect_ok(response, f"HEAD {path}")
        header: str = str(response.headers.get("docker-content-digest", "")).strip()
        if _DIGEST.fullmatch(header):
            return header
        response = await self._request("GET", url, what=f"GET {path}", headers=accept)
        if response.status_code == 404:
            return None
        self._expect_ok(response, f"GET {path}")
        return "sha256:" + hashlib.sha256(response.content).hexdigest()

    async def view(self, version_tag: str, *also: str, max_lookups: int = 20) -> RegistryView:
        """What a plan for `version_tag` needs: all tags, digests, and the version `latest` is.

        Digests are looked up for `version_tag`, the tags in `also` (aliases) and `latest`
        when they exist. `latest_version`
        is the highest stable semver tag whose digest equals latest's, found by looking up the
        stable tags from the highest down (at most `max_lookups` of them); otherwise None.
        """
        tags = await self.tags()
        tag_set = frozenset(tags)
        digests: dict[str, str] = {}
        for tag in dict.fromkeys((version_tag, *also, LATEST)):
            if tag in tag_set:
                found = await self.digest(tag)
                if found is not None:
                    digests[tag] = found
        latest_version: str | None = None
        latest_digest = digests.get(LATEST)
        if latest_digest is not None:
            for tag in _stable_tags_descending(tags)[:max_lookups]:
                found = digests.get(tag)
                if found is None:
                    found = await self.digest(tag)
                    if found is not None:
                        digests[tag] = found
                if found == latest_digest:
                    latest_version = tag
                    break
        return RegistryView(tags=tag_set, digests=digests, latest_version=latest_version)

    # -- responses ---------------------------------------------------------------------------

    def _parse_tag_page(self, response: httpx.Response, path: str) -> list[str]:
        """The `tags` of one tag list page; refuse anything that is not a list of strings."""
        try:
            body: Any = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise RegistryError(self.repository.registry, f"GET {path} did not answer a JSON tag list")
        page = body.get("tags")
        if page is None:
            return []
        if not isinstance(page, list) or not all(isinstance(t, str) for t in page):
            raise RegistryError(self.repository.registry, f"GET {path} answered a malformed tag list")
        return list(page)

    def _next_page(self, response: httpx.Response) -> httpx.URL | None:
        """The `rel="next"` URL of a tag list page, resolved against the page; None at the end.

        The next page must be on the registry itself: our Authorization header goes with it.
        """
        link = response.links.get("next")
        if not link or not link.get("url"):
            return None
        following = response.url.join(link["url"])
        if (following.scheme, following.host, following.port) != (
            response.url.scheme,
            response.url.host,
            response.url.port,
        ):
            raise RegistryError(
                self.repository.registry,
                f"the tag list points its next page at another host ({following.host}); not following it",
            )
        return following

    def _expect_ok(self, response: httpx.Response, what: str) -> None:
        """Raise a RegistryError for any answer but 2xx (after auth and retries were handled)."""
        if response.is_success:
            return
        codes = _error_codes(response)
        detail = f" ({', '.join(codes)})" if codes else ""
        raise RegistryError(
            self.repository.registry, f"HTTP {response.status_code}{detail} for {what}"
        )

    # -- authentication ------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        url: httpx.URL,
        *,
        what: str,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One registry request with auth: anonymous (or cached auth) first, then the challenge.

        Returns any answer but 401/403 (those raise RegistryAuthError); faults are retried
        by `_send`.
        """
        authenticated_now = False
        while True:
            request_headers = dict(headers or {})
            if self._authorization is not None:
                request_headers["Authorization"] = self._authorization
            response = await self._send(method, url, request_headers, what=what)
            if response.status_code == 403:
                raise RegistryAuthError(
                    self.repository.registry,
                    f"access to {self.repository.path} was denied (HTTP 403); "
                    "check that the account may pull from it",
                )
            if response.status_code != 401:
                return response
            if authenticated_now:
                # Fresh authorization was just refused: fail closed.
                raise self._refused(401)
            await self._authenticate(response)
            authenticated_now = True

    def _refused(self, status: int) -> RegistryAuthError:
        """The error for authorization that did not work, worded by whether we sent credentials."""
        path = self.repository.path
        if self._authorization_has_credentials:
            return RegistryAuthError(
                self.repository.registry,
                f"authentication for {path} was refused (HTTP {status}); check the username and password",
            )
        return RegistryAuthError(
            self.repository.registry,
            f"{path} needs credentials (HTTP {status}); pass a username and password",
        )

    async def _authenticate(self, response: httpx.Response) -> None:
        """Answer a 401 challenge: set `self._authorization` or raise RegistryAuthError."""
        challenges = parse_challenges(response.headers.get_list("www-authenticate"))
        by_scheme = {c.scheme: c for c in challenges}
        if "bearer" in by_scheme:
            token = await self._fetch_token(by_scheme["bearer"].params)
            self._authorization = f"Bearer {token}"
            self._authorization_has_credentials = self._credentials is not None
            return
        if "basic" in by_scheme:
            if self._credentials is None:
                self._authorization_has_credentials = False
                raise self._refused(401)
            self._authorization = self._credentials.basic_header()
            self._authorization_has_credentials = True
            return
        schemes = ", ".join(sorted(by_scheme)) or "none"
        raise RegistryAuthError(
            self.repository.registry,
            f"asked for authentication (HTTP 401) with a scheme this reader does not support ({schemes})",
        )

    async def _fetch_token(self, params: Mapping[str, str]) -> str:
        """Get a pull token for the repository from the Bearer challenge's realm."""
        registry = self.repository.registry
        realm_text = params.get("realm", "")
        try:
            realm = httpx.URL(realm_text)
        except httpx.InvalidURL:
            realm = httpx.URL("")
        if realm.scheme not in ("http", "https") or not realm.host:
            raise RegistryAuthError(registry, f"answered a Bearer challenge without a usable realm ({realm_text[:100]!r})")
        headers: dict[str, str] = {}
        if self._credentials is not None:
            # Credentials travel in clear text over plain HTTP. The registry itself speaks plain
            # HTTP only when it is on loopback (see Repository.plain_http), but a challenge may
            # name a realm anywhere: never let a registry talk us into sending the password
            # unencrypted to some other machine. Loopback realms stay allowed (local registries
            # and their token services, as in our tests) because nothing leaves the host.
            if realm.scheme == "http" and not _is_loopback(realm.host):
                raise RegistryAuthError(
                    registry,
                    f"refusing to send credentials over plain HTTP to the token service at {realm.host}",
                )
            headers["Authorization"] = self._credentials.basic_header()
        query: dict[str, str] = {"scope": f"repository:{self.repository.path}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        url = realm.copy_merge_params(query)
        what = f"GET {realm.path} of the token service at {realm.host}"
        response = await self._send("GET", url, headers, what=what)
        if response.status_code in (401, 403):
            self._authorization_has_credentials = self._credentials is not None
            raise self._refused(response.status_code)
        if not response.is_success:
            codes = _error_codes(response)
            detail = f" ({', '.join(codes)})" if codes else ""
            raise RegistryAuthError(registry, f"HTTP {response.status_code}{detail} for {what}")
        try:
            body: Any = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            body = None
        token = None
        if isinstance(body, dict):
            token = body.get("token") or body.get("access_token")
        if not isinstance(token, str) or not token:
            raise RegistryAuthError(registry, f"the token service at {realm.host} answered without a token")
        return token

    # -- transport and retries -------------------------------------------------------------------

    async def _send(
        self, method: str, url: httpx.URL, headers: Mapping[str, str], *, what: str
    ) -> httpx.Response:
        """Send one request, retrying 429, 5xx, connection failures and timeouts.

        Returns the first answer that is none of those; raises RateLimitedError, RegistryError
        or RegistryUnreachableError when the retry budget is spent.
        """
        registry = self.repository.registry
        attempts = self._retries + 1
        for attempt in range(1, attempts + 1):
            delay = self._backoff * (2 ** (attempt - 1))
            try:
                response = await self._client.request(method, url, headers=headers)
            except httpx.TransportError as exc:
                reason = _describe_transport_error(exc)
                log.debug("%s: %s failed (%s), attempt %d/%d", registry, what, reason, attempt, attempts)
                if _is_tls_verification_error(exc):
                    raise RegistryUnreachableError(
                        registry, "cannot connect (TLS certificate verification failed)"
                    ) from None
                if attempt == attempts:
                    if reason == "timed out":
                        problem = f"timed out {_after(attempts)} for {what}"
                    else:
                        problem = f"cannot connect ({reason}) {_after(attempts)}"
                    raise RegistryUnreachableError(registry, problem) from None
            else:
                status = response.status_code
                log.debug("%s: %s -> HTTP %d, attempt %d/%d", registry, what, status, attempt, attempts)
                if status != 429 and status < 500:
                    return response
                if attempt == attempts:
                    if status == 429:
                        raise RateLimitedError(
                            registry,
                            f"rate limited (HTTP 429) {_after(attempts)}; try again later",
                        )
                    codes = _error_codes(response)
                    detail = f" ({', '.join(codes)})" if codes else ""
                    raise RegistryError(registry, f"HTTP {status}{detail} {_after(attempts)} for {what}")
                retry_after = _retry_after(response)
                if retry_after is not None:
                    delay = retry_after
            await anyio.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _after(attempts: int) -> str:
    """`after 1 attempt` / `after 4 attempts`."""
    return f"after {attempts} attempt{'s' if attempts != 1 else ''}"


def _stable_tags_descending(tags: Iterable[str]) -> list[str]:
    """Stable semver tags (a leading v allowed), highest first; `1.2.3` before `v1.2.3`."""
    ranked: list[tuple[semver.Version, bool, str]] = []
    for tag in tags:
        version = stable_version_of(tag)
        if version is not None:
            ranked.append((version, not tag.startswith("v"), tag))
    ranked.sort(reverse=True)
    return [tag for _, _, tag in ranked]
