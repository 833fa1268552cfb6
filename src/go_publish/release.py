"""A release request, validated as a whole before anything runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import semver

from go_publish.errors import InputError
from go_publish.plan import Plan, RegistryView, make_plan
from go_publish.platforms import DEFAULT_PLATFORM, Platform, parse_platforms
from go_publish.references import DEFAULT_REGISTRY, Repository
from go_publish.registry import Credentials, RegistryAuthError, RegistryError, RegistryReader
from go_publish.versions import parse_version, tags_for


@dataclass(frozen=True)
class Release:
    """What to publish where: one version of one repository for some platforms."""

    version: semver.Version
    repository: Repository
    platforms: tuple[Platform, ...]
    latest: bool = True
    aliases: bool = False
    force: bool = False

    @classmethod
    def parse(
        cls,
        *,
        version: str,
        repository: str,
        registry: str = DEFAULT_REGISTRY,
        platforms: Sequence[str] | None = None,
        latest: bool = True,
        aliases: bool = False,
        force: bool = False,
        platforms_field: str = "--platforms",
    ) -> Release:
        """Validate every field; the first bad one raises InputError naming it."""
        return cls(
            version=parse_version(version),
            repository=Repository.parse(registry, repository),
            platforms=tuple(parse_platforms(list(platforms or [DEFAULT_PLATFORM]), platforms_field)),
            latest=latest,
            aliases=aliases,
            force=force,
        )

    def tags(self) -> list[str]:
        """Every tag this release may touch, the version tag first."""
        return tags_for(self.version, latest=self.latest, aliases=self.aliases)

    async def read_registry(self, credentials: Credentials | None) -> RegistryView:
        """What the repository holds now, with the digests of every tag this release may touch."""
        async with RegistryReader(self.repository, credentials) as reader:
            return await reader.view(*self.tags())

    async def survey(self, credentials: Credentials | None) -> Plan:
        """The plan from what the registry holds; made without it, with a note, when unreachable.

        Refused credentials are an error: a plan without the tags we may not read would mislead.
        """
        try:
            return self.plan(await self.read_registry(credentials))
        except RegistryAuthError:
            raise
        except RegistryError as error:
            return replace(self.plan(), note=f"{error}; plan made without the registry")

    def plan(self, view: RegistryView | None = None, digest: str | None = None) -> Plan:
        """Decide every tag from what the registry holds (`view`) and the image's digest."""
        return make_plan(
            self.version,
            self.repository,
            self.platforms,
            latest=self.latest,
            aliases=self.aliases,
            force=self.force,
            view=view,
            digest=digest,
        )


def check_login(username: str, has_password: bool, password_field: str = "--password") -> str:
    """Username and password come together; the username is kept byte-exact (robot$x is valid)."""
    if has_password and not username:
        raise InputError("--username", f"is required when {password_field} is given")
    if username and not has_password:
        raise InputError(password_field, "is required when --username is given")
    if any(ord(c) < 0x20 or c == "\x7f" for c in username):
        raise InputError("--username", "must not contain control characters such as newlines")
    return username
