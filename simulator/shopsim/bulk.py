"""Bulk query operations (PLATFORM §4): lifecycle, the result file, its signed URL, failures.

An operation snapshots the resource table (a shallow copy of its overrides) and runs in a
background thread that writes the JSONL result (`bulk_jsonl`) to a file while it is
RUNNING, advancing `objectCount`, `rootObjectCount` and `fileSize` as it goes; it then
COMPLETES and fires `bulk_operations/finish`. The file is then served from disk, as
Shopify serves a finished export from its storage bucket, at a URL carrying the query
parameters of Shopify's signed Google Cloud Storage URLs (`GoogleAccessId`, `Expires`,
`Signature`, `response-content-disposition`, `response-content-type`). Files live in a
temporary directory removed when the process exits, and expire after 7 days.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import shutil
import tempfile
import threading
import time
import traceback
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from shopsim import bulk_query, store
from shopsim.bulk_export import export
from shopsim.bulk_jsonl import root_count
from shopsim.resolvers import ROOT_CONNECTIONS, SCOPE_OF_KIND, has_scope, list_connection

MAX_RUNNING = 5  # API 2026-01+: five bulk queries at a time per app and shop
URL_TTL = 7 * 86400
IN_PROGRESS = "A bulk query operation for this app and shop is already in progress: "
RUNNING = ("CREATED", "RUNNING", "CANCELING")


class BulkOp:
    def __init__(self, shop, num: int, query: str, kind: str, root, fragments, snapshot, mode):
        self.shop, self.num, self.query, self.kind = shop, num, query, kind
        self.root, self.fragments, self.snapshot, self.mode = root, fragments, snapshot, mode
        self.gid = f"gid://shopify/BulkOperation/{num}"
        self.status, self.error_code = "CREATED", None
        self.created_at, self.completed_at = store.now_iso(), None
        self.object_count = self.root_count = self.file_size = 0
        self.token = secrets.token_urlsafe(18)
        self.group_objects = False
        self.path: str | None = None  # the result file, written while RUNNING
        self.base_url = ""
        self.url = self.partial_url = None
        self.cancel_requested = False
        self.expires_at = None
        self.root_args: dict = {}

    def record(self) -> dict:
        return {
            "__typename": "BulkOperation",
            "id": self.gid,
            "status": self.status,
            "errorCode": self.error_code,
            "createdAt": self.created_at,
            "completedAt": self.completed_at,
            "objectCount": str(self.object_count),
            "rootObjectCount": str(self.root_count),
            "fileSize": str(self.file_size) if self.url or self.partial_url else None,
            "url": self.url,
            "partialDataUrl": self.partial_url,
            "query": self.query,
            "type": "QUERY",
        }


class BulkManager:
    def __init__(self, hub):
        self.hub = hub
        self.next_num = 4100000000

    # GraphQL fields -------------------------------------------------------------------
    def lookup(self, shop, gid_value):
        for op in shop.bulk_ops.values():
            if op.gid == gid_value:
                return op.record()
        return None

    def query_field(self, ctx, name, args):
        shop = ctx["shop"]
        if name == "bulkOperation":
            return self.lookup(shop, args.get("id"))
        ops = sorted(shop.bulk_ops.values(), key=lambda o: o.num)
        if name == "currentBulkOperation":
            if args.get("type", "QUERY") != "QUERY" or not ops:
                return None
            return ops[-1].record()
        return list_connection([o.record() for o in reversed(ops)], args)

    def _error(self, message, code="INVALID"):
        return {
            "bulkOperation": None,
            "userErrors": [{"field": ["query"], "message": message, "code": code}],
        }

    def run_query(self, ctx, args):
        shop = ctx["shop"]
        text = args.get("query") or ""
        root, fragments, message = bulk_query.check(text)
        if message:
            return self._error(message)
        kind = ROOT_CONNECTIONS[root.name.value][0]
        group = args.get("groupObjects")
        if group is None:  # PLATFORM §4: the default turned false in 2026-01
            group = str(ctx.get("version") or "unstable") < "2026-01"
        with shop.lock:
            running = [o for o in shop.bulk_ops.values() if o.status in RUNNING]
            if len(running) >= MAX_RUNNING:
                return {
                    "bulkOperation": None,
                    "userErrors": [
                        {
                            "field": None,
                            "code": "OPERATION_IN_PROGRESS",
                            "message": IN_PROGRESS + f"{running[0].gid}.",
                        }
                    ],
                }
            mode = self._take_fault(shop, root.name.value, kind)
            if mode is None and not has_scope(ctx, SCOPE_OF_KIND[kind]):
                mode = "access_denied"  # Shopify fails the operation rather than the mutation
            t = shop.tables[kind]
            snap = store.Table(shop, kind, t.count)
            snap.next_index, snap.overrides = t.next_index, dict(t.overrides)
            self.next_num += 1
            op = BulkOp(shop, self.next_num, text, kind, root, fragments, snap, mode)
            op.group_objects = bool(group)
            op.base_url = ctx["base_url"]
            args = bulk_query.literal_args(root)
            if kind == "orders":  # fixed once, so the run and the download agree
                args["query"] = store.order_window_query(shop, args.get("query"), ctx["scopes"])
            op.root_args = args
            shop.bulk_ops[op.num] = op
        threading.Thread(target=self._run, args=(op,), daemon=True, name=f"bulk-{op.num}").start()
        return {"bulkOperation": op.record(), "userErrors": []}

    def _take_fault(self, shop, root_name, kind):
        f = shop.faults.bulk or {}
        mode = f.get("mode")
        if not mode or (f.get("entity") and f["entity"] not in (root_name, kind)):
            return None
        if f.get("times") is not None:
            f["times"] = int(f["times"]) - 1
            if f["times"] <= 0:
                shop.faults.bulk = {}
        return mode

    def cancel(self, ctx, args):
        shop = ctx["shop"]
        op = next((o for o in shop.bulk_ops.values() if o.gid == args.get("id")), None)
        if op is None:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}],
            }
        if op.status not in RUNNING:
            return {
                "bulkOperation": op.record(),
                "userErrors": [
                    {
                        "field": ["id"],
                        "message": "A bulk operation cannot be canceled when it is "
                        + op.status.lower(),
                    }
                ],
            }
        op.cancel_requested = True
        op.status = "CANCELING"
        return {"bulkOperation": op.record(), "userErrors": []}

    # lifecycle -----------------------------------------------------------------------
    def _sleep(self, op, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if op.cancel_requested:
                return
            time.sleep(0.01)

    def _run(self, op: BulkOp) -> None:
        try:
            self._lifecycle(op)
        except Exception:  # a bug must not leave the operation RUNNING forever
            traceback.print_exc()
            self._finish(op, "FAILED", "INTERNAL_SERVER_ERROR")

    def _lifecycle(self, op: BulkOp) -> None:
        # CREATED for a moment (0.5 s × time scale, at least 50 ms) so pollers can see it.
        self._sleep(op, max(0.05, 0.5 * op.shop.settings.time_scale))
        if op.mode == "stuck":
            while not op.cancel_requested:  # stays CREATED until cancelled
                time.sleep(0.02)
        if op.cancel_requested:
            return self._finish(op, "CANCELED")
        op.status = "RUNNING"
        if op.mode == "access_denied":
            return self._finish(op, "FAILED", "ACCESS_DENIED")
        total_roots = root_count(op) if op.mode in ("fail", "timeout") else None
        limit = total_roots // 2 if total_roots is not None else None
        op.path = os.path.join(files_dir(), op.token + ".jsonl")
        settings = op.shop.settings
        workers = settings.bulk_workers or min(os.cpu_count() or 1, 8)
        export(op, op.path, limit, workers, settings.bulk_parallel_min)
        if op.cancel_requested:
            _remove(op)
            return self._finish(op, "CANCELED")
        if op.mode in ("fail", "timeout"):
            op.partial_url = signed_url(op) if op.object_count else None
            return self._finish(
                op, "FAILED", "INTERNAL_SERVER_ERROR" if op.mode == "fail" else "TIMEOUT"
            )
        # Like Shopify, an operation that found nothing completes with url null.
        op.url = signed_url(op) if op.object_count else None
        self._finish(op, "COMPLETED")

    def _finish(self, op: BulkOp, status: str, error: str | None = None) -> None:
        op.completed_at = store.now_iso()
        op.status, op.error_code = status, error
        if self.hub is not None:
            self.hub.emit(
                op.shop,
                "bulk_operations/finish",
                {
                    "admin_graphql_api_id": op.gid,
                    "completed_at": op.completed_at,
                    "created_at": op.created_at,
                    "error_code": error.lower() if error else None,
                    "status": status.lower(),
                    "type": "query",
                },
            )


_files: dict = {}
_files_lock = threading.Lock()
_signing_key = secrets.token_bytes(32)  # per process: URLs die with the server, as files do
ACCESS_ID = "shopsim-bulk@shopsim.iam.gserviceaccount.com"


def files_dir() -> str:
    """The directory holding this process's result files (created on first use)."""
    with _files_lock:
        if "dir" not in _files:
            _files["dir"] = tempfile.mkdtemp(prefix="shopsim-bulk-")
            atexit.register(shutil.rmtree, _files["dir"], True)
    return _files["dir"]


def _remove(op: BulkOp) -> None:
    if op.path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(op.path)


def _signature(token: str, expires: int) -> str:
    mac = hmac.new(_signing_key, f"GET\n{token}\n{expires}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def signed_url(op: BulkOp) -> str:
    """The result URL, shaped like the V2-signed storage URLs Shopify hands out.

    Observed on Shopify: `https://storage.googleapis.com/<bucket>/bulk-operation-outputs/
    <key>-final?GoogleAccessId=…&Expires=<epoch>&Signature=…&response-content-disposition=
    attachment; filename="bulk-<id>.jsonl"; filename*=UTF-8''bulk-<id>.jsonl&response-content-type=
    application/jsonl` (clients read the file name from the disposition). The URL expires 7
    days after the operation finished (PLATFORM §4).
    """
    expires = int(time.time() + URL_TTL)
    op.expires_at = expires
    name = f"bulk-{op.num}.jsonl"
    params = {
        "GoogleAccessId": ACCESS_ID,
        "Expires": str(expires),
        "Signature": _signature(op.token, expires),
        "response-content-disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}",
        "response-content-type": "application/jsonl",
    }
    return f"{op.base_url}/_files/{op.token}.jsonl?" + urlencode(params, quote_via=quote)


class _File(FileResponse):
    chunk_size = 1 << 20  # large reads: a download is bound by the disk, not by the loop


def _storage_error(status: int, code: str, message: str) -> Response:
    # Google Cloud Storage answers signed-URL failures with an XML error document.
    body = (
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
        f"{code}</Code><Message>{message}</Message></Error>"
    )
    return PlainTextResponse(body, status_code=status, media_type="application/xml")


async def serve_file(request: Request) -> Response:
    token = request.path_params["token"]
    q = request.query_params
    for shop in list(request.app.state.registry.shops.values()):
        for op in list(shop.bulk_ops.values()):
            if op.token != token or not (op.url or op.partial_url) or not op.path:
                continue
            try:
                expires = int(q.get("Expires", ""))
            except ValueError:
                expires = 0
            if not hmac.compare_digest(q.get("Signature", ""), _signature(token, expires)):
                return _storage_error(
                    403,
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided.",
                )
            if time.time() > expires:
                return _storage_error(400, "ExpiredToken", "Invalid argument.")
            headers = {}
            if q.get("response-content-disposition"):
                headers["Content-Disposition"] = q["response-content-disposition"]
            return _File(
                op.path,
                media_type=q.get("response-content-type") or "application/jsonl",
                headers=headers,
            )
    return _storage_error(404, "NoSuchKey", "The specified key does not exist.")
