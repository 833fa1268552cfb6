"""Versions and the tags they may carry: which tags a release gets and when they may move."""

from __future__ import annotations

import re
from collections.abc import Iterable

import semver

from go_publish.errors import InputError, shown
from go_publish.references import is_valid_tag

LATEST = "latest"


def parse_version(value: str, field: str = "--version") -> semver.Version:
    """Parse a semantic version, allowing one leading `v`; refuse what cannot be an image tag."""
    text = value.strip()
    if not text:
        raise InputError(field, "must not be empty (e.g. 0.2.0 or v0.2.0)")
    if text.startswith("v"):
        text = text[1:]
    try:
        version = semver.Version.parse(text)
    except ValueError:
        raise InputError(
            field, f"{shown(value)} is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE]"
        ) from None
    if version.build:
        raise InputError(
            field,
            f"{shown(value)} has build metadata '+{version.build}'; '+' is not allowed in an image tag",
        )
    if not is_valid_tag(str(version)):
        raise InputError(field, f"{shown(value)} is longer than the 128 characters an image tag may have")
    return version


def is_stable(version: semver.Version) -> bool:
    """A release users may follow: no prerelease part."""
    return not version.prerelease


def stable_version_of(tag: str) -> semver.Version | None:
    """The stable release a repository tag names (a leading v is allowed), or None."""
    text = tag[1:] if tag.startswith("v") else tag
    if not semver.Version.is_valid(text):
        return None
    version = semver.Version.parse(text)
    return version if is_stable(version) and not version.build else None


def stable_versions(tags: Iterable[str]) -> list[semver.Version]:
    """The stable semantic versions among a repository's tags."""
    return [v for v in map(stable_version_of, tags) if v is not None]


def alias_tags(version: semver.Version) -> list[str]:
    """The moving aliases a stable version may carry: X.Y always, X only from 1.0.0 on."""
    tags = [f"{version.major}.{version.minor}"]
    if version.major >= 1:
        tags.append(str(version.major))
    return tags


def tags_for(version: semver.Version, *, latest: bool = True, aliases: bool = False) -> list[str]:
    """The tags a release gets when nothing is in the registry yet; the version tag first."""
    tags = [str(version)]
    if not is_stable(version):
        return tags
    if aliases:
        tags.extend(alias_tags(version))
    if latest:
        tags.append(LATEST)
    return tags


DEV = "dev"


def parse_build_version(value: str, field: str = "--version") -> str:
    """The version stamped into a binary: a semantic version (leading v allowed) or `dev`."""
    return DEV if value.strip() == DEV else str(parse_version(value, field))


_GO_VERSION = re.compile(r"[0-9]+\.[0-9]+(?:\.[0-9]+)?(?:(?:rc|beta)[0-9]+)?")


def check_go_version(value: str, field: str = "--go-version") -> str:
    """A Go toolchain version, which names the golang image to build with (1.26, 1.26.1)."""
    if not _GO_VERSION.fullmatch(value):
        raise InputError(field, f"{shown(value)} is not a Go version such as 1.26 or 1.26.1")
    return value
