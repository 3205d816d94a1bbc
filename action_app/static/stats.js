// Live figures: where JavaScript runs, the headline figures refresh every few seconds from a
// small JSON answer built from the counters. Without it the page shows the figures it was
// served with, and a reload brings new ones.
(function () {
  "use strict";
  var root = document.querySelector("[data-module='live-figures']");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-url");
  var status = root.querySelector("[data-live-status]");
  var number = new Intl.NumberFormat("en-GB");
  function percent(value) { return value === null ? "–" : Math.round(value * 100) + "%"; }
  function show(name, text) {
    var node = root.querySelector("[data-live='" + name + "']");
    if (node && node.textContent !== text) { node.textContent = text; }
  }
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (data) {
        var h = data.headline;
        var withheld = h.withheld || [];
        ["accepted", "sent", "pending", "held", "failed", "confirmed", "constituencies_reached"]
          .forEach(function (name) { if (h[name] !== null && h[name] !== undefined) { show(name, number.format(h[name])); } });
        // A figure about too few supporters to hide one of them is withheld (null).
        show("personalised_share", withheld.indexOf("personalised") >= 0 ? "withheld" : percent(h.personalised_share));
        if (withheld.indexOf("replies") >= 0) {
          show("reply_rate", "withheld");
          show("reply_hint", "(fewer than " + data.smallest_group + " answers)");
        } else {
          show("reply_rate", percent(h.reply_rate));
          show("reply_hint", "of " + number.format(h.reply_answers) + " answers");
        }
        show("generated_at", data.generated_at.slice(11, 19) + " UTC");
        Object.keys(data.opt_ins).forEach(function (slug) {
          var cell = root.querySelector("[data-live-opt-in='" + slug + "']");
          if (cell) { cell.textContent = number.format(data.opt_ins[slug]); }
        });
        if (status) { status.textContent = ""; }
      })
      .catch(function () { if (status) { status.textContent = "Live figures paused: reload the page to try again."; } });
  }
  window.setInterval(refresh, 5000);
}());
