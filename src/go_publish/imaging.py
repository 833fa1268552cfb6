"""The runtime image: scratch + binary, and running it as a service to smoke-test it."""

from __future__ import annotations

from dataclasses import dataclass

import dagger

from go_publish.errors import InputError, StepFailedError
from go_publish.golang import CA_BUNDLE, Toolchain
from go_publish.labels import oci_labels
from go_publish.platforms import Platform

PORT = 8080
NONROOT = "65532:65532"
# Scratch has no user database; one line gives the numeric user a name in ps and logs.
_PASSWD = "nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n"
_PROBE_HOST = "app"
# The probe retries until the server listens; each request is bounded, and so is the total.
_PROBE_FLAGS = ["--timeout", "5s", "--retries", "20", "--interval", "250ms"]


@dataclass(frozen=True)
class ImageSpec:
    """What the image says about itself: its name, version and OCI labels."""

    name: str
    version: str
    labels: dict[str, str]

    @classmethod
    def make(cls, *, name: str, version: str, created: str, source_url: str, revision: str) -> ImageSpec:
        labels = oci_labels(
            title=name, version=version, created=created, source_url=source_url, revision=revision
        )
        return cls(name=name, version=version, labels=labels)

    @property
    def entrypoint(self) -> str:
        return f"/{self.name}"


def assemble(toolchain: Toolchain, target: Platform, spec: ImageSpec) -> dagger.Container:
    """A scratch image for `target` holding only the binary, a CA bundle and a user entry."""
    image = (
        dagger.dag.container(platform=dagger.Platform(target.name))
        .with_file(CA_BUNDLE, toolchain.ca_bundle())
        .with_new_file("/etc/passwd", _PASSWD)
        .with_file(spec.entrypoint, toolchain.binary(target, spec.version), permissions=0o755)
        .with_user(NONROOT)
        .with_exposed_port(PORT)
        .with_entrypoint([spec.entrypoint])
    )
    for key, value in spec.labels.items():
        image = image.with_label(key, value)
    return image


def service(image: dagger.Container) -> dagger.Service:
    """The image's own entrypoint, run as a service listening on port 8080."""
    return image.as_service(use_entrypoint=True)


def check_message(message: str) -> None:
    if not message.strip():
        raise InputError("--message", "must not be empty: the smoke test looks for it on the page at /")


async def smoke_test(image: dagger.Container, version: str, message: str) -> str:
    """Run `image` as a service and probe it with its own binary: / and then /version."""
    check_message(message)
    entrypoint = (await image.entrypoint())[0]
    base = f"http://{_PROBE_HOST}:{PORT}"
    checks = [
        ([f"{base}/", "--expect", message], f"GET / -> 200, contains {message!r}"),
        ([f"{base}/version", "--expect", version, "--exact"], f"GET /version -> {version!r}"),
    ]
    client = image.with_service_binding(_PROBE_HOST, service(image))
    for args, _ in checks:
        client = client.with_exec([entrypoint, "probe", *args, *_PROBE_FLAGS])
    try:
        await client.sync()
    except dagger.ExecError as error:
        reason = (error.stderr.strip().splitlines() or [error.message])[-1]
        raise StepFailedError(f"smoke test of {version} failed: {reason}") from None
    platform = await image.platform()
    return "\n".join([f"smoke test passed: {version} on {platform}", *(f"  {what}" for _, what in checks)])
