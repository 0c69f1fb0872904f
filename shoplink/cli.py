"""The ``shoplink`` command: ``demo``, ``serve``, ``worker`` and ``manage``.

``shoplink demo`` migrates, creates the demo project and admin, and runs web, worker
and the Shopify simulator together on the embedded default (SQLite + Huey on SQLite),
printing the URLs and login. Ctrl-C stops all three.
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


def demo(args: argparse.Namespace) -> int:
    web_url = f"http://{args.host}:{args.port}"
    sim_url = f"http://{args.host}:{args.sim_port}"
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    env.setdefault("APP_URL", web_url)
    env.setdefault("SHOPIFY_BASE_URL", sim_url + "/{shop}")
    env["PYTHONUNBUFFERED"] = "1"
    _manage("migrate", "--noinput", "-v", "0", env=env)
    _manage("setup_demo", env=env)
    from shoplink.core.demo import DEMO_PASSWORD, DEMO_USER

    procs = [
        subprocess.Popen(
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
            ],
            env=env,
        ),
        subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_huey"], env=env),
        subprocess.Popen(_web_command(args.host, args.port, 2), env=env),
    ]
    _wait_until_up([web_url + "/healthz", sim_url + "/_control/health"], procs)
    print(
        "\n"
        "  Shoplink demo is running\n"
        f"    App:        {web_url}/   (log in as {DEMO_USER} / {DEMO_PASSWORD})\n"
        f"    Simulator:  {sim_url}/_admin   (a fake Shopify; store 'demo-store' is seeded)\n"
        f"    Connect:    Integrations → Connect platform → Shopify → store domain demo-store\n"
        "  Press Ctrl-C to stop.\n",
        flush=True,
    )
    return _wait(procs)


def _wait_until_up(urls: list[str], procs: list[subprocess.Popen], timeout: float = 60) -> None:
    """Block until every URL answers 200 (or a process died / the timeout passed)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("shoplink demo: a process exited during start-up; see the log above")
        try:
            with urllib.request.urlopen(pending[0], timeout=2) as response:  # noqa: S310
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
