"""Benchmarks: prints figures, asserts nothing. Run: .venv/bin/python tests/benchmark.py

- the offline CLI's wall time for `tags` and `plan` (a new process each time, as a user runs it);
- the stripped binary's size, built here with the module's own flags;
- where a Dagger engine is reachable: cold and warm `build` times, and the image's size
  against the binary's.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 10


def wall_time(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def cli_figures() -> None:
    cli = [sys.executable, "-c", "from go_publish.cli import main; main()"]
    for name, args in {
        "tags v0.2.0": ["tags", "v0.2.0"],
        "plan --offline --json": ["plan", "--version", "0.2.0", "--repository", "user/goserver", "--offline", "--json"],
    }.items():
        times = sorted(wall_time(cli + args) for _ in range(RUNS))
        print(f"cli {name:<24} median {statistics.median(times) * 1000:7.1f} ms   min {times[0] * 1000:7.1f} ms  ({RUNS} runs)")


def local_binary_size() -> int:
    with tempfile.TemporaryDirectory() as out:
        binary = Path(out) / "goserver"
        env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64"}
        subprocess.run(
            ["go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -X main.version=0.2.0", "-o", str(binary), "."],
            check=True, cwd=ROOT / "goserver", env=env,
        )
        size = binary.stat().st_size
    print(f"stripped binary (local go build, linux/amd64)  {size / 1024 / 1024:6.2f} MiB")
    return size


async def engine_figures() -> None:
    import dagger
    from dagger import dag

    from go_publish.main import GoPublish

    async with dagger.connection(dagger.Config()):
        # A new file makes the first build miss the engine's cache (the Go caches stay warm, as
        # in CI after a commit); the second build of the same source must be a cache hit.
        source = dag.host().directory(str(ROOT / "goserver")).with_new_file("bench.go", f"package main\n\n// {uuid.uuid4()}\n")
        module = GoPublish(source=source)
        for label in ("changed source", "unchanged source"):
            started = time.perf_counter()
            binary_size = await (await module.build(version="0.2.0")).size()
            print(f"engine build, {label:<17}              {time.perf_counter() - started:7.2f} s")
        image_size = await (await module.image(version="0.2.0")).as_tarball().size()
        print(f"engine binary {binary_size / 1024 / 1024:6.2f} MiB, image tarball {image_size / 1024 / 1024:6.2f} MiB "
              f"({image_size / binary_size:.2f}x the binary)")


def main() -> None:
    cli_figures()
    local_binary_size()
    from go_publish.engine import NoEngineError, find_engine

    try:
        os.environ.update(find_engine())
    except NoEngineError as error:
        print(f"engine figures skipped: {error}")
        return
    import anyio

    anyio.run(engine_figures)


if __name__ == "__main__":
    main()
