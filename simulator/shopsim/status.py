"""What is active on a shop, in sentences: every fault and unusual state the admin page lists.

The admin pages (`admin`) show these lines so whoever rehearses a failure sees at a glance
what the simulator is doing to the app: the bulk fault, webhook faults, error rate and
latency, rate-limit overrides, a frozen or locked shop, an install page shown to staff
without permission, removed scopes and revoked tokens. One function per question, each
returning plain sentences (HTML-escaping is the caller's job).
"""

from __future__ import annotations

from shopsim import install_access
from shopsim.oauth import token_summary

BULK_OUTCOME = {
    "fail": "fail with INTERNAL_SERVER_ERROR after writing half their file (a partial file)",
    "timeout": "fail with TIMEOUT after writing half their file (a partial file)",
    "access_denied": "fail with ACCESS_DENIED",
    "stuck": "stay CREATED and never start",
}


def _pct(rate) -> str:
    return f"{float(rate) * 100:g}%"


def bulk_sentence(shop, bulk: dict) -> str:
    """The bulk fault as a sentence (also the confirmation after setting it)."""
    mode = (bulk or {}).get("mode")
    if not mode:
        return f"Bulk operations for {shop.handle} run normally."
    what = BULK_OUTCOME.get(mode, f"end with the {mode} fault")
    scope = f"{bulk['entity']} bulk operations" if bulk.get("entity") else "Bulk operations"
    times = bulk.get("times")
    if times is not None:
        n = int(times)
        until = f"for the next {n} operation{'s' if n != 1 else ''}"
    else:
        until = "until you clear the fault"
    return f"{scope} for {shop.handle} will now {what} {until}."


def active(shop) -> list[str]:
    """Every fault and unusual state currently set on `shop`, one sentence each."""
    f = shop.faults
    out: list[str] = []
    if (f.bulk or {}).get("mode"):
        out.append(bulk_sentence(shop, f.bulk))
    if f.error_rate:
        out.append(f"{_pct(f.error_rate)} of Admin API calls answer with a server error.")
    if f.latency_ms:
        out.append(f"Every Admin API call and token refresh waits {int(f.latency_ms)} ms.")
    if f.restore_rate:
        out.append(
            f"The GraphQL rate limit restores {float(f.restore_rate):g} points a second "
            f"instead of the plan's rate."
        )
    if f.rest_leak_rate:
        out.append(f"The REST rate limit leaks {float(f.rest_leak_rate):g} requests a second.")
    wf = f.webhooks or {}
    if wf.get("drop_rate"):
        out.append(f"{_pct(wf['drop_rate'])} of webhooks are dropped and never delivered.")
    if wf.get("duplicate_rate"):
        out.append(f"{_pct(wf['duplicate_rate'])} of webhooks are delivered twice.")
    if wf.get("delay_ms"):
        out.append(f"Every webhook is delivered {float(wf['delay_ms']):g} ms late.")
    if wf.get("reorder"):
        out.append("Webhooks are delivered out of order.")
    if shop.state == "frozen":
        out.append(
            "The shop is frozen: the Admin API answers 402 Payment Required until you set "
            "it active again."
        )
    elif shop.state == "locked":
        out.append(
            "The shop is locked: the Admin API answers 423 Locked until you set it active again."
        )
    if not install_access.allowed(shop):
        out.append(
            "The install page is shown to a staff member without permission to install "
            "apps, so no one can install or reconnect the app."
        )
    if shop.installed and not token_summary(shop)["active"]:
        out.append(
            "The app is installed but none of its access tokens works (revoked or expired): "
            "its calls get 401 until it refreshes its token or reconnects."
        )
    if shop.removed_scopes:
        out.append(
            "These scopes were removed by the merchant and are not granted on install: "
            + ", ".join(sorted(shop.removed_scopes))
            + "."
        )
    return out
