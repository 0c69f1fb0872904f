"""The state file: every shop's changes, install, tokens and subscriptions kept across restarts.

`shopsim serve --state-file PATH` loads PATH on start (if it exists), writes it every
`SAVE_EVERY` seconds while something changed, and once more on shutdown. `shoplink demo`
passes a file beside the app's database, so a restarted demo keeps its connected store.

What is kept is what a shop cannot regenerate: its profile and props, the overrides of
each table (records created, changed or deleted at run time), install state, scopes,
tokens, refresh tokens, subscriptions, faults, events, metafields and the delivery log.
Generated records are not stored: the generator rebuilds them from the seed. Bulk
operations and webhook retries in flight are not kept (a restart is like Shopify losing
an in-flight job: the app's poll sees the operation gone and starts again).

Format: a pickle of plain data only (dicts, lists, sets, strings, numbers), read back by
an unpickler that refuses every class, so a state file cannot run code. A record's
pointer to another record (`records.Ref`, e.g. an order's customer) is written as a
persistent id `("ref", kind, index, num)` and rebuilt against its own shop on load; each
shop is pickled on its own for that reason. Pickle because
it is the fastest way to round-trip sets, tuple keys and int keys that JSON would need
converting. Written to a temporary file in the same directory and renamed over the old
one, so a crash mid-write leaves the previous state intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import pickle
import tempfile
from pathlib import Path

from shopsim.config import Profile, Settings
from shopsim.records import Ref
from shopsim.store import Faults, Registry, Shop

log = logging.getLogger("shopsim.persist")

VERSION = 2  # 2: shops pickled one by one, record pointers as persistent ids
SAVE_EVERY = 1.0  # seconds between checks for changes to write
# Plain attributes of a Shop copied as they are; tables, faults and the profile are special.
FIELDS = (
    "state",
    "installed",
    "granted_scopes",
    "removed_scopes",
    "subscriptions",
    "next_sub",
    "events",
    "webhook_log",
    "metafields",
    "created_at",
    "tokens",
    "refresh_tokens",
    "codes",
    "tokens_issued",
    "seq",
)


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"state files hold plain data only, not {module}.{name}")


class _RefPickler(pickle.Pickler):
    """Writes a `Ref` as its coordinates: a Ref holds its shop's loader, which is not data."""

    def persistent_id(self, obj):
        if isinstance(obj, Ref):
            return ("ref", obj.kind, obj.index, obj.num)
        return None


class _LateLoader:
    """The loader of refs read before their shop exists; pointed at the shop once built."""

    def __init__(self):
        self.target = None

    def __call__(self, kind: str, index: int):
        return self.target(kind, index) if self.target is not None else None


class _ShopUnpickler(_PlainUnpickler):
    def __init__(self, raw: bytes, loader: _LateLoader):
        super().__init__(io.BytesIO(raw))
        self.loader = loader

    def persistent_load(self, pid):
        if isinstance(pid, tuple) and len(pid) == 4 and pid[0] == "ref":
            _, kind, index, num = pid
            return Ref(str(kind), int(index), int(num), self.loader)
        raise pickle.UnpicklingError(f"unknown persistent id in a state file: {pid!r}")


def _shop_bytes(shop: Shop) -> bytes:
    buf = io.BytesIO()
    _RefPickler(buf, protocol=5).dump(shop_state(shop))
    return buf.getvalue()


def shop_state(shop: Shop) -> dict:
    """A snapshot of `shop` as plain data (copies, so later changes do not leak in)."""
    state = {
        "domain": shop.domain,
        "counts": dict(shop.counts),
        "props": dict(shop.props),
        "faults": dict(shop.faults.__dict__),
        "tables": {
            kind: {"next_index": t.next_index, "overrides": dict(t.overrides)}
            for kind, t in shop.tables.items()
        },
    }
    for name in FIELDS:
        state[name] = getattr(shop, name)
    return state


def restore_shop(settings: Settings, state: dict) -> Shop:
    """Rebuild a Shop from `shop_state` output."""
    known = {k: v for k, v in state["counts"].items() if k in Profile.__dataclass_fields__}
    shop = Shop(settings, state["domain"], Profile(**known), state["props"])
    shop.props.update(state["props"])  # keys the constructor does not know (install access)
    for kind, saved in state["tables"].items():
        table = shop.tables.get(kind)
        if table is not None:
            table.restore(saved["next_index"], saved["overrides"])
    shop.faults = Faults(**{k: v for k, v in state["faults"].items() if hasattr(Faults(), k)})
    for name in FIELDS:
        if name in state:
            setattr(shop, name, state[name])
    return shop


def dump(registry: Registry) -> bytes:
    """The whole registry as bytes; retried if a request changes a shop mid-copy."""
    for _ in range(5):
        try:
            shops = [_shop_bytes(s) for s in list(registry.shops.values())]
            return pickle.dumps({"version": VERSION, "shops": shops}, protocol=5)
        except RuntimeError:  # "dictionary changed size during iteration": copy again
            continue
    raise RuntimeError("shop state kept changing while saving")


def write(path: Path, data: bytes) -> None:
    """Write atomically: temporary file in the same directory, fsync, rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load(registry: Registry, path: Path) -> int:
    """Fill `registry` from `path`; return how many shops were loaded (0 if no file)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0
    data = _PlainUnpickler(io.BytesIO(raw)).load()
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError(f"{path} is not a shopsim state file of version {VERSION}")
    for raw_shop in data["shops"]:
        loader = _LateLoader()
        shop = restore_shop(registry.settings, _ShopUnpickler(raw_shop, loader).load())
        loader.target = shop.gen.loader
        registry.shops[shop.domain] = shop
    return len(data["shops"])


def load_or_set_aside(registry: Registry, path: Path) -> int:
    """`load`, but a file that cannot be read is renamed `<name>.unreadable` and the
    simulator starts empty (said once on the terminal) instead of refusing to start."""
    try:
        return load(registry, path)
    except (pickle.UnpicklingError, ValueError, EOFError, KeyError, TypeError) as exc:
        aside = path.with_name(path.name + ".unreadable")
        os.replace(path, aside)
        registry.shops.clear()
        print(f"shopsim: could not read {path} ({exc}); set aside as {aside}", flush=True)
        return 0


class Saver:
    """Writes the state file whenever its content changed, checked every `SAVE_EVERY` s."""

    def __init__(self, registry: Registry, path: Path):
        self.registry, self.path = registry, path
        self.last: bytes | None = None
        self.task: asyncio.Task | None = None

    def save(self) -> bool:
        data = dump(self.registry)
        if data == self.last:
            return False
        write(self.path, data)
        self.last = data
        return True

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SAVE_EVERY)
            try:
                # Copied on the event loop (where requests change shops), written off it.
                data = dump(self.registry)
                if data != self.last:
                    await asyncio.to_thread(write, self.path, data)
                    self.last = data
            except Exception:  # a full disk must not stop the simulator; say so and go on
                log.exception("could not write the state file %s", self.path)

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.last = self.path.read_bytes()
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self.save()
