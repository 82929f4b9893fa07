"""Gunicorn settings for both services.

    gunicorn -c deploy/gunicorn.conf.py 'panda_portal:create_app()'
    gunicorn -c deploy/gunicorn.conf.py 'support_community:create_app()'

Read from the environment: the settings declared in ``shared.settings.DEPLOY`` (PORT,
WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_GRACEFUL_TIMEOUT,
GUNICORN_MAX_REQUESTS, FORWARDED_ALLOW_IPS) and LOG_LEVEL; the README's configuration
table describes each. Behind a load balancer set FORWARDED_ALLOW_IPS to the proxy's
address or network, or "*" when only the proxy can reach the pods (Kubernetes, compose).
Gunicorn then reports https to the app; the client's address (X-Forwarded-For) still
needs ProxyFix in the app (PROXY_FIX_HOPS) for per-address rate limits.

Both services keep no state in the process (sessions, rate limits with REDIS_URL, and the
outbox live in the databases), so any number of workers and instances can run side by side.
"""

import multiprocessing
import os

from shared.settings import DEPLOY, LOG_LEVEL, read

settings = read((*DEPLOY, LOG_LEVEL))

bind = f"0.0.0.0:{settings['PORT']}"
workers = settings["WEB_CONCURRENCY"] or min(multiprocessing.cpu_count() * 2 + 1, 8)
worker_class = "gthread"
threads = settings["GUNICORN_THREADS"]
timeout = settings["GUNICORN_TIMEOUT"]
graceful_timeout = settings["GUNICORN_GRACEFUL_TIMEOUT"]
# Longer than a typical load balancer's idle timeout, so it closes idle connections first.
keepalive = 75

forwarded_allow_ips = settings["FORWARDED_ALLOW_IPS"]

accesslog = "-"
errorlog = "-"
loglevel = settings["LOG_LEVEL"].lower()

# An accountant's access token lists every client organization (thousands, hundreds of
# kB) and travels in the Authorization header to /userinfo: allow large header fields.
limit_request_field_size = 2 * 1024 * 1024
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Replacing workers now and then bounds the effect of any slow leak.
max_requests = settings["GUNICORN_MAX_REQUESTS"]
max_requests_jitter = max_requests // 10

# The heartbeat file on a RAM disk: container overlay filesystems can stall it.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Several masters may run as one user (Panda and the community in development); the
# optional control socket would make them compete for one path.
control_socket_disable = True
