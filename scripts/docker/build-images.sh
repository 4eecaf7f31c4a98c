#!/usr/bin/env bash
# Builds, on an engine that cannot pull (DOCKER_HOST set, e.g. by scripts/docker/ci.sh):
#   local/debian:bookworm   imported from a debootstrap root filesystem (cached, lib.sh)
#   local/node:20           stand-in for node:20-bookworm-slim (this machine's node + npm)
#   local/postgres:15       stand-in for postgres:15 (Debian's postgresql-15)
#   local/kafka:3.9.1       stand-in for apache/kafka:3.9.1 (Debian's JRE + the Maven jars)
#   notification-hub:local  the hub's production image (Dockerfile), FROM local/node:20
# Usage: build-images.sh [standins|hub|all]   (default all)
source "$(dirname "$0")/lib.sh"
what="${1:-all}"
t() { local s=$SECONDS; "$@"; log "  ($(( SECONDS - s )) s)"; }
# quiet unless it fails: then the last lines of the build's own output
build() {
  local out rc=0
  out=$(mktemp)
  docker build --network host "$@" > "$out" 2>&1 || rc=$?
  [ "$rc" = 0 ] || { tail -40 "$out" >&2; log "docker build $* failed"; }
  rm -f "$out"
  return "$rc"
}

standins() {
  local key tar ctx
  key=$(base_key)
  if ! docker image inspect "local/debian:bookworm-$key" >/dev/null 2>&1; then
    tar=$(base_tarball)
    log "import the Debian base"
    docker import - "local/debian:bookworm-$key" < "$tar" >/dev/null
  fi
  docker tag "local/debian:bookworm-$key" local/debian:bookworm

  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  log "local/node:20 (node $(node --version), npm $(npm --version))"
  cp -r "$HUB_ROOT/scripts/docker/standins/node" "$ctx/node"
  cp "$(readlink -f "$(command -v node)")" "$ctx/node/node"
  cp -r "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$ctx/node/npm"
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/node/ca-certificates.crt"
  t build -t local/node:20 "$ctx/node"

  log "local/postgres:15"
  t build -t local/postgres:15 "$HUB_ROOT/scripts/docker/standins/postgres"

  local libs="$HUB_ROOT/.cache/kafka/3.9.1/libs"
  if [ ! -d "$libs" ]; then (cd "$HUB_ROOT" && npm run -s kafka:fetch); fi
  log "local/kafka:3.9.1"
  cp -r "$HUB_ROOT/scripts/docker/standins/kafka" "$ctx/kafka"
  cp -r "$libs" "$ctx/kafka/libs"
  t build -t local/kafka:3.9.1 "$ctx/kafka"
}

hub() {
  log "notification-hub:local (Dockerfile, FROM local/node:20)"
  t build --build-arg NODE_IMAGE=local/node:20 -t notification-hub:local "$HUB_ROOT"
  log "  image size: $(docker image inspect notification-hub:local --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"
}

case "$what" in
  standins) t standins ;;
  hub) hub ;;
  all) standins; hub ;;
  *) echo "usage: $0 [standins|hub|all]" >&2; exit 2 ;;
esac
