"""Finding a Dagger engine for the CLI, without ever letting the SDK download one."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from go_publish.errors import GoPublishError

DAGGER_VERSION = "0.21.11"
CLI_BIN_VARIABLE = "_EXPERIMENTAL_DAGGER_CLI_BIN"
SESSION_PORT_VARIABLE = "DAGGER_SESSION_PORT"


class NoEngineError(GoPublishError):
    """No Dagger engine can be reached from here."""


def find_engine(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment settings that point the SDK at an engine; raise NoEngineError if none.

    Order: a running `dagger run` session, an explicitly named CLI, then `dagger` on PATH.
    """
    env = os.environ if environ is None else environ
    if env.get(SESSION_PORT_VARIABLE):
        return {}
    if named := env.get(CLI_BIN_VARIABLE):
        if os.path.isfile(named) and os.access(named, os.X_OK):
            return {}
        raise NoEngineError(f"{CLI_BIN_VARIABLE}={named} is not an executable file")
    if found := shutil.which("dagger", path=env.get("PATH")):
        return {CLI_BIN_VARIABLE: found}
    raise NoEngineError(
        f"no Dagger engine reachable: install the dagger CLI v{DAGGER_VERSION} on PATH, "
        f"set {CLI_BIN_VARIABLE}, or run inside `dagger run`; go-publish never downloads one"
    )
