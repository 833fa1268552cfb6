#!/usr/bin/env bash
# Install what the registry tests need, only when it is missing (safe to run again):
#   docker-registry  Debian's build of the CNCF distribution registry (/usr/bin/docker-registry)
#   skopeo           copies OCI layouts into a registry without any container engine
#   apache2-utils    htpasswd, for the bcrypt password file of the auth registry
set -euo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)

if [ "${#missing[@]}" -eq 0 ]; then
    echo "registry tools: already installed"
    exit 0
fi

echo "registry tools: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps the footprint small; the package's own service is not
# needed (the tests start their own registries on free loopback ports).
apt-get install -y -qq --no-install-recommends "${missing[@]}"
