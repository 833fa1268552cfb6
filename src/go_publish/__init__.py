"""go-publish: from Go source to a tested, versioned, multi-tag container image in a registry.

The Dagger module's main object lives in `go_publish.main` (named by the `dagger.mod`
entry point) so that the offline CLI commands can import the pure modules without dagger.
"""
