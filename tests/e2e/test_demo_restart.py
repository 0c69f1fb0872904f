"""`shoplink demo` as a user runs it: banner last, a restart keeps the store, Delete is quiet.

Issue 17, items 7 and 8. Three real runs of the demo (web, worker, simulator) on one data
directory: connect and sync `demo-store`; restart and find it still connected with a
working token; Delete it; restart with ``--reset`` and find the simulator afresh. The
terminal output of every run must contain no traceback and no line printed twice, and the
"demo is running" banner must be the last thing a run prints at start-up.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.connect_flows import INTEGRATIONS, card, connect_store, menu_item

pytestmark = [pytest.mark.browser, pytest.mark.simulator]

ROOT = Path(__file__).resolve().parents[2]
SHOP = "demo-store.myshopify.com"
BANNER_END = "Press Ctrl-C to stop."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Demo:
    """One `shoplink demo` run with its whole terminal output."""

    def __init__(self, data_dir: Path, port: int, sim_port: int, *extra: str):
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "APP_URL")
            and not k.startswith(("SHOPIFY_", "PYTEST", "HUEY"))
        }
        env["SHOPLINK_DATA_DIR"] = str(data_dir)
        self.url = f"http://127.0.0.1:{port}"
        self.sim = f"http://127.0.0.1:{sim_port}"
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shoplink.cli",
                "demo",
                "--port",
                str(port),
                "--sim-port",
                str(sim_port),
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 120
        while not any(BANNER_END in line for line in self.lines):
            assert self.proc.poll() is None, "the demo exited:\n" + self.output
            assert time.monotonic() < deadline, "no banner:\n" + self.output
            time.sleep(0.1)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        time.sleep(0.2)  # the reader thread drains the pipe
        return self.output


def _assert_clean(output: str) -> None:
    assert "Traceback" not in output, output
    stamped = [
        (m.group(0), line[-60:])
        for line in output.splitlines()
        if (m := re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", line))
    ]
    assert len(stamped) == len(set(stamped)), "a line printed twice:\n" + output


def _login(page) -> None:
    page.goto("/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "shoplink-demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_demo_restarts_with_its_store_and_deletes_it_quietly(browser, tmp_path):
    port, sim_port = _free_port(), _free_port()
    data = tmp_path / "var"

    # Run 1: banner last; demo-store listed before connecting; connect and sync.
    demo = Demo(data, port, sim_port)
    try:
        time.sleep(1.5)
        last = [line for line in demo.lines if line.strip()][-1]
        assert last.strip() == BANNER_END, demo.output
        assert SHOP in httpx.get(f"{demo.sim}/_admin").text
        customers = httpx.get(f"{demo.sim}/_control/shops/{SHOP}").json()["counts"]["customers"]
        context = browser.new_context(base_url=demo.url)
        page = context.new_page()
        _login(page)
        connect_store(page, "demo-store")
        page.locator("#drawer-root").get_by_role("button", name="Start initial sync").click()
        page.goto(INTEGRATIONS)
        expect(card(page, SHOP).locator(".last-bulk-sync time")).to_be_visible(timeout=90000)
        httpx.post(f"{demo.sim}/_control/shops/{SHOP}/customers", json={"first_name": "Kept"})
        context.close()
    finally:
        first = demo.stop()
    _assert_clean(first)
    assert (data / "shopsim-state.pickle").exists()

    # Run 2: the store is still connected, its token still works, then Delete.
    demo = Demo(data, port, sim_port)
    try:
        shop = httpx.get(f"{demo.sim}/_control/shops/{SHOP}").json()
        assert shop["installed"] is True
        assert shop["counts"]["customers"] == customers + 1
        context = browser.new_context(base_url=demo.url)
        page = context.new_page()
        _login(page)
        page.goto(INTEGRATIONS)
        menu_item(page, SHOP, "Check health").click()
        expect(page.locator("#toasts")).to_contain_text("Health check completed", timeout=30000)
        expect(card(page, SHOP).locator(".status-badge")).to_have_text("Connected")
        page.goto(INTEGRATIONS)
        menu_item(page, SHOP, "Delete").click()
        drawer = page.locator("#drawer-root")
        drawer.get_by_label(f"Type {SHOP} to confirm").fill(SHOP)
        drawer.get_by_role("button", name="Delete store").click()
        expect(card(page, SHOP)).to_have_count(0, timeout=90000)
        time.sleep(3)  # jobs still queued for the store run now
        context.close()
    finally:
        second = demo.stop()
    _assert_clean(second)

    # Run 3: --reset starts afresh (the simulator forgot the extra customer).
    demo = Demo(data, port, sim_port, "--reset")
    try:
        shop = httpx.get(f"{demo.sim}/_control/shops/{SHOP}").json()
        assert shop["installed"] is False
        assert shop["counts"]["customers"] == customers
    finally:
        third = demo.stop()
    _assert_clean(third)
