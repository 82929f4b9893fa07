"""``make run``: the development stack's supervision, and one real start and stop."""

from __future__ import annotations

import io
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from devserver.stack import ChildSpec, Ports, StackError, Supervisor, banner, child_environment, stack_children
from shared.config import PROJECT_ROOT
from tests.support import free_port

linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


SLEEPER = python("import time; time.sleep(600)")


def live_in_group(pgid: int) -> list[int]:
    """Processes (not zombies) whose process group is ``pgid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in {"Z", "X"}:
            found.append(int(entry.name))
    return found


@pytest.fixture()
def supervisor():
    out = io.StringIO()
    running = Supervisor(dict(os.environ), out, stop_timeout=10)
    yield running
    running.stop_all()


def output(supervisor: Supervisor) -> str:
    return supervisor.out.getvalue()  # type: ignore[attr-defined]


# -- environment and ports ---------------------------------------------------------------
def test_children_get_development_defaults_for_what_the_caller_left_unset():
    env = child_environment(Ports(panda=6000, community=6001, smtp=6025, mail_web=6080), {"PATH": "/bin"})
    assert env["APP_ENV"] == "development"
    assert (env["MAIL_SERVER"], env["MAIL_PORT"]) == ("127.0.0.1", "6025")
    assert env["PANDA_ISSUER"] == "http://127.0.0.1:6000"
    assert env["COMMUNITY_URL"] == "http://127.0.0.1:6001"
    assert env["PATH"] == "/bin"


def test_the_callers_environment_wins_over_the_defaults():
    env = child_environment(
        Ports(), {"MAIL_SERVER": "smtp.local", "MAIL_PORT": "2525", "PANDA_ISSUER": "http://panda.local:5000"}
    )
    assert (env["MAIL_SERVER"], env["MAIL_PORT"]) == ("smtp.local", "2525")
    assert env["PANDA_ISSUER"] == "http://panda.local:5000"


def test_ports_come_from_the_environment():
    ports = Ports.from_env(
        {
            "PANDA_PORT": "7000",
            "COMMUNITY_PORT": "7001",
            "MAILCATCHER_SMTP_PORT": "7025",
            "MAILCATCHER_WEB_PORT": "7080",
        }
    )
    assert ports == Ports(panda=7000, community=7001, smtp=7025, mail_web=7080)
    assert Ports.from_env({}) == Ports(panda=5000, community=5001, smtp=1025, mail_web=8025, inbound_smtp=2525)
    assert Ports.from_env({"COMMUNITY_INBOUND_SMTP_PORT": "7525"}).inbound_smtp == 7525


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"PANDA_PORT": "http"}, "PANDA_PORT must be a port number"),
        ({"COMMUNITY_PORT": "70000"}, "COMMUNITY_PORT must be a port number"),
        ({"PANDA_PORT": "5001"}, "must all differ"),
        ({"COMMUNITY_INBOUND_SMTP_PORT": "1025"}, "must all differ"),
    ],
)
def test_wrong_ports_are_refused_by_name(environ, message):
    with pytest.raises(StackError, match=message):
        Ports.from_env(environ)


def test_a_port_in_use_is_reported_with_its_setting():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = Ports(
            panda=port, community=free_port(), smtp=free_port(), mail_web=free_port(), inbound_smtp=free_port()
        )
        assert ports.busy() == [f"{port} (PANDA_PORT)"]


def test_the_stack_runs_both_services_both_workers_the_mail_catcher_and_the_replies_port():
    children = {child.name: child for child in stack_children(Ports())}
    assert set(children) == {
        "mailcatcher",
        "panda",
        "community",
        "panda-outbox",
        "community-outbox",
        "community-inbound",
    }
    assert children["community-inbound"].argv[-6:] == ["mail", "listen", "--host", "127.0.0.1", "--port", "2525"]
    assert children["panda"].ready_url == "http://127.0.0.1:5000/healthz"
    assert children["community"].ready_url == "http://127.0.0.1:5001/healthz"
    assert children["mailcatcher"].ready_url == "http://127.0.0.1:8025/"
    assert "panda_portal:create_app()" in children["panda"].argv
    assert children["panda-outbox"].argv[-2:] == ["outbox", "work"]


# -- supervision -------------------------------------------------------------------------
def test_each_output_line_is_prefixed_with_the_childs_name(supervisor):
    supervisor.run_step(ChildSpec("greeter", python("print('hello'); print('world')")))
    lines = output(supervisor).splitlines()
    assert "greeter          | hello" in lines
    assert "greeter          | world" in lines


def test_a_failing_setup_step_stops_the_start_and_is_named(supervisor):
    with pytest.raises(StackError, match=r"migrate .*failed with exit code 2"):
        supervisor.run_step(ChildSpec("migrate", python("import sys; sys.exit(2)")))


@linux_only
def test_when_one_child_dies_the_others_are_stopped_and_the_exit_status_says_so(supervisor):
    sleeper = supervisor.start(ChildSpec("sleeper", SLEEPER))
    supervisor.start(ChildSpec("crasher", python("import sys; print('giving up'); sys.exit(3)")))
    assert supervisor.watch() == 1
    assert "crasher exited with code 3; stopping the others." in output(supervisor)
    assert sleeper.process.returncode is not None
    assert live_in_group(sleeper.pid) == []


@linux_only
def test_a_child_killed_by_a_signal_is_named_with_the_signal(supervisor):
    victim = supervisor.start(ChildSpec("victim", SLEEPER))
    os.kill(victim.pid, signal.SIGKILL)
    assert supervisor.watch() == 1
    assert "victim was killed by signal 9" in output(supervisor)


@linux_only
def test_stopping_ends_every_child_and_what_each_child_started(supervisor):
    # Like gunicorn: a parent whose own children share its process group.
    parent = supervisor.start(
        ChildSpec(
            "parent",
            python(
                "import subprocess, sys, time\n"
                "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                "print('grandchild', child.pid, flush=True)\n"
                "time.sleep(600)\n"
            ),
        )
    )
    other = supervisor.start(ChildSpec("other", SLEEPER))
    deadline = time.monotonic() + 30
    while not any(line.startswith("grandchild") for line in parent.lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(next(line for line in parent.lines if line.startswith("grandchild")).split()[1])
    assert grandchild in live_in_group(parent.pid)

    supervisor.request_stop()
    assert supervisor.watch() == 0
    assert live_in_group(parent.pid) == [] and live_in_group(other.pid) == []


@linux_only
def test_a_child_that_ignores_sigterm_is_killed(supervisor):
    supervisor.stop_timeout = 1
    stubborn = supervisor.start(
        ChildSpec(
            "stubborn",
            python(
                "import signal, time\n"
                "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                "print('ready', flush=True)\n"
                "time.sleep(600)\n"
            ),
        )
    )
    deadline = time.monotonic() + 30
    while "ready" not in stubborn.lines and time.monotonic() < deadline:
        time.sleep(0.05)
    supervisor.stop_all()
    assert stubborn.process.returncode == -signal.SIGKILL
    assert "stubborn did not stop" in output(supervisor)


@linux_only
def test_children_do_not_outlive_a_supervisor_that_is_killed_outright():
    supervisor_process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import os, sys, time\n"
                "from devserver.stack import ChildSpec, Supervisor\n"
                "child = Supervisor(dict(os.environ)).start(ChildSpec('sleeper', [sys.executable, '-c', "
                "'import time; time.sleep(600)']))\n"
                "print('child', child.pid, flush=True)\n"
                "time.sleep(600)\n"
            ),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        child_pid = next(
            int(line.split()[1])
            for line in supervisor_process.stdout  # type: ignore[union-attr]
            if line.startswith("child ")
        )
        supervisor_process.kill()
        supervisor_process.wait()
        deadline = time.monotonic() + 30
        while live_in_group(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live_in_group(child_pid) == []
    finally:
        if supervisor_process.poll() is None:
            supervisor_process.kill()
            supervisor_process.wait()


def test_waiting_for_readiness_fails_when_a_child_dies_first(supervisor):
    supervisor.start(ChildSpec("broken", python("import sys; sys.exit(4)"), f"http://127.0.0.1:{free_port()}/"))
    with pytest.raises(StackError, match="broken exited with code 4"):
        supervisor.wait_ready(timeout=60)


def test_the_banner_gives_the_addresses_and_the_demo_sign_ins():
    lines = banner(Ports(), [("ada@example.com", "correct horse battery", "administrator of two clients")], [])
    text = "\n".join(lines)
    assert "http://127.0.0.1:5000/" in text and "http://127.0.0.1:5001/" in text
    assert "http://127.0.0.1:8025/" in text
    assert re.search(r"ada@example.com\s+correct horse battery\s+administrator of two clients", text)


def test_the_banner_tells_the_api_reference_and_the_demo_integration_panda_demo_printed():
    demo_output = [
        "Demo data is loaded. Sign in with:",
        "Demo integration (client_credentials, scopes agent orgs:read): demo-integration s3cret   (also in x.json)",
    ]
    text = "\n".join(banner(Ports(panda=5100, community=5101), [("ada@example.com", "pw", "someone")], demo_output))
    assert "http://127.0.0.1:5100/api/v1/docs" in text and "http://127.0.0.1:5101/api/v1/docs" in text
    assert "demo-integration s3cret" in text
    assert "Sign in with:" not in text  # the sign-ins are listed from the demo's list instead


def test_without_a_list_of_demo_accounts_the_banner_repeats_what_panda_demo_printed():
    text = "\n".join(
        banner(
            Ports(),
            None,
            [
                "2026-01-05 10:00:00,000 INFO alembic.runtime.migration: ...",
                "Demo data loaded.",
                "Sign in as demo@example.com",
            ],
        )
    )
    assert "Sign in as demo@example.com" in text
    assert "alembic" not in text


# -- the real thing ----------------------------------------------------------------------
def try_the_api_as_the_readme_says(panda_port: int, community_port: int, instance: Path, log: str) -> None:
    """The README's "try the API": a personal access token made on the profile, then the demo integration."""
    import json

    import requests

    from panda_portal.demo import DEMO_PASSWORD
    from tests.live import Browser

    panda, community = f"http://127.0.0.1:{panda_port}", f"http://127.0.0.1:{community_port}"
    jan = Browser()
    jan.get(f"{panda}/sign-in")
    jan.submit("/sign-in", {"email": "jan.janssens@example.be", "password": DEMO_PASSWORD})
    jan.get(f"{panda}/account/tokens")
    jan.submit("/account/tokens", {"name": "curl", "scopes": ["orgs:read", "cases:read"], "days": "30"})
    token = re.search(r'<code id="new-token">(pat_[^<]+)</code>', jan.text).group(1)  # type: ignore[union-attr]
    orgs = requests.get(f"{community}/api/v1/orgs", headers={"Authorization": f"Bearer {token}"}, timeout=20)
    assert orgs.status_code == 200, orgs.text
    assert [org["name"] for org in orgs.json()["items"]] == ["Bakkerij Peeters BV"]

    credentials = json.loads((instance / "demo-integration-client.json").read_text())
    assert f"demo-integration {credentials['client_secret']}" in log  # the banner tells it
    answer = requests.post(
        f"{panda}/token",
        data={"grant_type": "client_credentials", "scope": "agent orgs:read"},
        auth=("demo-integration", credentials["client_secret"]),
        timeout=20,
    )
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert requests.get(f"{community}/api/v1/agent/cases", headers=bearer, timeout=20).status_code == 200
    assert requests.get(f"{panda}/api/v1/me", headers=bearer, timeout=20).json()["sub"] == "demo-integration"


@linux_only
@pytest.mark.integration
def test_make_run_starts_everything_and_ctrl_c_stops_it_all(tmp_path):
    ports = {
        "PANDA_PORT": free_port(),
        "COMMUNITY_PORT": free_port(),
        "MAILCATCHER_SMTP_PORT": free_port(),
        "MAILCATCHER_WEB_PORT": free_port(),
        "COMMUNITY_INBOUND_SMTP_PORT": free_port(),
    }
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PANDA_", "COMMUNITY_", "MAIL_", "MAILCATCHER_"))
    }
    env.update({name: str(port) for name, port in ports.items()})
    env.update({"APP_ENV": "development", "INSTANCE_PATH": str(tmp_path), "WEB_CONCURRENCY": "1"})
    stack = subprocess.Popen(
        [sys.executable, "-m", "devserver", "--start-timeout", "90"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in stack.stdout:  # type: ignore[union-attr]
            lines.append(line.rstrip("\n"))
            if "Press Ctrl-C to stop." in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    started: dict[str, int] = {}
    try:
        ready.wait(timeout=120)
        log = "\n".join(lines)
        assert ready.is_set(), f"the stack did not come up:\n{log}"
        started = {name: int(pid) for name, pid in re.findall(r"started (\S+) \(pid (\d+)\)", log)}
        assert {"mailcatcher", "panda", "community", "panda-outbox", "community-outbox", "community-inbound"} <= set(
            started
        )

        for name in ("PANDA_PORT", "COMMUNITY_PORT"):
            with urllib.request.urlopen(f"http://127.0.0.1:{ports[name]}/healthz", timeout=10) as response:
                assert response.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['MAILCATCHER_WEB_PORT']}/", timeout=10) as response:
            assert "Caught mail" in response.read().decode()
        assert (tmp_path / "panda.db").exists() and (tmp_path / "community.db").exists()
        try_the_api_as_the_readme_says(ports["PANDA_PORT"], ports["COMMUNITY_PORT"], tmp_path, log)
        # Replies to case mails are taken over SMTP (any mail client or script can send one).
        deadline = time.monotonic() + 30
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", ports["COMMUNITY_INBOUND_SMTP_PORT"], timeout=10) as smtp:
                    assert smtp.noop()[0] == 250
                break
            except OSError:
                assert time.monotonic() < deadline, "nothing listens on COMMUNITY_INBOUND_SMTP_PORT"
                time.sleep(0.2)

        stack.send_signal(signal.SIGINT)
        assert stack.wait(timeout=60) == 0
        reader.join(timeout=10)
        for name, pid in started.items():
            assert live_in_group(pid) == [], f"{name} is still running after Ctrl-C"
    finally:
        if stack.poll() is None:
            stack.kill()
            stack.wait()
        for pid in started.values():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
