// Turns a notebook that cannot load into a friendly message (never an endless spinner), and tells
// other scripts (analytics) about the notebook's life: mplat:notebook-loaded / -interaction / -error.
(function () {
  "use strict";
  var cfg = window.MPLAT_APP || {};
  var state = { loaded: false, failed: false, interacted: false };
  var slug = (location.pathname.split("/").pop() || "").replace(/\.html$/, "");

  function emit(name, detail) {
    window.dispatchEvent(new CustomEvent("mplat:" + name, { detail: Object.assign({ slug: slug }, detail || {}) }));
  }

  function showFailure(reason) {
    if (state.failed) return;
    state.failed = true;
    emit("notebook-error", { reason: reason });
    var box = document.createElement("div");
    box.className = "mplat-load-failed";
    box.setAttribute("role", "alert");
    var email = cfg.supportEmail;
    var t = window.mplatText; // the message table, inlined in this page by the build (app_page.py)
    var link = '<a href="mailto:' + email + '">' + email + "</a>";
    box.innerHTML =
      "<div><h1></h1><p></p>" +
      (email ? "<p>" + t("app.failed_contact_html", { email: link }) + "</p>" : "") +
      '<button type="button"></button></div>';
    box.querySelector("h1").textContent = t("app.failed_title");
    box.querySelector("p").textContent = t("app.failed_text");
    box.querySelector("button").textContent = t("app.reload");
    box.querySelector("button").addEventListener("click", function () { location.reload(); });
    document.body.appendChild(box);
  }

  // A cell that raises while loading: marimo shows an error output or an "internal error" toast.
  var ERROR_SELECTOR = ".marimo-error, [data-testid='marimo-error'], .output-area .text-error";
  function hasError() {
    if (document.querySelector(ERROR_SELECTOR)) return true;
    var toasts = document.querySelectorAll("li[role='status'], ol li");
    for (var i = 0; i < toasts.length; i++) {
      if (/An internal error occurred|Failed to (load|start)/i.test(toasts[i].textContent || "")) return true;
    }
    return false;
  }
  function isReady() {
    return document.querySelector(".output-area") !== null &&
      document.querySelectorAll(".marimo-output-loading, .marimo-output-stale").length === 0 &&
      document.querySelector("[role='slider'], marimo-ui-element, .output-area *") !== null;
  }

  // marimo's notebook menu is an icon-only button without a name: screen readers would say "button".
  function nameUnnamedControls() {
    var menu = document.querySelector("[data-testid='notebook-actions-dropdown'] button:not([aria-label])");
    if (menu && !menu.textContent.trim()) menu.setAttribute("aria-label", window.mplatText("app.actions_label"));
  }

  var started = Date.now();
  var timer = setInterval(function () {
    nameUnnamedControls();
    if (hasError()) { clearInterval(timer); showFailure("error"); return; }
    if (!state.loaded && isReady()) {
      state.loaded = true;
      emit("notebook-loaded", { ms: Date.now() - started });
    }
    if (!state.loaded && Date.now() - started > (cfg.loadTimeoutMs || 180000)) {
      clearInterval(timer);
      showFailure("timeout");
    }
  }, 250);

  function onInput() {
    if (state.loaded && !state.interacted) {
      state.interacted = true;
      emit("notebook-interaction");
    }
  }
  ["input", "change", "keydown", "pointerup"].forEach(function (type) {
    document.addEventListener(type, onInput, true);
  });
  // The notebook gate (inline/notebook-gate.js) reports a Python that could not start.
  window.addEventListener("mplat:kernel", function (event) {
    if (event.detail && event.detail.state === "failed") showFailure("boot");
  });
  window.addEventListener("unhandledrejection", function (event) {
    if (/pyodide|wasm|Failed to fetch dynamically imported module/i.test(String(event.reason))) showFailure("boot");
  });
})();
