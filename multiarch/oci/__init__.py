"""OCI images and registries: references, the registry client, credentials, layers, image files,
binaries (ELF/PE, Go build info), SBOMs.
"""
