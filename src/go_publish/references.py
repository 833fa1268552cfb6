"""Registry + repository -> fully qualified image references (distribution reference grammar)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from go_publish.errors import InputError, shown

DEFAULT_REGISTRY = "docker.io"

# Docker Hub answers under several names; references and credentials use one of them.
_DOCKER_HUB_NAMES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_DOCKER_HUB_API = "registry-1.docker.io"

# From github.com/distribution/reference: a path component and a domain.
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*")
_DOMAIN_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = re.compile(
    rf"(?:{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*|\[[0-9a-fA-F:.]+\])(?::[0-9]{{1,5}})?"
)
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_MAX_NAME = 255
_MAX_HOST = 253
# Hosts that speak plain HTTP by default, as docker treats them.
_LOOPBACK = re.compile(r"^(?:localhost|127(?:\.[0-9]{1,3}){3}|\[::1\])(?::[0-9]+)?$")


def is_valid_tag(tag: str) -> bool:
    """True when `tag` satisfies the registry tag grammar."""
    return _TAG.fullmatch(tag) is not None


def parse_registry(value: str, field: str = "--registry") -> str:
    """Return the canonical registry host[:port]; Docker Hub's names all become docker.io."""
    host = value.strip()
    if not host:
        raise InputError(field, "must not be empty (e.g. docker.io, ghcr.io, localhost:5000)")
    if "://" in host:
        raise InputError(field, f"give a host such as ghcr.io without a scheme, not {shown(value)}")
    if "/" in host:
        raise InputError(
            field, f"{shown(value)} has a path; put the path in --repository and only the host here"
        )
    if len(host) > _MAX_HOST:
        raise InputError(field, f"a host name has at most {_MAX_HOST} characters, not {len(host)}")
    if not _HOST.fullmatch(host):
        raise InputError(field, f"{shown(value)} is not a registry host[:port]")
    port = host.rsplit(":", 1)[1] if re.search(r":[0-9]+$", host) else None
    if port is not None and not 0 < int(port) < 65536:
        raise InputError(field, f"port {port} is out of range 1-65535")
    host = host.lower()
    return DEFAULT_REGISTRY if host in _DOCKER_HUB_NAMES else host


def _looks_like_host(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


def parse_repository_path(value: str, registry: str, field: str = "--repository") -> str:
    """Validate a repository path; Docker Hub's one-word names live under `library/`."""
    path = value.strip()
    if not path:
        raise InputError(field, "must not be empty (e.g. user/goserver)")
    if "@" in path:
        raise InputError(field, f"{shown(value)} has a digest; give the repository only")
    if path.startswith("/") or path.endswith("/") or "//" in path:
        raise InputError(field, f"{shown(value)} has an empty path component (a leading, trailing or double /)")
    components = path.split("/")
    if len(components) > 1 and _looks_like_host(components[0]):
        raise InputError(
            field,
            f"{shown(value)} starts with a registry host; pass --registry {components[0]} "
            f"--repository {'/'.join(components[1:])}",
        )
    if ":" in components[-1]:
        raise InputError(field, f"{shown(value)} has a tag; give the repository only (tags come from --version)")
    for component in components:
        if not _COMPONENT.fullmatch(component):
            rule = (
                "must be lowercase"
                if _COMPONENT.fullmatch(component.lower())
                else "may use only a-z and 0-9, joined by one ., one _, __ or dashes"
            )
            raise InputError(field, f"path component {shown(component)} of {shown(value)} {rule}")
    if registry == DEFAULT_REGISTRY and len(components) == 1:
        path = f"library/{path}"
    if len(registry) + 1 + len(path) > _MAX_NAME:
        raise InputError(field, f"the full name may be at most {_MAX_NAME} characters")
    return path


@dataclass(frozen=True)
class Repository:
    """A repository in a registry: where the tags of one image live."""

    registry: str
    path: str

    @classmethod
    def parse(cls, registry: str, repository: str) -> Repository:
        """Validate both parts; raise InputError naming --registry or --repository."""
        host = parse_registry(registry)
        return cls(host, parse_repository_path(repository, host))

    @property
    def name(self) -> str:
        """The fully qualified name, e.g. docker.io/user/goserver."""
        return f"{self.registry}/{self.path}"

    def reference(self, tag: str) -> str:
        """The fully qualified reference of `tag`, e.g. docker.io/user/goserver:0.2.0."""
        if not is_valid_tag(tag):
            raise InputError("tag", f"{shown(tag)} does not match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}")
        return f"{self.name}:{tag}"

    @property
    def api_host(self) -> str:
        """The host that serves the distribution API (Docker Hub's differs from its name)."""
        return _DOCKER_HUB_API if self.registry == DEFAULT_REGISTRY else self.registry

    @property
    def plain_http(self) -> bool:
        """Loopback registries speak HTTP; every other one HTTPS, as docker assumes."""
        return _LOOPBACK.match(self.registry) is not None
