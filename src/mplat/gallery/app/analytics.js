// Privacy-friendly analytics (Plausible events API) — added only when the site config enables it.
// Page views on every page; on notebook pages also notebook-loaded, notebook-interaction, notebook-error.
(function () {
  "use strict";
  var cfg = window.MPLAT_ANALYTICS;
  if (!cfg || !cfg.domain || !cfg.endpoint) return;

  // Origin and path only: a query string or fragment may carry what a visitor typed or was sent (tokens,
  // e-mail addresses), and a referrer's path says where they came from; its origin is enough for a source.
  function originOf(url) {
    try { return new URL(url).origin; } catch (error) { return null; }
  }

  function send(name, props) {
    var body = JSON.stringify({
      name: name, url: location.origin + location.pathname, domain: cfg.domain,
      referrer: (document.referrer && originOf(document.referrer)) || null, props: props || {},
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
