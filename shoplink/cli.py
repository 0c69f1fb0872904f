"""The ``shoplink`` command: ``demo``, ``serve``, ``worker`` and ``manage``.

``shoplink demo`` migrates, creates the demo project and admin, and runs web, worker
and the Shopify simulator together on the embedded default (SQLite + Huey on SQLite),
printing the URLs and login last, once every process has started. Ctrl-C stops all
three. The simulator keeps its shops in a state file beside the app's database, so a
restarted demo carries on where it stopped; ``shoplink demo --reset`` wipes both.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env)


def _web_command(host: str, port: int, workers: int, threads: int = 4) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--config",
        "python:config.gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
    ]


SIM_STATE_FILE = "shopsim-state.pickle"
# User agent of the demo's readiness probe; its access-log lines are not relayed, so a
# probe answered late on a busy machine does not print under the banner.
PROBE_AGENT = "shoplink-demo-startup-probe"


def _data_dir() -> Path:
    from config.env import data_dir

    return data_dir()


def reset_demo(env: dict) -> None:
    """Wipe the demo: the app's database and queue, and the simulator's state file.

    With ``DATABASE_URL`` set (PostgreSQL) the database is flushed rather than deleted.
    """
    data = _data_dir()
    (data / SIM_STATE_FILE).unlink(missing_ok=True)
    if env.get("DATABASE_URL"):
        _manage("flush", "--noinput", "-v", "0", env=env)
    else:
        for pattern in ("shoplink.sqlite3*", "queue.sqlite3*"):
            for path in data.glob(pattern):
                path.unlink(missing_ok=True)
    print(f"shoplink demo: reset (app database, queue and simulator state in {data})")


def demo(args: argparse.Namespace) -> int:
    web_url = f"http://{args.host}:{args.port}"
    sim_url = f"http://{args.host}:{args.sim_port}"
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    env.setdefault("APP_URL", web_url)
    env.setdefault("SHOPIFY_BASE_URL", sim_url + "/{shop}")
    env["PYTHONUNBUFFERED"] = "1"
    if args.reset:
        reset_demo(env)
    _manage("migrate", "--noinput", "-v", "0", env=env)
    _manage("setup_demo", env=env)
    from shoplink.core.demo import DEMO_PASSWORD, DEMO_USER

    commands = [
        [
            sys.executable,
            "-m",
            "shopsim",
            "serve",
            "--host",
            args.host,
            "--port",
            str(args.sim_port),
            "--seed",
            "1",
            "--client-id",
            env.get("SHOPIFY_API_KEY", "shoplink-demo"),
            "--client-secret",
            env.get("SHOPIFY_API_SECRET", "shoplink-demo-secret"),
            "--redirect-url",
            web_url,
            "--app-webhook-url",
            f"{web_url}/integrations/shopify/webhooks",
            # Beside the app's database, so a restarted demo keeps its connected store.
            "--state-file",
            str(_data_dir() / SIM_STATE_FILE),
            "--shop",
            "demo-store",
        ],
        [sys.executable, str(ROOT / "manage.py"), "run_huey"],
        _web_command(args.host, args.port, 2),
    ]
    relay = _Relay()
    procs = [relay.start(command, env) for command in commands]
    _wait_until_up([web_url + "/healthz", sim_url + "/_control/health"], procs)
    # The banner comes last: wait until the processes' start-up lines have been printed.
    relay.wait_quiet(quiet=1.0, limit=15)
    relay.say(
        "\n"
        "  Shoplink demo is running\n"
        f"    App:        {web_url}/   (log in as {DEMO_USER} / {DEMO_PASSWORD})\n"
        f"    Simulator:  {sim_url}/_admin   (a fake Shopify; store 'demo-store' is seeded)\n"
        f"    Connect:    Integrations → Connect platform → Shopify → store domain demo-store\n"
        "  The demo keeps its data across restarts; `make demo-reset` starts afresh.\n"
        "  Press Ctrl-C to stop.\n"
    )
    return _wait(procs)


class _Relay:
    """Copies the child processes' output to ours, line by line, and knows when it paused."""

    def __init__(self):
        import threading

        self.lock = threading.Lock()
        self.last = time.monotonic()

    def start(self, command: list[str], env: dict) -> subprocess.Popen:
        import threading

        proc = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0
        )
        threading.Thread(target=self._copy, args=(proc.stdout,), daemon=True).start()
        return proc

    def _copy(self, stream) -> None:
        out = sys.stdout.buffer
        for line in iter(stream.readline, b""):
            if PROBE_AGENT.encode() in line:
                continue  # gunicorn's access line for our own start-up probe: noise
            with self.lock:
                out.write(line)
                out.flush()
                self.last = time.monotonic()

    def say(self, text: str) -> None:
        with self.lock:
            print(text, flush=True)

    def wait_quiet(self, quiet: float, limit: float) -> None:
        """Return once nothing was printed for ``quiet`` seconds (or after ``limit``)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and time.monotonic() - self.last < quiet:
            time.sleep(0.05)


def _wait_until_up(urls: list[str], procs: list[subprocess.Popen], timeout: float = 60) -> None:
    """Block until every URL answers 200 (or a process died / the timeout passed)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("shoplink demo: a process exited during start-up; see the log above")
        try:
            probe = urllib.request.Request(pending[0], headers={"User-Agent": PROBE_AGENT})  # noqa: S310
            with urllib.request.urlopen(probe, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    pending.pop(0)
                    continue
        except OSError:
            pass  # not answering yet: poll again until the deadline
        time.sleep(0.3)


def _wait(procs: list[subprocess.Popen]) -> int:
    def stop(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass  # Ctrl-C is the documented way to stop: fall through to stop()
    stop()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    return 0


def serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    return subprocess.call(_web_command(args.host, args.port, args.workers))


def worker(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    return subprocess.call([sys.executable, str(ROOT / "manage.py"), "run_huey", *args.rest])


def manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    return subprocess.call([sys.executable, str(ROOT / "manage.py"), *args.rest])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shoplink", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run web + worker + simulator on the embedded default")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--sim-port", type=int, default=int(os.environ.get("SIM_PORT", "8081")))
    p.add_argument(
        "--reset",
        action="store_true",
        help="start afresh: wipe the app's database and the simulator's state first",
    )
    p.set_defaults(func=demo)
    p = sub.add_parser("serve", help="run the web process (gunicorn)")
    p.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a server binds all interfaces
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=serve)
    p = sub.add_parser("worker", help="run a Huey consumer")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=worker)
    p = sub.add_parser("manage", help="run a Django management command")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=manage)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
