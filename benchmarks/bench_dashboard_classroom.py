"""Benchmark: a classroom on one server (issue 14). Many tabs play long delegation runs at once.

Starts ``llm-market dashboard`` as a user does, then for each tab count (8, then 30 by
default) opens that many tabs (each its own browser context, like separate students) in
Debian's Chromium with every off-machine request refused, on
``/delegation?preset=cao2026-paper&T=1000000&batch=1000`` (the run that crashed pages before),
presses Play in all of them within a second, and measures:

- per tab: rendered updates per second (a script in the page samples the visible step counter
  on every animation frame) and the time from Play to "finished"; any error text in the page
  (a one-line error, a failed panel, "Too many renders", a traceback) fails the run;
- the server's resident memory (RSS, sampled every 0.25 s): with one tab built and played, the
  peak while all tabs play, and after closing every tab (once the home page reports no open
  simulation, and memory has settled).

Target: every tab reaches the end with no error, and the server's memory after closing all
tabs is within 150 MB of the one-tab figure. Screenshots of a tab (laptop 1366x768 and phone
390x844 viewports) go to ``test-artifacts/``.

Usage:
    .venv/bin/python benchmarks/bench_dashboard_classroom.py [--tabs 8 30] [--speed 20|max]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil

from app.serve import CHROMIUM_FLAGS, is_local, start_dashboard, stop_dashboard

RUN = "/delegation?preset=cao2026-paper&T=1000000&batch=1000"
MEMORY_TARGET = 150 * 1024**2
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ERROR_SELECTORS = (".user-error", ".panel-error")
SAMPLE_COUNTER = """() => {
  window.__seen = []; window.__done = false; let last = null;
  const tick = () => {
    const el = document.querySelector('[data-testid=step-counter]');
    const value = el ? el.textContent : null;
    if (value !== last) { window.__seen.push([performance.now(), value]); last = value; }
    const state = document.querySelector('[data-testid=run-state]');
    if (state && state.textContent === 'finished') { window.__done = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


class MemorySampler:
    """The server's RSS every ``every`` seconds, in a thread."""

    def __init__(self, pid: int, every: float = 0.25):
        self.process = psutil.Process(pid)
        self.every = every
        self.samples: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def rss(self) -> int:
        """The RSS now."""
        return self.process.memory_info().rss

    def _sample(self) -> None:
        while not self.stop.wait(self.every):
            self.samples.append(self.rss())

    def cpu_seconds(self) -> float:
        """CPU seconds the server has used so far (all its threads)."""
        times = self.process.cpu_times()
        return times.user + times.system

    def peak_since(self, start: int) -> int:
        """The largest sample from index ``start`` on."""
        return max(self.samples[start:], default=self.rss())


def mb(nbytes: float) -> str:
    """Bytes in MB."""
    return f"{nbytes / 1024**2:.0f} MB"


def open_tab(browser, base: str, viewport=(1366, 768)):
    """A new offline tab in its own context on the run, once its model is built."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    # only off-machine requests are routed (and refused): a tab's close beacon is not held up
    page.route(lambda url: not is_local(url, base), lambda route: route.abort())
    page.goto(base + RUN)
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=300_000)
    return context, page


def choose_speed(page, speed: str) -> None:
    """Pick the play speed in the page's select (``max``: as fast as possible)."""
    if speed == "20":
        return  # the default
    page.locator(".v-select", has_text="Speed").click()
    page.get_by_role("option", name="as fast as possible").click()


def page_errors(page) -> str:
    """Any error text in the page ("" if none)."""
    for selector in ERROR_SELECTORS:
        if page.locator(selector).count():
            return page.locator(selector).first.inner_text()
    body = page.inner_text("body")
    for marker in ("Too many renders", "Traceback", "RuntimeError"):
        if marker in body:
            return marker
    return ""


def results_of(page, started: float) -> dict:
    """Updates per second and seconds to the end of one tab (after it finished)."""
    seen = page.evaluate("window.__seen")[1:]
    done = page.evaluate("window.__done")
    span = (seen[-1][0] - seen[0][0]) / 1000 if len(seen) > 1 else 0.0
    return {
        "updates": len(seen),
        "rate": (len(seen) - 1) / span if span > 0 else 0.0,
        "to_end": (done - started) / 1000,
        "last": seen[-1][1] if seen else "?",
        "error": page_errors(page),
    }


def play_all(pages, speed: str, timeout: float) -> list[dict]:
    """Press Play in every tab and wait for each to finish; per-tab results."""
    for page in pages:
        choose_speed(page, speed)
        page.evaluate(SAMPLE_COUNTER)
    starts = []
    for page in pages:
        starts.append(page.evaluate("performance.now()"))
        page.get_by_role("button", name="Play", exact=True).click()
    deadline = time.monotonic() + timeout
    results = []
    for page, started in zip(pages, starts, strict=True):
        left = max(1.0, deadline - time.monotonic())
        try:
            page.wait_for_function("window.__done !== false", timeout=left * 1000)
        except Exception:
            results.append({"updates": 0, "rate": 0.0, "to_end": float("nan"), "last": "?"})
            results[-1]["error"] = page_errors(page) or "did not finish"
            continue
        results.append(results_of(page, started))
    return results


def server_idle(browser, base: str, timeout: float = 120.0) -> str:
    """Until the home page reports no open simulation; returns its status line."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + "/")
        text = page.get_by_test_id("server-status").inner_text(timeout=60_000)
        context.close()
        if " 0 open simulation" in text:
            return text
        time.sleep(2)
    return text


def settle(memory: MemorySampler, seconds: float = 10.0) -> int:
    """The RSS once it has stopped falling (or after ``seconds``)."""
    last = memory.rss()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = memory.rss()
        if now >= last - 1024**2:
            return now
        last = now
    return memory.rss()


def screenshots(browser, base: str) -> list[Path]:
    """A tab mid-play on a laptop and on a phone viewport."""
    ARTIFACTS.mkdir(exist_ok=True)
    paths = []
    for name, viewport in (("laptop", (1366, 768)), ("phone", (390, 844))):
        context, page = open_tab(browser, base, viewport)
        page.get_by_role("button", name="Play", exact=True).click()
        page.wait_for_timeout(2500)
        path = ARTIFACTS / f"classroom-{name}.png"
        page.screenshot(path=str(path), full_page=False)
        paths.append(path)
        context.close()
    return paths


def report(tabs: int, results: list[dict]) -> bool:
    """Print the per-tab figures; whether every tab finished without error."""
    rates = [r["rate"] for r in results]
    ends = [r["to_end"] for r in results if r["to_end"] == r["to_end"]]
    failed = [r for r in results if r["error"]]
    print(
        f"{tabs} tabs: updates/s per tab min {min(rates):.1f} median "
        f"{statistics.median(rates):.1f} max {max(rates):.1f}; seconds to the end min "
        f"{min(ends, default=float('nan')):.1f} median "
        f"{statistics.median(ends) if ends else float('nan'):.1f} max "
        f"{max(ends, default=float('nan')):.1f}; finished without error "
        f"{tabs - len(failed)}/{tabs}"
    )
    for r in failed:
        print(f"  a tab failed: {r['error']} (last count {r['last']})")
    return not failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, nargs="+", default=[8, 30])
    parser.add_argument("--speed", choices=["20", "max"], default="20")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per round")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        print("no chromium on PATH (apt-get install -y --no-install-recommends chromium)")
        return 1
    from playwright.sync_api import sync_playwright

    process, base = start_dashboard()
    memory = MemorySampler(process.pid)
    ok = True
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=list(CHROMIUM_FLAGS)
            )
            print(f"server at start: {mb(memory.rss())}")
            context, page = open_tab(browser, base)
            ok &= report(1, play_all([page], args.speed, args.timeout))
            one_tab = settle(memory)
            print(f"server with one tab played to the end: {mb(one_tab)}")
            context.close()
            for tabs in args.tabs:
                opened = [open_tab(browser, base) for _ in range(tabs)]
                start, cpu, wall = len(memory.samples), memory.cpu_seconds(), time.monotonic()
                ok &= report(tabs, play_all([p for _, p in opened], args.speed, args.timeout))
                busy = (memory.cpu_seconds() - cpu) / (time.monotonic() - wall)
                print(f"  server CPU while playing: {busy:.2f} cores of {psutil.cpu_count()}")
                peak = memory.peak_since(start)
                for context, _ in opened:
                    context.close()
                status = server_idle(browser, base)
                after = settle(memory)
                within = after - one_tab <= MEMORY_TARGET
                ok &= within
                print(
                    f"  server memory: peak {mb(peak)}, after closing all {mb(after)} "
                    f"({mb(after - one_tab)} above one tab: {'PASS' if within else 'FAIL'}); "
                    f"{status}"
                )
            for path in screenshots(browser, base):
                print(f"screenshot: {path}")
            browser.close()
    finally:
        memory.stop.set()
        stop_dashboard(process)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
