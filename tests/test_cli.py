"""The go-publish command as a user runs it: a real process, its stdout, stderr and exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli_runner import ROOT, assert_one_line_error, run

SECRET = "s3cr3t-Pa55-w0rd"


def test_tags_prints_one_tag_per_line() -> None:
    result = run("tags", "v0.2.0")
    assert result.returncode == 0
    assert result.stdout == "0.2.0\nlatest\n"


def test_tags_of_a_prerelease_never_include_latest() -> None:
    assert run("tags", "1.2.3-rc.1", "--aliases").stdout == "1.2.3-rc.1\n"


def test_tags_with_aliases() -> None:
    assert run("tags", "1.4.2", "--aliases").stdout.split() == ["1.4.2", "1.4", "1", "latest"]


def test_plan_json_lists_the_docker_hub_references() -> None:
    result = run("plan", "--version", "0.2.0", "--repository", "user/goserver", "--json", "--offline")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["references"] == ["docker.io/user/goserver:0.2.0", "docker.io/user/goserver:latest"]
    assert plan["version"] == "0.2.0"
    assert plan["platforms"] == ["linux/amd64"]
    assert plan["skipped"] == []


def test_plan_text_prints_one_reference_per_line_for_each_platform_set() -> None:
    result = run(
        "plan", "--version", "1.0.0-rc.1", "--registry", "localhost:5000", "--repository", "foo",
        "--platform", "linux/amd64", "--platform", "linux/arm64", "--offline",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "localhost:5000/foo:1.0.0-rc.1\n"
    assert "prerelease" in result.stderr


def test_plan_json_names_skipped_tags_with_reasons() -> None:
    result = run("plan", "--version", "2.0.0-beta.1", "--repository", "user/app", "--json", "--offline")
    skipped = json.loads(result.stdout)["skipped"]
    assert [s["tag"] for s in skipped] == ["latest"]
    assert "prerelease" in skipped[0]["reason"]


def test_offline_commands_never_import_dagger() -> None:
    code = (
        "import sys\n"
        "from go_publish.cli import main\n"
        "for argv in (['tags', '0.2.0'], ['plan', '--version', '0.2.0', '--repository', 'u/g', '--offline', '--json']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m == 'dagger' or m.startswith('dagger.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["tags", "1.2"], "VERSION"),
        (["tags", "1.2.3+build.7"], "VERSION"),
        (["plan", "--version", "0.2.0", "--repository", "User/App", "--offline"], "--repository"),
        (["plan", "--version", "0.2.0", "--repository", "ghcr.io/user/app", "--offline"], "--repository"),
        (["plan", "--version", "0.2.0", "--repository", "u/a", "--registry", "https://ghcr.io", "--offline"], "--registry"),
        (["plan", "--version", "0.2.0", "--repository", "u/a", "--platform", "windows/amd64", "--offline"], "--platform"),
        (["plan", "--repository", "u/a"], "--version"),
        (["build", "--platform", "linux/s390x"], "--platform"),
        (["smoke-test", "--version", "not-a-version"], "--version"),
        (["serve", "--port", "70000"], "--port"),
        (["test", "--source", "/nonexistent/server"], "--source"),
        (["test", "--go-version", "latest"], "--go-version"),
    ],
)
def test_user_mistakes_get_one_line_naming_the_field(args: list[str], field: str) -> None:
    assert_one_line_error(run(*args), field)


def test_publish_validates_before_anything_else_and_never_echoes_the_password() -> None:
    result = run(
        "publish", "--version", "0.2.0+meta", "--repository", "user/goserver", "--username", "user",
        env={"REGISTRY_PASSWORD": SECRET},
    )
    line = assert_one_line_error(result, "--version")
    assert SECRET not in line


def test_publish_refuses_an_empty_password() -> None:
    result = run(
        "publish", "--version", "0.2.0", "--repository", "user/goserver", "--username", "user",
        env={"REGISTRY_PASSWORD": ""},
    )
    assert_one_line_error(result, "--password-env")


def test_publish_without_an_engine_says_so_in_one_line_and_downloads_nothing(tmp_path: Path) -> None:
    result = run(
        "publish", "--version", "0.2.0", "--repository", "user/goserver", "--username", "robot$team+ci",
        env={"REGISTRY_PASSWORD": SECRET, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    line = assert_one_line_error(result, "no Dagger engine reachable")
    assert SECRET not in result.stderr
    assert not (tmp_path / "cache" / "dagger").exists()


def test_an_engine_named_by_variable_must_exist() -> None:
    result = run("test", env={"_EXPERIMENTAL_DAGGER_CLI_BIN": "/nonexistent/dagger"})
    assert_one_line_error(result, "_EXPERIMENTAL_DAGGER_CLI_BIN")


def test_help_lists_every_subcommand() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("build", "test", "smoke-test", "serve", "publish", "tags", "plan"):
        assert command in result.stdout


def test_a_huge_value_is_cut_short_in_the_error_line() -> None:
    line = assert_one_line_error(run("tags", "1.2.3-" + "a" * 5000), "VERSION")
    assert len(line) < 300
    assert "5006 characters" in line


def test_no_arguments_prints_the_help_and_no_empty_error_line() -> None:
    result = run()
    assert result.returncode == 2
    assert "Usage" in result.stdout
    assert result.stderr == ""


def test_plan_reads_the_password_from_registry_password_by_default() -> None:
    result = run("plan", "--version", "0.2.0", "--repository", "u/a", "--username", "ci", env={"REGISTRY_PASSWORD": ""})
    assert_one_line_error(result, "--password-env: environment variable REGISTRY_PASSWORD")


def test_an_offline_plan_needs_no_password() -> None:
    result = run("plan", "--version", "0.2.0", "--repository", "u/a", "--username", "ci", "--offline")
    assert result.returncode == 0, result.stderr
