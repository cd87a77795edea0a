#!/usr/bin/env bash
# Build the image and run it as Kubernetes would: `make image-test` (not part of `make test`).
#
# Checks that `serve` answers /healthz inside the container, that `worker` runs from the same
# image on the same data volume, that both run as the non-root user on a read-only root
# filesystem (only /tmp and /data writable), and that SIGTERM stops each within 10 s.
# Prints the image size, the build time, the start-up time and the stop times.
# SKIP_BUILD=1 reuses an image built before; IMAGE names it (default firefighter:dev).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-firefighter:dev}
run_id=fftest-$$
serve=$run_id-serve
worker=$run_id-worker
volume=$run_id-data

fail() { echo "FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
cleanup() {
  docker rm -f "$serve" "$worker" >/dev/null 2>&1 || true
  docker volume rm "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT

build_s=skipped
if [[ -z ${SKIP_BUILD:-} ]]; then
  started=$(now)
  deploy/build-image.sh "$IMAGE"
  build_s=$(since "$started")
fi
size_mb=$(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f", $1 / 1e6 }')

docker volume create "$volume" >/dev/null
# As the manifests run it: no root, nothing writable but /tmp and /data, no capabilities.
hardened=(--read-only --tmpfs /tmp:rw,size=64m -v "$volume:/data" --cap-drop ALL
  --security-opt no-new-privileges -e SLACK_BOT_TOKEN=xoxb-image-test
  -e SLACK_SIGNING_SECRET=image-test-secret)

health='import urllib.request, sys
sys.exit(0 if urllib.request.urlopen("http://127.0.0.1:3000/healthz", timeout=2).status == 200 else 1)'

started=$(now)
docker run -d --name "$serve" "${hardened[@]}" "$IMAGE" >/dev/null
until docker exec "$serve" python3 -c "$health" 2>/dev/null; do
  [[ $(docker inspect -f '{{.State.Running}}' "$serve") == true ]] \
    || { docker logs "$serve" >&2; fail "serve exited during start-up"; }
  awk -v s="$(since "$started")" 'BEGIN { exit !(s > 60) }' && fail "no /healthz after 60 s"
  sleep 0.2
done
startup_s=$(since "$started")
echo "serve answers /healthz inside the container after ${startup_s} s (migrations included)"

uid=$(docker exec "$serve" id -u)
[[ $uid != 0 ]] || fail "the process runs as root"
docker exec "$serve" sh -c 'touch /opt/firefighter/x' 2>/dev/null \
  && fail "the root filesystem is writable"
docker exec "$serve" sh -c 'touch /tmp/x /data/x' || fail "/tmp or /data is not writable"
echo "runs as uid $uid; root filesystem read-only; /tmp and /data writable"

# The worker answers the image's HEALTHCHECK (port 3000) on its own health port.
docker run -d --name "$worker" "${hardened[@]}" "$IMAGE" firefighter worker --host 0.0.0.0 --port 3000 >/dev/null
for _ in $(seq 1 100); do
  docker logs "$worker" 2>&1 | grep -q "FireFighter worker" && break
  sleep 0.2
done
docker logs "$worker" 2>&1 | grep -q "FireFighter worker" \
  || { docker logs "$worker" >&2; fail "worker did not start"; }
sleep 2
[[ $(docker inspect -f '{{.State.Running}}' "$worker") == true ]] || fail "worker exited"
echo "worker runs from the same image on the same volume"

stop() {
  local name=$1 began took code
  began=$(now)
  docker stop --time 15 "$name" >/dev/null
  took=$(since "$began")
  code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
  [[ $code == 0 ]] || { docker logs "$name" >&2; fail "$name exited with $code after SIGTERM"; }
  docker logs "$name" 2>&1 | grep -q Traceback && { docker logs "$name" >&2; fail "traceback"; }
  awk -v t="$took" 'BEGIN { exit !(t < 10) }' || fail "$name took $took s to stop"
  echo "$took"
}
serve_stop_s=$(stop "$serve")
worker_stop_s=$(stop "$worker")
echo "SIGTERM: serve stopped in ${serve_stop_s} s, worker in ${worker_stop_s} s (exit 0)"
echo "image_size_mb=$size_mb build_s=$build_s startup_s=$startup_s" \
  "serve_stop_s=$serve_stop_s worker_stop_s=$worker_stop_s"
