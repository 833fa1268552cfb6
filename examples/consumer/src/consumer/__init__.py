"""Example consumer of the go-publish Dagger module."""
