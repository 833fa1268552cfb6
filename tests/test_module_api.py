"""The module's surface as `dagger functions` and `dagger call --help` will show it.

These read the SDK's own registration data for the main object (what the engine asks the
module for), without an engine: names, docs, defaults and the publish cache policy.
"""

from __future__ import annotations

from typing import Any

import pytest

from go_publish.main import GoPublish

# Global flags of the dagger CLI: an argument with one of these names could not be passed.
GLOBAL_FLAGS = {"debug", "output", "verbose", "quiet", "silent", "progress", "interactive", "mod", "m", "workdir"}
FUNCTIONS = {"build", "test", "image", "serve", "smoke_test", "tags", "plan", "publish"}


def _main_object() -> Any:
    module = GoPublish.__dagger_module__  # type: ignore[attr-defined]
    (main,) = module._objects.values()
    main.get_constructor(module._converter)
    return main


def test_the_module_exposes_one_function_per_step() -> None:
    assert set(_main_object().functions) - {""} == FUNCTIONS


@pytest.mark.parametrize("name", sorted(FUNCTIONS | {""}))
def test_every_function_and_argument_is_documented(name: str) -> None:
    function = _main_object().functions[name]
    assert name == "" or function.doc, f"{name} has no docstring"
    for parameter in function.parameters.values():
        assert parameter.doc, f"{name or 'constructor'}: argument {parameter.name} has no Doc"
        assert parameter.name not in GLOBAL_FLAGS, f"{parameter.name} clashes with a dagger flag"


def test_publish_is_never_served_from_the_function_cache() -> None:
    assert _main_object().functions["publish"].cache_policy == "never"


def test_publish_takes_the_password_as_a_secret() -> None:
    password = _main_object().functions["publish"].parameters["password"]
    assert password.resolved_type.__name__ == "Secret"


def test_the_source_defaults_to_the_sample_server() -> None:
    source = _main_object().functions[""].parameters["source"]
    assert source.default_path == "goserver"
    defaults = {p.name: p.default_value for p in _main_object().functions[""].parameters.values()}
    assert defaults["go_version"] == '"1.26"'


def test_the_module_uploads_everything_its_python_build_needs() -> None:
    import fnmatch
    import json
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    include = json.loads((root / "dagger.json").read_text())["include"]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    needed = [
        "pyproject.toml",
        project["project"]["readme"],
        *(str(p.relative_to(root)) for p in (root / "src" / "go_publish").glob("*.py")),
        "goserver/go.mod",
        "goserver/main.go",
    ]
    for path in needed:
        assert any(fnmatch.fnmatch(path, pattern) for pattern in include), f"{path} is not in dagger.json include"
