/* Offline support on every page of the site (design: docs/offline.md).
   - Registers the site's service worker (sw.js at the site root). A site without one — `mkdocs serve`
     publishes none — gets no worker, and a worker left from an earlier build on the same address is removed.
   - Shows "Update available — reload" when a new version has downloaded what it needs.
   - On /gallery/: the "Make available offline" button (bytes progress, storage estimate) and per-card status.
   - On a notebook page: keeps that notebook's files offline. */
(() => {
  "use strict";
  if (window.mplatOffline || !("serviceWorker" in navigator) || !document.currentScript) return;

  const SITE_ROOT = new URL("../../", document.currentScript.src); // this file is assets/mplat/offline.js
  const WORKER_URL = new URL("sw.js", SITE_ROOT);
  const UPDATE_CHECK_MS = 15 * 60 * 1000;
  const DOWNLOADS_AT_ONCE = 4;
  const KERNEL_WAIT_MS = 120 * 1000;
  let registration = null;
  let acceptedUpdate = false;
  const t = window.mplatText; // the message table (assets/mplat/messages.js, loaded before this file)

  /* ---- talking to the worker ---- */

  function ask(worker, message, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const channel = new MessageChannel();
      const timer = setTimeout(() => reject(new Error(`no answer to ${message.type}`)), timeoutMs);
      channel.port1.onmessage = (event) => {
        clearTimeout(timer);
        if (event.data && event.data.error) reject(new Error(event.data.error));
        else resolve(event.data);
      };
      worker.postMessage(message, [channel.port2]);
    });
  }

  /* The worker controlling this page. On a first visit it takes control right after installing (it claims
     the open pages). A page it could not claim then (one whose navigation began while it was installing)
     or a page loaded past it (a hard reload) asks the active worker to claim it. */
  async function controller() {
    if (navigator.serviceWorker.controller) return navigator.serviceWorker.controller;
    const taken = new Promise((resolve) => {
      navigator.serviceWorker.addEventListener("controllerchange", () => resolve(navigator.serviceWorker.controller), {
        once: true,
      });
    });
    const active = (await navigator.serviceWorker.ready).active;
    if (!navigator.serviceWorker.controller && active) active.postMessage({ type: "claim" });
    return navigator.serviceWorker.controller || taken;
  }

  /* ---- registration and updates ---- */

  /* No sw.js on the server (e.g. `mkdocs serve` after a preview of a build on the same address): remove
     the worker left from that build, which would otherwise keep serving its cached pages. */
  async function removeIfWorkerGone() {
    const probe = await fetch(WORKER_URL, { method: "HEAD", cache: "no-store" }).catch(() => null);
    if (!probe || probe.status !== 404) return false; // offline, or the worker is there: keep it
    // Throws where the browser allows no worker at all (e.g. in a third-party frame): nothing to remove.
    const stale = await navigator.serviceWorker.getRegistration(SITE_ROOT.href).catch(() => null);
    if (stale) await stale.unregister();
    if (navigator.serviceWorker.controller) location.reload(); // this page came from the stale worker
    return true;
  }

  async function register() {
    try {
      registration = await navigator.serviceWorker.register(WORKER_URL.href, {
        scope: SITE_ROOT.href,
        updateViaCache: "none",
      });
    } catch {
      await removeIfWorkerGone();
      return null;
    }
    // register() does not fetch sw.js again for a known worker: check it once per page load (in the
    // background: an update found here downloads before it resolves).
    registration.update().catch(removeIfWorkerGone);
    const offerUpdate = () => {
      if (registration.waiting && navigator.serviceWorker.controller) showUpdatePrompt();
    };
    registration.addEventListener("updatefound", () => {
      const incoming = registration.installing;
      if (incoming) incoming.addEventListener("statechange", offerUpdate);
    });
    offerUpdate();
    const check = () => registration.update().catch(() => {});
    setInterval(check, UPDATE_CHECK_MS);
    document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && check());
    window.addEventListener("online", check);
    return registration;
  }

  function showUpdatePrompt() {
    if (document.querySelector(".mplat-update")) return;
    const bar = document.createElement("div");
    bar.className = "mplat-update";
    bar.setAttribute("role", "status");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t("update.reload");
    button.addEventListener("click", async () => {
      button.disabled = true;
      await newWorkerInstalled();
      if (!registration.waiting) return location.reload(); // another tab already accepted it
      acceptedUpdate = true;
      registration.waiting.postMessage({ type: "skip-waiting" });
    });
    bar.append(button);
    document.body.append(bar);
  }

  /* The server's build is newer than this worker's (it said so, see sw.js): wait until the new worker has
     downloaded what it needs; resolves at once when there is none to wait for. */
  async function newWorkerInstalled() {
    await registration.update().catch(() => {});
    const incoming = registration.installing;
    if (!incoming) return;
    await new Promise((resolve) => {
      const done = () => incoming.state !== "installing" && resolve();
      incoming.addEventListener("statechange", done);
      done();
    });
  }

  // A file of this page's build is gone from the server (a newer build replaced it): offer the update.
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "newer-build" && registration) showUpdatePrompt();
  });

  // The new version took over because this page accepted it: reload into it. (Other open pages keep
  // running on the previous version's files until they are reloaded.)
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (acceptedUpdate) location.reload();
  });

  /* ---- the gallery's offline panel ---- */

  const formatBytes = (n) =>
    n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`;
  const encodePath = (path) => path.split("/").map(encodeURIComponent).join("/");

  function cardSlug(card) {
    if (card.dataset.slug) return card.dataset.slug;
    const link = card.querySelector("a[href]");
    const match = link && new URL(link.href).pathname.match(/\/gallery\/([^/]+)\/?$/);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function showCardStatus(status) {
    for (const card of document.querySelectorAll("li.mplat-card")) {
      const slug = cardSlug(card);
      if (!slug || !(slug in status.notebooks)) continue;
      // A server notebook's preview may be stored, but the notebook itself runs only on the server.
      const ready = status.notebooks[slug] && card.dataset.tier !== "server";
      card.dataset.offline = ready ? "ready" : "online";
      let badge = card.querySelector(".mplat-offline-badge");
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "mplat-offline-badge";
        card.append(badge);
      }
      badge.textContent = ready ? t("offline.ready_badge") : t("offline.needs_connection");
    }
  }

  /* Plain words when the browser's storage estimate says the download will not fit, else null. */
  async function storageShortfall(neededBytes) {
    if (!navigator.storage || !navigator.storage.estimate || neededBytes <= 0) return null;
    const { usage = 0, quota = 0 } = await navigator.storage.estimate().catch(() => ({}));
    const available = Math.max(0, quota - usage);
    if (!quota || neededBytes <= available) return null;
    return t("offline.no_space", { needed: formatBytes(neededBytes), available: formatBytes(available) });
  }

  async function showStorage(panel) {
    const line = panel.querySelector(".mplat-offline__storage");
    if (!navigator.storage || !navigator.storage.estimate) return;
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
    line.textContent =
      t("offline.storage", { used: formatBytes(usage), quota: formatBytes(quota) }) +
      t(persisted ? "offline.storage_kept" : "offline.storage_may_clear");
  }

  function buildPanel(cards) {
    const panel = document.createElement("div");
    panel.className = "mplat-offline";
    panel.innerHTML =
      '<button type="button" class="mplat-offline__button md-button md-button--primary" disabled></button>' +
      '<progress class="mplat-offline__bar" max="1" value="0" hidden></progress>' +
      '<span class="mplat-offline__progress" aria-live="polite"></span>' +
      '<span class="mplat-offline__storage"></span>';
    panel.querySelector(".mplat-offline__button").textContent = t("offline.make_available");
    cards.before(panel);
    return panel;
  }

  function showProgress(panel, done, total) {
    const bar = panel.querySelector(".mplat-offline__bar");
    bar.hidden = false;
    bar.value = total ? done / total : 1;
    panel.querySelector(".mplat-offline__progress").textContent = t("offline.progress", {
      done: formatBytes(done),
      total: formatBytes(total),
    });
  }

  function showState(panel, status) {
    const button = panel.querySelector(".mplat-offline__button");
    const complete = status.missing.length === 0;
    panel.dataset.state = complete ? "ready" : "online";
    button.textContent = t(complete ? "offline.available" : "offline.make_available");
    button.disabled = complete;
    if (complete) showProgress(panel, status.totalBytes, status.totalBytes);
    showCardStatus(status);
  }

  async function makeAvailableOffline(panel, worker) {
    const button = panel.querySelector(".mplat-offline__button");
    const message = panel.querySelector(".mplat-offline__progress");
    button.disabled = true;
    const status = await ask(worker, { type: "status" });
    const shortfall = await storageShortfall(status.totalBytes - status.cachedBytes);
    if (shortfall) {
      message.textContent = shortfall;
      panel.dataset.state = "no-space";
      button.disabled = false;
      return;
    }
    button.textContent = t("offline.downloading");
    // Ask before downloading: browsers grant persistence on a user gesture (or to installed apps).
    if (navigator.storage && navigator.storage.persist) await navigator.storage.persist().catch(() => false);
    let done = status.cachedBytes;
    showProgress(panel, done, status.totalBytes);
    const queue = [...status.missing];
    let failures = 0;
    // Each file goes through the worker, which checks it against its hash and stores it.
    const runner = async () => {
      while (queue.length) {
        const [path, size] = queue.shift();
        try {
          const response = await fetch(new URL(encodePath(path), SITE_ROOT));
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          await response.arrayBuffer();
          done += size;
          showProgress(panel, done, status.totalBytes);
        } catch {
          failures += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: DOWNLOADS_AT_ONCE }, runner));
    let after = await ask(worker, { type: "status" });
    // Recorded only once everything is here: later versions then keep the whole gallery offline.
    if (after.missing.length === 0) {
      await ask(worker, { type: "pin-all" });
      after = await ask(worker, { type: "status" });
    }
    showState(panel, after);
    if (after.missing.length) {
      message.textContent = t("offline.interrupted", { missing: after.missing.length, failed: failures });
    }
    await showStorage(panel);
  }

  async function setUpGallery(worker) {
    const cards = document.querySelector("ul.mplat-cards");
    if (!cards || document.querySelector(".mplat-offline")) return;
    const panel = buildPanel(cards);
    const button = panel.querySelector(".mplat-offline__button");
    button.addEventListener("click", () =>
      makeAvailableOffline(panel, worker).catch((error) => {
        panel.querySelector(".mplat-offline__progress").textContent = t("offline.failed", { error: error.message });
        button.disabled = false;
        button.textContent = t("offline.make_available");
      }),
    );
    showState(panel, await ask(worker, { type: "status" }));
    await showStorage(panel);
  }

  /* ---- every page ---- */

  /* Resolves once `reached()` holds for the notebook on this page (checked again at each "mplat:kernel" and
     "mplat:gate" its gate announces), or after KERNEL_WAIT_MS if it never does. */
  function notebookReaches(reached) {
    if (reached()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!reached()) return;
        window.removeEventListener("mplat:kernel", check);
        window.removeEventListener("mplat:gate", check);
        resolve();
      };
      window.addEventListener("mplat:kernel", check);
      window.addEventListener("mplat:gate", check);
      setTimeout(resolve, KERNEL_WAIT_MS);
    });
  }

  const pageState = (name) => document.documentElement.getAttribute(`data-mplat-${name}`);
  const pythonDone = () => ["ready", "failed"].includes(pageState("kernel"));

  /* The notebook has run (or could not start): its background download must not slow the boot down. */
  const notebookInteractive = () => notebookReaches(pythonDone);

  async function setUpPage() {
    if (!registration) return;
    const worker = await controller();
    await ask(worker, { type: "hello" }).catch(() => {});
    const notebook = document.querySelector(".mplat-notebook[data-slug]");
    if (notebook) {
      if (notebook.dataset.tier !== "server") await notebookInteractive(); // a preview runs no Python
      await ask(worker, { type: "pin", slug: notebook.dataset.slug }).catch(() => {});
    }
    await setUpGallery(worker);
  }

  /* On a page whose notebook is starting Python, the worker is registered (or checked for an update) only
     once that boot is over: a first visit's install (the site's shell, fetched, hashed and stored) or an
     update's download would otherwise take the CPU and the link from it (~0.4 s of a 2-core machine). */
  function bootOver() {
    const notebook = document.querySelector(".mplat-notebook[data-slug]");
    if (!notebook || notebook.dataset.tier === "server") return Promise.resolve(); // a preview runs no Python
    // held for "Run interactive" (gate "waiting"): nothing is booting
    return notebookReaches(() => pythonDone() || pageState("gate") === "waiting");
  }

  const ready = bootOver().then(register);
  const onPage = () => ready.then(setUpPage).catch((error) => console.warn("mplat offline:", error));
  window.mplatOffline = {
    // What the periodic check does; tests and the console can call it.
    checkForUpdate: () => ready.then(() => (registration ? registration.update() : undefined)),
  };
  // Material's instant navigation swaps pages without reloading scripts: it announces each page on document$.
  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(onPage);
  else onPage();
})();
