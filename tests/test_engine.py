"""The pipeline on a real Dagger engine: build, test, image, smoke test, publish and pull back.

Run wherever an engine is reachable (a `dagger` CLI on PATH, `_EXPERIMENTAL_DAGGER_CLI_BIN`, or a
`dagger run` session); skipped with one line elsewhere. Publishing also needs a registry that
both this machine and the engine reach: GO_PUBLISH_TEST_REGISTRY=host:port (e.g. a registry:2
container on the engine's network with a published port).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import dagger
import pytest
from dagger import dag

from go_publish.engine import NoEngineError, find_engine
from go_publish.main import GoPublish
from go_publish.references import Repository
from go_publish.registry import RegistryReader

pytestmark = [pytest.mark.engine, pytest.mark.anyio]

ROOT = Path(__file__).resolve().parents[1]
REGISTRY_VARIABLE = "GO_PUBLISH_TEST_REGISTRY"
# ELF e_machine values: what the binary was really compiled for.
MACHINES = {"linux/amd64": 0x3E, "linux/arm64": 0xB7, "linux/arm/v7": 0x28, "linux/arm/v6": 0x28}


@pytest.fixture(scope="module")
def engine_env() -> dict[str, str]:
    try:
        return find_engine()
    except NoEngineError as error:
        pytest.skip(str(error))


@pytest.fixture
async def module(engine_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[GoPublish]:
    for key, value in engine_env.items():
        monkeypatch.setenv(key, value)
    async with dagger.connection(dagger.Config()):
        yield GoPublish(source=dag.host().directory(str(ROOT / "goserver")))


def registry_host() -> str:
    host = os.environ.get(REGISTRY_VARIABLE, "")
    if not host:
        pytest.skip(f"set {REGISTRY_VARIABLE} to a registry both this machine and the engine reach")
    return host


@pytest.mark.parametrize("platform", sorted(MACHINES))
async def test_build_cross_compiles_a_static_binary(module: GoPublish, platform: str, tmp_path: Path) -> None:
    target = tmp_path / "goserver"
    await (await module.build(platform=platform, version="0.2.0")).export(str(target))
    header = target.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == MACHINES[platform]
    assert b"/usr/lib/go" not in target.read_bytes()  # -trimpath: no build paths inside


async def test_go_tests_pass_in_the_golang_container(module: GoPublish) -> None:
    assert "ok" in await module.test()


async def test_the_image_is_scratch_nonroot_labelled_and_close_to_the_binary_size(module: GoPublish) -> None:
    image = await module.image(version="0.2.0")
    assert await image.user() == "65532:65532"
    assert [await p.port() for p in await image.exposed_ports()] == [8080]
    assert await image.label("org.opencontainers.image.version") == "0.2.0"
    assert await image.label("org.opencontainers.image.title") == "goserver"
    binary = await (await module.build(version="0.2.0")).size()
    tarball = await image.as_tarball().size()
    assert tarball < binary * 1.2 + 512 * 1024


async def test_smoke_test_checks_the_message_and_the_exact_version(module: GoPublish) -> None:
    report = await module.smoke_test(version="0.2.0")
    assert "smoke test passed" in report
    assert "'0.2.0'" in report


async def test_smoke_test_fails_fast_with_one_clear_line_on_a_wrong_message(module: GoPublish) -> None:
    wrong = GoPublish(source=module.source, message="a message the page does not show")
    with pytest.raises(dagger.DaggerError, match="smoke test of dev failed"):
        await wrong.smoke_test()


def _manifest_media_type(reference: str) -> str:
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{reference}"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    return str(json.loads(raw)["mediaType"])


async def _publish(module: GoPublish, repository: str, version: str, **kwargs: object) -> str:
    return await module.publish(
        version=version, repository=repository, registry=registry_host(),
        username="ci", password=dag.set_secret("test-registry-password", "ci-password"), **kwargs,  # type: ignore[arg-type]
    )


async def test_publish_pushes_every_tag_with_one_digest_and_a_rerun_pushes_nothing(module: GoPublish) -> None:
    host = registry_host()
    path = f"go-publish-test/{uuid.uuid4().hex[:8]}"
    report = await _publish(module, path, "0.2.0")
    assert f"pushed {host}/{path}:0.2.0@sha256:" in report
    assert f"pushed {host}/{path}:latest@sha256:" in report
    assert "pulled back by digest; smoke test passed" in report
    async with RegistryReader(Repository.parse(host, path)) as reader:
        assert await reader.digest("0.2.0") == await reader.digest("latest")
    again = await _publish(module, path, "v0.2.0")
    assert "pushed " not in again
    assert "keep" in again


async def test_a_hotfix_for_an_older_line_does_not_move_latest(module: GoPublish) -> None:
    host = registry_host()
    path = f"go-publish-test/{uuid.uuid4().hex[:8]}"
    await _publish(module, path, "0.2.0")
    report = await _publish(module, path, "0.1.9")
    assert f"pushed {host}/{path}:0.1.9@" in report
    assert "latest" not in [line.split()[1].rsplit(":", 1)[-1] for line in report.splitlines() if line.startswith("pushed")]
    async with RegistryReader(Repository.parse(host, path)) as reader:
        assert await reader.digest("latest") == await reader.digest("0.2.0")


async def test_two_platforms_publish_one_image_index(module: GoPublish) -> None:
    host = registry_host()
    path = f"go-publish-test/{uuid.uuid4().hex[:8]}"
    await _publish(module, path, "1.0.0", platforms=["linux/amd64", "linux/arm64"])
    assert _manifest_media_type(f"{host}/{path}:1.0.0") == "application/vnd.oci.image.index.v1+json"
