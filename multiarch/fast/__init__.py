"""The fast path: a source change into the registry without BuildKit (state, decision,
toolchain, image), and `invoke dev`.
"""
