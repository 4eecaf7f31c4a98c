# Shared helpers for the Docker scripts (sourced, not run). Facts: ../../docs/deployment.md
# ("Testing the images on a machine without a registry").
#
# HUB_DOCKER_CACHE (default /var/cache/hub-docker; $HOME/.cache/hub-docker when not root)
# holds what survives a fresh clone: the debootstrap root filesystem (keyed by a hash of
# its recipe), the compose v2 plugin, and the engine's data root (image layers, so a
# second build reuses every layer that did not change).
set -euo pipefail

HUB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ "$(id -u)" = 0 ]; then HUB_DOCKER_CACHE="${HUB_DOCKER_CACHE:-/var/cache/hub-docker}"; else HUB_DOCKER_CACHE="${HUB_DOCKER_CACHE:-$HOME/.cache/hub-docker}"; fi
mkdir -p "$HUB_DOCKER_CACHE"
DEBIAN_SUITE=bookworm

log() { printf '[docker %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# The Debian mirror apt already uses on this machine (never written into the repo).
debian_mirror() {
  local m=""
  if [ -d /etc/apt/sources.list.d ]; then
    m=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(grep -hE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1 || true)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# Hash of everything that decides the base root filesystem.
base_key() {
  { echo "$DEBIAN_SUITE minbase v1"; sed -n '/^# BASE-RECIPE-BEGIN/,/^# BASE-RECIPE-END/p' "$HUB_ROOT/scripts/docker/lib.sh"; } | sha256sum | cut -c1-16
}

# BASE-RECIPE-BEGIN
# Builds (or reuses) the root filesystem tarball of a minimal Debian bookworm.
base_tarball() {
  local key tar tmp
  key=$(base_key)
  tar="$HUB_DOCKER_CACHE/debian-$DEBIAN_SUITE-$key.tar"
  if [ -s "$tar" ]; then echo "$tar"; return; fi
  tmp=$(mktemp -d "$HUB_DOCKER_CACHE/rootfs.XXXXXX")
  log "debootstrap $DEBIAN_SUITE (minbase) from $(debian_mirror): about a minute"
  debootstrap --variant=minbase --include=ca-certificates "$DEBIAN_SUITE" "$tmp/rootfs" "$(debian_mirror)" > "$tmp/debootstrap.log" 2>&1 \
    || { tail -20 "$tmp/debootstrap.log" >&2; rm -rf "$tmp"; return 1; }
  rm -rf "$tmp"/rootfs/var/cache/apt/archives/*.deb "$tmp"/rootfs/var/lib/apt/lists/*
  tar -C "$tmp/rootfs" -cf "$tar.part" . && mv "$tar.part" "$tar"
  rm -rf "$tmp"
  # older recipes' tarballs are of no further use
  find "$HUB_DOCKER_CACHE" -maxdepth 1 -name "debian-$DEBIAN_SUITE-*.tar" ! -name "$(basename "$tar")" -delete
  echo "$tar"
}
# BASE-RECIPE-END

# The daemon (Debian's docker.io) and debootstrap.
ensure_packages() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || { log "not root: cannot install ${need[*]}"; return 1; }
  log "apt-get install ${need[*]}"
  # apt-get update is only needed on a machine that never ran it
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null 2>&1; then
    apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${need[@]}" >/dev/null
  fi
}

# docker compose v2 (and buildx) are packaged in Debian trixie, not bookworm: fetch the two
# .deb files with a private apt state (the system's apt setup is untouched), unpack the
# CLI plugins into $DOCKER_CONFIG/cli-plugins. Cached in $HUB_DOCKER_CACHE/cli-plugins.
ensure_compose() {
  local plugins="$HUB_DOCKER_CACHE/cli-plugins"
  if [ ! -x "$plugins/docker-compose" ]; then
    local st="$HUB_DOCKER_CACHE/apt-trixie" deb
    mkdir -p "$st/lists/partial" "$st/cache/archives/partial" "$st/debs" "$plugins"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) trixie main" > "$st/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$st/sources.list" -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$st/lists" -o "Dir::Cache=$st/cache" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
    log "docker compose v2 from Debian trixie"
    apt-get "${opts[@]}" update -qq >/dev/null
    (cd "$st/debs" && apt-get "${opts[@]}" download docker-compose docker-buildx >/dev/null)
    for deb in "$st"/debs/*.deb; do dpkg-deb -x "$deb" "$st/x"; done
    cp "$st"/x/usr/libexec/docker/cli-plugins/docker-* "$plugins/"
    rm -rf "$st"
  fi
  export DOCKER_CONFIG="${DOCKER_CONFIG:-$HUB_DOCKER_CACHE/docker-config}"
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  ln -sf "$plugins"/docker-* "$DOCKER_CONFIG/cli-plugins/"
}

# Starts a private dockerd: no bridge, no iptables (host networking only), its socket,
# pidfile and exec root in a fresh folder ($HUB_DOCKER_RUN), its data root in the cache
# (image layers kept between runs). Sets DOCKER_HOST. engine_stop stops it by its PID.
engine_start() {
  HUB_DOCKER_RUN=$(mktemp -d /tmp/hub-docker.XXXXXX)
  export HUB_DOCKER_RUN
  local data="$HUB_DOCKER_CACHE/engine"
  mkdir -p "$data"
  # one engine on this data root at a time (a concurrent CI run waits)
  exec 9>"$HUB_DOCKER_CACHE/engine.lock"
  flock -w 900 9 || { log "the engine data root is locked by another run"; return 1; }
  dockerd --data-root "$data" --exec-root "$HUB_DOCKER_RUN/exec" --pidfile "$HUB_DOCKER_RUN/dockerd.pid" \
    -H "unix://$HUB_DOCKER_RUN/docker.sock" --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
    --storage-driver=overlay2 > "$HUB_DOCKER_RUN/dockerd.log" 2>&1 &
  HUB_DOCKERD_PID=$!
  echo "$HUB_DOCKERD_PID" > "$HUB_DOCKER_RUN/dockerd.started-pid"
  export DOCKER_HOST="unix://$HUB_DOCKER_RUN/docker.sock"
  local i
  for i in $(seq 1 60); do
    if docker version >/dev/null 2>&1; then log "dockerd $HUB_DOCKERD_PID ready ($DOCKER_HOST)"; return 0; fi
    kill -0 "$HUB_DOCKERD_PID" 2>/dev/null || break
    sleep 0.5
  done
  log "dockerd did not start:"; tail -15 "$HUB_DOCKER_RUN/dockerd.log" >&2
  engine_stop || true
  return 1
}

engine_stop() {
  [ -n "${HUB_DOCKER_RUN:-}" ] || return 0
  local pid
  pid=$(cat "$HUB_DOCKER_RUN/dockerd.started-pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    # with Ryuk off nothing else removes containers
    docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
    kill "$pid"
    local i
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "dockerd $pid stopped"
  fi
  mountpoint -q "$HUB_DOCKER_RUN/exec/netns/default" 2>/dev/null && umount "$HUB_DOCKER_RUN/exec/netns/default" || true
  rm -f /etc/docker/key.json
  rm -rf "$HUB_DOCKER_RUN"
  unset HUB_DOCKER_RUN
}
