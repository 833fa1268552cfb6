"""Running the go-publish CLI as a user does: a real process, with no dagger CLI on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI as `python -m`-free console code, with no dagger CLI or engine on PATH."""
    environ = {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-c", "from go_publish.cli import main; main()", *args],
        capture_output=True, text=True, env=environ, cwd=ROOT, timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], field: str) -> str:
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert field in lines[0]
    return lines[0]
