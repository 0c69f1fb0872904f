"""The state file: a restarted simulator keeps shops, tokens and changes; --reset wipes them.

Real `shopsim serve` processes over HTTP, stopped with SIGTERM as Ctrl-C / `make demo`
would stop them.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from conftest import free_port, gql

SHOP = "keep-me.myshopify.com"
QUERY = "{ shop { name } customers(first: 250) { nodes { id email } } }"


def _start(state_file, *extra):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopsim",
            "serve",
            "--port",
            str(port),
            "--customers",
            "5",
            "--state-file",
            str(state_file),
            "--shop",
            "demo-store",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    while not (line := proc.stdout.readline()).startswith("shopsim listening"):
        seen.append(line)
        assert line and len(seen) < 20, "".join(seen)
    proc.seen = seen  # what it printed before listening
    return proc, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)


def _stop(proc, client):
    client.close()
    proc.terminate()
    out = proc.communicate(timeout=15)[0]
    assert "Traceback" not in out, out


@pytest.fixture
def state_file(tmp_path):
    return tmp_path / "var" / "shopsim-state.pickle"


def test_restart_keeps_tokens_and_data_and_reset_wipes_them(state_file):
    proc, sim = _start(state_file)
    try:
        # The seeded shop is listed before any app has touched it.
        assert "demo-store.myshopify.com" in sim.get("/_admin").text
        token = sim.post(
            f"/_control/shops/{SHOP}/install", json={"scopes": ["read_customers"]}
        ).json()["access_token"]
        created = sim.post(
            f"/_control/shops/{SHOP}/customers",
            json={"first_name": "Kept", "email": "kept@example.com"},
        ).json()
        deleted = sim.get(f"/_control/shops/{SHOP}/customers").json()["records"][0]["id"]
        assert sim.delete(f"/_control/shops/{SHOP}/customers/{deleted}").status_code == 200
        buyer = str(created["id"]).rsplit("/", 1)[-1]
        placed = sim.post(f"/_control/shops/{SHOP}/orders", json={"customer_id": buyer})
        assert placed.status_code in (200, 201), placed.text
        buyer_before = sim.get(f"/_control/shops/{SHOP}/customers/{buyer}").json()
        assert buyer_before["numberOfOrders"] in (1, "1")
        sim.post(f"/_control/shops/{SHOP}/faults", json={"bulk": {"mode": "stuck"}})
        before = gql(sim, SHOP, token, QUERY).json()
        summary_before = sim.get(f"/_control/shops/{SHOP}").json()
    finally:
        _stop(proc, sim)
    assert state_file.exists()

    proc, sim = _start(state_file)
    try:
        after = gql(sim, SHOP, token, QUERY)
        assert after.status_code == 200, after.text  # the old token still works
        # The data, not the cost extension: the rate-limit bucket is not state (it starts
        # full after a restart, as it refills with time anyway).
        assert after.json()["data"] == before["data"]
        emails = [c["email"] for c in after.json()["data"]["customers"]["nodes"]]
        assert "kept@example.com" in emails
        assert str(deleted) not in str(after.json())
        assert created["email"] == "kept@example.com"
        summary = sim.get(f"/_control/shops/{SHOP}").json()
        assert summary["installed"] is True
        assert summary["counts"] == summary_before["counts"]
        # A run-time order still counts for its buyer (the owner index is rebuilt on load).
        buyer_after = sim.get(f"/_control/shops/{SHOP}/customers/{buyer}").json()
        assert buyer_after["numberOfOrders"] == buyer_before["numberOfOrders"]
        assert buyer_after["amountSpent"] == buyer_before["amountSpent"]
        assert summary["faults"]["bulk"] == {"mode": "stuck"}
        assert "will now stay CREATED" in sim.get(f"/_admin/{SHOP}").text
    finally:
        _stop(proc, sim)

    proc, sim = _start(state_file, "--reset")
    try:
        index = sim.get("/_admin").text
        assert SHOP not in index and "demo-store.myshopify.com" in index
        assert gql(sim, SHOP, token, QUERY).status_code == 401  # the shop starts afresh
    finally:
        _stop(proc, sim)


def test_a_state_file_cannot_run_code(tmp_path):
    import pickle

    from shopsim import persist
    from shopsim.config import Settings
    from shopsim.store import Registry

    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps({"version": 1, "shops": [Settings()]}))
    with pytest.raises(pickle.UnpicklingError):
        persist.load(Registry(Settings()), path)


def test_an_unreadable_state_file_is_set_aside(state_file):
    state_file.parent.mkdir(parents=True)
    state_file.write_bytes(b"not a pickle")
    proc, sim = _start(state_file)
    try:
        assert "demo-store.myshopify.com" in sim.get("/_admin").text
        assert "set aside as" in "".join(proc.seen)
    finally:
        _stop(proc, sim)
    assert state_file.with_name(state_file.name + ".unreadable").read_bytes() == b"not a pickle"
