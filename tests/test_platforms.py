"""Target platforms and the Go environment that cross-compiles for each."""

from __future__ import annotations

import pytest

from go_publish.errors import InputError
from go_publish.platforms import SUPPORTED, parse_platform, parse_platforms

SUPPORTED_LIST = "linux/amd64, linux/arm64, linux/arm/v6, linux/arm/v7"


@pytest.mark.parametrize(
    ("value", "name", "env"),
    [
        ("linux/amd64", "linux/amd64", {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64"}),
        ("linux/arm64", "linux/arm64", {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "arm64"}),
        ("linux/arm64/v8", "linux/arm64", {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "arm64"}),
        ("linux/arm/v6", "linux/arm/v6", {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "arm", "GOARM": "6"}),
        ("linux/arm/v7", "linux/arm/v7", {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "arm", "GOARM": "7"}),
        ("linux/arm", "linux/arm/v7", {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "arm", "GOARM": "7"}),
        (" Linux/AMD64 ", "linux/amd64", {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64"}),
    ],
)
def test_platform_go_env(value: str, name: str, env: dict[str, str]) -> None:
    platform = parse_platform(value)
    assert platform.name == name
    assert platform.go_env() == env


def test_exactly_four_platforms_are_supported() -> None:
    assert list(SUPPORTED) == ["linux/amd64", "linux/arm64", "linux/arm/v6", "linux/arm/v7"]


@pytest.mark.parametrize("value", ["windows/amd64", "darwin/arm64", "linux/386", "linux/arm/v5", "amd64", ""])
def test_unknown_platform_is_refused_with_the_supported_list(value: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_platform(value)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"--platform: unsupported platform {value!r}")
    assert message.endswith(f"supported: {SUPPORTED_LIST}")


@pytest.mark.parametrize(
    ("values", "names"),
    [
        (["linux/amd64"], ["linux/amd64"]),
        (["linux/amd64,linux/arm64"], ["linux/amd64", "linux/arm64"]),
        (["linux/amd64, linux/arm/v7", "linux/arm/v6"], ["linux/amd64", "linux/arm/v7", "linux/arm/v6"]),
        (["linux/arm64,,linux/amd64,"], ["linux/arm64", "linux/amd64"]),
        (("linux/arm/v6",), ["linux/arm/v6"]),
    ],
)
def test_platform_lists_keep_order(values: list[str], names: list[str]) -> None:
    assert [p.name for p in parse_platforms(values)] == names


@pytest.mark.parametrize(
    ("values", "twice"),
    [
        (["linux/amd64", "linux/amd64"], "linux/amd64"),
        (["linux/amd64,linux/arm64,linux/amd64"], "linux/amd64"),
        (["linux/arm64", "linux/arm64/v8"], "linux/arm64"),
        (["linux/arm,linux/arm/v7"], "linux/arm/v7"),
    ],
)
def test_duplicates_are_refused(values: list[str], twice: str) -> None:
    with pytest.raises(InputError, match=rf"^--platforms?: platform {twice} is listed twice$"):
        parse_platforms(values)


@pytest.mark.parametrize("values", [[], [""], [" , "], [",", " "]])
def test_empty_list_is_refused(values: list[str]) -> None:
    with pytest.raises(InputError, match=r"^--platforms?: at least one platform is required$"):
        parse_platforms(values)


@pytest.mark.parametrize("field", ["--platform", "--platforms"])
def test_unknown_platform_in_a_list_names_the_callers_field(field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_platforms(["linux/amd64,windows/amd64"], field)
    assert str(caught.value) == f"{field}: unsupported platform 'windows/amd64'; supported: {SUPPORTED_LIST}"
