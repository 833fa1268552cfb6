"""Shared fixtures. Registry fixtures start real registries on 127.0.0.1 (see registry_fixtures.py).

Registry fixtures (tests using them are marked `registry`):

* `registry` (session): an open docker-registry -> RunningRegistry (`.host` "127.0.0.1:PORT").
* `auth_registry` (session): one with htpasswd basic auth -> RunningRegistry whose `.users` maps
  `ci` and the Harbor-style `robot$team+ci` to their passwords.
* `push_image` (session): `push_image(registry, path, tags, *, content, platforms=("linux/amd64",),
  user=None) -> digest`, real images copied in with skopeo.
* `repo_path` (function): a repository path of its own for each test, e.g. `team/test-tags-3`.
* `make_reader` (function): `make_reader(host, path, credentials=None, **kwargs) -> RegistryReader`
  with fast retries and a transport that refuses anything but 127.0.0.1.
* `fault_proxy` (function): `fault_proxy(upstream, *, script=(), persistent=None, retry_after="0",
  bearer=None | dict(users=..., anonymous=..., service=..., realm=...), drop_headers=()) -> FaultProxy`,
  a loopback proxy in front of a RunningRegistry injecting scripted answers (see faultproxy.py);
  every proxy is stopped after the test.
* `anyio_backend` (session): "asyncio", for `@pytest.mark.anyio` tests.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# pytest puts tests/ on sys.path (no __init__.py, "prepend" import mode), as for cli_runner.
from faultproxy import BearerGate, FaultProxy
from registry_fixtures import (
    INSTALL_HINT,
    LoopbackOnlyTransport,
    RunningRegistry,
    Skopeo,
    missing_tools,
    start_registry,
)
from registry_fixtures import push_image as _push_image

# Passwords with `$`, `+`, `:` and non-ASCII: they must reach the registry byte-exact.
REGISTRY_USERS = {
    "ci": "ci-pa$$word:1",
    "robot$team+ci": "r0bot+tok$en:wörd",
}


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio only."""
    return "asyncio"


@pytest.fixture(scope="session")
def registry_tools() -> None:
    """Skip registry tests (one line) when docker-registry, skopeo or htpasswd is missing."""
    missing = missing_tools()
    if missing:
        pytest.skip(f"registry tools missing ({', '.join(missing)}); {INSTALL_HINT}")


@pytest.fixture(scope="session")
def registry(registry_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """An open docker-registry on 127.0.0.1 (no auth), for the whole session."""
    running = start_registry(tmp_path_factory.mktemp("registry-open"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def auth_registry(registry_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A docker-registry with htpasswd basic auth; `.users` holds the accounts and passwords."""
    running = start_registry(tmp_path_factory.mktemp("registry-auth"), REGISTRY_USERS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def skopeo(registry_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Skopeo:
    """A hermetic skopeo runner (own policy, empty auth file)."""
    return Skopeo(tmp_path_factory.mktemp("skopeo"))


@pytest.fixture(scope="session")
def push_image(skopeo: Skopeo) -> Callable[..., str]:
    """`push_image(registry, path, tags, *, content, platforms=..., user=None) -> digest`."""

    def push(registry: RunningRegistry, path: str, tags: list[str] | tuple[str, ...], **kwargs: Any) -> str:
        return _push_image(skopeo, registry, path, tags, **kwargs)

    return push


_repo_counter = itertools.count(1)


@pytest.fixture
def repo_path(request: pytest.FixtureRequest) -> str:
    """A fresh repository path under team/ for this test (registries are shared per session)."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60].strip("-")
    return f"team/{name}-{next(_repo_counter)}"


@pytest.fixture
def make_reader() -> Iterator[Callable[..., Any]]:
    """Build RegistryReaders for loopback registries with fast retries (backoff 0.01 s)."""
    from go_publish.references import Repository
    from go_publish.registry import Credentials, RegistryReader

    def make(host: str, path: str, credentials: Credentials | None = None, **kwargs: Any) -> RegistryReader:
        kwargs.setdefault("backoff", 0.01)
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("transport", LoopbackOnlyTransport())
        return RegistryReader(Repository.parse(host, path), credentials, **kwargs)

    yield make



@pytest.fixture
def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
    """Start FaultProxy instances in front of a RunningRegistry; all are stopped after the test."""
    started: list[FaultProxy] = []

    def start(upstream: RunningRegistry, **kwargs: Any) -> FaultProxy:
        bearer = kwargs.pop("bearer", None)
        if isinstance(bearer, dict):
            bearer = BearerGate(**bearer)
        proxy = FaultProxy(upstream.host, bearer=bearer, **kwargs)
        started.append(proxy)
        return proxy

    try:
        yield start
    finally:
        for proxy in started:
            proxy.close()
