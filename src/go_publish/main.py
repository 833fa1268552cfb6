"""The go-publish Dagger module: one function per step of the hand-run release routine.

    go build  ->  build        docker build  ->  image       docker run  ->  serve / smoke-test
    docker push --all-tags, pull it back      ->  publish (plan, push, verify)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Annotated

import dagger
from dagger import DefaultPath, Doc, dag, field, function, object_type
from dagger.mod._exceptions import FunctionError

from go_publish import golang, imaging, publishing
from go_publish.errors import GoPublishError, InputError
from go_publish.platforms import DEFAULT_PLATFORM, parse_platform
from go_publish.references import DEFAULT_REGISTRY
from go_publish.release import Release, check_login
from go_publish.versions import DEV, parse_build_version, parse_version, tags_for

DEFAULT_MESSAGE = "Hi Docker, I pushed a new version!"


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    """Report our own errors as one line, without the SDK's stack trace for the user."""
    try:
        yield
    except GoPublishError as error:
        raise FunctionError(str(error)) from None


@object_type
class GoPublish:
    """Build, test, smoke-test and publish a Go web server as a versioned multi-tag image."""

    source: Annotated[
        dagger.Directory,
        Doc("Go module to build; its main package is at the root (default: the sample goserver/)"),
        DefaultPath("goserver"),
    ] = field()
    go_version: Annotated[str, Doc("Go toolchain version: the golang image tag to build with")] = field(
        default="1.26"
    )
    name: Annotated[str, Doc("Binary name and image title")] = field(default="goserver")
    message: Annotated[str, Doc("Text the page at / must contain for the smoke test to pass")] = field(
        default=DEFAULT_MESSAGE
    )
    created: Annotated[
        str,
        Doc("RFC 3339 creation time for the image label; empty keeps builds reproducible (epoch)"),
    ] = field(default="")
    source_url: Annotated[str, Doc("Repository URL for the org.opencontainers.image.source label")] = field(
        default=""
    )
    revision: Annotated[str, Doc("Git commit for the org.opencontainers.image.revision label")] = field(
        default=""
    )

    def _toolchain(self) -> golang.Toolchain:
        return golang.Toolchain(source=self.source, go_version=self.go_version, name=self.name)

    def _image_spec(self, version: str) -> imaging.ImageSpec:
        return imaging.ImageSpec.make(
            name=self.name,
            version=version,
            created=self.created,
            source_url=self.source_url,
            revision=self.revision,
        )

    @function
    async def build(
        self,
        platform: Annotated[str, Doc("Target platform: linux/amd64, linux/arm64, linux/arm/v6 or linux/arm/v7")] = DEFAULT_PLATFORM,
        version: Annotated[str, Doc("Version stamped into the binary (main.version), e.g. 0.2.0")] = DEV,
    ) -> dagger.File:
        """Cross-compile the server (CGO off, trimmed, stripped) for a target platform."""
        with _reported():
            target = parse_platform(platform)
            stamped = parse_build_version(version)
            return self._toolchain().binary(target, stamped)

    @function
    async def test(self) -> str:
        """Run go vet and go test in the golang container; returns the test output."""
        with _reported():
            return await self._toolchain().test()

    @function
    async def image(
        self,
        platform: Annotated[str, Doc("Target platform: linux/amd64, linux/arm64, linux/arm/v6 or linux/arm/v7")] = DEFAULT_PLATFORM,
        version: Annotated[str, Doc("Version stamped into the binary and the image labels")] = DEV,
    ) -> dagger.Container:
        """A scratch image: the binary, a CA bundle, a non-root user, port 8080 and OCI labels."""
        with _reported():
            target = parse_platform(platform)
            stamped = parse_build_version(version)
            return imaging.assemble(self._toolchain(), target, self._image_spec(stamped))

    async def _native_image(self, version: str) -> dagger.Container:
        """The image for the engine's own platform, which is the one services run on."""
        native = parse_platform(str(await dag.default_platform()), "engine platform")
        return imaging.assemble(self._toolchain(), native, self._image_spec(version))

    @function
    async def serve(
        self,
        version: Annotated[str, Doc("Version stamped into the binary")] = DEV,
    ) -> dagger.Service:
        """Run the image as a service: `dagger call serve up --ports 8080:8080`."""
        with _reported():
            stamped = parse_build_version(version)
            return imaging.service(await self._native_image(stamped))

    @function
    async def smoke_test(
        self,
        version: Annotated[str, Doc("Version stamped into the binary; /version must answer exactly this")] = DEV,
    ) -> str:
        """Run the image as a service and probe / and /version; returns a short report."""
        with _reported():
            stamped = parse_build_version(version)
            return await imaging.smoke_test(await self._native_image(stamped), stamped, self.message)

    @function
    def tags(
        self,
        version: Annotated[str, Doc("Semantic version to release, e.g. 0.2.0 or v0.2.0")],
        latest: Annotated[bool, Doc("Also tag latest (never for a prerelease)")] = True,
        aliases: Annotated[bool, Doc("Also tag X.Y and X (X from 1.0.0 on)")] = False,
    ) -> list[str]:
        """The tags a version gets in an empty repository, the version tag first."""
        with _reported():
            return tags_for(parse_version(version), latest=latest, aliases=aliases)

    @function
    async def plan(
        self,
        version: Annotated[str, Doc("Semantic version to release, e.g. 0.2.0 or v0.2.0")],
        repository: Annotated[str, Doc("Repository path in the registry, e.g. user/goserver")],
        registry: Annotated[str, Doc("Registry host[:port]")] = DEFAULT_REGISTRY,
        username: Annotated[str, Doc("Registry user for reading tags (private repositories)")] = "",
        password: Annotated[dagger.Secret | None, Doc("Registry password or token, e.g. env:REGISTRY_PASSWORD")] = None,
        platforms: Annotated[list[str] | None, Doc("Target platforms (default linux/amd64)")] = None,
        latest: Annotated[bool, Doc("Move latest when the rules allow it")] = True,
        aliases: Annotated[bool, Doc("Also move X.Y and X when the rules allow it")] = False,
        skip_registry_check: Annotated[bool, Doc("Plan without reading the registry")] = False,
    ) -> str:
        """Every tag decision with its reason, as JSON, from what the registry holds now.

        An unreachable registry gives the plan without it, with a `note`; refused credentials fail.
        """
        with _reported():
            release = Release.parse(
                version=version, repository=repository, registry=registry,
                platforms=platforms, latest=latest, aliases=aliases,
            )
            login = await publishing.login(check_login(username, password is not None), password)
            planned = release.plan() if skip_registry_check else await release.survey(login.credentials)
            return json.dumps(planned.as_dict(), indent=2)

    # A publish must push every time, never answer from the function cache. The SDK's
    # overloads of `function` omit its `cache` keyword, hence the ignore.
    @function(cache="never")  # type: ignore[call-overload, untyped-decorator]
    async def publish(
        self,
        version: Annotated[str, Doc("Semantic version to release, e.g. 0.2.0 or v0.2.0")],
        repository: Annotated[str, Doc("Repository path in the registry, e.g. user/goserver")],
        username: Annotated[str, Doc("Registry user (kept byte-exact: robot$name works)")],
        password: Annotated[dagger.Secret, Doc("Registry password or token, e.g. env:REGISTRY_PASSWORD")],
        registry: Annotated[str, Doc("Registry host[:port]")] = DEFAULT_REGISTRY,
        platforms: Annotated[list[str] | None, Doc("Target platforms (default linux/amd64); several give one image index")] = None,
        latest: Annotated[bool, Doc("Move latest when the version is the highest stable release")] = True,
        aliases: Annotated[bool, Doc("Also move X.Y and X when the version is the highest in that line")] = False,
        force: Annotated[bool, Doc("Overwrite an existing version tag that holds another image")] = False,
        skip_registry_check: Annotated[bool, Doc("Do not read the registry first (no overwrite or latest protection)")] = False,
        registry_service: Annotated[
            dagger.Service | None,
            Doc("A registry run as a Dagger service in your pipeline: pushes and the pull-back go through it (needs --skip-registry-check)"),
        ] = None,
    ) -> str:
        """Test, smoke-test, push the version tag then its moving tags, and verify what was pushed.

        Every input is validated and the registry is read before anything is built; a release
        is never overwritten silently and latest never moves to an older version.
        """
        with _reported():
            release = Release.parse(
                version=version, repository=repository, registry=registry,
                platforms=platforms, latest=latest, aliases=aliases, force=force,
            )
            if registry_service is not None and not skip_registry_check:
                raise InputError(
                    "--registry-service", "go-publish cannot read tags through a service; add --skip-registry-check"
                )
            toolchain = self._toolchain()
            stamped = str(release.version)
            spec = self._image_spec(stamped)
            imaging.check_message(self.message)
            login = await publishing.login(check_login(username, True), password)
            view = None if skip_registry_check else await publishing.read_registry(release, login)
            await toolchain.test()
            await imaging.smoke_test(await self._native_image(stamped), stamped, self.message)
            variants = [imaging.assemble(toolchain, target, spec) for target in release.platforms]
            report = await publishing.publish(
                release, variants, toolchain.container(), login, view, registry_service
            )
            native = str(await dag.default_platform())
            pulled = await publishing.pull_back(report, login, native, registry_service)
            if pulled is None:
                checked = f"not pulled back: the engine's platform {native} was not published"
            else:
                checked = "pulled back by digest; " + await imaging.smoke_test(pulled, stamped, self.message)
            return f"{report.summary()}\n{checked}"
