#!/usr/bin/env bash
# Build the FireFighter image. Usage: deploy/build-image.sh [IMAGE]   (default firefighter:dev)
#
# The Dockerfile builds FROM python:3.11-slim. Where that image cannot be pulled (no access to
# the public registry), this makes an equivalent base from Debian's own packages: debootstrap
# of the same release (bookworm, whose python3 is 3.11) with python3, python3-venv and
# ca-certificates, then
# `docker import`; the base is kept as firefighter-base:bookworm and reused by later builds.
# Needs docker (and, for the fallback, root and debootstrap).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:-${IMAGE:-firefighter:dev}}
DEFAULT_BASE=python:3.11-slim
LOCAL_BASE=firefighter-base:bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

base=${BASE:-}
if [[ -z $base ]]; then
  if docker image inspect "$DEFAULT_BASE" >/dev/null 2>&1 \
    || timeout 60 docker pull --quiet "$DEFAULT_BASE" >/dev/null 2>&1; then
    base=$DEFAULT_BASE
  else
    echo "cannot pull $DEFAULT_BASE; using a base made from Debian's packages ($LOCAL_BASE)" >&2
    base=$LOCAL_BASE
  fi
fi

if [[ $base == "$LOCAL_BASE" ]] && ! docker image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  echo "debootstrap bookworm into $rootfs (a few minutes)" >&2
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs" "$MIRROR" \
    >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; exit 1; }
  # What python:3.11-slim also leaves out: package lists, caches, docs.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' - "$LOCAL_BASE" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
  trap - EXIT
fi

# Where pip here trusts a private CA (a TLS-inspecting proxy), the build stage needs it too.
ca=${PIP_CERT:-$(pip config get global.cert 2>/dev/null || true)}
rm -f deploy/.build-ca.pem
if [[ -n $ca && -f $ca ]]; then
  cp "$ca" deploy/.build-ca.pem
  trap 'rm -f deploy/.build-ca.pem' EXIT
fi

# Host networking for the build: pip reaches the package index the way this machine does.
DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build --network host --build-arg "BASE=$base" \
  -t "$IMAGE" .
echo "built $IMAGE on $base: $(docker image inspect --format '{{.Size}}' "$IMAGE" \
  | awk '{printf "%.0f MB", $1 / 1e6}')"
