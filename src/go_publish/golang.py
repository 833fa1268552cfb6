"""The Go toolchain container: cross-compiling and testing the server on the engine's platform."""

from __future__ import annotations

import re
from dataclasses import dataclass

import dagger
from dagger import dag

from go_publish.errors import InputError, StepFailedError, shown
from go_publish.platforms import Platform
from go_publish.versions import check_go_version

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
_SRC = "/src"
_OUT = "/out"


@dataclass(frozen=True)
class Toolchain:
    """The golang image with the module source and shared module/build caches."""

    source: dagger.Directory
    go_version: str
    name: str

    def __post_init__(self) -> None:
        check_go_version(self.go_version)
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", self.name):
            raise InputError("--name", f"{shown(self.name)} must be a lowercase file name (a-z, 0-9, . _ -)")

    def _golang(self) -> dagger.Container:
        return dag.container().from_(f"golang:{self.go_version}")

    def container(self) -> dagger.Container:
        """Go on the engine's own platform: cross-compiling never needs emulation."""
        return (
            self._golang()
            .with_mounted_cache("/go/pkg/mod", dag.cache_volume("go-publish-gomod"))
            .with_mounted_cache("/root/.cache/go-build", dag.cache_volume("go-publish-gobuild"))
            .with_env_variable("GOFLAGS", "-mod=readonly")
            .with_directory(_SRC, self.source)
            .with_workdir(_SRC)
        )

    def binary(self, target: Platform, version: str) -> dagger.File:
        """A static, trimmed, stripped binary for `target` with main.version set to `version`."""
        builder = self.container()
        for key, value in target.go_env().items():
            builder = builder.with_env_variable(key, value)
        output = f"{_OUT}/{self.name}"
        return builder.with_exec(
            [
                "go", "build", "-trimpath", "-buildvcs=false",
                "-ldflags", f"-s -w -X main.version={version}",
                "-o", output, ".",
            ]
        ).file(output)

    def ca_bundle(self) -> dagger.File:
        """The CA certificates of the golang image, so the server can call HTTPS services."""
        return self._golang().file(CA_BUNDLE)

    async def test(self) -> str:
        """go vet, then go test; a failure reports the tool's own output."""
        try:
            return await (
                self.container()
                .with_exec(["go", "vet", "./..."])
                .with_exec(["go", "test", "./..."])
                .stdout()
            )
        except dagger.ExecError as error:
            output = (error.stdout + error.stderr).strip()
            raise StepFailedError(
                f"{' '.join(error.command)} failed (exit {error.exit_code}):\n{output}"
            ) from None
