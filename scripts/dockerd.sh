#!/usr/bin/env bash
# Start dockerd unless a daemon already answers, and wait (bounded) until it does.
# There is no systemd on these machines: the daemon runs in its own session.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  echo "a Docker daemon answers: leaving it as it is"
  exit 0
fi
wait_for_daemon() {
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { echo "dockerd is ready"; return 0; }
    sleep 1
  done
  echo "dockerd.sh: dockerd did not answer within 60 s; the tail of /var/log/dockerd.log:" >&2
  tail -n 20 /var/log/dockerd.log >&2 || true
  exit 1
}

# A dockerd that is still starting (or stopping) keeps its pid file: wait for it. One
# that was killed leaves the file behind, naming a process that is gone or a zombie,
# and a new dockerd then refuses to start: remove it.
pidfile=/var/run/docker.pid
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status"; then
    echo "dockerd (pid $pid) is running but does not answer yet: waiting"
    wait_for_daemon
    exit 0
  fi
  echo "+ rm -f $pidfile (stale: no such dockerd)" >&2
  rm -f "$pidfile"
fi
# The containerd image store lets the default (docker driver) builder build and push
# multi-platform images, with no docker-container builder to pull. Other settings in
# an existing daemon.json stay as they are.
mkdir -p /etc/docker
python3 - <<'PY'
import json, pathlib
path = pathlib.Path("/etc/docker/daemon.json")
config = json.loads(path.read_text() or "{}") if path.exists() else {}
if not config.get("features", {}).get("containerd-snapshotter"):
    config.setdefault("features", {})["containerd-snapshotter"] = True
    path.write_text(json.dumps(config, indent=2) + "\n")
    print("+ /etc/docker/daemon.json: features.containerd-snapshotter = true", flush=True)
PY
echo "+ setsid dockerd >>/var/log/dockerd.log 2>&1 &" >&2
setsid dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
wait_for_daemon

