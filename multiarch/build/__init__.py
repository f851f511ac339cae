"""A build: its settings and plan, buildx and bake, binaries, manifests, releases, provenance,
attestations, signing.
"""
