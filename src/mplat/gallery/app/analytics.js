// Privacy-friendly analytics (Plausible events API) — added only when the site config enables it.
// Page views on every page; on notebook pages also notebook-loaded, notebook-interaction, notebook-error.
(function () {
  "use strict";
  var cfg = window.MPLAT_ANALYTICS;
  if (!cfg || !cfg.domain || !cfg.endpoint) return;

  function send(name, props) {
    var body = JSON.stringify({
      name: name, url: location.href, domain: cfg.domain, referrer: document.referrer || null, props: props || {},
    });
    // text/plain keeps it a simple request (no CORS preflight); keepalive survives page unloads.
    fetch(cfg.endpoint, { method: "POST", body: body, headers: { "Content-Type": "text/plain" }, keepalive: true })
      .catch(function () { /* analytics must never disturb the demo */ });
  }

  send("pageview");
  ["notebook-loaded", "notebook-interaction", "notebook-error"].forEach(function (name) {
    window.addEventListener("mplat:" + name, function (event) { send(name, { slug: event.detail.slug }); });
  });
})();
