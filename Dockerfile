# A multi-platform image of a Go program, cross-compiled on the build machine's own
# platform (no emulation during the build) with Go's caches kept between builds.
# hellorld's own, customised from multiarch/data/Dockerfile (the default for modules
# without one): it names hellorld itself. The Dockerfile contract (docs/dockerfile.md)
# says what the tasks rely on.
ARG GO_VERSION=1.24

# Other modules of a go.work workspace, and local `replace` targets, land here. For a
# plain build this stage stays empty. For a workspace build `invoke build` sends this
# file on stdin with one `COPY --from=<named build context>` line per module added
# right below, so there is no fixed number of slots.
FROM scratch AS workspace

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS builder
# The caches are set explicitly and mounted exactly there, so they work with any Go
# base image: without /etc/passwd, HOME is / and the default cache would be missed.
ENV GOCACHE=/cache/go-build \
    GOMODCACHE=/cache/go-mod \
    CGO_ENABLED=0
# The golang images say GOTOOLCHAIN=local, which refuses a module whose go or toolchain
# line names a newer Go than the image's (a later patch release). auto fetches that Go
# as a module through GOPROXY, once, into the module cache mount.
ENV GOTOOLCHAIN=auto
# Reproducible images: from a clean commit `invoke build` passes the commit's time as
# SOURCE_DATE_EPOCH. BuildKit dates the image config and history by it, but files that RUN
# steps make keep the time they were made, and those times end up in the layers: each
# step below that makes files for the image sets their times to it, and puts them in a
# directory named after it (see the image stage). Unset (a dirty tree, a plain `docker
# build`), files keep their build times: no reproducible image.
ARG SOURCE_DATE_EPOCH
# What the final image needs besides the binary, made once for every platform.
RUN r=/rootfs/$SOURCE_DATE_EPOCH && mkdir -p $r/etc/ssl/certs \
 && cp /etc/ssl/certs/ca-certificates.crt $r/etc/ssl/certs/ \
 && echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' > $r/etc/passwd \
 && echo 'nonroot:x:65532:' > $r/etc/group \
 && if [ "$SOURCE_DATE_EPOCH" ]; then find $r -exec touch -d "@$SOURCE_DATE_EPOCH" {} +; fi
# Where this module sits under /src: "." alone, deeper when it has siblings, so the
# relative paths in go.work and `replace` lines still point at them.
ARG MODULE_DIR=.
# "off" keeps a stray go.work out of plain builds; a workspace build names the
# go.work it copied in.
ARG GOWORK=off
ENV GOWORK=${GOWORK}
WORKDIR /src/${MODULE_DIR}
COPY --from=workspace / /src/
# Where modules come from, as on the host: `invoke build` passes each of these that the
# `go` configuration or the host sets. ARGs reach the RUN steps' environment and nothing
# else; unset ones leave the base image's defaults alone.
ARG GOPROXY GOPRIVATE GONOPROXY GONOSUMDB GONOSUMCHECK GOSUMDB GOINSECURE GOFLAGS
# Credentials and extra CA certificates come only as BuildKit secrets (optional), mounted
# on the two steps that may fetch modules, so they are in no layer, history entry or
# cache key. go reads the netrc NETRC names, and trusts the certificates of every
# SSL_CERT_DIR directory besides the system's bundle (Go's default directories kept).
ENV NETRC=/run/secrets/netrc \
    SSL_CERT_DIR=/etc/ssl/certs:/etc/pki/tls/certs:/run/go-ca
# Dependencies before sources: the download step stays cached while code changes.
# (go.sum* because a module without dependencies has none.) Not in a workspace: there
# `go mod download` looks up the versions the modules require of each other, which
# need exist nowhere; `go build` takes them from the workspace instead. Nor with
# -mod=vendor (the tasks add it for a vendored module): vendor/ has them, and a build
# with no network works.
COPY go.mod go.sum* ./
RUN --mount=type=cache,target=/cache/go-mod \
    --mount=type=secret,id=netrc,required=false \
    --mount=type=secret,id=go-ca,target=/run/go-ca/ca.crt,required=false \
    if [ "$GOWORK" = off ] && [ "${GOFLAGS#*-mod=vendor}" = "$GOFLAGS" ]; then \
      go mod download; \
    fi
COPY . .
ARG TARGETOS TARGETARCH TARGETVARIANT
ARG VERSION=dev
ARG REVISION=unknown
# The main package (build.main): hellorld has only the module's root.
ARG MAIN=.
# -o to a directory: go names the binary after the module, with .exe on Windows.
RUN --mount=type=cache,target=/cache/go-mod \
    --mount=type=cache,target=/cache/go-build \
    --mount=type=secret,id=netrc,required=false \
    --mount=type=secret,id=go-ca,target=/run/go-ca/ca.crt,required=false \
    GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} \
    go build -trimpath -ldflags "-s -w -X main.version=$VERSION -X main.commit=$REVISION" \
      -o /out/$SOURCE_DATE_EPOCH/ "$MAIN" \
 && if [ "$SOURCE_DATE_EPOCH" ]; then find /out -exec touch -d "@$SOURCE_DATE_EPOCH" {} +; fi

# Only the binary, for `docker buildx build --output type=local` (invoke bin).
FROM scratch AS binary
ARG SOURCE_DATE_EPOCH
COPY --from=builder /out/${SOURCE_DATE_EPOCH}/ /

# The image: the binary, CA certificates and a non-root user, nothing else. Owned by
# root whatever user the builder stage ran as: ownership is in the layers too. The epoch
# is in the paths copied from because BuildKit's cache compares copied files by content,
# not time: else a build would reuse an earlier build's layer, with that build's times.
FROM scratch AS image
ARG SOURCE_DATE_EPOCH
COPY --from=builder --chown=0:0 /rootfs/${SOURCE_DATE_EPOCH}/ /
COPY --from=builder --chown=0:0 /out/${SOURCE_DATE_EPOCH}/ /
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED
ARG SOURCE
LABEL org.opencontainers.image.title="hellorld" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"
USER 65532:65532
ENTRYPOINT ["/hellorld"]

# Windows images. The `binary` stage already holds hellorld.exe for windows/amd64, and
# `invoke bin` builds and checks it on any machine. An image for Windows also needs a
# Windows base layer (a FROM scratch image does not run there), pulled from
# mcr.microsoft.com, so only a machine that can pull it can build one, and only a Windows
# host can run it. There, rename the stage above to `image-linux` and add:
#
#   FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 AS image-windows
#   ARG SOURCE_DATE_EPOCH
#   COPY --from=builder /out/${SOURCE_DATE_EPOCH}/ /
#   ARG VERSION=dev
#   ARG REVISION=unknown
#   LABEL org.opencontainers.image.title="hellorld" \
#         org.opencontainers.image.version="${VERSION}" \
#         org.opencontainers.image.revision="${REVISION}"
#   USER ContainerUser
#   ENTRYPOINT ["C:\\hellorld.exe"]
#
#   FROM image-${TARGETOS} AS image
#
# The Go build still runs on $BUILDPLATFORM and cross-compiles; the Windows stage only
# copies, so BuildKit on Linux assembles it without running anything Windows. Then
# `invoke build --platforms linux/amd64,linux/arm64,linux/arm/v7,windows/amd64` pushes one
# index holding all four, and builds for Linux alone never touch the Windows base. Pick
# the nanoserver tag (ltsc2022, ltsc2025) that matches the Windows hosts that will run it.
