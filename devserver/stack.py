"""``make run``: both services, both outbox workers, the mail catcher and the replies' SMTP port, on this machine.

Steps: bring both databases up to date (creating the tables from the models for a service
that has no migrations yet), load the demo data, then start every long-running
process as a child in its own process group, prefix each output line with the child's
name, wait until each one answers over HTTP, and print where to go. Ctrl-C (or SIGTERM,
or closing the terminal) stops every child; if one child dies, the others are stopped
too and the exit status is non-zero. The databases live under ``instance/`` (or
``INSTANCE_PATH``), so running it again keeps the data.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
HOST = "127.0.0.1"
LOG_RECORD = re.compile(r"^\[?\d{4}-\d\d-\d\d[ T]")  # a logging line, not something said to the user
KEPT_LINES = 200  # a child's latest output lines, for the banner and for tests
MAX_RESTARTS = 5  # a child that keeps dying is a fault to report, not to hide


class StackError(RuntimeError):
    """The stack cannot start or keep running; the message says why."""


# -- settings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Ports:
    panda: int = 5000
    community: int = 5001
    smtp: int = 1025
    mail_web: int = 8025
    inbound_smtp: int = 2525  # replies to case mails, handed to the community (``community mail listen``)

    ENV_NAMES = {
        "panda": "PANDA_PORT",
        "community": "COMMUNITY_PORT",
        "smtp": "MAILCATCHER_SMTP_PORT",
        "mail_web": "MAILCATCHER_WEB_PORT",
        "inbound_smtp": "COMMUNITY_INBOUND_SMTP_PORT",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Ports:
        values: dict[str, int] = {}
        for attribute, name in cls.ENV_NAMES.items():
            raw = (environ.get(name) or "").strip()
            if not raw:
                continue
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise StackError(f"{name} must be a port number, not {raw!r}")
            values[attribute] = int(raw)
        ports = cls(**values)
        numbers = [ports.panda, ports.community, ports.smtp, ports.mail_web, ports.inbound_smtp]
        if len(set(numbers)) != len(numbers):
            raise StackError(
                "PANDA_PORT, COMMUNITY_PORT, MAILCATCHER_SMTP_PORT, MAILCATCHER_WEB_PORT and "
                "COMMUNITY_INBOUND_SMTP_PORT must all differ"
            )
        return ports

    def busy(self) -> list[str]:
        """The settings whose port something else already listens on."""
        taken = []
        for attribute, name in self.ENV_NAMES.items():
            port = getattr(self, attribute)
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((HOST, port))
                except OSError:
                    taken.append(f"{port} ({name})")
        return taken


def child_environment(ports: Ports, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment, with development defaults for what it leaves unset."""
    env = dict(os.environ if environ is None else environ)
    defaults = {
        "APP_ENV": "development",
        "MAIL_SERVER": HOST,
        "MAIL_PORT": str(ports.smtp),
        "PANDA_ISSUER": f"http://{HOST}:{ports.panda}",
        "COMMUNITY_URL": f"http://{HOST}:{ports.community}",
        "WEB_CONCURRENCY": "2",
    }
    for name, value in defaults.items():
        if not (env.get(name) or "").strip():
            env[name] = value
    # Children write to a pipe; without this their lines would arrive in bursts.
    env["PYTHONUNBUFFERED"] = "1"
    return env


def console_script(name: str) -> list[str]:
    """How to run one of the project's console scripts (``panda``, ``community``)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    if found:
        return [found]
    module = {"panda": "panda_portal.cli", "community": "support_community.cli"}[name]
    return [sys.executable, "-c", f"from {module} import main; main()"]


def gunicorn(app: str, port: int, *, reload: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "gunicorn"]
    if GUNICORN_CONFIG.exists():
        argv += ["--config", str(GUNICORN_CONFIG)]
    argv += ["--bind", f"{HOST}:{port}"]
    if reload:
        argv.append("--reload")
    return argv + [app]


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: list[str]
    ready_url: str | None = None
    env: Mapping[str, str] | None = None  # over the supervisor's environment, for this child only
    stop_signal: int = signal.SIGTERM  # what asks it to stop (PostgreSQL stops fast on SIGINT)
    restart: bool = False  # started again when it dies, like a pod (the cluster's instances), else all stop


def stack_children(ports: Ports, *, reload: bool = False) -> list[ChildSpec]:
    return [
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
            ],
            f"http://{HOST}:{ports.mail_web}/",
        ),
        ChildSpec(
            "panda",
            gunicorn("panda_portal:create_app()", ports.panda, reload=reload),
            f"http://{HOST}:{ports.panda}/healthz",
        ),
        ChildSpec(
            "community",
            gunicorn("support_community:create_app()", ports.community, reload=reload),
            f"http://{HOST}:{ports.community}/healthz",
        ),
        ChildSpec("panda-outbox", console_script("panda") + ["outbox", "work"]),
        ChildSpec("community-outbox", console_script("community") + ["outbox", "work"]),
        # Replies to case mails, sent from any mail client or script to 127.0.0.1:2525.
        ChildSpec(
            "community-inbound",
            console_script("community") + ["mail", "listen", "--host", HOST, "--port", str(ports.inbound_smtp)],
        ),
    ]


def setup_steps() -> list[ChildSpec]:
    return [
        ChildSpec("panda-db", console_script("panda") + ["db", "upgrade"]),
        ChildSpec("panda-schema", [sys.executable, "-m", "devserver.schema", "panda"]),
        ChildSpec("community-db", console_script("community") + ["db", "upgrade"]),
        ChildSpec("community-schema", [sys.executable, "-m", "devserver.schema", "community"]),
        ChildSpec("panda-demo", console_script("panda") + ["demo"]),
        ChildSpec("community-demo", console_script("community") + ["demo"]),
    ]


# -- processes ---------------------------------------------------------------------------
def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM the child if this process is killed without a chance to clean up."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _load_prctl() -> Callable[..., int] | None:
    # Resolved before any fork: the child may only make the call, not load a library.
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


@dataclass
class Child:
    spec: ChildSpec
    process: subprocess.Popen
    reader: threading.Thread
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=KEPT_LINES))

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int:
        return self.process.pid


class Supervisor:
    """Starts children in their own process groups, relays their output, stops them all."""

    def __init__(
        self, env: Mapping[str, str], out: IO[str] | None = None, *, stop_timeout: float = 10.0, cwd: Path | None = None
    ) -> None:
        self.env = dict(env)
        self.out = out or sys.stdout
        self.stop_timeout = stop_timeout
        self.cwd = cwd or PROJECT_ROOT
        self.children: list[Child] = []
        self.stopping = threading.Event()
        self._write_lock = threading.Lock()
        self.width = 16
        self.restarts: dict[str, int] = {}

    # -- output --
    def say(self, message: str) -> None:
        self._emit("devserver", message)

    def _emit(self, name: str, line: str) -> None:
        with self._write_lock:
            self.out.write(f"{name:<{self.width}} | {line}\n")
            self.out.flush()

    def _relay(self, child_name: str, stream: IO[bytes], keep: deque[str]) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            keep.append(line)
            self._emit(child_name, line)
        stream.close()

    # -- lifecycle --
    def start(self, spec: ChildSpec) -> Child:
        process = subprocess.Popen(
            spec.argv,
            env={**self.env, **(spec.env or {})},
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Own process group: the terminal's Ctrl-C reaches only us, and stopping a
            # child reaches everything it started (gunicorn's workers).
            start_new_session=True,
            preexec_fn=_die_with_parent if _PRCTL is not None else None,
        )
        lines: deque[str] = deque(maxlen=KEPT_LINES)
        reader = threading.Thread(
            target=self._relay, args=(spec.name, process.stdout, lines), name=f"relay-{spec.name}", daemon=True
        )
        child = Child(spec, process, reader, lines)
        self.children.append(child)
        reader.start()
        self.say(f"started {spec.name} (pid {process.pid})")
        return child

    def run_step(self, spec: ChildSpec) -> Child:
        """Run a command to completion; raises StackError when it fails or we are stopped."""
        child = self.start(spec)
        while child.process.poll() is None:
            if self.stopping.wait(0.1):
                self.stop_all()
                raise StackError(f"stopped during {spec.name}")
        child.reader.join(timeout=5)
        self.children.remove(child)
        if child.process.returncode != 0:
            raise StackError(f"{spec.name} failed with exit code {child.process.returncode}; see its output above")
        return child

    def request_stop(self) -> None:
        self.stopping.set()

    def dead_child(self) -> Child | None:
        for child in self.children:
            if child.process.poll() is not None:
                return child
        return None

    def wait_ready(self, timeout: float) -> None:
        """Until every child with a ready URL answers it; raises StackError otherwise."""
        pending = [child for child in self.children if child.spec.ready_url]
        deadline = time.monotonic() + timeout
        while pending:
            dead = self.dead_child()
            if dead is not None:
                raise StackError(_death_message(dead))
            if self.stopping.is_set():
                raise StackError("stopped while starting")
            pending = [child for child in pending if not _answers(child.spec.ready_url or "")]
            if not pending:
                break
            if time.monotonic() > deadline:
                names = ", ".join(f"{c.name} ({c.spec.ready_url})" for c in pending)
                raise StackError(f"not answering after {timeout:.0f} seconds: {names}")
            self.stopping.wait(0.2)

    def restart(self, child: Child) -> Child:
        """Start a dead child again (what it left in its process group goes first)."""
        _signal_group(child.pid, signal.SIGKILL)
        child.reader.join(timeout=2)
        self.children.remove(child)
        self.say(_death_message(child) + "; starting it again.")
        return self.start(child.spec)

    def watch(self) -> int:
        """Until a stop is requested (0) or a child dies (1); every child is stopped after.

        A child whose spec says ``restart`` is started again instead, as Kubernetes restarts a pod.
        """
        try:
            while not self.stopping.wait(0.2):
                dead = self.dead_child()
                if dead is not None and dead.spec.restart and self.restarts.get(dead.name, 0) < MAX_RESTARTS:
                    self.restarts[dead.name] = self.restarts.get(dead.name, 0) + 1
                    self.restart(dead)
                    continue
                if dead is not None:
                    self.say(_death_message(dead) + "; stopping the others.")
                    return 1
            self.say("stopping…")
            return 0
        finally:
            self.stop_all()

    def stop_all(self) -> None:
        children = list(self.children)
        for child in children:
            if child.process.poll() is None:
                _signal_group(child.pid, child.spec.stop_signal)
        deadline = time.monotonic() + self.stop_timeout
        for child in children:
            try:
                child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} did not stop in {self.stop_timeout:.0f} seconds; killing it")
                _signal_group(child.pid, signal.SIGKILL)
                child.process.wait()
        for child in children:
            # Whatever the leader left behind in its group goes too.
            _signal_group(child.pid, signal.SIGKILL)
            child.reader.join(timeout=2)
        self.children = [c for c in self.children if c not in children]


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _death_message(child: Child) -> str:
    code = child.process.returncode
    how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
    return f"{child.name} {how}"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


# -- the banner --------------------------------------------------------------------------
def demo_accounts() -> list[tuple[str, str, str]] | None:
    """``panda_portal.demo.DEMO_ACCOUNTS``: (email, password, description) of each demo sign-in."""
    try:
        from panda_portal.demo import DEMO_ACCOUNTS
    except Exception:  # not there (yet), or the module does not import: fall back to demo's output
        return None
    return [tuple(str(part) for part in entry[:3]) for entry in DEMO_ACCOUNTS]  # type: ignore[misc]


def banner(ports: Ports, accounts: list[tuple[str, str, str]] | None, demo_output: list[str]) -> list[str]:
    lines = [
        "ready:",
        f"  Panda portal       http://{HOST}:{ports.panda}/",
        f"  Support Community  http://{HOST}:{ports.community}/",
        f"  Mail catcher       http://{HOST}:{ports.mail_web}/  (SMTP on {HOST}:{ports.smtp})",
        f"  Replies by e-mail  SMTP on {HOST}:{ports.inbound_smtp} (send a reply to a case mail's Reply-To here)",
    ]
    lines.append(
        f"  API reference      http://{HOST}:{ports.panda}/api/v1/docs  http://{HOST}:{ports.community}/api/v1/docs"
    )
    if accounts:
        lines.append("Demo sign-ins:")
        lines += [f"  {email:<34} {password:<24} {description}" for email, password, description in accounts]
        # The demo integration's credentials (`panda demo` prints them), to try the APIs without a person.
        lines += [f"  {line.strip()}" for line in demo_output if line.strip().startswith("Demo integration")]
    else:
        said = [line for line in demo_output if line.strip() and not LOG_RECORD.match(line)]
        if said:
            lines.append("Demo data (from `panda demo`):")
            lines += [f"  {line}" for line in said]
    lines.append("Press Ctrl-C to stop.")
    return lines


# -- main --------------------------------------------------------------------------------
def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devserver", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reload", action="store_true", help="restart a service's workers when its code changes")
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for every service to answer (default %(default)s)",
    )
    args = parser.parse_args(argv)

    supervisor: Supervisor | None = None
    try:
        ports = Ports.from_env(os.environ)
        busy = ports.busy()
        if busy:
            raise StackError(
                "already in use: " + ", ".join(busy) + ". Stop what uses it, or choose "
                "another port, e.g. `PANDA_PORT=5100 make run`."
            )
        supervisor = Supervisor(child_environment(ports))
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda *_: supervisor.request_stop())
        # Started by `make run`: if make is killed (not Ctrl-C, which reaches us too), stop as well.
        _die_with_parent()

        supervisor.say(f"instance folder: {supervisor.env.get('INSTANCE_PATH') or PROJECT_ROOT / 'instance'}")
        demo_output: list[str] = []
        for step in setup_steps():
            done = supervisor.run_step(step)
            if step.name == "panda-demo":
                demo_output = list(done.lines)
        for spec in stack_children(ports, reload=args.reload):
            supervisor.start(spec)
        supervisor.wait_ready(args.start_timeout)
        for line in banner(ports, demo_accounts(), demo_output):
            supervisor.say(line)
        return supervisor.watch()
    except StackError as exc:
        if supervisor is None:
            print(f"devserver: cannot run the stack: {exc}", file=sys.stderr)
            return 1
        if supervisor.stopping.is_set():
            supervisor.say("stopped before everything was ready.")
            return 0
        supervisor.say(f"cannot run the stack: {exc}")
        return 1
    finally:
        if supervisor is not None:
            supervisor.stop_all()
