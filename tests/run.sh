#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, then runs every check.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
export PATH="$PWD/.venv/bin:$PATH"
bash .ci/install-registry-tools.sh
bash .ci/install-ci-linters.sh

echo "== go vet / go test (goserver)"
(cd goserver && go vet ./... && go test -count=1 ./...)
echo "== mypy --strict (pure modules)"
mypy
echo "== pyright (everything, against the dagger SDK's types)"
pyright
echo "== pytest"
python -m pytest "$@"
