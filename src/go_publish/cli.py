"""The go-publish command line: the module's functions as subcommands.

`tags` and `plan` work offline and never import dagger; the other commands run the module's
own functions through a Dagger client connection (see go_publish.session).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import anyio
import click
import typer

from go_publish.errors import GoPublishError, InputError
from go_publish.plan import Plan
from go_publish.platforms import DEFAULT_PLATFORM, SUPPORTED, parse_platform
from go_publish.references import DEFAULT_REGISTRY
from go_publish.registry import Credentials
from go_publish.release import Release, check_login
from go_publish.versions import DEV, parse_build_version, parse_version, tags_for

PROG = "go-publish"
PASSWORD_VARIABLE = "REGISTRY_PASSWORD"

app = typer.Typer(
    name=PROG,
    help="From Go source to a tested, versioned, multi-tag container image in a registry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

VersionOption = Annotated[str, typer.Option("--version", help="Semantic version to release, e.g. 0.2.0 or v0.2.0.")]
RepositoryOption = Annotated[str, typer.Option("--repository", help="Repository path in the registry, e.g. user/goserver.")]
RegistryOption = Annotated[str, typer.Option("--registry", help="Registry host[:port].")]
PlatformOption = Annotated[
    list[str] | None,
    typer.Option("--platform", help=f"Target platform, repeatable (default {DEFAULT_PLATFORM}; supported: {', '.join(SUPPORTED)})."),
]
LatestOption = Annotated[bool, typer.Option("--latest/--no-latest", help="Move latest when the rules allow it.")]
AliasesOption = Annotated[bool, typer.Option("--aliases", help="Also move X.Y and X when the rules allow it.")]
UsernameOption = Annotated[str, typer.Option("--username", help="Registry user (kept byte-exact).")]
PasswordEnvOption = Annotated[
    str,
    typer.Option("--password-env", help="Name of the environment variable holding the registry password or token."),
]
SourceOption = Annotated[Path, typer.Option("--source", help="Go module to build (its main package at the root).")]
GoVersionOption = Annotated[str, typer.Option("--go-version", help="Go toolchain version (golang image tag).")]
BuildVersionOption = Annotated[str, typer.Option("--version", help="Version stamped into the binary, or dev.")]


def _read_password(variable: str) -> str:
    """The password from the named environment variable: never from an argument (ps shows those)."""
    if not variable:
        raise InputError("--password-env", "name the environment variable holding the password")
    value = os.environ.get(variable, "")
    if not value:
        raise InputError("--password-env", f"environment variable {variable} is not set or empty")
    return value


@app.command()
def tags(
    version: Annotated[str, typer.Argument(help="Semantic version, e.g. 0.2.0 or v0.2.0.")],
    latest: LatestOption = True,
    aliases: AliasesOption = False,
) -> None:
    """Print the tags a version gets in an empty repository, one per line (offline)."""
    for tag in tags_for(parse_version(version, "VERSION"), latest=latest, aliases=aliases):
        typer.echo(tag)


def _print_plan(plan: Plan, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(plan.as_dict(), indent=2))
        return
    for reference in plan.references:
        typer.echo(reference)
    for decision in plan.decisions:
        typer.echo(f"{decision.action:>6} {decision.tag}: {decision.reason}", err=True)


@app.command()
def plan(
    version: VersionOption,
    repository: RepositoryOption,
    registry: RegistryOption = DEFAULT_REGISTRY,
    platform: PlatformOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    latest: LatestOption = True,
    aliases: AliasesOption = False,
    username: UsernameOption = "",
    password_env: PasswordEnvOption = PASSWORD_VARIABLE,
    offline: Annotated[bool, typer.Option("--offline", help="Do not read the registry.")] = False,
) -> None:
    """Print the references a release would publish, reading the registry when it is reachable.

    Every decision (created, moved, kept, skipped, refused) and its reason goes to stderr, or into the JSON object with --json.
    """
    release = Release.parse(
        version=version, repository=repository, registry=registry,
        platforms=platform, latest=latest, aliases=aliases, platforms_field="--platform",
    )
    # Reading a private repository needs a login; a public one, or --offline, needs none.
    password = _read_password(password_env) if username and not offline else None
    credentials = Credentials(check_login(username, True), password) if password is not None else None
    planned = release.plan() if offline else anyio.run(release.survey, credentials)
    if planned.note:
        typer.echo(f"{PROG}: note: {planned.note}", err=True)
    _print_plan(planned, as_json)


def _engine_step(step: str, **arguments: object) -> str:
    """Run one module function on a Dagger engine; imports dagger only here."""
    from go_publish import session

    return anyio.run(session.run_step, step, arguments)


@app.command()
def test(source: SourceOption = Path("goserver"), go_version: GoVersionOption = "1.26") -> None:
    """Run go vet and go test in the golang container (needs a Dagger engine)."""
    typer.echo(_engine_step("test", source=source, go_version=go_version))


@app.command()
def build(
    platform: Annotated[str, typer.Option("--platform", help="Target platform.")] = DEFAULT_PLATFORM,
    version: BuildVersionOption = DEV,
    output: Annotated[Path | None, typer.Option("--output", help="Where to write the binary (default dist/goserver-OS-ARCH).")] = None,
    source: SourceOption = Path("goserver"),
    go_version: GoVersionOption = "1.26",
) -> None:
    """Cross-compile the server for a platform and write the binary here (needs a Dagger engine)."""
    target = parse_platform(platform)
    stamped = parse_build_version(version)
    path = output or Path("dist") / f"goserver-{target.name.replace('/', '-').removeprefix('linux-')}"
    typer.echo(
        _engine_step("build", source=source, go_version=go_version, platform=target.name, version=stamped, output=path)
    )


@app.command("smoke-test")
def smoke_test(version: BuildVersionOption = DEV, source: SourceOption = Path("goserver"), go_version: GoVersionOption = "1.26") -> None:
    """Run the image as a service and probe / and /version (needs a Dagger engine)."""
    typer.echo(_engine_step("smoke_test", source=source, go_version=go_version, version=parse_build_version(version)))


@app.command()
def serve(
    version: BuildVersionOption = DEV,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port on this machine.")] = 8080,
    source: SourceOption = Path("goserver"),
    go_version: GoVersionOption = "1.26",
) -> None:
    """Serve the image on localhost:PORT until interrupted, like docker run -p (needs a Dagger engine)."""
    typer.echo(_engine_step("serve", source=source, go_version=go_version, version=parse_build_version(version), port=port))


@app.command()
def publish(
    version: VersionOption,
    repository: RepositoryOption,
    username: UsernameOption,
    registry: RegistryOption = DEFAULT_REGISTRY,
    password_env: PasswordEnvOption = PASSWORD_VARIABLE,
    platform: PlatformOption = None,
    latest: LatestOption = True,
    aliases: AliasesOption = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a version tag that holds another image.")] = False,
    skip_registry_check: Annotated[bool, typer.Option("--skip-registry-check", help="Do not read the registry first.")] = False,
    source: SourceOption = Path("goserver"),
    go_version: GoVersionOption = "1.26",
) -> None:
    """Test, smoke-test, push the version tag and then its moving tags, and verify (needs a Dagger engine)."""
    release = Release.parse(
        version=version, repository=repository, registry=registry,
        platforms=platform, latest=latest, aliases=aliases, force=force, platforms_field="--platform",
    )
    check_login(username, True, "--password-env")
    password = _read_password(password_env)
    typer.echo(
        _engine_step(
            "publish", source=source, go_version=go_version,
            version=str(release.version), repository=repository, registry=registry,
            username=username, password=password, platforms=[p.name for p in release.platforms],
            latest=latest, aliases=aliases, force=force, skip_registry_check=skip_registry_check,
        )
    )


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"{PROG}: {message}", err=True)
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes end in one line on stderr, never a traceback."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name=PROG, standalone_mode=False)
    except click.UsageError as error:
        if not error.format_message():
            raise SystemExit(2) from None  # no arguments at all: the help was printed
        hint = f" (see {error.ctx.command_path} --help)" if error.ctx else ""
        _fail(f"{error.format_message()}{hint}", 2)
    except click.ClickException as error:
        _fail(error.format_message(), 1)
    except click.Abort:
        _fail("aborted", 130)
    except InputError as error:
        _fail(str(error), 2)
    except GoPublishError as error:
        _fail(str(error), 1)
    sys.exit(code if isinstance(code, int) else 0)
