"""Target platforms and the Go environment that cross-compiles for each."""

from __future__ import annotations

from dataclasses import dataclass

from go_publish.errors import InputError, shown

DEFAULT_PLATFORM = "linux/amd64"


@dataclass(frozen=True)
class Platform:
    """An OCI platform we can build for, with its Go cross-compilation settings."""

    name: str
    goos: str
    goarch: str
    goarm: str = ""

    def go_env(self) -> dict[str, str]:
        """Environment for `go build` so the engine's own Go compiles for this target."""
        env = {"CGO_ENABLED": "0", "GOOS": self.goos, "GOARCH": self.goarch}
        if self.goarm:
            env["GOARM"] = self.goarm
        return env


SUPPORTED: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("linux/amd64", "linux", "amd64"),
        Platform("linux/arm64", "linux", "arm64"),
        Platform("linux/arm/v6", "linux", "arm", "6"),
        Platform("linux/arm/v7", "linux", "arm", "7"),
    )
}

# Spellings that name the same platform (as docker and the OCI spec accept them).
_ALIASES = {"linux/arm64/v8": "linux/arm64", "linux/arm": "linux/arm/v7"}


def parse_platform(value: str, field: str = "--platform") -> Platform:
    """Return the supported platform named by `value`, or refuse it with the supported list."""
    name = value.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in SUPPORTED:
        raise InputError(
            field,
            f"unsupported platform {shown(value)}; supported: {', '.join(SUPPORTED)}",
        )
    return SUPPORTED[name]


def parse_platforms(values: list[str] | tuple[str, ...], field: str = "--platforms") -> list[Platform]:
    """Parse a platform list (items may also be comma-separated); duplicates are refused."""
    names = [part for value in values for part in value.split(",") if part.strip()]
    if not names:
        raise InputError(field, "at least one platform is required")
    platforms = [parse_platform(name, field) for name in names]
    seen: set[str] = set()
    for platform in platforms:
        if platform.name in seen:
            raise InputError(field, f"platform {platform.name} is listed twice")
        seen.add(platform.name)
    return platforms
