/* factcards embed: tell the embedding page how tall the card is, in every protocol embedders
   listen to (pym.js, Datawrapper, AMP, WordPress), whenever the height changes. */
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

  // A parent that starts listening late (a loader, pym's width message) asks again.
  window.addEventListener("message", function (event) {
    if (event.source !== parent) return;
    var d = event.data;
    if (d === "factcards:height?" || (typeof d === "string" && d.indexOf("pymxPYMx") === 0)) send(true);
  });
  if (window.ResizeObserver) new ResizeObserver(function () { send(); }).observe(document.body);
  window.addEventListener("resize", function () { send(); });
  window.addEventListener("load", function () { send(true); });
  send(true);
})();
