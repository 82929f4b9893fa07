"""``make cluster``'s pieces: ports, the production settings it gives, nginx, the certificate, restarts.

The whole cluster runs in ``make test-cluster`` (tests/cluster/); these check its parts quickly.
"""

from __future__ import annotations

import io
import os
import signal
import ssl
import sys
from pathlib import Path

import pytest

from devserver.cluster import (
    ClusterPorts,
    ClusterSettings,
    certificate,
    cluster_environment,
    cluster_secrets,
    nginx_config,
    setup_steps,
)
from devserver.stack import ChildSpec, StackError, Supervisor

KEYS = {"panda_secret_key": "p" * 64, "community_secret_key": "c" * 64, "client_secret": "s" * 64}


def settings(tmp_path: Path) -> ClusterSettings:
    return ClusterSettings(tmp_path, "cluster", "postgresql://postgres@127.0.0.1:5432/postgres", None)


def test_the_cluster_honours_the_port_variables_of_make_run():
    ports = ClusterPorts.from_env({"PANDA_PORT": "6000", "COMMUNITY_PORT": "6001", "CLUSTER_PORT_BASE": "7000"})
    assert (ports.panda, ports.community) == (6000, 6001)
    assert ports.instances("panda") == [7001, 7002] and ports.instances("community") == [7011, 7012]
    assert ports.panda_url == "https://127.0.0.1:5443"
    assert ClusterPorts.from_env({}) == ClusterPorts()


def test_overlapping_ports_are_refused():
    with pytest.raises(StackError, match="overlap"):
        ClusterPorts.from_env({"PANDA_TLS_PORT": "5101"})


@pytest.mark.parametrize("module", ["panda_portal.config", "support_community.config"])
def test_the_cluster_gives_each_service_settings_that_production_accepts(tmp_path, monkeypatch, module):
    import importlib

    env = cluster_environment(ClusterPorts(), settings(tmp_path), KEYS, "redis://127.0.0.1:6379/1")
    service = "panda" if module.startswith("panda") else "community"
    for name, value in env[service].items():
        monkeypatch.setenv(name, value)
    config = importlib.import_module(module).load_config()  # refuses weak settings in production
    assert config["APP_ENV"] == "production"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["PANDA_ISSUER"] == "https://127.0.0.1:5443"
    assert config["DATABASE_URL"].endswith(f"/cluster_{service}")


def test_the_community_calls_panda_over_the_service_address_not_the_public_one(tmp_path):
    env = cluster_environment(ClusterPorts(), settings(tmp_path), KEYS, "redis://127.0.0.1:6379/1")
    assert env["community"]["PANDA_INTERNAL_URL"] == "http://127.0.0.1:5100"
    steps = {step.name: step for step in setup_steps(ClusterPorts(), env)}
    assert steps["panda-client"].env["CLUSTER_BACKCHANNEL_URI"] == "http://127.0.0.1:5110/auth/backchannel-logout"
    assert [name for name in steps][:2] == ["panda-migrate", "community-migrate"]


def test_nginx_terminates_tls_redirects_plain_http_and_balances_both_instances(tmp_path):
    config = nginx_config(ClusterPorts(), tmp_path, tmp_path / "cert.pem", tmp_path / "key.pem", as_root=False)
    assert "listen 127.0.0.1:5443 ssl" in config and "listen 127.0.0.1:5444 ssl" in config
    assert "return 308 https://$host:5443$request_uri;" in config
    assert "server 127.0.0.1:5101" in config and "server 127.0.0.1:5102" in config
    assert "server 127.0.0.1:5111" in config and "server 127.0.0.1:5112" in config
    assert config.count("location = /metrics { return 404; }") == 4
    assert "proxy_set_header X-Request-ID $req_id;" in config


def test_the_certificate_is_for_127_0_0_1_and_signed_by_the_clusters_authority(tmp_path):
    ca, cert, key = certificate(tmp_path)
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(str(cert), str(key))  # the key belongs to the certificate
    from cryptography import x509

    leaf = x509.load_pem_x509_certificates(cert.read_bytes())[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    assert certificate(tmp_path) == (ca, cert, key)  # kept, not made again
    assert oct(key.stat().st_mode & 0o777) == "0o600"


def test_secrets_are_long_enough_for_production_and_kept(tmp_path):
    first = cluster_secrets(tmp_path)
    assert all(len(value.encode()) >= 32 for value in first.values())
    assert cluster_secrets(tmp_path) == first
    assert oct((tmp_path / "secrets.json").stat().st_mode & 0o777) == "0o600"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux")
def test_an_instance_that_dies_is_started_again_like_a_pod():
    out = io.StringIO()
    supervisor = Supervisor(dict(os.environ), out, stop_timeout=10)
    marker = [sys.executable, "-c", "import time; time.sleep(600)"]
    try:
        first = supervisor.start(ChildSpec("panda-1", marker, restart=True))
        os.kill(first.pid, signal.SIGKILL)
        first.process.wait()
        watcher_result: list[int] = []

        import threading

        def watch() -> None:
            watcher_result.append(supervisor.watch())

        thread = threading.Thread(target=watch)
        thread.start()
        try:
            for _ in range(200):
                if out.getvalue().count("started panda-1") >= 2:
                    break
                threading.Event().wait(0.05)
            assert "panda-1 was killed by signal 9; starting it again." in out.getvalue()
            [again] = supervisor.children
            assert again.pid != first.pid and again.process.poll() is None
        finally:
            supervisor.request_stop()
            thread.join(timeout=30)
        assert watcher_result == [0]
    finally:
        supervisor.stop_all()
