"""OCI image labels (org.opencontainers.image.*)."""

from __future__ import annotations

import pytest

from go_publish.errors import InputError
from go_publish.labels import EPOCH, oci_labels

TITLE = "org.opencontainers.image.title"
VERSION = "org.opencontainers.image.version"
CREATED = "org.opencontainers.image.created"
SOURCE = "org.opencontainers.image.source"
REVISION = "org.opencontainers.image.revision"


def refusal(field: str, **kwargs: str) -> str:
    with pytest.raises(InputError) as caught:
        oci_labels(title="goserver", version="0.2.0", **kwargs)
    message = str(caught.value)
    assert "\n" not in message, message
    assert message.startswith(f"{field}: "), message
    return message


def test_minimal_labels_default_created_to_the_epoch() -> None:
    assert oci_labels(title="goserver", version="0.2.0") == {
        TITLE: "goserver",
        VERSION: "0.2.0",
        CREATED: "1970-01-01T00:00:00Z",
    }
    assert EPOCH == "1970-01-01T00:00:00Z"


def test_all_labels() -> None:
    labels = oci_labels(
        title="goserver",
        version="1.4.2",
        created="2026-12-03T16:20:00Z",
        source_url="https://github.com/user/goserver",
        revision="0123456789abcdef0123456789abcdef01234567",
    )
    assert labels == {
        TITLE: "goserver",
        VERSION: "1.4.2",
        CREATED: "2026-12-03T16:20:00Z",
        SOURCE: "https://github.com/user/goserver",
        REVISION: "0123456789abcdef0123456789abcdef01234567",
    }


@pytest.mark.parametrize(
    ("kwargs", "optional"),
    [
        ({}, set()),
        ({"source_url": "", "revision": ""}, set()),
        ({"source_url": "https://github.com/x/y"}, {SOURCE}),
        ({"revision": "abc1234"}, {REVISION}),
    ],
)
def test_optional_labels_left_out_when_empty(kwargs: dict[str, str], optional: set[str]) -> None:
    labels = oci_labels(title="t", version="1.0.0", **kwargs)
    assert labels.keys() == {TITLE, VERSION, CREATED} | optional


@pytest.mark.parametrize(
    "created",
    ["2026-12-03T16:20:00Z", "2026-12-03T16:20:00.123456Z", "2026-12-03T16:20:00+01:00", "2026-12-03T16:20:00-05:30"],
)
def test_created_accepts_rfc3339(created: str) -> None:
    assert oci_labels(title="t", version="1", created=created)[CREATED] == created


@pytest.mark.parametrize(
    "created",
    ["yesterday", "2026-12-03", "2026-12-03 16:20:00Z", "2026-12-03T16:20:00", "1764778800", "2026-12-03T16:20:00Z\n"],
)
def test_bad_created_is_refused(created: str) -> None:
    assert "is not an RFC 3339 time" in refusal("--created", created=created)


@pytest.mark.parametrize("created", ["2026-13-45T25:61:00Z"])
def test_impossible_created_time_is_refused(created: str) -> None:
    refusal("--created", created=created)


@pytest.mark.parametrize("revision", ["abc1234", "ABCDEF0", "0" * 40, "f" * 64])
def test_revision_hex_accepted(revision: str) -> None:
    assert oci_labels(title="t", version="1", revision=revision)[REVISION] == revision


@pytest.mark.parametrize("revision", ["abc123", "HEAD", "main", "abc123z", "g" * 40, "0" * 65, "abc1234 "])
def test_revision_must_be_a_hex_commit(revision: str) -> None:
    assert "is not a git commit hash" in refusal("--revision", revision=revision)


@pytest.mark.parametrize(
    "source_url",
    [
        "https://user:tok3n@github.com/x/y",
        "https://tok3n@github.com/x/y",
        "HTTPS://user:tok3n@github.com/x/y",
        "git+https://user:tok3n@github.com/x/y",
        "ssh://git:tok3n@github.com/x/y",
        "https://user:tok3n@github.com",
    ],
)
def test_source_url_with_credentials_is_refused_without_echoing_them(source_url: str) -> None:
    message = refusal("--source-url", source_url=source_url)
    assert "credentials" in message
    assert "tok3n" not in message


@pytest.mark.parametrize(
    "source_url",
    [" https://user:tok3n@github.com/x/y", "git:tok3n@github.com:x/y"],
)
def test_malformed_source_url_never_echoes_a_token(source_url: str) -> None:
    assert "tok3n" not in refusal("--source-url", source_url=source_url)


@pytest.mark.parametrize(
    "source_url",
    ["https://github.com/x/y", "http://git.internal/x/y", "git@github.com:x/y.git", "https://github.com/x/y@v1"],
)
def test_source_url_accepted(source_url: str) -> None:
    assert oci_labels(title="t", version="1", source_url=source_url)[SOURCE] == source_url


@pytest.mark.parametrize("source_url", ["github.com/x/y", "ftp://github.com/x/y", "file:///src"])
def test_source_url_must_be_a_repository_url(source_url: str) -> None:
    assert "is not a repository URL" in refusal("--source-url", source_url=source_url)
