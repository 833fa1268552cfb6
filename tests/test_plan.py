"""The publish plan: which tags move, which stay, and why, from a hand-built registry view.

make_plan is a pure decision over what the registry holds, so a hand-built RegistryView is
exactly its input; reading a real registry into a view is tested elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from go_publish.plan import Action, Plan, RegistryView, make_plan
from go_publish.platforms import parse_platforms
from go_publish.references import Repository
from go_publish.versions import parse_version

REPO = Repository.parse("docker.io", "user/goserver")
PLATFORMS = parse_platforms(["linux/amd64"])
D_THIS = "sha256:" + "a" * 64
D_OTHER = "sha256:" + "b" * 64


def ref(tag: str) -> str:
    return f"docker.io/user/goserver:{tag}"


def view(*tags: str, digests: Mapping[str, str] | None = None, latest_version: str | None = None) -> RegistryView:
    return RegistryView(frozenset(tags), dict(digests or {}), latest_version)


def plan(version: str, registry: RegistryView | None, **kwargs: object) -> Plan:
    return make_plan(parse_version(version), REPO, PLATFORMS, view=registry, **kwargs)  # type: ignore[arg-type]


def actions(p: Plan) -> dict[str, Action]:
    return {d.tag: d.action for d in p.decisions}


def reason(p: Plan, tag: str) -> str:
    (decision,) = [d for d in p.decisions if d.tag == tag]
    return decision.reason


HOLDING_020 = view("0.1.8", "0.2.0", "latest")


def test_older_patch_does_not_move_latest() -> None:
    p = plan("0.1.9", HOLDING_020)
    assert p.references == [ref("0.1.9")]
    assert [d.tag for d in p.skipped] == ["latest"]
    assert "0.2.0" in reason(p, "latest")
    assert [d.tag for d in p.to_push] == ["0.1.9"]


def test_newer_patch_moves_latest() -> None:
    p = plan("0.2.1", HOLDING_020)
    assert actions(p) == {"0.2.1": Action.CREATE, "latest": Action.MOVE}
    assert p.references == [ref("0.2.1"), ref("latest")]
    assert p.skipped == []


def test_empty_registry_creates_latest() -> None:
    p = plan("0.2.0", view())
    assert actions(p) == {"0.2.0": Action.CREATE, "latest": Action.CREATE}
    assert [d.reference for d in p.to_push] == [ref("0.2.0"), ref("latest")]


def test_unread_registry_creates_and_says_so() -> None:
    p = plan("0.2.0", None)
    assert actions(p) == {"0.2.0": Action.CREATE, "latest": Action.CREATE}
    assert p.registry_checked is False
    assert plan("0.2.0", view()).registry_checked is True


def test_prerelease_gets_only_its_version_tag() -> None:
    p = plan("0.3.0-rc.1", HOLDING_020)
    assert p.references == [ref("0.3.0-rc.1")]
    assert [d.tag for d in p.to_push] == ["0.3.0-rc.1"]
    assert [d.tag for d in p.skipped] == ["latest"]
    assert "prerelease" in reason(p, "latest")


def test_prerelease_in_an_empty_registry_still_leaves_latest_alone() -> None:
    p = plan("1.0.0-rc.1", view(), aliases=True)
    assert [d.tag for d in p.to_push] == ["1.0.0-rc.1"]
    assert {d.tag for d in p.skipped} == {"1.0", "1", "latest"}
    assert all("prerelease" in d.reason for d in p.skipped)


def test_same_digest_keeps_the_version_tag() -> None:
    registry = view("0.2.0", "latest", digests={"0.2.0": D_THIS, "latest": D_THIS})
    p = plan("0.2.0", registry, digest=D_THIS)
    assert actions(p) == {"0.2.0": Action.KEEP, "latest": Action.KEEP}
    assert p.to_push == []
    assert p.refused == []
    assert p.references == [ref("0.2.0"), ref("latest")]


def test_same_digest_keeps_version_tag_and_moves_a_stale_latest() -> None:
    registry = view("0.2.0", "latest", digests={"0.2.0": D_THIS, "latest": D_OTHER})
    p = plan("0.2.0", registry, digest=D_THIS)
    assert actions(p) == {"0.2.0": Action.KEEP, "latest": Action.MOVE}
    assert [d.tag for d in p.to_push] == ["latest"]


def test_other_digest_refuses_to_overwrite_a_release() -> None:
    registry = view("0.2.0", digests={"0.2.0": D_OTHER})
    p = plan("0.2.0", registry, digest=D_THIS)
    assert [d.tag for d in p.refused] == ["0.2.0"]
    assert actions(p)["0.2.0"] is Action.REFUSE
    assert "--force" in reason(p, "0.2.0")
    assert D_OTHER in reason(p, "0.2.0")
    assert ref("0.2.0") not in p.references
    assert "0.2.0" not in [d.tag for d in p.to_push]
    assert p.as_dict()["refused"] == [{"tag": "0.2.0", "reason": reason(p, "0.2.0")}]


def test_force_overwrites_a_release() -> None:
    registry = view("0.2.0", digests={"0.2.0": D_OTHER})
    p = plan("0.2.0", registry, digest=D_THIS, force=True)
    assert actions(p)["0.2.0"] is Action.MOVE
    assert p.refused == []
    assert "--force" in reason(p, "0.2.0")
    assert p.to_push[0].tag == "0.2.0"


def test_force_does_not_push_an_identical_release() -> None:
    registry = view("0.2.0", digests={"0.2.0": D_THIS})
    assert actions(plan("0.2.0", registry, digest=D_THIS, force=True))["0.2.0"] is Action.KEEP


def test_a_release_whose_registry_digest_cannot_be_read_is_refused_not_overwritten() -> None:
    p = plan("0.2.0", view("0.2.0", digests={}), digest=D_THIS)
    assert actions(p)["0.2.0"] is Action.REFUSE
    assert p.to_push == []


@pytest.mark.parametrize(
    ("digests", "digest"),
    [({"0.2.0": D_OTHER}, None), ({}, None)],
    ids=["image-digest-unknown", "both-unknown"],
)
def test_existing_version_tag_with_an_unknown_digest_is_checked(digests: dict[str, str], digest: str | None) -> None:
    p = plan("0.2.0", view("0.2.0", digests=digests), digest=digest)
    assert actions(p)["0.2.0"] is Action.CHECK
    assert "0.2.0" not in [d.tag for d in p.to_push]
    assert p.refused == []
    assert ref("0.2.0") in p.references


def test_aliases_move_only_the_line_that_stays_highest() -> None:
    registry = view("1.4.1", "1.4", "1", "1.5.0", "latest")
    p = plan("1.4.2", registry, aliases=True)
    assert actions(p) == {
        "1.4.2": Action.CREATE,
        "1.4": Action.MOVE,
        "1": Action.SKIP,
        "latest": Action.SKIP,
    }
    assert "1.5.0" in reason(p, "1") and "1.5.0" in reason(p, "latest")
    assert [d.tag for d in p.to_push] == ["1.4.2", "1.4"]


def test_minor_alias_skipped_behind_a_newer_patch() -> None:
    p = plan("1.4.2", view("1.4.3", "1.4", "1", "latest"), aliases=True)
    assert actions(p) == {"1.4.2": Action.CREATE, "1.4": Action.SKIP, "1": Action.SKIP, "latest": Action.SKIP}
    assert "1.4.3" in reason(p, "1.4")


def test_aliases_in_an_empty_registry_are_created_in_order() -> None:
    p = plan("1.4.2", view(), aliases=True)
    assert [d.tag for d in p.to_push] == ["1.4.2", "1.4", "1", "latest"]
    assert all(d.action is Action.CREATE for d in p.to_push)


def test_no_major_alias_before_one() -> None:
    p = plan("0.3.1", view(), aliases=True)
    assert [d.tag for d in p.to_push] == ["0.3.1", "0.3", "latest"]
    assert [d.tag for d in p.skipped] == ["0"]
    assert "1.0.0" in reason(p, "0")


def test_aliases_off_leaves_alias_tags_out() -> None:
    p = plan("1.4.2", view())
    assert set(actions(p)) == {"1.4.2", "latest"}


def test_latest_turned_off_is_skipped_with_a_reason() -> None:
    p = plan("0.2.1", HOLDING_020, latest=False)
    assert [d.tag for d in p.to_push] == ["0.2.1"]
    assert [d.tag for d in p.skipped] == ["latest"]
    assert "latest" in reason(p, "latest") and "off" in reason(p, "latest")
    assert ref("latest") not in p.references


def test_v_prefixed_registry_tags_count_as_releases() -> None:
    p = plan("0.2.1", view("v0.3.0", "latest"))
    assert actions(p)["latest"] is Action.SKIP
    assert "0.3.0" in reason(p, "latest")


def test_prerelease_tags_in_the_registry_do_not_block_latest() -> None:
    p = plan("0.2.1", view("0.2.0", "0.3.0-rc.1", "latest"))
    assert actions(p)["latest"] is Action.MOVE


@pytest.mark.parametrize("noise", ["dev", "sha-abc1234", "1.5", "2", "1.9.9+build.1"])
def test_non_release_tags_do_not_block_latest(noise: str) -> None:
    assert actions(plan("1.4.2", view("1.4.0", noise, "latest")))["latest"] is Action.MOVE


def test_to_push_puts_the_version_first_and_latest_last() -> None:
    p = plan("2.0.0", view("1.9.0", "1", "latest"), aliases=True)
    tags = [d.tag for d in p.to_push]
    assert tags[0] == "2.0.0" and tags[-1] == "latest"
    assert tags == ["2.0.0", "2.0", "2", "latest"]


def test_as_dict() -> None:
    p = plan("0.1.9", view("0.1.8", "0.2.0", "latest", latest_version="0.2.0"))
    data = p.as_dict()
    assert {"version", "references", "platforms", "skipped", "decisions", "registry_checked"} <= data.keys()
    assert data["version"] == "0.1.9"
    assert data["repository"] == "docker.io/user/goserver"
    assert data["references"] == [ref("0.1.9")]
    assert data["platforms"] == ["linux/amd64"]
    assert data["skipped"] == [{"tag": "latest", "reason": reason(p, "latest")}]
    assert data["registry_checked"] is True
    assert data["current_latest"] == "0.2.0"
    assert data["decisions"] == [
        {"tag": "0.1.9", "action": "create", "reason": "new release", "reference": ref("0.1.9")},
        {"tag": "latest", "action": "skip", "reason": reason(p, "latest"), "reference": ref("latest")},
    ]


def test_as_dict_is_json_ready() -> None:
    import json

    p = plan("1.4.2", view("1.4.1"), aliases=True)
    assert json.loads(json.dumps(p.as_dict())) == p.as_dict()


def test_platforms_are_carried_into_the_plan() -> None:
    platforms = parse_platforms(["linux/arm64,linux/arm/v7"])
    p = make_plan(parse_version("0.2.0"), REPO, platforms)
    assert p.as_dict()["platforms"] == ["linux/arm64", "linux/arm/v7"]


def test_rerunning_the_latest_release_checks_latest_instead_of_moving_it() -> None:
    registry = view("0.1.8", "0.2.0", "latest", digests={"0.2.0": D_OTHER, "latest": D_OTHER})
    assert actions(plan("0.2.0", registry))["latest"] is Action.CHECK
    assert actions(plan("0.2.0", registry, digest=D_OTHER))["latest"] is Action.KEEP


def test_a_refused_release_moves_no_other_tag_either() -> None:
    registry = view("0.2.0", "latest", digests={"0.2.0": D_OTHER, "latest": D_OTHER})
    p = plan("0.2.0", registry, digest=D_THIS, aliases=True)
    assert p.to_push == []
    assert {d.tag for d in p.skipped} >= {"latest", "0.2"}
    assert all("refused" in d.reason for d in p.skipped if d.tag in ("latest", "0.2"))


def test_force_plans_to_overwrite_before_the_digest_is_known() -> None:
    registry = view("0.2.0", digests={"0.2.0": D_OTHER})
    decision = {d.tag: d for d in plan("0.2.0", registry, force=True).decisions}["0.2.0"]
    assert decision.action is Action.MOVE
    assert "--force" in decision.reason
