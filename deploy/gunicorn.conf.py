"""gunicorn's settings in production (docs/deployment.md explains each choice).

Started by deploy/systemd/ise-iga-dx.service as
``gunicorn --config deploy/gunicorn.conf.py``, behind nginx
(deploy/nginx/ise-iga-dx.conf); scripts/smoke_production.sh starts it the
same way and drives it through nginx.
"""

from __future__ import annotations

import os

wsgi_app = "ise_iga_dx.wsgi:application"

# systemd hands gunicorn the socket of deploy/systemd/ise-iga-dx.socket
# (only nginx's user may connect to it), and gunicorn then ignores this
# address; it is used when gunicorn is started by hand.
bind = ["unix:/run/ise-iga-dx.sock"]

# Sync workers, one request each. The app's requests are CPU-bound Python
# (docs/performance.md: about 40 ms of CPU a page), so threads would add no
# throughput under the GIL; nginx buffers slow clients' uploads and
# downloads, so a worker never waits on the network; and a sync worker's
# request is bounded by `timeout` below (a threaded worker's is not).
# 2 × cores + 1 (gunicorn's rule): 5 on the 2-core server. Each worker
# holds one database connection (CONN_MAX_AGE).
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * len(os.sched_getaffinity(0)) + 1))
worker_class = "sync"

# The longest request is the admin's import of actuals at its limit of
# 20,000 rows (KPI_IMPORT_MAX_ROWS). Its slowest valid form, every row
# changing a stored actual, took about 60 s to confirm through nginx until
# the writer stopped using bulk_update(); `make bench` now measures it at
# 3.9 s (preview) and 6.4 s (confirm) on PostgreSQL, new rows faster
# (docs/performance.md, docs/deployment.md). 60 s leaves several times
# that for a busier server; a request still running then is a fault, and
# gunicorn kills its worker (the import's transaction is rolled back:
# nothing of it is written). nginx waits longer (proxy_read_timeout 70s),
# so that gunicorn, not nginx, ends such a request, and a request nginx
# gave up on is never still writing.
timeout = 60
# On a restart or reload, a running import may finish (systemd's
# TimeoutStopSec is longer still).
graceful_timeout = 60

# A worker is replaced after about 1,000 requests: the memory an import of
# 20,000 rows takes is given back to the system.
max_requests = 1000
max_requests_jitter = 100

# Only nginx sets X-Forwarded-Proto (and overwrites what a client sent);
# gunicorn reads no other scheme header. Django reads the same header
# (BEHIND_TLS_PROXY=1).
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Logs to stdout and stderr, which systemd's journal keeps:
#   journalctl -u ise-iga-dx
# Django's own log (tracebacks of 500s) goes to stderr too (settings.LOGGING).
accesslog = "-"
errorlog = "-"
loglevel = "info"
# The client's address (X-Forwarded-For as nginx passes it: over the unix
# socket gunicorn sees no address), the request, status, bytes, time in ms.
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
proc_name = "ise-iga-dx"
