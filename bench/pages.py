"""Page weight and render time of the dashboard and data center pages, in Chromium.

    make demo                                   # in another terminal: the demo on :8000
    .venv/bin/python bench/pages.py             # or --url http://127.0.0.1:8000 --runs 5

Issue 4, item 5: the territory page transfers < 500 KB and renders in < 1 s from
localhost. Each page is loaded `--runs` times in Debian's Chromium with an empty cache;
the script prints the bytes transferred (document and every asset: the pages have no
external requests, and any request leaving 127.0.0.1 is counted and reported), the time
to the load event (median), and the same for the plain territory information page as the
baseline of this run (ratio = page / baseline), so a noisy machine shows as noise in
both. A missed goal prints MISSED; the exit status stays 0 (a measurement, not a test).
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
BASELINE = ("territory information (baseline)", "/territorios/PE/08/")
PAGES = [
    ("territory profile: Cusco region", "/datos/territorio/PE/08/", True),
    ("territory profile: district of Cusco", "/datos/territorio/PE/080101/", True),
    ("indicator: poverty, Cusco's 13 provinces",
     "/datos/indicador/POBREZA_TOTAL/?territorio=PE-08&nivel=province", False),
    ("indicator: poverty, Cusco's 116 districts",
     "/datos/indicador/POBREZA_TOTAL/?territorio=PE-08&nivel=district", False),
    ("indicator: anaemia, Cusco's provinces",
     "/datos/indicador/ANEMIA_6_35/?territorio=PE-08&nivel=province", False),
]
WEIGHT_GOAL = 500 * 1024
TIME_GOAL = 1.0


@dataclass
class Measure:
    bytes: int
    seconds: float
    outside: int


def measure(browser, url: str, host: str) -> Measure:
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    outside = sum(urlparse(r.url).hostname not in (host, None) for r in responses)
    sizes = [len(r.body()) for r in responses if r.status < 300]
    seconds = page.evaluate(
        "() => { const t = performance.getEntriesByType('navigation')[0];"
        " return (t.loadEventEnd - t.startTime) / 1000; }")
    context.close()
    return Measure(bytes=sum(sizes), seconds=seconds, outside=outside)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    host = urlparse(options.url).hostname
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        rows = []
        for name, path, *goal in [(*BASELINE, False), *PAGES]:
            runs = [measure(browser, options.url + path, host) for _ in range(options.runs)]
            rows.append((name, path, bool(goal and goal[0]), runs))
        browser.close()
    base_seconds = statistics.median(r.seconds for r in rows[0][3])
    base_bytes = rows[0][3][0].bytes
    print(f"{'page':44} {'KB':>8} {'x base':>7} {'load s':>8} {'x base':>7}  goal")
    for name, _path, goal, runs in rows:
        kb = runs[0].bytes / 1024
        seconds = statistics.median(r.seconds for r in runs)
        verdict = ""
        if goal:
            met = runs[0].bytes < WEIGHT_GOAL and seconds < TIME_GOAL
            verdict = "< 500 KB, < 1 s: " + ("yes" if met else "MISSED")
        outside = sum(r.outside for r in runs)
        print(f"{name:44} {kb:8.1f} {runs[0].bytes / base_bytes:7.2f} {seconds:8.3f} "
              f"{seconds / base_seconds:7.2f}  {verdict}"
              + (f"  ({outside} requests left the machine!)" if outside else ""))
    print(f"median of {options.runs} loads each, empty cache; KB = every response body")


if __name__ == "__main__":
    main()
