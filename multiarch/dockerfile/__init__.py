"""The Dockerfile side: the Dockerfile a build uses, its go build step, the build context
(.dockerignore).
"""
