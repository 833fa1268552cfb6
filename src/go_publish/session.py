"""Running the module's own functions from the CLI through a Dagger client connection."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import dagger
from dagger import dag

from go_publish.engine import find_engine
from go_publish.errors import InputError, StepFailedError
from go_publish.main import GoPublish
from go_publish.versions import check_go_version


def _check_source(path: Path) -> Path:
    if not (path / "go.mod").is_file():
        raise InputError("--source", f"{path} is not a Go module directory (no go.mod)")
    return path.resolve()


async def _call(module: GoPublish, step: str, arguments: dict[str, Any]) -> str:
    if step == "test":
        return await module.test()
    if step == "smoke_test":
        return await module.smoke_test(version=arguments["version"])
    if step == "build":
        output: Path = arguments["output"]
        binary = await module.build(platform=arguments["platform"], version=arguments["version"])
        await binary.export(str(output))
        return str(output)
    if step == "serve":
        service = await module.serve(version=arguments["version"])
        print(f"serving on http://localhost:{arguments['port']}/ (Ctrl-C stops)", file=sys.stderr)
        await service.up(ports=[dagger.PortForward(backend=8080, frontend=arguments["port"])])
        return "stopped"
    if step == "publish":
        password = dag.set_secret("go-publish-registry-password", arguments.pop("password"))
        return await module.publish(password=password, **arguments)
    raise ValueError(f"unknown step {step}")


async def run_step(step: str, arguments: dict[str, Any]) -> str:
    """Connect to the engine (never downloading one) and run one module function."""
    source = _check_source(Path(arguments.pop("source")))
    go_version = check_go_version(arguments.pop("go_version"))
    os.environ.update(find_engine())
    try:
        async with dagger.connection(dagger.Config(log_output=sys.stderr)):
            module = GoPublish(source=dag.host().directory(str(source)), go_version=go_version)
            return await _call(module, step, arguments)
    except dagger.ExecError as error:
        raise StepFailedError(f"{' '.join(error.command)} failed (exit {error.exit_code}): {error.stderr.strip()}") from None
    except dagger.DaggerError as error:
        raise StepFailedError(str(error)) from None
