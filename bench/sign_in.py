"""Benchmark: a burst of password sign-ins through the OpenID flow, with token refreshes alongside.

    .venv/bin/python bench/sign_in.py
    .venv/bin/python bench/sign_in.py --pin --concurrency 8 --orgs 2         # per core (taskset)
    .venv/bin/python bench/sign_in.py --pin --concurrency 8 --orgs 2000 --accounts 8
    .venv/bin/python bench/sign_in.py --sign-ins 600 --concurrency 32 --workers 3 --threads 4
    .venv/bin/python bench/sign_in.py --profile 100 --orgs 2              # each step in process, cProfile
    PANDA_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_panda .venv/bin/python bench/sign_in.py

Prepares its own data (a fresh SQLite file, or the PostgreSQL database PANDA_DATABASE_URL
names, emptied first): accounts that are members of an organization with the Support
Community access, and a confidential OpenID client that requires that access, as the
community is registered. Then starts Panda with gunicorn and ``deploy/gunicorn.conf.py``
on a free 127.0.0.1 port (WEB_CONCURRENCY and GUNICORN_THREADS as --workers/--threads
give them, else the deploy defaults), warms it up, and runs

- the burst: --sign-ins full password sign-ins, --concurrency at a time, each one a new
  browser doing what a person signing in to the community does: /authorize (sent to sign
  in), the sign-in page, the credentials, /authorize again (the code), then what the
  community does with the code: /token and /userinfo;
- alongside, --refreshers clients refreshing their tokens at /token in a loop, as relying
  parties do all day.

With --pin, one gunicorn worker (unless --workers) is pinned to CPU 0 with taskset and
this load generator runs on CPU 1: figures per core. Before the burst it counts the SQL
statements of each step of one sign-in (in process) and measures the ceiling: argon2id
verifications per second with Panda's parameters, one at a time, on the server's core.

With --profile N, no server and no burst: N sign-ins run in process (Flask's test client),
each step timed (the CPU time of the request's thread, so not the hash, and the wall time),
then N more under cProfile, one profile per step: own time by package and the costliest
functions (--profile-top, --profile-sort). Then the SQL statements of each step.

Every call waits at most --timeout seconds (the community's OIDC_HTTP_TIMEOUT): a slower
answer counts as an error, as it would in the community. Prints sign-ins per second, p50
and p99 of each step, the errors, and the resident memory (VmRSS, and the peak VmHWM) of
every gunicorn worker after the burst. Stops by itself: the burst ends after --sign-ins
or --max-seconds, whichever comes first, and gunicorn is stopped.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

from postgres import ensure_database  # noqa: E402

GUNICORN_CONFIG = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
HOST = "127.0.0.1"
CLIENT_ID = "bench-community"
# Never opened: the code is read from the redirect, as the community's callback would.
REDIRECT_URI = f"http://{HOST}:9/auth/callback"


def authorization_query(verifier: str) -> str:
    """The query of an authorization request as the community sends it (PKCE S256, fresh state and nonce)."""
    return urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile email orgs",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode(),
            "code_challenge_method": "S256",
        }
    )


PASSWORD = "a long bench password that nobody uses"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


# -- the data -------------------------------------------------------------------------------
def prepare(database_url: str, instance: str, accounts: int, orgs: int = 1) -> str:
    """Accounts, members of ``orgs`` organizations with the community's access, and the client; returns its secret."""
    os.environ["APP_ENV"] = "testing"
    os.environ["INSTANCE_PATH"] = instance
    from sqlalchemy import insert

    from panda_portal import create_app
    from panda_portal.accounts.models import Account
    from panda_portal.accounts.passwords import hash_password
    from panda_portal.extensions import db
    from panda_portal.oidc import keys
    from panda_portal.oidc.services import register_client
    from panda_portal.organizations.demo_data import ensure_applications
    from panda_portal.organizations.models import ApplicationGrant, Membership, MembershipStatus, Organization, Role
    from shared.database import new_uuid, utcnow

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "PANDA_ISSUER": "http://panda.bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_applications()
        stored = hash_password(PASSWORD)  # one hash for everyone: preparing should not take minutes
        now = utcnow()
        organizations = []
        for n in range(orgs):
            stem = f"0{3000000 + n:07d}"
            organizations.append(
                {
                    "id": new_uuid(),
                    "name": f"Bench Client {n:05d} BV",
                    "customer_number": f"B{n:06d}",
                    "enterprise_number": f"{stem}{97 - int(stem) % 97:02d}",
                    "created_at": now,
                }
            )
        db.session.execute(insert(Organization), organizations)
        for n in range(accounts):
            account = Account(
                email=f"person{n}@bench.example",
                name=f"Bench Person {n}",
                language="en",
                password_hash=stored,
                password_changed_at=now,
                email_verified_at=now,
            )
            db.session.add(account)
            db.session.flush()
            memberships = [
                {
                    "id": new_uuid(),
                    "organization_id": organization["id"],
                    "account_id": account.id,
                    "role": Role.MEMBER,
                    "status": MembershipStatus.ACTIVE,
                    "active_since": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for organization in organizations
            ]
            db.session.execute(insert(Membership), memberships)
            db.session.execute(
                insert(ApplicationGrant),
                [
                    {"membership_id": m["id"], "application_key": "support_community", "granted_at": now}
                    for m in memberships
                ],
            )
        _client, secret = register_client(CLIENT_ID, [REDIRECT_URI], requires_grant="support_community")
        keys.active_key()  # made once here, not by two workers racing on the first token
        db.session.commit()
        db.engine.dispose()
    assert secret is not None
    return secret


def argon2_ceiling(seconds: float, cpu: int | None) -> float:
    """Argon2id verifications per second with Panda's parameters, on one core (``cpu`` when given)."""
    from panda_portal.accounts.passwords import hasher

    stored = hasher.hash(PASSWORD)
    previous = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            hasher.verify(stored, PASSWORD)
            done += 1
        return done / (time.perf_counter() - started)
    finally:
        os.sched_setaffinity(0, previous)


def in_process_app(database_url: str):  # noqa: ANN201
    """Panda in this process (Flask's test client): no limits in the way, no request log lines."""
    import logging

    from panda_portal import create_app

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench",
            "PANDA_ISSUER": "http://panda.bench",
            "RATELIMIT_ENABLED": False,
        }
    )
    for name in ("shared.requests", "panda_portal.accounts.services.history"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return app


def sign_in_in_process(app, secret: str, email: str, step) -> None:  # noqa: ANN001
    """One full sign-in through ``app``'s test client, each request made through ``step(name, call, ...)``."""
    server = app.test_client()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()}
    verifier = secrets.token_urlsafe(48)
    authorize = "/authorize?" + authorization_query(verifier)
    browser = app.test_client()
    sent = step("authorize (not signed in)", browser.get, authorize)
    page = step("sign-in page", browser.get, sent.headers["Location"])
    token = CSRF.search(page.get_data(as_text=True))
    assert token is not None
    form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": authorize}
    signed_in = step("sign-in (credentials)", browser.post, "/sign-in", data=form)
    assert signed_in.status_code == 302, signed_in.status_code
    back = step("authorize (code)", browser.get, authorize)
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    tokens = step("token (code)", server.post, "/token", data=exchange, headers=auth).json
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    step("userinfo", server.get, "/userinfo", headers=bearer)
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    step("token (refresh)", server.post, "/token", data=refresh, headers=auth)


def statements_per_step(database_url: str, secret: str) -> dict[str, int]:
    """The SQL statements of each step of one sign-in, counted in process (Flask's test client)."""
    from sqlalchemy import event

    from panda_portal.extensions import db

    app = in_process_app(database_url)
    with app.app_context():
        engine = db.engine
    counts: dict[str, int] = {}
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202
        statements.append(statement)

    def step(name: str, call, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = call(*args, **kwargs)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts[name] = len(statements)
        return response

    for _ in range(2):  # the second sign-in is counted: the key is read, the version row exists
        sign_in_in_process(app, secret, "person0@bench.example", step)
    engine.dispose()
    return counts


# Own time (cProfile's tottime) of a step, grouped by where the code lives.
PACKAGES = (
    ("argon2", "argon2 (waiting for the hashing thread included)"),
    ("method 'acquire' of", "waiting (locks: the hashing thread's result)"),
    ("method 'wait' of", "waiting (locks: the hashing thread's result)"),
    ("method 'commit' of", "database commit (fsync on SQLite)"),
    ("method 'execute' of", "database driver: executing statements"),
    ("psycopg", "database driver: executing statements"),
    ("sqlalchemy", "SQLAlchemy (Core and ORM)"),
    ("authlib", "Authlib"),
    ("joserfc", "joserfc and RSA signing"),
    ("cryptography", "joserfc and RSA signing"),
    ("method 'sign' of", "joserfc and RSA signing"),
    ("jinja2", "Jinja2 (templates)"),
    ("/templates/", "Jinja2 (templates)"),
    ("babel", "Babel and flask-babel"),
    ("wtforms", "WTForms and Flask-WTF"),
    ("flask_wtf", "WTForms and Flask-WTF"),
    ("flask_limiter", "Flask-Limiter"),
    ("limits", "Flask-Limiter"),
    ("werkzeug", "Flask and Werkzeug"),
    ("flask", "Flask and Werkzeug"),
    ("ua_parser", "ua-parser"),
    ("/panda_portal/", "Panda (panda_portal)"),
    ("/shared/", "shared/ (logs, metrics, sessions, headers, i18n)"),
    ("prometheus_client", "shared/ (logs, metrics, sessions, headers, i18n)"),
    ("json", "JSON"),
    ("logging", "logging"),
)


def by_package(stats) -> dict[str, float]:  # noqa: ANN001
    groups: dict[str, float] = {}
    for (filename, _line, function), row in stats.stats.items():
        where = f"{filename} {function}"
        group = next((name for marker, name in PACKAGES if marker in where), "Python and the rest")
        groups[group] = groups.get(group, 0.0) + row[2]
    return groups


def profile_steps(
    database_url: str, secret: str, sign_ins: int, accounts: int, top: int, sort: str = "tottime"
) -> None:
    """Each step of ``sign_ins`` sign-ins in process: its CPU time without the profiler (the request's
    own thread, so not the hash, which runs on the hashing thread) and its wall time, then a
    cProfile of each step over a second round: own time by package and the costliest functions."""
    import cProfile
    import io
    import pstats
    from statistics import median

    from panda_portal.extensions import db

    app = in_process_app(database_url)
    for n in range(3):  # warm: templates compiled, key read, statement caches filled
        sign_in_in_process(app, secret, f"person{n % accounts}@bench.example", lambda _n, call, *a, **k: call(*a, **k))
    cpu: dict[str, list[float]] = defaultdict(list)
    wall: dict[str, list[float]] = defaultdict(list)

    def timed(name: str, call, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        cpu_started, wall_started = time.thread_time(), time.perf_counter()
        response = call(*args, **kwargs)
        wall[name].append((time.perf_counter() - wall_started) * 1000)
        cpu[name].append((time.thread_time() - cpu_started) * 1000)
        return response

    for n in range(sign_ins):
        sign_in_in_process(app, secret, f"person{n % accounts}@bench.example", timed)
    profilers: dict[str, cProfile.Profile] = defaultdict(cProfile.Profile)

    def profiled(name: str, call, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        profiler = profilers[name]
        profiler.enable()
        try:
            return call(*args, **kwargs)
        finally:
            profiler.disable()

    for n in range(sign_ins):
        sign_in_in_process(app, secret, f"person{n % accounts}@bench.example", profiled)
    with app.app_context():
        db.engine.dispose()

    print(f"-- each step of {sign_ins} sign-ins in process (no HTTP server, no profiler), median ms")
    print(f"   {'step':28} {'CPU (request thread)':>21} {'wall':>8}")
    for name in cpu:
        print(f"   {name:28} {median(cpu[name]):21.2f} {median(wall[name]):8.2f}")
    total_cpu = sum(median(values) for name, values in cpu.items() if name != "token (refresh)")
    print(f"   {'a sign-in (the first six)':28} {total_cpu:21.2f}")
    for name, profiler in profilers.items():
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        total = sum(row[2] for row in stats.stats.values()) or 1.0
        print(f"-- cProfile of '{name}', {sign_ins} requests: own time by package (ms per request)")
        for group, seconds in sorted(by_package(stats).items(), key=lambda item: -item[1]):
            if seconds / total >= 0.01:
                print(f"   {group:50} {seconds / sign_ins * 1000:7.2f} {seconds / total:5.0%}")
        if top:
            stats.sort_stats(sort).print_stats(top)
            lines = [line for line in out.getvalue().splitlines() if line.strip()]
            start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
            print("\n".join("   " + line for line in lines[start : start + top + 1]))


# -- gunicorn -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def pinned(argv: list[str], cpus: str | None) -> list[str]:
    """``argv`` run on the CPUs ``cpus`` names (``taskset -c``), when taskset is there and cpus are given."""
    if cpus and shutil.which("taskset"):
        return ["taskset", "-c", cpus, *argv]
    return argv


def start_panda(
    args: argparse.Namespace,
    database_url: str,
    instance: str,
    port: int,
    log: Path,
    *,
    app: str = "panda_portal:create_app()",
    cpus: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Gunicorn with ``deploy/gunicorn.conf.py`` serving ``app`` on ``port`` (on ``cpus`` when given)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PANDA_", "COMMUNITY_", "MAIL_", "GUNICORN_", "REDIS_", "WEB_CONCURRENCY"))
    }
    env.update(
        APP_ENV="development",
        INSTANCE_PATH=instance,
        PANDA_DATABASE_URL=database_url,
        PANDA_SECRET_KEY=secrets.token_urlsafe(48),
        PANDA_ISSUER=f"http://{HOST}:{port}",
        COMMUNITY_URL=f"http://{HOST}:9",
        MAIL_SERVER=HOST,
        MAIL_PORT="9",
        PORT=str(port),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    env.update(extra_env or {})
    argv = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), "--bind", f"{HOST}:{port}"]
    if getattr(args, "worker_class", None):
        argv += ["--worker-class", args.worker_class]
    argv = pinned([*argv, app], cpus)
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start-up:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"http://{HOST}:{port}/healthz", timeout=2).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_panda(process)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop_panda(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own process group (start_new_session)
        process.wait(timeout=10)


def workers_of(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", status, re.MULTILINE):
            found.append(int(entry.name))
    return sorted(found)


def cpu_seconds_of(pid: int) -> float:
    """CPU time (user and system, every thread) ``pid`` has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_of(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (the peak) of ``pid``, in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = {}
    for key in ("VmRSS", "VmHWM"):
        match = re.search(rf"^{key}:\s+(\d+) kB$", status, re.MULTILINE)
        values[key] = int(match.group(1)) / 1024 if match else float("nan")
    return values["VmRSS"], values["VmHWM"]


# -- the load -------------------------------------------------------------------------------
@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def time(self, step: str, seconds: float) -> None:
        with self.lock:
            self.timings[step].append(seconds * 1000)

    def fail(self, step: str, why: str) -> None:
        with self.lock:
            self.errors[f"{step}: {why}"] += 1


class StepFailed(Exception):
    def __init__(self, step: str, why: str) -> None:
        super().__init__(f"{step}: {why}")
        self.step, self.why = step, why


class Relying:
    """What the community does: the authorization request, the code exchange, the userinfo call."""

    def __init__(self, base: str, secret: str, timeout: float, results: Results) -> None:
        self.base, self.timeout, self.results = base, timeout, results
        self.auth = "Basic " + base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()

    def call(self, step: str, http: requests.Session, method: str, path: str, expect: int, **kwargs):
        started = time.perf_counter()
        try:
            response = http.request(method, self.base + path, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.Timeout:
            raise StepFailed(step, f"no answer within {self.timeout:g} s") from None
        except requests.RequestException as error:
            raise StepFailed(step, type(error).__name__) from None
        self.results.time(step, time.perf_counter() - started)
        if response.status_code != expect:
            raise StepFailed(step, f"HTTP {response.status_code}")
        return response

    def sign_in(self, email: str) -> dict:
        """One person's full sign-in; returns the tokens."""
        http = requests.Session()
        verifier = secrets.token_urlsafe(48)
        query = authorization_query(verifier)
        authorize = f"/authorize?{query}"
        sent = self.call("authorize (not signed in)", http, "GET", authorize, 302)
        sign_in_page = urlsplit(sent.headers["Location"])
        page = self.call("sign-in page", http, "GET", f"{sign_in_page.path}?{sign_in_page.query}", 200)
        token = CSRF.search(page.text)
        if token is None:
            raise StepFailed("sign-in page", "no CSRF token")
        form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": authorize}
        self.call("sign-in (credentials)", http, "POST", "/sign-in", 302, data=form)
        back = self.call("authorize (code)", http, "GET", authorize, 302)
        code = parse_qs(urlsplit(back.headers["Location"]).query).get("code")
        if not code:
            raise StepFailed("authorize (code)", "no code")
        exchange = {
            "grant_type": "authorization_code",
            "code": code[0],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        }
        tokens = self.call(
            "token (code)", http, "POST", "/token", 200, data=exchange, headers={"Authorization": self.auth}
        )
        body = tokens.json()
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        self.call("userinfo", http, "GET", "/userinfo", 200, headers=bearer)
        return body

    def refresh(self, http: requests.Session, refresh_token: str) -> str:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        response = self.call(
            "token (refresh)", http, "POST", "/token", 200, data=data, headers={"Authorization": self.auth}
        )
        return response.json()["refresh_token"]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sign-ins", type=int, default=300, help="sign-ins in the burst (default 300)")
    parser.add_argument("--concurrency", type=int, default=16, help="sign-ins under way at once (default 16)")
    parser.add_argument("--refreshers", type=int, default=4, help="clients refreshing tokens alongside (default 4)")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: the declared default)")
    parser.add_argument("--accounts", type=int, default=50, help="accounts the sign-ins take turns with")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds a call may take (the community's 5)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="the burst stops after this (default 120)")
    parser.add_argument("--orgs", type=int, default=1, help="organizations each account acts for (default 1)")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="per core: one worker (unless --workers) pinned to CPU 0 with taskset, this load generator on CPU 1",
    )
    parser.add_argument("--worker-class", default=None, help="gunicorn worker class (default: deploy's gthread)")
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=100,
        default=0,
        metavar="N",
        help="instead of the burst: N sign-ins (100) in process, each step's CPU time and a cProfile of each step",
    )
    parser.add_argument("--profile-top", type=int, default=12, help="functions listed per step with --profile")
    parser.add_argument(
        "--profile-sort", default="tottime", choices=("tottime", "cumulative"), help="how --profile lists functions"
    )
    args = parser.parse_args()
    if not 1 <= args.orgs <= 5000:
        parser.error("keep --orgs within 1..5000")
    if not 0 <= args.profile <= 5000:
        parser.error("keep --profile within 1..5000")
    pinning = args.pin and bool(shutil.which("taskset")) and (os.cpu_count() or 1) >= 2
    if args.pin and not pinning:
        print("--pin: no taskset or a single CPU here; the server is not pinned")
    if pinning:
        args.workers = args.workers or 1
        os.sched_setaffinity(0, {1})
    if not 1 <= args.sign_ins <= 20_000 or not 1 <= args.concurrency <= 256 or not 0 <= args.refreshers <= 64:
        parser.error("keep --sign-ins within 1..20000, --concurrency within 1..256, --refreshers within 0..64")
    if not 1 <= args.max_seconds <= 600 or not 0.1 <= args.timeout <= 60:
        parser.error("keep --max-seconds within 1..600 and --timeout within 0.1..60")

    instance = tempfile.mkdtemp(prefix="panda-bench-sign-in-")
    database_url = ensure_database(os.environ.get("PANDA_DATABASE_URL") or f"sqlite:///{instance}/panda.db")
    process = None
    try:
        secret = prepare(database_url, instance, args.accounts, args.orgs)
        if args.profile:
            if pinning:
                os.sched_setaffinity(0, {0})
            print(
                f"{args.orgs} organizations per person, database {database_url.split(':')[0]}, load average "
                f"{os.getloadavg()[0]:.1f}{', pinned to CPU 0' if pinning else ''}"
            )
            profile_steps(database_url, secret, args.profile, args.accounts, args.profile_top, args.profile_sort)
            counted = statements_per_step(database_url, secret)
            print(f"SQL statements per step (one sign-in, counted in process): {counted}")
            return
        statements = statements_per_step(database_url, secret)
        ceiling = argon2_ceiling(3.0, 0 if pinning else None)
        port = free_port()
        process = start_panda(
            args, database_url, instance, port, Path(instance) / "gunicorn.log", cpus="0" if pinning else None
        )
        run(args, process, f"http://{HOST}:{port}", secret, database_url)
        print(f"SQL statements per step (one sign-in, counted in process): {statements}")
        print(
            f"argon2id ceiling (one verification at a time, Panda's parameters"
            f"{', CPU 0' if pinning else ''}): {ceiling:.1f}/s; 75 % of it: {0.75 * ceiling:.1f}/s"
        )
    finally:
        if process is not None:
            stop_panda(process)
        shutil.rmtree(instance, ignore_errors=True)


def run(args: argparse.Namespace, process: subprocess.Popen, base: str, secret: str, database_url: str) -> None:
    results = Results()
    relying = Relying(base, secret, args.timeout, results)
    workers = workers_of(process.pid)

    # Warm-up: every worker has served a few sign-ins; the refreshers hold their first tokens.
    warm = Results()
    warm_relying = Relying(base, secret, 30.0, warm)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: warm_relying.sign_in(f"person{n % args.accounts}@bench.example"), range(8)))
        refresh_tokens = list(
            pool.map(
                lambda n: warm_relying.sign_in(f"person{n}@bench.example")["refresh_token"], range(args.refreshers)
            )
        )
    before = {pid: memory_of(pid) for pid in workers}
    cpu_before = {pid: cpu_seconds_of(pid) for pid in workers}
    load_before = os.getloadavg()[0]

    stop = threading.Event()
    deadline = time.monotonic() + args.max_seconds

    def refresher(token: str) -> None:
        http = requests.Session()
        while not stop.is_set():
            try:
                token = relying.refresh(http, token)
            except StepFailed as failure:
                results.fail(failure.step, failure.why)
                if failure.why.startswith("HTTP 4"):
                    return  # the token is gone (rotated by an answer that came too late): stop this client
                time.sleep(0.2)
            stop.wait(0.05)

    def one_sign_in(n: int) -> str:
        if time.monotonic() > deadline:
            return "not started"
        started = time.perf_counter()
        try:
            relying.sign_in(f"person{n % args.accounts}@bench.example")
        except StepFailed as failure:
            results.fail(failure.step, failure.why)
            return "failed"
        results.time("whole sign-in", time.perf_counter() - started)
        return "done"

    threads = [threading.Thread(target=refresher, args=(token,), daemon=True) for token in refresh_tokens]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        outcomes = list(pool.map(one_sign_in, range(args.sign_ins)))
    elapsed = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=args.timeout + 1)
    time.sleep(1.0)  # let the workers finish what the timed-out calls left them
    cpu_used = sum(cpu_seconds_of(pid) - cpu_before[pid] for pid in workers)
    after = {pid: memory_of(pid) for pid in workers_of(process.pid)}

    done = outcomes.count("done")
    print(
        f"Panda: gunicorn, {len(workers)} workers × {args.threads or 'default'} threads "
        f"(WEB_CONCURRENCY={args.workers or 'default'}, {args.worker_class or 'gthread'}), database "
        f"{database_url.split(':')[0]}, {args.orgs} organizations per person, {os.cpu_count()} CPUs "
        + (
            "(server pinned to CPU 0, this load generator on CPU 1)"
            if args.pin and os.sched_getaffinity(0) == {1}
            else "(shared with this load generator)"
        )
    )
    print(
        f"burst: {args.sign_ins} sign-ins, {args.concurrency} at a time, {args.refreshers} refreshing clients "
        f"alongside; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (other work skews it)"
    )
    print(
        f"  {done} signed in in {elapsed:.1f} s = {done / elapsed:.1f} sign-ins/s; "
        f"{outcomes.count('failed')} failed; {outcomes.count('not started')} not started (--max-seconds)"
    )
    print(f"{'step':28} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for step, samples in results.timings.items():
        print(
            f"{step:28} {len(samples):6d} {percentile(samples, 0.5):8.0f} {percentile(samples, 0.99):8.0f} "
            f"{max(samples):8.0f}"
        )
    refreshes = len(results.timings.get("token (refresh)", []))
    refresh_errors = sum(count for what, count in results.errors.items() if what.startswith("token (refresh)"))
    print(f"token refreshes: {refreshes} answered, {refresh_errors} errors")
    print("errors:" if results.errors else "errors: none")
    for what, count in sorted(results.errors.items()):
        print(f"  {count:5d}  {what}")
    print(f"{'worker':>8} {'RSS before MiB':>15} {'RSS after MiB':>14} {'peak MiB':>9}")
    for pid in sorted(set(before) | set(after)):
        rss_before = f"{before[pid][0]:.0f}" if pid in before else "-"
        rss_after, peak = after.get(pid, (float("nan"), float("nan")))
        print(f"{pid:8d} {rss_before:>15} {rss_after:14.0f} {peak:9.0f}")
    if set(after) != set(before):
        print("  (a worker was replaced during the run: GUNICORN_MAX_REQUESTS or a timeout)")
    master_rss, _peak = memory_of(process.pid)
    total = master_rss + sum(rss for rss, _peak in after.values())
    print(f"gunicorn master {master_rss:.0f} MiB; master and workers together {total:.0f} MiB")
    answered = sum(len(samples) for step, samples in results.timings.items() if step != "whole sign-in")
    if done:
        # Steadier than the rates when other work shares the core: what the workers spent, not when.
        print(
            f"CPU of the workers during the burst: {cpu_used:.1f} s = {cpu_used / done * 1000:.0f} ms per sign-in "
            f"(its hash and six requests, plus {refreshes / done:.1f} refreshes alongside); "
            f"{cpu_used / max(answered, 1) * 1000:.1f} ms per request on average, hashes included"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
