"""Publish plans made from what a real registry holds (RegistryReader.view + make_plan).

The registry holds 0.1.8 (image "one") and 0.2.0 (image "two"), with latest on 0.2.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from go_publish.plan import Action, Plan, RegistryView, make_plan
from go_publish.platforms import parse_platform
from go_publish.references import Repository
from go_publish.versions import parse_version

pytestmark = [pytest.mark.registry, pytest.mark.anyio]

PLATFORMS = [parse_platform("linux/amd64")]


@dataclass(frozen=True)
class Released:
    """The test repository and the digests pushed to it."""

    host: str
    path: str
    one: str  # 0.1.8
    two: str  # 0.2.0 and latest

    @property
    def repository(self) -> Repository:
        return Repository.parse(self.host, self.path)


@pytest.fixture(scope="module")
def released(registry: Any, push_image: Callable[..., str]) -> Released:
    path = "team/plan"
    one = push_image(registry, path, ["0.1.8"], content="release 0.1.8")
    two = push_image(registry, path, ["0.2.0", "latest"], content="release 0.2.0")
    assert one != two
    return Released(registry.host, path, one, two)


async def plan_for(
    released: Released, make_reader: Callable[..., Any], version: str, *, digest: str | None = None,
    force: bool = False,
) -> tuple[Plan, RegistryView]:
    async with make_reader(released.host, released.path) as reader:
        view = await reader.view(version)
    plan = make_plan(parse_version(version), released.repository, PLATFORMS, view=view, digest=digest, force=force)
    return plan, view


def decision(plan: Plan, tag: str) -> tuple[Action, str]:
    (found,) = [d for d in plan.decisions if d.tag == tag]
    return found.action, found.reason


async def test_the_view_knows_latest_is_0_2_0(released: Released, make_reader: Callable[..., Any]) -> None:
    plan, view = await plan_for(released, make_reader, "0.1.9")
    assert view.tags == {"0.1.8", "0.2.0", "latest"}
    assert view.latest_version == "0.2.0"
    assert view.digest("latest") == released.two
    assert plan.latest_version == "0.2.0" and plan.registry_checked


async def test_an_older_patch_keeps_latest(released: Released, make_reader: Callable[..., Any]) -> None:
    plan, _ = await plan_for(released, make_reader, "0.1.9")
    assert decision(plan, "0.1.9")[0] is Action.CREATE
    action, reason = decision(plan, "latest")
    assert action is Action.SKIP
    assert "0.2.0" in reason
    assert [d.tag for d in plan.to_push] == ["0.1.9"]


async def test_a_newer_version_moves_latest(released: Released, make_reader: Callable[..., Any]) -> None:
    plan, _ = await plan_for(released, make_reader, "0.2.1")
    assert decision(plan, "0.2.1")[0] is Action.CREATE
    assert decision(plan, "latest")[0] is Action.MOVE
    assert [d.tag for d in plan.to_push] == ["0.2.1", "latest"]


async def test_a_prerelease_moves_nothing(released: Released, make_reader: Callable[..., Any]) -> None:
    plan, _ = await plan_for(released, make_reader, "1.0.0-rc.1")
    assert decision(plan, "1.0.0-rc.1")[0] is Action.CREATE
    action, reason = decision(plan, "latest")
    assert action is Action.SKIP and "prerelease" in reason
    assert [d.tag for d in plan.to_push] == ["1.0.0-rc.1"]


async def test_republishing_the_same_image_pushes_nothing(
    released: Released, make_reader: Callable[..., Any]
) -> None:
    plan, _ = await plan_for(released, make_reader, "0.2.0", digest=released.two)
    assert decision(plan, "0.2.0")[0] is Action.KEEP
    assert decision(plan, "latest")[0] is Action.KEEP
    assert plan.to_push == [] and plan.refused == []


async def test_another_image_under_a_released_version_is_refused(
    released: Released, make_reader: Callable[..., Any]
) -> None:
    plan, _ = await plan_for(released, make_reader, "0.2.0", digest=released.one)
    action, reason = decision(plan, "0.2.0")
    assert action is Action.REFUSE
    assert released.two in reason and released.one in reason


async def test_force_overwrites_a_release(released: Released, make_reader: Callable[..., Any]) -> None:
    plan, _ = await plan_for(released, make_reader, "0.2.0", digest=released.one, force=True)
    assert decision(plan, "0.2.0")[0] is Action.MOVE
    assert decision(plan, "latest")[0] is Action.MOVE
    assert plan.refused == []
