"""A private Dovecot IMAP server for the tests: its own config, maildir, password file and TLS certificate.

Started on a free loopback port from a temporary folder (Debian's ``dovecot-imapd``, as
``.ci/run`` installs it), never the system's instance. As root, mail is kept by the
``dovecot`` user and logins handled by ``dovenull`` (Dovecot refuses root for both);
otherwise everything runs as the current user. IMAP offers STARTTLS with a certificate
made for ``127.0.0.1`` and refuses a password before it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import imaplib
import os
import pwd
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import free_port

DOVECOT = Path("/usr/sbin/dovecot")
DOVEADM = Path("/usr/bin/doveadm")
USER = "support"
PASSWORD = "imap-test-password-for-replies"


def _certificate(folder: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Dovecot:
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dovecot-tests-")))
    port: int = 0
    host: str = "127.0.0.1"
    ca_file: str = ""
    # Dovecot's ``imap_capability`` when given: what the server says it can do (e.g. without IDLE).
    capabilities: str | None = None

    @property
    def config_file(self) -> Path:
        return self.folder / "dovecot.conf"

    def settings(self) -> dict:
        """The community's settings for this mailbox."""
        return {
            "COMMUNITY_IMAP_HOST": self.host,
            "COMMUNITY_IMAP_PORT": self.port,
            "COMMUNITY_IMAP_SECURITY": "starttls",
            "COMMUNITY_IMAP_CA_FILE": self.ca_file,
            "COMMUNITY_IMAP_USERNAME": USER,
            "COMMUNITY_IMAP_PASSWORD": PASSWORD,
            "COMMUNITY_IMAP_FOLDER": "INBOX",
        }

    def start(self) -> Dovecot:
        os.chmod(self.folder, 0o755)
        (self.folder / "run").mkdir()
        mail = self.folder / "mail"
        mail.mkdir()
        cert, key = _certificate(self.folder)
        self.ca_file = str(cert)
        (self.folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        if os.geteuid() == 0:
            internal, login = "dovecot", "dovenull"
            owner = pwd.getpwnam(internal)
            os.chown(mail, owner.pw_uid, owner.pw_gid)
            mail_user = f"uid={owner.pw_uid} gid={owner.pw_gid}"
        else:
            internal = login = getpass.getuser()
            mail_user = f"uid={os.getuid()} gid={os.getgid()}"
        self.port = free_port()
        self.config_file.write_text(
            f"""
protocols = imap
listen = {self.host}
base_dir = {self.folder}/run
state_dir = {self.folder}/run/state
log_path = {self.folder}/dovecot.log
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.folder}/passwd
}}
userdb {{
  driver = static
  args = {mail_user} home={mail}/%u
}}
mail_location = maildir:~/Maildir
{f"imap_capability = {self.capabilities}" if self.capabilities is not None else ""}
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        )
        return self._launch()

    def _launch(self) -> Dovecot:
        # Dovecot goes to the background: its output goes to a file, not to a pipe it would keep open.
        with open(self.folder / "start.log", "wb") as output:
            started = subprocess.run(
                [str(DOVECOT), "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=30,
                check=False,
            )
        if started.returncode != 0:
            raise RuntimeError(f"dovecot did not start: {(self.folder / 'start.log').read_text()}")
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client().logout()
                return self
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self._halt()
        shutil.rmtree(self.folder, ignore_errors=True)

    def restart(self, while_down: Callable[[], None] = lambda: None) -> None:
        """Stop the server and every connection to it, do ``while_down``, start it again on the same port.

        Dovecot's master leaves running sessions alive when it stops (a TLS session stays with
        its login process), so they are ended first, as a restart of the whole service does.
        """
        self.kick()
        self._halt()
        while_down()
        self._launch()

    def kick(self) -> None:
        """End every session of the mailbox's user (the server says BYE and closes the connection)."""
        subprocess.run(
            [str(DOVEADM), "-c", str(self.config_file), "kick", USER],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            timeout=30,
            check=True,
        )

    def _halt(self) -> None:
        pid_file = self.folder / "run" / "master.pid"
        subprocess.run(
            [str(DOVECOT), "-c", str(self.config_file), "stop"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass

    # -- what a test does with the mailbox --
    def client(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        connection.starttls(ssl_context=ssl.create_default_context(cafile=self.ca_file))
        connection.login(USER, PASSWORD)
        connection.select("INBOX")
        return connection

    def deliver(self, raw: bytes) -> None:
        """Put a mail in the mailbox, as the mail server does when a reply arrives."""
        connection = self.client()
        try:
            status, data = connection.append("INBOX", None, None, raw)
            assert status == "OK", data
        finally:
            connection.logout()

    def drop(self, raw: bytes) -> None:
        """Put a mail straight into the maildir, as the mail server's delivery agent does (IMAP may be down)."""
        maildir = self.folder / "mail" / USER / "Maildir"
        name = f"{time.time_ns()}.test{os.getpid()}.localhost"
        (maildir / "tmp" / name).write_bytes(raw)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("dovecot")
            os.chown(maildir / "tmp" / name, owner.pw_uid, owner.pw_gid)
        os.rename(maildir / "tmp" / name, maildir / "new" / name)

    def messages(self) -> list[bytes]:
        """The mails in the mailbox (those not deleted)."""
        connection = self.client()
        try:
            _, data = connection.search(None, "UNDELETED")
            found = []
            for number in (data[0] or b"").split():
                _, parts = connection.fetch(number.decode(), "(BODY.PEEK[])")
                found += [part[1] for part in parts if isinstance(part, tuple)]
            return found
        finally:
            connection.logout()

    def empty(self) -> None:
        connection = self.client()
        try:
            _, data = connection.search(None, "ALL")
            for number in (data[0] or b"").split():
                connection.store(number.decode(), "+FLAGS.SILENT", r"(\Deleted)")
            connection.expunge()
        finally:
            connection.logout()
