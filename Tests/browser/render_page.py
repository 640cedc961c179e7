#!/usr/bin/env python3
"""Opens a page in headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium: no browser download), saves a PNG screenshot and prints what rendered as JSON.

    render_page.py URL_OR_FILE PNG [--width 1200] [--height 900]

Prints {"title", "svg", "paths", "rects", "circles", "cells", "tables", "rows",
"svg_drawn", "body_height", "png_distinct_bytes", "console_errors"}: counts of elements
the browser laid out (an SVG element counts as drawn when its bounding box is not empty),
and how varied the screenshot is (a blank page has a handful of distinct bytes)."""
import json
import os
import sys
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def png_distinct_bytes(png: bytes) -> int:
    """Distinct byte values in the decompressed image data (no imaging library needed)."""
    pos, idat = 8, b""
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind = png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat))) if idat else 0


def main() -> int:
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    target, png_path = args[0], args[1]
    width = int(args[args.index("--width") + 1]) if "--width" in args else 1200
    height = int(args[args.index("--height") + 1]) if "--height" in args else 900
    url = target if "://" in target else "file://" + os.path.abspath(target)

    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--disable-extensions", "--no-first-run"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.get(url)
        counts = driver.execute_script("""
            const n = s => document.querySelectorAll(s).length;
            const drawn = [...document.querySelectorAll('svg.chart')].filter(e => {
                const b = e.getBoundingClientRect(); return b.width > 50 && b.height > 50; }).length;
            return {title: document.title, svg: n('svg.chart'), paths: n('svg path.series'), rects: n('svg rect.bar'),
                    circles: n('svg circle.point'), cells: n('svg rect.cell'), tables: n('table'), rows: n('tbody tr'),
                    svg_drawn: drawn, body_height: document.body.scrollHeight};
        """)
        driver.set_window_size(width, min(max(counts["body_height"], height), 16000))
        png = driver.get_screenshot_as_png()
        with open(png_path, "wb") as f:
            f.write(png)
        counts["png_distinct_bytes"] = png_distinct_bytes(png)
        counts["console_errors"] = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        print(json.dumps(counts))
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
