#!/usr/bin/env bash
# Bring up everything this project needs on Debian 12 (bookworm), as root:
#   Docker Engine 28 + buildx + the containerd image store, qemu-user-static with
#   binfmt_misc, a host Go toolchain (the machine's own, else Debian's), stand-in base
#   images when no registry can be reached, and the Python environment in .venv.
# Safe to run again: every step checks first and changes nothing that already works.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '+ %s\n' "$*" >&2; "$@"; }
die() { printf 'provision: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run me as root (apt-get, dockerd and binfmt_misc need it)"

docker_works() { docker info >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; }

# --- packages ---------------------------------------------------------------
# bookworm's docker.io (20.10) has no buildx and cannot build multi-platform images
# with the default builder; trixie's buildx and containerd install cleanly on bookworm.
# The Engine comes from forky: trixie's Docker 26 on the containerd image store stops
# starting once BuildKit holds a few thousand cache records (moby#48569, fixed in 27.4:
# "context deadline exceeded" right after "Daemon has completed initialization"), which
# a day of builds reaches; forky's 28.5 needs nothing newer than bookworm's libc. The low
# pins keep everything else on bookworm: only packages named "/trixie" or "/forky" move.
add_suite() {  # codename, pin priority
  [ -f "/etc/apt/sources.list.d/$1.sources" ] && return
  run tee "/etc/apt/sources.list.d/$1.sources" >/dev/null <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $1
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  run tee "/etc/apt/preferences.d/$1-low" >/dev/null <<EOF
Package: *
Pin: release n=$1
Pin-Priority: $2
EOF
  apt_updated=
}
add_trixie() { add_suite trixie 100; }
# Debian's docker.io older than 27.4 (an Engine this script installed before); an Engine
# from elsewhere (Docker's own packages) is left as it is.
engine_affected() {
  local v
  v=$(dpkg-query -W -f='${Version}' docker.io 2>/dev/null) && dpkg --compare-versions "$v" lt 27.4
}

apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { run apt-get update -qq; apt_updated=1; }
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

step "packages"
add_trixie
wanted=(qemu-user-static binfmt-support busybox-static docker-registry ca-certificates
        git python3-venv)
docker_works || {
  add_suite forky 50
  wanted+=(docker.io/forky docker-cli/trixie docker-buildx/trixie containerd/trixie)
}
# The host Go fetches the toolchain modules the golang stand-ins are made of, and serves
# the go.work tests and the benchmarks; never the images' builds. Machines of this
# project come with one; elsewhere Debian's is enough for that.
command -v go >/dev/null || wanted+=(golang-go)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "${pkg%/*}" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; else echo "all installed"; fi
if engine_affected; then
  add_suite forky 50
  apt_install docker.io/forky
  # The running daemon is still the old one (no init system restarts it): stop it, and
  # dockerd.sh below starts the new one. Containers with a restart policy come back.
  if [ -f /var/run/docker.pid ]; then
    run kill "$(cat /var/run/docker.pid)" || true
    run timeout 60 sh -c 'while [ -f /var/run/docker.pid ]; do sleep 1; done'
  fi
fi
echo "host Go: $(go version)"

# --- cosign -------------------------------------------------------------------
# Signed releases (invoke release --sign, invoke sign, invoke verify --key) and their tests
# run Debian's cosign, from trixie like Docker (bookworm has none).
install_cosign() {
  step "cosign"
  if dpkg-query -W -f='${Status}' cosign 2>/dev/null | grep -q "install ok installed"; then
    echo "cosign: installed"
  else
    add_trixie
    apt_install cosign/trixie
  fi
  cosign version 2>/dev/null | sed -n 's/^GitVersion: *//p'
}
install_cosign

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

# golang:<minor> from the Go distribution in the toolchain module of one exact version
# (scripts/standins/golang/versions), as GOTOOLCHAIN fetches it through the module proxy.
build_golang_standin() {
  local name=$1 version=$2 module dir
  new_scratch_dir
  module="golang.org/toolchain@v0.0.1-go$version.$(go env GOHOSTOS)-$(go env GOHOSTARCH)"
  # a module cache of its own, writable (-modcacherw) so that it can be removed
  dir=$(cd "$ctx" && run env GOMODCACHE="$ctx/mod" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
          go mod download -json "$module" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -f "$dir/bin/go" ] || die "$module holds no bin/go"
  # a module zip keeps no file modes: mark the programs as the go command does when it
  # switches to a toolchain
  chmod -R u+w "$dir" && chmod a+x "$dir"/bin/* "$dir"/pkg/tool/*/*
  mv "$dir" "$ctx/go"
  cp /bin/busybox "$ctx/busybox"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  run docker build -q -t "$name" --build-arg "GO_MINOR=${version%.*}" \
    --build-arg "GO_VERSION=$version" -f "$here/standins/golang/Dockerfile" "$ctx"
  rm -rf "$ctx/mod" "$ctx/go"
}

ensure_image registry:2 build_registry_standin
while read -r version; do
  case $version in ''|'#'*) continue ;; esac
  name="golang:${version%.*}"
  # a stand-in of another Go version (an older list, Debian's package) is made anew;
  # an image that is no stand-in (pulled) is left alone
  made=$(docker image inspect -f '{{index .Config.Labels "io.multiarch.standin"}} {{index .Config.Labels "org.opencontainers.image.version"}}' "$name" 2>/dev/null || true)
  if [ "$made" = "true $version" ] || { [ -n "$made" ] && [ "${made%% *}" != true ]; }; then
    echo "$name: present"
  elif timeout 60 docker pull -q "$name" >/dev/null 2>&1; then
    echo "$name: pulled"
  else
    echo "$name: not pullable; building a local stand-in of Go $version"
    build_golang_standin "$name" "$version"
  fi
done < "$here/standins/golang/versions"

# --- BuildKit -------------------------------------------------------------------
# buildkitd and buildctl for remote builders and build farms (invoke builder), and the
# moby/buildkit image buildx's docker-container driver runs, made from them where it
# cannot be pulled. From v0.19.0 on, buildkit's go.mod has an `exclude` block, which
# `go install` refuses: v0.18.2 is the newest it installs.
step "BuildKit (buildkitd, buildctl) and the moby/buildkit stand-in"
buildkit_version=v0.18.2
buildkit_image=moby/buildkit:buildx-stable-1  # buildx's default for docker-container
buildkit_bin=/usr/local/bin
install_buildkit() {
  local cmd
  command -v go >/dev/null || die "no go on PATH: buildkitd is installed with go install"
  for cmd in buildkitd buildctl; do
    if "$buildkit_bin/$cmd" --version 2>/dev/null | grep -q " $buildkit_version "; then
      echo "$cmd $buildkit_version: present"
      continue
    fi
    # static (no cgo), so the stand-in image needs no libc for them; the version stamped
    # as buildkit's release builds do, so `buildx inspect` and doctor show it
    run env GOBIN="$buildkit_bin" CGO_ENABLED=0 go install \
      -ldflags "-X github.com/moby/buildkit/version.Version=$buildkit_version" \
      "github.com/moby/buildkit/cmd/$cmd@$buildkit_version"
  done
}

build_buildkit_standin() {
  new_scratch_dir
  mkdir -p "$ctx/root/usr/bin" "$ctx/root/usr/sbin" "$ctx/root/bin" "$ctx/root/etc/ssl/certs"
  cp "$buildkit_bin/buildkitd" "$buildkit_bin/buildctl" "$ctx/root/usr/bin/"
  cp "$(command -v runc)" "$ctx/root/usr/sbin/runc"
  # runc links libseccomp and libc: ldd names exactly what to copy, at the paths it names
  ldd "$(command -v runc)" | grep -o '/[^ ]*' | xargs -I{} cp -L --parents {} "$ctx/root/"
  cp /bin/busybox "$ctx/root/bin/busybox"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/root/etc/ssl/certs/"
  run docker build -q -t "$1" --build-arg "BUILDKIT_VERSION=$buildkit_version" \
    -f "$here/standins/buildkit/Dockerfile" "$ctx"
}

[ -x /usr/sbin/runc ] || apt_install runc
install_buildkit
ensure_image "$buildkit_image" build_buildkit_standin

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
