/* factcards loader: turns <blockquote class="factcard"><a href=".../cards/SLUG/">…</a></blockquote>
   into a responsive iframe (the blockquote stays as the no-JavaScript fallback, and goes once
   the card has shown itself), and resizes it and any pasted <iframe data-factcard> to the
   card's height. It also tells each card the address of the article around it (the card
   reports it to the embed registry: which articles show which cards). */
(function () {
  "use strict";
  if (window.factcardsLoader) return window.factcardsLoader.scan();
  var frames = [];

  function watch(iframe, quote) {
    if (iframe.getAttribute("data-factcard-watched")) return;
    var origin;
    try { origin = new URL(iframe.src, location.href).origin; } catch (e) { return; }
    iframe.setAttribute("data-factcard-watched", "1");
    frames.push({ el: iframe, origin: origin, quote: quote });
    // "*": before it loads, the frame is about:blank; the question carries nothing private.
    // The article's address goes to the card's own origin only, for the embed registry.
    var ask = function () {
      iframe.contentWindow.postMessage("factcards:height?", "*");
      iframe.contentWindow.postMessage({ "factcards:page": location.href }, origin);
    };
    iframe.addEventListener("load", ask);
    try { ask(); } catch (e) { /* not loaded yet: its load event asks */ }
  }

  function upgrade(quote) {
    if (quote.getAttribute("data-factcard-ready")) return;
    var link = quote.querySelector("a[href]");
    if (!link) return;
    var url = new URL(link.href, location.href);
    var slug = (url.pathname.match(/\/cards\/([\w-]+)\/?$/) || [])[1];
    if (!slug) return;
    quote.setAttribute("data-factcard-ready", "1");
    // An oEmbed answer pairs the quote with its own hidden frame: show that one. The quote
    // goes once the card reports its height (it may have loaded before this script ran).
    var iframe = quote.nextElementSibling;
    if (iframe && iframe.tagName === "IFRAME" && iframe.getAttribute("data-factcard") === slug) {
      iframe.hidden = false;
      iframe.style.width = "100%"; // its width attribute is oEmbed's; the page may be narrower
      iframe.style.maxWidth = iframe.getAttribute("width") + "px";
      return watch(iframe, quote);
    }
    iframe = document.createElement("iframe");
    var query = new URLSearchParams();
    if (quote.getAttribute("data-theme")) query.set("theme", quote.getAttribute("data-theme"));
    if (quote.getAttribute("data-lang")) query.set("lang", quote.getAttribute("data-lang"));
    iframe.src = url.origin + "/embed/" + slug + "/" + (query.toString() ? "?" + query : "");
    iframe.title = "Fact card: " + link.textContent.trim();
    iframe.setAttribute("data-factcard", slug);
    iframe.setAttribute("scrolling", "no");
    iframe.style.width = "100%";
    iframe.style.border = "0";
    iframe.style.display = "block";
    iframe.style.height = "240px";
    quote.parentNode.insertBefore(iframe, quote.nextSibling);
    watch(iframe, quote);
  }

  window.addEventListener("message", function (event) {
    var sizes = event.data && typeof event.data === "object" && event.data["datawrapper-height"];
    if (!sizes) return;
    frames.forEach(function (frame) {
      if (frame.el.contentWindow !== event.source || frame.origin !== event.origin) return;
      for (var key in sizes) {
        var h = parseInt(sizes[key], 10);
        if (h > 0 && h < 20000) frame.el.style.height = h + "px";
      }
      if (frame.quote) frame.quote.style.display = "none";
    });
  });

  function scan() {
    Array.prototype.forEach.call(document.querySelectorAll("blockquote.factcard"), upgrade);
    Array.prototype.forEach.call(document.querySelectorAll("iframe[data-factcard]"), function (el) {
      watch(el);
    });
  }
  window.factcardsLoader = { scan: scan };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
})();
