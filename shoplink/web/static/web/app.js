// Shoplink: small behaviours htmx does not cover — toasts from HX-Trigger, drawers, menus.
(function () {
  "use strict";
  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (level || "success");
    el.setAttribute("role", "status");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  }
  window.shoplinkToast = toast;
  document.body.addEventListener("toast", function (evt) {
    var d = evt.detail || {};
    toast(d.message || d.value || "", d.level);
  });
  // A drawer closed while one of its requests is in flight (a toggle saved, then Escape)
  // is hidden at once but removed only when the answer has been swapped: the answer's
  // out-of-band parts target the drawer, and a missing target is htmx:oobErrorNoTarget.
  // Aborting the request instead would leave a failed request in the console.
  var inFlight = 0, closing = [], closeTimer = null;
  function inDrawer(el) { return el && el.closest && el.closest("#drawer-root"); }
  function finishClose() {
    closing.forEach(function (el) { el.remove(); });
    closing = [];
    if (closeTimer) { clearTimeout(closeTimer); closeTimer = null; }
  }
  // Counted by the request itself (its loadend comes after htmx's swap, also on error,
  // abort and timeout), not by htmx:afterRequest: that event goes to the requesting
  // element or its nearest ancestor still in the page, which after a swap of the drawer
  // may lie outside #drawer-root, and a missed end kept a closed drawer for 15 s.
  document.body.addEventListener("htmx:beforeSend", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (!inDrawer(evt.target) || !xhr) return;
    inFlight += 1;
    xhr.addEventListener("loadend", function () {
      inFlight = Math.max(0, inFlight - 1);
      if (inFlight === 0 && closing.length) setTimeout(finishClose, 0);
    }, { once: true });
  });
  function closeDrawer() {
    var root = document.getElementById("drawer-root");
    if (!root) return;
    if (inFlight === 0) { finishClose(); root.innerHTML = ""; return; }
    Array.prototype.forEach.call(root.children, function (el) {
      el.style.display = "none";
      el.setAttribute("data-closing", "");
      closing.push(el);
    });
    closeTimer = closeTimer || setTimeout(function () { inFlight = 0; finishClose(); }, 15000);
  }
  window.shoplinkCloseDrawer = closeDrawer;
  // Live updates (ADR 0056): a page with an event stream (hx-ext="sse") refreshes parts on
  // their events; while the stream is not open (refused, dropped, no server push) the
  // same parts poll. shoplinkLive() says which.
  var live = false;
  window.shoplinkLive = function () { return live; };
  document.body.addEventListener("htmx:sseOpen", function () { live = true; });
  document.body.addEventListener("htmx:sseError", function () { live = false; });
  // The server ends each stream after its lifetime and the browser reconnects by itself
  // (readyState CONNECTING, Last-Event-ID kept): that is no error, so the SSE extension
  // (which would log one to the console and reconnect from scratch) only hears of a
  // stream that failed for good (CLOSED: refused with 503, server gone). The extension
  // uses htmx.createEventSource when it is already set.
  if (window.htmx && window.EventSource) {
    htmx.createEventSource = function (url) {
      var source = new EventSource(url, { withCredentials: true });
      var onerror = null;
      Object.defineProperty(source, "onerror", {
        get: function () { return onerror; },
        set: function (fn) { onerror = fn; }
      });
      source.addEventListener("error", function (evt) {
        live = false;
        if (source.readyState === EventSource.CLOSED && onerror) onerror(evt);
      });
      return source;
    };
  }
  // A part with an open menu or a request in flight is not replaced under the user's
  // hand; it is marked stale and its next poll refreshes it.
  window.shoplinkIdle = function (el) {
    if (el.querySelector(".menu-list:not([hidden]), .htmx-request")) {
      el.dataset.stale = "1";
      return false;
    }
    return true;
  };
  // A refresh already in flight when a menu opened must not land under it either.
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    var cfg = evt.detail.requestConfig || {};
    if (cfg.verb === "get" && target && target.classList && target.classList.contains("store-card") &&
        target.querySelector(".menu-list:not([hidden])")) {
      evt.detail.shouldSwap = false;
      target.dataset.stale = "1";
    }
  });
  window.shoplinkPoll = function (el) {
    if (document.visibilityState !== "visible") return false;
    if (live && !el.dataset.stale) return false;
    return window.shoplinkIdle(el);
  };
  document.body.addEventListener("closeDrawer", closeDrawer);
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") {
      document.querySelectorAll(".menu-list").forEach(function (m) { m.hidden = true; });
      closeDrawer();
    }
  });
  document.addEventListener("click", function (evt) {
    var opener = evt.target.closest("[data-menu-toggle]");
    document.querySelectorAll(".menu-list").forEach(function (m) {
      if (!opener || m.id !== opener.getAttribute("aria-controls")) m.hidden = true;
    });
    if (opener) {
      var list = document.getElementById(opener.getAttribute("aria-controls"));
      if (list) { list.hidden = !list.hidden; opener.setAttribute("aria-expanded", String(!list.hidden)); }
    }
    if (evt.target.matches(".drawer-backdrop") || evt.target.closest("[data-drawer-close]")) closeDrawer();
  });
})();
