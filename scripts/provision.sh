#!/usr/bin/env bash
# Bring up everything this project needs on Debian 12 (bookworm), as root:
#   Docker Engine 26 + buildx + the containerd image store, qemu-user-static with
#   binfmt_misc, a host Go toolchain, stand-in base images when no registry can be
#   reached, and the Python environment in .venv.
# Safe to run again: every step checks first and changes nothing that already works.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
go_version=$(sed -n 's/^ARG GO_VERSION=//p' "$repo/Dockerfile")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '+ %s\n' "$*" >&2; "$@"; }
die() { printf 'provision: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run me as root (apt-get, dockerd and binfmt_misc need it)"
[ -n "$go_version" ] || die "no 'ARG GO_VERSION=' line in $repo/Dockerfile"

docker_works() { docker info >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; }

# --- packages ---------------------------------------------------------------
# bookworm's docker.io (20.10) has no buildx and cannot build multi-platform images
# with the default builder; trixie's Docker 26 installs cleanly on bookworm. The pin
# keeps everything else on bookworm: only the packages named "/trixie" come from there.
add_trixie() {
  [ -f /etc/apt/sources.list.d/trixie.sources ] && return
  run tee /etc/apt/sources.list.d/trixie.sources >/dev/null <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  run tee /etc/apt/preferences.d/trixie-low >/dev/null <<'EOF'
Package: *
Pin: release n=trixie
Pin-Priority: 100
EOF
  apt_updated=
}

apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { run apt-get update -qq; apt_updated=1; }
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

step "packages"
add_trixie
wanted=(qemu-user-static binfmt-support busybox-static docker-registry ca-certificates
        git python3-venv "golang-$go_version-go/trixie" "golang-$go_version-src/trixie")
docker_works || wanted+=(docker.io/trixie docker-cli/trixie docker-buildx/trixie containerd/trixie)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "${pkg%/*}" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; else echo "all installed"; fi
# The host Go is for the go.work tests and the benchmark's `go build`, never for images.
[ -e /usr/local/bin/go ] || run ln -s "/usr/lib/go-$go_version/bin/go" /usr/local/bin/go

# --- Docker Engine ----------------------------------------------------------
step "Docker Engine"
"$here/dockerd.sh"
docker buildx version >/dev/null 2>&1 || die "docker buildx is missing: install docker-buildx"
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'
if docker info --format '{{json .DriverStatus}}' | grep -q io.containerd.snapshotter.v1; then
  echo "image store: containerd (the default builder pushes multi-platform images)"
else
  echo "warning: this daemon does not use the containerd image store: invoke build needs a" \
       "docker-container builder (moby/buildkit must be pullable); see invoke doctor" >&2
fi

# --- qemu and binfmt_misc ----------------------------------------------------
step "qemu-user-static and binfmt_misc"
mountpoint -q /proc/sys/fs/binfmt_misc || run mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
# aarch64 and arm for the images; s390x (big-endian), ppc64le and riscv64 for `invoke
# test`. i386 needs no entry: an x86-64 kernel runs it natively.
for arch in aarch64 arm s390x ppc64le riscv64; do
  entry=/proc/sys/fs/binfmt_misc/qemu-$arch
  if [ ! -f "$entry" ]; then run update-binfmts --enable "qemu-$arch"; fi
  if ! grep -qx enabled "$entry"; then echo 1 | run tee "$entry" >/dev/null; fi
  # flag F makes the kernel open the interpreter now, so it works inside containers
  grep -q '^flags:.*F' "$entry" || die "$entry lacks flag F: reinstall qemu-user-static"
  echo "qemu-$arch: $(head -n1 "$entry"), $(grep '^flags:' "$entry")"
done

# --- base images --------------------------------------------------------------
# Nothing can be pulled on an offline machine. An image that exists locally under the
# canonical name is used by FROM and `docker run` without a pull, so stand-ins built
# from Debian packages make the unchanged, real commands work.
step "base images"
ensure_image() {  # name, stand-in builder
  local name=$1 build=$2
  if docker image inspect "$name" >/dev/null 2>&1; then
    echo "$name: present"
  elif timeout 60 docker pull -q "$name" >/dev/null 2>&1; then
    echo "$name: pulled"
  else
    echo "$name: not pullable; building a local stand-in"
    "$build" "$name"
  fi
}

scratch_dirs=()
trap 'rm -rf "${scratch_dirs[@]}"' EXIT
new_scratch_dir() { ctx=$(mktemp -d); scratch_dirs+=("$ctx"); }

build_registry_standin() {
  new_scratch_dir
  mkdir -p "$ctx/bin" "$ctx/lib"
  cp /usr/bin/docker-registry "$ctx/bin/registry"
  # the binary links libc only; ldd names exactly what to copy
  ldd /usr/bin/docker-registry | grep -o '/[^ ]*' | xargs -I{} cp -L {} "$ctx/lib/"
  cp "$here/standins/registry/config.yml" "$ctx/"
  run docker build -q -t "$1" -f "$here/standins/registry/Dockerfile" "$ctx"
}

build_golang_standin() {
  new_scratch_dir
  # -L: src, api and misc are symlinks into /usr/share; without it there is no std
  cp -aL "/usr/lib/go-$go_version" "$ctx/go"
  cp /bin/busybox "$ctx/busybox"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  run docker build -q -t "$1" --build-arg "GO_VERSION=$go_version" \
    -f "$here/standins/golang/Dockerfile" "$ctx"
}

ensure_image registry:2 build_registry_standin
ensure_image "golang:$go_version" build_golang_standin

# --- the remote-daemon test bed's tools -----------------------------------------
# scripts/remote-dockerd.sh (run by .ci/run) makes the tests' second daemon a bridge of
# its own with `ip`, and its own mount namespace with `unshare`.
step "tools of the remote-daemon test bed"
command -v ip >/dev/null || apt_install iproute2
command -v unshare >/dev/null || apt_install util-linux
echo "ip and unshare: present"

# --- Python -------------------------------------------------------------------
step "Python environment (.venv)"
# pip, not python: a venv that failed half-way (no ensurepip) has python but no pip
[ -x "$repo/.venv/bin/pip" ] || run python3 -m venv --clear "$repo/.venv"
run "$repo/.venv/bin/pip" install -q --disable-pip-version-check -e "$repo[dev]"

step "ready"
echo "activate with: . .venv/bin/activate   (then: invoke --list)"
