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
  function closeDrawer() {
    var root = document.getElementById("drawer-root");
    if (root) root.innerHTML = "";
  }
  window.shoplinkCloseDrawer = closeDrawer;
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
