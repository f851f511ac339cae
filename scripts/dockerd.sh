#!/usr/bin/env bash
# Start dockerd unless a daemon already answers, and wait (bounded) until it does.
# There is no systemd on these machines: the daemon runs in its own session.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  echo "a Docker daemon answers: leaving it as it is"
  exit 0
fi
# The containerd image store lets the default (docker driver) builder build and push
# multi-platform images, with no docker-container builder to pull.
if [ ! -f /etc/docker/daemon.json ]; then
  mkdir -p /etc/docker
  echo '{"features": {"containerd-snapshotter": true}}' >/etc/docker/daemon.json
  echo "+ wrote /etc/docker/daemon.json (containerd image store)" >&2
fi
# A killed dockerd leaves its pid file behind, and a new one then refuses to start.
if [ -f /var/run/docker.pid ]; then
  echo "+ rm -f /var/run/docker.pid (stale: no daemon answers)" >&2
  rm -f /var/run/docker.pid
fi
echo "+ setsid dockerd >>/var/log/dockerd.log 2>&1 &" >&2
setsid dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { echo "dockerd is ready"; exit 0; }
  sleep 1
done
echo "dockerd.sh: dockerd did not answer within 60 s; the tail of /var/log/dockerd.log:" >&2
tail -n 20 /var/log/dockerd.log >&2 || true
exit 1
