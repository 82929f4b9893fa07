"""Benchmark: refresh grants per second on one core, beside the floor measured in the same run.

    .venv/bin/python bench/token_endpoint.py
    .venv/bin/python bench/token_endpoint.py --seconds 10 --repeat 3 --threads 4 --profile
    PANDA_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench18 .venv/bin/python bench/token_endpoint.py

Prepares its own data (a fresh SQLite file, or the PostgreSQL database PANDA_DATABASE_URL
names, emptied first): a person who is a member of 2 organizations and an accountant who
is a member of 2,000 (every membership with the Support Community access), a confidential
client that requires that access (as the community is registered), and --connections grants
(token families with a refresh token) for each of them.

Then, per round (--repeat rounds, in turn, so that noise from other work on the machine
shows as spread rather than as a difference):

- **floor**: ``bench/floor_app.py`` (a bare Flask app: one indexed read, one durable write)
  under gunicorn with ``deploy/gunicorn.conf.py``, and **one RS256 signature** with Panda's key;
- **refresh, 2 organizations** and **refresh, 2,000 organizations**: ``POST /token`` with
  ``grant_type=refresh_token`` against Panda under the same gunicorn settings, each client
  presenting the refresh token the previous answer gave it (rotation, reuse detection,
  an access token and an ID token each time).

The server is one gunicorn worker pinned to CPU 0 with ``taskset`` (where there is one), the
load generator (this process: --connections keep-alive connections, each on its own thread)
runs on CPU 1: figures are per core. Prints the machine, requests/s, p50/p99, the worker's
resident memory after each run, and the SQL statements of one refresh (counted in process).
``--profile`` adds a cProfile summary of --profile-refreshes refreshes in process.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import datetime as dt
import http.client
import io
import json
import logging
import os
import platform
import pstats
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

from postgres import ensure_database  # noqa: E402
from sign_in import HOST, free_port, memory_of, percentile, start_panda, stop_panda, workers_of  # noqa: E402

CLIENT_ID = "bench-refresh"
REDIRECT_URI = f"http://{HOST}:9/auth/callback"
SCOPE = "openid profile email orgs offline_access"
PEOPLE = {"2 orgs": ("small@bench.example", 2), "2,000 orgs": ("accountant@bench.example", 2000)}
SERVER_CPU, LOAD_CPU = 0, 1


# -- the machine ----------------------------------------------------------------------------
def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        total = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
        memory = f"{int(total.split()[1]) / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs ({model}), {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )


def can_pin() -> bool:
    return bool(shutil.which("taskset")) and (os.cpu_count() or 1) >= 2


# -- the data -------------------------------------------------------------------------------
def prepare(database_url: str, instance: str, connections: int) -> tuple[str, dict[str, list[str]]]:
    """The people, their organizations, the client and the grants; returns the secret and the refresh tokens."""
    os.environ["APP_ENV"] = "testing"
    os.environ["INSTANCE_PATH"] = instance
    from sqlalchemy import insert

    from panda_portal import create_app
    from panda_portal.accounts.models import Account
    from panda_portal.extensions import db
    from panda_portal.oidc import keys
    from panda_portal.oidc.models import RefreshToken, TokenFamily
    from panda_portal.oidc.services import register_client, token_hash
    from panda_portal.organizations.demo_data import ensure_applications
    from panda_portal.organizations.models import ApplicationGrant, Membership, MembershipStatus, Organization, Role
    from shared.database import new_uuid, utcnow

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "PANDA_ISSUER": "http://panda.bench"})
    refresh_tokens: dict[str, list[str]] = {}
    with app.app_context():
        db.drop_all()
        db.create_all()
        ensure_applications()
        client, secret = register_client(CLIENT_ID, [REDIRECT_URI], requires_grant="support_community")
        now = utcnow()
        serial = 0
        for label, (email, count) in PEOPLE.items():
            account = Account(email=email, name=label, language="en", email_verified_at=now, password_changed_at=now)
            db.session.add(account)
            db.session.flush()
            orgs, memberships, grants = [], [], []
            for _ in range(count):
                stem = f"0{3000000 + serial:07d}"
                org_id, membership_id = new_uuid(), new_uuid()
                orgs.append(
                    {
                        "id": org_id,
                        "name": f"Client {serial:05d} BV",
                        "customer_number": f"B{serial:06d}",
                        "enterprise_number": f"{stem}{97 - int(stem) % 97:02d}",
                        "created_at": now,
                    }
                )
                memberships.append(
                    {
                        "id": membership_id,
                        "organization_id": org_id,
                        "account_id": account.id,
                        "role": Role.MEMBER,
                        "status": MembershipStatus.ACTIVE,
                        "active_since": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                grants.append(
                    {"membership_id": membership_id, "application_key": "support_community", "granted_at": now}
                )
                serial += 1
            db.session.execute(insert(Organization), orgs)
            db.session.execute(insert(Membership), memberships)
            db.session.execute(insert(ApplicationGrant), grants)
            refresh_tokens[label] = []
            for _ in range(connections + 1):  # one more for the statement count
                family = TokenFamily(
                    client_pk=client.id, account_id=account.id, scope=SCOPE, auth_time=int(time.time()), created_at=now
                )
                db.session.add(family)
                db.session.flush()
                value = secrets.token_urlsafe(32)
                db.session.add(
                    RefreshToken(
                        family_id=family.id,
                        token_hash=token_hash(value),
                        created_at=now,
                        expires_at=now + dt.timedelta(days=30),
                    )
                )
                refresh_tokens[label].append(value)
        keys.active_key()
        db.session.commit()
        db.engine.dispose()
    assert secret is not None
    return secret, refresh_tokens


# -- in process: statements and profile -----------------------------------------------------
def in_process(database_url: str, secret: str, tokens: dict[str, str], profile_refreshes: int) -> dict[str, int]:
    """SQL statements of one refresh per person (and a cProfile summary when asked)."""
    from sqlalchemy import event

    from panda_portal import create_app
    from panda_portal.extensions import db

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench",
            "PANDA_ISSUER": "http://panda.bench",
            "RATELIMIT_ENABLED": False,
        }
    )
    auth = {"Authorization": "Basic " + base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()}
    logging.getLogger("shared.requests").setLevel(logging.WARNING)
    http = app.test_client()
    with app.app_context():
        engine = db.engine
    counts: dict[str, int] = {}
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202
        statements.append(statement)

    current = dict(tokens)

    def refresh(label: str) -> None:
        response = http.post(
            "/token", data={"grant_type": "refresh_token", "refresh_token": current[label]}, headers=auth
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        current[label] = response.json["refresh_token"]

    for label in current:
        refresh(label)  # warm: the key is parsed, the version row exists
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            refresh(label)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts[label] = len(statements)
        # CPU per refresh in process (Flask's test client instead of gunicorn and a socket): no other
        # request shares this process, so it shows the work itself even on a busy machine.
        cpu, repeats = time.process_time(), 200
        for _ in range(repeats):
            refresh(label)
        print(f"-- in process, {label}: {(time.process_time() - cpu) / repeats * 1000:.2f} ms of CPU per refresh")
        if os.environ.get("BENCH_SHOW_STATEMENTS"):
            print(f"-- statements of one refresh, {label}:")
            for statement in statements:
                print("   ", " ".join(statement.split())[:160])
    if profile_refreshes:
        for label in current:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(profile_refreshes):
                refresh(label)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            calls = sum(row[1] for row in stats.stats.values()) / profile_refreshes  # type: ignore[attr-defined]
            print(
                f"-- cProfile, {profile_refreshes} refreshes in process, {label}: {calls:.0f} function calls "
                "per refresh; own time by package"
            )
            total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
            for group, seconds in sorted(by_package(stats).items(), key=lambda item: -item[1]):
                print(f"   {group:42} {seconds / profile_refreshes * 1000:6.2f} ms/refresh {seconds / total:5.0%}")
            stats.sort_stats("cumulative").print_stats(25)
            print("\n".join(out.getvalue().splitlines()[:50]))
    engine.dispose()
    return counts


PACKAGES = (
    ("method 'sign' of", "RSA signing (cryptography)"),
    ("method 'commit' of", "database commit (fsync on SQLite)"),
    ("method 'execute' of", "database driver: executing statements"),
    ("psycopg", "database driver: executing statements"),
    ("sqlalchemy", "SQLAlchemy (Core and ORM)"),
    ("authlib", "Authlib"),
    ("joserfc", "joserfc (JWT encoding around the signature)"),
    ("cryptography", "RSA signing (cryptography)"),
    ("werkzeug", "Flask and Werkzeug"),
    ("flask", "Flask and Werkzeug"),
    ("/panda_portal/", "Panda (panda_portal)"),
    ("/shared/", "shared/ (logs, metrics, sessions, headers)"),
    ("prometheus_client", "shared/ (logs, metrics, sessions, headers)"),
    ("json", "JSON"),
    ("logging", "logging"),
)


def by_package(stats: pstats.Stats) -> dict[str, float]:
    """Own time (``tottime``) per package: where a request's time goes, without double counting."""
    groups: dict[str, float] = {}
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename} {function}"
        group = next((name for marker, name in PACKAGES if marker in where), "Python and the rest")
        groups[group] = groups.get(group, 0.0) + row[2]
    return groups


def rs256_per_second(database_url: str, seconds: float) -> tuple[float, float]:
    """One RS256 signature of a token-sized payload with Panda's key: ms each and per second, on SERVER_CPU."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    from panda_portal import create_app
    from panda_portal.extensions import db
    from panda_portal.oidc.models import SigningKey

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "PANDA_ISSUER": "http://panda.bench"})
    with app.app_context():
        row = db.session.query(SigningKey).first()
        assert row is not None
        key = RSAKey.import_key(row.private_jwk)
        kid, sub = row.kid, str(row.id)
        db.engine.dispose()
    claims = {"iss": "http://panda.bench", "sub": sub, "aud": CLIENT_ID, "iat": 1, "exp": 2, "jti": "x" * 32}
    if can_pin():
        os.sched_setaffinity(0, {SERVER_CPU})
    try:
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, key, algorithms=["RS256"])
            done += 1
        elapsed = time.perf_counter() - started
    finally:
        if can_pin():
            os.sched_setaffinity(0, {LOAD_CPU})
    return elapsed / done * 1000, done / elapsed


# -- the load -------------------------------------------------------------------------------
def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes ``pids`` used so far (``/proc/<pid>/stat``), 0 where unknown."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return total


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    cpu: float = 0.0  # CPU seconds the server's worker used while measured
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_ms(self) -> float:
        """The worker's CPU time per answered request (steadier than the rate on a shared machine)."""
        return self.cpu / len(self.latencies) * 1000 if self.latencies else float("nan")


def record_flame(pid: int, seconds: float, folder: Path, label: str, database_url: str) -> subprocess.Popen:
    """py-spy sampling the worker ``pid`` for ``seconds`` into ``folder/refresh-<people>-<database>.svg``."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    folder.mkdir(parents=True, exist_ok=True)
    name = f"refresh-{label.split()[0].replace(',', '')}-orgs-{database_url.split(':')[0].split('+')[0]}.svg"
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "250",
            "--nonblocking",
            "--gil",
        ]
        + ["--format", "flamegraph", "--output", str(folder / name)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


def drive(  # noqa: PLR0913
    port: int,
    path: str,
    bodies: list,
    headers: dict[str, str],
    seconds: float,
    next_body,
    workers: list[int],  # noqa: ANN001
) -> Run:
    """Each of ``bodies`` on its own keep-alive connection, in a loop, for ``seconds`` (after a warm-up).

    ``bodies`` is updated in place with what each client sends next (its newest refresh token).
    The CPU time ``workers`` use meanwhile is measured too.
    """
    run = Run()
    stop = threading.Event()
    measuring = threading.Event()
    warm = [0] * len(bodies)

    def loop(index: int) -> None:
        body = bodies[index]
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        mine: list[float] = []
        errors = 0
        while not stop.is_set():
            started = time.perf_counter()
            try:
                connection.request("POST", path, urlencode(body), headers)
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            took = (time.perf_counter() - started) * 1000
            if response.status != 200:
                errors += 1
                break  # a lost rotation cannot be recovered: stop this client
            body = bodies[index] = next_body(body, data)
            if measuring.is_set():
                mine.append(took)
            else:
                warm[index] += 1
        connection.close()
        with run.lock:
            run.latencies.extend(mine)
            run.errors += errors

    threads = [threading.Thread(target=loop, args=(index,), daemon=True) for index in range(len(bodies))]
    for thread in threads:
        thread.start()
    # Warm up: at least a second and 50 answers per connection (a new worker's first requests
    # compile statements and fill caches, and are many times slower than the next ones).
    time.sleep(1.0)
    deadline = time.monotonic() + 30
    while sum(warm) < 50 * len(bodies) and time.monotonic() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.1)
    cpu_before = cpu_seconds(workers)
    measuring.set()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    run.elapsed = time.perf_counter() - started
    run.cpu = cpu_seconds(workers) - cpu_before
    for thread in threads:
        thread.join(timeout=15)
    return run


def rotate(body: dict, data: bytes) -> dict:
    return dict(body, refresh_token=json.loads(data)["refresh_token"])


def same(body: dict, _data: bytes) -> dict:
    return body


def describe(name: str, run: Run, rss: float | None = None, extra: str = "") -> str:
    if not run.latencies:
        return f"{name:34} no answers ({run.errors} errors)"
    p50 = statistics.median(run.latencies)
    p99 = percentile(run.latencies, 0.99)
    memory = f" {rss:7.0f}" if rss is not None else " " * 8
    return f"{name:34} {run.rate:8.0f} {p50:8.1f} {p99:8.1f} {run.errors:6d}{memory} {run.cpu_ms:7.2f} {extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per figure (default 8)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, taken in turn (default 3)")
    parser.add_argument("--connections", type=int, default=4, help="clients refreshing at once (default 4)")
    parser.add_argument("--threads", type=int, default=None, help="GUNICORN_THREADS (default: the declared one)")
    parser.add_argument("--worker-class", default=None, help="gunicorn worker class (default: deploy's gthread)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of refreshes in process")
    parser.add_argument("--profile-refreshes", type=int, default=300)
    parser.add_argument(
        "--flame",
        metavar="DIR",
        help="record a py-spy flame graph (SVG) of the worker during each refresh measurement of the first round",
    )
    parser.add_argument("--only", choices=["floor", *PEOPLE], action="append", help="measure only these")
    args = parser.parse_args()
    args.workers = 1
    if not 1 <= args.connections <= 64 or not 1 <= args.repeat <= 20 or not 1 <= args.seconds <= 120:
        parser.error("keep --connections within 1..64, --repeat within 1..20 and --seconds within 1..120")

    instance = tempfile.mkdtemp(prefix="panda-bench-token-")
    database_url = ensure_database(os.environ.get("PANDA_DATABASE_URL") or f"sqlite:///{instance}/panda.db")
    floor_url = database_url if database_url.startswith("postgres") else f"sqlite:///{instance}/floor.db"
    cpus = str(SERVER_CPU) if can_pin() else None
    if can_pin():
        os.sched_setaffinity(0, {LOAD_CPU})
    print(machine())
    print(
        f"server: 1 gunicorn worker ({args.worker_class or 'gthread'}, threads {args.threads or 'default'}) "
        f"{'pinned to CPU 0 (taskset)' if cpus else 'NOT pinned (no taskset or one CPU)'}; "
        f"load: {args.connections} keep-alive connections from this process"
        f"{' on CPU 1' if cpus else ''}; database {database_url.split(':')[0]}"
    )
    secret, refresh_tokens = prepare(database_url, instance, args.connections)
    from bench.floor_app import prepare as prepare_floor

    prepare_floor(floor_url)
    counts = in_process(
        database_url,
        secret,
        {label: values.pop() for label, values in refresh_tokens.items()},
        args.profile_refreshes if args.profile else 0,
    )
    auth = "Basic " + base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    wanted = args.only or ["floor", *PEOPLE]
    rows: list[tuple[int, str]] = []
    summary: dict[str, list[float]] = {}
    cpu_summary: dict[str, list[float]] = {}
    for round_ in range(1, args.repeat + 1):
        if "floor" in wanted:
            port = free_port()
            log = Path(instance) / "floor.log"
            process = start_panda(
                args,
                floor_url,
                instance,
                port,
                log,
                app="bench.floor_app:create_app()",
                cpus=cpus,
                extra_env={"FLOOR_DATABASE_URL": floor_url},
            )
            try:
                bodies = [{"key": f"k{n}"} for n in range(args.connections)]
                run = drive(port, "/floor", bodies, form, args.seconds, same, workers_of(process.pid))
                rss = max(memory_of(pid)[0] for pid in workers_of(process.pid))
            finally:
                stop_panda(process)
            rows.append((round_, describe("floor: Flask, 1 read + 1 write", run, rss)))
            summary.setdefault("floor", []).append(run.rate)
            cpu_summary.setdefault("floor", []).append(run.cpu_ms)
            ms, per_second = rs256_per_second(database_url, 2.0)
            rows.append((round_, f"{'floor: one RS256 signature':34} {per_second:8.0f} {ms:8.2f}"))
            summary.setdefault("rs256", []).append(per_second)
        people = [label for label in PEOPLE if label in wanted]
        if people:
            port = free_port()
            process = start_panda(
                args,
                database_url,
                instance,
                port,
                Path(instance) / "panda.log",
                cpus=cpus,
                extra_env={"SIGN_IN_LIMIT_PER_ADDRESS": "100000 per minute"},
            )
            try:
                for label in people:
                    bodies = [{"grant_type": "refresh_token", "refresh_token": t} for t in refresh_tokens[label]]
                    recorder = None
                    if args.flame and round_ == 1:
                        recorder = record_flame(
                            workers_of(process.pid)[0], args.seconds + 1, Path(args.flame), label, database_url
                        )
                    run = drive(
                        port,
                        "/token",
                        bodies,
                        form | {"Authorization": auth},
                        args.seconds,
                        rotate,
                        workers_of(process.pid),
                    )
                    if recorder is not None:
                        recorder.wait(timeout=60)
                    refresh_tokens[label] = [body["refresh_token"] for body in bodies]
                    rss = max(memory_of(pid)[0] for pid in workers_of(process.pid))
                    rows.append(
                        (round_, describe(f"refresh, {label}", run, rss, f"{counts[label]} SQL statements/refresh"))
                    )
                    summary.setdefault(label, []).append(run.rate)
                    cpu_summary.setdefault(label, []).append(run.cpu_ms)
                    if run.errors:
                        print(Path(instance, "panda.log").read_text()[-2000:])
            finally:
                stop_panda(process)
    print(
        f"{'round / what':37} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'RSS MiB':>7} {'CPU ms':>7}"
        " (the worker's CPU time per request)"
    )
    for round_, row in rows:
        print(f"{round_:2d} {row}")
    print(
        "medians over the rounds (per s): " + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in summary.items())
    )
    if "floor" in summary:
        floor = statistics.median(summary["floor"])
        for label in PEOPLE:
            if label in summary:
                print(f"  refresh, {label}: {statistics.median(summary[label]) / floor:.0%} of the floor")
        floor_cpu = statistics.median(cpu_summary["floor"])
        for label in PEOPLE:
            if label in cpu_summary:
                cpu = statistics.median(cpu_summary[label])
                print(
                    f"  refresh, {label}: {cpu:.2f} ms of CPU per refresh against {floor_cpu:.2f} ms for the floor "
                    f"(the floor's CPU is {floor_cpu / cpu:.0%} of it)"
                )
    shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
