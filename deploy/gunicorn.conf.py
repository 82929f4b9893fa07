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

Logs: gunicorn's own lines in the services' format (LOG_FORMAT: JSON in production); the app
writes one line per request with its duration, so gunicorn's access log is off. Metrics: the
workers count in PROMETHEUS_MULTIPROC_DIR (a new temporary folder unless set; emptied here at
start, a finished worker's live gauges dropped), read at /metrics.
"""

import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

from shared.settings import DEPLOY, LOG_LEVEL, read

settings = read((*DEPLOY, LOG_LEVEL))


def _service_from_arguments() -> str:
    """The app gunicorn was asked to serve (``panda_portal:create_app()`` gives ``panda_portal``)."""
    for argument in reversed(sys.argv[1:]):
        if ":" in argument and not argument.startswith("-"):
            return argument.split(":", 1)[0].split(".")[0]
    return "gunicorn"


def _fresh_metrics_folder() -> str:
    """Every process of this instance counts here; what a previous run left is removed first."""
    folder = settings["PROMETHEUS_MULTIPROC_DIR"] or tempfile.mkdtemp(prefix="metrics-")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for leftover in path.iterdir():
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    # Read by prometheus_client when the workers import it: set before they are forked.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder


metrics_folder = _fresh_metrics_folder()


def available_cpus() -> int:
    """The CPUs this server may use: its container's CPU limit when it has one, else the CPUs it may run on.

    Not ``os.cpu_count()``: in a container that is the node's count, whatever the limit.
    """
    limits = (
        ("/sys/fs/cgroup/cpu.max", None),  # cgroup v2: "<quota> <period>", or "max <period>"
        ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"),  # cgroup v1
    )
    for quota_file, period_file in limits:
        try:
            values = Path(quota_file).read_text().split()
            if period_file:
                values.append(Path(period_file).read_text().strip())
            quota, period = values[0], int(values[1])
            if quota not in ("max", "-1") and period > 0:
                return max(1, math.ceil(int(quota) / period))
        except (OSError, ValueError, IndexError):
            continue
    return len(os.sched_getaffinity(0))


bind = f"0.0.0.0:{settings['PORT']}"
# One worker per CPU (at least two, so one serves while the other is replaced). A worker
# hashes one password at a time (panda_portal/accounts/passwords.py), so under a burst of
# sign-ins each CPU works on one hash while the other requests still get through; more
# workers than CPUs only made the hashes share the CPUs and the token endpoint wait, at
# about 120 MiB per worker (bench/README.md, "Sign-in bursts").
workers = settings["WEB_CONCURRENCY"] or min(max(available_cpus(), 2), 8)
worker_class = "gthread"
threads = settings["GUNICORN_THREADS"]
timeout = settings["GUNICORN_TIMEOUT"]
graceful_timeout = settings["GUNICORN_GRACEFUL_TIMEOUT"]
# Longer than a typical load balancer's idle timeout, so it closes idle connections first.
keepalive = 75

forwarded_allow_ips = settings["FORWARDED_ALLOW_IPS"]

# The app logs every request (method, path without the query, status, duration, request id).
accesslog = None
errorlog = "-"
loglevel = settings["LOG_LEVEL"].lower()
logconfig_dict = {}  # filled in below, once the services' log format is known

# An accountant's access token lists every client organization (thousands, hundreds of
# kB) and travels in the Authorization header to /userinfo: allow large header fields.
limit_request_field_size = 2 * 1024 * 1024
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Replacing workers now and then bounds the effect of any slow leak. A new worker costs
# about a second of CPU (imports, the app, then cold caches: the first token requests are
# 10 to 50 times slower), and while it starts its share of the requests waits; the workers
# of an instance start together and share the requests evenly, so a jitter of a tenth let
# them reach the limit within seconds of each other. Half the limit spreads them out: one
# worker at a time is replaced (bench/README.md, "Token endpoint and sign-in per core").
max_requests = settings["GUNICORN_MAX_REQUESTS"]
max_requests_jitter = max_requests // 2

# The heartbeat file on a RAM disk: container overlay filesystems can stall it.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Several masters may run as one user (Panda and the community in development); the
# optional control socket would make them compete for one path.
control_socket_disable = True


def _logging() -> dict:
    from shared.logs import gunicorn_logconfig, set_process_context

    set_process_context(service=_service_from_arguments(), instance=settings["INSTANCE_NAME"])
    return gunicorn_logconfig(settings["LOG_FORMAT"], settings["LOG_LEVEL"])


logconfig_dict = _logging()


def child_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook
    from shared.metrics import forget_process

    forget_process(worker.pid)
