// Progressive enhancement only: every page works without this file. Words the scripts show come
// from data-* attributes in the templates, so every sentence lives in one place.
(function () {
  "use strict";
  document.documentElement.classList.add("js-enabled");
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

// Text boxes grow with their text, so the whole letter shows without scrolling inside a box.
// (Where the browser supports CSS field-sizing, the stylesheet does this alone.)
(function () {
  "use strict";
  if (window.CSS && CSS.supports && CSS.supports("field-sizing", "content")) { return; }
  function grow(box) {
    box.style.height = "auto";
    box.style.height = (box.scrollHeight + 4) + "px";
  }
  var boxes = document.querySelectorAll("textarea.textarea");
  Array.prototype.forEach.call(boxes, function (box) {
    grow(box);
    box.addEventListener("input", function () { grow(box); });
  });
  window.addEventListener("resize", function () { Array.prototype.forEach.call(boxes, grow); });
}());

// A one-line field shown in a growing box (the subject): Enter does not start a new line, and
// pasted line breaks become spaces.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-module='one-line']");
  Array.prototype.forEach.call(boxes, function (box) {
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
    box.addEventListener("input", function () {
      if (/[\r\n]/.test(box.value)) {
        var at = box.selectionStart;
        box.value = box.value.replace(/\r?\n|\r/g, " ");
        box.setSelectionRange(at, at);
      }
    });
  });
}());

// Character count, as the GOV.UK Design System's: the visible message follows every key; a
// polite live region says the same once typing pauses, so it is announced without interrupting.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("[data-module='character-count']");
  Array.prototype.forEach.call(boxes, function (box) {
    var most = parseInt(box.getAttribute("data-maxlength"), 10);
    var message = document.getElementById(box.id + "-info");
    if (!most || !message) { return; }
    var live = document.createElement("div");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    message.parentNode.insertBefore(live, message.nextSibling);
    var timer = null;
    function words() {
      var left = most - box.value.length;
      var n = Math.abs(left);
      var key = (left < 0 ? "over" : "under") + "-" + (n === 1 ? "one" : "many");
      return { text: message.getAttribute("data-" + key).replace("%s", n.toLocaleString("en-GB")), over: left < 0 };
    }
    function show() {
      var now = words();
      message.textContent = now.text;
      message.classList.toggle("character-count__message--over", now.over);
      box.classList.toggle("textarea--error", now.over);
    }
    show();
    box.addEventListener("input", function () {
      show();
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { live.textContent = words().text; }, 1000);
    });
  });
}());

// A "Copy" button beside a link or letter that can be copied (without JavaScript it can be
// selected). Each press is announced, including a failure, even when the words repeat.
(function () {
  "use strict";
  var fields = document.querySelectorAll("[data-module='copy-link'], [data-module='copy-text']");
  Array.prototype.forEach.call(fields, function (field) {
    if (!navigator.clipboard) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary button--copy";
    button.textContent = field.getAttribute("data-copy-label") || "Copy";
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    status.className = "hint copy-status";
    function say(text) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 100);
    }
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        say(field.getAttribute("data-copied"));
      }, function () {
        field.focus();
        field.select();
        say(field.getAttribute("data-copy-failed"));
      });
    });
    field.parentNode.appendChild(button);
    field.parentNode.appendChild(status);
  });
}());

// Print the letter (a letter to an MP with no email address).
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-module='print-page']");
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());

// The sent page follows the letter: while it can still change, ask now and then, and when it
// has moved on, show the new state in place and say so politely.
(function () {
  "use strict";
  var region = document.querySelector("[data-module='letter-status']");
  var words = document.querySelector("[data-module='letter-status-words']");
  if (!region || !words || region.getAttribute("data-finished") === "true" || !window.fetch) { return; }
  var delay = 3000;
  function look() {
    fetch(region.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return; }
        if (status.state !== region.getAttribute("data-state")) {
          return fetch(status.page, { credentials: "same-origin" })
            .then(function (response) { return response.text(); })
            .then(function (html) {
              var page = new DOMParser().parseFromString(html, "text/html");
              var fresh = page.querySelector("[data-module='letter-status']");
              if (fresh) {
                region.innerHTML = fresh.innerHTML;
                region.setAttribute("data-state", fresh.getAttribute("data-state"));
                document.title = page.title;
              }
              words.textContent = words.getAttribute("data-template").replace("%s", status.words);
              return status;
            });
        }
        return status;
      })
      .then(function (status) {
        if (status && status.finished) { return; }
        delay = Math.min(delay * 1.5, 30000);
        window.setTimeout(look, delay);
      }, function () {
        delay = Math.min(delay * 2, 60000);
        window.setTimeout(look, delay);
      });
  }
  window.setTimeout(look, delay);
}());
