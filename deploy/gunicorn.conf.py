"""Gunicorn settings for both services.

    gunicorn -c deploy/gunicorn.conf.py 'panda_portal:create_app()'
    gunicorn -c deploy/gunicorn.conf.py 'support_community:create_app()'

Read from the environment:

PORT                       port to listen on, on every interface (default 8000)
WEB_CONCURRENCY            worker processes (default: 2 per CPU + 1, at most 8)
GUNICORN_THREADS           threads per worker (default 4)
GUNICORN_TIMEOUT           seconds a request may run before its worker is replaced (default 30)
GUNICORN_GRACEFUL_TIMEOUT  seconds given to requests in flight on SIGTERM (default 30)
GUNICORN_MAX_REQUESTS      requests after which a worker is replaced (default 5000)
FORWARDED_ALLOW_IPS        addresses of the reverse proxies whose X-Forwarded-Proto is trusted
                           (default 127.0.0.1,::1). Behind a load balancer set it to the
                           proxy's address or network, or "*" when only the proxy can reach
                           the pods (Kubernetes, compose). Gunicorn then reports https to the
                           app; the client's address (X-Forwarded-For) still needs ProxyFix
                           in the app for per-address rate limits.
LOG_LEVEL                  gunicorn's log level (default info)

Both services keep no state in the process (sessions, rate limits with REDIS_URL, and the
outbox live in the databases), so any number of workers and instances can run side by side.
"""
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = f"0.0.0.0:{_int('PORT', 8000)}"
workers = _int("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than a typical load balancer's idle timeout, so it closes idle connections first.
keepalive = 75

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# An accountant's access token lists every client organization (thousands, hundreds of
# kB) and travels in the Authorization header to /userinfo: allow large header fields.
limit_request_field_size = 2 * 1024 * 1024
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Replacing workers now and then bounds the effect of any slow leak.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10

# The heartbeat file on a RAM disk: container overlay filesystems can stall it.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Several masters may run as one user (Panda and the community in development); the
# optional control socket would make them compete for one path.
control_socket_disable = True
