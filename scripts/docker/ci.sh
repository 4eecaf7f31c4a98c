#!/usr/bin/env bash
# The Docker step of CI (.ci/run, after the tests), runnable alone: `bash scripts/docker/ci.sh`.
#  1. installs Debian's docker.io + debootstrap if missing, starts a private dockerd (no
#     bridge, no iptables: host networking only), compose v2 from Debian trixie;
#  2. builds the stand-in images and the hub image (scripts/docker/build-images.sh);
#  3. `docker compose -f docker-compose.yml -f docker-compose.test.yml up`, waits for health;
#  4. the end-to-end smoke (scripts/docker/smoke.mjs);
#  5. kill -9 of the sms-adapter container's process during a burst: it must be restarted
#     by its restart policy, turn healthy again, and every SMS be delivered exactly once;
#  6. the end-to-end test file with Kafka and PostgreSQL in containers (testcontainers,
#     HUB_TEST_INFRA=containers, on the stand-in images);
#  7. tears the stack down and stops the daemon it started, by its PID.
# Skipped, with exit 0, only when no engine can be started here (HUB_DOCKER_SKIP=1 too).
source "$(dirname "$0")/lib.sh"
cd "$HUB_ROOT"
t0=$SECONDS
phase_start=$SECONDS
phase() { log "-- $1 (previous phase $(( SECONDS - phase_start )) s, total $(( SECONDS - t0 )) s)"; phase_start=$SECONDS; }
skip() { echo "== docker: SKIPPED: $1 (the image and compose stack were not tested on this machine)"; exit 0; }

[ "${HUB_DOCKER_SKIP:-}" = 1 ] && skip "HUB_DOCKER_SKIP=1"
[ "$(uname -s)" = Linux ] || skip "not Linux"
phase "engine"
ensure_packages || skip "docker.io / debootstrap cannot be installed"
engine_start || skip "dockerd does not start here (see the log above)"

PROJECT=hubci
COMPOSE=(docker compose -f docker-compose.yml -f docker-compose.test.yml -p "$PROJECT")
cleanup() {
  local rc=$?
  if [ -n "${HUB_DOCKER_RUN:-}" ]; then
    if [ "$rc" != 0 ]; then
      echo "== docker: failed (exit $rc); last logs:"
      "${COMPOSE[@]}" ps -a 2>/dev/null || true
      "${COMPOSE[@]}" logs --no-color --tail 40 2>/dev/null | tail -300 || true
    fi
    phase "teardown"
    "${COMPOSE[@]}" down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
    # layers of earlier builds that no tag uses any more (the data root is kept between runs)
    docker image prune -f >/dev/null 2>&1 || true
    # BuildKit's cache: keep what the next build reuses, not every layer ever built
    docker builder prune -f --keep-storage 3gb >/dev/null 2>&1 || true
    engine_stop
  fi
  log "docker step finished in $(( SECONDS - t0 )) s (exit $rc)"
}
trap cleanup EXIT
ensure_compose
docker compose version >&2

phase "images"
bash scripts/docker/build-images.sh all

phase "compose up"
"${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
quiet() { grep -v -e '^ *Container ' -e '^ *Volume ' -e '^ *Network ' >&2 || true; }
# the email sandbox first: status-ingest verifies its SendGrid events with its public key
"${COMPOSE[@]}" up -d --no-build email-sandbox 2>&1 | quiet
for _ in $(seq 1 60); do
  SENDGRID_WEBHOOK_PUBLIC_KEY=$("${COMPOSE[@]}" logs --no-color email-sandbox 2>/dev/null | sed -n 's/.*PUBLIC_KEY=//p' | tail -1)
  [ -n "$SENDGRID_WEBHOOK_PUBLIC_KEY" ] && break
  sleep 1
done
[ -n "$SENDGRID_WEBHOOK_PUBLIC_KEY" ] || { echo "the email sandbox printed no public key"; exit 1; }
export SENDGRID_WEBHOOK_PUBLIC_KEY
"${COMPOSE[@]}" up -d --no-build 2>&1 | quiet

# every long-running service healthy, the migrate job exited 0
wait_healthy() {
  local deadline=$(( SECONDS + ${1:-240} )) states bad
  while :; do
    states=$(docker ps -a --filter "label=com.docker.compose.project=$PROJECT" \
      --format '{{.Label "com.docker.compose.service"}} {{.State}} {{.Status}}')
    bad=$(awk '$1 == "migrate" { if ($2 != "exited" || $0 !~ /Exited \(0\)/) print; next } $0 !~ /\(healthy\)/ { print }' <<< "$states")
    if [ -n "$states" ] && [ -z "$bad" ]; then return 0; fi
    # (here-strings, not pipes: with pipefail, grep -q closing a pipe early fails the pipe)
    if grep -q '^migrate exited' <<< "$states" && ! grep -q '^migrate .*Exited (0)' <<< "$states"; then
      echo "the migrate job failed:"; "${COMPOSE[@]}" logs --no-color migrate | tail -30; return 1
    fi
    if [ $SECONDS -ge $deadline ]; then echo "not healthy in time:"; echo "$bad"; return 1; fi
    sleep 2
  done
}
wait_healthy 300
log "all $(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter health=healthy | wc -l) long-running containers healthy"

phase "smoke"
# a CLI run is one short process with a 5 s connect timeout: on a loaded machine its first
# connection can time out (seen once: "Connection terminated due to connection timeout"), so
# each is tried up to 5 times (seed-demo is an upsert; a retried key creation only adds a key)
cli() {
  local n out
  for n in 1 2 3 4 5; do
    if out=$("${COMPOSE[@]}" exec -T gateway /app/dist/entrypoint.sh hub-cli "$@" 2>&1); then printf '%s\n' "$out"; return 0; fi
    log "hub-cli $1 failed (attempt $n): $(printf '%s' "$out" | grep -m1 -E '^[A-Za-z]*Error' || printf '%s' "$out" | tail -1)"
    sleep 3
  done
  return 1
}
cli seed-demo >/dev/null
HUB_API_KEY=$(cli keys create --scopes events:write,admin:read --name docker-ci | awk '$1 == "key" { print $2 }')
[ -n "$HUB_API_KEY" ] || { echo "could not create an API key"; exit 1; }
smoke() {
  docker run --rm --network host -e HUB_API_KEY="$HUB_API_KEY" -e SMOKE_RUN="$SMOKE_RUN" \
    -e KAFKA_BROKERS=127.0.0.1:19092,127.0.0.1:19192,127.0.0.1:19292 \
    -v "$HUB_ROOT/scripts/docker/smoke.mjs:/app/dist/smoke.mjs:ro" notification-hub:local node /app/dist/smoke.mjs "$@"
}
SMOKE_RUN=$(date +%s)
smoke smoke

phase "restart"
victim=sms-adapter
cid=$("${COMPOSE[@]}" ps -q "$victim")
restarts_before=$(docker inspect -f '{{.RestartCount}}' "$cid")
sends() { local n; n=$(curl -sf -m 5 "http://127.0.0.1:14010/__sandbox/sends?limit=0" | sed -n 's/.*"count":\([0-9]*\).*/\1/p' || true); echo "${n:-0}"; }
before=$(sends)
# the burst goes on while the adapter is killed and restarted
smoke burst 30 & burst_pid=$!
deadline=$(( SECONDS + 60 ))
until [ "$(( $(sends) - before ))" -ge 5 ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
pid=$(docker inspect -f '{{.State.Pid}}' "$cid")
log "kill -9 of the $victim container's process (host pid $pid) after $(( $(sends) - before )) of the 30 SMS were sent"
kill -9 "$pid"
wait "$burst_pid"
deadline=$(( SECONDS + 90 ))
until [ "$(docker inspect -f '{{.RestartCount}}' "$cid")" -gt "$restarts_before" ] && [ "$(docker inspect -f '{{.State.Health.Status}}' "$cid")" = healthy ]; do
  [ $SECONDS -ge $deadline ] && { echo "$victim was not restarted and healthy within 90 s: $(docker inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.Health.Status}}' "$cid")"; exit 1; }
  sleep 1
done
log "$victim restarted by its restart policy (restart count $(docker inspect -f '{{.RestartCount}}' "$cid")) and healthy again"
smoke verify 30

phase "testcontainers"
# The integration harness with Kafka and PostgreSQL in containers started by testcontainers
# (HUB_TEST_INFRA=containers; packages/testkit/src/containers.ts): the end-to-end test file,
# on the local stand-in images (nothing can be pulled here; a normal machine pulls the
# official ones). The compose stack goes first: two Kafka set-ups at once do not fit in 2 cores.
"${COMPOSE[@]}" down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
HUB_TEST_INFRA=containers HUB_TEST_IMAGE_PULL=never \
  HUB_TEST_POSTGRES_IMAGE=local/postgres:15 HUB_TEST_KAFKA_IMAGE=local/kafka:3.9.1 \
  TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost \
  npx vitest run --project integration test/e2e.int.test.ts
left=$(docker ps -aq | wc -l)
[ "$left" = 0 ] || { echo "testcontainers left $left containers behind"; docker ps -a; exit 1; }

phase "done"
echo "== docker: passed (image $(docker image inspect notification-hub:local --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'), $(( SECONDS - t0 )) s)"
