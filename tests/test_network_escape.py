"""Nothing in an organization file, and nothing in a document, can reach the network or other files."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, flat, pdf_text, run

from packets.render.pdf import ConfinedFetcher, Renderer, ResourceRefused

SENTINEL = "SENTINEL /settle"


class Listener:
    """A loopback server that records every connection attempt.

    `hits()` first connects a sentinel of its own and waits until the server has taken it:
    the kernel hands over connections in the order they arrived, so by then every attempt
    made before it (by a build that has returned) is recorded. No sleeping and hoping."""

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.recorded: list[str] = []
        self.sentinels = 0
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:  # closed
                return
            with self.changed:
                self.recorded.append("connection")  # counted at once, even if nothing is sent
                index = len(self.recorded) - 1
            conn.settimeout(0.5)
            with contextlib.suppress(OSError):
                line = conn.recv(200).decode("latin-1").split("\r\n")[0] or "connection"
                with self.changed:
                    self.recorded[index] = line
            conn.close()
            with self.changed:
                if self.recorded[index] == SENTINEL:
                    del self.recorded[index]
                    self.sentinels += 1
                self.changed.notify_all()

    def hits(self) -> list[str]:
        with self.changed:
            expected = self.sentinels + 1
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(SENTINEL.encode() + b"\r\n\r\n")
        with self.changed:
            assert self.changed.wait_for(lambda: self.sentinels >= expected, timeout=10), "the listener stopped"
            return list(self.recorded)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the accept() the thread is blocked in
        self.server.close()
        self.thread.join(timeout=2)


@pytest.fixture
def listener():
    server = Listener()
    yield server
    late = server.hits()  # a connection made after the test's own look is still caught
    server.close()
    assert late == [], f"a connection reached the listener: {late}"


def test_the_listener_does_see_a_connection(listener):
    """The network tests below would notice a connection: check the listener itself."""
    with socket.create_connection(("127.0.0.1", listener.port), timeout=2) as conn:
        conn.sendall(b"GET /probe HTTP/1.0\r\n\r\n")
    assert listener.hits() == ["GET /probe HTTP/1.0"]
    listener.recorded.clear()


def _org_pointing_at(url: str, folder: Path) -> Path:
    org = folder / "network.yaml"
    org.write_text(
        f"""name: "Network <img src='{url}/name.png'> Clinic"
logo_alt: "<link rel=stylesheet href='{url}/alt.css'>"
workshop:
  title: "<style>@import url({url}/title.css);</style>"
  location: "url({url}/location.png) @import '{url}/x.css';"
  facilitators:
    - {{name: "[link]({url}/md)", role: "![img]({url}/md.png)", contact: "{url}/contact"}}
land_acknowledgement:
  nations:
    - {{name: "<object data='{url}/object'></object>", pronunciation: "{url}/say"}}
  statement: "<iframe src='{url}/frame'></iframe> <a rel=attachment href='{url}/attach'>x</a> ![x]({url}/md.png)"
  commitments: ["<base href='{url}/'>", "<svg><image href='{url}/svg.png'/></svg>"]
local_resources:
  - {{name: "<video src='{url}/v.mp4'></video>", contact: "{url}/resource", note: "<embed src='{url}/e'>"}}
""",
        encoding="utf-8",
    )
    return org


def test_no_field_of_an_org_file_reaches_the_network(listener, tmp_path):
    url = f"http://127.0.0.1:{listener.port}"
    org = _org_pointing_at(url, tmp_path)
    out = tmp_path / "out"
    result = run("build", str(org), "--out", str(out), "-j1")
    assert listener.hits() == [], "the build connected to the network"
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output  # every one of them prints as text
    for audience in ("facilitator-guide", "participant-handout"):
        text = flat(pdf_text(out / "network" / f"network-{audience}.pdf"))
        assert f"Network <img src='{url}/name.png'> Clinic" in text
    facilitator = flat(pdf_text(out / "network" / "network-facilitator-guide.pdf"))
    assert f"[link]({url}/md)" in facilitator


SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">{}<rect width="20" height="20"/></svg>'
# name: (SVG text, whether WeasyPrint would ask for the URL when it draws the logo)
REMOTE_LOGOS = {
    "image.svg": (SVG.format('<image href="{url}/svg-image.png" width="5" height="5"/>'), True),
    "xlink.svg": (
        SVG.format(
            '<image xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="{url}/xlink.png" width="5" height="5"/>'
        ),
        True,
    ),
    "font.svg": (
        SVG.format(
            "<style>@font-face {{ font-family: R; src: u\\72l({url}/font.ttf) }} text {{ font-family: R }}</style>"
            '<text y="10">R</text>'
        ),
        True,
    ),
    "nested.svg": (
        SVG.format(
            '<image width="5" height="5" href="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22'
            '%3E%3Cimage href=%22{url}/nested.png%22/%3E%3C/svg%3E"/>'
        ),
        True,
    ),
    "import.svg": (SVG.format("<style>@import url({url}/import.css);</style>"), False),
    "fill.svg": (SVG.format('<rect width="5" height="5" style="fill: url({url}/fill.png)"/>'), False),
}


def _remote_org(tmp_path: Path, port: int, field: str, value: str) -> Path:
    url = f"http://127.0.0.1:{port}"
    for name, (svg, _) in REMOTE_LOGOS.items():
        (tmp_path / name).write_text(svg.format(url=url), encoding="utf-8")
    org = tmp_path / "remote.yaml"
    org.write_text(f"name: Remote Clinic\n{field}: {value.format(url=url, port=port)}\n", encoding="utf-8")
    return org


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("logo", "{url}/logo.png"),
        ("logo", "//127.0.0.1:{port}/logo.png"),
        ("accent_colour", '"red; background: url({url}/accent.png)"'),
        ("accent_colour", '"#123456; background-image: url({url}/accent.png)"'),
        *[("logo", name) for name in REMOTE_LOGOS],
    ],
)
def test_fields_that_become_urls_are_refused(listener, tmp_path, field, value):
    org = _remote_org(tmp_path, listener.port, field, value)
    out = tmp_path / "out"
    result = run("build", str(org), "--out", str(out), "-j1", "--audience", "participant")
    assert listener.hits() == [], "the build connected to the network"
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert "remote.yaml:2: " in result.output
    assert not out.exists() or not list(out.rglob("*.pdf"))


@pytest.mark.parametrize("name", sorted(REMOTE_LOGOS))
def test_a_logo_the_check_missed_is_refused_while_rendering(listener, tmp_path, monkeypatch, name):
    """Defence in depth: were the logo check to miss a reference, the URL fetcher still refuses it."""
    import packets.planning.organization

    monkeypatch.setattr(packets.planning.organization.assets, "check_logo", lambda *args: [])
    org = _remote_org(tmp_path, listener.port, "logo", name)
    url = f"http://127.0.0.1:{listener.port}"
    out = tmp_path / "out"
    result = run("build", str(org), "--out", str(out), "-j1", "--audience", "participant")
    assert listener.hits() == [], "the build connected to the network"
    assert "Traceback" not in result.output
    refused = f"remote.yaml:2: a file or address outside the project was requested while rendering: {url}/"
    if REMOTE_LOGOS[name][1]:
        assert result.exit_code == 2, result.output
    # WeasyPrint 70 does not follow the others at all; were a later one to, it must refuse them too.
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert refused in result.output
        assert not out.exists() or not list(out.rglob("*.pdf"))


# ---------------------------------------------------------------- the URL fetcher itself


def _fetcher(tmp_path: Path) -> ConfinedFetcher:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ok.css").write_text("p { color: black }", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (allowed / "link.css").symlink_to(tmp_path / "secret.txt")
    (allowed / "dir-link").symlink_to(tmp_path, target_is_directory=True)
    return ConfinedFetcher((allowed,))


def test_fetcher_serves_files_inside_its_roots(tmp_path):
    fetcher = _fetcher(tmp_path)
    response = fetcher.fetch((tmp_path / "allowed/ok.css").as_uri())
    assert response.read() == b"p { color: black }"
    assert fetcher.fetch((tmp_path / "allowed/ok.css").as_uri() + "?v=1#x").read() == b"p { color: black }"
    assert fetcher.refused == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://otherhost{path}/allowed/ok.css",
        "{root}/allowed/../secret.txt",
        "{root}/allowed/%2e%2e/secret.txt",
        "{root}/allowed/link.css",
        "{root}/allowed/dir-link/secret.txt",
        "{root}/allowed",
        "{root}/allowed/missing.css",
        "{root}/allowed/ok.css%00.png",
        "{root}/allowed/" + "a" * 5000,
        "http://127.0.0.1:9/x.css",
        "https://example.org/x.css",
        "ftp://127.0.0.1/x",
        "//127.0.0.1:9/x.css",
        "allowed/ok.css",
        "data:text/css," + "a" * 5000,
        "DATA:text/css,a",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_everything_else(tmp_path, url):
    from weasyprint.urls import FatalURLFetchingError

    fetcher = _fetcher(tmp_path)
    url = url.replace("{root}", tmp_path.as_uri()).replace("{path}", str(tmp_path))
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(url)
    assert fetcher.refused == [url[:200]]


def test_fetcher_allows_a_small_data_url(tmp_path):
    fetcher = _fetcher(tmp_path)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


HEAD = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>{}</head>'


@pytest.mark.parametrize(
    "html",
    [
        '<link rel="attachment" href="file:///etc/passwd"><p>x</p>',
        '<p><a rel="attachment" href="file:///etc/passwd">x</a></p>',
        '<link rel="stylesheet" href="file:///etc/passwd"><p>x</p>',
        "<style>@import url(file:///etc/passwd);</style><p>x</p>",
        "<style>@font-face { font-family: X; src: url(file:///etc/passwd) } p { font-family: X }</style><p>x</p>",
        '<base href="file:///etc/"><p><img src="passwd"></p>',
        '<p style="background: url(file:///etc/passwd)">x</p>',
        '<p><object data="file:///etc/passwd"></object></p>',
        '<p><embed src="file:///etc/passwd"></p>',
        '<p><svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg></p>',
        # An SVG inside a data: URL: WeasyPrint draws SVG images inside `except BaseException`.
        '<p><img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%2210%22 height=%2210%22'
        '%3E%3Cimage width=%2210%22 height=%2210%22 href=%22file:///etc/passwd%22/%3E%3C/svg%3E"></p>',
    ],
)
def test_documents_cannot_embed_or_read_outside_files(html, tmp_path):
    renderer = Renderer(ROOT / "templates", (ROOT / "templates",))
    document = HEAD.format("") + f"<body>{html}</body></html>"
    with pytest.raises(ResourceRefused, match="file:///etc/passwd"):
        renderer.render(document, base=ROOT / "templates")


def test_a_document_with_nothing_outside_renders(tmp_path):
    """The refusals above are about the URLs, not about rendering failing altogether."""
    renderer = Renderer(ROOT / "templates", (ROOT / "templates",))
    document = HEAD.format("") + '<body><p>x</p><p><img src="data:image/svg+xml,%3Csvg/%3E"></p></body></html>'
    assert renderer.render(document, base=ROOT / "templates").pdf.startswith(b"%PDF")


# ---------------------------------------------------------------- interrupted builds


def _assert_output_whole(out: Path) -> None:
    for pdf in out.rglob("*.pdf"):
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), f"{pdf.name} is partial"
    assert not [p for p in out.rglob("*") if p.name.startswith(".partial-")], "temporary file left behind"
    manifest = out / ".packets-manifest.json"
    if manifest.exists():
        assert isinstance(json.loads(manifest.read_text(encoding="utf-8")), dict)


def test_interrupted_build_leaves_no_partial_pdf(tmp_path):
    """Ctrl-C at several moments of rendering and writing: whole PDFs or none, never part of one."""
    interrupted = 0
    # Seconds after rendering starts; None: the moment the first output file appears.
    for delay in (0.0, 0.4, 0.9, None):
        # The first three share a folder, so earlier packets are there to be damaged.
        out = tmp_path / ("out" if delay is not None else "out-fresh")
        fonts = tmp_path / f"tmp-{delay}"
        fonts.mkdir()
        # WeasyPrint's font folder appearing in TMPDIR marks the start of rendering (the fonts
        # are loaded once the stylesheets are parsed, just before the first document).
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(fonts)}
        proc = subprocess.Popen(
            [sys.executable, "build.py", "build", "example", "--out", str(out), "--jobs", "1", "--force"]
            + ["--audience", "participant"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if delay is None:
                if out.is_dir() and any(p.name.startswith(".partial-") or p.suffix == ".pdf" for p in out.rglob("*")):
                    break
            elif any(fonts.glob("weasyprint-*")):
                time.sleep(delay)
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err, err.decode()
        # 130: interrupted and reported; 0: finished first; -SIGINT: the signal came during shutdown.
        assert proc.returncode in (0, 130, -signal.SIGINT), err.decode()
        interrupted += proc.returncode != 0
        _assert_output_whole(out)
        assert not list(fonts.glob("weasyprint-*")), "WeasyPrint's temporary font folder was left behind"
    assert interrupted, "no build was interrupted: the test did not test anything"
