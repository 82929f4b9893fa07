"""``make cluster``: the production rehearsal, on this machine only.

Two gunicorn instances of each service and two outbox workers of each, behind nginx, on
PostgreSQL and Redis, with the production configuration (``APP_ENV=production``: https public
addresses, secrets of 32 bytes and more, PostgreSQL, Redis); only the addresses are local.

    http://127.0.0.1:5000, :5001      redirect to the https addresses (PANDA_PORT, COMMUNITY_PORT)
    https://127.0.0.1:5443, :5444     Panda and the community through nginx, which terminates TLS
                                      with a certificate for 127.0.0.1 made here (PANDA_TLS_PORT, ...)
    http://127.0.0.1:5100, :5110      the "Services": plain http round robin over the instances, for
                                      calls between the services (the community to Panda, Panda's
                                      back-channel messages), as inside Kubernetes
    127.0.0.1:5101-5102, 5111-5112    the instances themselves (panda-1, panda-2, community-1, community-2),
                                      each with its /metrics (CLUSTER_PORT_BASE moves these six)
    http://127.0.0.1:8025             the mail catcher (SMTP on 1025)

What is missing is started as a child and stopped with the rest: nginx (installed with apt-get
when absent and running as root), Redis (when nothing answers on 127.0.0.1:6379 and REDIS_URL is
not set) and the system's PostgreSQL cluster (when nothing answers on 127.0.0.1:5432). A
PostgreSQL or Redis that was already running is used and left running.

Before the instances start, one step migrates each database (the instances never do), loads the
demo data and registers the community as Panda's client. A dead instance or worker is started
again, as Kubernetes would; anything else dying stops everything. Ctrl-C stops everything.
The files (secrets, certificate, nginx configuration, metrics) live in ``instance/cluster``
(``CLUSTER_PATH``); ``panda.env`` and ``community.env`` there point the ``panda`` and
``community`` commands at the cluster's databases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devserver.stack import (
    HOST,
    PROJECT_ROOT,
    Child,
    ChildSpec,
    StackError,
    Supervisor,
    _die_with_parent,
    console_script,
    demo_accounts,
    gunicorn,
)

CLIENT_ID = "support-community"
INSTANCES = 2
WORKERS = 2
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = ("127.0.0.1", 6379)


# -- settings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ClusterPorts:
    panda: int = 5000
    community: int = 5001
    panda_tls: int = 5443
    community_tls: int = 5444
    smtp: int = 1025
    mail_web: int = 8025
    base: int = 5100

    ENV_NAMES = {
        "panda": "PANDA_PORT",
        "community": "COMMUNITY_PORT",
        "panda_tls": "PANDA_TLS_PORT",
        "community_tls": "COMMUNITY_TLS_PORT",
        "smtp": "MAILCATCHER_SMTP_PORT",
        "mail_web": "MAILCATCHER_WEB_PORT",
        "base": "CLUSTER_PORT_BASE",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ClusterPorts:
        values: dict[str, int] = {}
        for attribute, name in cls.ENV_NAMES.items():
            raw = (environ.get(name) or "").strip()
            if not raw:
                continue
            if not raw.isdigit() or not 0 < int(raw) < 65500:
                raise StackError(f"{name} must be a port number, not {raw!r}")
            values[attribute] = int(raw)
        ports = cls(**values)
        numbers = ports.all()
        if len(set(numbers)) != len(numbers):
            raise StackError(
                "the cluster's ports overlap: PANDA_PORT, COMMUNITY_PORT, PANDA_TLS_PORT, COMMUNITY_TLS_PORT, "
                "MAILCATCHER_SMTP_PORT, MAILCATCHER_WEB_PORT and CLUSTER_PORT_BASE to CLUSTER_PORT_BASE+12 must differ"
            )
        return ports

    @property
    def panda_service(self) -> int:
        return self.base

    @property
    def community_service(self) -> int:
        return self.base + 10

    def instances(self, service: str) -> list[int]:
        first = self.base + (1 if service == "panda" else 11)
        return [first + i for i in range(INSTANCES)]

    def all(self) -> list[int]:
        return [
            self.panda,
            self.community,
            self.panda_tls,
            self.community_tls,
            self.smtp,
            self.mail_web,
            self.panda_service,
            self.community_service,
            *self.instances("panda"),
            *self.instances("community"),
        ]

    def busy(self) -> list[int]:
        taken = []
        for port in self.all():
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((HOST, port))
                except OSError:
                    taken.append(port)
        return taken

    @property
    def panda_url(self) -> str:
        return f"https://{HOST}:{self.panda_tls}"

    @property
    def community_url(self) -> str:
        return f"https://{HOST}:{self.community_tls}"


@dataclass(frozen=True)
class ClusterSettings:
    folder: Path
    database_prefix: str
    admin_url: str
    redis_url: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ClusterSettings:
        folder = Path(environ.get("CLUSTER_PATH") or PROJECT_ROOT / "instance" / "cluster").resolve()
        prefix = (environ.get("CLUSTER_DATABASE_PREFIX") or "cluster").strip()
        if not prefix.replace("_", "").isalnum():
            raise StackError(f"CLUSTER_DATABASE_PREFIX must be letters, digits and _, not {prefix!r}")
        return cls(
            folder=folder,
            database_prefix=prefix,
            admin_url=environ.get("CLUSTER_POSTGRES_URL") or DEFAULT_ADMIN_URL,
            redis_url=(environ.get("REDIS_URL") or "").strip() or None,
        )

    def database_url(self, service: str) -> str:
        admin = self.admin_url.rsplit("/", 1)[0]
        return f"{admin}/{self.database_prefix}_{service}"


# -- files the cluster keeps -------------------------------------------------------------
def cluster_secrets(folder: Path) -> dict[str, str]:
    """Secret keys and the community's client secret: made once, kept (0600) in the cluster's folder."""
    path = folder / "secrets.json"
    known: dict[str, str] = {}
    if path.exists():
        try:
            known = json.loads(path.read_text())
        except ValueError:
            known = {}
    wanted = ("panda_secret_key", "community_secret_key", "client_secret")
    if not all(len(known.get(name, "")) >= 43 for name in wanted):
        known = {name: secrets.token_urlsafe(48) for name in wanted}
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known))
        path.chmod(0o600)
    return known


def certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A local certificate authority and a certificate for 127.0.0.1 and localhost that it signed.

    Returns (CA certificate, server certificate chain, server key); made once, kept while valid.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    tls = folder / "tls"
    ca_path, cert_path, key_path = tls / "ca.pem", tls / "cert.pem", tls / "key.pem"
    now = dt.datetime.now(dt.UTC)
    if ca_path.exists() and cert_path.exists() and key_path.exists():
        current = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if current.not_valid_after_utc > now + dt.timedelta(days=1):
            return ca_path, cert_path, key_path
    tls.mkdir(parents=True, exist_ok=True)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Panda support cluster rehearsal CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(server.public_bytes(pem) + ca.public_bytes(pem))
    ca_path.write_bytes(ca.public_bytes(pem))
    return ca_path, cert_path, key_path


def nginx_config(ports: ClusterPorts, folder: Path, cert: Path, key: Path, *, as_root: bool) -> str:
    """nginx in front: TLS on the public ports, redirects on the plain ones, round robin everywhere."""
    runtime = folder / "nginx"

    def upstream(name: str, instance_ports: list[int]) -> str:
        servers = "\n".join(f"        server {HOST}:{port} max_fails=1 fail_timeout=5s;" for port in instance_ports)
        # A zone shares the round robin and the failure marks between nginx's workers.
        return f"    upstream {name} {{\n        zone {name} 64k;\n{servers}\n    }}\n"

    def public(port: int, upstream_name: str, body_size: str) -> str:
        return f"""
    server {{
        listen {HOST}:{port} ssl http2;
        server_name _;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        client_max_body_size {body_size};
        # Metrics are read on each instance's own port, never through the public entry.
        location = /metrics {{ return 404; }}
        location / {{
            proxy_pass http://{upstream_name};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Port $server_port;
            proxy_set_header X-Request-ID $req_id;
        }}
    }}
"""

    def redirect(port: int, tls_port: int) -> str:
        return f"""
    server {{
        listen {HOST}:{port};
        server_name _;
        return 308 https://$host:{tls_port}$request_uri;
    }}
"""

    def internal(port: int, upstream_name: str) -> str:
        # Like a Kubernetes Service: plain http, no proxy headers, for the services' own calls.
        return f"""
    server {{
        listen {HOST}:{port};
        server_name _;
        client_max_body_size 32m;
        location = /metrics {{ return 404; }}
        location / {{
            proxy_pass http://{upstream_name};
            proxy_set_header Host $http_host;
            proxy_set_header X-Request-ID $req_id;
        }}
    }}
"""

    servers = "".join(
        [
            upstream("panda", ports.instances("panda")),
            upstream("community", ports.instances("community")),
            public(ports.panda_tls, "panda", "4m"),
            public(ports.community_tls, "community", "130m"),
            redirect(ports.panda, ports.panda_tls),
            redirect(ports.community, ports.community_tls),
            internal(ports.panda_service, "panda"),
            internal(ports.community_service, "community"),
        ]
    )
    user = "user root root;\n" if as_root else ""
    temp = "\n".join(
        f"    {kind}_temp_path {runtime / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""# Written by devserver/cluster.py at every start; edit that file instead.
{user}worker_processes 2;
pid {runtime / "nginx.pid"};
error_log stderr notice;
events {{ worker_connections 1024; }}
http {{
    map $http_x_request_id $req_id {{
        default $http_x_request_id;
        "" $request_id;
    }}
    log_format cluster '$remote_addr "$request_method $uri" $status $request_time '
                       'upstream=$upstream_addr served_by=$upstream_http_x_served_by request_id=$req_id';
    access_log /dev/stdout cluster;
{temp}
    large_client_header_buffers 8 64k;
    proxy_buffer_size 64k;
    proxy_buffers 8 64k;
    # An instance that refuses the connection (stopped, killed, restarting) is skipped: the request
    # goes to the other one. A request already sent to an instance that dies is not repeated.
    proxy_next_upstream error timeout http_502 http_503;
    proxy_next_upstream_tries 2;
    proxy_connect_timeout 2s;
    proxy_read_timeout 60s;
{servers}}}
"""


def cluster_environment(
    ports: ClusterPorts, settings: ClusterSettings, keys: Mapping[str, str], redis_url: str
) -> dict[str, dict[str, str]]:
    """The production settings of each service in the cluster (only the addresses are local)."""
    common = {
        "APP_ENV": "production",
        "INSTANCE_PATH": str(settings.folder),
        "PANDA_ISSUER": ports.panda_url,
        "COMMUNITY_URL": ports.community_url,
        "REDIS_URL": redis_url,
        "MAIL_SERVER": HOST,
        "MAIL_PORT": str(ports.smtp),
        "MAIL_USE_TLS": "false",
        # nginx is the one proxy in front: its X-Forwarded-* are believed, nobody else's.
        "PROXY_FIX_HOPS": "1",
        "FORWARDED_ALLOW_IPS": HOST,
        "LOG_FORMAT": "json",
    }
    panda = common | {
        "PANDA_DATABASE_URL": settings.database_url("panda"),
        "PANDA_SECRET_KEY": keys["panda_secret_key"],
    }
    community = common | {
        "COMMUNITY_DATABASE_URL": settings.database_url("community"),
        "COMMUNITY_SECRET_KEY": keys["community_secret_key"],
        "COMMUNITY_CLIENT_ID": CLIENT_ID,
        "COMMUNITY_CLIENT_SECRET": keys["client_secret"],
        # The community's server calls Panda inside the cluster, over the "Service" address.
        "PANDA_INTERNAL_URL": f"http://{HOST}:{ports.panda_service}",
    }
    return {"panda": panda, "community": community}


def write_env_files(folder: Path, environments: Mapping[str, Mapping[str, str]]) -> None:
    """``panda.env`` and ``community.env``: ``set -a; . instance/cluster/panda.env; set +a`` then ``panda ...``."""
    for service, values in environments.items():
        path = folder / f"{service}.env"
        path.write_text("".join(f"{name}={_shell_quote(value)}\n" for name, value in sorted(values.items())))
        path.chmod(0o600)


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


# -- what may already run ----------------------------------------------------------------
def answers_tcp(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_answers(url: str) -> bool:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def postgres_answers(admin_url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(admin_url, connect_timeout=2):
            return True
    except Exception:
        return False


def ensure_databases(settings: ClusterSettings) -> list[str]:
    """The cluster's two databases, created when missing; returns the ones created."""
    import psycopg

    created = []
    with psycopg.connect(settings.admin_url, autocommit=True) as conn:
        for service in ("panda", "community"):
            name = f"{settings.database_prefix}_{service}"
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
                created.append(name)
    return created


def drop_databases(settings: ClusterSettings) -> list[str]:
    """The cluster's two databases, dropped (a fresh start); returns the ones that existed."""
    import psycopg

    dropped = []
    with psycopg.connect(settings.admin_url, autocommit=True) as conn:
        for service in ("panda", "community"):
            name = f"{settings.database_prefix}_{service}"
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                dropped.append(name)
    return dropped


def redis_host_port(url: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def system_postgres() -> ChildSpec | None:
    """The machine's PostgreSQL cluster in the foreground (Debian's layout, as root), or None."""
    versions = sorted(Path("/etc/postgresql").glob("*/main")) if Path("/etc/postgresql").is_dir() else []
    if not versions or os.geteuid() != 0 or not shutil.which("pg_ctlcluster"):
        return None
    version = versions[-1].parent.name
    Path("/var/run/postgresql").mkdir(parents=True, exist_ok=True)
    shutil.chown("/var/run/postgresql", "postgres", "postgres")
    return ChildSpec(
        "postgres",
        ["pg_ctlcluster", "--skip-systemctl-redirect", "--foreground", version, "main", "start"],
        stop_signal=signal.SIGINT,  # fast shutdown: sessions end, nothing waits for clients
    )


def nginx_install() -> ChildSpec | None:
    """Debian's nginx, installed when missing (as root); None when it is there."""
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return None
    if os.geteuid() != 0:
        raise StackError("nginx is needed: `sudo apt-get install nginx` (or run make cluster as root)")
    return ChildSpec(
        "nginx-install",
        [
            "sh",
            "-c",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx"
            " && { service nginx stop >/dev/null 2>&1 || true; }",
        ],
    )


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


# -- the cluster ---------------------------------------------------------------------------
class ClusterSupervisor(Supervisor):
    """The stack's supervisor, recording which process is which in ``state.json`` (tests kill them)."""

    def __init__(self, env: Mapping[str, str], state_file: Path, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self.state_file = state_file
        self.width = 18

    def start(self, spec: ChildSpec) -> Child:
        child = super().start(spec)
        self.write_state()
        return child

    def write_state(self) -> None:
        state = {child.name: child.pid for child in self.children if child.process.poll() is None}
        self.state_file.write_text(json.dumps({"pids": state}))


def instance_children(ports: ClusterPorts, settings: ClusterSettings, env: Mapping[str, Mapping[str, str]]) -> list:
    children = []
    for service, app in (("panda", "panda_portal:create_app()"), ("community", "support_community:create_app()")):
        for number, port in enumerate(ports.instances(service), start=1):
            name = f"{service}-{number}"
            children.append(
                ChildSpec(
                    name,
                    gunicorn(app, port),
                    f"http://{HOST}:{port}/healthz",
                    env={
                        **env[service],
                        "INSTANCE_NAME": name,
                        "PROMETHEUS_MULTIPROC_DIR": str(settings.folder / "metrics" / name),
                    },
                    restart=True,
                )
            )
    return children


def worker_children(settings: ClusterSettings, env: Mapping[str, Mapping[str, str]]) -> list[ChildSpec]:
    children = []
    for service in ("panda", "community"):
        for number in range(1, WORKERS + 1):
            children.append(
                ChildSpec(
                    f"{service}-worker-{number}",
                    console_script(service) + ["outbox", "work", "--interval", "0.5"],
                    env={
                        **env[service],
                        "INSTANCE_NAME": f"{service}-worker-{number}",
                        # Counted with the instance of the same number: scraped with it.
                        "PROMETHEUS_MULTIPROC_DIR": str(settings.folder / "metrics" / f"{service}-{number}"),
                    },
                    restart=True,
                )
            )
    return children


def setup_steps(ports: ClusterPorts, env: Mapping[str, Mapping[str, str]]) -> list[ChildSpec]:
    """Run once, before any instance: the migrations (one job each), demo data, the client."""
    panda = {**env["panda"], "INSTANCE_NAME": "panda-setup"}
    community = {**env["community"], "INSTANCE_NAME": "community-setup"}
    return [
        ChildSpec("panda-migrate", console_script("panda") + ["db", "upgrade"], env=panda),
        ChildSpec("community-migrate", console_script("community") + ["db", "upgrade"], env=community),
        ChildSpec("panda-demo", console_script("panda") + ["demo"], env=panda),
        ChildSpec("community-demo", console_script("community") + ["demo"], env=community),
        ChildSpec(
            "panda-client",
            [sys.executable, "-m", "devserver.cluster", "register-client"],
            env=panda | {"CLUSTER_BACKCHANNEL_URI": f"http://{HOST}:{ports.community_service}/auth/backchannel-logout"},
        ),
    ]


def register_client() -> int:
    """The community as Panda's client, with its redirect URIs and the back-channel over the Service address.

    Run by the cluster's set-up with Panda's settings; what a deployment script does with
    ``ensure_client`` (the secret comes from the cluster's secrets).
    """
    from panda_portal import create_app
    from panda_portal.extensions import db
    from panda_portal.oidc.services import ensure_client

    folder = Path(os.environ["INSTANCE_PATH"])
    keys = cluster_secrets(folder)
    community = os.environ["COMMUNITY_URL"].rstrip("/")
    backchannel = os.environ["CLUSTER_BACKCHANNEL_URI"]
    app = create_app()
    with app.app_context():
        ensure_client(
            CLIENT_ID,
            [f"{community}/auth/callback"],
            post_logout_redirect_uris=[f"{community}/"],
            backchannel_logout_uri=backchannel,
            requires_grant="support_community",
            secret=keys["client_secret"],
        )
        db.session.commit()
    db.state(app).engine.dispose()
    print(f"registered {CLIENT_ID}: back-channel logout at {backchannel}")
    return 0


def banner(ports: ClusterPorts, settings: ClusterSettings, ca: Path, redis_url: str) -> list[str]:
    lines = [
        "ready:",
        f"  Panda portal       {ports.panda_url}/   (http://{HOST}:{ports.panda}/ redirects there)",
        f"  Support Community  {ports.community_url}/   (http://{HOST}:{ports.community}/ redirects there)",
        f"  Mail catcher       http://{HOST}:{ports.mail_web}/  (SMTP on {HOST}:{ports.smtp})",
        f"  The certificate's authority (trust it, or accept the warning): {ca}",
        "  Instances and their metrics:",
    ]
    for service in ("panda", "community"):
        for number, port in enumerate(ports.instances(service), start=1):
            lines.append(f"    {f'{service}-{number}':<14} http://{HOST}:{port}/metrics")
    lines += [
        f"  Databases: {settings.database_url('panda')}, {settings.database_url('community')}; Redis: {redis_url}",
        "  The command line on the cluster's databases:",
        f"    (set -a; . {settings.folder / 'panda.env'}; set +a; .venv/bin/panda clients list)",
        f"    (set -a; . {settings.folder / 'community.env'}; set +a; .venv/bin/community outbox failed)",
    ]
    accounts = demo_accounts()
    if accounts:
        lines.append("Demo sign-ins:")
        lines += [f"  {email:<34} {password:<24} {description}" for email, password, description in accounts]
    lines.append("Press Ctrl-C to stop.")
    return lines


def wait_until(check: Any, what: str, supervisor: Supervisor, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        dead = supervisor.dead_child()
        if dead is not None:
            raise StackError(f"{dead.name} stopped while waiting for {what}")
        if supervisor.stopping.is_set():
            raise StackError(f"stopped while waiting for {what}")
        if time.monotonic() > deadline:
            raise StackError(f"{what} did not answer within {timeout:.0f} seconds")
        supervisor.stopping.wait(0.3)


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devserver.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["run", "register-client"], default="run")
    parser.add_argument("--start-timeout", type=float, default=180.0, help="seconds to wait for everything")
    args = parser.parse_args(argv)
    if args.command == "register-client":
        return register_client()

    supervisor: ClusterSupervisor | None = None
    try:
        ports = ClusterPorts.from_env(os.environ)
        settings = ClusterSettings.from_env(os.environ)
        busy = ports.busy()
        if busy:
            raise StackError(
                "already in use: " + ", ".join(map(str, busy)) + ". Stop what uses them (another `make cluster` or "
                "`make run`?), or choose other ports: PANDA_PORT, COMMUNITY_PORT, PANDA_TLS_PORT, COMMUNITY_TLS_PORT, "
                "MAILCATCHER_SMTP_PORT, MAILCATCHER_WEB_PORT, CLUSTER_PORT_BASE."
            )
        settings.folder.mkdir(parents=True, exist_ok=True)
        settings.folder.chmod(0o755)
        base_env = dict(os.environ)
        base_env["PYTHONUNBUFFERED"] = "1"
        base_env.setdefault("WEB_CONCURRENCY", "2")
        for name in ("PANDA_DATABASE_URL", "COMMUNITY_DATABASE_URL", "PANDA_INTERNAL_URL", "SECRET_KEY"):
            base_env.pop(name, None)
        supervisor = ClusterSupervisor(base_env, settings.folder / "state.json", stop_timeout=30.0)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda *_: supervisor.request_stop())
        _die_with_parent()
        supervisor.say(f"cluster folder: {settings.folder}")

        install = nginx_install()
        if install is not None:
            supervisor.run_step(install)

        if not postgres_answers(settings.admin_url):
            postgres = system_postgres()
            if postgres is None:
                raise StackError(
                    f"PostgreSQL does not answer at {settings.admin_url}; start it, or set CLUSTER_POSTGRES_URL"
                )
            supervisor.start(postgres)
            wait_until(lambda: postgres_answers(settings.admin_url), "PostgreSQL", supervisor)
        if os.environ.get("CLUSTER_FRESH_DATABASES") == "1":
            for name in drop_databases(settings):
                supervisor.say(f"dropped the database {name} (CLUSTER_FRESH_DATABASES=1)")
        for name in ensure_databases(settings):
            supervisor.say(f"created the database {name}")

        redis_url = settings.redis_url or "redis://{}:{}/1".format(*DEFAULT_REDIS)
        redis_address = redis_host_port(redis_url)
        if redis_address[0] in ("127.0.0.1", "localhost") and not answers_tcp(*redis_address):
            if not shutil.which("redis-server"):
                raise StackError(f"Redis does not answer at {redis_url} and redis-server is not installed")
            supervisor.start(
                ChildSpec(
                    "redis",
                    [
                        "redis-server",
                        "--port",
                        str(redis_address[1]),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--daemonize",
                        "no",
                    ],
                )
            )
        wait_until(lambda: redis_answers(redis_url), "Redis", supervisor)

        keys = cluster_secrets(settings.folder)
        ca, cert, key = certificate(settings.folder)
        env = cluster_environment(ports, settings, keys, redis_url)
        write_env_files(settings.folder, env)
        runtime = settings.folder / "nginx"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o755)
        config = runtime / "nginx.conf"
        config.write_text(nginx_config(ports, settings.folder, cert, key, as_root=os.geteuid() == 0))
        supervisor.run_step(ChildSpec("nginx-check", [nginx_binary(), "-t", "-q", "-c", str(config)]))

        for step in setup_steps(ports, env):
            supervisor.run_step(step)

        supervisor.start(
            ChildSpec(
                "mailcatcher",
                [
                    sys.executable,
                    "-m",
                    "devserver.mailcatcher",
                    "--host",
                    HOST,
                    "--smtp-port",
                    str(ports.smtp),
                    "--web-port",
                    str(ports.mail_web),
                    "--store",
                    ":memory:",
                ],
                f"http://{HOST}:{ports.mail_web}/healthz",
            )
        )
        for spec in instance_children(ports, settings, env):
            supervisor.start(spec)
        supervisor.wait_ready(args.start_timeout)
        supervisor.start(
            ChildSpec(
                "nginx",
                [nginx_binary(), "-c", str(config), "-g", "daemon off;"],
                f"http://{HOST}:{ports.community_service}/healthz",
                stop_signal=signal.SIGQUIT,  # graceful: requests in flight finish
            )
        )
        supervisor.wait_ready(args.start_timeout)
        for spec in worker_children(settings, env):
            supervisor.start(spec)
        for line in banner(ports, settings, ca, redis_url):
            supervisor.say(line)
        return supervisor.watch()
    except StackError as exc:
        if supervisor is None:
            print(f"cluster: cannot start: {exc}", file=sys.stderr)
            return 1
        if supervisor.stopping.is_set():
            supervisor.say("stopped before everything was ready.")
            return 0
        supervisor.say(f"cannot run the cluster: {exc}")
        return 1
    finally:
        if supervisor is not None:
            supervisor.stop_all()
            supervisor.state_file.unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(run())
