"""`go-publish plan` against real registries on 127.0.0.1, as a user runs it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cli_runner import assert_one_line_error, run

pytestmark = pytest.mark.registry


@pytest.fixture
def released(registry: Any, push_image: Any, repo_path: str) -> str:
    """A repository holding 0.1.8 and 0.2.0, with latest on 0.2.0."""
    push_image(registry, repo_path, ["0.1.8"], content="release 0.1.8")
    push_image(registry, repo_path, ["0.2.0", "latest"], content="release 0.2.0")
    return repo_path


def plan(registry: Any, path: str, version: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    result = run(
        "plan", "--version", version, "--registry", registry.host, "--repository", path, "--json", *extra,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_hotfix_for_an_older_line_keeps_latest_where_it_is(registry: Any, released: str) -> None:
    found = plan(registry, released, "0.1.9")
    assert f"{registry.host}/{released}:0.1.9" in found["references"]
    assert f"{registry.host}/{released}:latest" not in found["references"]
    (skipped,) = found["skipped"]
    assert skipped["tag"] == "latest"
    assert "0.2.0" in skipped["reason"]
    assert found["current_latest"] == "0.2.0"
    assert found["registry_checked"] is True


def test_a_newer_release_moves_latest(registry: Any, released: str) -> None:
    actions = {d["tag"]: d["action"] for d in plan(registry, released, "0.2.1")["decisions"]}
    assert actions == {"0.2.1": "create", "latest": "move"}


def test_rerunning_a_release_is_checked_against_its_digest(registry: Any, released: str) -> None:
    actions = {d["tag"]: d["action"] for d in plan(registry, released, "v0.2.0")["decisions"]}
    assert actions["0.2.0"] == "check"


def test_a_prerelease_moves_nothing(registry: Any, released: str) -> None:
    found = plan(registry, released, "0.3.0-rc.1", "--aliases")
    assert found["references"] == [f"{registry.host}/{released}:0.3.0-rc.1"]


def test_the_plan_reads_a_private_registry_with_a_harbor_style_robot(
    auth_registry: Any, push_image: Any, repo_path: str
) -> None:
    user = "robot$team+ci"
    push_image(auth_registry, repo_path, ["1.0.0", "latest"], content="one", user=user)
    found = plan(
        auth_registry, repo_path, "0.9.0", "--username", user, "--password-env", "TOKEN",
        env={"TOKEN": auth_registry.users[user]},
    )
    assert [s["tag"] for s in found["skipped"]] == ["latest"]


def test_a_wrong_password_fails_closed_without_echoing_it(auth_registry: Any, repo_path: str) -> None:
    wrong = "wr0ng-Pa55-for-test"
    result = run(
        "plan", "--version", "0.2.0", "--registry", auth_registry.host, "--repository", repo_path,
        "--username", "ci", "--password-env", "TOKEN", env={"TOKEN": wrong},
    )
    line = assert_one_line_error(result, auth_registry.host)
    assert "authentication" in line
    assert wrong not in result.stderr + result.stdout


def test_an_unreachable_registry_still_gives_the_offline_plan_with_a_note(registry: Any) -> None:
    from registry_fixtures import free_port

    result = run("plan", "--version", "0.2.0", "--registry", f"127.0.0.1:{free_port()}", "--repository", "a/b")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1].endswith("/a/b:latest")
    assert "plan made without the registry" in result.stderr
