"""Multi-platform container images for Go repositories: build, registry, smoke test."""
