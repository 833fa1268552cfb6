"""A release request validated as a whole, and the login pair."""

from __future__ import annotations

import pytest

from go_publish.errors import InputError
from go_publish.plan import Action, RegistryView
from go_publish.release import Release, check_login


def test_parse_defaults() -> None:
    release = Release.parse(version="v0.2.0", repository="user/goserver")
    assert str(release.version) == "0.2.0"
    assert release.repository.name == "docker.io/user/goserver"
    assert [p.name for p in release.platforms] == ["linux/amd64"]
    assert (release.latest, release.aliases, release.force) == (True, False, False)


@pytest.mark.parametrize("platforms", [None, []])
def test_no_platforms_means_linux_amd64(platforms: list[str] | None) -> None:
    release = Release.parse(version="0.2.0", repository="foo", registry="localhost:5000", platforms=platforms)
    assert [p.name for p in release.platforms] == ["linux/amd64"]
    assert release.repository.name == "localhost:5000/foo"


def test_parse_platforms() -> None:
    release = Release.parse(version="0.2.0", repository="u/a", platforms=["linux/amd64,linux/arm64", "linux/arm/v7"])
    assert [p.name for p in release.platforms] == ["linux/amd64", "linux/arm64", "linux/arm/v7"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"version": "1.2"}, "--version"),
        ({"version": "1.2.3+b"}, "--version"),
        ({"registry": "https://ghcr.io"}, "--registry"),
        ({"repository": "Org/App"}, "--repository"),
        ({"repository": "ghcr.io/user/app"}, "--repository"),
        ({"platforms": ["windows/amd64"]}, "--platform"),
        ({"platforms": ["linux/amd64", "linux/amd64"]}, "--platform"),
        ({"platforms": [""]}, "--platform"),
        # every field bad: the version is checked first, then the registry, then the repository
        ({"version": "x", "registry": "https://x", "repository": "X", "platforms": ["x"]}, "--version"),
        ({"registry": "https://x", "repository": "X", "platforms": ["x"]}, "--registry"),
        ({"repository": "X", "platforms": ["x"]}, "--repository"),
    ],
)
def test_parse_refuses_the_first_bad_field(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"version": "0.2.0", "repository": "user/app", "registry": "ghcr.io"}
    arguments.update(kwargs)
    with pytest.raises(InputError) as caught:
        Release.parse(**arguments)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    # `--platform` also matches `--platforms`: which spelling names the list is not pinned here.
    assert message.startswith(field), message


def test_plan_carries_the_release_options() -> None:
    registry = RegistryView(frozenset({"0.2.0"}), {"0.2.0": "sha256:" + "b" * 64})
    digest = "sha256:" + "a" * 64
    refused = Release.parse(version="0.2.0", repository="u/a").plan(registry, digest)
    assert [d.tag for d in refused.refused] == ["0.2.0"]
    forced = Release.parse(version="0.2.0", repository="u/a", force=True).plan(registry, digest)
    assert {d.tag: d.action for d in forced.decisions}["0.2.0"] is Action.MOVE
    no_latest = Release.parse(version="1.4.2", repository="u/a", latest=False, aliases=True).plan()
    assert [d.tag for d in no_latest.to_push] == ["1.4.2", "1.4", "1"]
    assert [d.tag for d in no_latest.skipped] == ["latest"]
    assert no_latest.registry_checked is False


@pytest.mark.parametrize("username", ["ci", "robot$team+ci", "user@example.com", "wörd", " spaced "])
def test_username_is_returned_byte_exact(username: str) -> None:
    assert check_login(username, True) == username


def test_no_login_at_all() -> None:
    assert check_login("", False) == ""


def test_password_without_username_is_refused() -> None:
    with pytest.raises(InputError, match=r"^--username: ") as caught:
        check_login("", True)
    assert "--password" in str(caught.value)


def test_username_without_password_is_refused() -> None:
    with pytest.raises(InputError, match=r"^--password: ") as caught:
        check_login("ci", False)
    assert "--username" in str(caught.value)


@pytest.mark.parametrize("username", ["ci\n", "ci\nadmin", "ci\r", "a\tb", "a\x00b", "a\x7fb"])
def test_username_with_control_characters_is_refused(username: str) -> None:
    with pytest.raises(InputError) as caught:
        check_login(username, True)
    message = str(caught.value)
    assert message.startswith("--username: ")
    assert "\n" not in message and "\r" not in message
