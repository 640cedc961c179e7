#!/usr/bin/env python3
"""Drives the web console in headless Chromium (Debian's chromium + chromium-driver via
Selenium) the way an operator would, and prints what it saw as JSON.

    console_flow.py BASE_URL TOKEN JOB_ID ACCOUNT_ID ARTIFACT_DIR

Signs in with TOKEN, opens Queues, opens the failing job JOB_ID and presses Retry, waits
until the job page says completed (a worker runs it), opens Accounts at risk and the account
ACCOUNT_ID with its chart. Saves a screenshot of each step in ARTIFACT_DIR. Prints
{"steps": [...], "job_state_after": ..., "chart_points": n, "xss_alerts": n, "console_errors": [...], ...}."""
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main() -> int:
    base, token, job_id, account_id, artifacts = sys.argv[1:6]
    os.makedirs(artifacts, exist_ok=True)
    options = Options()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,900", "--disable-extensions", "--no-first-run"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                              options=options)
    out = {"steps": [], "xss_alerts": 0}

    def shot(name):
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1280, min(max(height, 900), 8000))
        driver.save_screenshot(os.path.join(artifacts, name))
        driver.set_window_size(1280, 900)

    def alert_fired():
        try:
            driver.switch_to.alert.accept()
            out["xss_alerts"] += 1
        except NoAlertPresentException:
            pass

    try:
        driver.set_page_load_timeout(60)
        # Not signed in: the console answers with its own sign-in page.
        driver.get(base + "/queues")
        out["unauthenticated_title"] = driver.title
        driver.get(base + "/login")
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.ID, "sign-in").click()
        out["steps"].append(("signed in", driver.title))
        driver.get(base + "/queues")
        alert_fired()
        out["queues_title"] = driver.title
        out["queue_charts"] = len(driver.find_elements(By.CSS_SELECTOR, "svg.chart"))
        shot("console-queues.png")
        driver.get(base + f"/jobs?state=discarded")
        out["failing_listed"] = job_id in driver.page_source
        driver.get(base + f"/jobs/{job_id}")
        alert_fired()
        out["job_page_state"] = driver.find_element(By.CSS_SELECTOR, ".cards .card .v").text
        out["job_args_shown"] = driver.find_element(By.CSS_SELECTOR, "pre").text
        shot("console-job.png")
        driver.find_element(By.XPATH, "//button[text()='Retry']").click()
        out["steps"].append(("pressed retry", driver.current_url))
        state = ""
        for _ in range(200):
            driver.get(base + f"/jobs/{job_id}")
            state = driver.find_element(By.CSS_SELECTOR, ".cards .card .v").text
            if state == "completed":
                break
            time.sleep(0.1)
        out["job_state_after"] = state
        driver.get(base + "/accounts")
        alert_fired()
        out["accounts_rows"] = len(driver.find_elements(By.CSS_SELECTOR, "tbody tr"))
        out["accounts_html_escaped"] = "&lt;script&gt;" in driver.page_source
        shot("console-accounts.png")
        driver.get(base + f"/accounts/{account_id}")
        alert_fired()
        out["account_title"] = driver.title
        out["chart_points"] = len(driver.find_elements(By.CSS_SELECTOR, "#score-history svg circle.point"))
        box = driver.find_element(By.CSS_SELECTOR, "#score-history svg.chart").rect
        out["chart_box"] = [box["width"], box["height"]]
        shot("console-account.png")
        out["console_errors"] = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        print(json.dumps(out))
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
