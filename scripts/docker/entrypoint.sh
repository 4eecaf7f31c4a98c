#!/bin/sh
# The image's entrypoint: the first argument (or $SERVICE) picks the program.
#   gateway | router | sms-adapter | email-adapter | status-ingest | scheduler (any services/<name>)
#   migrate          applies prisma/migrations, then creates the Kafka topics (one-shot job)
#   migrate-db | create-topics   either half alone
#   hub-cli ARGS...  operator commands (keys create/list/revoke, seed-demo, dlq ...)
#   twilio-sandbox | email-sandbox ARGS...   the local provider stand-ins
set -e
cmd="${1:-${SERVICE:-}}"
[ $# -gt 0 ] && shift
case "$cmd" in
  migrate-db)
    exec node --enable-source-maps /app/dist/migrate.mjs "$@" ;;
  migrate)
    node --enable-source-maps /app/dist/migrate.mjs
    # a cluster that just started may not have every broker registered yet (replication factor)
    n=0
    until node --enable-source-maps /app/dist/create-topics.mjs; do
      n=$((n + 1))
      [ "$n" -ge "${MIGRATE_TOPIC_ATTEMPTS:-30}" ] && exit 1
      echo "creating the topics failed (attempt $n); retrying in 3 s" >&2
      sleep 3
    done ;;
  "")
    echo "usage: <gateway|router|sms-adapter|email-adapter|status-ingest|scheduler|migrate|hub-cli ...> (or set SERVICE)" >&2; exit 2 ;;
  *)
    # a program of the image (every service, hub-cli, the sandboxes, create-topics) ...
    case "$cmd" in */*|*.*) ;; *) [ -f "/app/dist/$cmd.mjs" ] && exec node --enable-source-maps "/app/dist/$cmd.mjs" "$@" ;; esac
    # ... or any other command (sh, node -e ...)
    exec "$cmd" "$@" ;;
esac
