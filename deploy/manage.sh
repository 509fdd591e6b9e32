#!/bin/sh
# Run manage.py as the app server runs: as its user, in its directory, with
# its virtualenv and its environment file (deploy/systemd/ise-iga-dx.service).
# As root, for example:
#   /srv/ise-iga-dx/app/deploy/manage.sh migrate
#   /srv/ise-iga-dx/app/deploy/manage.sh createsuperuser
# The four variables below name a server laid out as docs/deployment.md
# says; scripts/smoke_production.sh sets them for its throw-away copy.
set -eu
APP_DIR=${APP_DIR:-/srv/ise-iga-dx/app}
VENV=${VENV:-/srv/ise-iga-dx/venv}
ENV_FILE=${ENV_FILE:-/etc/ise-iga-dx/env}
APP_USER=${APP_USER:-ise_iga_dx}

cd "$APP_DIR"
# The environment file is read by the app's user (it is not world-readable).
run='set -a; . "$1"; set +a; shift; exec "$@"'
if [ "$(id -u)" -eq 0 ]; then
  exec runuser -u "$APP_USER" -- /bin/sh -c "$run" sh "$ENV_FILE" "$VENV/bin/python" manage.py "$@"
fi
exec /bin/sh -c "$run" sh "$ENV_FILE" "$VENV/bin/python" manage.py "$@"
