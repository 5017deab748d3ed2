"""The documented production path, run here: Caddy (deploy/Caddyfile, `tls internal`) in front of
`packets serve --public-url https://...`, both on loopback, checked through the proxy as a
browser meets it: HTTPS with Caddy's own root certificate, Secure cookies, HSTS, a Host the
server does not answer, and X-Forwarded-For believed only from the proxy. The systemd unit
(deploy/packets.service) is checked by systemd's own verifier and by `packets serve`'s options.
"""

from __future__ import annotations

import configparser
import http.client
import os
import re
import shlex
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from test_studio import _project_copy

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PASSWORD = "cedar smoke and river stones"
pytestmark = pytest.mark.xdist_group("serve-proxy")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _packets(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from packets.cli import main; main()", *args],
        cwd=root,
        env={**os.environ, "PACKETS_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


class Deployment:
    """`packets serve` on loopback and Caddy in front of it, as deploy/ describes."""

    def __init__(self, base: Path):
        self.base = base
        self.root = _project_copy(base)
        self.db = base / "state" / "packets.db"
        self.https = _free_port()
        self.public = f"https://localhost:{self.https}"
        self.processes: list[subprocess.Popen] = []
        self.said: list[str] = []

    def start(self) -> None:
        serve = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from packets.cli import main; main()",
                "serve",
                "--port",
                "0",
                "--public-url",
                self.public,
                "--db",
                str(self.db),
                "--out",
                str(self.base / "output"),
            ],
            cwd=self.root,
            env={**os.environ, "PACKETS_ROOT": str(self.root), "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.processes.append(serve)
        deadline = time.monotonic() + 60
        found = None
        while found is None and time.monotonic() < deadline:
            line = serve.stdout.readline()
            self.said.append(line)
            if not line and serve.poll() is not None:
                raise RuntimeError("packets serve stopped:\n" + "".join(self.said))
            found = re.search(r"Listening on 127\.0\.0\.1 port (\d+)", line)
        assert found, "".join(self.said)
        self.app_port = int(found.group(1))
        threading.Thread(target=lambda: self.said.extend(serve.stdout), daemon=True).start()

        storage = self.base / "caddy"
        caddyfile = self.base / "Caddyfile"
        # The test's own global options (loopback, high ports, its own storage, no admin endpoint,
        # certificates from Caddy's internal authority), then the deployment's Caddyfile itself.
        caddyfile.write_text(
            "{\n\tadmin off\n\tdefault_bind 127.0.0.1\n\tlocal_certs\n\tskip_install_trust\n"
            f"\tstorage file_system {{\n\t\troot {storage}\n\t}}\n"
            f"\thttp_port {_free_port()}\n\thttps_port {self.https}\n}}\n"
            f"import {DEPLOY / 'Caddyfile'}\n"
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.base),
            "XDG_DATA_HOME": str(self.base / "xdg-data"),
            "XDG_CONFIG_HOME": str(self.base / "xdg-config"),
            "PACKETS_SITE": "localhost, 127.0.0.1",
            "PACKETS_PORT": str(self.app_port),
        }
        caddy = subprocess.Popen(
            ["caddy", "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.processes.append(caddy)
        self.caddy_said: list[str] = []
        threading.Thread(target=lambda: self.caddy_said.extend(caddy.stdout), daemon=True).start()
        self.root_cert = storage / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if caddy.poll() is not None:
                raise RuntimeError("caddy stopped:\n" + "".join(self.caddy_said))
            if self.root_cert.exists():
                try:
                    if self.request("GET", "/sign-in")[0] == 200:
                        return
                except (OSError, ssl.SSLError):
                    pass
            time.sleep(0.2)
        raise RuntimeError("caddy never answered over HTTPS:\n" + "".join(self.caddy_said))

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def context(self) -> ssl.SSLContext:
        """Trusting Caddy's local root only (its data dir), as a browser would once told to."""
        return ssl.create_default_context(cafile=str(self.root_cert))

    def request(
        self, method: str, path: str, headers: dict | None = None, body: bytes | None = None, name: str = "localhost"
    ):
        connection = http.client.HTTPSConnection(name, self.https, timeout=60, context=self.context())
        try:
            connection.request(method, path, body=body, headers={"Host": f"{name}:{self.https}", **(headers or {})})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read().decode("utf-8", "replace")
        finally:
            connection.close()


class Browser:
    """Cookies and the CSRF token kept between requests through the proxy."""

    def __init__(self, deployment: Deployment):
        self.deployment = deployment
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.set_cookies: list[str] = []

    def go(self, method: str, path: str, fields: dict | None = None, headers: dict | None = None):
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode({**fields, "csrf": self.csrf}).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = self.deployment.public
        status, raw, text = self.deployment.request(method, path, sent, body)
        for name, value in raw:
            if name.lower() == "set-cookie":
                self.set_cookies.append(value)
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        found = re.search(r'name="csrf" value="([^"]*)"', text) or re.search(
            r'name="csrf-token" content="([^"]*)"', text
        )
        if found:
            self.csrf = found.group(1)
        return status, raw, text


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    if shutil.which("caddy") is None:
        pytest.skip("caddy is not installed (make system-deps installs Debian's caddy)")
    running = Deployment(tmp_path_factory.mktemp("deploy"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _values(raw, name: str) -> list[str]:
    return [v for k, v in raw if k.lower() == name]


def test_https_through_caddy_with_its_own_root_certificate(deployment):
    status, raw, page = deployment.request("GET", "/sign-in")
    assert status == 200 and "<h1>Sign in</h1>" in page
    assert _values(raw, "strict-transport-security") == ["max-age=31536000"]  # once, from Caddy's deferred header
    assert not _values(raw, "server")
    with pytest.raises(ssl.SSLCertVerificationError):  # a client that does not trust Caddy's root refuses it
        connection = http.client.HTTPSConnection(
            "localhost", deployment.https, timeout=30, context=ssl.create_default_context()
        )
        try:
            connection.request("GET", "/sign-in")
        finally:
            connection.close()


def test_an_invitation_accepted_through_the_proxy_signs_in_with_secure_cookies(deployment):
    added = _packets(
        deployment.root,
        "users",
        "add",
        "ann@example.org",
        "--role",
        "coordinator",
        "--org",
        "example",
        "--db",
        str(deployment.db),
        "--public-url",
        deployment.public,
    )
    assert added.returncode == 0, added.stderr
    link = added.stdout.strip()
    assert link.startswith(deployment.public + "/invite/")
    browser = Browser(deployment)
    status, raw, page = browser.go("GET", urlsplit(link).path)
    assert status == 200 and "ann@example.org" in page
    status, raw, _ = browser.go("POST", urlsplit(link).path, {"password": PASSWORD, "confirm": PASSWORD})
    assert status == 303, _
    assert _values(raw, "strict-transport-security") == ["max-age=31536000"]
    assert browser.set_cookies
    for cookie in browser.set_cookies:
        assert cookie.startswith("__Host-packets_"), cookie
        assert "; Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie and "Domain" not in cookie
    status, _, page = browser.go("GET", "/")
    assert status == 200 and "ann@example.org" in page


def test_a_host_the_server_does_not_answer_is_refused_through_the_proxy(deployment):
    # Caddy serves 127.0.0.1 too (PACKETS_SITE), but the server answers only its public name.
    status, raw, page = deployment.request("GET", "/sign-in", name="127.0.0.1")
    assert status in (400, 403, 421), (status, page[:300])
    assert "Sign in" not in page and not _values(raw, "set-cookie")
    # A name Caddy has no site for never reaches the server at all: Caddy's empty answer, without
    # the server's own headers (every answer of the server carries its Content-Security-Policy).
    status, raw, page = deployment.request("GET", "/sign-in", headers={"Host": "evil.example"})
    assert page == "" and not _values(raw, "set-cookie") and not _values(raw, "content-security-policy")


def _sign_in_addresses(db: Path, email: str) -> list[str]:
    with sqlite3.connect(db) as raw:
        return [r[0] for r in raw.execute("select address from sign_ins where email = ? order by id", (email,))]


def test_x_forwarded_for_from_a_browser_is_not_believed(deployment):
    browser = Browser(deployment)
    browser.go("GET", "/sign-in")
    status, _, _ = browser.go(
        "POST",
        "/sign-in",
        {"email": "spoof@example.org", "password": "a guessed password"},
        headers={"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"},
    )
    assert status == 401
    assert _sign_in_addresses(deployment.db, "spoof@example.org") == ["127.0.0.1"]  # what Caddy saw, not the header


def test_the_per_address_limit_holds_whatever_x_forwarded_for_says(deployment):
    statuses = []
    for n in range(6):  # a new claimed address and a new account for each guess
        browser = Browser(deployment)
        browser.go("GET", "/sign-in")
        status, _, page = browser.go(
            "POST",
            "/sign-in",
            {"email": f"guess{n}@example.org", "password": "a guessed password"},
            headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
        )
        statuses.append(status)
    # Earlier tests in this module may have failed from this address too: the run reaches 429 at the latest here.
    assert statuses[-1] == 429 and "Too many wrong passwords in a row" in page
    assert set(statuses) <= {401, 429} and 401 in statuses[:1] + statuses


def test_x_forwarded_for_sent_straight_to_the_server_from_another_address_is_not_believed(deployment):
    """Not through Caddy: from 127.0.0.2, which is not the trusted proxy (127.0.0.1)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", deployment.app_port, timeout=30, source_address=("127.0.0.2", 0)
    )
    host = f"localhost:{deployment.https}"
    try:
        connection.request("GET", "/sign-in", headers={"Host": host, "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        response.read()
        cookie = next(v for k, v in response.getheaders() if k.lower() == "set-cookie").split(";")[0]
        token = cookie.split("=", 1)[1]
        body = urlencode({"email": "direct@example.org", "password": "a guessed password", "csrf": token})
        connection.request(
            "POST",
            "/sign-in",
            body=body,
            headers={
                "Host": host,
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": "203.0.113.77",
                "X-Forwarded-Proto": "https",
            },
        )
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 401
    assert _sign_in_addresses(deployment.db, "direct@example.org") == ["127.0.0.2"]


# ---------------------------------------------------------------------------- the systemd unit


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(DEPLOY / "packets.service")
    return unit


def test_the_systemd_unit_is_hardened_and_keeps_its_state_apart():
    service = _unit()["Service"]
    expected = {
        "User": "packets",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "StateDirectory": "packets",
        "StateDirectoryMode": "0700",
        "UMask": "0077",
        "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "yes",
        "IPAddressDeny": "any",
        "KillMode": "control-group",
    }
    for key, value in expected.items():
        assert service.get(key) == value, key
    command = shlex.split(service["ExecStart"])
    assert command[1] == "serve"
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--db") + 1].startswith("/var/lib/packets/")  # the StateDirectory
    assert command[command.index("--public-url") + 1].startswith("https://")
    assert service["ReadWritePaths"] == "/srv/packets/content/orgs"


def test_the_systemd_units_command_is_one_packets_serve_accepts():
    from packets.cli import main

    command = shlex.split(_unit()["Service"]["ExecStart"])[1:]
    with main.make_context("packets", list(command), resilient_parsing=False) as ctx:
        sub = ctx.command.get_command(ctx, command[0])
        sub.make_context(command[0], command[1:], parent=ctx)  # unknown or malformed options raise here


def test_systemd_verifies_the_unit(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "packets.service"
    # The checkout is not installed at /srv/packets here: point ExecStart at this one's packets.
    packets = shutil.which("packets", path=str(Path(sys.executable).parent)) or "/bin/true"
    unit.write_text((DEPLOY / "packets.service").read_text().replace("/srv/packets/.venv/bin/packets", packets))
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if "packets.service" in line]
    assert not problems, problems
