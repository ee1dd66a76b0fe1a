// mplat notebook gate, inlined into apps/<slug>.html before marimo's module script.
// On Save-Data or a slow link (effectiveType below 4g) the page shows the outputs computed at build time
// and holds back marimo's Python worker — and with it the 20+ MB runtime download — until the reader
// presses "Run interactive". Otherwise it does nothing and Python boots at once, in place.
(function () {
  "use strict";
  // WebKitGTK reports a cross-origin-isolated page yet defines no SharedArrayBuffer: marimo then throws while
  // it starts the kernel (its interrupt buffer) and the notebook never runs. Without SharedArrayBuffer there
  // are no interrupts anyway, so tell marimo the page is not isolated (its own fallback path).
  if (self.crossOriginIsolated && typeof SharedArrayBuffer === "undefined") {
    try { Object.defineProperty(window, "crossOriginIsolated", { value: false, configurable: true }); } catch (e) { /* keep marimo's view */ }
  }
  var ACCEPTED_KEY = "mplat-run-interactive"; // once accepted, other notebooks of this visit run at once
  var SLOW = ["slow-2g", "2g", "3g"];
  var root = document.documentElement;

  function meteredOrSlow() {
    var c = navigator.connection;
    return Boolean(c) && (c.saveData === true || SLOW.indexOf(c.effectiveType) !== -1);
  }
  function accepted() {
    try { return sessionStorage.getItem(ACCEPTED_KEY) === "1"; } catch (e) { return false; }
  }
  // marimo's kernel worker is assets/worker-<hash>.js (its save worker, save-worker-*, starts later).
  var KERNEL_WORKER = /\/assets\/worker-[\w-]+\.js$/;
  var RealWorker = window.Worker;
  var held = [];
  // The build's thumbnailer (thumbnails.py) sets window.MPLAT_SNAPSHOT before the page loads: the outputs
  // computed at build time are the picture, so Python is held for good, with no bar and nothing dimmed.
  var snapshot = window.MPLAT_SNAPSHOT === true;
  var released = !snapshot && (!meteredOrSlow() || accepted());

  // Until Python has run the notebook, its inputs are pre-computed pictures: a change would be lost.
  // Dim them and let them ignore the pointer until data-mplat-kernel="ready".
  root.setAttribute("data-mplat-kernel", "loading");
  if (!snapshot) {
    var dim = document.createElement("style");
    dim.textContent =
      "html:not([data-mplat-kernel=ready]) marimo-ui-element{opacity:.55;pointer-events:none;transition:opacity .3s}";
    document.head.appendChild(dim);
  }

  // Others wait for the gate too (the offline worker must not fetch this notebook's files while it is
  // closed): the state is on <html data-mplat-gate> of this page and of a same-origin embedding page, and
  // each change is announced as an "mplat:gate" event ({detail: {state}}) on both windows.
  // Likewise "mplat:kernel" ({detail: {state: "ready"}}) once the notebook is interactive, so background
  // downloads can wait until the boot no longer needs the network and the CPU.
  function announce(name, state) {
    if (name === "kernel") tellServiceWorker("booted");
    var windows = [window];
    try {
      if (window.parent !== window && window.parent.document) windows.push(window.parent);
    } catch (e) { /* embedded by another origin */ }
    windows.forEach(function (w) {
      w.document.documentElement.setAttribute("data-mplat-" + name, state);
      w.dispatchEvent(new CustomEvent("mplat:" + name, { detail: { state: state } }));
    });
  }
  announce("gate", released ? "open" : "waiting");

  // data-mplat-kernel: loading → held → booting → started (Python is up) → ready (the notebook's first run is
  // done: the page is interactive), or failed (Python did not start). Pre-computed outputs and sliders are on screen long before, so tests
  // and benchmarks wait for "ready".
  // plotly.js (marimo's Plot chunk, 4.6 MB) and MathJax wait until the kernel worker has downloaded the
  // runtime (controller.py rewrites marimo's lazy import of the chunk to ask window.mplatAfterRuntime; the
  // build lists MathJax in the plan of a notebook that imports plotly): on a cold load over a slow link they
  // would share it with the runtime, on a warm one the wait is a moment; when Python is restored from a
  // memory snapshot, they wait for the notebook's first run (below). Without Python coming (held,
  // snapshot, no plan) they load at once.
  var runtimeIn;
  var plotsAfterRun = false;
  var afterRuntime = new Promise(function (resolve) { runtimeIn = resolve; });
  window.mplatAfterRuntime = function () { return afterRuntime; };
  setTimeout(function () { runtimeIn(); }, 60000); // never hold the charts for good

  function watchKernel(worker) {
    worker.addEventListener("message", function (event) {
      var d = event.data;
      if (d && d.mplat === "runtime-downloaded") {
        // Python restored from a memory snapshot is ready long before marimo's page: plotly.js's module
        // (~1 s of this thread) would then stand between the notebook's first run and the page hearing of
        // it (and, started any earlier, between marimo's start-up and the run). It waits for that run:
        // sliders answer ~0.5 s sooner, charts are drawn ~0.4 s later (docs/ipad.md).
        plotsAfterRun = d.restoring === true;
        if (!plotsAfterRun) runtimeIn();
        return;
      }
      // How Python started (data-mplat-python: started, made-snapshot or restored: memory_snapshot.py),
      // data-mplat-memory-snapshot="stored" once a snapshot is kept for the next visits, and data-mplat-session
      // when the session the controller started ahead was handed to the page ("ahead") or discarded.
      if (d && d.mplat === "python") {
        if (d.started) root.setAttribute("data-mplat-python", d.started);
        if (d.snapshot) root.setAttribute("data-mplat-memory-snapshot", d.snapshot);
        if (d.session) root.setAttribute("data-mplat-session", d.session);
        return;
      }
      var message = d && typeof d === "object" && d.data && typeof d.data === "object" ? d.data : d;
      if (!message || root.getAttribute("data-mplat-kernel") === "ready") return;
      if (message.id === "initialized") {
        root.setAttribute("data-mplat-kernel", "started");
        if (!plotsAfterRun) runtimeIn();
      }
      // Python could not start (neither mplat's controller nor marimo's): the page's watcher says so.
      if (message.id === "initializedError") {
        runtimeIn();
        announce("kernel", "failed");
      }
      var text = message.id === "kernelMessage" && message.payload && message.payload.message;
      if (typeof text === "string" && text.indexOf('"completed-run"') !== -1) {
        announce("kernel", "ready");
        runtimeIn();
      }
    });
  }

  // mplat's controller (apps/mplat-controller.js, controller.py): the build's boot plan for this notebook
  // travels in the kernel worker's name, and the worker starts with the page rather than after marimo's
  // page scripts. Without a plan, marimo's worker boots as marimo does.
  var boot = window.MPLAT_BOOT;
  function kernelOptions(options) {
    if (!boot) return options;
    var runtime = new URL(boot.runtime, location.href).href;
    var snapshot = boot.memorySnapshot;
    var plan = {
      indexURL: runtime, lockFileURL: runtime + "pyodide-lock.json",
      packages: boot.packages, archives: boot.archives, slices: boot.slices, files: boot.files,
      memorySnapshot: snapshot || null, // the worker's first line reads it (controller.py)
      data: (boot.data || []).map(function (url) { return new URL(url, location.href).href; }),
      parsed: boot.parsed || null,
    };
    var copy = {};
    for (var key in options || {}) copy[key] = options[key];
    copy.name = String(copy.name || "marimo::controller") + boot.separator + JSON.stringify(plan);
    copy.type = "module";
    return copy;
  }

  // Stands in for the kernel worker: queues messages to it until started, and the worker's messages until
  // marimo listens (a worker started early says "ready" before marimo's page is there to hear it).
  function KernelWorker(url, options) {
    var target = new EventTarget();
    var self = this;
    var queue = [];
    var inbox = [];
    var listening = false;
    var real = null;
    var terminated = false;
    this.onerror = null;
    this.onmessageerror = null;
    this.url = url;
    this.addEventListener = function (type, listener, opts) {
      target.addEventListener(type, listener, opts);
      if (type === "message") listen();
    };
    this.removeEventListener = target.removeEventListener.bind(target);
    this.dispatchEvent = target.dispatchEvent.bind(target);
    this.postMessage = function () {
      if (real) real.postMessage.apply(real, arguments);
      else queue.push(arguments);
    };
    this.terminate = function () {
      terminated = true;
      if (real) real.terminate();
    };
    function deliver(type, copy) {
      target.dispatchEvent(copy);
      if (typeof self["on" + type] === "function") self["on" + type](copy);
    }
    // After the current task: marimo attaches its listener, then registers what it listens for.
    function listen() {
      if (listening) return;
      listening = true;
      setTimeout(function () {
        inbox.forEach(function (item) { deliver(item[0], item[1]); });
        inbox = [];
      }, 0);
    }
    Object.defineProperty(this, "onmessage", {
      get: function () { return self._onmessage || null; },
      set: function (fn) { self._onmessage = fn; if (fn) listen(); },
    });
    this.start = function () {
      if (terminated || real) return;
      real = new RealWorker(url, options);
      ["message", "messageerror", "error"].forEach(function (type) {
        real.addEventListener(type, function (event) {
          var copy = type === "error"
            ? new ErrorEvent("error", { message: event.message, filename: event.filename, lineno: event.lineno, colno: event.colno, error: event.error })
            : new MessageEvent(type, { data: event.data, ports: Array.prototype.slice.call(event.ports || []) });
          if (listening && !inbox.length) deliver(type, copy);
          else inbox.push([type, copy]);
        });
      });
      watchKernel(real);
      queue.forEach(function (args) { real.postMessage.apply(real, args); });
      queue = [];
    };
  }

  var early = null; // the kernel worker started with the page, until marimo asks for it
  function GatedWorker(url, options) {
    if (!KERNEL_WORKER.test(String(url))) return new RealWorker(url, options);
    var href = new URL(String(url), location.href).href;
    var worker;
    if (early && early.url === href) {
      worker = early;
      early = null;
    } else {
      if (early) early.terminate(); // not the worker marimo asked for (never expected): do not leave it running
      early = null;
      worker = new KernelWorker(href, kernelOptions(options));
      if (released) worker.start();
      else held.push(worker);
    }
    if (root.getAttribute("data-mplat-kernel") === "loading") root.setAttribute("data-mplat-kernel", released ? "booting" : "held");
    return worker;
  }
  GatedWorker.prototype = RealWorker.prototype;
  window.Worker = GatedWorker;
  if (released && boot && boot.worker) {
    var kernel = new KernelWorker(new URL(boot.worker, location.href).href, kernelOptions({ name: "marimo::controller" }));
    early = kernel;
    kernel.start();
    root.setAttribute("data-mplat-kernel", "booting");
    tellServiceWorker("booting");
    whenParsed(sendSessionInputs.bind(null, kernel));
  } else {
    runtimeIn();
  }

  // What marimo's page will ask its kernel for when it starts the session (PyodideBridge.startSession in
  // marimo's page asset): the notebook's code, the user config (mode "read": auto_instantiate), the URL's
  // query parameters. The page asks once its scripts have run; the controller starts that session ahead,
  // as soon as Python is up, and hands it over if the page asks for the same (controller.js, startAhead).
  function sessionInputs() {
    var mount = window.__MARIMO_MOUNT_CONFIG__;
    var code = document.querySelector("marimo-code");
    if (!mount || !mount.config || !mount.config.runtime || mount.mode !== "read" || !code) return null;
    var query = {};
    var params = new URLSearchParams(location.search);
    params.forEach(function (value, key) {
      var all = params.getAll(key);
      query[key] = all.length === 1 ? all[0] : all;
    });
    var config = JSON.parse(JSON.stringify(mount.config));
    config.runtime.auto_instantiate = true;
    try {
      return { code: decodeURIComponent(code.textContent), filename: mount.filename, queryParameters: query, userConfig: config };
    } catch (e) {
      return null; // not the code marimo's export writes: the page starts its session itself
    }
  }
  function sendSessionInputs(worker) {
    var inputs = sessionInputs();
    if (inputs) worker.postMessage({ type: "message", id: "mplat-session-inputs", payload: inputs });
  }
  // When the page is parsed: before its deferred (module) scripts run, and so long before marimo's.
  function whenParsed(callback) {
    if (document.readyState !== "loading") return callback();
    document.addEventListener("readystatechange", function once() {
      document.removeEventListener("readystatechange", once);
      callback();
    });
  }

  // marimo loads MathJax with a <script src> it first looks up by its src, then follows through the
  // element's data-status: a placeholder of a type the browser does not run holds it until afterRuntime.
  if (boot && boot.mathjax) {
    var placeholder = document.createElement("script");
    placeholder.type = "mplat/after-runtime";
    placeholder.setAttribute("src", boot.mathjax);
    placeholder.setAttribute("data-status", "loading");
    document.head.appendChild(placeholder);
    afterRuntime.then(function () {
      var real = document.createElement("script");
      real.async = true;
      real.onload = function () { placeholder.setAttribute("data-status", "ready"); };
      real.onerror = function () { placeholder.setAttribute("data-status", "error"); };
      real.src = boot.mathjax;
      document.head.appendChild(real);
    });
  }

  // The offline service worker (sw.js) holds its background download of notebook files while a notebook
  // boots ("booting" … "booted") and for a moment after each press or key: the reader goes first.
  function tellServiceWorker(type) {
    var sw = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (sw) sw.postMessage({ type: type });
  }
  var lastReport = 0;
  function reportInput() {
    if (Date.now() - lastReport < 500) return;
    lastReport = Date.now();
    tellServiceWorker("input");
  }
  ["pointerdown", "keydown", "input"].forEach(function (type) {
    window.addEventListener(type, reportInput, { capture: true, passive: true });
  });

  function release() {
    if (released) return;
    released = true;
    try { sessionStorage.setItem(ACCEPTED_KEY, "1"); } catch (e) { /* private mode: ask again next time */ }
    announce("gate", "open");
    if (held.length) {
      root.setAttribute("data-mplat-kernel", "booting");
      tellServiceWorker("booting");
    }
    held.forEach(function (w) { w.start(); });
  }

  // The bar lives in a shadow root so marimo's CSS and ours cannot touch each other.
  function showBar() {
    var host = document.createElement("mplat-gate");
    var shadow = host.attachShadow({ mode: "open" });
    shadow.innerHTML =
      "<style>" +
      ":host{display:block;flex:none;position:relative;z-index:2147483000}" +
      ".bar{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:center;justify-content:center;" +
      "padding:.75rem 1rem;background:#000;color:#f2f2f2;border-bottom:2px solid #D4A843;" +
      "font:15px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif}" +
      "button{font:inherit;font-weight:600;color:#000;background:#D4A843;border:0;border-radius:6px;" +
      "padding:.55rem 1.1rem;cursor:pointer;min-height:44px}" +
      "button:focus-visible{outline:3px solid #fff;outline-offset:2px}" +
      "</style>" +
      '<div class="bar" role="region"><span></span><button type="button"></button></div>';
    // The message table is inlined later in <head> (app_page.py): read at DOMContentLoaded, it is there.
    var t = window.mplatText;
    shadow.querySelector(".bar").setAttribute("aria-label", t("gate.label"));
    shadow.querySelector("span").textContent = t("gate.explain");
    shadow.querySelector("button").textContent = t("gate.run");
    shadow.querySelector("button").addEventListener("click", function () {
      release();
      host.remove();
    });
    // At the top, the first thing seen and never below the fold of an iframe. marimo's app fills the
    // viewport from #root (absolutely positioned): while the bar shows, #root takes the height left under it.
    var layout = document.createElement("style");
    layout.textContent =
      "html[data-mplat-gate=waiting] body{height:100vh;margin:0;display:flex;flex-direction:column;overflow:hidden}" +
      "html[data-mplat-gate=waiting] #root{position:relative;flex:1 1 auto;min-height:0;height:auto}";
    document.head.appendChild(layout);
    document.body.prepend(host);
  }
  if (released || snapshot) return;
  if (document.body && window.mplatText) showBar();
  else document.addEventListener("DOMContentLoaded", showBar);
})();
