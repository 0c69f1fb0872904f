"""Command line: `shopsim serve ...` starts the simulator under uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from shopsim.config import Profile, Settings


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shopsim", description="Local Shopify simulator")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the simulator HTTP server")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8081)
    s.add_argument("--seed", type=int, default=1)
    d = Profile()
    for name in ("customers", "orders", "products", "collections", "checkouts", "carts"):
        s.add_argument(f"--{name}", type=int, default=getattr(d, name))
    s.add_argument("--client-id", default="shoplink-demo")
    s.add_argument("--client-secret", default="shoplink-demo-secret")
    s.add_argument(
        "--redirect-url",
        action="append",
        default=[],
        help="allowed redirect_uri prefix (repeatable)",
    )
    s.add_argument(
        "--app-webhook-url", default=None, help="endpoint for compliance topics and app/uninstalled"
    )
    s.add_argument("--time-scale", type=float, default=1.0)
    s.add_argument("--token-ttl", type=int, default=3600)
    s.add_argument("--refresh-token-ttl", type=int, default=90 * 24 * 3600)
    s.add_argument("--shop-redact-delay", type=float, default=48 * 3600)
    s.add_argument("--api-version-fallback", action="store_true")
    s.add_argument("--log-level", default="warning")
    s.add_argument(
        "--bulk-workers",
        type=int,
        default=0,
        help="processes writing a large bulk export (default 0: one per CPU, at most 8)",
    )
    s.add_argument(
        "--bulk-parallel-min",
        type=int,
        default=20_000,
        help="root objects from which a bulk export is split over workers",
    )
    s.add_argument(
        "--state-file",
        default=None,
        help="keep shops in this file across restarts (loaded on start, saved on change)",
    )
    s.add_argument(
        "--shop",
        action="append",
        default=[],
        help="create this shop at start, e.g. demo-store (repeatable)",
    )
    s.add_argument("--reset", action="store_true", help="delete the state file before starting")
    # HTTPS for clients that build `https://<shop>.myshopify.com` themselves (Shopify's
    # libraries): give a certificate for `*.myshopify.com` and point the names at this host.
    s.add_argument("--ssl-certfile", default=None)
    s.add_argument("--ssl-keyfile", default=None)
    return p


def settings_from_args(a) -> Settings:
    return Settings(
        host=a.host,
        port=a.port,
        seed=a.seed,
        profile=Profile(
            customers=a.customers,
            orders=a.orders,
            products=a.products,
            collections=a.collections,
            checkouts=a.checkouts,
            carts=a.carts,
        ),
        client_id=a.client_id,
        client_secret=a.client_secret,
        redirect_urls=a.redirect_url,
        app_webhook_url=a.app_webhook_url,
        time_scale=a.time_scale,
        token_ttl=a.token_ttl,
        refresh_token_ttl=a.refresh_token_ttl,
        api_version_fallback=a.api_version_fallback,
        shop_redact_delay=a.shop_redact_delay,
        bulk_workers=a.bulk_workers,
        bulk_parallel_min=a.bulk_parallel_min,
        state_file=a.state_file,
        shops=a.shop,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import uvicorn

    from shopsim.app import create_app

    settings = settings_from_args(args)
    if args.reset and args.state_file:
        Path(args.state_file).unlink(missing_ok=True)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        access_log=False,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    server = uvicorn.Server(config)

    async def run():
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                return task.result()
            await asyncio.sleep(0.02)
        scheme = "https" if args.ssl_certfile else "http"
        print(f"shopsim listening on {scheme}://{settings.host}:{settings.port}", flush=True)
        await task

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
