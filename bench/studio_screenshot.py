"""Make the README's screenshot of the studio (docs/studio.png) with headless Chromium.

Starts `packets studio` in a copy of the project (bench/studio.py's helpers), opens the
example organization, types a statement in the past tense so the review's warning shows
beside it, waits for the new preview, and saves the window as PNG.

Usage: python bench/studio_screenshot.py [--output docs/studio.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from studio import copy_project, open_statement, start_studio  # noqa: E402

from packets.studio.chromium import start_chromium, stop_chromium, why_no_chromium  # noqa: E402

STATEMENT = "We are meeting on the land of the xʷməθkʷəy̓əm (Musqueam), who were the original people of this place."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "studio.png")
    args = parser.parse_args()
    reason = why_no_chromium()
    if reason:
        raise SystemExit(f"cannot take the screenshot: {reason}")
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory(prefix="packets-studio-shot-") as tmp:
        root = copy_project(Path(tmp))
        process, url, _ = start_studio(root, Path(tmp) / "output")
        chrome = start_chromium(1360, 1040)
        try:
            field, wait = open_statement(chrome, url, 0.05)
            before = chrome.find_element(By.ID, "preview-pages").get_attribute("data-ready")
            field.clear()
            field.send_keys(STATEMENT)
            wait.until(lambda c: "past tense" in c.find_element(By.CSS_SELECTOR, ".field-problems li.warning").text)
            wait.until(lambda c: c.find_element(By.ID, "preview-pages").get_attribute("data-ready") != before)
            chrome.execute_script(
                "window.scrollTo(0, document.getElementById('group-nations').getBoundingClientRect().bottom"
                " + window.scrollY - 330);"
                "const pane = document.querySelector('.preview');"
                "const page = document.querySelectorAll('#preview-pages img')[1];"
                "pane.scrollTop += page.getBoundingClientRect().top - pane.getBoundingClientRect().top - 40;"
            )
            field.click()
            args.output.parent.mkdir(parents=True, exist_ok=True)
            chrome.save_screenshot(str(args.output))
        finally:
            stop_chromium(chrome)
            process.terminate()
            process.wait(timeout=10)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
