"""Benchmark: the dashboard in a real browser (target >= 10 rendered updates/s while playing).

Starts ``llm-market dashboard`` (as a user does), drives Debian's Chromium through Playwright
with every off-machine request refused, and measures on each page:

- step-and-render latency: from clicking **Step** to the new step count on screen (median of
  ``--steps`` clicks);
- rendered updates per second while playing: a script in the page samples the visible step
  counter on every animation frame and records each new value (an update the browser drew);
  the rate is (updates - 1) / (time from the first to the last new value).

The target is checked on the delegation page during a T = 1e6 run (everyone "ours", 10,000
queries per step, render every step, all plots): at least 10 rendered updates per second.

Usage:
    .venv/bin/python benchmarks/bench_dashboard_browser.py [--steps 10] [--batch 10000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time

from app.serve import CHROMIUM_FLAGS, is_local, start_dashboard, stop_dashboard

TARGET_UPDATES_PER_SECOND = 10.0
SAMPLE_COUNTER = """() => {
  window.__seen = []; let last = null;
  const tick = () => {
    const el = document.querySelector('[data-testid=step-counter]');
    const value = el ? el.textContent : null;
    if (value !== last) { window.__seen.push([performance.now(), value]); last = value; }
    const state = document.querySelector('[data-testid=run-state]');
    if (state && state.textContent === 'finished') { window.__done = true; return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def open_page(browser, base: str, path: str):
    """A new offline tab on ``path``, once its model is built."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.route("**/*", lambda r: r.continue_() if is_local(r.request.url, base) else r.abort())
    started = time.perf_counter()
    page.goto(base + path)
    page.get_by_test_id("step-counter").wait_for(timeout=90_000)
    return page, time.perf_counter() - started


def step_latency(page, steps: int) -> float:
    """Median seconds from a Step click to the new count on screen."""
    times = []
    for _ in range(steps):
        before = page.get_by_test_id("step-counter").inner_text()
        started = time.perf_counter()
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function(
            f"document.querySelector('[data-testid=step-counter]').textContent !== '{before}'"
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def play_rate(page) -> tuple[float, int, float, str]:
    """Rendered updates per second while playing to the end; updates, seconds, last count."""
    page.evaluate(SAMPLE_COUNTER)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("window.__done === true", timeout=600_000)
    seen = page.evaluate("window.__seen")[1:]  # drop the count before Play
    seconds = (seen[-1][0] - seen[0][0]) / 1000
    rate = (len(seen) - 1) / seconds if seconds > 0 else float("inf")
    return rate, len(seen), seconds, seen[-1][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="Step clicks per page")
    parser.add_argument("--batch", type=int, default=10_000, help="delegation queries per step")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        print("chromium not found: apt-get install -y --no-install-recommends chromium")
        return 1
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    process, base = start_dashboard()
    print(f"server up in {time.perf_counter() - started:.1f} s at {base}")
    pages = {
        "delegation (T = 1e6)": f"/delegation?preset=cao2026&strategies=ours,ours,ours"
        f"&batch={args.batch}",
        "ttc (gsm8k-best-of-n, beta 1000)": "/ttc?preset=gsm8k-best-of-n&beta=1000",
    }
    passed = True
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=list(CHROMIUM_FLAGS)
            )
            for name, path in pages.items():
                page, load = open_page(browser, base, path)
                latency = step_latency(page, args.steps)
                page.close()
                page, _ = open_page(browser, base, path)
                rate, updates, seconds, last = play_rate(page)
                page.close()
                print(
                    f"{name}: first render {load:.2f} s; step-and-render {latency * 1000:.0f} ms "
                    f"(median of {args.steps}); playing: {updates} rendered updates in "
                    f"{seconds:.1f} s = {rate:.1f} updates/s (run ended at step {last})"
                )
                if name.startswith("delegation"):
                    verdict = "PASS" if rate >= TARGET_UPDATES_PER_SECOND else "FAIL"
                    passed = rate >= TARGET_UPDATES_PER_SECOND
                    print(
                        f"{verdict}: {rate:.1f} rendered updates/s on the delegation page during "
                        f"a T = 1e6 run (target >= {TARGET_UPDATES_PER_SECOND:g})"
                    )
            browser.close()
    finally:
        stop_dashboard(process)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
