"""RegistryReader against real docker-registry processes on 127.0.0.1 (no mocked registry).

Faults and Bearer token auth come from a loopback proxy in front of the real registry
(tests/faultproxy.py). Fixtures live in tests/conftest.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from go_publish import registry as registry_module
from go_publish.errors import GoPublishError, InputError
from go_publish.registry import (
    Credentials,
    RateLimitedError,
    RegistryAuthError,
    RegistryError,
    RegistryUnreachableError,
    parse_challenges,
)

live = pytest.mark.registry
Reader = Callable[..., Any]


def creds(registry: Any, username: str) -> Credentials:
    return Credentials(username, registry.users[username])


# -- listing tags -----------------------------------------------------------------------------


@live
@pytest.mark.anyio
async def test_tags_lists_every_tag(registry: Any, push_image: Any, make_reader: Reader, repo_path: str) -> None:
    push_image(registry, repo_path, ["0.1.0", "0.2.0", "latest"], content="a")
    async with make_reader(registry.host, repo_path) as reader:
        assert sorted(await reader.tags()) == ["0.1.0", "0.2.0", "latest"]


@live
@pytest.mark.anyio
@pytest.mark.parametrize("links", ["relative", "absolute"])
async def test_tags_follow_pagination(
    registry: Any, push_image: Any, make_reader: Reader, fault_proxy: Any, repo_path: str, links: str
) -> None:
    # docker-registry 2.8 ignores `n` for tags; the proxy pages its real answer as the spec says.
    tags = [f"0.0.{i}" for i in range(7)]
    push_image(registry, repo_path, tags, content="paged")
    proxy = fault_proxy(registry, paginate_tags=links)
    async with make_reader(proxy.host, repo_path, page_size=2) as reader:
        assert sorted(await reader.tags()) == sorted(tags)
    pages = [s.path for s in proxy.seen]
    assert pages == [
        f"/v2/{repo_path}/tags/list?n=2",
        f"/v2/{repo_path}/tags/list?n=2&last=0.0.1",
        f"/v2/{repo_path}/tags/list?n=2&last=0.0.3",
        f"/v2/{repo_path}/tags/list?n=2&last=0.0.5",
    ]


@live
@pytest.mark.anyio
async def test_missing_repository_has_no_tags(registry: Any, make_reader: Reader, repo_path: str) -> None:
    async with make_reader(registry.host, repo_path) as reader:
        assert await reader.tags() == []
        assert await reader.digest("latest") is None
        view = await reader.view("0.1.0")
    assert view.tags == frozenset() and view.latest_version is None


# -- digests -------------------------------------------------------------------------------------


@live
@pytest.mark.anyio
async def test_digest_of_existing_and_missing_tags(
    registry: Any, push_image: Any, make_reader: Reader, repo_path: str
) -> None:
    two = push_image(registry, repo_path, ["0.2.0", "latest"], content="two")
    one = push_image(registry, repo_path, ["0.1.8"], content="one")
    assert one != two
    async with make_reader(registry.host, repo_path) as reader:
        assert await reader.digest("0.2.0") == two
        assert await reader.digest("latest") == two
        assert await reader.digest("0.1.8") == one
        assert await reader.digest("9.9.9") is None


@live
@pytest.mark.anyio
async def test_digest_of_a_multi_platform_index(
    registry: Any, push_image: Any, make_reader: Reader, repo_path: str
) -> None:
    index = push_image(registry, repo_path, ["1.0.0"], content="multi", platforms=("linux/amd64", "linux/arm64"))
    single = push_image(registry, repo_path, ["0.9.0"], content="multi")
    assert index != single
    async with make_reader(registry.host, repo_path) as reader:
        assert await reader.digest("1.0.0") == index


@live
@pytest.mark.anyio
async def test_digest_without_header_hashes_the_manifest(
    registry: Any, push_image: Any, make_reader: Reader, fault_proxy: Any, repo_path: str
) -> None:
    digest = push_image(registry, repo_path, ["0.2.0"], content="no-header")
    proxy = fault_proxy(registry, drop_headers=["Docker-Content-Digest"])
    async with make_reader(proxy.host, repo_path) as reader:
        assert await reader.digest("0.2.0") == digest
    assert [s.method for s in proxy.seen] == ["HEAD", "GET"]


@live
@pytest.mark.anyio
async def test_digest_refuses_a_tag_that_is_not_a_tag(registry: Any, make_reader: Reader) -> None:
    async with make_reader(registry.host, "team/app") as reader:
        with pytest.raises(InputError):
            await reader.digest("../../other/manifests/x")


# -- view ------------------------------------------------------------------------------------------


@live
@pytest.mark.anyio
async def test_view_finds_the_version_latest_points_at(
    registry: Any, push_image: Any, make_reader: Reader, repo_path: str
) -> None:
    one = push_image(registry, repo_path, ["0.1.8"], content="one")
    two = push_image(registry, repo_path, ["0.2.0", "latest"], content="two")
    push_image(registry, repo_path, ["0.3.0-rc.1", "v0.1.9"], content="three")
    async with make_reader(registry.host, repo_path) as reader:
        view = await reader.view("0.1.8")
    assert view.tags == {"0.1.8", "0.2.0", "latest", "0.3.0-rc.1", "v0.1.9"}
    assert view.latest_version == "0.2.0"
    assert view.digest("0.1.8") == one
    assert view.digest("latest") == two


@live
@pytest.mark.anyio
async def test_view_when_latest_is_no_release(
    registry: Any, push_image: Any, make_reader: Reader, repo_path: str
) -> None:
    push_image(registry, repo_path, ["0.1.8"], content="one")
    push_image(registry, repo_path, ["latest"], content="untagged build")
    async with make_reader(registry.host, repo_path) as reader:
        view = await reader.view("0.2.0")
    assert view.latest_version is None
    assert view.digest("0.2.0") is None and view.digest("latest") is not None


@live
@pytest.mark.anyio
async def test_view_looks_up_at_most_max_lookups(
    registry: Any, push_image: Any, make_reader: Reader, repo_path: str
) -> None:
    push_image(registry, repo_path, ["0.1.0", "latest"], content="old")
    push_image(registry, repo_path, ["0.2.0", "0.3.0", "0.4.0"], content="new")
    async with make_reader(registry.host, repo_path) as reader:
        assert (await reader.view("0.5.0", max_lookups=3)).latest_version is None
        assert (await reader.view("0.5.0", max_lookups=4)).latest_version == "0.1.0"


# -- basic auth ------------------------------------------------------------------------------------


@live
@pytest.mark.anyio
@pytest.mark.parametrize("username", ["ci", "robot$team+ci"])
async def test_basic_auth(
    auth_registry: Any, push_image: Any, make_reader: Reader, repo_path: str, username: str
) -> None:
    digest = push_image(auth_registry, repo_path, ["0.2.0"], content="auth", user=username)
    async with make_reader(auth_registry.host, repo_path, creds(auth_registry, username)) as reader:
        assert await reader.tags() == ["0.2.0"]
        assert await reader.digest("0.2.0") == digest
        requests = reader._client._transport.requests
    # Anonymous once, then Basic for every later request of the reader.
    assert "authorization" not in requests[0].headers
    assert all(r.headers["authorization"].startswith("Basic ") for r in requests[1:])
    assert len(requests) == 3


@live
@pytest.mark.anyio
async def test_wrong_password_fails_closed_without_showing_it(
    auth_registry: Any, make_reader: Reader, repo_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "wrong-Pa$$word-7f3a"
    credentials = Credentials("robot$team+ci", secret)
    async with make_reader(auth_registry.host, repo_path, credentials) as reader:
        with pytest.raises(RegistryAuthError) as caught:
            await reader.tags()
        assert secret not in repr(reader)
    error = caught.value
    assert isinstance(error, RegistryError) and isinstance(error, GoPublishError)
    for text in (str(error), repr(error), repr(error.args), repr(credentials), str(credentials)):
        assert secret not in text
    assert "\n" not in str(error)
    assert caplog.records and secret not in caplog.text
    assert str(error) == (
        f"registry {auth_registry.host}: authentication for {repo_path} was refused (HTTP 401); "
        "check the username and password"
    )


@live
@pytest.mark.anyio
async def test_auth_registry_without_credentials(auth_registry: Any, make_reader: Reader, repo_path: str) -> None:
    async with make_reader(auth_registry.host, repo_path) as reader:
        with pytest.raises(RegistryAuthError, match=r"needs credentials .*a username and password"):
            await reader.tags()


# -- faults ------------------------------------------------------------------------------------------


@live
@pytest.mark.anyio
@pytest.mark.parametrize("script", [[429, 200], [500, 200], [502, 503, 504, 200], ["close", 200]])
async def test_faults_within_the_retry_budget_are_retried(
    registry: Any, push_image: Any, make_reader: Reader, fault_proxy: Any, repo_path: str, script: list[Any]
) -> None:
    digest = push_image(registry, repo_path, ["0.2.0"], content="faults")
    proxy = fault_proxy(registry, script=script)
    async with make_reader(proxy.host, repo_path, retries=3) as reader:
        assert await reader.tags() == ["0.2.0"]
        proxy.set_script(script)
        assert await reader.digest("0.2.0") == digest
    assert len(proxy.seen) == 2 * len(script)


@live
@pytest.mark.anyio
async def test_persistent_5xx_is_a_clear_error(registry: Any, make_reader: Reader, fault_proxy: Any) -> None:
    proxy = fault_proxy(registry, persistent=500)
    async with make_reader(proxy.host, "team/app", retries=3) as reader:
        with pytest.raises(RegistryError) as caught:
            await reader.tags()
    assert type(caught.value) is RegistryError
    assert str(caught.value) == (
        f"registry {proxy.host}: HTTP 500 (UNKNOWN) after 4 attempts for GET /v2/team/app/tags/list"
    )
    assert len(proxy.seen) == 4


@live
@pytest.mark.anyio
async def test_persistent_429_is_rate_limited(registry: Any, make_reader: Reader, fault_proxy: Any) -> None:
    proxy = fault_proxy(registry, persistent=429)
    async with make_reader(proxy.host, "team/app", retries=2) as reader:
        with pytest.raises(RateLimitedError) as caught:
            await reader.digest("latest")
    assert str(caught.value) == f"registry {proxy.host}: rate limited (HTTP 429) after 3 attempts; try again later"
    assert len(proxy.seen) == 3


@live
@pytest.mark.anyio
async def test_retry_after_is_honoured_and_capped(
    registry: Any, make_reader: Reader, fault_proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = fault_proxy(registry, script=[429, 200], retry_after="1")
    async with make_reader(proxy.host, "team/none", backoff=0.0) as reader:
        started = time.monotonic()
        assert await reader.tags() == []
        assert time.monotonic() - started >= 0.9
    monkeypatch.setattr(registry_module, "MAX_RETRY_AFTER", 0.2)
    proxy = fault_proxy(registry, script=[429, 200], retry_after="3600")
    async with make_reader(proxy.host, "team/none", backoff=0.0) as reader:
        started = time.monotonic()
        assert await reader.tags() == []
        assert 0.15 <= time.monotonic() - started < 3


@live
@pytest.mark.anyio
async def test_403_is_an_auth_error(registry: Any, make_reader: Reader, fault_proxy: Any) -> None:
    proxy = fault_proxy(registry, persistent=403)
    async with make_reader(proxy.host, "team/app") as reader:
        with pytest.raises(RegistryAuthError, match=r"access to team/app was denied \(HTTP 403\)"):
            await reader.tags()
    assert len(proxy.seen) == 1  # not retried


@live
@pytest.mark.anyio
async def test_other_4xx_names_status_and_code(registry: Any, make_reader: Reader, fault_proxy: Any) -> None:
    proxy = fault_proxy(registry, persistent=400)
    credentials = Credentials("ci", "never-shown")
    async with make_reader(proxy.host, "team/app", credentials) as reader:
        with pytest.raises(RegistryError) as caught:
            await reader.tags()
        assert type(caught.value) is RegistryError
        with pytest.raises(RegistryError, match=r"HTTP 400 for HEAD /v2/team/app/manifests/0.1.0$"):
            await reader.digest("0.1.0")  # a HEAD answer has no body to take a code from
    assert str(caught.value) == f"registry {proxy.host}: HTTP 400 (NAME_INVALID) for GET /v2/team/app/tags/list"
    assert len(proxy.seen) == 2
    assert "never-shown" not in repr(caught.value)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@live
@pytest.mark.anyio
async def test_connection_refused_is_unreachable(make_reader: Reader) -> None:
    host = f"127.0.0.1:{_free_port()}"
    async with make_reader(host, "team/app", retries=2) as reader:
        started = time.monotonic()
        with pytest.raises(RegistryUnreachableError) as caught:
            await reader.tags()
    assert str(caught.value) == f"registry {host}: cannot connect (connection refused) after 3 attempts"
    assert time.monotonic() - started < 2
    assert len(reader._client._transport.requests) == 3


# -- bearer tokens -----------------------------------------------------------------------------------


@live
@pytest.mark.anyio
@pytest.mark.parametrize("username", ["ci", "robot$team+ci"])
async def test_bearer_token_flow(
    registry: Any, auth_registry: Any, push_image: Any, make_reader: Reader, fault_proxy: Any,
    repo_path: str, username: str,
) -> None:
    digest = push_image(registry, repo_path, ["0.2.0", "latest"], content="bearer")
    proxy = fault_proxy(registry, bearer={"users": auth_registry.users})
    async with make_reader(proxy.host, repo_path, creds(auth_registry, username)) as reader:
        assert sorted(await reader.tags()) == ["0.2.0", "latest"]
        assert await reader.digest("latest") == digest
        view = await reader.view("0.2.0")
    assert view.latest_version == "0.2.0"
    # One token for the reader, asked with our scope and the challenge's service.
    assert len(proxy.token_requests) == 1
    request = proxy.token_requests[0]
    assert (request.username, request.service, request.scope, request.granted) == (
        username, "test", f"repository:{repo_path}:pull", True
    )
    assert proxy.seen[0].authorization is None
    assert all(s.authorization == f"Bearer {proxy.bearer.token}" for s in proxy.seen[1:])


@live
@pytest.mark.anyio
async def test_bearer_anonymous_token(registry: Any, make_reader: Reader, fault_proxy: Any, repo_path: str) -> None:
    proxy = fault_proxy(registry, bearer={"anonymous": True})
    async with make_reader(proxy.host, repo_path) as reader:
        assert await reader.tags() == []
    assert proxy.token_requests[0].username is None


@live
@pytest.mark.anyio
async def test_bearer_refused_credentials(
    registry: Any, auth_registry: Any, make_reader: Reader, fault_proxy: Any
) -> None:
    proxy = fault_proxy(registry, bearer={"users": auth_registry.users})
    secret = "not-the-Pa$$word"
    async with make_reader(proxy.host, "team/app", Credentials("ci", secret)) as reader:
        with pytest.raises(RegistryAuthError) as caught:
            await reader.tags()
    assert str(caught.value) == (
        f"registry {proxy.host}: authentication for team/app was refused (HTTP 401); check the username and password"
    )
    assert secret not in repr(caught.value)


@live
@pytest.mark.anyio
async def test_bearer_without_credentials(registry: Any, make_reader: Reader, fault_proxy: Any) -> None:
    proxy = fault_proxy(registry, bearer={"users": {"ci": "x"}})
    async with make_reader(proxy.host, "team/app") as reader:
        with pytest.raises(RegistryAuthError, match="needs credentials"):
            await reader.tags()


@live
@pytest.mark.anyio
async def test_no_credentials_over_plain_http_to_another_host(
    registry: Any, make_reader: Reader, fault_proxy: Any
) -> None:
    # The realm is never contacted: the reader refuses first (and the transport would refuse too).
    proxy = fault_proxy(registry, bearer={"users": {"ci": "pw"}, "realm": "http://auth.example.invalid/token"})
    async with make_reader(proxy.host, "team/app", Credentials("ci", "pw")) as reader:
        with pytest.raises(RegistryAuthError, match="refusing to send credentials over plain HTTP"):
            await reader.tags()
        assert {r.url.host for r in reader._client._transport.requests} == {"127.0.0.1"}


# -- pure parts ----------------------------------------------------------------------------------------


def test_parse_challenges_handles_quotes_commas_and_several_schemes() -> None:
    header = (
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:team/app:pull,push", error="insufficient_scope"'
    )
    (bearer,) = parse_challenges([header])
    assert bearer.scheme == "bearer"
    assert bearer.params == {
        "realm": "https://auth.example/token",
        "service": "registry.example",
        "scope": "repository:team/app:pull,push",
        "error": "insufficient_scope",
    }
    several = parse_challenges(['Negotiate abc==, Basic realm="a \\"b\\", c"', "BEARER Realm=x"])
    assert [(c.scheme, dict(c.params)) for c in several] == [
        ("negotiate", {}),
        ("basic", {"realm": 'a "b", c'}),
        ("bearer", {"realm": "x"}),
    ]


def test_credentials_never_show_the_password() -> None:
    credentials = Credentials("robot$team+ci", "s3cr3t$+")
    for text in (repr(credentials), str(credentials), f"{credentials}", repr([credentials])):
        assert "s3cr3t" not in text
        assert "robot$team+ci" in text
    assert credentials.basic_header() == "Basic cm9ib3QkdGVhbStjaTpzM2NyM3QkKw=="
    with pytest.raises(InputError):
        Credentials("a:b", "x")
