// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary so screen reader and keyboard users hear it first.
  var summary = document.querySelector("[data-module='error-summary']");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
  // Clicking a summary link focuses the field and scrolls its label into view.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary__list a");
    if (!link) { return; }
    var id = link.getAttribute("href").slice(1);
    var field = document.getElementById(id);
    if (!field) { return; }
    event.preventDefault();
    var label = document.querySelector("label[for='" + id + "']");
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
  // Stop a second click on a submit button from sending the same form twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("method") !== "post") { return; }
    if (form.dataset.submitted) { event.preventDefault(); return; }
    form.dataset.submitted = "true";
  });
}());
