"""Registry + repository -> image references, following the distribution reference grammar."""

from __future__ import annotations

import pytest

from go_publish.errors import InputError
from go_publish.references import Repository, is_valid_tag


def refusal(registry: str, repository: str, field: str) -> str:
    """The one-line message Repository.parse refuses with; it must name `field`."""
    with pytest.raises(InputError) as caught:
        Repository.parse(registry, repository)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith(f"{field}: "), message
    assert caught.value.field == field
    return message


@pytest.mark.parametrize(
    ("registry", "repository", "reference"),
    [
        ("docker.io", "user/goserver", "docker.io/user/goserver:0.2.0"),
        ("docker.io", "goserver", "docker.io/library/goserver:0.2.0"),
        ("docker.io", "library/goserver", "docker.io/library/goserver:0.2.0"),
        ("index.docker.io", "goserver", "docker.io/library/goserver:0.2.0"),
        ("registry-1.docker.io", "user/goserver", "docker.io/user/goserver:0.2.0"),
        ("Docker.IO", "user/goserver", "docker.io/user/goserver:0.2.0"),
        ("localhost:5000", "foo", "localhost:5000/foo:0.2.0"),
        ("localhost", "foo", "localhost/foo:0.2.0"),
        ("ghcr.io", "org/team/app", "ghcr.io/org/team/app:0.2.0"),
        ("GHCR.IO", "org/app", "ghcr.io/org/app:0.2.0"),
        ("127.0.0.1:5000", "a/b", "127.0.0.1:5000/a/b:0.2.0"),
        ("[::1]:5000", "foo", "[::1]:5000/foo:0.2.0"),
        ("  ghcr.io  ", "  org/app ", "ghcr.io/org/app:0.2.0"),
    ],
)
def test_reference(registry: str, repository: str, reference: str) -> None:
    assert Repository.parse(registry, repository).reference("0.2.0") == reference


@pytest.mark.parametrize(
    ("registry", "name", "api_host"),
    [
        ("docker.io", "docker.io/user/app", "registry-1.docker.io"),
        ("index.docker.io", "docker.io/user/app", "registry-1.docker.io"),
        ("registry-1.docker.io", "docker.io/user/app", "registry-1.docker.io"),
        ("ghcr.io", "ghcr.io/user/app", "ghcr.io"),
        ("localhost:5000", "localhost:5000/user/app", "localhost:5000"),
    ],
)
def test_docker_hub_names_canonicalize(registry: str, name: str, api_host: str) -> None:
    repository = Repository.parse(registry, "user/app")
    assert repository.name == name
    assert repository.api_host == api_host


@pytest.mark.parametrize(
    ("registry", "plain"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("127.0.0.1", True),
        ("127.0.0.1:5000", True),
        ("127.1.2.3:8080", True),
        ("[::1]", True),
        ("[::1]:5000", True),
        ("docker.io", False),
        ("ghcr.io", False),
        ("registry.example.com:5000", False),
        ("localhost.example.com", False),
        ("127.0.0.1.nip.io", False),
        ("10.0.0.5:5000", False),
    ],
)
def test_plain_http_only_for_loopback(registry: str, plain: bool) -> None:
    assert Repository.parse(registry, "user/app").plain_http is plain


@pytest.mark.parametrize(
    "repository",
    ["a__b", "a_b", "a.b", "a-b", "a--b", "a---b", "user/app-1", "0/1", "a/b/c/d", "library/goserver"],
)
def test_repository_paths_allowed_by_the_grammar(repository: str) -> None:
    assert Repository.parse("ghcr.io", repository).path == repository


@pytest.mark.parametrize(
    ("repository", "names"),
    [
        ("Org/App", "'Org' of 'Org/App' must be lowercase"),
        ("user/App", "'App' of 'user/App' must be lowercase"),
        ("user//app", "empty path component"),
        ("/user/app", "empty path component"),
        ("user/app/", "empty path component"),
        ("-user/app", "'-user'"),
        ("user/app-", "'app-'"),
        ("_app", "'_app'"),
        ("a___b", "'a___b'"),
        ("a..b", "'a..b'"),
        ("a.-b", "'a.-b'"),
        ("user/app!", "'app!'"),
        ("user/ap p", "'ap p'"),
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("user/app:1.0", "has a tag"),
        ("app:latest", "has a tag"),
        ("user/app@sha256:" + "a" * 64, "has a digest"),
        ("user/app\nx", "'user/app\\nx'"),
    ],
)
def test_repository_refusals(repository: str, names: str) -> None:
    assert names in refusal("ghcr.io", repository, "--repository")


def test_invalid_component_message_says_which_characters_are_allowed() -> None:
    assert "may use only a-z and 0-9" in refusal("ghcr.io", "a___b", "--repository")
    assert "must be lowercase" not in refusal("ghcr.io", "a___b", "--repository")


@pytest.mark.parametrize(
    ("repository", "hint"),
    [
        ("ghcr.io/user/app", "pass --registry ghcr.io --repository user/app"),
        ("localhost:5000/foo", "pass --registry localhost:5000 --repository foo"),
        ("localhost/foo", "pass --registry localhost --repository foo"),
        ("docker.io/library/goserver", "pass --registry docker.io --repository library/goserver"),
    ],
)
def test_repository_with_a_host_gets_a_registry_hint(repository: str, hint: str) -> None:
    assert hint in refusal("docker.io", repository, "--repository")


@pytest.mark.parametrize(
    ("registry", "names"),
    [
        ("https://ghcr.io", "without a scheme"),
        ("http://localhost:5000", "without a scheme"),
        ("ghcr.io/user", "has a path"),
        ("", "must not be empty"),
        ("localhost:70000", "port 70000 is out of range"),
        ("localhost:0", "port 0 is out of range"),
        ("localhost:123456", "is not a registry host"),
        ("ghcr.io:", "is not a registry host"),
        ("-ghcr.io", "is not a registry host"),
        ("my_registry.local", "is not a registry host"),
        ("::1", "is not a registry host"),
        ("ghcr.io\nevil", "is not a registry host"),
    ],
)
def test_registry_refusals(registry: str, names: str) -> None:
    assert names in refusal(registry, "user/app", "--registry")


@pytest.mark.parametrize("registry", ["localhost:1", "localhost:65535", "[::1]", "[fe80::1]:443", "my-registry.internal:8443"])
def test_registry_hosts_accepted(registry: str) -> None:
    assert Repository.parse(registry, "app").registry == registry


def test_registry_is_checked_before_repository() -> None:
    refusal("https://ghcr.io", "Org/App", "--registry")


@pytest.mark.parametrize(
    ("registry", "repository_length", "accepted"),
    [
        ("ghcr.io", 247, True),  # 7 + 1 + 247 = 255
        ("ghcr.io", 248, False),
        ("docker.io", 237, True),  # docker.io/library/ + 237 = 255: library/ counts
        ("docker.io", 238, False),
    ],
)
def test_full_name_is_at_most_255_characters(registry: str, repository_length: int, accepted: bool) -> None:
    path = "a" * repository_length
    if accepted:
        assert len(Repository.parse(registry, path).name) == 255
    else:
        assert "at most 255 characters" in refusal(registry, path, "--repository")


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("0.2.0", True),
        ("latest", True),
        ("_x", True),
        ("A" * 128, True),
        ("A" * 129, False),
        ("", False),
        (".x", False),
        ("-x", False),
        ("1.2.3+b", False),
        ("a/b", False),
    ],
)
def test_tag_grammar(tag: str, valid: bool) -> None:
    assert is_valid_tag(tag) is valid


def test_reference_refuses_an_invalid_tag() -> None:
    with pytest.raises(InputError, match=r"^tag: '1\.2\.3\+b' does not match"):
        Repository.parse("ghcr.io", "user/app").reference("1.2.3+b")
