#!/usr/bin/env python3
"""Opens a page in headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium: no browser download), saves a PNG screenshot and prints what rendered as JSON.

    render_page.py URL_OR_FILE PNG [--width 1200] [--height 900]

Prints {"title", "svg", "paths", "rects", "circles", "cells", "tables", "rows",
"svg_drawn", "body_height", "png_ink", "console_errors"}: counts of elements the
browser laid out (an SVG counts as drawn when its bounding box is not empty) and the share
of the screenshot that is not white (0 for a blank page)."""
import json
import os
import sys
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def png_ink(png: bytes) -> float:
    """Share of pixels that are not near-white in an 8-bit RGB(A) PNG, decoded with zlib
    and the PNG filters (no imaging library needed): 0 for a blank page."""
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
            channels = {2: 3, 6: 4}.get(data[9], 4)
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    prev, ink, i = bytearray(stride), 0, 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b, c = prev[x], prev[x - channels] if x >= channels else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        ink += sum(1 for x in range(0, stride, channels) if min(line[x], line[x + 1], line[x + 2]) < 200)
        prev = line
    return ink / max(width * height, 1)


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
        counts["png_ink"] = round(png_ink(png), 4)
        counts["console_errors"] = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        print(json.dumps(counts))
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
