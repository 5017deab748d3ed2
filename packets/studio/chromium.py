"""Driving the machine's own Chromium (Debian's `chromium` and `chromium-driver`) headless.

For the studio's browser tests, the README screenshot and the preview benchmark. The
driver's path is always given, so Selenium never runs its "manager" (which would try to
download a browser); a fresh profile folder per start keeps runs independent.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver", "/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--lang=en-CA",
)


def _first(candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        found = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
        if found:
            return found
    return None


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths, or None when this machine has no Chromium to drive."""
    browser, driver = _first(BROWSERS), _first(DRIVERS)
    return (browser, driver) if browser and driver else None


def why_no_chromium() -> str | None:
    """The reason browser tests cannot run here, or None when they can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if find_chromium() is None:
        return "no chromium and chromium-driver on this machine (.ci/system-deps installs them with apt-get)"
    return None


def start_chromium(width: int = 1400, height: int = 1000) -> Any:
    """A headless Chrome WebDriver with its own fresh profile, removed again by `stop_chromium`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise RuntimeError(why_no_chromium() or "no chromium")
    browser, driver = found
    profile = tempfile.mkdtemp(prefix="packets-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    chrome.packets_profile = profile
    return chrome


def stop_chromium(chrome: Any) -> None:
    try:
        chrome.quit()
    finally:
        shutil.rmtree(getattr(chrome, "packets_profile", ""), ignore_errors=True)
