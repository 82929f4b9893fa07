#!/bin/sh
# The container's entry point.
#
#   entrypoint.sh panda              migrate Panda's database, then serve Panda with gunicorn
#   entrypoint.sh community          migrate the community's database, then serve it
#   entrypoint.sh panda-worker       migrate, then run Panda's outbox worker (mail, back-channel)
#   entrypoint.sh community-worker   migrate, then run the community's outbox worker (mail)
#   entrypoint.sh community-mail     migrate, then read replies to case mails from the IMAP mailbox
#   entrypoint.sh panda-migrate      only migrate Panda's database (a one-off job)
#   entrypoint.sh community-migrate  only migrate the community's database (a one-off job)
#   entrypoint.sh panda ARGS...      the command line, e.g. `panda users add ...`
#   entrypoint.sh COMMAND [ARGS...]  run anything else
#
# MIGRATE_ON_START=0 skips the migration before serving or working: set it where a
# separate job migrates (docker compose and Kubernetes do), so that several replicas
# starting at once do not race to upgrade the same schema. Extra gunicorn options go in
# GUNICORN_CMD_ARGS.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
GUNICORN_CONFIG="${GUNICORN_CONFIG:-$here/gunicorn.conf.py}"

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
}

migrate() {
  if [ "${MIGRATE_ON_START:-1}" = "1" ]; then
    echo "entrypoint: migrating the $1 database" >&2
    "$1" db upgrade
  fi
}

role="${1:-}"
if [ $# -gt 0 ]; then shift; fi

case "$role" in
  panda | community)
    if [ $# -gt 0 ]; then
      exec "$role" "$@"
    fi
    migrate "$role"
    if [ "$role" = panda ]; then app="panda_portal:create_app()"; else app="support_community:create_app()"; fi
    exec gunicorn --config "$GUNICORN_CONFIG" "$app" ;;
  panda-worker)
    migrate panda
    exec panda outbox work "$@" ;;
  community-worker)
    migrate community
    exec community outbox work "$@" ;;
  community-mail)
    migrate community
    exec community mail fetch "$@" ;;
  panda-migrate)
    exec panda db upgrade "$@" ;;
  community-migrate)
    exec community db upgrade "$@" ;;
  "" | -h | --help | help)
    usage
    exit 64 ;;
  *)
    exec "$role" "$@" ;;
esac
