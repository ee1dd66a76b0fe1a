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

  // Server notebooks: while the browser is offline, their cards and pages say that opening one needs a
  // connection, and "Open on the server" becomes a disabled button (never a dead link). No request is made
  // to the server here: the link is only followed when someone presses it.
  function setupServerLinks() {
    var notes = document.querySelectorAll(".mplat-server__note[data-offline-note]");
    var links = document.querySelectorAll("a.mplat-open-server, .mplat-open-server[data-href]");
    if (!notes.length && !links.length) return;
    function update() {
      var offline = navigator.onLine === false;
      notes.forEach(function (note) {
        if (!note.hasAttribute("data-static-note")) note.setAttribute("data-static-note", note.textContent);
        note.textContent = offline ? note.getAttribute("data-offline-note") : note.getAttribute("data-static-note");
      });
      document.documentElement.toggleAttribute("data-mplat-offline", offline);
      links.forEach(function (link) {
        if (offline && link.hasAttribute("href")) {
          link.setAttribute("data-href", link.getAttribute("href"));
          link.removeAttribute("href");
          link.setAttribute("aria-disabled", "true");
          link.setAttribute("role", "link");
        } else if (!offline && link.hasAttribute("data-href")) {
          link.setAttribute("href", link.getAttribute("data-href"));
          link.removeAttribute("data-href");
          link.removeAttribute("aria-disabled");
          link.removeAttribute("role");
        }
      });
    }
    update();
    if (!window.mplatServerLinksWatched) {
      window.mplatServerLinksWatched = true;
      window.addEventListener("online", function () { setupServerLinks(); });
      window.addEventListener("offline", function () { setupServerLinks(); });
    }
  }

  // mkdocs-material's search dialog has no name: give it the search field's own (translated) placeholder.
  function nameSearchDialog() {
    var dialog = document.querySelector(".md-search[role=dialog]:not([aria-label])");
    var input = document.querySelector(".md-search__input");
    if (dialog && input && input.placeholder) dialog.setAttribute("aria-label", input.placeholder);
  }

  function init() { forwardQuery(); setupFilter(); setupEmbed(); setupServerLinks(); nameSearchDialog(); }
  // Material's instant navigation swaps pages without a load event: re-run on each page.
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(init);
  else document.addEventListener("DOMContentLoaded", init);
})();
