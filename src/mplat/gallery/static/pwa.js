/* The installable app, on every page of the site (design: docs/ipad.md).
   - iOS Safari: a dismissible "Add to Home Screen" hint (iOS has no install prompt, and clears the storage of
     sites not on the Home Screen after 7 days without a visit).
   - /gallery/: when the browser is idle, fetch the Python runtime and marimo's page scripts so the first
     notebook opened boots sooner (the service worker or the HTTP cache keeps them). Never on Save-Data or a
     link slower than 4g: there the notebook pages ask before downloading (inline/notebook-gate.js). */
(() => {
  "use strict";
  if (window.mplatPwa || !document.currentScript) return;

  const SITE_ROOT = new URL("../../", document.currentScript.src); // this file is assets/mplat/pwa.js
  const HINT_DISMISSED_KEY = "mplat-install-hint-dismissed";
  const SLOW = ["slow-2g", "2g", "3g"];
  // What marimo's worker loads before a notebook runs (their dependencies are added from the lockfile).
  const RUNTIME_CORE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"];
  const BOOT_PACKAGES = ["micropip", "msgspec", "marimo-base", "pyodide-http", "docutils", "pygments", "jedi"];
  const FETCHES_AT_ONCE = 3;
  // Safari's Share symbol (a box with an arrow out of it), so the reader knows which button to look for.
  const SHARE_ICON =
    '<svg class="mplat-install-hint__share" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" ' +
    'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">' +
    '<path d="M12 3v12M8 7l4-4 4 4M7 10H5v11h14V10h-2"/></svg>';
  const root = document.documentElement;

  function meteredOrSlow() {
    const c = navigator.connection;
    return Boolean(c) && (c.saveData === true || SLOW.includes(c.effectiveType));
  }

  // Resolves when this page may download a notebook's runtime: at once on a fast link, otherwise once the
  // reader pressed "Run interactive" (the notebook gate announces it with an "mplat:gate" event).
  function downloadsAllowed() {
    let accepted = false;
    try { accepted = sessionStorage.getItem("mplat-run-interactive") === "1"; } catch (e) { /* no storage */ }
    if (!meteredOrSlow() || accepted || root.getAttribute("data-mplat-gate") === "open") return Promise.resolve();
    return new Promise((resolve) => {
      const onGate = (event) => {
        if (event.detail && event.detail.state === "open") {
          window.removeEventListener("mplat:gate", onGate);
          resolve();
        }
      };
      window.addEventListener("mplat:gate", onGate);
    });
  }
  window.mplatPwa = { downloadsAllowed };

  /* ---- "Add to Home Screen" hint (iOS Safari only) ---- */

  function isIosSafari() {
    const ua = navigator.userAgent;
    // iPadOS reports itself as a Mac: tell it apart by its touch screen.
    const ios = /iPad|iPhone|iPod/.test(ua) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
    return ios && /Safari\//.test(ua) && !/CriOS|FxiOS|EdgiOS|OPiOS|GSA\//.test(ua);
  }

  function runningInstalled() {
    return navigator.standalone === true || window.matchMedia("(display-mode: standalone)").matches;
  }

  function dismissed() {
    try { return localStorage.getItem(HINT_DISMISSED_KEY) === "1"; } catch (e) { return false; }
  }

  function showInstallHint() {
    if (!isIosSafari() || runningInstalled() || dismissed() || document.querySelector(".mplat-install-hint")) return;
    const device = /iPhone|iPod/.test(navigator.userAgent) ? "iPhone" : "iPad";
    const hint = document.createElement("aside");
    hint.className = "mplat-install-hint";
    hint.setAttribute("role", "region");
    hint.setAttribute("aria-label", window.mplatText("install.label"));
    hint.innerHTML =
      '<p class="mplat-install-hint__text">' +
      window.mplatText("install.hint_html", { device: device, share: SHARE_ICON }) +
      '</p><button type="button" class="mplat-install-hint__close"></button>';
    hint.querySelector("button").textContent = window.mplatText("install.dismiss");
    hint.querySelector("button").addEventListener("click", () => {
      try { localStorage.setItem(HINT_DISMISSED_KEY, "1"); } catch (e) { /* private mode: hide for now */ }
      hint.remove();
    });
    document.body.appendChild(hint);
  }

  /* ---- instant first paint on a notebook page ---- */

  // The app page carries the outputs computed at build time (marimo's mount config, "session"). Shown as
  // plain HTML over the notebook frame, they appear with the page, long before marimo's ~300 page scripts
  // have started in the frame; the frame takes over once it shows outputs itself.
  function sessionOutputs(html) {
    const start = html.indexOf('"session": {');
    if (start === -1) return [];
    let i = html.indexOf("{", start), depth = 0, inString = false;
    const from = i;
    for (; i < html.length; i += 1) {
      const ch = html[i];
      if (inString) {
        if (ch === "\\") i += 1;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === "{") depth += 1;
      else if (ch === "}" && --depth === 0) break;
    }
    const session = JSON.parse(html.slice(from, i + 1));
    return (session.cells || []).flatMap((cell) => (cell.outputs || []).map((output) => output.data || {}));
  }

  function renderSnapshot(outputs) {
    const snapshot = document.createElement("div");
    snapshot.className = "mplat-snapshot";
    snapshot.setAttribute("aria-hidden", "true"); // the notebook frame holds the same content
    for (const data of outputs) {
      const block = document.createElement("div");
      block.className = "mplat-snapshot__output";
      if (data["text/html"] || data["text/markdown"]) block.innerHTML = data["text/html"] || data["text/markdown"];
      else if (data["text/plain"]) block.textContent = data["text/plain"];
      block.querySelectorAll("style, link, script").forEach((e) => e.remove()); // styles for the frame only
      if (block.textContent.trim()) snapshot.appendChild(block);
    }
    return snapshot.childElementCount ? snapshot : null;
  }

  // The frame shows outputs of its own — or the notebook's load-failure message (app/watch.js).
  function frameShowsOutputs(frame) {
    try {
      const doc = frame.contentDocument;
      if (doc && doc.querySelector(".mplat-load-failed")) return true;
      return Boolean(doc) && [...doc.querySelectorAll(".output-area")].some((e) => e.innerText.trim() !== "");
    } catch (e) {
      return true; // not readable: let the frame show itself
    }
  }

  // The build puts the snapshot in the notebook page (pwa.py add_snapshot); pages built without it get one
  // drawn from the app page's stored session.
  async function showSnapshot() {
    const holder = document.querySelector(".mplat-notebook");
    const frame = holder && holder.querySelector("iframe.mplat-notebook__frame");
    if (!frame) return;
    let snapshot = holder.querySelector(".mplat-snapshot");
    try {
      if (!snapshot && !frameShowsOutputs(frame)) {
        snapshot = renderSnapshot(sessionOutputs(await (await fetch(frame.src)).text()));
        if (snapshot) holder.appendChild(snapshot);
      }
    } catch (e) {
      /* no snapshot: the frame shows the outputs when marimo has started */
    }
    if (!snapshot || snapshot.dataset.watched) return;
    snapshot.dataset.watched = "1";
    const timer = setInterval(() => {
      if (!frameShowsOutputs(frame)) return;
      clearInterval(timer);
      snapshot.remove();
    }, 100);
  }

  /* ---- idle pre-warm on /gallery/ ---- */

  function bootClosure(packages) {
    const seen = new Set();
    const visit = (name) => {
      if (seen.has(name) || !packages[name]) return;
      seen.add(name);
      (packages[name].depends || []).forEach(visit);
    };
    BOOT_PACKAGES.forEach(visit);
    return [...seen].map((name) => new URL("runtime/" + packages[name].file_name, SITE_ROOT).href);
  }

  // marimo's page scripts, styles and fonts a notebook page loads first (the same for every notebook).
  async function frontendFiles() {
    const index = await (await fetch(new URL("gallery.json", SITE_ROOT))).json();
    if (!index.notebooks || !index.notebooks.length) return [];
    const appUrl = new URL(index.notebooks[0].app_url, SITE_ROOT);
    const html = await (await fetch(appUrl)).text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    const refs = [
      ...[...doc.querySelectorAll("script[type=module][src]")].map((e) => e.getAttribute("src")),
      ...[...doc.querySelectorAll("link[rel=modulepreload], link[rel=stylesheet], link[rel=preload]")].map((e) =>
        e.getAttribute("href")
      ),
    ];
    return refs.filter(Boolean).map((ref) => new URL(ref, appUrl).href);
  }

  async function fetchAll(urls) {
    const queue = [...new Set(urls)];
    let failed = 0;
    const worker = async () => {
      while (queue.length) {
        const url = queue.shift();
        try {
          const response = await fetch(url, { priority: "low" });
          await response.arrayBuffer(); // read to the end, so the whole file is cached
          if (!response.ok) failed += 1;
        } catch (e) {
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: FETCHES_AT_ONCE }, worker));
    return failed;
  }

  // On a first visit the service worker takes control a moment after load; files fetched before that
  // bypass its cache and would be downloaded twice. Wait for it (briefly: without a worker, go ahead).
  function whenControlled(timeoutMs) {
    if (!("serviceWorker" in navigator) || navigator.serviceWorker.controller) return Promise.resolve();
    return new Promise((resolve) => {
      navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
      setTimeout(resolve, timeoutMs);
    });
  }

  async function prewarm() {
    await whenControlled(20000);
    root.setAttribute("data-mplat-prewarm", "running");
    try {
      const lock = await (await fetch(new URL("runtime/pyodide-lock.json", SITE_ROOT))).json();
      const urls = RUNTIME_CORE.map((file) => new URL("runtime/" + file, SITE_ROOT).href);
      urls.push(...bootClosure(lock.packages || {}), ...(await frontendFiles()));
      const failed = await fetchAll(urls);
      root.setAttribute("data-mplat-prewarm", failed ? "incomplete" : "done");
    } catch (e) {
      root.setAttribute("data-mplat-prewarm", "failed");
    }
  }

  function schedulePrewarm() {
    if (!document.querySelector(".mplat-cards") || root.hasAttribute("data-mplat-prewarm")) return;
    if (meteredOrSlow()) {
      root.setAttribute("data-mplat-prewarm", "skipped");
      return;
    }
    root.setAttribute("data-mplat-prewarm", "scheduled");
    const whenIdle = window.requestIdleCallback || ((fn) => setTimeout(fn, 2000));
    const start = () => whenIdle(prewarm, { timeout: 10000 });
    if (document.readyState === "complete") start();
    else window.addEventListener("load", start, { once: true });
  }

  function init() {
    showSnapshot();
    showInstallHint();
    schedulePrewarm();
  }
  // Material's instant navigation swaps pages without a load event: re-run on each page.
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(init);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
