/* Copy buttons for the embed codes (the text areas stay selectable without JavaScript). */
(function () {
  "use strict";
  function setUp() {
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      };
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
      else { document.execCommand("copy"); done(); }
    });
  });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
