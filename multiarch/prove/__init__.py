"""Proving what was built: the smoke test, go test per platform, verify, doctor."""
