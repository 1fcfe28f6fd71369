// After a filter changes the results, bring the result count into view: on a phone the
// results sit far below the filters. (The count is a live region: it is announced too.)
// Someone typing a search keeps their place.
document.addEventListener("htmx:afterSettle", function () {
  var count = document.getElementById("result-count");
  if (!count || (document.activeElement && document.activeElement.id === "id_q")) return;
  var box = count.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) {
    count.scrollIntoView({ block: "start" });
  }
});
