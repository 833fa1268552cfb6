"""go-publish: from Go source to a tested, versioned, multi-tag container image in a registry."""

from go_publish.main import GoPublish

__all__ = ["GoPublish"]
