// Gallery behaviour: tag filter on /gallery/, embed snippet on /gallery/<slug>/. Acts only where its elements exist.
(function () {
  "use strict";

  function setupFilter() {
    var buttons = document.querySelectorAll(".mplat-filter__tag");
    var cards = document.querySelectorAll(".mplat-card");
    if (!buttons.length) return;
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var tag = button.getAttribute("data-tag");
        buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        cards.forEach(function (card) {
          var tags = (card.getAttribute("data-tags") || "").split("|");
          card.hidden = Boolean(tag) && tags.indexOf(tag) === -1;
        });
      });
    });
  }

  function setupEmbed() {
    var toggle = document.querySelector(".mplat-embed-toggle");
    var panel = document.querySelector(".mplat-embed");
    if (!toggle || !panel) return;
    var code = panel.querySelector(".mplat-embed__code");
    // The snippet needs the app's absolute URL: the site may live under any sub-path.
    var appUrl = new URL("../../" + code.getAttribute("data-app-path"), window.location.href).href;
    code.value = code.value.replace(/src="[^"]*"/, 'src="' + appUrl + '"');
    toggle.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", String(!panel.hidden));
    });
    panel.querySelector(".mplat-embed__copy").addEventListener("click", function (event) {
      var button = event.currentTarget;
      var done = function () { button.textContent = window.mplatText("notebook.embed_copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.value).then(done, function () { code.select(); });
      } else {
        code.select();
        document.execCommand("copy");
        done();
      }
    });
  }

  // Presets: /gallery/<slug>/?system_kw=8 opens the notebook with those inputs (it reads its own query).
  function forwardQuery() {
    var frame = document.querySelector(".mplat-notebook__frame");
    if (!frame || !window.location.search || frame.getAttribute("data-query-forwarded")) return;
    frame.setAttribute("data-query-forwarded", "1");
    frame.src = frame.getAttribute("src").split("?")[0] + window.location.search;
  }

  function init() { forwardQuery(); setupFilter(); setupEmbed(); }
  // Material's instant navigation swaps pages without a load event: re-run on each page.
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(init);
  else document.addEventListener("DOMContentLoaded", init);
})();
