"""What a user reads when a push fails midway."""

from __future__ import annotations

from go_publish.errors import InputError, PushError


def test_a_failed_push_names_what_was_pushed_and_what_was_not() -> None:
    error = PushError(
        ["docker.io/u/app:0.2.0"], ["docker.io/u/app:0.2", "docker.io/u/app:latest"], "unauthorized"
    )
    message = str(error)
    assert "\n" not in message
    assert "unauthorized" in message
    assert "pushed: docker.io/u/app:0.2.0;" in message
    assert message.endswith("not pushed: docker.io/u/app:0.2, docker.io/u/app:latest")


def test_a_push_failing_at_the_first_tag_says_none_was_pushed() -> None:
    assert "pushed: none;" in str(PushError([], ["r:1.0.0"], "denied"))


def test_input_errors_name_the_field_first() -> None:
    assert str(InputError("--repository", "must be lowercase")) == "--repository: must be lowercase"
