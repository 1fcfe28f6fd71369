/* factcards embed: tell the embedding page how tall the card is, in every protocol embedders
   listen to (pym.js, Datawrapper, AMP, WordPress), whenever the height changes, and report
   the article it is in to the embed registry. */
(function () {
  "use strict";
  var parent = window.parent;
  if (parent === window) return;
  var query = new URLSearchParams(location.search);
  var childId = query.get("childId");
  var secret = (location.hash.match(/secret=([\w.-]+)/) || [])[1];
  var slug = document.documentElement.getAttribute("data-slug");
  var sent = 0;

  function height() {
    return Math.ceil(document.body.getBoundingClientRect().height);
  }

  function send(force) {
    var h = height();
    if (!h || (h === sent && !force)) return;
    sent = h;
    var dw = {};
    dw[slug] = h;
    parent.postMessage({ "datawrapper-height": dw }, "*");
    parent.postMessage({ sentinel: "amp", type: "embed-size", height: h }, "*");
    if (childId) parent.postMessage("pymxPYMx" + childId + "xPYMxheightxPYMx" + h, "*");
    if (secret) parent.postMessage({ message: "height", value: h, secret: secret }, "*");
  }

  // The embed registry: which article shows this card. The loader says (its address, from
  // the page's own origin, as the browser vouches in event.origin); without a loader, the
  // Referer's origin will do. Our own pages (the card's preview) are no article.
  var reported = {};
  var isCard = !document.documentElement.hasAttribute("data-timeline"); // the registry is of cards
  function report(url) {
    if (!isCard || !url || reported[url] || !navigator.sendBeacon) return;
    try { if (new URL(url).origin === location.origin) return; } catch (e) { return; }
    reported[url] = 1;
    navigator.sendBeacon("/registry/seen", new URLSearchParams({ card: slug, url: url }));
  }
  window.addEventListener("load", function () {
    setTimeout(function () {
      var ancestors = location.ancestorOrigins;
      if (!Object.keys(reported).length) report(document.referrer || (ancestors && ancestors[0]));
    }, 3000);
  });

  // A parent that starts listening late (a loader, pym's width message) asks again.
  window.addEventListener("message", function (event) {
    if (event.source !== parent) return;
    var d = event.data;
    if (d && typeof d === "object" && typeof d["factcards:page"] === "string") {
      try { if (new URL(d["factcards:page"]).origin === event.origin) report(d["factcards:page"]); } catch (e) { /* not an address */ }
      return;
    }
    if (d === "factcards:height?" || (typeof d === "string" && d.indexOf("pymxPYMx") === 0)) send(true);
  });
  if (window.ResizeObserver) new ResizeObserver(function () { send(); }).observe(document.body);
  window.addEventListener("resize", function () { send(); });
  window.addEventListener("load", function () { send(true); });
  send(true);
})();
