"""A private Debian Postfix for tests: 127.0.0.1 only, its own port, config, queue and data
folders, STARTTLS required with a certificate from a throwaway CA made here with openssl, SMTP
AUTH through a private Dovecot, and every message delivered to one catch-all Maildir. Nothing
leaves the machine: there is no transport but virtual delivery (the others are ``error:``).

It never touches the machine's own Postfix: it is started and stopped with ``postfix -c DIR``,
its Dovecot with ``dovecot -c FILE``, and both are stopped (and the folder removed) at the end.
Installed by ``scripts/install-mail-deps``.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.smtp import free_port

POSTFIX = "/usr/sbin/postfix"
DOVECOT = "/usr/sbin/dovecot"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

MASTER_CF = """\
{listen} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.test.invalid
mydomain = test.invalid
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
maillog_file = {root}/postfix.log
maillog_file_prefixes = {root}
smtpd_banner = $myhostname ESMTP test relay
biff = no
append_dot_mydomain = no
# Nothing leaves the machine: every domain is a virtual mailbox domain, delivered to one Maildir.
default_transport = error:this test relay sends nothing off the machine
relay_transport = error:this test relay sends nothing off the machine
local_transport = error:this test relay has no local users
virtual_mailbox_domains = regexp:{root}/conf/domains
virtual_mailbox_maps = regexp:{root}/conf/mailboxes
virtual_mailbox_base = {root}/mail
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = {uid}
# STARTTLS required, then AUTH required, for every message.
smtpd_tls_security_level = encrypt
smtpd_tls_cert_file = {root}/tls/server.crt
smtpd_tls_key_file = {root}/tls/server.key
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {root}/dovecot/auth-client
smtpd_relay_restrictions = permit_sasl_authenticated,
    check_recipient_access regexp:{root}/conf/unauthenticated, reject
# Unauthenticated clients get the answer a real relay gives for a domain that is not its own
# (every domain is local here, so reject_unauth_destination would let them through).
smtpd_recipient_restrictions = permit_sasl_authenticated,
    check_recipient_access regexp:{root}/conf/unauthenticated
smtpd_client_restrictions =
message_size_limit = 10240000
"""

DOVECOT_CONF = """\
base_dir = {root}/dovecot/run
state_dir = {root}/dovecot/state
instance_name = postfix-test-{port}
protocols =
listen = 127.0.0.1
log_path = {root}/dovecot.log
ssl = no
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/dovecot/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home=/nonexistent
}}
service auth {{
  unix_listener {root}/dovecot/auth-client {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
"""


def _run(*command: str) -> str:
    """Run a command to its end. Output goes to a file, not a pipe: daemons it starts keep
    their copy of a pipe open, and reading one would wait for them."""
    with tempfile.TemporaryFile() as output:
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, timeout=60
        )
        output.seek(0)
        text = output.read().decode(errors="replace")
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{text}")
    return text


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    """A throwaway certificate authority: (certificate, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    _run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert),
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return cert, key


def make_server_certificate(folder: Path, ca: tuple[Path, Path]) -> None:
    """server.crt/server.key for 127.0.0.1 and localhost, signed by the CA."""
    key, request, cert = folder / "server.key", folder / "server.csr", folder / "server.crt"
    extensions = folder / "server.ext"
    extensions.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
    )
    _run(
        "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", str(key), "-out", str(request),
    )  # fmt: skip
    _run(
        "openssl", "x509", "-req", "-in", str(request), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
        "-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(cert),
    )  # fmt: skip


class PostfixRelay:
    """One private Postfix (and Dovecot for AUTH); ``start``, ``stop``, ``restart``, ``close``."""

    username = "relay-user"
    password = "relay-pass-word"

    def __init__(self) -> None:
        # Not under pytest's tmp folder: Postfix's unprivileged processes must reach these.
        self.root = Path(tempfile.mkdtemp(prefix="postfix-test-", dir="/tmp"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.conf = self.root / "conf"
        self.maildir = self.root / "mail" / "catchall"
        self.ca_file, ca_key = make_ca(self.root / "ca", "test-ca")
        self.other_ca_file, _ = make_ca(self.root / "other-ca", "other-ca")
        make_server_certificate(self.root / "ca", (self.ca_file, ca_key))
        self._configure()
        self._postfix_running = False
        self._dovecot_running = False

    def _configure(self) -> None:
        uid, gid = pwd.getpwnam("postfix").pw_uid, grp.getgrnam("postfix").gr_gid
        for name in ("conf", "queue", "data", "mail", "tls", "dovecot"):
            (self.root / name).mkdir(mode=0o755, exist_ok=True)
        for name in ("server.crt", "server.key"):
            shutil.copy(self.root / "ca" / name, self.root / "tls" / name)
        os.chown(self.root / "data", uid, gid)
        os.chown(self.root / "mail", uid, gid)
        values = {"root": self.root, "uid": uid, "gid": gid, "port": self.port}
        (self.conf / "main.cf").write_text(MAIN_CF.format(**values))
        (self.conf / "master.cf").write_text(MASTER_CF.format(listen=f"127.0.0.1:{self.port}"))
        (self.conf / "domains").write_text("/./ OK\n")
        (self.conf / "mailboxes").write_text("/./ catchall/\n")
        (self.conf / "unauthenticated").write_text("/./ REJECT Relay access denied\n")
        (self.root / "dovecot" / "users").write_text(f"{self.username}:{{PLAIN}}{self.password}\n")
        self.dovecot_conf = self.root / "dovecot" / "dovecot.conf"
        self.dovecot_conf.write_text(DOVECOT_CONF.format(**values))

    # -- processes -------------------------------------------------------------------------

    def start(self) -> PostfixRelay:
        if not self._dovecot_running:
            _run(DOVECOT, "-c", str(self.dovecot_conf))
            self._dovecot_running = True
            self._wait_for(lambda: (self.root / "dovecot" / "auth-client").exists(), "dovecot")
        _run(POSTFIX, "-c", str(self.conf), "start")
        self._postfix_running = True
        self._wait_for(self._listening, "postfix")
        return self

    def stop_postfix(self) -> None:
        """Stop Postfix only (as an outage would); Dovecot stays."""
        if self._postfix_running:
            _run(POSTFIX, "-c", str(self.conf), "stop")
            self._postfix_running = False
            self._wait_for(lambda: not self._listening() and not self._master_alive(), "stop")

    def close(self) -> None:
        """Stop everything and remove the folder: nothing is left running."""
        try:
            self.stop_postfix()
        finally:
            if self._dovecot_running:
                _run(DOVECOT, "-c", str(self.dovecot_conf), "stop")
                self._dovecot_running = False
                pid_file = self.root / "dovecot" / "run" / "master.pid"
                self._wait_for(lambda: not pid_file.exists(), "dovecot stop")
            shutil.rmtree(self.root, ignore_errors=True)

    def _listening(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def _master_alive(self) -> bool:
        pid_file = self.root / "queue" / "pid" / "master.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def _wait_for(self, condition, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{what} did not get ready:\n{self.log()[-3000:]}")

    # -- what arrived ----------------------------------------------------------------------

    def delivered(self) -> list[bytes]:
        """Every delivered message file, oldest first."""
        folder = self.maildir / "new"
        if not folder.exists():
            return []
        files = sorted(folder.iterdir(), key=lambda p: (p.stat().st_mtime, p.name))
        return [path.read_bytes() for path in files]

    def wait_for(self, count: int, timeout: float = 60.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.delivered()
            if len(found) >= count:
                return found
            time.sleep(0.2)
        return self.delivered()

    def clear(self) -> None:
        for folder in ("new", "cur", "tmp"):
            for path in (self.maildir / folder).glob("*"):
                path.unlink()

    def log(self) -> str:
        parts = []
        for name in ("postfix.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)
