"""The Docker host: the daemon (CLI and Engine API), builders, emulation and binfmt_misc, the
local registry.
"""
