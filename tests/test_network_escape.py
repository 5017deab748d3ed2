"""Nothing in an organisation file, and nothing in a document, can reach the network or other files."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, run

from packets.pdf import ConfinedFetcher, Renderer, ResourceRefused


@pytest.fixture
def listener():
    """A loopback server that records every connection attempt."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    hits: list[str] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            hits.append("connection")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join(timeout=2)
    server.close()


def _org_pointing_at(port: int, folder: Path) -> Path:
    url = f"http://127.0.0.1:{port}"
    (folder / "logos").mkdir()
    (folder / "logos" / "remote.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><image href="{url}/svg.png"/></svg>',
        encoding="utf-8",
    )
    org = folder / "network.yaml"
    org.write_text(
        f"""name: "Network <img src='{url}/name.png'> Clinic"
logo_alt: "<link rel=stylesheet href='{url}/alt.css'>"
workshop:
  location: "url({url}/location.png) @import '{url}/x.css';"
  facilitators:
    - {{name: "[link]({url}/md)", contact: "{url}/contact"}}
land_acknowledgement:
  nations:
    - {{name: "<object data='{url}/object'></object>", pronunciation: "{url}/say"}}
  statement: "<iframe src='{url}/frame'></iframe> <a rel=attachment href='{url}/attach'>x</a> ![x]({url}/md.png)"
  commitments: ["<base href='{url}/'>", "<style>@import url({url}/style.css);</style>"]
local_resources:
  - {{name: "<video src='{url}/v.mp4'></video>", contact: "{url}/resource"}}
""",
        encoding="utf-8",
    )
    return org


def test_no_field_of_an_org_file_reaches_the_network(listener, tmp_path):
    port, hits = listener
    org = _org_pointing_at(port, tmp_path)
    result = run("build", str(org), "--out", str(tmp_path / "out"), "-j1")
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output  # every one of them prints as text
    for url_logo in (f"http://127.0.0.1:{port}/logo.png", "logos/remote.svg"):
        org.write_text(f"name: Network Clinic\nlogo: {url_logo}\n", encoding="utf-8")
        refused = run("build", str(org), "--out", str(tmp_path / "out2"), "-j1", "--force")
        assert refused.exit_code == 2 and "network.yaml:2:" in refused.output
    time.sleep(0.5)
    assert hits == [], "the build connected to the network"


def _fetcher(tmp_path: Path) -> ConfinedFetcher:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ok.css").write_text("p { color: black }", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (allowed / "link.css").symlink_to(tmp_path / "secret.txt")
    return ConfinedFetcher((allowed,))


def test_fetcher_serves_files_inside_its_roots(tmp_path):
    fetcher = _fetcher(tmp_path)
    response = fetcher.fetch((tmp_path / "allowed/ok.css").as_uri())
    assert response.read() == b"p { color: black }"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "{root}/allowed/../secret.txt",
        "{root}/allowed/%2e%2e/secret.txt",
        "{root}/allowed/link.css",
        "http://127.0.0.1:9/x.css",
        "https://example.org/x.css",
        "ftp://127.0.0.1/x",
        "data:text/css," + "a" * 5000,
    ],
)
def test_fetcher_refuses_everything_else(tmp_path, url):
    from weasyprint.urls import FatalURLFetchingError

    fetcher = _fetcher(tmp_path)
    url = url.replace("{root}", tmp_path.as_uri())
    with pytest.raises(FatalURLFetchingError):
        fetcher.fetch(url)


def test_fetcher_allows_a_small_data_url(tmp_path):
    fetcher = _fetcher(tmp_path)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


@pytest.mark.parametrize(
    "html",
    [
        '<link rel="attachment" href="file:///etc/passwd"><p>x</p>',
        '<p><a rel="attachment" href="file:///etc/passwd">x</a></p>',
        "<style>@import url(file:///etc/passwd);</style><p>x</p>",
        '<base href="file:///etc/"><p><img src="passwd"></p>',
        '<p style="background: url(file:///etc/passwd)">x</p>',
    ],
)
def test_documents_cannot_embed_or_read_outside_files(html, tmp_path):
    renderer = Renderer(ROOT / "templates", (ROOT / "templates",))
    head = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
    document = f"{head}<body>{html}</body></html>"
    try:
        rendered = renderer.render(document, base=ROOT / "templates")
    except ResourceRefused as exc:
        assert "/etc/" in str(exc)
    else:
        assert b"root:" not in rendered.pdf and b"/EmbeddedFile" not in rendered.pdf


def test_interrupted_build_leaves_no_partial_pdf(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.8, 1.6, 2.4):
        proc = subprocess.Popen(
            [sys.executable, "build.py", "build", "example", "--out", str(out), "--jobs", "1", "--force"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err
        # 130: interrupted and reported; 0: finished first; -SIGINT: the signal came during shutdown.
        assert proc.returncode in (0, 130, -signal.SIGINT), err
        for pdf in out.rglob("*.pdf"):
            assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().rstrip().endswith(b"%%EOF")
        assert not [p for p in out.rglob("*") if p.name.startswith(".partial-")]
