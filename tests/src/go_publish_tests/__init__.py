"""Engine checks of go-publish, as a Dagger module: `dagger call -m tests all`."""
