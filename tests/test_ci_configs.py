"""Offline checks of the CI configurations in ci/ and of the Dagger modules that compose go-publish.

What is checked, per file:

* GitHub Actions, GitLab CI, CircleCI, Azure Pipelines, Buildkite: the provider's published JSON
  schema, as vendored by check-jsonschema (pinned in .ci/install-ci-linters.sh); for GitHub also
  actionlint, which runs shellcheck on every `run:` script.
* Jenkins has no schema and no offline linter: Jenkins' own declarative validator needs a running
  Jenkins with its plugins. What we can check offline is checked: groovyc (Groovy 2.4, the same
  major line Jenkins' CPS engine uses) parses the file, so quoting and braces are valid Groovy; and
  a small scanner checks the declarative structure (pipeline/agent/stages/stage/steps), the tag
  condition, the credentials binding around the publish step, and that every `sh` step is a
  single-quoted Groovy string (no interpolation) with its own shebang (no `sh -xe` trace). It
  cannot catch an unknown step or option name, a plugin that is not installed, or a wrong
  credentials id.
* Every script (YAML block scalars, Jenkins `sh` strings) goes through shellcheck, and the publish
  script is run for real in a shell with a stub `dagger` and `curl`: the tag `v0.2.0` must become
  `--version 0.2.0`, and a Harbor-style user name with `$` must reach dagger unchanged.
* All six share the one publish line, run `dagger call test`, install Dagger 0.21.11 pinned, and
  never echo the password or turn on shell tracing.

A missing tool fails these tests (it does not skip them): .ci/install-ci-linters.sh installs them.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "ci"
INSTALL_SCRIPT = ROOT / ".ci" / "install-ci-linters.sh"
INSTALL_HINT = "run .ci/install-ci-linters.sh (with the project's venv active)"

DAGGER_VERSION = "0.21.11"
PUBLISH_LINE = (
    'dagger call publish --version "$VERSION" --registry "$REGISTRY" --repository "$REPOSITORY" '
    '--username "$REGISTRY_USERNAME" --password env:REGISTRY_PASSWORD'
)
TAGS_THAT_PUBLISH = ["v0.2.0", "v1.10.3", "v10.0.0"]
TAGS_THAT_DO_NOT = ["0.2.0", "v0.2", "v0.2.0-rc.1", "v0.2.0.1", "xv0.2.0", "v0.2.0x", "release-1"]


# --------------------------------------------------------------------------------------------
# The six configurations


@dataclass(frozen=True)
class Config:
    provider: str
    path: Path
    schema: str | None = None  # check-jsonschema --builtin-schema
    schema_args: tuple[str, ...] = ()
    shell: str = "bash"  # how the provider runs its scripts
    tag_variable: str = ""  # what the publish script reads the tag from
    tag_value: str = "v0.2.0"  # that variable's value for the tag v0.2.0


CONFIGS = [
    Config("github", CI / "github" / "publish.yml", "vendor.github-workflows",
           tag_variable="TAG"),
    Config("gitlab", CI / "gitlab" / ".gitlab-ci.yml", "vendor.gitlab-ci",
           ("--data-transform", "gitlab-ci"), shell="sh", tag_variable="CI_COMMIT_TAG"),
    Config("circleci", CI / "circleci" / "config.yml", "vendor.circle-ci",
           tag_variable="CIRCLE_TAG"),
    Config("jenkins", CI / "jenkins" / "Jenkinsfile", tag_variable="TAG_NAME"),
    # The Azure schema is written for an ECMAScript validator without the unicode flag, and uses
    # template expressions that check-jsonschema's azure-pipelines transform resolves.
    Config("azure", CI / "azure" / "azure-pipelines.yml", "vendor.azure-pipelines",
           ("--data-transform", "azure-pipelines", "--regex-variant", "nonunicode"),
           tag_variable="BUILD_SOURCEBRANCH", tag_value="refs/tags/v0.2.0"),
    Config("buildkite", CI / "buildkite" / "pipeline.yml", "vendor.buildkite",
           tag_variable="BUILDKITE_TAG"),
]
BY_PROVIDER = {c.provider: c for c in CONFIGS}
SCHEMA_CONFIGS = [c for c in CONFIGS if c.schema]


def _ids(configs: list[Config]) -> list[str]:
    return [c.provider for c in configs]


# --------------------------------------------------------------------------------------------
# Tools: found on PATH or in $(go env GOPATH)/bin; missing ones fail the test


def _pin(name: str) -> str:
    match = re.search(rf"^{name}=(\S+)$", INSTALL_SCRIPT.read_text(), re.MULTILINE)
    assert match, f"{INSTALL_SCRIPT} does not pin {name}"
    return match.group(1)


def _go() -> str | None:
    found = shutil.which("go")
    if found is None and os.access("/usr/local/go/bin/go", os.X_OK):
        found = "/usr/local/go/bin/go"
    return found


def _go_bin_dirs() -> list[Path]:
    dirs = [Path(os.environ["GOBIN"])] if os.environ.get("GOBIN") else []
    go = _go()
    if go:
        gopath = subprocess.run([go, "env", "GOPATH"], capture_output=True, text=True, check=False).stdout
        dirs += [Path(p) / "bin" for p in gopath.strip().split(os.pathsep) if p]
    return dirs


def tool(name: str) -> str:
    """The path of a command-line tool, or a test failure that says how to install it."""
    found = shutil.which(name)
    if found is None:
        for directory in _go_bin_dirs():
            candidate = directory / name
            if os.access(candidate, os.X_OK):
                found = str(candidate)
                break
    if found is None:
        pytest.fail(f"{name} is not on PATH nor in $(go env GOPATH)/bin: {INSTALL_HINT}")
    return found


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=300, **kwargs)


def yaml_load(path: Path) -> Any:
    """YAML 1.2 (so `on:` stays a string), with ruamel.yaml, which check-jsonschema brings."""
    try:
        from ruamel.yaml import YAML
    except ImportError:
        pytest.fail(f"ruamel.yaml (a dependency of check-jsonschema) is missing: {INSTALL_HINT}")
    return YAML(typ="safe", pure=True).load(path.read_text())


# --------------------------------------------------------------------------------------------
# Jenkinsfile: a small Groovy scanner (comments, string literals, brace blocks)


@dataclass
class GroovyString:
    start: int
    end: int
    quote: str
    raw: str  # between the quotes, escapes not processed

    @property
    def value(self) -> str:
        """The string's value for single-quoted literals (no interpolation in Groovy)."""
        return re.sub(r"\\(.)", r"\1", self.raw, flags=re.DOTALL)


@dataclass
class Block:
    head: str
    head_start: int
    start: int
    end: int = -1
    children: list[Block] = field(default_factory=list)

    def child(self, head: str) -> Block:
        found = [c for c in self.children if c.head == head]
        assert len(found) == 1, f"expected one `{head} {{` in `{self.head}`, found {len(found)}"
        return found[0]

    def walk(self) -> Iterator[Block]:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass
class Groovy:
    source: str
    no_comments: str  # comments blanked, strings kept
    code: str  # comments and string contents blanked: only code is left
    strings: list[GroovyString]
    blocks: list[Block]  # top level

    def body_statements(self, block: Block) -> str:
        """The code directly in `block` (strings kept), without its nested blocks."""
        text = list(self.no_comments[block.start + 1 : block.end])
        for c in block.children:
            for i in range(c.head_start - block.start - 1, c.end - block.start):
                text[i] = " "
        return "".join(text)

    def strings_in(self, block: Block) -> list[GroovyString]:
        return [s for s in self.strings if block.start < s.start < block.end]

    def sh_strings(self) -> list[GroovyString]:
        """String literals given to an `sh` step: `sh '...'` or `sh(script: '...')`."""
        found = []
        for s in self.strings:
            before = self.code[max(0, s.start - 40) : s.start]
            if re.search(r"\bsh\s*(\(\s*(script\s*:\s*)?)?$", before):
                found.append(s)
        return found


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def parse_groovy(source: str) -> Groovy:
    no_comments = list(source)
    code = list(source)
    strings: list[GroovyString] = []
    i, n = 0, len(source)
    while i < n:
        if source.startswith("//", i):
            j = source.find("\n", i)
            j = n if j < 0 else j
            _blank(no_comments, i, j)
            _blank(code, i, j)
            i = j
        elif source.startswith("/*", i):
            j = source.find("*/", i + 2)
            assert j >= 0, f"unterminated /* comment at offset {i}"
            _blank(no_comments, i, j + 2)
            _blank(code, i, j + 2)
            i = j + 2
        elif source[i] in "'\"":
            quote = source[i : i + 3] if source.startswith(source[i] * 3, i) else source[i]
            k = i + len(quote)
            while True:
                assert k < n, f"unterminated string {quote} starting at offset {i}"
                if source[k] == "\\":
                    k += 2
                    continue
                if len(quote) == 1 and source[k] == "\n":
                    raise AssertionError(f"newline in a {quote}-quoted string at offset {i}")
                if source.startswith(quote, k):
                    break
                k += 1
            strings.append(GroovyString(i, k + len(quote), quote, source[i + len(quote) : k]))
            _blank(code, i + len(quote), k)
            i = k + len(quote)
        else:
            i += 1

    code_text = "".join(code)
    no_comments_text = "".join(no_comments)
    top: list[Block] = []
    stack: list[Block] = []
    depth = 0  # parentheses and brackets
    statement_start = 0
    for i, c in enumerate(code_text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
            assert depth >= 0, f"unbalanced `{c}` at line {code_text.count(chr(10), 0, i) + 1}"
        elif c == "\n" and depth == 0:
            statement_start = i + 1
        elif c == "{":
            head = " ".join(no_comments_text[statement_start:i].split())
            block = Block(head=head, head_start=statement_start, start=i)
            (stack[-1].children if stack else top).append(block)
            stack.append(block)
            statement_start = i + 1
        elif c == "}":
            assert stack, f"unbalanced `}}` at line {code_text.count(chr(10), 0, i) + 1}"
            stack.pop().end = i
            statement_start = i + 1
    assert not stack, f"unclosed `{{` of `{stack[-1].head}`" if stack else ""
    assert depth == 0, "unbalanced parentheses or brackets"
    return Groovy(source, no_comments_text, code_text, strings, top)


# --------------------------------------------------------------------------------------------
# The scripts each provider runs


@dataclass(frozen=True)
class Script:
    where: str
    text: str
    shell: str


def _github_scripts(data: Any) -> list[Script]:
    return [
        Script(f"jobs.{job}.steps[{i}]", step["run"], "bash")
        for job, spec in data["jobs"].items()
        for i, step in enumerate(spec.get("steps", []))
        if "run" in step
    ]


def _gitlab_scripts(data: Any) -> list[Script]:
    scripts = []
    for job, spec in data.items():
        if not isinstance(spec, dict) or job in {"workflow", "variables", "default", "include"}:
            continue
        for key in ("before_script", "script", "after_script"):
            if key in spec:
                lines = spec[key] if isinstance(spec[key], list) else [spec[key]]
                scripts.append(Script(f"{job}.{key}", "\n".join(lines) + "\n", "sh"))
    return scripts


def _circleci_scripts(data: Any) -> list[Script]:
    scripts = []
    sources = [("commands", data.get("commands", {})), ("jobs", data.get("jobs", {}))]
    for kind, entries in sources:
        for name, spec in entries.items():
            for i, step in enumerate(spec.get("steps", [])):
                if isinstance(step, dict) and "run" in step:
                    body = step["run"]
                    text = body["command"] if isinstance(body, dict) else body
                    scripts.append(Script(f"{kind}.{name}.steps[{i}]", text, "bash"))
    return scripts


def _azure_scripts(data: Any) -> list[Script]:
    scripts = []

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key in ("script", "bash"):
                if isinstance(node.get(key), str):
                    scripts.append(Script(where, node[key], "bash"))
            for key, value in node.items():
                visit(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, f"{where}[{i}]")

    visit(data, "pipeline")
    return scripts


def _buildkite_scripts(data: Any) -> list[Script]:
    scripts = []
    for i, step in enumerate(data["steps"]):
        if isinstance(step, dict):
            for key in ("command", "commands"):
                if key in step:
                    body = step[key]
                    text = "\n".join(body) if isinstance(body, list) else body
                    scripts.append(Script(f"steps[{i}] ({step.get('key', '?')})", text, "bash"))
    return scripts


def _jenkins_scripts(groovy: Groovy) -> list[Script]:
    return [
        Script(f"sh at line {groovy.source.count(chr(10), 0, s.start) + 1}", s.value, "bash")
        for s in groovy.sh_strings()
    ]


def scripts_of(config: Config) -> list[Script]:
    if config.provider == "jenkins":
        return _jenkins_scripts(parse_groovy(config.path.read_text()))
    data = yaml_load(config.path)
    return {
        "github": _github_scripts,
        "gitlab": _gitlab_scripts,
        "circleci": _circleci_scripts,
        "azure": _azure_scripts,
        "buildkite": _buildkite_scripts,
    }[config.provider](data)


def publish_script(config: Config) -> Script:
    found = [s for s in scripts_of(config) if PUBLISH_LINE in [ln.strip() for ln in s.text.splitlines()]]
    assert len(found) == 1, f"{config.path}: {len(found)} scripts run the publish line, want 1"
    return found[0]


def _code_lines(config: Config) -> list[str]:
    """The file's lines without whole-line comments (# in YAML, // in Groovy)."""
    marker = "//" if config.provider == "jenkins" else "#"
    return [
        line for line in config.path.read_text().splitlines()
        if not line.lstrip().startswith(marker) or line.lstrip().startswith("#!")
    ]


# --------------------------------------------------------------------------------------------
# Tools and pins


def test_check_jsonschema_is_the_pinned_version() -> None:
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.fail(f"check-jsonschema is not installed in {sys.prefix}: {INSTALL_HINT}")
    assert importlib.metadata.version("check-jsonschema") == _pin("CHECK_JSONSCHEMA_VERSION"), (
        "the vendored provider schemas change between releases: " + INSTALL_HINT
    )


def test_actionlint_is_the_pinned_version() -> None:
    out = run([tool("actionlint"), "-version"]).stdout
    assert out.splitlines()[0].strip() == _pin("ACTIONLINT_VERSION"), f"{out}\n{INSTALL_HINT}"


# --------------------------------------------------------------------------------------------
# Schemas and linters


@pytest.mark.parametrize("config", SCHEMA_CONFIGS, ids=_ids(SCHEMA_CONFIGS))
def test_matches_the_providers_schema(config: Config) -> None:
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.fail(f"check-jsonschema is not installed in {sys.prefix}: {INSTALL_HINT}")
    assert config.schema is not None
    result = run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", config.schema,
         *config.schema_args, str(config.path)]
    )
    assert result.returncode == 0, f"{config.path} fails {config.schema}:\n{result.stdout}{result.stderr}"


def test_github_workflow_passes_actionlint_with_shellcheck() -> None:
    path = BY_PROVIDER["github"].path
    result = run(
        [tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"), str(path)], cwd=ROOT
    )
    assert result.returncode == 0, f"actionlint {path}:\n{result.stdout}{result.stderr}"


# GitHub's run: scripts are shellchecked by actionlint, which knows its ${{ }} expressions.
SHELLCHECKED = [c for c in CONFIGS if c.provider != "github"]


@pytest.mark.parametrize("config", SHELLCHECKED, ids=_ids(SHELLCHECKED))
def test_every_script_passes_shellcheck(config: Config, tmp_path: Path) -> None:
    shellcheck = tool("shellcheck")
    scripts = scripts_of(config)
    assert scripts, f"no scripts found in {config.path}"
    problems = []
    for i, script in enumerate(scripts):
        text = script.text
        if not text.startswith("#!"):
            text = f"#!/bin/{script.shell}\n{text}"
        file = tmp_path / f"script-{i}.sh"
        file.write_text(text)
        result = run([shellcheck, "--format=gcc", str(file)])
        if result.returncode != 0:
            problems.append(f"{script.where}:\n{result.stdout}{result.stderr}")
    assert not problems, f"{config.path}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------------------------
# What all six must have in common


@pytest.mark.parametrize("config", CONFIGS, ids=_ids(CONFIGS))
def test_has_the_publish_line_exactly_once_in_a_script(config: Config) -> None:
    text = config.path.read_text()
    assert text.count(PUBLISH_LINE) == 1, f"{config.path} must contain the publish line once"
    assert text.count("dagger call publish") == 1, f"{config.path} calls publish more than once"
    script = publish_script(config)
    line = next(line for line in script.text.splitlines() if "dagger call publish" in line)
    assert line.strip() == PUBLISH_LINE, f"{script.where}: {line!r}"


@pytest.mark.parametrize("config", CONFIGS, ids=_ids(CONFIGS))
def test_runs_dagger_call_test(config: Config) -> None:
    runs = [s for s in scripts_of(config) if "dagger call test" in [ln.strip() for ln in s.text.splitlines()]]
    assert len(runs) == 1, f"{config.path}: {len(runs)} scripts run `dagger call test`, want 1"


@pytest.mark.parametrize("config", CONFIGS, ids=_ids(CONFIGS))
def test_pins_dagger_0_21_11(config: Config) -> None:
    text = "\n".join(_code_lines(config))
    installs = [line for line in text.splitlines() if "dl.dagger.io/dagger/install.sh" in line]
    actions = re.findall(r"uses:\s*dagger/dagger-for-github@\S+", text)
    assert installs or actions, f"{config.path} does not install Dagger"
    for line in installs:
        assert f"DAGGER_VERSION={DAGGER_VERSION} " in line, f"unpinned install: {line.strip()}"
        assert "BIN_DIR=" in line, f"install without a BIN_DIR: {line.strip()}"
    if actions:
        data = yaml_load(config.path)
        for job in data["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("dagger/dagger-for-github@"):
                    assert step.get("with", {}).get("version") == DAGGER_VERSION, step
    versions = set(re.findall(r"DAGGER_VERSION[=:]\s*\"?([^\s\"]+)", text))
    assert versions <= {DAGGER_VERSION}, f"{config.path} names other Dagger versions: {versions}"
    assert "latest" not in re.findall(r"version:\s*\"?(\w+)", text)


@pytest.mark.parametrize("config", CONFIGS, ids=_ids(CONFIGS))
def test_caches_nothing_by_hand(config: Config) -> None:
    """The Dagger engine caches Go modules and build layers itself."""
    text = "\n".join(_code_lines(config))
    found = re.findall(
        r"actions/cache|save_cache|restore_cache|^\s*cache:|Cache@\d|cache-plugin|stash\s*\(", text, re.MULTILINE
    )
    assert not found, f"{config.path} caches by hand: {found}"


@pytest.mark.parametrize("config", CONFIGS, ids=_ids(CONFIGS))
def test_never_traces_or_echoes_the_password(config: Config) -> None:
    for number, line in enumerate(config.path.read_text().splitlines(), 1):
        code = line.split(" #", 1)[0] if config.provider != "jenkins" else line.split("//", 1)[0]
        if line.lstrip().startswith(("#", "//")) and not line.lstrip().startswith("#!"):
            continue
        where = f"{config.path.name}:{number}: {line.strip()}"
        assert not re.search(r"\bset\s+-[a-zA-Z]*x|\bset\s+-o\s+xtrace|\b(ba)?sh\s+-[a-zA-Z]*x", code), where
        assert not re.search(r"#!\S*sh\s+-[a-zA-Z]*x", code), where
        assert not re.search(r"CI_DEBUG_TRACE|ACTIONS_STEP_DEBUG|system\.debug", code), where
        if "REGISTRY_PASSWORD" in code:
            assert not re.search(r"\b(echo|printf|cat|tee|print)\b", code), where
            # Only ever handed over by name: never expanded by a shell.
            assert not re.search(r"\$\{?REGISTRY_PASSWORD\b", code), where


@pytest.mark.parametrize("config", CONFIGS, ids=_ids(CONFIGS))
def test_publish_script_strips_the_v_and_passes_values_unchanged(config: Config, tmp_path: Path) -> None:
    """Run the publish script for real with a stub `dagger` (and `curl`), for the tag v0.2.0."""
    script = publish_script(config)
    stubs = tmp_path / "stubs"
    home = tmp_path / "home"
    workspace = tmp_path / "workspace"
    calls = tmp_path / "calls.jsonl"
    for directory in (stubs, home / ".local" / "bin", workspace / ".dagger-cli" / "bin"):
        directory.mkdir(parents=True)
        stub = directory / "dagger"
        stub.write_text(
            f"#!{sys.executable}\n"
            "import json, os, sys\n"
            "record = dict(argv=sys.argv[1:], password=os.environ.get('REGISTRY_PASSWORD'))\n"
            "with open(os.environ['STUB_CALLS'], 'a') as calls:\n"
            "    calls.write(json.dumps(record) + '\\n')\n"
        )
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    curl = stubs / "curl"
    curl.write_text("#!/bin/sh\nexit 0\n")  # the install lines must not reach the network
    curl.chmod(curl.stat().st_mode | stat.S_IEXEC)

    password = "s3cr3t-Pa$$word"
    env = {
        "PATH": f"{stubs}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "WORKSPACE": str(workspace),
        "STUB_CALLS": str(calls),
        config.tag_variable: config.tag_value,
        "REGISTRY": "harbor.example.com",
        "REPOSITORY": "team/goserver",
        "REGISTRY_USERNAME": "robot$team+ci",
        "REGISTRY_PASSWORD": password,
    }
    runner = ["sh", "-e", "-c"] if script.shell == "sh" else ["bash", "-e", "-o", "pipefail", "-c"]
    result = run([*runner, script.text], env=env, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{script.where} failed:\n{output}"
    assert password not in output, "the publish script printed the password"
    recorded = [json.loads(line) for line in calls.read_text().splitlines()]
    publishes = [c for c in recorded if c["argv"][:2] == ["call", "publish"]]
    assert len(publishes) == 1, recorded
    assert publishes[0]["argv"][2:] == [
        "--version", "0.2.0",
        "--registry", "harbor.example.com",
        "--repository", "team/goserver",
        "--username", "robot$team+ci",
        "--password", "env:REGISTRY_PASSWORD",
    ]
    assert publishes[0]["password"] == password, "dagger must find the password in its environment"


# --------------------------------------------------------------------------------------------
# Each provider: triggers, the tag condition, where the secret comes from


def _assert_tag_regex(regex: str) -> None:
    for tag in TAGS_THAT_PUBLISH:
        assert re.fullmatch(regex, tag), f"{regex!r} should match {tag}"
    for tag in TAGS_THAT_DO_NOT:
        assert not re.fullmatch(regex, tag), f"{regex!r} should not match {tag}"


def _slashed(value: str) -> str:
    match = re.fullmatch(r"/(.*)/", value.strip())
    assert match, f"not a /regex/: {value!r}"
    return match.group(1)


def test_github_triggers_and_secret() -> None:
    data = yaml_load(BY_PROVIDER["github"].path)
    on = data["on"]
    assert "pull_request" in on and "push" in on
    assert on["push"]["branches"] == ["**"]
    assert on["push"]["tags"] == ["v[0-9]+.[0-9]+.[0-9]+"]
    test, publish = data["jobs"]["test"], data["jobs"]["publish"]
    assert "if" not in test, "the test job must run on every push and pull request"
    assert publish["needs"] == "test"
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    step = next(s for s in publish["steps"] if PUBLISH_LINE in s.get("run", ""))
    assert step["env"]["REGISTRY_PASSWORD"] == "${{ secrets.REGISTRY_PASSWORD }}"
    assert step["env"]["TAG"] == "${{ github.ref_name }}"
    assert "secrets." not in json.dumps(test), "the test job needs no secret"


def test_gitlab_rules_and_variables() -> None:
    data = yaml_load(BY_PROVIDER["gitlab"].path)
    sources = " ".join(r["if"] for r in data["workflow"]["rules"])
    assert "merge_request_event" in sources and "$CI_COMMIT_BRANCH" in sources and "$CI_COMMIT_TAG" in sources
    assert "rules" not in data["test"] and "only" not in data["test"], "test runs in every pipeline"
    (rule,) = data["publish"]["rules"]
    match = re.fullmatch(r"\$CI_COMMIT_TAG =~ (/.*/)", rule["if"])
    assert match, rule
    _assert_tag_regex(_slashed(match.group(1)))
    assert data["publish"]["needs"] == ["test"]


def test_circleci_filters_and_context() -> None:
    data = yaml_load(BY_PROVIDER["circleci"].path)
    (workflow,) = data["workflows"].values()
    jobs = {next(iter(j)): next(iter(j.values())) for j in workflow["jobs"]}
    # A tag build runs a job only when it and everything it requires match the tag filter.
    _assert_tag_regex(_slashed(jobs["test"]["filters"]["tags"]["only"]))
    assert "branches" not in jobs["test"]["filters"], "test runs on every branch"
    _assert_tag_regex(_slashed(jobs["publish"]["filters"]["tags"]["only"]))
    assert jobs["publish"]["filters"]["branches"]["ignore"] == "/.*/"
    assert jobs["publish"]["requires"] == ["test"]
    assert jobs["publish"]["context"] == "registry"
    assert "context" not in jobs["test"]


def test_azure_triggers_condition_and_secret_mapping() -> None:
    data = yaml_load(BY_PROVIDER["azure"].path)
    assert data["trigger"]["branches"]["include"] == ["*"]
    assert data["trigger"]["tags"]["include"] == ["v*"]
    assert data["pr"]["branches"]["include"] == ["*"]
    stages = {s["stage"]: s for s in data["stages"]}
    assert "condition" not in stages["test"]
    assert "startsWith(variables['Build.SourceBranch'], 'refs/tags/v')" in stages["publish"]["condition"]
    assert stages["publish"]["dependsOn"] == "test"
    (job,) = stages["publish"]["jobs"]
    step = next(s for s in job["steps"] if PUBLISH_LINE in s.get("script", ""))
    # Secret variables reach a script only when mapped explicitly.
    assert step["env"] == {"REGISTRY_PASSWORD": "$(REGISTRY_PASSWORD)"}


def test_buildkite_condition_and_secret() -> None:
    data = yaml_load(BY_PROVIDER["buildkite"].path)
    steps = {s["key"]: s for s in data["steps"]}
    assert "if" not in steps["test"] and "branches" not in steps["test"]
    match = re.fullmatch(r"build\.tag =~ (/.*/)", steps["publish"]["if"])
    assert match, steps["publish"]["if"]
    _assert_tag_regex(_slashed(match.group(1)))
    assert steps["publish"]["secrets"] == ["REGISTRY_PASSWORD"]
    assert steps["publish"]["depends_on"] == "test"
    # `$VERSION` etc. must reach the shell, not the uploader's interpolation.
    assert "--no-interpolation" in BY_PROVIDER["buildkite"].path.read_text()


# --------------------------------------------------------------------------------------------
# Jenkins: groovyc for the syntax, the scanner for the declarative structure


def _java_home() -> str:
    home = os.environ.get("JAVA_HOME", "")
    if home and os.access(Path(home) / "bin" / "java", os.X_OK):
        return home
    java = shutil.which("java")
    if java is None:
        pytest.fail(f"java is not installed (groovy needs it): {INSTALL_HINT}")
    return str(Path(java).resolve().parent.parent)


def test_jenkinsfile_is_valid_groovy(tmp_path: Path) -> None:
    path = BY_PROVIDER["jenkins"].path
    result = run(
        [tool("groovyc"), "-d", str(tmp_path), str(path)],
        env={**os.environ, "JAVA_HOME": _java_home()},
    )
    assert result.returncode == 0, f"groovyc {path}:\n{result.stdout}{result.stderr}"


def test_jenkinsfile_declarative_structure() -> None:
    groovy = parse_groovy(BY_PROVIDER["jenkins"].path.read_text())
    assert [b.head for b in groovy.blocks] == ["pipeline"], "one top-level `pipeline { }` and nothing else"
    pipeline = groovy.blocks[0]
    assert re.search(r"^\s*agent\s+(any|none)\s*$", groovy.body_statements(pipeline), re.MULTILINE) or any(
        c.head == "agent" for c in pipeline.children
    ), "the pipeline needs an agent"
    allowed = {"agent", "environment", "options", "parameters", "triggers", "tools", "stages", "post"}
    assert {c.head for c in pipeline.children} <= allowed, [c.head for c in pipeline.children]
    stages = pipeline.child("stages")
    names = []
    for stage in stages.children:
        match = re.fullmatch(r"stage\('([^']+)'\)", stage.head)
        assert match, f"not a stage: {stage.head!r}"
        names.append(match.group(1))
        bodies = [c.head for c in stage.children if c.head in {"steps", "stages", "parallel", "matrix"}]
        assert len(bodies) == 1, f"stage {names[-1]} needs exactly one steps block"
        assert {c.head for c in stage.children} <= {"steps", "when", "environment", "options", "post", "agent"}
    assert "Test" in names and "Publish" in names, names
    by_name = dict(zip(names, stages.children, strict=True))

    test = by_name["Test"]
    assert not any(c.head == "when" for c in test.children), "Test runs for every branch and PR"
    assert any(
        "dagger call test" in [ln.strip() for ln in s.value.splitlines()] for s in groovy.strings_in(test)
    ), "the Test stage must run `dagger call test`"

    publish = by_name["Publish"]
    when = groovy.body_statements(publish.child("when"))
    match = re.search(r"\btag\s+pattern:\s*'((?:[^'\\]|\\.)*)',\s*comparator:\s*'REGEXP'", when)
    assert match, f"the Publish stage needs `when {{ tag pattern: '...', comparator: 'REGEXP' }}`: {when!r}"
    _assert_tag_regex(GroovyString(0, 0, "'", match.group(1)).value)

    bindings = [b for b in publish.walk() if b.head.startswith("withCredentials(")]
    assert len(bindings) == 1, "the publish step must run inside one withCredentials block"
    head = bindings[0].head
    assert re.search(r"usernamePassword\(\s*credentialsId:\s*'[^']+'", head), head
    assert "passwordVariable: 'REGISTRY_PASSWORD'" in head, head
    assert "usernameVariable: 'REGISTRY_USERNAME'" in head, head
    inside = [s for s in groovy.strings_in(bindings[0]) if PUBLISH_LINE in s.value]
    assert len(inside) == 1, "the publish line must be in an sh step inside withCredentials"


def test_jenkins_sh_steps_are_single_quoted_with_a_shebang() -> None:
    groovy = parse_groovy(BY_PROVIDER["jenkins"].path.read_text())
    steps = groovy.sh_strings()
    assert len(steps) >= 3, "install, test and publish are sh steps"
    for s in steps:
        line = groovy.source.count("\n", 0, s.start) + 1
        # '...' and '''...''' are not interpolated by Groovy: the shell expands the variables.
        assert s.quote in {"'", "'''"}, f"line {line}: sh with {s.quote}: Groovy would interpolate $"
        # Without its own shebang Jenkins runs the script with `sh -xe`: a trace of every command.
        assert s.value.startswith("#!/bin/bash\n"), f"line {line}: sh script must start with #!/bin/bash"
    for s in groovy.strings:
        if s.quote in {'"', '"""'}:
            assert "$" not in s.raw, f"interpolated Groovy string {s.quote}{s.raw}{s.quote}"


def test_groovy_scanner_finds_broken_structure() -> None:
    """The scanner itself: unbalanced braces and unterminated strings are caught."""
    with pytest.raises(AssertionError, match="unclosed"):
        parse_groovy("pipeline {\n  stages {\n}\n")
    with pytest.raises(AssertionError, match="unbalanced"):
        parse_groovy("pipeline { }\n}\n")
    with pytest.raises(AssertionError, match="unterminated"):
        parse_groovy("pipeline { sh '''echo }\n")
    ok = parse_groovy("// {\npipeline { sh '}' /* { */ }\n")
    assert [b.head for b in ok.blocks] == ["pipeline"]


# --------------------------------------------------------------------------------------------
# Composition: the example consumer and the Dagger test module


def _module(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "dagger.json").read_text())
    return data


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name))


ROOT_MODULE = _module(ROOT)
MODULES = {
    "consumer": (ROOT / "examples" / "consumer", "../..", "consumer"),
    "tests": (ROOT / "tests", "..", "go_publish_tests"),
}


def test_root_module_is_go_publish() -> None:
    assert ROOT_MODULE["name"] == "go-publish"
    assert ROOT_MODULE["engineVersion"] == f"v{DAGGER_VERSION}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_depends_on_the_root_go_publish(name: str) -> None:
    path, source, _ = MODULES[name]
    data = _module(path)
    assert data["sdk"] == {"source": "python"}
    assert data["engineVersion"] == ROOT_MODULE["engineVersion"] == f"v{DAGGER_VERSION}"
    assert data["dependencies"] == [{"name": "go-publish", "source": source}]
    target = (path / source).resolve()
    assert target == ROOT, f"{source} from {path} is {target}, not the repository root"
    assert _module(target)["name"] == "go-publish"
    if name == "tests":
        assert data["name"] == "go-publish-tests"


def _entry_point(path: Path) -> str:
    import tomllib

    project = tomllib.loads((path / "pyproject.toml").read_text())
    value: str = project["project"]["entry-points"]["dagger.mod"]["main_object"]
    return value


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_entry_point_names_its_main_object(name: str) -> None:
    path, _, package = MODULES[name]
    target = _entry_point(path)
    module, _, cls = target.partition(":")
    assert module == f"{package}.main", target
    # The engine looks the main object up by the module's name in PascalCase.
    assert cls == _pascal(_module(path)["name"]), target
    main = path / "src" / package / "main.py"
    tree = ast.parse(main.read_text(), str(main))
    assert cls in [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    for file in sorted((path / "src").rglob("*.py")):
        assert not file.name.startswith("test_") and file.name != "conftest.py", file
        compile(file.read_text(), str(file), "exec")


# Registers a Python module's functions the way the engine does, but offline: the SDK only
# builds lazy API queries, and Module.id (the one call that would reach an engine) is stubbed.
_REGISTER = """
import asyncio, importlib, sys
import dagger
from dagger.mod import default_module

async def offline_id(self):
    return "offline"

dagger.Module.id = offline_id
sys.path.insert(0, sys.argv[1])
importlib.import_module(sys.argv[2])
print(asyncio.run(default_module()._typedefs()))
"""


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_registers_offline(name: str) -> None:
    if importlib.util.find_spec("dagger") is None:
        pytest.fail("dagger-io is not installed: install the project (pip install -e '.[dev]')")
    path, _, package = MODULES[name]
    cls = _entry_point(path).partition(":")[2]
    result = run(
        [sys.executable, "-c", _REGISTER, str(path / "src"), f"{package}.main"],
        env={**os.environ, "DAGGER_MAIN_OBJECT": cls},
    )
    assert result.returncode == 0 and result.stdout.strip() == "offline", result.stdout + result.stderr


def _go_publish_api() -> tuple[set[str], dict[str, tuple[set[str], set[str]]]]:
    """go-publish's constructor fields, and each function's (all, required) parameters."""
    tree = ast.parse((ROOT / "src" / "go_publish" / "main.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "GoPublish")
    fields = {n.target.id for n in cls.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    functions = {}
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
            "function" in ast.unparse(d) for d in node.decorator_list
        ):
            args = [a.arg for a in node.args.args[1:]]
            required = set(args[: len(args) - len(node.args.defaults)])
            functions[node.name] = (set(args), required)
    return fields, functions


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_calls_go_publish_as_it_is(name: str) -> None:
    """Every call into go-publish names a function and arguments that go-publish has."""
    path, _, package = MODULES[name]
    fields, functions = _go_publish_api()
    tree = ast.parse((path / "src" / package / "main.py").read_text())
    calls = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr == "go_publish":  # dag.go_publish(...): the constructor
            assert {k.arg for k in node.keywords} <= fields, ast.unparse(node)
        inner = node.func.value
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr in {"go_publish", "_go_publish"}
        ):
            calls += 1
            function = node.func.attr
            assert function in functions, f"go-publish has no function {function}: {ast.unparse(node)}"
            given = {k.arg for k in node.keywords}
            allowed, required = functions[function]
            assert not node.args, f"pass go-publish arguments by name: {ast.unparse(node)}"
            assert given <= allowed, f"{function} has no {given - allowed}: {ast.unparse(node)}"
            assert required <= given, f"{function} needs {required - given}: {ast.unparse(node)}"
    assert calls >= 3, f"{name} hardly calls go-publish ({calls} calls)"


def test_example_server_is_what_go_publish_needs() -> None:
    server = ROOT / "examples" / "consumer" / "server"
    main = (server / "main.go").read_text()
    assert re.search(r'^var version = "dev"$', main, re.MULTILINE), "go-publish stamps main.version"
    assert '"GET /version"' in main and '"probe"' in main
    assert not (server / "probe.go").exists(), "the example must not copy goserver's probe"
    go = _go()
    if go is None:
        pytest.fail("go is not installed")
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "GOPROXY": "off"}
    for args in (["vet", "./..."], ["test", "-count=1", "./..."]):
        result = run([go, *args], cwd=server, env=env)
        assert result.returncode == 0, f"go {' '.join(args)}:\n{result.stdout}{result.stderr}"
