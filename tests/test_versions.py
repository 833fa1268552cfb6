"""Versions: which tags a release gets, and which --version values are refused (and how)."""

from __future__ import annotations

import re

import pytest
import semver

from go_publish.errors import InputError
from go_publish.versions import (
    alias_tags,
    parse_build_version,
    parse_version,
    stable_versions,
    tags_for,
)

TAG_GRAMMAR = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def refusal(value: str) -> str:
    """The message parse_version refuses `value` with; it must be one line naming --version."""
    with pytest.raises(InputError) as caught:
        parse_version(value)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith("--version: "), message
    assert caught.value.field == "--version"
    return message


@pytest.mark.parametrize(
    ("value", "latest", "aliases", "expected"),
    [
        ("0.2.0", True, False, ["0.2.0", "latest"]),
        ("v0.2.0", True, False, ["0.2.0", "latest"]),
        (" 0.2.0 ", True, False, ["0.2.0", "latest"]),
        ("0.2.0", False, False, ["0.2.0"]),
        ("1.4.2", True, True, ["1.4.2", "1.4", "1", "latest"]),
        ("1.4.2", False, True, ["1.4.2", "1.4", "1"]),
        ("0.3.1", True, True, ["0.3.1", "0.3", "latest"]),
        ("1.0.0", True, True, ["1.0.0", "1.0", "1", "latest"]),
        ("1.2.3-rc.1", True, False, ["1.2.3-rc.1"]),
        ("1.2.3-rc.1", True, True, ["1.2.3-rc.1"]),
        ("v2.0.0-beta.2", True, True, ["2.0.0-beta.2"]),
    ],
)
def test_tags_for_a_version(value: str, latest: bool, aliases: bool, expected: list[str]) -> None:
    assert tags_for(parse_version(value), latest=latest, aliases=aliases) == expected


def test_tags_default_to_latest_without_aliases() -> None:
    assert tags_for(parse_version("1.4.2")) == ["1.4.2", "latest"]


def test_leading_v_and_whitespace_give_the_same_version() -> None:
    assert parse_version("v0.2.0") == parse_version("0.2.0") == parse_version("\t0.2.0\n")
    assert str(parse_version("  v1.2.3-rc.1 ")) == "1.2.3-rc.1"


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.4.2", ["1.4", "1"]), ("0.3.1", ["0.3"]), ("0.0.1", ["0.0"]), ("10.20.30", ["10.20", "10"])],
)
def test_alias_tags_have_no_major_alias_zero(version: str, expected: list[str]) -> None:
    assert alias_tags(semver.Version.parse(version)) == expected


@pytest.mark.parametrize(
    "value",
    [
        "0.2.0",
        "v1.4.2",
        "1.2.3-rc.1",
        "1.2.3-alpha-1.x-y.0",
        "1.2.3-" + "a" * 122,  # exactly 128 characters: the longest tag allowed
    ],
)
@pytest.mark.parametrize("aliases", [False, True])
def test_every_tag_matches_the_registry_tag_grammar(value: str, aliases: bool) -> None:
    tags = tags_for(parse_version(value), aliases=aliases)
    assert tags, value
    for tag in tags:
        assert TAG_GRAMMAR.fullmatch(tag), tag


def test_a_128_character_version_is_accepted_whole() -> None:
    value = "1.2.3-" + "a" * 122
    assert str(parse_version(value)) == value


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1.2", "'1.2' is not a semantic version"),
        ("latest", "'latest' is not a semantic version"),
        ("vv0.2.0", "'vv0.2.0' is not a semantic version"),
        ("V0.2.0", "'V0.2.0' is not a semantic version"),
        ("v", "'v' is not a semantic version"),
        ("01.2.3", "'01.2.3' is not a semantic version"),
        ("1.02.3", "'1.02.3' is not a semantic version"),
        ("1.2.3-01", "'1.2.3-01' is not a semantic version"),
        ("1.2.3.4", "'1.2.3.4' is not a semantic version"),
        ("1.2.3-rc_1", "'1.2.3-rc_1' is not a semantic version"),
        ("1.2.3+build.5", "build metadata '+build.5'"),
        ("v1.2.3-rc.1+sha.abc", "build metadata '+sha.abc'"),
        ("1.2.3-" + "a" * 123, "128 characters"),
        ("1.2.3-" + "a" * 300, "128 characters"),
        ("1.2\n3", "is not a semantic version"),
    ],
)
def test_refusals_are_one_line_and_name_the_reason(value: str, names: str) -> None:
    assert names in refusal(value)


def test_build_metadata_is_refused_not_rewritten() -> None:
    # refusal() fails the test if parse_version returned a (rewritten) version instead.
    assert "'+' is not allowed in an image tag" in refusal("1.2.3+build.5")


def test_custom_field_name_is_used() -> None:
    with pytest.raises(InputError, match=r"^--tag-version: "):
        parse_version("nope", field="--tag-version")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("dev", "dev"), (" dev ", "dev"), ("0.2.0", "0.2.0"), ("v0.2.0", "0.2.0"), ("1.0.0-rc.1", "1.0.0-rc.1")],
)
def test_parse_build_version(value: str, expected: str) -> None:
    assert parse_build_version(value) == expected


@pytest.mark.parametrize("value", ["DEV", "develop", "", "1.2.3+b"])
def test_parse_build_version_refuses_other_words(value: str) -> None:
    with pytest.raises(InputError, match=r"^--version: "):
        parse_build_version(value)


def test_stable_versions_keeps_only_stable_semver_tags() -> None:
    tags = [
        "latest", "0.2.0", "v1.0.0", "0.3.0-rc.1", "1.4", "1", "dev",
        "1.0.0+build", "vv2.0.0", "V3.0.0", "01.0.0", "sha-abc123",
    ]
    found = stable_versions(tags)
    assert sorted(str(v) for v in found) == ["0.2.0", "1.0.0"]


def test_stable_versions_of_nothing_is_empty() -> None:
    assert stable_versions([]) == []
    assert stable_versions(["latest", "0.1.0-rc.1"]) == []
