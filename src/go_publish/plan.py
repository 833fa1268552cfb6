"""The publish plan: every tag decision and its reason, made from what the registry holds."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import semver

from go_publish.platforms import Platform
from go_publish.references import Repository
from go_publish.versions import LATEST, alias_tags, is_stable, stable_versions


class Action(enum.StrEnum):
    """What publishing does to one tag."""

    CREATE = "create"  # the tag does not exist yet: push it
    MOVE = "move"  # the tag exists and is moved to this image
    KEEP = "keep"  # the tag already holds this very image: nothing to push
    CHECK = "check"  # the version tag exists: publish compares digests after the build
    SKIP = "skip"  # the tag is left where it is
    REFUSE = "refuse"  # pushing would overwrite a release: nothing is pushed at all

    @property
    def pushes(self) -> bool:
        return self in (Action.CREATE, Action.MOVE)


@dataclass(frozen=True)
class RegistryView:
    """What the registry holds for the repository, as far as a plan needs it."""

    tags: frozenset[str]
    digests: Mapping[str, str] = field(default_factory=dict)
    latest_version: str | None = None

    def digest(self, tag: str) -> str | None:
        return self.digests.get(tag)


@dataclass(frozen=True)
class TagDecision:
    """One tag, what happens to it and why."""

    tag: str
    action: Action
    reason: str
    reference: str

    def as_dict(self) -> dict[str, str]:
        return {"tag": self.tag, "action": str(self.action), "reason": self.reason, "reference": self.reference}


@dataclass(frozen=True)
class Plan:
    """Every tag decision for one release of one repository."""

    version: str
    repository: Repository
    platforms: tuple[Platform, ...]
    decisions: tuple[TagDecision, ...]
    registry_checked: bool
    latest_version: str | None = None
    note: str | None = None

    @property
    def references(self) -> list[str]:
        """References that will point at this release once it is published."""
        return [d.reference for d in self.decisions if d.action not in (Action.SKIP, Action.REFUSE)]

    @property
    def to_push(self) -> list[TagDecision]:
        """Decisions that push, the version tag first and `latest` last."""
        return [d for d in self.decisions if d.action.pushes]

    @property
    def skipped(self) -> list[TagDecision]:
        return [d for d in self.decisions if d.action is Action.SKIP]

    @property
    def refused(self) -> list[TagDecision]:
        return [d for d in self.decisions if d.action is Action.REFUSE]

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "repository": self.repository.name,
            "references": self.references,
            "platforms": [p.name for p in self.platforms],
            "skipped": [{"tag": d.tag, "reason": d.reason} for d in self.skipped],
            "refused": [{"tag": d.tag, "reason": d.reason} for d in self.refused],
            "decisions": [d.as_dict() for d in self.decisions],
            "registry_checked": self.registry_checked,
            "current_latest": self.latest_version,
            **({"note": self.note} if self.note else {}),
        }


def _highest(versions: Sequence[semver.Version]) -> semver.Version | None:
    return max(versions, default=None)


def _decide_version_tag(
    tag: str, view: RegistryView | None, digest: str | None, force: bool
) -> tuple[Action, str]:
    if view is None or tag not in view.tags:
        return Action.CREATE, "new release"
    existing = view.digest(tag)
    if digest is not None and existing == digest:
        return Action.KEEP, f"already holds this image ({digest}); nothing to push"
    if force:
        return Action.MOVE, f"overwrites the released {existing or 'image'} because --force was given"
    if digest is None:
        return (
            Action.CHECK,
            "already in the registry; after the build, the same digest pushes nothing "
            "and another digest is refused unless --force",
        )
    held = f"already released as {existing}" if existing else "already released, digest unreadable"
    return (
        Action.REFUSE,
        f"{held}, which is not this image ({digest}); "
        "refusing to overwrite a release (pass --force to replace it)",
    )


def _decide_moving_tag(
    tag: str,
    version: semver.Version,
    peers: Sequence[semver.Version],
    scope: str,
    view: RegistryView | None,
    digest: str | None,
) -> tuple[Action, str]:
    """A tag that follows the highest stable version among `peers` (its line or the repository)."""
    highest = _highest(peers)
    if highest is not None and version < highest:
        return Action.SKIP, f"{version} is older than {highest}, the highest {scope}; {tag} stays"
    reason = f"{version} is the highest {scope}" if highest is not None else f"first {scope}"
    if view is None or tag not in view.tags:
        return Action.CREATE, reason
    current = view.digest(tag)
    if digest is not None and current == digest:
        return Action.KEEP, f"already points at this image; {reason}"
    if digest is None and current is not None and current == view.digest(str(version)):
        return Action.CHECK, f"already points at the released {version}; compared after the build"
    return Action.MOVE, reason


def make_plan(
    version: semver.Version,
    repository: Repository,
    platforms: Sequence[Platform],
    *,
    latest: bool = True,
    aliases: bool = False,
    force: bool = False,
    view: RegistryView | None = None,
    digest: str | None = None,
) -> Plan:
    """Decide every tag of a release from the registry's content (`view`, None when not read).

    `digest` is the digest of the image about to be pushed, when it is known.
    """
    tags = view.tags if view is not None else frozenset()
    released = stable_versions(tags)
    decisions = [TagDecision(str(version), *_decide_version_tag(str(version), view, digest, force), repository.reference(str(version)))]

    def moving(tag: str, peers: Sequence[semver.Version], scope: str) -> None:
        if not is_stable(version):
            decision = (Action.SKIP, f"prerelease {version} never moves {tag}")
        else:
            decision = _decide_moving_tag(tag, version, peers, scope, view, digest)
        decisions.append(TagDecision(tag, *decision, repository.reference(tag)))

    if aliases:
        minor, *major = alias_tags(version)
        line = [v for v in released if (v.major, v.minor) == (version.major, version.minor)]
        moving(minor, line, f"release in {minor}.x")
        if major:
            moving(major[0], [v for v in released if v.major == version.major], f"release in {major[0]}.x")
        elif is_stable(version):
            decisions.append(
                TagDecision(str(version.major), Action.SKIP, "no major alias before 1.0.0", repository.reference(str(version.major)))
            )
    if latest:
        moving(LATEST, released, "stable release in the repository")
    else:
        decisions.append(TagDecision(LATEST, Action.SKIP, "--latest was turned off", repository.reference(LATEST)))

    if decisions[0].action is Action.REFUSE:
        # Nothing is pushed when the release itself is refused, and the plan must say so.
        decisions[1:] = [
            TagDecision(d.tag, Action.SKIP, f"not moved: {version} was refused", d.reference)
            if d.action is not Action.SKIP
            else d
            for d in decisions[1:]
        ]
    return Plan(
        version=str(version),
        repository=repository,
        platforms=tuple(platforms),
        decisions=tuple(decisions),
        registry_checked=view is not None,
        latest_version=view.latest_version if view is not None else None,
    )
