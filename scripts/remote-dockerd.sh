#!/usr/bin/env bash
# A second Docker daemon that cannot see the client's files, as Docker Desktop, a remote
# host, rootless Docker or a docker-in-docker service cannot: the tests' remote-daemon
# test bed. It runs in its own mount namespace with tmpfs over /tmp, /root, /home and
# this checkout, with its own data root, exec root (so its own containerd), pid file,
# socket, bridge and configuration (the containerd image store), and holds the stand-in
# images, loaded from this machine's daemon. It shares the kernel (binfmt) and the
# network namespace (its published ports are on 127.0.0.1 here); with --iptables=false
# its containers reach nothing beyond this machine.
#
#   bash scripts/remote-dockerd.sh [start|stop] [IMAGE...]   (as root)
#
# Names come from MULTIARCH_REMOTE (default multiarch-remote): the socket
# /run/$MULTIARCH_REMOTE.sock, usable by the docker group; the bridge from
# MULTIARCH_REMOTE_BRIDGE (default mremote0) with MULTIARCH_REMOTE_ADDRESS (default
# 10.218.0.1/24) as its own address. IMAGE...: what to load (default: registry:2 and
# the golang image of multiarch's Dockerfile). Idempotent: a daemon that answers is
# left as it is, and only missing images are loaded.
set -euo pipefail

name=${MULTIARCH_REMOTE:-multiarch-remote}
bridge=${MULTIARCH_REMOTE_BRIDGE:-mremote0}
address=${MULTIARCH_REMOTE_ADDRESS:-10.218.0.1/24}
socket=/run/$name.sock
pidfile=/run/$name.pid
data=/var/lib/$name
exec_root=/run/$name-exec
config=/run/$name.json
log=/var/log/$name.log
checkout=$(cd "$(dirname "$0")/.." && pwd)
remote() { docker -H "unix://$socket" "$@"; }

action=start
case "${1:-}" in start | stop) action=$1; shift ;; esac

if [ "$action" = stop ]; then
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "+ kill $(cat "$pidfile") (the remote test daemon)" >&2
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 30); do kill -0 "$(cat "$pidfile" 2>/dev/null || echo 0)" 2>/dev/null || break; sleep 1; done
  fi
  ip link show "$bridge" >/dev/null 2>&1 && ip link delete "$bridge"
  rm -f "$socket" "$pidfile" "$config"
  exit 0
fi

if ! remote info >/dev/null 2>&1; then
  if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    rm -f "$pidfile"  # a daemon that was killed: a new one refuses to start over it
  fi
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    echo "+ ip link add $bridge type bridge; ip addr add $address dev $bridge" >&2
    ip link add "$bridge" type bridge
    ip addr add "$address" dev "$bridge"
  fi
  ip link set "$bridge" up
  echo '{"features": {"containerd-snapshotter": true}}' >"$config"
  mkdir -p "$data" "$exec_root"
  echo "+ unshare --mount --propagation private: tmpfs over /tmp /root /home $checkout; dockerd -H unix://$socket" >&2
  setsid unshare --mount --propagation private sh -c '
    for dir in /tmp /root /home "$0"; do mount -t tmpfs tmpfs "$dir"; done
    shift
    exec dockerd "$@"
  ' "$checkout" _ --config-file "$config" --data-root "$data" --exec-root "$exec_root" \
    --pidfile "$pidfile" -H "unix://$socket" --group docker \
    --bridge "$bridge" --iptables=false --ip6tables=false >>"$log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    remote info >/dev/null 2>&1 && break
    sleep 1
  done
  remote info >/dev/null 2>&1 || { echo "remote-dockerd.sh: no answer on $socket; the tail of $log:" >&2; tail -n 20 "$log" >&2; exit 1; }
fi
# the docker group may use it, as the default socket
chgrp docker "$socket" && chmod 660 "$socket"

if [ $# -eq 0 ]; then
  go=$(sed -n 's/^ARG GO_VERSION=//p' "$checkout/multiarch/data/Dockerfile" | head -n 1)
  set -- registry:2 "golang:$go"
fi
for image in "$@"; do
  if ! remote image inspect "$image" >/dev/null 2>&1; then
    echo "+ docker save $image | docker -H unix://$socket load" >&2
    docker save "$image" | remote load -q
  fi
done
echo "the remote test daemon answers on unix://$socket"
