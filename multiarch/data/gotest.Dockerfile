# The test binaries of a Go module for several platforms, for `invoke test` to run on
# this host (natively or under qemu). Internal to multiarch: `invoke test` builds it
# with the module as the build context and exports the `tests` stage to a temporary
# directory. No Go toolchain is needed on the host.
# The build's own Go image (`invoke test` reads it from the module's Dockerfile).
ARG GO_IMAGE=golang:1.24

# As in the build's Dockerfile: the other modules of a go.work workspace and local
# `replace` targets land here; `invoke test` adds one COPY line per module below.
FROM scratch AS workspace

# Cross-compiled on the build machine's platform: emulation only runs the tests.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS compile
# The cache paths of the build's Dockerfile: BuildKit keys cache mounts by their target
# path, so `invoke build` and `invoke test` share Go's module and build caches, and
# -trimpath (the build's flag) lets the tests reuse the standard library it compiled.
ENV GOCACHE=/cache/go-build \
    GOMODCACHE=/cache/go-mod \
    CGO_ENABLED=0
# The golang images say GOTOOLCHAIN=local, which refuses a module whose go or toolchain
# line names a newer Go than the image's (a later patch release). auto fetches that Go
# as a module through GOPROXY, once, into the module cache mount.
ENV GOTOOLCHAIN=auto
ARG MODULE_DIR=.
ARG GOWORK=off
ENV GOWORK=${GOWORK}
WORKDIR /src/${MODULE_DIR}
COPY --from=workspace / /src/
# Where modules come from, and the netrc and extra CA certificates as optional secrets,
# exactly as in the build's Dockerfile (its contract: multiarch's docs/dockerfile.md).
ARG GOPROXY GOPRIVATE GONOPROXY GONOSUMDB GONOSUMCHECK GOSUMDB GOINSECURE GOFLAGS
ENV NETRC=/run/secrets/netrc \
    SSL_CERT_DIR=/etc/ssl/certs:/etc/pki/tls/certs:/run/go-ca
COPY . .
ARG TARGETOS TARGETARCH TARGETVARIANT
# Go package patterns, space-separated, as for `go test`.
ARG PACKAGES=./...
# One binary per package with tests, under the package's directory relative to /src, so
# that `invoke test` runs it in the same directory of the host (testdata/ and the
# files the tests open are there). packages.tsv maps import paths to those directories.
# go list runs with the target's GOOS/GOARCH: files for other platforms do not count.
RUN --mount=type=cache,target=/cache/go-mod \
    --mount=type=cache,target=/cache/go-build \
    --mount=type=secret,id=netrc,required=false \
    --mount=type=secret,id=go-ca,target=/run/go-ca/ca.crt,required=false \
    set -e; \
    export GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v}; \
    tab=$(printf '\t'); \
    mkdir -p /out/bin; \
    go list -f "{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}$tab{{.Dir}}{{end}}" \
      $PACKAGES > /tmp/found.tsv; \
    : > /out/packages.tsv; \
    while IFS="$tab" read -r pkg dir; do \
      rel=${dir#/src}; rel=${rel#/}; \
      mkdir -p "/out/bin/$rel"; \
      go test -c -trimpath -o "/out/bin/$rel/pkg.test" "$pkg"; \
      printf '%s\t%s\n' "$pkg" "${rel:-.}" >> /out/packages.tsv; \
    done < /tmp/found.tsv

# Only the binaries and their map, for `docker buildx build --output type=local`.
FROM scratch AS tests
COPY --from=compile /out/ /
