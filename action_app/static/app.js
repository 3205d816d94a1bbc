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

// A "Copy link" button beside each share link (without JavaScript the link can be selected).
(function () {
  "use strict";
  var inputs = document.querySelectorAll("[data-module='copy-link']");
  Array.prototype.forEach.call(inputs, function (input) {
    if (!navigator.clipboard) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary";
    button.textContent = "Copy link";
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    status.className = "hint";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        status.textContent = "Link copied";
      });
    });
    input.parentNode.appendChild(button);
    input.parentNode.appendChild(status);
  });
}());
