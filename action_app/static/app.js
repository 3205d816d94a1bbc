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

// The constituency list as an accessible autocomplete (the ARIA 1.2 combobox pattern): type a
// constituency's or an MP's name, pick from the suggestions with the arrow keys and Enter or a
// click. The <select> stays in the form, hidden, and carries the choice; without JavaScript it
// is the control.
(function () {
  "use strict";
  var selects = document.querySelectorAll("select[data-module='autocomplete']");
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }
  Array.prototype.forEach.call(selects, function (select) {
    var choices = Array.prototype.filter.call(select.options, function (o) { return o.value; })
      .map(function (o) {
        var mp = o.getAttribute("data-mp") || "";
        return { value: o.value, name: o.textContent, mp: mp, key: fold(o.textContent + " " + mp) };
      });
    var id = select.id;
    var wrapper = document.createElement("div");
    wrapper.className = "autocomplete";
    var input = document.createElement("input");
    input.type = "text";
    input.className = "input autocomplete__input" + (select.classList.contains("select--error") ? " input--error" : "");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-listbox");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    var hint = document.createElement("div");
    hint.id = id + "-autocomplete-hint";
    hint.className = "hint";
    hint.textContent = select.getAttribute("data-hint");
    // The list's own hint ("listed in alphabetical order") no longer applies to a search box.
    var listHint = document.getElementById(id + "-hint");
    if (listHint) { listHint.hidden = true; }
    var described = (select.getAttribute("aria-describedby") || "").replace(id + "-hint", "").trim();
    input.setAttribute("aria-describedby", (described + " " + hint.id).trim());
    if (select.getAttribute("aria-invalid")) { input.setAttribute("aria-invalid", "true"); }
    var list = document.createElement("ul");
    list.id = id + "-listbox";
    list.className = "autocomplete__list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    var shown = [];
    var active = -1;
    var timer = null;

    select.id = id + "-select";
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    input.id = id;
    var current = select.options[select.selectedIndex];
    if (current && current.value) { input.value = current.textContent; }
    select.parentNode.insertBefore(wrapper, select);
    wrapper.appendChild(hint);
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    wrapper.appendChild(status);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function say(text) {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { status.textContent = text; }, 500);
    }
    function render() {
      var query = fold(input.value);
      select.value = "";
      if (!query) { shown = []; list.innerHTML = ""; close(); return; }
      shown = choices.filter(function (c) { return c.key.indexOf(query) !== -1; }).slice(0, 50);
      list.innerHTML = "";
      shown.forEach(function (choice, index) {
        var item = document.createElement("li");
        item.id = id + "-option-" + index;
        item.className = "autocomplete__option";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = choice.name + (choice.mp ? ", " + choice.mp : "");
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { pick(index); });
        list.appendChild(item);
      });
      if (!shown.length) {
        var none = document.createElement("li");
        none.className = "autocomplete__option autocomplete__option--none";
        none.textContent = select.getAttribute("data-none");
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      input.removeAttribute("aria-activedescendant");
      var n = shown.length;
      say(n === 0 ? select.getAttribute("data-none") : n === 1 ? select.getAttribute("data-one")
        : select.getAttribute("data-many").replace("%s", n));
    }
    function highlight(index) {
      var items = list.querySelectorAll("[role='option']");
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      Array.prototype.forEach.call(items, function (item, i) {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
        item.classList.toggle("autocomplete__option--focused", i === active);
      });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }
    function pick(index) {
      var choice = shown[index];
      if (!choice) { return; }
      input.value = choice.name;
      select.value = choice.value;
      close();
    }
    input.addEventListener("input", render);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); if (list.hidden) { render(); } highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" && !list.hidden && active >= 0) { event.preventDefault(); pick(active); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
    input.form.addEventListener("submit", function () {
      if (select.value) { return; }
      var query = fold(input.value);
      var exact = choices.filter(function (c) { return fold(c.name) === query; });
      if (exact.length === 1) { select.value = exact[0].value; }
    });
  });
}());
