"""The Go module side: go.mod/go.work and the workspace, main packages, the Go environment,
versions, the compiler's output.
"""
