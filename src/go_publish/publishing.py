"""Pushing a planned release and verifying what the registry then holds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import dagger
from dagger import dag

from go_publish.errors import InputError, PushError, ReleaseRefusedError, StepFailedError
from go_publish.plan import Action, Plan, RegistryView, TagDecision
from go_publish.registry import Credentials, RegistryError, RegistryReader
from go_publish.release import Release


@dataclass(frozen=True)
class Login:
    """Registry credentials: a Secret for the engine, and for our own registry reads."""

    username: str = ""
    secret: dagger.Secret | None = None
    credentials: Credentials | None = field(default=None, repr=False)

    def scrub(self, text: str) -> str:
        """`text` with the password masked, for messages that quote the engine or a registry."""
        if self.credentials is None or not self.credentials.password:
            return text
        return text.replace(self.credentials.password, "***")

    def authorize(self, image: dagger.Container, reference: str) -> dagger.Container:
        if self.secret is None:
            return image
        return image.with_registry_auth(reference, self.username, self.secret)


async def login(username: str, password: dagger.Secret | None) -> Login:
    """Check the password is not empty, without ever echoing it."""
    if password is None:
        return Login()
    plaintext = await password.plaintext()
    if not plaintext:
        raise InputError("--password", "the secret is empty")
    return Login(username, password, Credentials(username, plaintext))


async def read_registry(release: Release, login: Login) -> RegistryView:
    """What the repository holds now; fails closed when it cannot be read."""
    try:
        return await release.read_registry(login.credentials)
    except RegistryError as error:
        raise StepFailedError(
            f"{login.scrub(str(error))}; nothing was pushed "
            "(--skip-registry-check publishes without reading the registry, and without its protection)"
        ) from None


@dataclass(frozen=True)
class PublishReport:
    """What a publish did to each tag, with the one digest they all point at."""

    plan: Plan
    digest: str
    pushed: tuple[str, ...]

    def summary(self) -> str:
        lines = [f"pushed {reference}@{self.digest}" for reference in self.pushed]
        lines += [
            f"{d.action} {d.reference}: {d.reason}" for d in self.plan.decisions if not d.action.pushes
        ]
        lines.append(f"verified: every tag of {self.plan.version} resolves to {self.digest}")
        return "\n".join(lines)


async def local_digest(variants: list[dagger.Container], toolchain_image: dagger.Container) -> str | None:
    """The digest the pushed manifest (or index) will have, read from the OCI tarball export.

    None when the layout does not name exactly one top-level manifest: then an existing
    version tag is treated as a different image (fail closed).
    """
    tarball = variants[0].as_tarball(platform_variants=variants[1:])
    index = await (
        toolchain_image.with_mounted_file("/image.tar", tarball)
        .with_exec(["tar", "-xOf", "/image.tar", "index.json"])
        .stdout()
    )
    manifests = json.loads(index).get("manifests", [])
    return str(manifests[0]["digest"]) if len(manifests) == 1 else None


async def _push(
    variants: list[dagger.Container], decision: TagDecision, login: Login, route: dagger.Service | None
) -> str:
    published = await login.authorize(variants[0], decision.reference).publish(
        decision.reference, platform_variants=variants[1:], registry_service=route
    )
    return published.rsplit("@", 1)[-1]


async def publish(
    release: Release,
    variants: list[dagger.Container],
    toolchain_image: dagger.Container,
    login: Login,
    view: RegistryView | None,
    route: dagger.Service | None = None,
) -> PublishReport:
    """Push every tag the plan allows (version first, latest last) and check one digest for all.

    `route` is a Dagger service that serves the registry, when it is one of the pipeline's own.
    """
    expected = await local_digest(variants, toolchain_image)
    plan = release.plan(view, expected)
    if any(d.action is Action.CHECK for d in plan.decisions):
        raise ReleaseRefusedError(
            f"{plan.version} is already released and this image's digest could not be computed "
            "to compare; nothing was pushed (pass --force to replace it)"
        )
    if plan.refused:
        raise ReleaseRefusedError(
            "; ".join(f"{d.reference}: {d.reason}" for d in plan.refused) + "; nothing was pushed"
        )
    pushed: list[str] = []
    digests: set[str] = set()
    for decision in plan.to_push:
        try:
            digests.add(await _push(variants, decision, login, route))
        except dagger.QueryError as error:
            not_pushed = [d.reference for d in plan.to_push if d.reference not in pushed]
            raise PushError(pushed, not_pushed, login.scrub(str(error).splitlines()[0])) from None
        pushed.append(decision.reference)
    if not pushed and expected is not None:
        digests.add(expected)  # every tag already held this very image
    if len(digests) != 1:
        raise StepFailedError(f"verify: the pushed tags resolve to several digests: {sorted(digests)}")
    digest = digests.pop()
    if view is not None:
        await _verify_in_registry(release, plan, digest, login)
    return PublishReport(plan=plan, digest=digest, pushed=tuple(pushed))


async def _verify_in_registry(release: Release, plan: Plan, digest: str, login: Login) -> None:
    """Ask the registry itself: every tag of this release must now resolve to `digest`."""
    try:
        async with RegistryReader(release.repository, login.credentials) as reader:
            for decision in plan.decisions:
                if decision.action.pushes or decision.tag == plan.version:
                    found = await reader.digest(decision.tag)
                    if found != digest:
                        raise StepFailedError(
                            f"verify: {decision.reference} resolves to {found}, not {digest}"
                        )
    except RegistryError as error:
        raise StepFailedError(f"verify: {login.scrub(str(error))}") from None


async def pull_back(
    report: PublishReport, login: Login, native: str, route: dagger.Service | None = None
) -> dagger.Container | None:
    """The published image pulled back from the registry by digest, for the engine's platform.

    None when that platform was not published: the pulled image could not run here.
    """
    if native not in {p.name for p in report.plan.platforms}:
        return None
    reference = f"{report.plan.repository.name}@{report.digest}"
    return login.authorize(dag.container(), reference).from_(reference, registry_service=route)

