#!/usr/bin/env bash
# Install the offline checkers used by tests/test_ci_configs.py, each only when it is
# missing or at another version (safe to run again):
#   check-jsonschema  PyPI, pinned; into the active Python environment (activate the venv
#                     first, or set PYTHON=/path/to/python). Its vendored schemas validate
#                     the GitHub, GitLab, CircleCI, Azure Pipelines and Buildkite configs.
#   actionlint        Go module, pinned; `go install` into $(go env GOPATH)/bin, or into
#                     the directory given as the first argument.
#   (Debian) shellcheck: actionlint runs it on `run:` scripts when it is on PATH.
#   (Debian) groovy: its groovyc parses the Jenkinsfile (Jenkins has no schema).
#
# Usage: .ci/install-ci-linters.sh [BIN_DIR_FOR_ACTIONLINT]
set -euo pipefail

# tests/test_ci_configs.py reads these two pins and fails on any other installed version.
CHECK_JSONSCHEMA_VERSION=0.39.0
ACTIONLINT_VERSION=v1.7.12

PYTHON="${PYTHON:-python3}"

# --- check-jsonschema -------------------------------------------------------------------
have_cj="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("check-jsonschema"))' 2>/dev/null || true)"
if [ "$have_cj" = "$CHECK_JSONSCHEMA_VERSION" ]; then
    echo "ci linters: check-jsonschema $have_cj already installed"
else
    echo "ci linters: installing check-jsonschema==$CHECK_JSONSCHEMA_VERSION into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
fi

# --- actionlint -------------------------------------------------------------------------
GO="$(command -v go || true)"
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then
    GO=/usr/local/go/bin/go
fi
if [ -z "$GO" ]; then
    echo "ci linters: go is not installed; it is needed to build actionlint" >&2
    exit 1
fi
if [ "$#" -ge 1 ]; then
    bin_dir="$1"
else
    bin_dir="$("$GO" env GOPATH)/bin"
fi
mkdir -p "$bin_dir"
have_al="$("$bin_dir/actionlint" -version 2>/dev/null | head -n 1 || true)"
if [ "$have_al" = "$ACTIONLINT_VERSION" ]; then
    echo "ci linters: actionlint $have_al already installed in $bin_dir"
else
    echo "ci linters: go install actionlint@$ACTIONLINT_VERSION into $bin_dir"
    GOBIN="$(cd "$bin_dir" && pwd)" "$GO" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

# --- Debian packages ----------------------------------------------------------------------
missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v groovyc >/dev/null 2>&1 || missing+=(groovy)
if [ "${#missing[@]}" -eq 0 ]; then
    echo "ci linters: shellcheck and groovy already installed"
else
    echo "ci linters: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
