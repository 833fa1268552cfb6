"""OCI image labels (org.opencontainers.image.*) for a release."""

from __future__ import annotations

import re
from datetime import datetime

from go_publish.errors import InputError, shown

# Reproducible by default: the same source gives the same image digest, so a re-run of a
# release can be recognised as the same image (as ko and SOURCE_DATE_EPOCH builds do).
EPOCH = "1970-01-01T00:00:00Z"

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
)
_REVISION = re.compile(r"[0-9a-fA-F]{7,64}")


def _is_real_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _check_source_url(url: str) -> None:
    """A plain https/http or git@ URL; never echoed, since a malformed one may carry a token."""
    if re.match(r"(?:https?://[^/@\s]*@|[^@\s]*:[^@/\s]*@)", url) or re.search(r"://[^/]*@", url):
        # A token in the URL would be published in every image's labels.
        raise InputError("--source-url", "must not contain credentials (user:token@)")
    if not re.fullmatch(r"(?:https?://|git@)[^\s]+", url):
        raise InputError("--source-url", "is not a repository URL (https://, http:// or git@host:path, no spaces)")


def oci_labels(
    *, title: str, version: str, created: str = "", source_url: str = "", revision: str = ""
) -> dict[str, str]:
    """Labels for the image; `created` defaults to the epoch, empty optional ones are left out."""
    created = created or EPOCH
    if not _RFC3339.fullmatch(created) or not _is_real_time(created):
        raise InputError("--created", f"{shown(created)} is not an RFC 3339 time such as 2026-12-03T16:20:00Z")
    if revision and not _REVISION.fullmatch(revision):
        raise InputError("--revision", f"{shown(revision)} is not a git commit hash (7-64 hex digits)")
    if source_url:
        _check_source_url(source_url)
    labels = {
        "org.opencontainers.image.title": title,
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.created": created,
    }
    if source_url:
        labels["org.opencontainers.image.source"] = source_url
    if revision:
        labels["org.opencontainers.image.revision"] = revision
    return labels
